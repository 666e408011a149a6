"""Plausibility bounds: what a real night's signals and scored events can hold.

A file can be well formed and still describe something no leg and no
recorder produces: gravity of 0.1 g at rest (data in g labelled m/s^2), leg
EMG sampled at 32 Hz, a leg movement lasting 1500 s (milliseconds taken as
seconds), a start in the year 9999. Scored as they are, such files give a
confident but wrong PLM index. The checks here refuse them with one line
naming the file and the problem (:class:`~plm.errors.InputError`), or
convert or exclude with a warning that the night's summary keeps in
``notes``. Every bound, and what happens beyond it, is listed in
``docs/bad_input.md``.

Every raw recording passes :func:`check_recording`: :func:`plm.read` calls
it on what each reader returns, and :func:`plm.score` on a recording it is
handed. A recording that passed once passes again unchanged and without a
new warning, so a night cut from a checked recording is not reported twice.
Scored-event files pass :func:`check_leg_movement_rows`.

This module sits below the model objects (it imports only :mod:`plm.errors`)
so that :class:`~plm.model.recording.Recording` and
:class:`~plm.model.leg_movements.LegMovements` can use its date bound.
"""
from __future__ import annotations

import datetime as _dt
import math
import os
import warnings
from typing import Any, Sequence

import numpy as np

from .errors import InputError

__all__ = [
    "check_recording",
    "check_start_time",
    "check_rate",
    "check_size",
    "check_leg_movement_rows",
    "gravity_magnitude",
    "EARLIEST_YEAR",
    "LATEST_YEAR",
    "MIN_EMG_HZ",
    "RECOMMENDED_EMG_HZ",
    "MAX_EMG_HZ",
    "MIN_ACCEL_HZ",
    "MAX_ACCEL_HZ",
    "MAX_RECORDING_DAYS",
    "MAX_CHANNELS",
    "GRAVITY_RANGE_G",
    "ABSURD_SAMPLE",
    "MAX_LM_SECONDS",
    "MAX_MEDIAN_LM_SECONDS",
]

#: Years a recording may start in. Outside them the date is a default or a
#: damaged field, and date arithmetic (noon-to-noon nights) would overflow.
EARLIEST_YEAR, LATEST_YEAR = 1900, 2100
#: Leg EMG below this rate is refused: the WASM 2016 standard asks for
#: >= 200 Hz (a 10-100 Hz band needs it); at 100 Hz the band is already cut at
#: the Nyquist frequency, and at 32-64 Hz most movements are lost.
MIN_EMG_HZ = 100.0
#: Leg EMG from MIN_EMG_HZ up to this rate is scored with a warning.
RECOMMENDED_EMG_HZ = 200.0
#: PSG amplifiers record at 200-2048 Hz, research systems up to 16 kHz.
MAX_EMG_HZ = 20_000.0
#: Ankle accelerometers record at 10-100 Hz (PAM-RL 40 Hz, ActiGraph 30-100,
#: GENEActiv 10-100, Axivity 12.5-3200); below 10 Hz a 0.5 s movement is a
#: handful of samples.
MIN_ACCEL_HZ = 10.0
MAX_ACCEL_HZ = 10_000.0
#: Per leg-signal kind: its name in messages, lowest and highest rate, advice after the lowest.
_RATE_BOUNDS = {
    "emg": ("EMG", MIN_EMG_HZ, MAX_EMG_HZ, f"; the WASM standard asks for {RECOMMENDED_EMG_HZ:g} Hz or more"),
    "accel": ("accelerometer", MIN_ACCEL_HZ, MAX_ACCEL_HZ, ""),
}
#: Longest recording accepted: multi-night ankle recordings last days to a few weeks.
MAX_RECORDING_DAYS = 60.0
#: Most channels one recording may declare (the leg signals are 2-6 of them).
MAX_CHANNELS = 1024
#: Median magnitude of the acceleration while the leg is still, in g, accepted
#: as gravity. Calibrated devices read 0.95-1.05 g.
GRAVITY_RANGE_G = (0.7, 1.3)
#: Samples beyond these magnitudes are not a leg signal (accelerometers worn on
#: the ankle record +-8 or +-16 g, surface EMG stays below about 10 mV): they
#: are treated as missing samples (gaps) and reported.
ABSURD_SAMPLE = {"accel": 100.0, "emg": 1e5}
_UNIT_OF = {"accel": "g", "emg": "uV"}
#: Above this share of absurd samples in a leg they are not glitches: the unit is wrong.
_MAX_ABSURD_SHARE = 0.01
#: A scored leg movement longer than this (s) is refused: leg movements last
#: 0.5-10 s, long ones up to a minute.
MAX_LM_SECONDS = 600.0
#: Median LM duration (s) above which the durations look like milliseconds.
MAX_MEDIAN_LM_SECONDS = 60.0

