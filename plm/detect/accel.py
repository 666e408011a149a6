"""Leg-movement detection on tri-axial ankle accelerometry: deviation from the posture.

At the ankle a leg movement mostly *tilts* the foot: the gravity vector seen
by the sensor turns by a few to tens of degrees within a few hundred ms, then
returns (the foot relaxes, or is held and lowered); the movement also adds
dynamic acceleration and tremor. So the detector measures how far the
acceleration vector is from the foot's resting posture, whatever the
frequency content (sources and reasons in ``docs/detection.md``):

1. **posture**: per axis, 0.5 s (``detect_block``) block means; the posture
   before each block is their median over the ``accel_posture_window`` s
   before it, the posture after it the median over the same length after it.
   Movements (0.5-10 s, a small part of either window) do not move a
   median; turning over to a new posture does, within half a window;
2. **deviation envelope**: the moving RMS over ``accel_smoothing`` s of the
   vector distance from each posture, and the smaller of the two. Before a
   change of posture the earlier posture fits, after it the later one, so a
   change of posture is a movement only while the foot turns; a held tilt
   fits neither and stays one movement;
3. **resting noise**: the resting level of that envelope (a low percentile
   in a sliding window, as the EMG resting level:
   :func:`plm.detect.baseline.resting_level`), the RMS of the sensor noise
   vector, recomputed through the night;
4. **movement size**: the envelope with the resting noise power removed,
   ``sqrt(envelope**2 - rest**2)``, g (about the tilt angle in radians, or
   the RMS of the dynamic acceleration);
5. **hysteresis**: a movement runs while its size is at or above the offset
   threshold ``max(accel_offset_g, accel_offset_noise x rest)``, drop-outs
   shorter than ``accel_bridge_gap`` are bridged, and only runs that reach
   the onset threshold ``max(accel_onset_g, accel_onset_noise x rest)``
   count; the onset is where the size began to rise towards the offset
   threshold (its last local minimum before the crossing, plus half the
   smoothing window); the offset where it falls below the offset
   threshold: for a slow relaxation, where the foot is back;
6. minimum duration ``lm_min_duration``, less the widening by the
   smoothing window.

Steps 1-5 are local and run on overlapping chunks; the events are found once
on the stitched boolean masks.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from . import filters
from .baseline import block_reduce, block_samples, resting_level
from .runs import find_runs, first_index_in, runs, span_max
from .workspace import Workspace

__all__ = ["AccelPlan", "accel_plan", "accel_envelope", "accel_features", "accel_decisions", "accel_events",
           "posture", "smoothing_seconds", "MIN_NOISE_SAMPLES"]

#: Fewest squared noise samples (axes x window samples) in the smoothing
#: window. The mean of k squared Gaussian samples has a relative spread of
#: sqrt(2 / k): at 10 Hz a 0.25 s window on 3 axes holds 3 x 2-3 of them, and
#: noise alone would then cross a threshold of 2.5 x its level several times
#: an hour; 12 keep that rare at every rate (``docs/detection.md``).
MIN_NOISE_SAMPLES = 12


@dataclass(frozen=True)
class AccelPlan:
    """Window lengths, thresholds and chunk overlap for accelerometer detection (see :func:`accel_plan`)."""

    sfreq: float
    decim: int
    rate: float
    smooth_n: int
    block_n: int
    posture_blocks: int
    baseline_window: float
    baseline_percentile: float
    block: float
    onset_g: float
    offset_g: float
    onset_noise: float
    offset_noise: float
    overlap: int
    sos: np.ndarray

    def __hash__(self) -> int:
        return id(self)


def accel_plan(sfreq: float, criteria, n_axes: int = 3) -> AccelPlan:
    """Build the :class:`AccelPlan` for a sampling rate and criteria.

    Parameters
    ----------
    sfreq : float
        Sampling rate, Hz.
    criteria : Criteria
    n_axes : int
        Channels of the leg (3, or 1 for a single axis or a magnitude).

    Returns
    -------
    AccelPlan
    """
    smooth_n = int(round(smoothing_seconds(sfreq, criteria, n_axes) * sfreq))
    block_n = block_samples(sfreq, criteria.detect_block)
    # an odd number of blocks so that the median window has a centre block
    half = max(1, int(np.ceil(criteria.accel_posture_window * sfreq / block_n / 2.0)))
    posture_blocks = 2 * half + 1
    base_n = int(np.ceil(criteria.accel_noise_window * sfreq))
    # Each output sample depends on: the posture medians (the window and the
    # block beside it, on each side), the RMS window, half the resting-level
    # window plus three blocks (block means and interpolation).
    need = (posture_blocks + 2) * block_n + smooth_n + base_n // 2 + 3 * block_n
    overlap = int(np.ceil(need / block_n)) * block_n
    return AccelPlan(
        sfreq=float(sfreq),
        decim=1,
        rate=float(sfreq),
        smooth_n=smooth_n,
        block_n=block_n,
        posture_blocks=posture_blocks,
        baseline_window=float(criteria.accel_noise_window),
        baseline_percentile=float(criteria.accel_noise_percentile),
        block=float(criteria.detect_block),
        onset_g=float(criteria.accel_onset_g),
        offset_g=float(criteria.accel_offset_g),
        onset_noise=float(criteria.accel_onset_noise),
        offset_noise=float(criteria.accel_offset_noise),
        overlap=overlap,
        # no filter: kept for the pipeline's edge guard (settling time 0)
        sos=np.zeros((0, 6)),
    )


def posture(xyz: np.ndarray, plan: AccelPlan) -> tuple[np.ndarray, np.ndarray]:
    """Posture before and after each block: medians of block means over the posture window.

    Parameters
    ----------
    xyz : array, shape (3, n)
        Acceleration, g; ``xyz[:, 0]`` starts a block.
    plan : AccelPlan

    Returns
    -------
    before, after : ndarray, shape (3, n_blocks)
        For block ``j``: the median of the ``posture_blocks`` block means
        ending just before it, and of those starting just after it (ends
        repeated at the edges of the stretch).
    """
    means = np.vstack([block_reduce(row, plan.block_n, "mean") for row in xyz])
    size = plan.posture_blocks
    # one 1-D median per axis: scipy's 1-D rank filter is a running-window
    # algorithm, the N-D one sorts every window (20x slower here)
    centred = np.vstack([ndimage.median_filter(row, size=size, mode="nearest") for row in means])
    nb = means.shape[1]
    h = size // 2
    j = np.arange(nb)
    before = centred[:, np.clip(j - 1 - h, 0, nb - 1)]
    after = centred[:, np.clip(j + 1 + h, 0, nb - 1)]
    return before, after


def _distance_rms(xyz: np.ndarray, base: np.ndarray, plan: AccelPlan, out: np.ndarray, tmp: np.ndarray) -> np.ndarray:
    """Moving mean over ``smooth_n`` samples of the squared distance of ``xyz`` from a block-wise posture."""
    n = xyz.shape[1]
    out[:] = 0.0
    for k in range(xyz.shape[0]):  # the axes (three, or one magnitude channel)
        np.subtract(xyz[k], np.repeat(base[k], plan.block_n)[:n], out=tmp)
        np.multiply(tmp, tmp, out=tmp)
        out += tmp
    return ndimage.uniform_filter1d(out, plan.smooth_n, mode="nearest", output=out)


def accel_envelope(xyz: np.ndarray, plan: AccelPlan, work: Workspace | None = None) -> np.ndarray:
    """Deviation envelope: moving RMS of the distance from the best-fitting posture, g.

    The candidates are the posture before, the posture after, and their
    mean (:func:`posture`).

    Parameters
    ----------
    xyz : array, shape (3, n)
        Acceleration, g, without NaN; ``xyz[:, 0]`` starts a block.
    plan : AccelPlan
    work : Workspace, optional
        Scratch arrays kept between the chunks of one leg.

    Returns
    -------
    ndarray, shape (n,)
    """
    xyz = np.asarray(xyz, dtype=np.float64)
    n = xyz.shape[1]
    if work is None:
        work = Workspace()
    before, after = posture(xyz, plan)
    tmp = work.get("tmp", (n,))
    other = work.get("other", (n,))
    env = _distance_rms(xyz, before, plan, np.empty(n), tmp)
    np.minimum(env, _distance_rms(xyz, after, plan, other, tmp), out=env)
    # their mean: the posture now when it drifts (each median lags by half a window)
    np.minimum(env, _distance_rms(xyz, (before + after) / 2, plan, other, tmp), out=env)
    np.maximum(env, 0.0, out=env)
    return np.sqrt(env, out=env)


def accel_features(xyz: np.ndarray, plan: AccelPlan, work: Workspace | None = None,
                   gaps: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Per-sample decisions on one stretch of accelerometry.

    Parameters
    ----------
    xyz, plan, work
        As for :func:`accel_envelope`.
    gaps : array, shape (k, 2), optional
        Sample intervals of ``xyz`` that are filled gaps (left out of the
        resting noise level).

    Returns
    -------
    dict
        ``on`` (size >= onset threshold), ``active`` (>= offset threshold),
        both bool; ``excess`` (the movement size, g) and ``rest`` (the
        resting noise level, g).
    """
    env = accel_envelope(xyz, plan, work)
    rest = resting_level(env, plan.rate, plan.baseline_window, plan.baseline_percentile, plan.block, gaps)
    # movement size: the envelope's power above the resting noise power
    size = np.square(env, out=env)
    size -= rest * rest
    np.maximum(size, 0.0, out=size)
    np.sqrt(size, out=size)
    # decided on the size as kept for the night (float32), so that decisions
    # remade from the kept size (plm.detect.cached) are the same
    on, active = accel_decisions(size.astype(np.float32), rest, plan.onset_g, plan.offset_g, plan.onset_noise,
                                 plan.offset_noise)
    return {"on": on, "active": active, "excess": size, "rest": rest}


