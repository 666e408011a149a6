"""Score one night: monolateral LMs in, :class:`~plm.model.result.NightResult` out.

Steps (each in its own module):

1. :mod:`.same_leg` merges LMs of one leg that overlap or are < 0.5 s apart.
2. LMs that are not scored get a ``reason``: ``too_short`` (< 0.5 s),
   ``outside_lights`` (onset before lights-off or from lights-on),
   ``excluded_interval`` (onset in ``LegMovements.excluded``), ``too_long``
   (only when ``long_lm_breaks`` is false: the LM is ignored instead of
   breaking series), ``respiratory_excluded`` (``respiratory_action=
   "exclude"``, AASM).
3. :mod:`.bilateral` merges the remaining LMs of the two legs.
4. :mod:`.candidates` marks CLMs; :mod:`.associations` flags CLMr and
   arousal association; :mod:`.series` finds IMIs and periodic series, once
   on every LM (PLM) and once without the CLMr (PLMnr; non-CLMs stay in
   that sequence, respiratory-related or not, and break series).
5. :mod:`.sleep_wake` gives stages and hours; :mod:`.measures` the numbers.
"""
from __future__ import annotations

import warnings

import numpy as np

from ..criteria import Criteria
from ..model import SLEEP_STAGES, LegMovements, NightResult
from .associations import arousal_associated, respiratory_related
from .bilateral import merge_bilateral
from .candidates import is_candidate
from .intervals import TIME_EPS, inside_any, overlap_length
from .measures import night_measures
from .same_leg import merge_same_leg
from .series import find_series, intermovement_intervals, raw_intervals
from .sleep_wake import analysis_window, excluded_seconds, stage_of, stage_seconds

__all__ = ["score_night"]


def _sequence(onset, offset, is_clm, excluded, criteria):
    """IMIs and series ids of an onset-sorted LM sequence."""
    gap_before = np.zeros(onset.size, dtype=bool)
    if onset.size > 1 and excluded[0].size:
        gap_before[1:] = overlap_length(onset[:-1], onset[1:], *excluded) > TIME_EPS
    imi = intermovement_intervals(onset, offset, is_clm, criteria, gap_before)
    return imi, find_series(imi, is_clm, criteria)


