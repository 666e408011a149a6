"""Intermovement intervals and periodic series (WASM 2016 rules 6-8).

The sequence is every scored LM (CLM or not) in onset order.

* IMI of an LM: from the previous LM's onset (``imi_reference="onset"``) or
  offset (``"offset"``) to this LM's onset. It is undefined (NaN) for the
  first LM, when this or the previous LM is not a CLM (a non-CLM ends the
  running series and the IMIs into and out of it are undefined), and when
  an excluded interval lies between the two (unseen time).
* Two consecutive CLMs are linked when ``imi_min <= IMI <= imi_max``
  (inclusive, 10-90 s). A run of linked CLMs of at least
  ``min_series_length`` (4) is a periodic series; its members are PLMs.
* A CLM after an IMI < ``imi_min`` ends the running series. With
  ``short_imi="new_series"`` (PLMScoRe) it may start the next series; with
  ``"no_new_series"`` it may not, so the next series starts at the CLM after
  it at the earliest.
"""
from __future__ import annotations

import numpy as np

from ..criteria import Criteria
from .intervals import TIME_EPS

__all__ = ["raw_intervals", "intermovement_intervals", "find_series"]


def raw_intervals(onset: np.ndarray, offset: np.ndarray, reference: str) -> np.ndarray:
    """Interval from each LM's predecessor to its onset (NaN for the first), s."""
    onset = np.asarray(onset, dtype=float)
    offset = np.asarray(offset, dtype=float)
    out = np.full(onset.shape, np.nan)
    if onset.size > 1:
        prev = onset[:-1] if reference == "onset" else offset[:-1]
        out[1:] = onset[1:] - prev
    return out


def intermovement_intervals(
    onset: np.ndarray,
    offset: np.ndarray,
    is_clm: np.ndarray,
    criteria: Criteria,
    gap_before: np.ndarray | None = None,
) -> np.ndarray:
    """IMI of each LM in an onset-sorted sequence (NaN where undefined).

    Parameters
    ----------
    onset, offset : array of float
        LMs sorted by onset, s.
    is_clm : array of bool
    criteria : Criteria
        Uses ``imi_reference``.
    gap_before : array of bool, optional
        True where unseen (excluded) time lies between an LM and its
        predecessor.

    Returns
    -------
    array of float
    """
    imi = raw_intervals(onset, offset, criteria.imi_reference)
    is_clm = np.asarray(is_clm, dtype=bool)
    undefined = ~is_clm | ~np.r_[False, is_clm[:-1]] if is_clm.size else np.zeros(0, bool)
    if gap_before is not None:
        undefined |= np.asarray(gap_before, dtype=bool)
    imi[undefined] = np.nan
    return imi


def find_series(imi: np.ndarray, is_clm: np.ndarray, criteria: Criteria) -> np.ndarray:
    """Series id of each LM (1, 2, ... in onset order; -1 outside any series).

    Parameters
    ----------
    imi : array of float
        From :func:`intermovement_intervals` (NaN = undefined).
    is_clm : array of bool
    criteria : Criteria
        Uses ``imi_min``, ``imi_max``, ``min_series_length``, ``short_imi``.

    Returns
    -------
    array of int
    """
    imi = np.asarray(imi, dtype=float)
    n = imi.size
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    with np.errstate(invalid="ignore"):
        linked = (imi >= criteria.imi_min - TIME_EPS) & (imi <= criteria.imi_max + TIME_EPS)
        short = imi < criteria.imi_min - TIME_EPS
    if criteria.short_imi == "no_new_series":
        # the CLM after a short IMI cannot be a series' first member, so the
        # link out of it does not count
        linked[1:] &= ~short[:-1]
    # a run is a CLM followed by linked CLMs; number runs by counting starts
    run = np.cumsum(~linked) - 1
    size = np.bincount(run, minlength=run[-1] + 1)
    member = (size[run] >= criteria.min_series_length) & np.asarray(is_clm, dtype=bool)
    series = np.full(n, -1, dtype=np.int64)
    if member.any():
        runs_kept = np.unique(run[member])
        series[member] = np.searchsorted(runs_kept, run[member]) + 1
    return series
