"""Human labels, units and number formats of the nightly measures.

One table for every place a person reads a night: ``plm score``'s text, the
PNG and HTML reports and the study and batch overviews. A measure is shown as
``label value unit`` ("PLM index (recording)  42.0 /h"), never by its code
name alone, and an index always says which hours it is per: on a staged
night the headline is the PLMS index (per hour of sleep) and the PLM index
per hour of recording or time in bed stands beside it under its own label,
so that one is not read as the other (``docs/measures.md``).
"""
from __future__ import annotations

import datetime as _dt
import math
import re
from typing import Any, Mapping

__all__ = ["format_measure", "measure_label", "headline_rows", "measure_rows", "night_notes", "source_files",
           "index_label", "hours_word", "ONE_LEG_NOTE"]

#: key -> (label, unit, decimals, scale); the value shown is ``value * scale``.
_MEASURES: dict[str, tuple[str, str, int, float]] = {
    "plm_index": ("PLM index", "/h", 1, 1.0),
    "plm_index_tib": ("PLM index", "/h", 1, 1.0),
    "plms_index": ("PLMS index (sleep)", "/h", 1, 1.0),
    "plmw_index": ("PLMW index (wake)", "/h", 1, 1.0),
    "plmnr_index": ("PLMnr index (respiratory-related CLMs left out)", "/h", 1, 1.0),
    "lm_index": ("LM index", "/h", 1, 1.0),
    "clm_index": ("CLM index", "/h", 1, 1.0),
    "plm_arousal_index": ("PLM-arousal index", "/h", 1, 1.0),
    "n_lm_left": ("LMs, left leg", "", 0, 1.0),
    "n_lm_right": ("LMs, right leg", "", 0, 1.0),
    "n_lm": ("LMs (a bilateral LM counts once)", "", 0, 1.0),
    "n_lm_bilateral": ("bilateral LMs", "", 0, 1.0),
    "n_clm": ("CLMs (candidate LMs)", "", 0, 1.0),
    "n_clmr": ("respiratory-related CLMs (CLMr)", "", 0, 1.0),
    "n_plm": ("PLMs (sleep and wake)", "", 0, 1.0),
    "n_plmnr": ("PLMnr", "", 0, 1.0),
    "n_plms": ("PLMs in sleep", "", 0, 1.0),
    "n_plmw": ("PLMs in wake", "", 0, 1.0),
    "n_plm_arousal": ("PLMs with an arousal", "", 0, 1.0),
    "n_series": ("periodic series", "", 0, 1.0),
    "mean_series_length": ("series length, mean", "CLMs", 1, 1.0),
    "median_series_length": ("series length, median", "CLMs", 1, 1.0),
    "periodicity_index": ("periodicity index (Ferri 2006)", "", 2, 1.0),
    "plm_clm_ratio": ("PLM/CLM ratio", "", 2, 1.0),
    "hours_denominator": ("hours the PLM index is per", "h", 2, 1.0),
    "time_in_bed_hours": ("time in bed", "h", 2, 1.0),
    "tst_hours": ("total sleep time", "h", 2, 1.0),
    "wake_hours": ("wake time", "h", 2, 1.0),
    "excluded_hours": ("excluded time (gaps, non-wear)", "h", 2, 1.0),
    "duration_s": ("recording length", "h", 2, 1 / 3600.0),
    "imi_mean": ("intermovement interval, mean", "s", 1, 1.0),
    "imi_median": ("intermovement interval, median", "s", 1, 1.0),
    "lm_duration_mean": ("LM duration, mean", "s", 2, 1.0),
    "lm_duration_median": ("LM duration, median", "s", 2, 1.0),
    "n_lm_not_scored": ("LMs not scored", "", 0, 1.0),
    "n_legs": ("legs recorded", "", 0, 1.0),
}
_STAGE_KEY = re.compile(r"(n_plms|plms_index)_(N1|N2|N3|R)$")
_DURATION_KEY = re.compile(r"lm_duration_(mean|median)_(left|right|bilateral)$")
_NOT_SCORED_KEY = re.compile(r"n_not_scored_(\w+)$")
_DENOMINATOR_WORDS = {"tst": "total sleep time", "time_in_bed": "time in bed (lights off to on)",
                      "recording": "recording"}
_DURATION_SOURCE_WORDS = {
    "signal": "the signal",
    "file": "stated by the file",
    "given": "given",
    "last_event": "assumed: the end of the file's last event (the file gives no recording length)",
    "last_lm": "assumed: the end of the last LM (no recording length given)",
}
#: Sentence a report shows for a night scored from one leg.
ONE_LEG_NOTE = ("One leg only: the PLM index counts one leg's movements and is not comparable with "
                "two-leg nights.")


