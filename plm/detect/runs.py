"""Runs of true samples in boolean masks: onsets, offsets, bridging, minimum length.

Shared by the EMG and accelerometer detectors and by the signal-quality
checks. Everything is vectorised with :func:`numpy.diff` and
:func:`numpy.flatnonzero`; indices follow Python slicing (``start`` is the
first true sample, ``stop`` the first false sample after the run).
"""
from __future__ import annotations

import numpy as np

__all__ = ["find_runs", "bridge_runs", "keep_long_runs", "runs", "runs_to_mask", "first_index_in", "span_max"]


def find_runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and stop indices of the runs of ``True`` in a 1-D mask.

    Parameters
    ----------
    mask : array of bool, shape (n,)

    Returns
    -------
    starts, stops : array of int64
        ``mask[starts[k]:stops[k]]`` is the k-th run; runs are in order and
        separated by at least one false sample.
    """
    m = np.asarray(mask, dtype=bool).reshape(-1)
    if m.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    edges = np.diff(m.view(np.int8), prepend=np.int8(0), append=np.int8(0))
    return np.flatnonzero(edges == 1).astype(np.int64), np.flatnonzero(edges == -1).astype(np.int64)


def bridge_runs(starts: np.ndarray, stops: np.ndarray, max_gap: int) -> tuple[np.ndarray, np.ndarray]:
    """Join consecutive runs separated by fewer than ``max_gap`` false samples.

    Parameters
    ----------
    starts, stops : array of int
        Ordered, non-overlapping runs as from :func:`find_runs`.
    max_gap : int
        Gaps (``starts[k+1] - stops[k]``) strictly shorter than this are
        bridged; 0 or less bridges nothing.

    Returns
    -------
    starts, stops : array of int64
    """
    starts = np.asarray(starts, dtype=np.int64)
    stops = np.asarray(stops, dtype=np.int64)
    if len(starts) < 2 or max_gap <= 0:
        return starts, stops
    join = (starts[1:] - stops[:-1]) < max_gap
    return starts[np.r_[True, ~join]], stops[np.r_[~join, True]]


def keep_long_runs(starts: np.ndarray, stops: np.ndarray, min_length: int) -> tuple[np.ndarray, np.ndarray]:
    """Keep the runs with at least ``min_length`` samples."""
    starts = np.asarray(starts, dtype=np.int64)
    stops = np.asarray(stops, dtype=np.int64)
    keep = (stops - starts) >= min_length
    return starts[keep], stops[keep]


def runs(mask: np.ndarray, min_length: int = 0, bridge: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Runs of a mask after bridging short gaps, then dropping short runs.

    Parameters
    ----------
    mask : array of bool
    min_length : int
        Shortest run kept, samples (after bridging).
    bridge : int
        Gaps shorter than this many samples are bridged first.

    Returns
    -------
    starts, stops : array of int64
    """
    s, e = find_runs(mask)
    s, e = bridge_runs(s, e, bridge)
    return keep_long_runs(s, e, min_length)


def runs_to_mask(starts: np.ndarray, stops: np.ndarray, n: int) -> np.ndarray:
    """Inverse of :func:`find_runs`: a boolean mask of length ``n``."""
    delta = np.zeros(n + 1, dtype=np.int32)
    np.add.at(delta, np.clip(np.asarray(starts, np.int64), 0, n), 1)
    np.add.at(delta, np.clip(np.asarray(stops, np.int64), 0, n), -1)
    return np.cumsum(delta[:-1]) > 0


def first_index_in(indices: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """First element of sorted ``indices`` inside each ``[lo, hi)``, or -1.

    Parameters
    ----------
    indices : sorted array of int
        E.g. ``np.flatnonzero(mask)``.
    lo, hi : array of int
        Half-open intervals.

    Returns
    -------
    array of int64
        One value per interval.
    """
    indices = np.asarray(indices, dtype=np.int64)
    pos = np.searchsorted(indices, lo, side="left")
    found = pos < len(indices)
    out = np.full(len(lo), -1, dtype=np.int64)
    cand = indices[np.minimum(pos, max(len(indices) - 1, 0))] if len(indices) else np.zeros(len(lo), np.int64)
    ok = found & (cand < hi)
    out[ok] = cand[ok]
    return out


def span_max(x: np.ndarray, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """Maximum of ``x[starts[i]:stops[i]]`` for sorted, disjoint, non-empty spans."""
    if len(starts) == 0:
        return np.zeros(0, dtype=x.dtype)
    bounds = np.column_stack([starts, stops]).reshape(-1)
    if bounds[-1] == len(x):  # reduceat needs every index inside the array
        x = np.r_[x, x[-1:]]
    return np.maximum.reduceat(x, bounds)[::2]

