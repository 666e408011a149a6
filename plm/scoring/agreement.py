"""Agreement of two scorings of one night: LM matching, per-leg counts, epoch kappa.

:func:`compare_nights` takes two :class:`~plm.model.NightResult` objects (a
reference scoring and a test scoring of the same night) and works on their
events alone:

* the two are put on the reference's time axis (by their start times when
  both have one, else second 0 of each is taken to be the same instant);
* the compared time is where both scorings analyse the night (the overlap
  of their analysis windows, minus either's excluded time); LMs with their
  onset outside it are listed but not counted;
* the LMs of each leg are matched one to one by onset within a tolerance
  (:func:`match_onsets`), giving TP, FP, FN, sensitivity, PPV and F1 per
  leg, and onset/offset errors of the matched pairs;
* the 30 s epochs of the compared time are labelled "contains a PLM" by
  each scoring, and Cohen's kappa is taken over them.

Definitions and sources: ``docs/validation.md``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._version import __version__
from ..model import NightResult
from .intervals import TIME_EPS, inside_any, overlap_length, union
from .method_comparison import cohen_kappa
from .sleep_wake import analysis_window

__all__ = ["Agreement", "compare_nights", "match_onsets", "event_agreement", "MATCHING",
           "EPOCH_SECONDS", "NOT_LM_REASONS"]

#: How LMs are matched (written into every summary).
MATCHING = ("one-to-one, onsets within the tolerance; the most pairs possible, and among those the "
            "smallest total onset error (scipy.optimize.linear_sum_assignment)")

#: Epoch length of the epoch-level kappa, s.
EPOCH_SECONDS = 30.0

#: Rows of ``NightResult.events`` that the scorer does not take as LMs at
#: all (duration rules). Rows left out for context (lights, excluded time)
#: are handled by the compared time instead, so that both scorings are
#: compared over the same time.
NOT_LM_REASONS = ("too_short", "too_long")


def match_onsets(reference: np.ndarray, test: np.ndarray, tolerance: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """One-to-one matching of two sets of event onsets.

    A pair is admissible when the onsets differ by at most ``tolerance``.
    The matching has the largest possible number of pairs, and among those
    the smallest sum of absolute onset differences. Onsets are cut into
    clusters wherever consecutive onsets (of either set) are more than
    ``tolerance`` apart (no admissible pair crosses such a gap); a cluster
    of one reference and one test onset is a pair, and each larger cluster
    is solved exactly with :func:`scipy.optimize.linear_sum_assignment`
    on a cost of ``|difference|`` per admissible pair and a cost larger
    than any sum of admissible differences per inadmissible one.

    Parameters
    ----------
    reference, test : array of float
        Onsets, s (any order).
    tolerance : float
        Largest onset difference of a pair, s.

    Returns
    -------
    ref_index, test_index : ndarray of int
        Indices into ``reference`` and ``test`` of the matched pairs, in
        increasing order of the reference onset.
    """
    from scipy.optimize import linear_sum_assignment

    r = np.asarray(reference, dtype=float).reshape(-1)
    t = np.asarray(test, dtype=float).reshape(-1)
    if tolerance < 0 or not np.isfinite(tolerance):
        raise ValueError(f"tolerance must be a non-negative number, got {tolerance!r}")
    empty = np.zeros(0, dtype=np.int64)
    if r.size == 0 or t.size == 0:
        return empty, empty
    times = np.concatenate([r, t])
    is_test = np.r_[np.zeros(r.size, bool), np.ones(t.size, bool)]
    index = np.r_[np.arange(r.size), np.arange(t.size)]
    order = np.lexsort((is_test, times))
    times, is_test, index = times[order], is_test[order], index[order]
    cluster = np.r_[0, np.cumsum(np.diff(times) > tolerance + TIME_EPS)]
    size = np.bincount(cluster)
    n_test = np.bincount(cluster, weights=is_test).astype(np.int64)
    ri, ti = [], []
    # Clusters of exactly one reference and one test onset (the usual case)
    # are pairs: consecutive onsets of a cluster are within the tolerance.
    pair = (size == 2) & (n_test == 1)
    first = np.searchsorted(cluster, np.flatnonzero(pair))
    ri.append(index[first + np.where(is_test[first], 1, 0)])
    ti.append(index[first + np.where(is_test[first], 0, 1)])
    big = np.flatnonzero((size > 2) & (n_test > 0) & (n_test < size))
    starts = np.searchsorted(cluster, big)
    for c0, c1 in zip(starts.tolist(), (starts + size[big]).tolist()):  # one per crowded cluster (few)
        sel_t = is_test[c0:c1]
        rr, tt = index[c0:c1][~sel_t], index[c0:c1][sel_t]
        diff = np.abs(r[rr][:, None] - t[tt][None, :])
        ok = diff <= tolerance + TIME_EPS
        cost = np.where(ok, diff, min(rr.size, tt.size) * tolerance + 1.0)
        a, b = linear_sum_assignment(cost)
        keep = ok[a, b]
        ri.append(rr[a[keep]])
        ti.append(tt[b[keep]])
    ri_all = np.concatenate(ri).astype(np.int64)
    ti_all = np.concatenate(ti).astype(np.int64)
    o = np.argsort(r[ri_all], kind="stable")
    return ri_all[o], ti_all[o]


def event_agreement(tp: int, n_reference: int, n_test: int) -> dict[str, Any]:
    """Counts and rates of one event matching.

    Parameters
    ----------
    tp : int
        Matched pairs.
    n_reference, n_test : int
        Events of each scoring.

    Returns
    -------
    dict
        ``tp``, ``fp`` (test events without a partner), ``fn`` (reference
        events without a partner), ``sensitivity`` (tp / n_reference), ``ppv``
        (tp / n_test), ``f1`` (2 tp / (n_reference + n_test)); NaN where
        the denominator is 0.
    """
    def ratio(num: float, den: float) -> float:
        return num / den if den else math.nan

    return {"tp": int(tp), "fp": int(n_test - tp), "fn": int(n_reference - tp),
            "sensitivity": ratio(tp, n_reference), "ppv": ratio(tp, n_test),
            "f1": ratio(2 * tp, n_reference + n_test)}


@dataclass(frozen=True)
class _Span:
    """Compared time on the reference's axis: [start, stop) minus excluded intervals."""

    start: float
    stop: float
    excluded: tuple[np.ndarray, np.ndarray]

    def contains(self, t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=float)
        inside = (t >= self.start - TIME_EPS) & (t < self.stop - TIME_EPS)
        return inside & ~inside_any(t, *self.excluded)

    @property
    def seconds(self) -> float:
        if not self.stop > self.start:
            return 0.0
        gone = float(overlap_length(np.array(self.start), np.array(self.stop), *self.excluded))
        return max(self.stop - self.start - gone, 0.0)


