"""NSRR XML annotations (``PSGAnnotation``) and Compumedics Profusion XML.

NSRR files hold ``ScoredEvents/ScoredEvent`` elements with ``EventType``,
``EventConcept`` (``"Name|Short name"``), ``Start`` and ``Duration`` (s
from the recording start). Profusion files (``CMPStudyConfig``) name the
event in ``Name`` and list the stages as ``SleepStages/SleepStage``, one
code per epoch. Concept mapping (case-insensitive, either half of the
``|`` pair):

* stages (``EventType`` ``Stages|Stages``): ``Wake|0`` W, ``Stage 1
  sleep|1`` N1, ``Stage 2 sleep|2`` N2, ``Stage 3 sleep|3`` and ``Stage 4
  sleep|4`` N3, ``REM sleep|5`` R, ``Movement|6`` and ``Unscored|9``
  unscored; one event may cover a run of epochs;
* ``Limb movement - left|Limb Movement (Left)``, ``Periodic leg movement -
  left|PLM (Left)`` and the right-leg forms: LMs of that leg (the PLM label
  is the exporting scorer's; plm scores afresh);
* ``RERA``: RERA; ``...hypopnea...``: hypopnea; ``...apnea...``: apnea;
  ``Arousal|Arousal ()`` and other ``Arousal`` concepts: arousal;
* ``Recording Start Time``: its ``Duration`` is the recording length, its
  ``ClockTime`` (``dd.mm.yy hh.mm.ss``, date de-identified by NSRR) gives
  ``metadata["start_clock_time"]``; ``start_time`` is None (no UTC offset);
* anything else (``SpO2 desaturation``, ``Unsure``) is ignored and counted.

Documents with a DTD or entity declarations are refused (no external
entities, no entity expansion).
"""
from __future__ import annotations

import datetime as _dt
import os
import re
import xml.etree.ElementTree as ET
from typing import Any
from xml.sax.saxutils import escape

import numpy as np

from .._util import rounded
from .._version import __version__
from ..errors import InputError
from ..atomic import atomic_write
from ..model import Hypnogram, LegMovements
from ._scored import (
    NUMERIC_STAGES,
    Rows,
    build_leg_movements,
    iter_nonempty,
    leg_table,
    scored_lms,
    read_event_file,
    parse_float,
    side_from_text,
    stage_code,
)

__all__ = ["read_nsrr_xml", "write_nsrr_xml", "sniff"]

_NUMERIC_STAGES = {str(code): stage for code, stage in NUMERIC_STAGES.items()}
_STAGE_CONCEPT = {"W": "Wake|0", "N1": "Stage 1 sleep|1", "N2": "Stage 2 sleep|2", "N3": "Stage 3 sleep|3",
                  "R": "REM sleep|5", "?": "Unscored|9"}
_RESP_CONCEPT = {"apnea": "Apnea|Apnea", "hypopnea": "Hypopnea|Hypopnea", "rera": "RERA|RERA"}


def sniff(path: str | os.PathLike, head: bytes) -> bool:
    """True for XML whose root is ``PSGAnnotation`` or ``CMPStudyConfig``."""
    try:
        text = head[:4096].decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
        if not text.startswith("<"):
            return False
        return re.search(r"<\s*(PSGAnnotation|CMPStudyConfig)\b", text) is not None
    except Exception:
        return False


def _parse(path: str | os.PathLike) -> ET.Element:
    data = read_event_file(path)
    if not data.strip():
        raise InputError(path, "file is empty; expected NSRR XML annotations")
    if re.search(rb"<!\s*(DOCTYPE|ENTITY)", data, flags=re.IGNORECASE):
        raise InputError(path, "XML with a DTD or entity declarations is refused; expected plain NSRR annotations")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise InputError(path, f"is not well-formed XML ({exc}); truncated file?") from None
    if root.tag not in ("PSGAnnotation", "CMPStudyConfig"):
        raise InputError(path, f"root element is <{root.tag}>; expected <PSGAnnotation> (NSRR) or "
                               "<CMPStudyConfig> (Profusion)")
    return root


def _text(elem: ET.Element, *names: str) -> str:
    for name in names:
        child = elem.find(name)
        if child is not None and child.text is not None:
            return child.text.strip()
    return ""


