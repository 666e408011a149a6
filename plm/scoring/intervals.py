"""Interval arithmetic on event times shared by the scoring steps.

Every comparison of times in :mod:`plm.scoring` goes through :data:`TIME_EPS`
so that a boundary value (an IMI of exactly 10 s, a duration of exactly
0.5 s) scores the same however it was computed in floating point, and so
that shifting all times by a constant changes nothing.
"""
from __future__ import annotations

import numpy as np

__all__ = ["TIME_EPS", "union", "total_length", "overlap_length", "overlaps_any", "inside_any"]

#: Tolerance of every time comparison, s (1 microsecond: far below any
#: sampling interval, far above float rounding of night-long times).
TIME_EPS = 1e-6


def union(starts: np.ndarray, stops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge intervals into disjoint, sorted intervals.

    Parameters
    ----------
    starts, stops : array of float
        Interval bounds, s; intervals with ``stop <= start`` are ignored.

    Returns
    -------
    starts, stops : array of float
        Disjoint intervals in increasing order (touching intervals join).
    """
    starts = np.asarray(starts, dtype=float).reshape(-1)
    stops = np.asarray(stops, dtype=float).reshape(-1)
    keep = stops > starts
    starts, stops = starts[keep], stops[keep]
    if starts.size == 0:
        return starts, stops
    order = np.argsort(starts, kind="stable")
    starts, stops = starts[order], stops[order]
    running = np.maximum.accumulate(stops)
    new = np.r_[True, starts[1:] > running[:-1]]
    first = np.flatnonzero(new)
    return starts[first], np.maximum.reduceat(stops, first)


def total_length(starts: np.ndarray, stops: np.ndarray) -> float:
    """Seconds covered by the union of the intervals."""
    s, e = union(starts, stops)
    return float(np.sum(e - s))


def overlap_length(a0: np.ndarray, a1: np.ndarray, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """Seconds of each interval ``[a0, a1]`` covered by the union of ``[starts, stops]``."""
    a0 = np.asarray(a0, dtype=float)
    a1 = np.asarray(a1, dtype=float)
    s, e = union(starts, stops)
    if s.size == 0:
        return np.zeros(np.broadcast(a0, a1).shape)
    ov = np.minimum(a1[..., None], e) - np.maximum(a0[..., None], s)
    return np.clip(ov, 0.0, None).sum(axis=-1)


def overlaps_any(
    on: np.ndarray, off: np.ndarray, starts: np.ndarray, stops: np.ndarray, closed: bool = True
) -> np.ndarray:
    """Whether each event ``[on, off]`` meets any window ``[starts, stops]``.

    Parameters
    ----------
    on, off : array of float
        Event bounds, s.
    starts, stops : array of float
        Window bounds, s (windows may overlap each other).
    closed : bool
        ``True``: touching counts (closed intervals, within
        :data:`TIME_EPS`); ``False``: the event and window must share more
        than :data:`TIME_EPS` of time.

    Returns
    -------
    array of bool
    """
    on = np.asarray(on, dtype=float).reshape(-1)
    off = np.asarray(off, dtype=float).reshape(-1)
    starts = np.asarray(starts, dtype=float).reshape(-1)
    stops = np.asarray(stops, dtype=float).reshape(-1)
    if starts.size == 0 or on.size == 0:
        return np.zeros(on.shape, dtype=bool)
    order = np.argsort(starts, kind="stable")
    starts, stops = starts[order], stops[order]
    reach = np.maximum.accumulate(stops)
    eps = TIME_EPS if closed else -TIME_EPS
    # windows starting no later than the event's end; the latest stop among them decides
    n_before = np.searchsorted(starts, off + eps, side="right")
    hit = np.zeros(on.shape, dtype=bool)
    has = n_before > 0
    hit[has] = reach[n_before[has] - 1] >= on[has] - eps
    return hit


def inside_any(t: np.ndarray, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """Whether each time lies in any half-open interval ``[start, stop)``."""
    t = np.asarray(t, dtype=float).reshape(-1)
    s, e = union(starts, stops)
    if s.size == 0:
        return np.zeros(t.shape, dtype=bool)
    idx = np.searchsorted(s, t + TIME_EPS, side="right") - 1
    ok = idx >= 0
    out = np.zeros(t.shape, dtype=bool)
    out[ok] = t[ok] < e[idx[ok]] - TIME_EPS
    return out