def _spec(key: str) -> tuple[str, str, int, float]:
    if key in _MEASURES:
        return _MEASURES[key]
    m = _STAGE_KEY.match(key)
    if m:
        return (f"PLMs in {m.group(2)}", "", 0, 1.0) if m.group(1) == "n_plms" else \
            (f"PLMS index in {m.group(2)}", "/h", 1, 1.0)
    m = _DURATION_KEY.match(key)
    if m:
        leg = "bilateral LMs" if m.group(2) == "bilateral" else f"{m.group(2)} leg"
        return (f"LM duration, {m.group(1)}, {leg}", "s", 2, 1.0)
    m = _NOT_SCORED_KEY.match(key)
    if m:
        return (f"LMs not scored: {m.group(1).replace('_', ' ')}", "", 0, 1.0)
    return (key.replace("_", " "), "", 2, 1.0)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    v = float(value)
    return v if math.isfinite(v) else None


def format_measure(key: str, value: Any) -> str:
    """``value`` of measure ``key`` with its unit, e.g. ``"42.0 /h"``, ``"0.50 h"``, ``"25"``.

    Parameters
    ----------
    key : str
        A measure name (``docs/measures.md``).
    value : object
        Its value; None and NaN give ``"-"``.

    Returns
    -------
    str
    """
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    if key == "denominator":
        return _DENOMINATOR_WORDS.get(str(value), str(value))
    if key == "duration_source":
        return _DURATION_SOURCE_WORDS.get(str(value), str(value))
    v = _number(value)
    if v is None:
        return str(value)
    _, unit, decimals, scale = _spec(key)
    text = f"{v * scale:.{decimals}f}"
    return f"{text} {unit}" if unit else text


def hours_word(summary: Mapping[str, Any]) -> str:
    """``"time in bed"`` when the night has lights-off or lights-on, else ``"recording"``: what ``time_in_bed_hours`` is."""
    lights = summary.get("lights_off") is not None or summary.get("lights_on") is not None
    return "time in bed" if lights else "recording"


def index_label(summary: Mapping[str, Any], key: str) -> str:
    """Label of an index that says which hours it is per.

    ``plm_index`` is the headline: the PLMS index on a staged night, else
    all PLMs per hour of recording or time in bed; ``plm_index_tib`` is all
    PLMs per hour of recording (or time in bed when lights were given).

    Parameters
    ----------
    summary : mapping
        A night summary (``NightResult.summary()``).
    key : str

    Returns
    -------
    str
    """
    hours_of = hours_word(summary)
    if key == "plm_index":
        if summary.get("denominator") == "tst":
            return "PLM index (= PLMS index, sleep)"
        return f"PLM index ({'time in bed' if summary.get('denominator') == 'time_in_bed' else 'recording'})"
    if key == "plm_index_tib":
        return f"PLM index ({hours_of})"
    return measure_label(key)


def measure_label(key: str) -> str:
    """Human label of measure ``key`` (``"n_clm"`` -> ``"CLMs (candidate LMs)"``)."""
    return {"denominator": "denominator", "duration_source": "recording length from", "night": "night of",
            "lights_off": "lights off", "lights_on": "lights on"}.get(key, _spec(key)[0])


def _per_hours_of(summary: Mapping[str, Any], key: str) -> str:
    """Which hours an unstaged index or the staged PLM index per recording hour is per, with how many (``key``)."""
    lights = summary.get("lights_off") is not None or summary.get("lights_on") is not None
    hours = format_measure(key, summary.get(key))
    if lights:
        return f"hour in bed, lights off to on ({hours})"
    if summary.get("denominator") == "tst":  # staged: time in bed is the span of the staging
        return f"hour of recording ({hours}, the span of the staging)"
    assumed = summary.get("duration_source") in ("last_event", "last_lm")
    return f"hour of recording ({hours}{', assumed' if assumed else ''})"