def score_night(lms: LegMovements, criteria: Criteria) -> NightResult:
    """Score the monolateral LMs of one night.

    Parameters
    ----------
    lms : LegMovements
        Per-leg LMs with their context (staging, respiratory events,
        arousals, lights-off/on, excluded intervals).
    criteria : Criteria

    Returns
    -------
    NightResult
        ``measures`` (see ``docs/measures.md``), ``events`` (one row per
        monolateral LM after same-leg merging) and ``lms`` (one row per
        merged LM).
    """
    crit = criteria
    notes: list[str] = []
    hyp = lms.hypnogram if lms.hypnogram is not None and len(lms.hypnogram) else None
    staged = hyp is not None

    # 1. same-leg merge, before the duration filter
    on, dur, side, n_merged = merge_same_leg(lms.onset, lms.duration, lms.side, crit.same_leg_merge_gap)
    off = on + dur

    # 2. LMs not scored, first applicable reason wins
    window = analysis_window(lms.lights_off, lms.lights_on, hyp, lms.excluded)
    reason = np.full(on.size, "", dtype="<U24")

    def drop(mask, why):
        reason[(reason == "") & mask] = why

    drop(dur < crit.lm_min_duration - TIME_EPS, "too_short")
    if window.lights:
        drop(~window.contains(on), "outside_lights")
    drop(inside_any(on, *window.excluded), "excluded_interval")
    if not crit.long_lm_breaks:
        drop(dur > crit.lm_max_duration + TIME_EPS, "too_long")
    if crit.respiratory_action == "exclude":
        drop(respiratory_related(on, off, lms.respiratory, crit), "respiratory_excluded")
    kept = np.flatnonzero(reason == "")

    # 3. bilateral merge of the scored LMs (already sorted by onset, side)
    solo = None if crit.long_lm_merge else dur[kept] > crit.lm_max_duration + TIME_EPS
    mb = merge_bilateral(on[kept], dur[kept], side[kept], crit.bilateral_rule, crit.bilateral_gap, solo)
    m_on, m_off = mb["onset"], mb["offset"]
    n_lm = m_on.size

    # 4. candidates, associations, series
    clm = is_candidate(mb["duration"], mb["n_parts"], mb["longest_part"], crit)
    if crit.respiratory_action == "flag":
        resp = respiratory_related(m_on, m_off, lms.respiratory, crit)
    else:
        resp = np.zeros(n_lm, dtype=bool)
    clmr = clm & resp
    imi, series = _sequence(m_on, m_off, clm, window.excluded, crit)
    is_plm = series >= 1
    # PLMnr: only CLMr leave the sequence; a respiratory-related non-CLM
    # stays and still ends the running series (SCORING_RULES 8, PLMScoRe 0.1.3)
    nr = np.flatnonzero(~clmr)
    _, series_nr_sub = _sequence(m_on[nr], m_off[nr], clm[nr], window.excluded, crit)
    series_nr = np.full(n_lm, -1, dtype=np.int64)
    series_nr[nr] = series_nr_sub
    is_plmnr = series_nr >= 1
    stage = stage_of(hyp, m_on)
    arousal = arousal_associated(m_on, m_off, lms.arousals, crit)

    # 5. hours and measures
    hours = _hours(lms, hyp, window, notes)
    measures = night_measures(
        leg_side=side[kept],
        leg_duration=dur[kept],
        lm_sides=mb["sides"],
        lm_duration=mb["duration"],
        is_clm=clm,
        is_clmr=clmr,
        is_plm=is_plm,
        is_plmnr=is_plmnr,
        series=series,
        imi=imi,
        raw_intervals=raw_intervals(m_on, m_off, crit.imi_reference),
        stage=stage,
        arousal=arousal,
        staged=staged,
        hours=hours,
        imi_min=crit.imi_min,
        imi_max=crit.imi_max,
    )
    # Association counts are unknown, not zero, when the events were never
    # scored (None); an empty event list means scored and none found.
    if lms.respiratory is None:
        measures.update(n_clmr=None, n_plmnr=None, plmnr_index=None)
    if lms.arousals is None:
        measures.update(n_plm_arousal=None, plm_arousal_index=None)
    # the context the denominators came from, so a summary is self-describing
    measures["duration_s"] = None if lms.duration_s is None else float(lms.duration_s)
    # where the recording length came from: the signal, the event file, or the last event (assumed)
    measures["duration_source"] = lms.metadata.get("duration_source") or (
        "given" if lms.duration_s is not None else "last_lm")
    measures["n_legs"] = _n_legs(lms)
    measures["lights_off"] = None if lms.lights_off is None else float(lms.lights_off)
    measures["lights_on"] = None if lms.lights_on is None else float(lms.lights_on)
    measures["n_lm_not_scored"] = int(on.size - kept.size)
    for why in ("too_short", "outside_lights", "excluded_interval", "too_long", "respiratory_excluded"):
        measures[f"n_not_scored_{why}"] = int((reason == why).sum())

    # per-leg table
    lm_id = np.full(on.size, -1, dtype=np.int64)
    lm_id[kept] = mb["part_lm"]
    # rows not scored point at an appended fill value
    pick = np.where(lm_id >= 0, lm_id, n_lm)

    def per_leg(values, fill):
        return np.append(np.asarray(values), fill)[pick]

    leg_stage = stage_of(hyp, on)
    # numpy arrays up to here; NightResult makes them DataFrames (EVENT_COLUMNS, LM_COLUMNS)
    events = (
        {
            "onset": on,
            "duration": dur,
            "side": side,
            "trial_type": np.char.add("lm_", side.astype("<U5")),
            "lm_id": lm_id,
            "is_clm": per_leg(clm, False).astype(bool),
            "is_clmr": per_leg(clmr, False).astype(bool),
            "respiratory": per_leg(resp, False).astype(bool) | (reason == "respiratory_excluded"),
            "is_plm": per_leg(is_plm, False).astype(bool),
            "is_plmnr": per_leg(is_plmnr, False).astype(bool),
            "series": per_leg(series, -1).astype(np.int64),
            "stage": leg_stage,
            "in_sleep": np.isin(leg_stage, SLEEP_STAGES),
            "arousal": arousal_associated(on, off, lms.arousals, crit),
            "n_merged": n_merged,
            "reason": reason,
        }
    )
    lm_table = (
        {
            "lm_id": np.arange(n_lm, dtype=np.int64),
            "onset": m_on,
            "duration": mb["duration"],
            "sides": mb["sides"],
            "n_parts": mb["n_parts"],
            "n_left": mb["n_left"],
            "n_right": mb["n_right"],
            "is_clm": clm,
            "is_clmr": clmr,
            "respiratory": resp,
            "is_plm": is_plm,
            "is_plmnr": is_plmnr,
            "series": series,
            "series_nr": series_nr,
            "imi": imi,
            "stage": stage,
            "in_sleep": np.isin(stage, SLEEP_STAGES),
            "arousal": arousal,
        }
    )
    for note in notes:
        warnings.warn(f"{lms.source or 'night'}: {note}", UserWarning, stacklevel=3)
    # The night's context (with the reader's and detector's warnings) goes on
    # by reference; the scorer's own notes are added to it.
    return NightResult(measures=measures, events=events, lms=lm_table, criteria=crit,
                       context=lms.context.with_warnings(notes))