#: Unit mix-ups the gravity check recognises: the factor that turns the values
#: as read (taken to be g) into g, and what the mix-up was.
_UNIT_MIXUPS = {
    9.80665: "data in g labelled m/s^2",
    1 / 9.80665: "data in m/s^2 labelled g",
    1e-3: "data in mg labelled g",
    1e3: "data in g labelled mg",
    9.80665e-3: "data in mg labelled m/s^2",
    1e3 / 9.80665: "data in m/s^2 labelled mg",
}
#: Blocks of 1 s sampled for the gravity estimate (bounded work and memory
#: however long the recording).
_GRAVITY_BLOCKS = 4096
#: A block is still when every axis varies by less than this share of the
#: block's mean magnitude (a ratio, so it holds in whatever unit the data are).
_STILL_RATIO = 0.05
#: Share of the sampled blocks that must be still for the estimate to count (a
#: sleeping leg is still most of the night).
_MIN_STILL_SHARE = 0.25
_SCAN_CHUNK = 1 << 20


# ------------------------------------------------------------------ dates
def check_start_time(source: str | os.PathLike | None, start: _dt.datetime | None, what: str = "start time") -> None:
    """Refuse a start time outside :data:`EARLIEST_YEAR`-:data:`LATEST_YEAR`.

    Parameters
    ----------
    source : path-like or None
        File named in the error.
    start : datetime or None
        None passes (no start time known).
    what : str
        Name of the field in the message.
    """
    if start is None:
        return
    if not EARLIEST_YEAR <= start.year <= LATEST_YEAR:
        raise InputError(source or None, f"{what} {start.isoformat()} is not a plausible recording date; "
                                         f"expected a year from {EARLIEST_YEAR} to {LATEST_YEAR}")


# ------------------------------------------------------------------ rates and sizes
def check_rate(source: str | os.PathLike | None, sfreq: float, modality: str, channel: str | None = None) -> str | None:
    """Check a sampling rate against the bounds of the leg-signal kind.

    Parameters
    ----------
    source : path-like or None
    sfreq : float
        Hz.
    modality : {"emg", "accel", "other"}
    channel : str, optional
        Channel named in the message (a file whose channels have their own rates).

    Returns
    -------
    str or None
        A warning (EMG between :data:`MIN_EMG_HZ` and
        :data:`RECOMMENDED_EMG_HZ`), else None.

    Raises
    ------
    InputError
        Not a positive finite number, or outside the kind's bounds.
    """
    where = "" if channel is None else f"channel {channel!r}: "
    try:
        sfreq = float(sfreq)
    except (TypeError, ValueError):
        raise InputError(source or None, f"{where}sampling rate {sfreq!r} is not a number of Hz") from None
    if not math.isfinite(sfreq) or sfreq <= 0:
        raise InputError(source or None, f"{where}sampling rate {sfreq!r}; expected a positive number of Hz")
    bounds = _RATE_BOUNDS.get(modality)
    if bounds is None:
        return None
    kind, lo, hi, advice = bounds
    if sfreq > hi:
        raise InputError(source or None, f"{where}{kind} sampling rate {sfreq:g} Hz is implausibly high "
                                         f"(above {hi:g} Hz)")
    if sfreq < lo:
        raise InputError(source or None, f"{where}{kind} sampling rate {sfreq:g} Hz is too low to detect leg "
                                         f"movements (at least {lo:g} Hz{advice})")
    if modality == "emg" and sfreq < RECOMMENDED_EMG_HZ:
        return (f"{where}EMG sampled at {sfreq:g} Hz, below the {RECOMMENDED_EMG_HZ:g} Hz the WASM standard asks "
                f"for: the 10-100 Hz EMG band is cut at {sfreq / 2:g} Hz and small movements may be missed")
    return None


