"""Signal quality: gaps, non-wear and clipping, reported as excluded time.

* **gap**: samples that are NaN in any channel of the leg (missing data);
* **non-wear**: at least :data:`NONWEAR_MIN_DURATION` (30 min) in which every
  channel is flat (standard deviation in 10 s blocks at or below
  :data:`FLAT_STD`): a sensor lying still on a table or switched off;
* **clipped**: at least :data:`CLIP_MIN_DURATION` s pinned at the channel's
  extreme value (the rail of the amplifier or sensor range), when that value
  lies far outside the usual signal (> 10 median absolute deviations).

These stretches are excluded from analysis time (``LegMovements.excluded``)
and no LM may start inside them. NaN samples are filled before filtering by
holding the last valid value (or the next one at the start), chosen from the
whole signal so that chunked and whole-signal detection fill identically.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError
from .runs import find_runs, runs

__all__ = ["QualityReport", "assess_quality", "merge_intervals", "FLAT_STD", "NONWEAR_MIN_DURATION"]

#: Block standard deviation at or below which a channel counts as flat.
#: Accelerometers carry ~0.01 g sensor noise while worn; EMG amplifiers ~1 uV.
FLAT_STD = {"accel": 1e-3, "emg": 0.05}
#: Block length of the flatness test, s.
FLAT_BLOCK = 10.0
#: Shortest flat stretch reported as non-wear, s.
NONWEAR_MIN_DURATION = 30 * 60.0
#: Shortest stretch pinned at the extreme value reported as clipped, s.
CLIP_MIN_DURATION = 1.0


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
    """

    n_samples: int
    sfreq: float
    gaps: np.ndarray
    nonwear: np.ndarray
    clipped: np.ndarray
    fills: list = field(default_factory=list)

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


def assess_quality(
    rows: np.ndarray,
    sfreq: float,
    modality: str,
    *,
    source: str = "",
    side: str = "",
    chunk: int = 1 << 18,
) -> QualityReport:
    """Find gaps, non-wear and clipping in one leg's channels.

    Parameters
    ----------
    rows : array, shape (n_channels, n_samples)
        The leg's raw channels (a view into the recording; read in chunks).
    sfreq : float
    modality : {"emg", "accel"}
    source : str
        File name for error messages.
    side : str
        Leg name for error messages.
    chunk : int
        Samples processed at a time (memory bound).

    Returns
    -------
    QualityReport

    Raises
    ------
    InputError
        When the leg has no valid sample, or is flat from start to end.
    """
    k, n = rows.shape
    block = max(1, int(round(FLAT_BLOCK * sfreq)))
    chunk = max(block, (chunk // block) * block)
    nan = np.zeros((k, n), dtype=bool)
    nblocks = -(-n // block)
    block_std = np.full((k, nblocks), np.nan)
    lo = np.full(k, np.inf)
    hi = np.full(k, -np.inf)
    for a in range(0, n, chunk):
        b = min(n, a + chunk)
        seg = np.asarray(rows[:, a:b], dtype=np.float64)
        np.isnan(seg, out=nan[:, a:b])
        nb_full = (b - a) // block
        i0 = a // block
        has_nan = bool(nan[:, a:b].any())
        if not has_nan and nb_full:
            # one pass of sums: the usual case, no missing samples
            blocks = seg[:, : nb_full * block].reshape(k, nb_full, block)
            mean = blocks.mean(axis=2)
            var = np.einsum("ijk,ijk->ij", blocks, blocks) / block - mean * mean
            block_std[:, i0:i0 + nb_full] = np.sqrt(np.maximum(var, 0.0))
        # all-NaN blocks give NaN (a gap, not a flat block) with a warning we do not need
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            if has_nan and nb_full:
                block_std[:, i0:i0 + nb_full] = np.nanstd(seg[:, : nb_full * block].reshape(k, nb_full, block), axis=2)
            if (b - a) % block:
                block_std[:, i0 + nb_full] = np.nanstd(seg[:, nb_full * block:], axis=1)
            lo = np.fmin(lo, np.nanmin(seg, axis=1) if has_nan else seg.min(axis=1))
            hi = np.fmax(hi, np.nanmax(seg, axis=1) if has_nan else seg.max(axis=1))
    leg = f"{side} leg" if side else "leg signal"
    if nan.all():
        raise InputError(source or None, f"{leg}: every sample is missing (NaN); nothing to detect")
    valid_block = ~np.isnan(block_std).any(axis=0)
    flat_block = valid_block & (block_std <= FLAT_STD.get(modality, 0.0)).all(axis=0)
    if not (valid_block & ~flat_block).any():
        raise InputError(
            source or None,
            f"{leg}: the signal is flat from start to end (sensor off or not connected); nothing to detect",
        )

    any_nan = nan.any(axis=0)
    gaps = _pairs(*find_runs(any_nan))

    min_blocks = int(np.ceil(NONWEAR_MIN_DURATION / FLAT_BLOCK))
    fb0, fb1 = runs(flat_block, min_length=min_blocks)
    nonwear = _pairs(fb0 * block, np.minimum(fb1 * block, n))

    clip_parts = []
    clip_n = max(1, int(round(CLIP_MIN_DURATION * sfreq)))
    step = max(1, n // 200_000)
    for ch in range(k):
        sub = np.asarray(rows[ch, ::step], dtype=np.float64)
        sub = sub[~np.isnan(sub)]
        med = np.median(sub)
        mad = np.median(np.abs(sub - med))
        for rail in (lo[ch], hi[ch]):
            if not np.isfinite(rail) or abs(rail - med) <= 10 * mad or mad == 0:
                continue
            pinned = np.zeros(n, dtype=bool)
            for a in range(0, n, chunk):
                b = min(n, a + chunk)
                pinned[a:b] = np.asarray(rows[ch, a:b]) == rail
            s, e = runs(pinned, min_length=clip_n)
            clip_parts.append(_pairs(s, e))
    clipped = merge_intervals(np.vstack(clip_parts)).astype(np.int64) if clip_parts else np.zeros((0, 2), np.int64)

    fills = []
    for ch in range(k):
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
    return QualityReport(n_samples=n, sfreq=float(sfreq), gaps=gaps, nonwear=nonwear, clipped=clipped, fills=fills)