def classify(concept: str, event_type: str = "", location: str = "") -> tuple[str, str] | None:
    """``(kind, value)`` of an NSRR concept / Profusion name, or None when plm does not use it."""
    c = concept.strip()
    low = c.lower()
    et = event_type.lower()
    name, _, short = c.partition("|")
    if "stage" in et or re.fullmatch(r".*\|\s*\d\s*", c):
        code = _NUMERIC_STAGES.get(short.strip()) if short.strip().isdigit() else None
        code = code or stage_code(name) or stage_code(short)
        if code is not None:
            return "stage", code
    if low.startswith("recording start time"):
        return "start", ""
    if "rera" in re.split(r"[^a-z]+", low) or "respiratory effort related arousal" in low:
        return "respiratory", "rera"
    if "arousal" in low or "arousal" in et:
        return "arousal", "arousal"
    if "hypopnea" in low or "hypopnoea" in low:
        return "respiratory", "hypopnea"
    if "apnea" in low or "apnoea" in low:
        return "respiratory", "apnea"
    if re.search(r"\b(limb|leg) movement\b|\bplm\b|\blm\b", low) or "limb movement" in et:
        side = side_from_text(name) or side_from_text(short) or side_from_text(location) or ""
        return "lm", side
    if re.fullmatch(r"lights?[ -_]?(off|out)(\|.*)?", low):
        return "lights_off", ""
    if re.fullmatch(r"lights?[ -_]?on(\|.*)?", low):
        return "lights_on", ""
    return None


def read_nsrr_xml(path: str | os.PathLike, *, unknown_side: str = "auto") -> LegMovements:
    """Read NSRR (or Profusion) XML annotations into :class:`LegMovements`.

    Parameters
    ----------
    path : path-like
    unknown_side : {"auto", "error", "left", "right", "drop"}
        LM events whose concept and location name no leg (see
        ``docs/formats.md``).

    Returns
    -------
    LegMovements
    """
    root = _parse(path)
    epoch_text = _text(root, "EpochLength")
    epoch = parse_float(path, epoch_text, "EpochLength", None) if epoch_text else 30.0
    if epoch <= 0:
        raise InputError(path, f"EpochLength {epoch_text} must be > 0")
    rows = Rows()
    duration_s = None
    info: dict[str, Any] = {"format": "nsrr-xml"}
    for n, ev in enumerate(root.iter("ScoredEvent"), start=1):
        concept = _text(ev, "EventConcept", "Name")
        event_type = _text(ev, "EventType")
        location = _text(ev, "SignalLocation", "Input")
        cls = classify(concept, event_type, location)
        if cls is None:
            rows.ignore(concept)
            continue
        start_text = _text(ev, "Start")
        if cls[0] == "start":
            dur_text = _text(ev, "Duration")
            if dur_text:
                duration_s = parse_float(path, dur_text, "Recording Start Time Duration", None)
            clock = _text(ev, "ClockTime")
            m = re.search(r"(\d{1,2})\.(\d{2})\.(\d{2})\s*$", clock)
            if m:
                info["start_clock_time"] = f"{int(m.group(1)):02d}:{m.group(2)}:{m.group(3)}"
            continue
        if not start_text:
            raise InputError(path, f"ScoredEvent {n} ({concept}) has no <Start>")
        onset = parse_float(path, start_text, f"ScoredEvent {n} Start", None)
        dur_text = _text(ev, "Duration")
        duration = parse_float(path, dur_text, f"ScoredEvent {n} Duration", None) if dur_text else 0.0
        rows.add(onset, duration, cls[0], cls[1], n)
    hyp = None
    stages_elem = root.find(".//SleepStages")
    if stages_elem is not None and "stage" not in rows.kind:
        codes = [(s.text or "").strip() for s in stages_elem.iter("SleepStage")]
        bad = [c for c in codes if c not in _NUMERIC_STAGES]
        if bad:
            raise InputError(path, f"SleepStage code {bad[0]!r} is not one of {sorted(_NUMERIC_STAGES)}")
        if codes:
            hyp = Hypnogram([_NUMERIC_STAGES[c] for c in codes], epoch_length=epoch, onset=0.0)
    if duration_s is not None and duration_s <= 0:
        duration_s = None  # some files write 0 when the length is unknown
    lms = build_leg_movements(path, rows, duration_s=duration_s, epoch_length=epoch, unknown_side=unknown_side,
                              metadata=info, hypnogram=hyp)
    return lms