def check_size(source: str | os.PathLike | None, n_channels: int, n_samples: int, sfreq: float,
               itemsize: int = 8) -> None:
    """Refuse a signal array too large to be one recording, before it is allocated.

    Parameters
    ----------
    source : path-like or None
    n_channels, n_samples : int
        Shape the reader is about to allocate.
    sfreq : float
        Hz (already checked with :func:`check_rate`).
    itemsize : int
        Bytes per sample in memory; 0 skips the memory bound (for signals
        already in memory).

    Raises
    ------
    InputError
        More than :data:`MAX_CHANNELS` channels, longer than
        :data:`MAX_RECORDING_DAYS`, or larger than this machine's memory.
    """
    if n_channels > MAX_CHANNELS:
        raise InputError(source or None, f"{n_channels} signal channels; a leg recording has at most {MAX_CHANNELS}")
    days = n_samples / sfreq / 86400.0
    if days > MAX_RECORDING_DAYS:
        raise InputError(source or None, f"{n_samples} samples at {sfreq:g} Hz make {days:.3g} days; a recording "
                                         f"lasts at most {MAX_RECORDING_DAYS:g} days (is the sampling rate right?)")
    need = float(n_channels) * n_samples * itemsize
    total = _physical_memory()
    if total is not None and need > total:
        raise InputError(source or None, f"the signals need {need / 2 ** 30:.1f} GiB of memory, more than this "
                                         f"machine has ({total / 2 ** 30:.1f} GiB)")


def _physical_memory() -> int | None:
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, OSError, ValueError):  # pragma: no cover - platform without sysconf
        return None


# ------------------------------------------------------------------ recordings
def check_recording(recording: Any, *, inplace: bool = False) -> Any:
    """Check a raw recording before it is scored; fix what can be fixed.

    In order: the legs' channels (one EMG channel, or one channel per
    accelerometer axis, per leg), the sampling rate (:func:`check_rate`) and
    length (:data:`MAX_RECORDING_DAYS`), non-finite and absurd samples
    (:data:`ABSURD_SAMPLE`; they become missing samples, which the detector
    excludes as gaps), and for accelerometers the gravity magnitude
    (:func:`gravity_magnitude` against :data:`GRAVITY_RANGE_G`): values off
    by a known unit factor (g, mg, m/s^2 mixed up) are converted, others
    refused.

    Parameters
    ----------
    recording : Recording
    inplace : bool
        Whether the signal array may be changed in place (a reader's own
        array). Otherwise a changed signal is a new array and the caller's
        is left alone.

    Returns
    -------
    Recording
        ``recording`` itself when nothing changed; else a copy with the new
        signal and the new warnings added to its context (each also issued
        as a ``UserWarning``; a warning the recording already has is not
        repeated).

    Raises
    ------
    InputError
        Two channels for one leg (or one axis of a leg), a rate or length
        out of bounds, or gravity that no unit mix-up explains.
    """
    source = recording.source or None
    check_start_time(source, recording.start_time)
    legs = _leg_channels(recording)
    if not legs:
        return recording
    modality = recording.modality
    notes = []
    rate_note = check_rate(source, recording.sfreq, modality)
    if rate_note:
        notes.append(rate_note)
    check_size(source, len(recording.channels), recording.n_samples, recording.sfreq, itemsize=0)  # allocated
    data = recording.data
    rows = sorted(i for idx in legs.values() for i in idx)
    bound = ABSURD_SAMPLE.get(modality)
    unit = _UNIT_OF.get(modality, "")

    def writable() -> np.ndarray:
        nonlocal data
        if data is recording.data and not (inplace and data.dtype.kind == "f" and data.flags.writeable):
            data = np.array(data, dtype=data.dtype if data.dtype.kind == "f" else np.float64)
        return data

    # One pass over each row in the usual case, where every sample is finite and within the bound.
    dirty = [i for i in rows if not _is_clean(data[i], bound)]
    # Non-finite samples first: they carry no unit, and the gravity estimate must not see them.
    bad = {i: n for i in dirty if (n := _count_bad(data[i], None))}
    if bad:
        out = writable()
        for i in bad:
            _set_missing(out[i], None)
        notes.append(_bad_note(recording, bad, "infinite"))
    converted = False  # a unit conversion changes which samples lie beyond the bound
    if modality == "accel":
        for side, idx in legs.items():
            held = recording.held_samples(side) if hasattr(recording, "held_samples") else None
            factor = _gravity_factor(recording, side, [data[i] for i in idx], recording.sfreq, held)
            if factor is not None:
                f, note = factor
                out = writable()
                for i in idx:
                    out[i] *= f
                notes.append(note)
                converted = True
    if bound is not None:
        bad = {i: n for i in (dirty if not converted else rows) if (n := _count_bad(data[i], bound))}
        for side, idx in legs.items():
            share = sum(bad.get(i, 0) for i in idx) / max(1, len(idx) * recording.n_samples)
            if share > _MAX_ABSURD_SHARE:
                raise InputError(source, f"{side} leg: {100 * share:.3g}% of the samples lie beyond +-{bound:g} "
                                         f"{unit}: the data are not in {unit} (raw counts?); fix the file's unit")
        if bad:
            out = writable()
            for i in bad:
                _set_missing(out[i], bound)
            notes.append(_bad_note(recording, bad, f"beyond +-{bound:g} {unit}, not a leg signal"))
    new = [n for n in notes if n not in recording.warnings]
    if data is recording.data and not new:
        return recording
    for note in new:
        warnings.warn(f"{recording.source or 'recording'}: {note}", UserWarning, stacklevel=3)
    return recording.replace(data=data, context=recording.context.with_warnings(new))


