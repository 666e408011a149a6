"""Same-leg merging: LMs of one leg that overlap or nearly touch become one.

WASM 2016 (as resolved by PLMScoRe, SCORING_RULES section 8): on one leg, an
LM whose onset is less than ``same_leg_merge_gap`` after the running offset
of the current LM joins it; the merged LM ends at the latest offset. This
runs before the minimum-duration filter, so two 0.3 s bursts 0.2 s apart
make one 0.8 s LM.
"""
from __future__ import annotations

import numpy as np

from .intervals import TIME_EPS

__all__ = ["sweep_groups", "merge_same_leg"]


def sweep_groups(onset: np.ndarray, offset: np.ndarray, gap: float) -> np.ndarray:
    """Group onset-sorted events by the running-offset sweep.

    An event joins the current group when its onset is less than ``gap``
    after the latest offset seen so far in the group (overlap included).

    Parameters
    ----------
    onset, offset : array of float
        Events sorted by onset, s.
    gap : float
        Join threshold, s (strict: an onset exactly ``gap`` after the
        running offset starts a new group).

    Returns
    -------
    array of int
        Group number of each event, 0, 1, ... in onset order.
    """
    onset = np.asarray(onset, dtype=float)
    offset = np.asarray(offset, dtype=float)
    if onset.size == 0:
        return np.zeros(0, dtype=np.int64)
    running = np.maximum.accumulate(offset)
    starts = np.r_[True, onset[1:] >= running[:-1] + gap - TIME_EPS]
    return np.cumsum(starts) - 1


def merge_same_leg(
    onset: np.ndarray, duration: np.ndarray, side: np.ndarray, gap: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Merge overlapping or close LMs of the same leg.

    Parameters
    ----------
    onset, duration : array of float
        Monolateral LMs, s (any order).
    side : array of str
        ``"left"`` / ``"right"``.
    gap : float
        Offset-to-onset gap below which LMs of one leg merge, s.

    Returns
    -------
    onset, duration, side : arrays
        The merged LMs sorted by (onset, side).
    n_merged : array of int
        How many input LMs each merged LM is made of.
    """
    onset = np.asarray(onset, dtype=float).reshape(-1)
    duration = np.asarray(duration, dtype=float).reshape(-1)
    side = np.asarray(side).reshape(-1)
    offset = onset + duration
    out_on, out_off, out_side, out_n = [], [], [], []
    for s in np.unique(side):
        sel = np.flatnonzero(side == s)
        # ties in onset: longest first, so the result does not depend on row order
        order = sel[np.lexsort((-offset[sel], onset[sel]))]
        grp = sweep_groups(onset[order], offset[order], gap)
        first = np.flatnonzero(np.r_[True, np.diff(grp) > 0])
        out_on.append(onset[order][first])
        out_off.append(np.maximum.reduceat(offset[order], first))
        out_side.append(np.full(first.size, s, dtype=side.dtype))
        out_n.append(np.diff(np.r_[first, order.size]))
    if not out_on:
        return np.zeros(0), np.zeros(0), np.zeros(0, dtype="<U5"), np.zeros(0, dtype=np.int64)
    on = np.concatenate(out_on)
    off = np.concatenate(out_off)
    sd = np.concatenate(out_side).astype("<U5")
    n = np.concatenate(out_n)
    order = np.lexsort((sd, on))
    return on[order], (off - on)[order], sd[order], n[order]