def headline_rows(summary: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """The short measures table of a night: ``(label, value, what it is)`` rows.

    A staged night heads with the PLMS index (sleep) and shows every PLM per
    hour of recording (or time in bed) beside it; an unstaged night heads
    with the PLM index per hour of recording or time in bed. Then the counts,
    the periodicity index, the legs when known and the criteria.

    Parameters
    ----------
    summary : mapping
        A night summary (``NightResult.summary()``).

    Returns
    -------
    list of (str, str, str)
    """
    s = summary
    rows: list[tuple[str, str, str]] = []
    tib = s.get("plm_index_tib")
    if s.get("denominator") == "tst":
        rows.append((index_label(s, "plms_index"), format_measure("plms_index", s.get("plms_index")),
                     f"PLMs in sleep per hour of total sleep time ({format_measure('tst_hours', s.get('tst_hours'))})"))
        if "plm_index_tib" in s:
            rows.append((index_label(s, "plm_index_tib"), format_measure("plm_index_tib", tib),
                         f"all PLMs, sleep and wake, per {_per_hours_of(s, 'time_in_bed_hours')}"))
        rows.append((index_label(s, "plmw_index"), format_measure("plmw_index", s.get("plmw_index")),
                     f"PLMs in wake per hour of wake ({format_measure('wake_hours', s.get('wake_hours'))})"))
    else:
        rows.append((index_label(s, "plm_index"), format_measure("plm_index", s.get("plm_index")),
                     f"all PLMs per {_per_hours_of(s, 'hours_denominator')}; no sleep staging, so no PLMS index"))
    rows.append(("PLMs", format_measure("n_plm", s.get("n_plm")),
                 f"in {format_measure('n_series', s.get('n_series'))} periodic series"))
    rows.append(("LMs", format_measure("n_lm", s.get("n_lm")),
                 f"left leg {format_measure('n_lm_left', s.get('n_lm_left'))}, right leg "
                 f"{format_measure('n_lm_right', s.get('n_lm_right'))}; a bilateral LM counts once"))
    rows.append(("CLMs", format_measure("n_clm", s.get("n_clm")), "candidate leg movements"))
    rows.append(("periodicity index", format_measure("periodicity_index", s.get("periodicity_index")),
                 "Ferri et al. 2006; 0 to 1"))
    if s.get("excluded_hours"):
        rows.append((measure_label("excluded_hours"), format_measure("excluded_hours", s["excluded_hours"]),
                     "left out of every denominator"))
    if s.get("n_legs") is not None:
        rows.append((measure_label("n_legs"), format_measure("n_legs", s["n_legs"]),
                     "not comparable with two-leg nights" if s["n_legs"] == 1 else "left and right"))
    crit = s.get("criteria") or {}
    rows.append(("criteria", f"{crit.get('name', '')} [{crit.get('hash', '')}], plm {s.get('version', '')}", ""))
    return rows


def _clock(summary: Mapping[str, Any], seconds: Any) -> str:
    """``HH:MM:SS (N s)`` when the start time is known, else ``N s from the start``."""
    v = _number(seconds)
    if v is None:
        return "-"
    start = summary.get("start_time")
    if isinstance(start, str) and start:
        try:
            t = _dt.datetime.fromisoformat(start) + _dt.timedelta(seconds=v)
            return f"{t:%H:%M:%S} ({v:.1f} s)"
        except ValueError:
            pass
    return f"{v:.1f} s from the start"


#: Summary entries the measures table leaves out: shown elsewhere or not scalars.
_NOT_MEASURES = ("criteria", "source", "start_time", "notes", "version")


def measure_rows(summary: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """Every scalar measure of a night summary: ``(label, value, key)`` rows, in summary order.

    Parameters
    ----------
    summary : mapping
        A night summary (``NightResult.summary()``).

    Returns
    -------
    list of (str, str, str)
        Lists (the histograms) and the criteria are left out.
    """
    rows = []
    for k, v in summary.items():
        if k in _NOT_MEASURES or isinstance(v, (list, tuple, dict)):
            continue
        if k in ("lights_off", "lights_on"):
            text = _clock(summary, v)
        else:
            text = format_measure(k, v)
        label = index_label(summary, k) if k in ("plm_index", "plm_index_tib") else measure_label(k)
        rows.append((label, text, k))
    return rows


def night_notes(summary: Mapping[str, Any]) -> list[str]:
    """What a reader must know before comparing this night's index with another's.

    The one-leg note, the assumed recording length, then every note and
    warning the summary carries (``summary["notes"]``), each once.

    Parameters
    ----------
    summary : mapping

    Returns
    -------
    list of str
    """
    out = []
    if summary.get("n_legs") == 1:
        out.append(ONE_LEG_NOTE)
    source = summary.get("duration_source")
    if source in ("last_event", "last_lm") and summary.get("denominator") != "tst":
        hours = format_measure("duration_s", summary.get("duration_s"))
        out.append(f"Recording length assumed: {hours}, the end of the "
                   f"{'last event' if source == 'last_event' else 'last LM'}; the input gives no recording "
                   "length, so the index may be too high.")
    for note in summary.get("notes") or ():
        # the scorer's own one-leg warning says what ONE_LEG_NOTE says
        if note not in out and not (out and out[0] == ONE_LEG_NOTE and "two-leg nights" in str(note)):
            out.append(str(note))
    return out


def source_files(source: Any) -> list[str]:
    """The files a night came from: a combined night's source is ``"a; b"``.

    Parameters
    ----------
    source : str or None

    Returns
    -------
    list of str
    """
    return [p.strip() for p in re.split(r"\s*;\s*", str(source or "")) if p.strip()]