def accel_decisions(size: np.ndarray, rest: np.ndarray, onset_g: float, offset_g: float, onset_noise: float,
                    offset_noise: float) -> tuple[np.ndarray, np.ndarray]:
    """The threshold step of accelerometer detection: *on* and *active* samples.

    Parameters
    ----------
    size : ndarray
        Movement size, g (``accel_features(...)["excess"]``).
    rest : ndarray
        Resting noise level at each sample, g (``accel_features(...)["rest"]``).
    onset_g, offset_g, onset_noise, offset_noise : float
        ``criteria.accel_onset_g``, ``accel_offset_g``, ``accel_onset_noise``
        and ``accel_offset_noise``.

    Returns
    -------
    on, active : ndarray of bool
        ``size >= max(onset_g, onset_noise x rest)`` and ``size >=
        max(offset_g, offset_noise x rest)``.
    """
    return size >= np.maximum(onset_g, onset_noise * rest), size >= np.maximum(offset_g, offset_noise * rest)


def smoothing_seconds(sfreq: float, criteria, n_axes: int = 3) -> float:
    """Length of the deviation envelope's moving-RMS window at ``sfreq``, s (see :data:`MIN_NOISE_SAMPLES`)."""
    return max(-(-MIN_NOISE_SAMPLES // max(n_axes, 1)), int(round(criteria.accel_smoothing * sfreq))) / sfreq


def accel_events(on: np.ndarray, active: np.ndarray, sfreq: float, criteria, size: np.ndarray | None = None,
                 rest: np.ndarray | None = None, block: int = 1, n_axes: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Leg movements from stitched accelerometer decisions (hysteresis).

    Parameters
    ----------
    on, active : array of bool, shape (n,)
        From :func:`accel_features`.
    sfreq : float
    criteria : Criteria
        ``accel_bridge_gap``, ``lm_min_duration`` and (with ``size``)
        ``accel_smoothing`` and the threshold fields are used.
    size : array, shape (n,), optional
        Movement size (:func:`accel_features` ``excess``). With it, the
        0.5 s minimum applies to the duration less the widening by the
        smoothing window (a centred window reaches a movement before it
        starts and leaves it after it ends:
        :func:`plm.detect.filters.window_widening`).
    rest : array, optional
        Resting noise level per block of ``block`` samples (needed with
        ``size``).
    block : int
    n_axes : int
        Channels of the leg (sets the smoothing window, :func:`accel_plan`).

    Returns
    -------
    onsets, offsets : array of int64
        Sample indices (offset exclusive). The onset is where the movement
        last rose through the offset threshold before reaching the onset
        threshold (the start of its own run of ``active`` samples); with
        ``size``, moved back to where the deviation began to rise (see the
        comment in the code).
    """
    bridge_n = int(round(criteria.accel_bridge_gap * sfreq))
    a0, a1 = runs(active, bridge=bridge_n)
    first_on = first_index_in(np.flatnonzero(on & active), a0, a1)
    found = first_on >= 0
    first_on, offset = first_on[found], a1[found]
    r0, _ = find_runs(active)
    k = np.searchsorted(r0, first_on, side="right") - 1
    onset = r0[k] if len(r0) else first_on
    if size is None:
        keep = (offset - onset) >= int(round(criteria.lm_min_duration * sfreq))
        return onset[keep], offset[keep]
    w = smoothing_seconds(sfreq, criteria, n_axes)
    power = span_max(size, onset, offset).astype(np.float64) ** 2
    off2 = np.maximum(criteria.accel_offset_g, criteria.accel_offset_noise * rest[onset // block]) ** 2
    # The size is the envelope with the noise power removed, so its levels
    # are powers above rest already.
    keep = (offset - onset) / sfreq - filters.window_widening(w, power, off2, off2) >= criteria.lm_min_duration
    onset, offset = onset[keep], offset[keep]
    # The centred window makes the smoothed size start to rise w/2 before the
    # deviation does: walk back from the crossing to the last local minimum of
    # the size (not into the previous movement) and w/2 forward from there,
    # never past the crossing. A tilt that rises over a few hundred ms crosses
    # the threshold well after it started; a sudden movement hardly moves.
    d = np.diff(size)
    minima = np.flatnonzero((d[:-1] <= 0) & (d[1:] > 0)) + 1
    del d
    j = np.searchsorted(minima, onset, side="right") - 1
    start = np.where(j >= 0, minima[np.maximum(j, 0)] if len(minima) else onset, onset)
    start = np.maximum(start, np.r_[0, offset[:-1]])
    onset = np.minimum(start + int(round(w / 2 * sfreq)), onset)
    return onset, offset
