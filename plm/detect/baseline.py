"""Resting level (noise floor) of an envelope that follows slow changes.

The resting level at each sample is a low percentile of the envelope in a
sliding window (60 s by default). Computing a running percentile at the full
sampling rate would cost ``O(n * window)``; instead the envelope is first
reduced to block means (0.5 s blocks aligned to absolute sample 0, so any
chunk that starts on a block boundary sees the same blocks), the percentile
runs over blocks with :func:`scipy.ndimage.percentile_filter`, and the block
values are linearly interpolated back to samples.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage

__all__ = ["block_reduce", "resting_level"]


def block_reduce(x: np.ndarray, block: int, how: str = "mean") -> np.ndarray:
    """Reduce consecutive blocks of ``block`` samples to one value.

    Parameters
    ----------
    x : array, shape (n,)
    block : int
        Samples per block; a shorter last block is reduced on its own.
    how : {"mean", "max"}

    Returns
    -------
    ndarray, shape (ceil(n / block),)
    """
    x = np.asarray(x)
    n = len(x)
    nfull = n // block
    func = np.mean if how == "mean" else np.max
    out = np.empty(nfull + (1 if n % block else 0), dtype=np.float64)
    if nfull:
        out[:nfull] = func(x[: nfull * block].reshape(nfull, block), axis=1)
    if n % block:
        out[nfull] = func(x[nfull * block:])
    return out


def resting_level(
    envelope: np.ndarray,
    sfreq: float,
    window: float = 60.0,
    percentile: float = 10.0,
    block: float = 0.5,
    invalid: np.ndarray | None = None,
) -> np.ndarray:
    """Adaptive resting level of an envelope.

    Parameters
    ----------
    envelope : array, shape (n,)
        Smoothed, non-negative envelope (e.g. moving RMS of band-passed EMG).
    sfreq : float
        Sampling rate, Hz.
    window : float
        Length of the sliding window, s: long compared with leg movements
        (0.5-10 s) so that a movement does not lift its own baseline, short
        compared with changes of the noise floor over the night.
    percentile : float
        Percentile of the block means taken as the resting level.
    block : float
        Block length, s.
    invalid : array, shape (k, 2), optional
        Sample intervals ``[start, stop)`` of ``envelope`` that are not
        signal (filled gaps): the blocks they touch, and one block on either
        side, take the mean of the nearest valid blocks instead, so that a
        constant fill does not pull the resting level to zero.

    Returns
    -------
    ndarray, shape (n,)
        Resting level at each sample, same units as ``envelope``.
    """
    env = np.asarray(envelope, dtype=np.float64)
    n = len(env)
    if n == 0:
        return env.copy()
    b = block_samples(sfreq, block)
    means = block_reduce(env, b, "mean")
    if invalid is not None and len(invalid):
        iv = np.asarray(invalid, np.int64).reshape(-1, 2)
        bad = np.zeros(len(means) + 1, np.int32)
        np.add.at(bad, np.clip(iv[:, 0] // b - 1, 0, len(means)), 1)
        np.add.at(bad, np.clip(-(-iv[:, 1] // b) + 1, 0, len(means)), -1)
        bad = np.cumsum(bad[:-1]) > 0
        if bad.all():
            pass  # nothing valid to take a level from: keep what there is
        elif bad.any():
            good = np.flatnonzero(~bad)
            means[bad] = np.interp(np.flatnonzero(bad), good, means[good])
    size = max(1, int(round(window / (b / sfreq))))
    level = ndimage.percentile_filter(means, percentile, size=size, mode="nearest")
    nfull = n // b
    centres = np.arange(len(means), dtype=np.float64) * b + (b - 1) / 2.0
    if n % b:
        centres[nfull] = nfull * b + (n - nfull * b - 1) / 2.0
    return np.interp(np.arange(n, dtype=np.float64), centres, level)


def block_samples(sfreq: float, block: float = 0.5) -> int:
    """Samples per baseline block (at least 1)."""
    return max(1, int(round(block * sfreq)))
