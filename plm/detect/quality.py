"""Signal quality: gaps, non-wear and clipping, reported as excluded time.

* **gap**: samples that are NaN in any channel of the leg (missing data);
* **non-wear**, either of

  - *flat*: at least ``criteria.flat_min_duration`` (30 min) in which every
    channel is flat (standard deviation in ``quality_block`` (10 s) blocks at
    or below ``flat_std_g`` / ``flat_std_uv``): a sensor switched off or
    disconnected;
  - *still and fixed* (accelerometers; after van Hees et al. 2011/2013,
    adapted to ankle devices): every ``nonwear_window`` (60 min) window in
    which, on at least ``nonwear_min_axes`` (2) of the 3 axes, every 10 s
    block's standard deviation stays below ``nonwear_sd_g`` (13 mg: nothing
    but sensor noise) and the 10 s block means stay within a range of
    ``nonwear_range_g`` (50 mg: the orientation does not change): a device
    lying on a table;

* **clipped**: at least ``clip_min_duration`` s pinned at the channel's
  extreme value (the rail of the amplifier or sensor range), when that value
  lies far outside the usual signal (> ``clip_min_mad`` median absolute
  deviations).

These stretches are excluded from analysis time (``LegMovements.excluded``)
and no LM may start inside them. Stretches a device filled by holding its
last sample (ActiGraph idle-sleep mode, :meth:`Recording.held_samples`) are
reported as ``held``: they are worn, still time, so they are neither gaps
nor evidence of non-wear (a block that overlaps them is never flat or still). NaN samples are filled before filtering by
holding the last valid value (or the next one at the start), chosen from the
whole signal so that chunked and whole-signal detection fill identically.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError
from .runs import find_runs, runs

__all__ = ["QualityReport", "assess_quality", "merge_intervals", "still_fixed_blocks"]


@dataclass(frozen=True)
class QualityReport:
    """Problem stretches of one leg, as sample intervals ``[start, stop)``.

    Attributes
    ----------
    n_samples : int
    sfreq : float
    gaps, nonwear, clipped : ndarray, shape (k, 2)
    fills : list of (starts, stops, values)
        Per channel: NaN runs and the value each run is filled with.
    held : ndarray, shape (k, 2)
        Idle-sleep stretches the device filled by holding its last sample
        (analysis time, not excluded).
    """

    n_samples: int
    sfreq: float
    gaps: np.ndarray
    nonwear: np.ndarray
    clipped: np.ndarray
    fills: list = field(default_factory=list)
    held: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.int64))

    @property
    def excluded(self) -> np.ndarray:
        """Union of gaps, non-wear and clipping, in seconds, shape (k, 2)."""
        both = np.vstack([self.gaps, self.nonwear, self.clipped]).astype(np.float64)
        return merge_intervals(both) / self.sfreq

    def has_gap(self, start: int, stop: int) -> bool:
        """True when any NaN run overlaps samples ``[start, stop)``."""
        g = self.gaps
        return bool(np.any((g[:, 1] > start) & (g[:, 0] < stop))) if len(g) else False

    def fill(self, seg: np.ndarray, start: int) -> np.ndarray:
        """Fill the NaN samples of ``seg`` (channels x samples, a copy) in place.

        Parameters
        ----------
        seg : ndarray, shape (n_channels, m)
            Samples ``start .. start + m`` of the leg's channels.
        start : int
            Global index of ``seg[:, 0]``.
        """
        m = seg.shape[1]
        for ch, (s, e, v) in enumerate(self.fills):
            hit = (e > start) & (s < start + m)
            for a, b, val in zip(s[hit], e[hit], v[hit]):  # loop over gaps, not samples
                seg[ch, max(a - start, 0): min(b - start, m)] = val
        return seg


def merge_intervals(iv: np.ndarray) -> np.ndarray:
    """Union of possibly overlapping intervals, sorted, shape (k, 2)."""
    iv = np.asarray(iv, dtype=np.float64).reshape(-1, 2)
    if len(iv) == 0:
        return iv
    iv = iv[np.argsort(iv[:, 0], kind="stable")]
    ends = np.maximum.accumulate(iv[:, 1])
    new = np.r_[True, iv[1:, 0] > ends[:-1]]
    group = np.cumsum(new) - 1
    out = np.empty((int(group[-1]) + 1, 2))
    out[:, 0] = iv[new, 0]
    out[:, 1] = np.maximum.reduceat(iv[:, 1], np.flatnonzero(new))
    return out


def _pairs(s: np.ndarray, e: np.ndarray) -> np.ndarray:
    return np.column_stack([s, e]).astype(np.int64).reshape(-1, 2)


def still_fixed_blocks(
    block_std: np.ndarray,
    block_mean: np.ndarray,
    window: int,
    sd_max: float,
    range_max: float,
    min_axes: int,
) -> np.ndarray:
    """Blocks covered by a window in which the device is still and fixed.

    A window of ``window`` consecutive blocks qualifies when, on at least
    ``min_axes`` axes, every block's standard deviation is below ``sd_max``
    (no movement beyond sensor noise) and the block means span less than
    ``range_max`` (no change of orientation). Every block of a qualifying
    window is covered (windows slide by one block). Blocks with NaN
    statistics (missing data) never qualify.

    Parameters
    ----------
    block_std, block_mean : ndarray, shape (n_axes, n_blocks)
        Per-axis standard deviation and mean of consecutive blocks, g.
    window : int
        Window length in blocks (>= 1).
    sd_max, range_max : float
        Thresholds, g (strict "<").
    min_axes : int
        Fewest axes that must meet both conditions.

    Returns
    -------
    ndarray of bool, shape (n_blocks,)
    """
    k, nb = block_std.shape
    covered = np.zeros(nb, dtype=bool)
    if nb < window or window < 1 or k < min_axes:
        return covered
    with np.errstate(invalid="ignore"):
        quiet = block_std < sd_max                       # NaN -> False
    noisy = np.zeros((k, nb + 1), dtype=np.int64)
    np.cumsum(~quiet, axis=1, out=noisy[:, 1:])
    all_quiet = (noisy[:, window:] - noisy[:, :-window]) == 0
    view = np.lib.stride_tricks.sliding_window_view(block_mean, window, axis=1)
    with np.errstate(invalid="ignore"):
        fixed = (view.max(axis=2) - view.min(axis=2)) < range_max   # NaN -> False
    ok = (all_quiet & fixed).sum(axis=0) >= min_axes     # per window start
    # block j is covered when a qualifying window starts in [j - window + 1, j]
    starts = np.zeros(nb + 1, dtype=np.int64)
    np.cumsum(np.r_[ok, np.zeros(window - 1, dtype=bool)], out=starts[1:])
    j = np.arange(nb)
    covered = (starts[j + 1] - starts[np.maximum(j + 1 - window, 0)]) > 0
    return covered


def _nan_stats(a: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Standard deviation, mean, minimum and maximum over ``axis`` ignoring NaN.

    NaN where every sample is NaN (a gap, not a flat block), as
    ``np.nanstd`` and friends, but without their warning: those would
    need ``warnings.catch_warnings``, which is not thread-safe, and the
    legs are analysed in threads.
    """
    valid = ~np.isnan(a)
    count = valid.sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):   # per-thread state, unlike warning filters
        mean = np.where(valid, a, 0.0).sum(axis=axis) / count
        dev = np.where(valid, a - np.expand_dims(mean, axis), 0.0)
        std = np.sqrt((dev * dev).sum(axis=axis) / count)
    # fmin/fmax skip NaN unless every value is NaN, and do not warn
    return std, mean, np.fmin.reduce(a, axis=axis), np.fmax.reduce(a, axis=axis)


