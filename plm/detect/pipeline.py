"""Whole-recording detection: quality checks, chunked features, events.

Memory: the per-sample features (filtering, envelopes, baselines) are local,
so they are computed on overlapping chunks; only the current chunk exists in
float64 besides the recording itself. What is kept for the whole signal is a
few boolean masks (1 byte per sample each) and block maxima for amplitudes.
The overlap on each side of a chunk is derived from the filters' settling
time and the window lengths (:attr:`EmgPlan.overlap`,
:attr:`AccelPlan.overlap`), so the features of a chunk's core equal those of
whole-signal processing to rounding error, and the events found on the
stitched masks are the same. Chunk boundaries lie on block boundaries so the
baseline blocks are the same in every chunk.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from ..errors import InputError
from ..model import LegMovements
from ..threads import map_in_threads
from . import accel as _accel
from . import emg as _emg
from . import filters
from .baseline import block_reduce
from .filters import mains_frequency
from .quality import QualityReport, assess_quality, merge_intervals
from .workspace import Workspace

__all__ = ["detect_recording", "detect_leg", "leg_features", "leg_events", "leg_levels", "leg_movements",
           "LegFeatures", "DECISIONS", "chunk_bounds", "DEFAULT_CHUNK_SECONDS"]

#: Core length of a chunk, s (at least 20 overlaps). 30 min of 512 Hz EMG is
#: 7 MB in float64; a week of 40 Hz accelerometry is 336 chunks.
DEFAULT_CHUNK_SECONDS = 1800.0

#: By default a recording shorter than MIN_CHUNKS x DEFAULT_CHUNK_SECONDS is cut
#: into this many chunks (each at least four overlaps long).
MIN_CHUNKS = 8


def chunk_bounds(n: int, core: int, overlap: int) -> Iterator[tuple[int, int, int, int]]:
    """Chunks covering ``range(n)``.

    Parameters
    ----------
    n : int
        Number of samples.
    core : int
        Samples each chunk contributes (a multiple of the block size).
    overlap : int
        Extra samples read on each side.

    Yields
    ------
    (ext_start, ext_stop, start, stop)
        Read ``[ext_start, ext_stop)``, keep the results of ``[start, stop)``.
    """
    for a in range(0, n, core):
        b = min(n, a + core)
        yield max(0, a - overlap), min(n, b + overlap), a, b


def _leg_rows(recording, side: str, modality: str) -> list[int]:
    picks = recording.picks(side, modality)
    if modality == "accel":
        axes = {recording.channels[i].axis: i for i in picks}
        if set(axes) >= {"x", "y", "z"}:
            return [axes["x"], axes["y"], axes["z"]]
        if len(picks) < 1:
            raise InputError(recording.source or None, f"{side} leg has no accelerometer channel")
        return picks[:3]
    # One EMG channel per leg: the first one labelled for this side.
    return picks[:1]


@dataclass(frozen=True, eq=False)
class LegFeatures:
    """Per-leg detector arrays on the decision grid, stitched from the chunks.

    Made by :func:`leg_features`; :func:`leg_events` turns them into LMs.
    The arrays are what the chunk loop was asked to keep: the boolean
    decisions of detection, or the threshold-free features (e.g. the
    envelope above the resting level) from which the decisions can be
    remade for other thresholds (:mod:`plm.detect.cached`).

    Attributes
    ----------
    modality : {"emg", "accel"}
    arrays : dict of str to ndarray
        Requested feature arrays that are not boolean, one value per grid
        sample (the accelerometer's movement size is kept as float32).
    flags : ndarray of uint8 or None
        Requested boolean arrays, one bit each (:attr:`bits`), one byte per
        grid sample: see :meth:`unpacked`.
    bits : tuple of str
        Names of the boolean arrays in :attr:`flags`, bit 0 first.
    peaks : ndarray
        Block maxima of the ``excess`` feature (LM amplitudes).
    rests : ndarray
        Block means of the resting level (EMG, uV) or resting noise level
        (accelerometer, g).
    raw_peaks : ndarray or None
        EMG: block maxima of the unopened envelope above rest (for the
        RMS window's widening of LM durations).
    n_axes : int
        Channels of the leg.
    decim : int
        Signal samples per grid sample.
    rate : float
        Grid rate, Hz.
    block : int
        Grid samples per amplitude block.
    n : int
        Signal samples of the leg.
    bad : ndarray, shape (m, 2)
        Sample intervals in which no LM may start (gaps, non-wear, clipping
        and the ends, widened by the filters' settling time).
    quality : QualityReport
    """

    modality: str
    arrays: dict
    peaks: np.ndarray
    decim: int
    rate: float
    block: int
    n: int
    bad: np.ndarray
    quality: QualityReport
    flags: np.ndarray | None = None
    bits: tuple = ()
    rests: np.ndarray | None = None
    raw_peaks: np.ndarray | None = None
    n_axes: int = 1

    def unpacked(self) -> dict[str, np.ndarray]:
        """Every kept array by name, the boolean ones unpacked from :attr:`flags` (new arrays)."""
        out = dict(self.arrays)
        for bit, name in enumerate(self.bits):
            out[name] = ((self.flags >> bit) & 1).view(bool)
        return out


#: Arrays that :func:`leg_events` needs, per modality (the accelerometer's
#: events also need the movement size).
DECISIONS = {"emg": ("on", "lift", "quiet", "found", "morph"), "accel": ("on", "active", "excess")}

#: Kept arrays stored in a narrower type than the detector computes them in.
_STORED_AS = {("accel", "excess"): np.float32}


def leg_features(
    recording,
    side: str,
    criteria,
    names: tuple[str, ...],
    *,
    chunk_seconds: float | None = None,
    quality: QualityReport | None = None,
) -> LegFeatures:
    """Run the feature step of one leg chunk by chunk and keep the arrays ``names``.

    Parameters
    ----------
    recording : Recording
    side : {"left", "right"}
    criteria : Criteria
    names : tuple of str
        Keys of the detector's feature dict to keep (see
        :func:`plm.detect.emg.emg_features`, :func:`plm.detect.accel.accel_features`).
    chunk_seconds : float, optional
        Core chunk length, s (default :data:`DEFAULT_CHUNK_SECONDS`, or a
        :data:`MIN_CHUNKS`-th of a shorter recording); ``math.inf`` processes
        the whole signal at once.
    quality : QualityReport, optional
        Precomputed quality report of this leg.

    Returns
    -------
    LegFeatures
    """
    modality = recording.modality
    if modality not in ("emg", "accel"):
        raise InputError(recording.source or None, f"cannot detect leg movements in {modality!r} channels")
    rows_idx = _leg_rows(recording, side, modality)
    if not rows_idx:
        raise InputError(recording.source or None, f"no {modality} channel for the {side} leg")
    data = recording.data
    n = recording.n_samples
    sfreq = recording.sfreq
    if n < 2:
        raise InputError(recording.source or None, f"{side} leg has {n} sample(s); too short to analyse")
    rows = _Rows(data, rows_idx)
    if quality is None:
        quality = assess_quality(rows, sfreq, modality, criteria, source=recording.source, side=side,
                                 held=recording.held_samples(side))

    if modality == "emg":
        mains = mains_frequency(rows[0], sfreq, criteria.mains_hz, min_ratio=criteria.mains_auto_ratio)
        plan = _emg.emg_plan(sfreq, criteria, mains)
    else:
        plan = _accel.accel_plan(sfreq, criteria, len(rows_idx))
    k = plan.decim                     # decisions are taken every k-th sample
    block = plan.block_n               # in decision-grid samples
    grid = block * k                   # chunk boundaries: whole blocks of the grid
    if chunk_seconds is None:
        # A leg's scratch arrays hold one chunk: in a short recording, at least
        # MIN_CHUNKS of them, so that memory stays a small multiple of the signal.
        chunk_seconds = min(DEFAULT_CHUNK_SECONDS, max(n / MIN_CHUNKS, 4 * plan.overlap) / sfreq)
    if math.isinf(chunk_seconds) or chunk_seconds * sfreq >= n:
        core = -(-n // grid) * grid
    else:
        core = max(int(chunk_seconds * sfreq), 4 * plan.overlap)
        core = max(grid, (core // grid) * grid)
    nf = -(-n // k)
    arrays: dict[str, np.ndarray] = {}
    bits: list[str] = []
    flags = None
    peaks = np.zeros(-(-nf // block))
    rests = np.zeros(len(peaks))
    raw_peaks = np.zeros(len(peaks)) if modality == "emg" else None
    work = Workspace()
    for ea, eb, a, b in chunk_bounds(n, core, plan.overlap):
        seg = rows[:, ea:eb]
        if seg.dtype != np.float64 or quality.has_gap(ea, eb):
            seg = quality.fill(np.array(seg, dtype=np.float64), ea)
        gaps = quality.gaps
        gaps = np.clip(gaps[(gaps[:, 1] > ea) & (gaps[:, 0] < eb)], ea, eb) - ea if len(gaps) else None
        if modality == "emg":
            feats = _emg.emg_features(seg[0], plan, work, gaps)
        else:
            feats = _accel.accel_features(seg, plan, work, gaps)
        fa, fb = a // k, -(-b // k)          # core on the grid (ea, a are multiples of k)
        la, lb = (a - ea) // k, (a - ea) // k + fb - fa
        for name in names:
            if feats[name].dtype == bool:    # decisions: one bit each, a byte per grid sample for all
                if flags is None:
                    flags = np.zeros(nf, dtype=np.uint8)
                if name not in bits:
                    bits.append(name)
                flags[fa:fb] |= feats[name][la:lb].view(np.uint8) << bits.index(name)
                continue
            if name not in arrays:
                arrays[name] = np.zeros(nf, dtype=_STORED_AS.get((modality, name), feats[name].dtype))
            arrays[name][fa:fb] = feats[name][la:lb]
        blocks = slice(fa // block, -(-fb // block))
        peaks[blocks] = block_reduce(feats["excess"][la:lb], block, "max")
        rests[blocks] = block_reduce(feats["rest"][la:lb], block, "mean")
        if raw_peaks is not None:
            raw_peaks[blocks] = block_reduce(feats["raw_excess"][la:lb], block, "max")
        del seg, feats

    # No LM may start inside a gap, non-wear or clipped stretch, nor within
    # the filters' start-up transient next to one or next to either end of
    # the recording (a filter started on hum or on a filled gap rings).
    guard = filters.settle_samples(plan.sos, 1e-3) + 2 * plan.smooth_n
    bad = np.vstack([quality.gaps, quality.nonwear, quality.clipped, [[-guard, 0], [n, n + guard]]])
    bad = merge_intervals(bad + np.array([-guard, guard]))
    return LegFeatures(modality=modality, arrays=arrays, peaks=peaks, decim=k, rate=sfreq / k, block=block, n=n,
                       bad=bad, quality=quality, flags=flags, bits=tuple(bits), rests=rests, raw_peaks=raw_peaks,
                       n_axes=len(rows_idx))


def leg_events(features: LegFeatures, decisions: dict, criteria) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """LMs of one leg from its stitched decision arrays.

    Parameters
    ----------
    features : LegFeatures
    decisions : dict of str to ndarray
        The arrays :data:`DECISIONS` names for the modality, on the grid.
    criteria : Criteria

    Returns
    -------
    onset, offset : ndarray of int64
        Sample indices, offset exclusive.
    amplitude : ndarray of float
        Peak envelope above the resting level (uV) or peak movement size (g).
    """
    block = features.block
    if features.modality == "emg":
        onset, offset = _emg.emg_events(decisions["on"], decisions["quiet"], decisions["morph"], features.rate,
                                        criteria, found=decisions["found"], lift=decisions["lift"])
        peak = _event_peaks(features.raw_peaks, onset, offset, block)
        long_enough = _emg.unsmeared_duration(onset, offset, peak, features.rests[onset // block], features.rate,
                                              criteria) >= criteria.lm_min_duration
        onset, offset = onset[long_enough], offset[long_enough]
    else:
        size = np.asarray(decisions["excess"], dtype=np.float32)
        onset, offset = _accel.accel_events(decisions["on"], decisions["active"], features.rate, criteria,
                                            size=size, rest=features.rests, block=block, n_axes=features.n_axes)
    k, bad = features.decim, features.bad
    amplitude = _event_peaks(features.peaks, onset, offset, features.block)
    onset, offset = onset * k, np.minimum(offset * k, features.n)
    if len(onset):
        pos = np.searchsorted(bad[:, 0], onset, side="right") - 1
        inside = (pos >= 0) & (onset < bad[np.maximum(pos, 0), 1])
        onset, offset, amplitude = onset[~inside], offset[~inside], amplitude[~inside]
    return onset, offset, amplitude


def leg_levels(features: LegFeatures, criteria) -> dict:
    """Resting noise level and effective thresholds of one leg over its analysed time.

    Medians (and 5th-95th percentiles) over the 0.5 s blocks outside gaps,
    non-wear and clipping. EMG thresholds are the resting level plus
    ``emg_onset_uv`` / ``emg_offset_uv``; accelerometer thresholds are on the
    movement size, the larger of floor and multiple of the noise.

    Parameters
    ----------
    features : LegFeatures
    criteria : Criteria

    Returns
    -------
    dict
        ``unit``, ``noise``, ``onset_threshold``, ``offset_threshold`` (and
        ``..._p5_p95``), to 4 significant digits; for accelerometers
        ``floor_limited``, the fraction of blocks in which the onset floor was
        the larger.
    """
    q = features.quality
    bad = merge_intervals(np.vstack([q.gaps, q.nonwear, q.clipped]))
    per = features.block * features.decim
    keep = np.ones(len(features.rests), bool)
    for a, b in bad.astype(np.int64):  # a few excluded stretches
        keep[a // per: -(-b // per)] = False
    r = features.rests[keep] if keep.any() else features.rests
    if features.modality == "emg":
        onset, offset, unit = r + criteria.emg_onset_uv, r + criteria.emg_offset_uv, "uV"
    else:
        onset = np.maximum(criteria.accel_onset_g, criteria.accel_onset_noise * r)
        offset = np.maximum(criteria.accel_offset_g, criteria.accel_offset_noise * r)
        unit = "g"
    def estimate(v: float) -> float:
        return float(f"{v:.4g}")   # levels estimated from the signal: 4 significant digits

    out: dict = {"unit": unit}
    for name, x in (("noise", r), ("onset_threshold", onset), ("offset_threshold", offset)):
        lo, mid, hi = np.percentile(x, [5, 50, 95]) if len(x) else (np.nan,) * 3
        out[name], out[name + "_p5_p95"] = estimate(mid), [estimate(lo), estimate(hi)]
    if features.modality == "accel":
        out["floor_limited"] = round(float(np.mean(onset <= criteria.accel_onset_g)), 3) if len(r) else None
    return out


def detect_leg(
    recording,
    side: str,
    criteria,
    *,
    chunk_seconds: float | None = None,
    quality: QualityReport | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, QualityReport, dict]:
    """Detect the LMs of one leg.

    Parameters
    ----------
    recording, side, criteria, chunk_seconds, quality
        As for :func:`leg_features`.

    Returns
    -------
    onset, offset : ndarray of int64
        Sample indices, offset exclusive.
    amplitude : ndarray of float
        Peak envelope above the resting level (uV) or peak movement size (g).
    quality : QualityReport
    levels : dict
        :func:`leg_levels`.
    """
    # The decisions are kept for the whole signal as bits (1 byte a grid sample),
    # and for accelerometers the movement size (float32).
    names = DECISIONS.get(recording.modality, ())
    feats = leg_features(recording, side, criteria, names, chunk_seconds=chunk_seconds, quality=quality)
    onset, offset, amplitude = leg_events(feats, feats.unpacked(), criteria)
    return onset, offset, amplitude, feats.quality, leg_levels(feats, criteria)


class _Rows:
    """Some rows of a 2-D array, indexed like an array without copying them all."""

    def __init__(self, data: np.ndarray, idx: list[int]) -> None:
        self._data = data
        self._idx = list(idx)
        # consecutive rows (the usual x, y, z or a single EMG row): slicing gives views
        if all(j - i == 1 for i, j in zip(self._idx, self._idx[1:])):
            self._rows = slice(self._idx[0], self._idx[-1] + 1)
        else:
            self._rows = self._idx
        self.shape = (len(self._idx), data.shape[1])

    def __getitem__(self, key):
        # rows[:, a:b] copies only that stretch; rows[i] and rows[i, a:b] are views
        if isinstance(key, tuple):
            r, c = key
            if isinstance(r, slice) and r == slice(None):
                return self._data[self._rows, c]
            return self._data[self._idx[r], c]
        return self._data[self._idx[key]]


def _event_peaks(peaks: np.ndarray, onset: np.ndarray, offset: np.ndarray, block: int) -> np.ndarray:
    if len(onset) == 0:
        return np.zeros(0)
    b0 = onset // block
    b1 = (offset - 1) // block + 1
    # Maximum over each event's blocks without a loop: reduceat over the
    # sorted start/stop boundaries (events do not overlap and are ordered).
    bounds = np.column_stack([b0, b1]).reshape(-1)
    red = np.maximum.reduceat(np.r_[peaks, -np.inf], bounds)[::2]
    return red


def detect_recording(
    recording, criteria, *, chunk_seconds: float | None = None, threads: int | None = None
) -> LegMovements:
    """Detect monolateral LMs in every leg of a recording.

    Parameters
    ----------
    recording : Recording
        Leg EMG (uV) or ankle accelerometry (g) with channel sides.
    criteria : Criteria
    chunk_seconds : float, optional
        Core chunk length in seconds (default
        :data:`DEFAULT_CHUNK_SECONDS`); ``math.inf`` = whole signal at once.
        Results do not depend on it.
    threads : int, optional
        Legs detected at the same time, one per thread (the filters and
        array operations release the GIL). Default: one per leg, up to
        the CPUs this process may use (:func:`plm.threads.available_cpus`); 1 runs the
        legs one after the other (what a batch worker running beside
        others should do). Results do not depend on it.

    Returns
    -------
    LegMovements
        LMs of both legs with the recording's start time, duration, staging,
        respiratory events, arousals, lights and the excluded intervals
        (union over legs of gaps, non-wear and clipping, seconds).
    """
    sides = recording.sides
    if not sides:
        raise InputError(recording.source or None, "no channel is marked as a left or right leg signal")
    per_leg = map_in_threads(lambda side: detect_leg(recording, side, criteria, chunk_seconds=chunk_seconds),
                             sides, threads)
    return leg_movements(recording, sides, per_leg, warn=True)


def leg_movements(recording, sides, per_leg, *, warn: bool = True) -> LegMovements:
    """The :class:`LegMovements` of per-leg detections, with the recording's context.

    Parameters
    ----------
    recording : Recording
    sides : sequence of str
    per_leg : sequence of (onset, offset, amplitude, QualityReport, levels)
        As :func:`detect_leg` returns, one per side; the levels
        (:func:`leg_levels`) go to the context's ``detection``.
    warn : bool
        Warn about excluded stretches (the notes are kept either way).

    Returns
    -------
    LegMovements
    """
    onsets, durations, side_col, amps, excluded = [], [], [], [], []
    sfreq = recording.sfreq
    notes = []
    detection: dict = {"modality": recording.modality}
    for side, (on, off, amp, q, levels) in zip(sides, per_leg):
        detection[side] = levels
        onsets.append(on / sfreq)
        durations.append((off - on) / sfreq)
        side_col.append(np.full(len(on), side, dtype="<U5"))
        amps.append(amp)
        excluded.append(q.excluded)
        for note in quality_notes(q, side):
            notes.append(note)
            if warn:
                warnings.warn(f"{recording.source or 'recording'}: {note}", UserWarning, stacklevel=4)
    # The LMs keep the recording's context (start, length, lights, staging,
    # events, night facts, the reader's warnings), adding what detection found.
    context = recording.context.replace(excluded=merge_intervals(np.vstack(excluded)),
                                        detection=detection).with_warnings(notes)
    return LegMovements(
        onset=np.concatenate(onsets),
        duration=np.concatenate(durations),
        side=np.concatenate(side_col),
        amplitude=np.concatenate(amps),
        context=context,
    )


def quality_notes(q: QualityReport, side: str) -> list[str]:
    """One line per kind of excluded stretch of a leg, for the result's notes."""
    out = []
    for what, iv in (("missing samples (gap)", q.gaps), ("non-wear (flat, or still at a fixed orientation)", q.nonwear),
                     ("clipped (saturated) signal", q.clipped)):
        iv = np.asarray(iv).reshape(-1, 2)
        if len(iv):
            minutes = float((iv[:, 1] - iv[:, 0]).sum()) / q.sfreq / 60.0
            out.append(f"{side} leg: {minutes:.1f} min of {what} in {len(iv)} stretch(es) excluded from analysis time")
    if len(q.held):
        minutes = float((q.held[:, 1] - q.held[:, 0]).sum()) / q.sfreq / 60.0
        out.append(f"{side} leg: {minutes:.1f} min of idle-sleep mode in {len(q.held)} stretch(es) (the device "
                   "stored no samples while still; its last sample is held) counted as worn, still time")
    return out