def _leg_channels(recording: Any) -> dict[str, list[int]]:
    """Rows of each leg's signal channels; two channels in one role are an error."""
    out: dict[str, list[int]] = {}
    roles: dict[tuple, int] = {}
    for i, c in enumerate(recording.channels):
        if c.side is None or c.modality not in ("emg", "accel"):
            continue
        role = (c.side, c.modality, c.axis if c.modality == "accel" else None)
        if role in roles:
            first = str(recording.channels[roles[role]].name)
            what = f"{c.side} leg's EMG" if c.modality == "emg" else (
                f"{c.side} leg's accelerometer {c.axis} axis" if c.axis else f"{c.side} leg's accelerometer")
            raise InputError(recording.source or None,
                             f"channels {first!r} and {str(c.name)!r} are both marked as the {what}; plm scores one "
                             "signal per leg (one channel per accelerometer axis): drop one or correct its side")
        roles[role] = i
        out.setdefault(c.side, []).append(i)
    for side, idx in out.items():
        if recording.channels[idx[0]].modality == "accel" and len(idx) > 3:
            raise InputError(recording.source or None,
                             f"{len(idx)} accelerometer channels for the {side} leg; expected at most 3 (x, y, z)")
    return out


def _chunk_clean(c: np.ndarray, bound: float | None) -> bool:
    """True when every sample of ``c`` is finite and within +-``bound`` (NaN, a gap, is fine)."""
    # fmax/fmin skip NaN without a warning; NaN only when every sample is
    hi, lo = np.fmax.reduce(c), np.fmin.reduce(c)
    limit = np.inf if bound is None else bound
    return bool(np.isnan(hi) or (np.isfinite(hi) and np.isfinite(lo) and -limit <= lo and hi <= limit))


def _is_clean(row: np.ndarray, bound: float | None) -> bool:
    """:func:`_chunk_clean` for a whole row, chunk by chunk (no full-length temporary)."""
    return all(_chunk_clean(row[a:a + _SCAN_CHUNK], bound) for a in range(0, row.size, _SCAN_CHUNK))


def _count_bad(row: np.ndarray, bound: float | None) -> int:
    """Samples of ``row`` that are infinite (``bound`` None) or beyond +-``bound``; NaN never counts."""
    n = 0
    for a in range(0, row.size, _SCAN_CHUNK):
        c = row[a:a + _SCAN_CHUNK]
        if not _chunk_clean(c, bound):
            with np.errstate(invalid="ignore"):
                n += int(np.count_nonzero(np.isinf(c) if bound is None else np.abs(c) > bound))
    return n


def _set_missing(row: np.ndarray, bound: float | None) -> None:
    for a in range(0, row.size, _SCAN_CHUNK):
        c = row[a:a + _SCAN_CHUNK]
        with np.errstate(invalid="ignore"):
            c[np.isinf(c) if bound is None else (np.abs(c) > bound)] = np.nan


def _bad_note(recording: Any, bad: dict[int, int], what: str) -> str:
    parts = ", ".join(f"{str(recording.channels[i].name)!r} {n}" for i, n in bad.items())
    return (f"{sum(bad.values())} sample(s) {what} ({parts}) are treated as missing samples (gaps) "
            "and excluded from analysis time")