def assess_quality(
    rows: np.ndarray,
    sfreq: float,
    modality: str,
    criteria=None,
    *,
    source: str = "",
    side: str = "",
    chunk: int = 1 << 18,
    held: np.ndarray | None = None,
) -> QualityReport:
    """Find gaps, non-wear and clipping in one leg's channels.

    Parameters
    ----------
    rows : array, shape (n_channels, n_samples)
        The leg's raw channels (a view into the recording; read in chunks).
    sfreq : float
    modality : {"emg", "accel"}
    criteria : Criteria, optional
        ``quality_block``, ``flat_*``, ``nonwear_*`` and ``clip_*`` are used
        (default: the ``wasm2016`` preset's values).
    source : str
        File name for error messages.
    side : str
        Leg name for error messages.
    chunk : int
        Samples processed at a time (memory bound; results do not depend on it).
    held : ndarray of int, shape (k, 2), optional
        Sample intervals the device filled by holding its last sample
        (idle-sleep mode): never flat or still non-wear.

    Returns
    -------
    QualityReport

    Raises
    ------
    InputError
        When the leg has no valid sample, or is flat from start to end.
    """
    if criteria is None:
        from ..criteria import Criteria

        criteria = Criteria()
    k, n = rows.shape
    block = max(1, int(round(criteria.quality_block * sfreq)))
    chunk = max(block, (chunk // block) * block)
    nan = None  # (k, n) mask of missing samples, made at the first NaN (most recordings have none)
    nblocks = -(-n // block)
    block_std = np.full((k, nblocks), np.nan)
    block_mean = np.full((k, nblocks), np.nan)
    block_min = np.full((k, nblocks), np.nan)  # block extremes: where a channel can sit at its rail
    block_max = np.full((k, nblocks), np.nan)
    for a in range(0, n, chunk):
        b = min(n, a + chunk)
        seg = np.asarray(rows[:, a:b], dtype=np.float64)
        nb_full = (b - a) // block
        i0 = a // block
        full = seg[:, : nb_full * block].reshape(k, nb_full, block)
        total = full.sum(axis=2)
        # a NaN makes its block's sum NaN: look for NaN samples only then (no full-rate mask otherwise)
        has_nan = bool(np.isnan(total).any()) or ((b - a) % block > 0 and bool(np.isnan(seg[:, nb_full * block:]).any()))
        if has_nan:
            seg_nan = np.isnan(seg)
            has_nan = bool(seg_nan.any())
            if has_nan:
                if nan is None:
                    nan = np.zeros((k, n), dtype=bool)
                nan[:, a:b] = seg_nan
            del seg_nan
        if not has_nan and nb_full:
            # one pass of sums: the usual case, no missing samples
            mean = total / block  # = full.mean(axis=2)
            var = np.einsum("ijk,ijk->ij", full, full) / block - mean * mean
            block_std[:, i0:i0 + nb_full] = np.sqrt(np.maximum(var, 0.0))
            block_mean[:, i0:i0 + nb_full] = mean
            block_min[:, i0:i0 + nb_full] = full.min(axis=2)
            block_max[:, i0:i0 + nb_full] = full.max(axis=2)
        if has_nan and nb_full:
            stats = _nan_stats(full, axis=2)
            for out, v in zip((block_std, block_mean, block_min, block_max), stats):
                out[:, i0:i0 + nb_full] = v
        if (b - a) % block:
            stats = _nan_stats(seg[:, nb_full * block:], axis=1)
            for out, v in zip((block_std, block_mean, block_min, block_max), stats):
                out[:, i0 + nb_full] = v
        del seg, full
    lo = np.fmin.reduce(block_min, axis=1)   # NaN for a channel without a valid sample, no warning
    hi = np.fmax.reduce(block_max, axis=1)
    leg = f"{side} leg" if side else "leg signal"
    if nan is not None and nan.all():
        raise InputError(source or None, f"{leg}: every sample is missing (NaN); nothing to detect")
    held = np.zeros((0, 2), np.int64) if held is None else np.asarray(held, dtype=np.int64).reshape(-1, 2)
    if len(held):
        # a block touching a held stretch shows the device's power saving, not the sensor: never quiet
        mark = np.zeros(nblocks + 1, dtype=np.int64)
        np.add.at(mark, held[:, 0] // block, 1)
        np.add.at(mark, -(-held[:, 1] // block), -1)
        block_std = np.where(np.cumsum(mark[:-1]) > 0, np.inf, block_std)
    valid_block = ~np.isnan(block_std).any(axis=0)
    flat_std = {"accel": criteria.flat_std_g, "emg": criteria.flat_std_uv}.get(modality, 0.0)
    flat_block = valid_block & (block_std <= flat_std).all(axis=0)
    if not (valid_block & ~flat_block).any():
        raise InputError(
            source or None,
            f"{leg}: the signal is flat from start to end (sensor off or not connected); nothing to detect",
        )

    gaps = _pairs(*find_runs(nan.any(axis=0))) if nan is not None else np.zeros((0, 2), np.int64)

    min_blocks = int(np.ceil(criteria.flat_min_duration / criteria.quality_block))
    fb0, fb1 = runs(flat_block, min_length=min_blocks)
    nonwear = _pairs(fb0 * block, np.minimum(fb1 * block, n))
    if modality == "accel" and criteria.nonwear_window > 0:
        window = max(1, int(round(criteria.nonwear_window / criteria.quality_block)))
        still = still_fixed_blocks(block_std, block_mean, window, criteria.nonwear_sd_g,
                                   criteria.nonwear_range_g, criteria.nonwear_min_axes)
        if still.any():
            s0, s1 = find_runs(still)
            nonwear = merge_intervals(
                np.vstack([nonwear, _pairs(s0 * block, np.minimum(s1 * block, n))])
            ).astype(np.int64)

    clip_parts = []
    clip_n = max(1, int(round(criteria.clip_min_duration * sfreq)))
    step = max(1, n // 200_000)
    for ch in range(k):
        sub = np.asarray(rows[ch, ::step], dtype=np.float64)
        sub = sub[~np.isnan(sub)]
        med = np.median(sub)
        mad = np.median(np.abs(sub - med))
        for rail, reached in ((lo[ch], block_min[ch]), (hi[ch], block_max[ch])):
            if not np.isfinite(rail) or abs(rail - med) <= criteria.clip_min_mad * mad or mad == 0:
                continue
            # only blocks whose extreme is the rail can hold samples pinned at it
            pos = _positions_equal(rows, ch, rail, np.flatnonzero(reached == rail), block, n)
            s, e = _consecutive_runs(pos, clip_n)
            clip_parts.append(_pairs(s, e))
    clipped = merge_intervals(np.vstack(clip_parts)).astype(np.int64) if clip_parts else np.zeros((0, 2), np.int64)

    fills = []
    for ch in range(k):
        if nan is None:
            fills.append((np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)))
            continue
        s, e = find_runs(nan[ch])
        vals = np.zeros(len(s))
        if len(s):
            before = s > 0
            after = e < n
            vals[before] = np.asarray(rows[ch][s[before] - 1], dtype=np.float64)
            use_after = ~before & after
            if use_after.any():
                vals[use_after] = np.asarray(rows[ch][e[use_after]], dtype=np.float64)
        fills.append((s, e, vals))
    return QualityReport(n_samples=n, sfreq=float(sfreq), gaps=gaps, nonwear=nonwear, clipped=clipped, fills=fills,
                         held=held)


def _positions_equal(rows, ch: int, value: float, blocks: np.ndarray, block: int, n: int,
                     group: int = 64) -> np.ndarray:
    """Sorted indices of the samples of channel ``ch`` equal to ``value`` within the given blocks."""
    out = []
    for g in range(0, len(blocks), group):  # bounded memory however many blocks there are
        idx = (blocks[g:g + group, None] * block + np.arange(block)).reshape(-1)
        idx = idx[idx < n]
        out.append(idx[np.asarray(rows[ch][idx]) == value])
    return np.concatenate(out) if out else np.zeros(0, np.int64)


def _consecutive_runs(pos: np.ndarray, min_length: int) -> tuple[np.ndarray, np.ndarray]:
    """Runs ``[start, stop)`` of consecutive integers in sorted ``pos`` with at least ``min_length`` of them."""
    if pos.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    brk = np.flatnonzero(np.diff(pos) != 1) + 1
    starts = pos[np.r_[0, brk]].astype(np.int64)
    stops = pos[np.r_[brk - 1, pos.size - 1]].astype(np.int64) + 1
    keep = (stops - starts) >= min_length
    return starts[keep], stops[keep]