def _window(result: NightResult, shift: float) -> tuple[float, float, np.ndarray]:
    """A scoring's analysed time (start, stop, excluded), moved by ``shift``."""
    lms = (result.extra or {}).get("input")
    excluded = np.zeros((0, 2)) if lms is None else np.asarray(lms.excluded, dtype=float).reshape(-1, 2)
    m = result.measures
    w = analysis_window(m.get("lights_off"), m.get("lights_on"), result.hypnogram, excluded)
    length = m.get("duration_s")
    start = max(w.start, 0.0)
    stop = w.stop if length is None else min(w.stop, float(length))
    return start + shift, stop + shift, excluded + shift


def _lm_rows(result: NightResult) -> dict[str, np.ndarray]:
    ev = result.events
    reason = np.asarray(ev["reason"]) if "reason" in ev else np.full(len(ev), "")
    keep = ~np.isin(reason, NOT_LM_REASONS)
    onset = np.asarray(ev["onset"], dtype=float)[keep]
    return {
        "onset": onset,
        "offset": onset + np.asarray(ev["duration"], dtype=float)[keep],
        "side": np.asarray(ev["side"]).astype(str)[keep],
        "is_plm": np.asarray(ev["is_plm"], dtype=bool)[keep] if "is_plm" in ev else np.zeros(onset.size, bool),
    }