def _n_legs(lms: LegMovements) -> int | None:
    """Legs scored: the recording's legs with a signal, or 2 for an event file with LMs on both legs.

    An event file with LMs on one leg gives None: it does not say which
    legs were recorded.
    """
    known = lms.metadata.get("n_legs")
    if known is not None:
        return int(known)
    if lms.metadata.get("side_assumed") is None and {"left", "right"} <= set(np.unique(lms.side)):
        return 2
    return None


def _hours(lms: LegMovements, hyp, window, notes: list[str]) -> dict:
    """Denominators: which one applies and every hours figure."""
    excluded_h = excluded_seconds(window) / 3600.0
    out = {"tst_hours": None, "wake_hours": None, "stage_hours": None, "excluded_hours": excluded_h}
    if hyp is not None:
        secs = stage_seconds(hyp, window)
        out["tst_hours"] = secs["sleep"] / 3600.0
        out["wake_hours"] = secs["W"] / 3600.0
        out["stage_hours"] = {s: secs[s] / 3600.0 for s in SLEEP_STAGES}
        out["time_in_bed_hours"] = window.seconds() / 3600.0
        out["denominator"] = "tst"
        out["hours_denominator"] = out["tst_hours"]
        return out
    recording_s = lms.duration_s
    if recording_s is None:
        recording_s = float(np.max(lms.onset + lms.duration)) if len(lms) else 0.0
        notes.append(
            "recording length unknown (duration_s is None); the last LM offset "
            f"({recording_s:.1f} s) is used as the end of the recording"
        )
    if window.lights:
        start = window.start if np.isfinite(window.start) else 0.0
        stop = window.stop if np.isfinite(window.stop) else recording_s
        if not (np.isfinite(window.start) and np.isfinite(window.stop)):
            notes.append("only one of lights-off/lights-on given; the recording start/end is used for the other")
        span = max(stop - start, 0.0)
        gone = float(overlap_length(np.array(start), np.array(stop), *window.excluded))
        out["excluded_hours"] = gone / 3600.0
        out["time_in_bed_hours"] = max(span - gone, 0.0) / 3600.0
        out["denominator"] = "time_in_bed"
        out["hours_denominator"] = out["time_in_bed_hours"]
        return out
    secs = max(float(recording_s) - excluded_h * 3600.0, 0.0)
    out["time_in_bed_hours"] = secs / 3600.0
    out["denominator"] = "recording"
    out["hours_denominator"] = out["time_in_bed_hours"]
    return out
