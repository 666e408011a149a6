"""Bilateral merging: left and right LMs that belong together become one LM.

Two rules (criteria field ``bilateral_rule``):

``offset_gap`` (WASM 2016, Ferri et al. 2016; sweep as in PLMScoRe)
    In onset order, an LM of either leg whose onset is less than
    ``bilateral_gap`` (0.5 s) after the running offset of the current group
    joins the group; the group ends at the latest offset of its members.
``onset_difference`` (AASM manual; WASM 2006, Zucconi et al. 2006)
    LMs of the two legs whose onsets are less than ``bilateral_gap`` (5 s)
    apart count as one LM. Implemented as a sweep in onset order: an LM joins
    the current group when its onset is less than ``bilateral_gap`` after the
    onset of the group's first LM and it is on the other leg than that first
    LM; otherwise it starts a new group.
"""
from __future__ import annotations

import numpy as np

from .intervals import TIME_EPS
from .same_leg import sweep_groups

__all__ = ["bilateral_groups", "merge_bilateral"]


def bilateral_groups(onset: np.ndarray, offset: np.ndarray, side: np.ndarray, rule: str, gap: float) -> np.ndarray:
    """Group number of each LM (inputs sorted by onset); groups numbered in onset order.

    Parameters
    ----------
    onset, offset : array of float
        Monolateral LMs sorted by onset, s.
    side : array of str
    rule : {"offset_gap", "onset_difference"}
    gap : float
        Threshold of the rule, s.

    Returns
    -------
    array of int
    """
    if rule == "offset_gap":
        return sweep_groups(onset, offset, gap)
    if rule != "onset_difference":
        raise ValueError(f"unknown bilateral rule {rule!r}")
    n = len(onset)
    groups = np.zeros(n, dtype=np.int64)
    g = -1
    anchor_onset = -np.inf
    anchor_side = ""
    # the group's first LM decides membership, so a loop over events is needed (O(n))
    for i in range(n):
        if side[i] != anchor_side and onset[i] < anchor_onset + gap - TIME_EPS:
            groups[i] = g
        else:
            g += 1
            groups[i] = g
            anchor_onset, anchor_side = onset[i], side[i]
    return groups


def _with_solo(groups_of_rest: np.ndarray, onset: np.ndarray, solo: np.ndarray) -> np.ndarray:
    """Group numbers when ``solo`` LMs stay single and the rest were grouped separately."""
    n = onset.size
    prov = np.empty(n, dtype=np.int64)
    n_rest = int(groups_of_rest.max()) + 1 if groups_of_rest.size else 0
    prov[~solo] = groups_of_rest
    prov[solo] = n_rest + np.arange(int(solo.sum()))
    n_groups = n_rest + int(solo.sum())
    first = np.full(n_groups, np.inf)
    np.minimum.at(first, prov, onset)
    # renumber groups in onset order (ties: provisional order, which is deterministic)
    rank = np.empty(n_groups, dtype=np.int64)
    rank[np.lexsort((np.arange(n_groups), first))] = np.arange(n_groups)
    return rank[prov]


def merge_bilateral(
    onset: np.ndarray,
    duration: np.ndarray,
    side: np.ndarray,
    rule: str,
    gap: float,
    solo: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Merge monolateral LMs into (possibly bilateral) LMs.

    Parameters
    ----------
    onset, duration : array of float
        Monolateral LMs sorted by (onset, side), s.
    side : array of str
    rule, gap
        See :func:`bilateral_groups`.
    solo : array of bool, optional
        LMs that take no part in merging and stay single LMs (long LMs when
        ``long_lm_merge`` is false).

    Returns
    -------
    dict
        ``part_lm`` (merged LM index of each input LM) and, per merged LM,
        ``onset``, ``offset``, ``duration``, ``n_parts``, ``n_left``,
        ``n_right``, ``sides`` (``left``/``right``/``bilateral``) and
        ``longest_part`` (s).
    """
    onset = np.asarray(onset, dtype=float)
    duration = np.asarray(duration, dtype=float)
    side = np.asarray(side)
    offset = onset + duration
    if solo is None or not np.any(solo):
        part_lm = bilateral_groups(onset, offset, side, rule, gap)
    else:
        solo = np.asarray(solo, dtype=bool)
        rest = ~solo
        part_lm = _with_solo(bilateral_groups(onset[rest], offset[rest], side[rest], rule, gap), onset, solo)
    n_lm = int(part_lm.max()) + 1 if part_lm.size else 0
    m_on = np.full(n_lm, np.inf)
    np.minimum.at(m_on, part_lm, onset)
    m_off = np.full(n_lm, -np.inf)
    np.maximum.at(m_off, part_lm, offset)
    longest = np.zeros(n_lm)
    np.maximum.at(longest, part_lm, duration)
    n_parts = np.bincount(part_lm, minlength=n_lm)
    n_left = np.bincount(part_lm, weights=(side == "left"), minlength=n_lm).astype(np.int64)
    n_right = n_parts - n_left
    sides = np.where(
        (n_left > 0) & (n_right > 0), "bilateral", np.where(n_left > 0, "left", "right")
    ).astype("<U9")
    return {
        "part_lm": part_lm,
        "onset": m_on,
        "offset": m_off,
        "duration": m_off - m_on,
        "n_parts": n_parts,
        "n_left": n_left,
        "n_right": n_right,
        "sides": sides,
        "longest_part": longest,
    }
