"""Candidate leg movements (CLM), WASM 2016 (Ferri et al. 2016, rules 4-5).

A CLM is a monolateral LM lasting ``lm_min_duration``..``lm_max_duration``
(0.5-10 s) or a bilateral LM lasting at most ``bilateral_max_duration``
(15 s) and made of at most ``bilateral_max_lms`` (4) monolateral LMs. Bounds
are inclusive (PLMScoRe: a monolateral LM is a non-CLM only when > 10 s).
With ``long_lm_inheritance`` a bilateral LM that contains a monolateral LM
longer than ``lm_max_duration`` is not a CLM either (PLMScoRe).
"""
from __future__ import annotations

import numpy as np

from ..criteria import Criteria
from .intervals import TIME_EPS

__all__ = ["is_candidate"]


def is_candidate(
    duration: np.ndarray, n_parts: np.ndarray, longest_part: np.ndarray, criteria: Criteria
) -> np.ndarray:
    """Which merged LMs are candidate LMs.

    Parameters
    ----------
    duration : array of float
        Duration of each merged LM, s.
    n_parts : array of int
        Monolateral LMs in each merged LM (1 = monolateral).
    longest_part : array of float
        Duration of the longest monolateral LM in each merged LM, s.
    criteria : Criteria

    Returns
    -------
    array of bool
    """
    duration = np.asarray(duration, dtype=float)
    n_parts = np.asarray(n_parts)
    long_enough = duration >= criteria.lm_min_duration - TIME_EPS
    mono = n_parts <= 1
    mono_ok = duration <= criteria.lm_max_duration + TIME_EPS
    bil_ok = (duration <= criteria.bilateral_max_duration + TIME_EPS) & (n_parts <= criteria.bilateral_max_lms)
    if criteria.long_lm_inheritance:
        bil_ok &= np.asarray(longest_part) <= criteria.lm_max_duration + TIME_EPS
    return long_enough & np.where(mono, mono_ok, bil_ok)