def _plm_epochs(result: NightResult, shift: float, edges: np.ndarray) -> np.ndarray:
    """Whether each epoch ``[edges[i], edges[i + 1])`` overlaps a PLM of the scoring."""
    lms = result.lms
    if lms is None or "is_plm" not in lms or len(lms) == 0:
        return np.zeros(edges.size - 1, dtype=bool)
    plm = np.asarray(lms["is_plm"], dtype=bool)
    on = np.asarray(lms["onset"], dtype=float)[plm] + shift
    off = on + np.asarray(lms["duration"], dtype=float)[plm]
    starts, stops = union(on, np.maximum(off, on + TIME_EPS))
    return overlap_length(edges[:-1], edges[1:], starts, stops) > 0


def _time_shift(reference: NightResult, test: NightResult) -> tuple[float, str]:
    if reference.start_time is not None and test.start_time is not None:
        try:
            return (test.start_time - reference.start_time).total_seconds(), "start_time"
        except TypeError:  # one is naive, the other aware: no common clock
            pass
    return 0.0, "second_0"


def _quantile(x: np.ndarray, q: float) -> float:
    return float(np.quantile(x, q)) if x.size else math.nan


@dataclass(frozen=True, eq=False)
class Agreement:
    """Agreement of a test scoring with a reference scoring of one night.

    Made by :func:`compare_nights` (or :func:`plm.compare`).

    Attributes
    ----------
    reference, test : NightResult
        The two scorings; ``test`` times are on its own axis (the match
        table gives them on the reference's).
    tolerance : float
        Onset tolerance of the matching, s.
    values : dict
        Everything :meth:`summary` reports.
    match_columns : dict of str to ndarray
        The per-LM match table (see :attr:`matches`).
    """

    reference: NightResult
    test: NightResult
    tolerance: float
    values: dict[str, Any]
    match_columns: dict[str, np.ndarray] = field(repr=False)

    def summary(self) -> dict[str, Any]:
        """The agreement figures, JSON-serialisable (see ``docs/validation.md``).

        Returns
        -------
        dict
            Per leg ``tp_left``, ``fp_left``, ``fn_left``, ``sensitivity_left``,
            ``ppv_left``, ``f1_left`` (and ``_right``, and without suffix for
            both legs together); onset and offset errors of matched LMs
            (test - reference: ``onset_error_median_s``,
            ``onset_abs_error_median_s``, ``onset_abs_error_p95_s`` and the
            ``offset_`` ones); counts and indices of both scorings and their
            difference (``plm_index_reference``, ``plm_index_test``,
            ``plm_index_difference``, ``n_lm_*``, ``n_clm_*``, ``n_plm_*``);
            ``epoch_kappa`` and its epoch counts; the compared time and how
            the two were aligned; ``criteria`` and ``version``.
        """
        return dict(self.values)

    @property
    def matches(self) -> "pandas.DataFrame":  # noqa: F821 (pandas is imported lazily)
        """One row per LM of either scoring, in time order (a pandas DataFrame).

        Columns: ``side``; ``status`` (``match``, ``missed`` = reference LM
        without partner, ``extra`` = test LM without partner, ``outside`` =
        onset outside the compared time); ``reference_onset``,
        ``reference_offset``, ``test_onset``, ``test_offset`` (s on the
        reference's axis, NaN when absent); ``onset_error_s`` and
        ``offset_error_s`` (test - reference); ``reference_is_plm`` and
        ``test_is_plm``.
        """
        import pandas as pd

        return pd.DataFrame(self.match_columns)

    def __repr__(self) -> str:
        v = self.values

        def f(x):
            return "n/a" if x is None or (isinstance(x, float) and not math.isfinite(x)) else f"{x:.3f}"

        return (f"<Agreement {v['test']!r} vs {v['reference']!r}: F1 left {f(v['f1_left'])}, "
                f"right {f(v['f1_right'])}; PLM index {f(v['plm_index_test'])} vs {f(v['plm_index_reference'])}>")