# ------------------------------------------------------------------ gravity
def gravity_magnitude(rows: Sequence[np.ndarray], sfreq: float, exclude: np.ndarray | None = None) -> float | None:
    """Median magnitude of the acceleration in still stretches.

    Up to :data:`_GRAVITY_BLOCKS` blocks of 1 s (at most 128 samples), spread
    evenly over the recording, are examined; a block is still when every
    axis varies (standard deviation) by less than 5 % of the block's mean
    magnitude, a ratio that holds whatever the unit. At rest an
    accelerometer reads gravity alone, so the median magnitude of the still
    blocks is 1 g when the data are in g.

    Parameters
    ----------
    rows : sequence of ndarray
        One leg's axes, equally long (NaN = missing); views are fine, only
        the sampled blocks are copied.
    sfreq : float
    exclude : ndarray, shape (k, 2), optional
        Sorted sample intervals ``[start, stop)`` that are not measurements,
        e.g. where a device held its last sample (ActiGraph idle sleep):
        blocks overlapping them are left out.

    Returns
    -------
    float or None
        The median magnitude; None when fewer than 10 blocks, or fewer than
        a quarter of those with data, are still (signals with gravity
        removed, a leg rarely at rest): then nothing can be said.
    """
    k, n = len(rows), rows[0].size
    length = int(min(max(round(sfreq), 4), 128))
    nb = n // length
    if nb == 0:
        return None
    pick = np.unique(np.linspace(0, nb - 1, min(nb, _GRAVITY_BLOCKS)).astype(np.int64))
    if exclude is not None and len(exclude):
        first = pick * length
        last = np.searchsorted(exclude[:, 0], first + length) - 1  # last interval starting before the block ends
        pick = pick[~((last >= 0) & (exclude[np.maximum(last, 0), 1] > first))]
        if not pick.size:
            return None
    idx = pick[:, None] * length + np.arange(length)
    blocks = np.stack([np.asarray(rows[a], dtype=np.float64)[idx] for a in range(k)])  # (k, blocks, length)
    with np.errstate(invalid="ignore", over="ignore"):
        mean = blocks.mean(axis=2)
        std = blocks.std(axis=2)
        mag = np.sqrt((mean * mean).sum(axis=0))
        finite = np.isfinite(mag)
        still = finite & (mag > 0) & (std.max(axis=0) < _STILL_RATIO * mag)  # NaN -> False
    if still.sum() < max(10, _MIN_STILL_SHARE * finite.sum()):
        return None
    return float(np.median(mag[still]))


def _gravity_factor(recording: Any, side: str, rows: Sequence[np.ndarray], sfreq: float,
                    held: np.ndarray | None) -> tuple[float, str] | None:
    """``(factor, warning)`` for a leg whose gravity shows a unit mix-up; None when plausible."""
    g = gravity_magnitude(rows, sfreq, held)
    lo, hi = GRAVITY_RANGE_G
    if g is None or lo <= g <= hi:
        return None
    what = (f"{side} leg: the accelerometer reads {g:.3g} g at rest (median magnitude over still stretches); "
            f"gravity is 1 g (accepted {lo:g}-{hi:g} g)")
    if len(rows) < 3:
        if g <= hi:
            return None  # fewer than 3 axes: a projection of gravity may be anything below 1 g
        raise InputError(recording.source or None, f"{what}: the unit is wrong (fix the file's unit label)")
    for factor, mixup in _UNIT_MIXUPS.items():
        if lo <= g * factor <= hi:
            return factor, f"{what}; the values look like {mixup}: multiplied by {factor:.6g}"
    raise InputError(recording.source or None, f"{what}: the unit is wrong or the device is not calibrated "
                                               "(fix the file's unit label or calibrate)")


# ------------------------------------------------------------------ scored events
def check_leg_movement_rows(source: str | os.PathLike | None, onset: np.ndarray, duration: np.ndarray,
                            rows: np.ndarray, duration_s: float | None, tolerance: float = 0.5) -> None:
    """Refuse scored leg movements that no night can hold.

    Parameters
    ----------
    source : path-like or None
    onset, duration : ndarray of float
        Seconds, one per LM.
    rows : ndarray of int
        Row (line) numbers in the file, for the message.
    duration_s : float or None
        Recording length when the file states it.
    tolerance : float
        Seconds an LM may end after ``duration_s`` (rounding in exports).

    Raises
    ------
    InputError
        Median duration above :data:`MAX_MEDIAN_LM_SECONDS` (milliseconds
        taken as seconds), an LM longer than :data:`MAX_LM_SECONDS`, or one
        running past the end of the recording.
    """
    if not len(duration):
        return
    median = float(np.median(duration))
    if median > MAX_MEDIAN_LM_SECONDS:
        raise InputError(source or None, f"leg movements last {median:g} s (median of {len(duration)}); they last "
                                         "0.5-10 s: are the durations in milliseconds? Give them in seconds")
    long = duration > MAX_LM_SECONDS
    if long.any():
        i = int(np.flatnonzero(long)[0])
        raise InputError(source or None, f"row {rows[i]}: leg movement at {onset[i]:.2f} s lasts {duration[i]:g} s; "
                                         f"a leg movement lasts seconds (at most {MAX_LM_SECONDS:g} s accepted)")
    if duration_s is not None:
        past = onset + duration > duration_s + tolerance
        if past.any():
            i = int(np.flatnonzero(past)[0])
            raise InputError(source or None, f"row {rows[i]}: leg movement at {onset[i]:.2f} s runs to "
                                             f"{onset[i] + duration[i]:.2f} s, past the end of the recording "
                                             f"({duration_s:.2f} s)")