# ------------------------------------------------------------------ write
def _num(x: float) -> str:
    return repr(rounded(float(x), "onset"))  # seconds to the ms, as in every text output


def _event(event_type: str, concept: str, start: float, duration: float) -> str:
    et = f"<EventType>{escape(event_type)}</EventType>" if event_type else "<EventType/>"
    return (f"<ScoredEvent>{et}<EventConcept>{escape(concept)}</EventConcept>"
            f"<Start>{_num(start)}</Start><Duration>{_num(duration)}</Duration></ScoredEvent>")


def write_nsrr_xml(path: str | os.PathLike, obj: Any) -> None:
    """Write a night as NSRR-style XML annotations (atomically).

    Parameters
    ----------
    path : path-like
        Output ``.xml`` file.
    obj : NightResult or LegMovements
        Written: a ``Recording Start Time`` event (recording length and
        clock time), stage runs (``Stages|Stages``), respiratory events,
        arousals, lights, and each monolateral LM as ``Limb movement -
        left|Limb Movement (Left)`` (or right), or ``Periodic leg movement
        - left|PLM (Left)`` when plm scored it part of a PLM series
        (``NightResult.events["is_plm"]``).
    """
    ctx = obj.context
    parts = ['<?xml version="1.0" encoding="UTF-8" standalone="no"?>', "<PSGAnnotation>",
             f"<SoftwareVersion>plm {escape(__version__)}</SoftwareVersion>"]
    crit = getattr(obj, "criteria", None)
    if crit is not None:
        # A comment keeps NSRR readers, which know no criteria element, working.
        parts.append(f"<!-- plm scoring criteria: {crit.to_json().replace('--', '- -')} "
                     f"(name {escape(crit.name)}, hash {crit.hash}) -->")
    hyp = ctx.hypnogram
    parts.append(f"<EpochLength>{_num(hyp.epoch_length) if hyp is not None else '30'}</EpochLength>")
    parts.append("<ScoredEvents>")
    st: _dt.datetime | None = ctx.start_time
    clock = st.strftime("%d.%m.%y %H.%M.%S") if st is not None else "00.00.00 00.00.00"
    dur = ctx.duration_s
    parts.append("<ScoredEvent><EventType/><EventConcept>Recording Start Time</EventConcept><Start>0</Start>"
                 f"<Duration>{_num(dur) if dur is not None else '0'}</Duration>"
                 f"<ClockTime>{clock}</ClockTime></ScoredEvent>")
    if hyp is not None and len(hyp):
        stages = hyp.stages
        change = np.flatnonzero(stages[1:] != stages[:-1]) + 1
        starts = np.concatenate([[0], change])
        ends = np.concatenate([change, [len(stages)]])
        for a, b in zip(starts.tolist(), ends.tolist()):
            parts.append(_event("Stages|Stages", _STAGE_CONCEPT[str(stages[a])], hyp.onset + a * hyp.epoch_length,
                                (b - a) * hyp.epoch_length))
    for t, d, label in iter_nonempty(ctx.respiratory):
        parts.append(_event("Respiratory|Respiratory", _RESP_CONCEPT.get(label, f"{label}|{label}"), t, d))
    for t, d, _ in iter_nonempty(ctx.arousals):
        parts.append(_event("Arousals|Arousals", "Arousal|Arousal ()", t, d))
    for name, concept in (("lights_off", "Lights off|Lights off"), ("lights_on", "Lights on|Lights on")):
        if getattr(ctx, name) is not None:
            parts.append(_event("Lights|Lights", concept, getattr(ctx, name), 0.0))
    for t, d, leg, plm in scored_lms(leg_table(obj)):
        Leg = leg.capitalize()
        if plm:
            concept = f"Periodic leg movement - {leg}|PLM ({Leg})"
        else:
            concept = f"Limb movement - {leg}|Limb Movement ({Leg})"
        parts.append(_event("Limb Movement|Limb Movement", concept, t, d))
    parts += ["</ScoredEvents>", "</PSGAnnotation>"]
    with atomic_write(path, "w", newline="") as fh:
        fh.write("\n".join(parts) + "\n")