def compare_nights(reference: NightResult, test: NightResult, tolerance: float = 0.5) -> Agreement:
    """Agreement of a test scoring with a reference scoring of the same night.

    Parameters
    ----------
    reference, test : NightResult
        Two scorings of one night (e.g. a technician's LMs and ``plm`` on the
        recording); ideally scored under the same criteria.
    tolerance : float
        Largest onset difference of a matched LM pair, s (default 0.5).

    Returns
    -------
    Agreement
    """
    tolerance = float(tolerance)
    if not (tolerance >= 0 and math.isfinite(tolerance)):
        raise ValueError(f"tolerance must be a non-negative number of seconds, got {tolerance!r}")
    shift, aligned = _time_shift(reference, test)
    r0, r1, rex = _window(reference, 0.0)
    t0, t1, tex = _window(test, shift)
    ex = np.vstack([rex, tex])
    span = _Span(max(r0, t0), min(r1, t1), union(ex[:, 0], ex[:, 1]))
    notes: list[str] = []
    if aligned == "second_0":
        notes.append("aligned at second 0 (a start time is missing): both scorings are taken to start together")

    ref, tst = _lm_rows(reference), _lm_rows(test)
    tst["onset"] = tst["onset"] + shift
    tst["offset"] = tst["offset"] + shift
    ref_in, tst_in = span.contains(ref["onset"]), span.contains(tst["onset"])

    v: dict[str, Any] = {"reference": reference.source, "test": test.source, "tolerance_s": tolerance,
                         "matching": MATCHING}
    cols: dict[str, list[np.ndarray]] = {k: [] for k in (
        "side", "status", "reference_onset", "reference_offset", "test_onset", "test_offset",
        "onset_error_s", "offset_error_s", "reference_is_plm", "test_is_plm")}
    on_err, off_err = [], []
    totals = np.zeros(3, dtype=np.int64)  # tp, n_reference, n_test
    for side in ("left", "right"):
        rs = np.flatnonzero((ref["side"] == side) & ref_in)
        ts = np.flatnonzero((tst["side"] == side) & tst_in)
        a, b = match_onsets(ref["onset"][rs], tst["onset"][ts], tolerance)
        ra, tb = rs[a], ts[b]
        stats = event_agreement(a.size, rs.size, ts.size)
        for key, value in stats.items():
            v[f"{key}_{side}"] = value
        totals += (a.size, rs.size, ts.size)
        on_err.append(tst["onset"][tb] - ref["onset"][ra])
        off_err.append(tst["offset"][tb] - ref["offset"][ra])
        missed = np.setdiff1d(rs, ra)
        extra = np.setdiff1d(ts, tb)
        out_r = np.flatnonzero((ref["side"] == side) & ~ref_in)
        out_t = np.flatnonzero((tst["side"] == side) & ~tst_in)
        groups = (("match", ra, tb), ("missed", missed, None), ("extra", None, extra),
                  ("outside", out_r, None), ("outside", None, out_t))
        for status, ri, ti in groups:
            m = (ri if ri is not None else ti).size
            cols["side"].append(np.full(m, side))
            cols["status"].append(np.full(m, status))
            for name, rows, idx in (("reference", ref, ri), ("test", tst, ti)):
                for what in ("onset", "offset"):
                    cols[f"{name}_{what}"].append(rows[what][idx] if idx is not None else np.full(m, np.nan))
                cols[f"{name}_is_plm"].append(rows["is_plm"][idx] if idx is not None else np.zeros(m, bool))
            for what in ("onset", "offset"):
                cols[f"{what}_error_s"].append(tst[what][ti] - ref[what][ri] if ri is not None and ti is not None
                                               else np.full(m, np.nan))
    for key, value in event_agreement(*totals).items():
        v[key] = value
    on_e, off_e = np.concatenate(on_err), np.concatenate(off_err)
    for what, e in (("onset", on_e), ("offset", off_e)):
        v[f"{what}_error_median_s"] = _quantile(e, 0.5)
        v[f"{what}_abs_error_median_s"] = _quantile(np.abs(e), 0.5)
        v[f"{what}_abs_error_p95_s"] = _quantile(np.abs(e), 0.95)

    for key in ("n_lm", "n_clm", "n_plm", "plm_index", "plms_index"):
        a_val, b_val = reference.measures.get(key), test.measures.get(key)
        v[f"{key}_reference"], v[f"{key}_test"] = a_val, b_val
        v[f"{key}_difference"] = (b_val - a_val) if a_val is not None and b_val is not None else None

    # Epochs of the reference's grid (its hypnogram's when staged) whose
    # middle lies in the compared time.
    hyp = reference.hypnogram
    origin, length = (hyp.onset, hyp.epoch_length) if hyp is not None and len(hyp) else (0.0, EPOCH_SECONDS)
    if span.stop > span.start and math.isfinite(span.stop):
        k0 = math.floor((span.start - origin) / length + TIME_EPS)
        k1 = math.ceil((span.stop - origin) / length - TIME_EPS)
        edges = origin + length * np.arange(k0, k1 + 1)
    else:
        edges = np.zeros(1)
    keep = span.contains(0.5 * (edges[:-1] + edges[1:])) if edges.size > 1 else np.zeros(0, bool)
    e_ref = _plm_epochs(reference, 0.0, edges)[keep]
    e_tst = _plm_epochs(test, shift, edges)[keep]
    v.update(epoch_s=length, n_epochs=int(keep.sum()), n_epochs_plm_reference=int(e_ref.sum()),
             n_epochs_plm_test=int(e_tst.sum()), n_epochs_plm_both=int(np.sum(e_ref & e_tst)),
             epoch_agreement=float(np.mean(e_ref == e_tst)) if e_ref.size else math.nan,
             epoch_kappa=cohen_kappa(e_ref, e_tst))

    v.update(aligned_by=aligned, test_offset_s=shift, compared_start_s=span.start, compared_stop_s=span.stop,
             compared_hours=span.seconds / 3600.0,
             n_lm_outside_reference=int(np.sum(~ref_in)), n_lm_outside_test=int(np.sum(~tst_in)))
    if not span.seconds > 0:
        notes.append("the two scorings have no time in common: nothing was compared")
    elif ref_in.size and not ref_in.all() or tst_in.size and not tst_in.all():
        notes.append(f"{int(np.sum(~ref_in))} reference and {int(np.sum(~tst_in))} test LM(s) lie outside the time "
                     "both scorings cover and are not counted")
    if reference.criteria.hash != test.criteria.hash:
        notes.append(f"scored under different criteria ({reference.criteria.name} {reference.criteria.hash} vs "
                     f"{test.criteria.name} {test.criteria.hash})")
    v["notes"] = notes
    v["criteria"] = test.criteria.describe()
    v["version"] = __version__

    table = {k: np.concatenate(parts) if parts else np.zeros(0) for k, parts in cols.items()}
    t_sort = np.where(np.isfinite(table["reference_onset"]), table["reference_onset"], table["test_onset"])
    order = np.lexsort((table["side"], t_sort))
    table = {k: col[order] for k, col in table.items()}
    return Agreement(reference=reference, test=test, tolerance=tolerance, values=v, match_columns=table)
