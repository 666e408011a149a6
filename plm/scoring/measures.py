"""Nightly measures (SCORING_RULES section 6); definitions in ``docs/measures.md``.

Small pure functions on arrays, plus :func:`night_measures` that assembles
the measures dict of a :class:`~plm.model.result.NightResult`.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..model import SLEEP_STAGES
from .intervals import TIME_EPS

__all__ = [
    "IMI_HISTOGRAM_EDGES",
    "LN_IMI_HISTOGRAM_EDGES",
    "rate",
    "periodicity_index",
    "binned_counts",
    "imi_histogram",
    "ln_imi_histogram",
    "series_lengths",
    "night_measures",
]

#: 2 s bins over 0-90 s (45 bins; the last bin includes 90 s).
IMI_HISTOGRAM_EDGES = np.round(np.arange(0.0, 90.0 + 1e-9, 2.0), 10)
#: 0.1 bins of ln(IMI / 1 s) over -1.0..6.0 (IMI about 0.37 s to 403 s).
LN_IMI_HISTOGRAM_EDGES = np.round(np.arange(-10, 61) / 10.0, 10)


def rate(count: int, hours: float | None) -> float | None:
    """``count / hours``; None when hours is None, not finite or zero."""
    if hours is None or not np.isfinite(hours) or hours <= 0:
        return None
    return float(count) / float(hours)


def periodicity_index(intervals: np.ndarray, imi_min: float = 10.0, imi_max: float = 90.0) -> float | None:
    """Periodicity index of Ferri et al. (Sleep 2006;29:759-769).

    The number of intervals with ``imi_min <= IMI <= imi_max`` whose
    predecessor and successor are also in that range, divided by the number
    of intervals. Intervals are taken between consecutive LMs of the
    sequence; undefined (NaN) intervals count in the denominator and are
    never in range.

    Parameters
    ----------
    intervals : array of float
        Consecutive intervals, s.
    imi_min, imi_max : float
        Inclusive range, s.

    Returns
    -------
    float or None
        None when there is no interval.
    """
    x = np.asarray(intervals, dtype=float)
    if x.size == 0:
        return None
    with np.errstate(invalid="ignore"):
        ok = (x >= imi_min - TIME_EPS) & (x <= imi_max + TIME_EPS)
    flanked = np.zeros(x.size, dtype=bool)
    if x.size >= 3:
        flanked[1:-1] = ok[:-2] & ok[1:-1] & ok[2:]
    return float(flanked.sum()) / x.size


def binned_counts(x: np.ndarray, edges: np.ndarray, eps: float) -> np.ndarray:
    """Histogram with bins ``[a, b)`` (the last one closed) and edge tolerance.

    A value within ``eps`` below an edge counts in the bin above it, so
    that a value on an edge is binned the same however it was rounded.
    """
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    n_bins = len(edges) - 1
    idx = np.searchsorted(edges, x + eps, side="right") - 1
    # on the last edge (within eps): the closed last bin
    idx[(idx == n_bins) & (x <= edges[-1] + eps)] = n_bins - 1
    ok = (idx >= 0) & (idx < n_bins)
    return np.bincount(idx[ok], minlength=n_bins)


def imi_histogram(imi: np.ndarray) -> np.ndarray:
    """Counts of defined IMIs in 2 s bins over 0-90 s (IMIs above 90 s left out)."""
    return binned_counts(imi, IMI_HISTOGRAM_EDGES, TIME_EPS)


def ln_imi_histogram(imi: np.ndarray) -> np.ndarray:
    """Counts of ln(IMI) of defined positive IMIs in 0.1 bins over -1.0..6.0."""
    x = np.asarray(imi, dtype=float)
    x = x[np.isfinite(x) & (x > 0)]
    # an IMI within TIME_EPS of exp(edge) is within about TIME_EPS / IMI of the edge in ln units
    return binned_counts(np.log(x), LN_IMI_HISTOGRAM_EDGES, TIME_EPS)


def series_lengths(series: np.ndarray) -> np.ndarray:
    """Members of each series, by series id 1..n (ids < 1 are ignored)."""
    s = np.asarray(series)
    s = s[s >= 1]
    if s.size == 0:
        return np.zeros(0, dtype=np.int64)
    return np.bincount(s)[1:]


def _stat(x: np.ndarray, fn) -> float | None:
    x = np.asarray(x, dtype=float)
    return None if x.size == 0 else float(fn(x))


def night_measures(
    *,
    leg_side: np.ndarray,
    leg_duration: np.ndarray,
    lm_sides: np.ndarray,
    lm_duration: np.ndarray,
    is_clm: np.ndarray,
    is_clmr: np.ndarray,
    is_plm: np.ndarray,
    is_plmnr: np.ndarray,
    series: np.ndarray,
    imi: np.ndarray,
    raw_intervals: np.ndarray,
    stage: np.ndarray,
    arousal: np.ndarray,
    staged: bool,
    hours: dict[str, Any],
    imi_min: float,
    imi_max: float,
) -> dict[str, Any]:
    """All nightly measures from the per-LM arrays of a scored night.

    Parameters
    ----------
    leg_side, leg_duration : arrays
        Scored monolateral LMs (after same-leg merging and the filters).
    lm_sides, lm_duration, is_clm, is_clmr, is_plm, is_plmnr, series, imi, stage, arousal : arrays
        One entry per merged LM, in onset order.
    raw_intervals : array of float
        Interval from each merged LM's predecessor (first is NaN), s.
    staged : bool
        Whether a hypnogram was given.
    hours : dict
        ``denominator`` name, ``hours_denominator``, ``time_in_bed_hours``,
        ``tst_hours``, ``wake_hours``, ``excluded_hours`` and, when staged,
        ``stage_hours`` (per stage).
    imi_min, imi_max : float
        The criteria's IMI range (the periodicity index keeps Ferri's fixed
        10-90 s so that it compares across criteria).

    Returns
    -------
    dict
    """
    in_sleep = np.isin(stage, SLEEP_STAGES)
    in_wake = stage == "W"
    n_plm = int(is_plm.sum())
    n_plmnr = int(is_plmnr.sum())
    n_clm = int(is_clm.sum())
    n_plms = int((is_plm & in_sleep).sum()) if staged else None
    n_plmw = int((is_plm & in_wake).sum()) if staged else None
    denom = hours["hours_denominator"]
    # the headline counts PLMS when staged, every PLM otherwise
    headline = in_sleep if staged else np.ones(is_plm.shape, dtype=bool)
    lengths = series_lengths(series)
    m: dict[str, Any] = {
        "plm_index": rate(int((is_plm & headline).sum()), denom),
        "plms_index": rate(n_plms, hours["tst_hours"]) if staged else None,
        "plmw_index": rate(n_plmw, hours["wake_hours"]) if staged else None,
        # every PLM, sleep and wake, per hour in bed: beside the PLMS index of a
        # staged night it is a different number, and the one an unstaged night reports
        "plm_index_tib": rate(n_plm, hours["time_in_bed_hours"]),
        "plmnr_index": rate(int((is_plmnr & headline).sum()), denom),
        "lm_index": rate(int(headline.sum()), denom),
        "clm_index": rate(int((is_clm & headline).sum()), denom),
        "n_lm_left": int((leg_side == "left").sum()),
        "n_lm_right": int((leg_side == "right").sum()),
        "n_lm": int(lm_duration.size),
        "n_lm_bilateral": int((lm_sides == "bilateral").sum()),
        "n_clm": n_clm,
        "n_clmr": int(is_clmr.sum()),
        "n_plm": n_plm,
        "n_plmnr": n_plmnr,
        "n_plms": n_plms,
        "n_plmw": n_plmw,
        "n_series": int(lengths.size),
        "mean_series_length": _stat(lengths, np.mean),
        "median_series_length": _stat(lengths, np.median),
        "periodicity_index": periodicity_index(raw_intervals[1:], 10.0, 90.0),
        "plm_clm_ratio": (n_plm / n_clm) if n_clm else None,
        "denominator": hours["denominator"],
        "hours_denominator": denom,
        "time_in_bed_hours": hours["time_in_bed_hours"],
        "tst_hours": hours["tst_hours"],
        "wake_hours": hours["wake_hours"],
        "excluded_hours": hours["excluded_hours"],
    }
    for s in SLEEP_STAGES:
        if staged:
            m[f"n_plms_{s}"] = int((is_plm & (stage == s)).sum())
            m[f"plms_index_{s}"] = rate(m[f"n_plms_{s}"], hours["stage_hours"][s])
        else:
            m[f"n_plms_{s}"] = None
            m[f"plms_index_{s}"] = None
    m["n_plm_arousal"] = int((is_plm & arousal & headline).sum())
    m["plm_arousal_index"] = rate(m["n_plm_arousal"], denom)
    for side in ("left", "right"):
        d = leg_duration[leg_side == side]
        m[f"lm_duration_mean_{side}"] = _stat(d, np.mean)
        m[f"lm_duration_median_{side}"] = _stat(d, np.median)
    bil = lm_duration[lm_sides == "bilateral"]
    m["lm_duration_mean_bilateral"] = _stat(bil, np.mean)
    m["lm_duration_median_bilateral"] = _stat(bil, np.median)
    m["lm_duration_mean"] = _stat(lm_duration, np.mean)
    m["lm_duration_median"] = _stat(lm_duration, np.median)
    defined = imi[np.isfinite(imi)]
    m["imi_mean"] = _stat(defined, np.mean)
    m["imi_median"] = _stat(defined, np.median)
    m["imi_histogram"] = imi_histogram(imi).tolist()
    m["imi_histogram_edges"] = IMI_HISTOGRAM_EDGES.tolist()
    m["ln_imi_histogram"] = ln_imi_histogram(imi).tolist()
    m["ln_imi_histogram_edges"] = LN_IMI_HISTOGRAM_EDGES.tolist()
    return m
