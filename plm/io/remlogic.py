"""RemLogic (Embla/Natus) "Event Export" text files.

Layout: a title line ``RemLogic Event Export``, ``Key:<TAB>value`` header
lines (``Patient``, ``Patient ID``, ``Recording Date``), an ``Events
Included:`` list, then a tab-separated table whose header names some of
``Sleep Stage``, ``Position``, ``Date``, ``Time [hh:mm:ss]`` (or
``Time [hh:mm:ss.xxx]``), ``Event``, ``Duration[s]``, ``Location``. Times
are ISO date-times, or clock times with a ``Date`` column, or clock times
alone (then the ``Recording Date`` header gives the first day and a clock
time more than 12 h earlier than the row before starts the next day).

Event mapping (case-insensitive):

* ``SLEEP-S0`` W, ``SLEEP-S1``..``S3`` N1..N3, ``SLEEP-S4`` N3,
  ``SLEEP-REM`` R, ``SLEEP-UNSCORED``/``SLEEP-MT`` unscored;
* ``LM``, ``PLM-LM``, ``PLM``, ``LM-*``: leg movement; the side comes from
  the event name (``LM-LEFT``) or the ``Location`` (``EMG.Tibialis-Leg.Left``);
* ``AROUSAL*``: arousal; ``APNEA*``: apnea; ``HYPOPNEA*``: hypopnea;
  ``RERA*``: RERA; ``LIGHTS-OFF``/``LIGHTS-ON``: lights;
* anything else (``DESAT``, ``SNORE``, ...) is ignored and counted in
  ``metadata["ignored"]``.

The export has no recording start: second 0 is the earliest row (of this
file and of the separate exports given). Clock times carry no UTC offset:
``start_time`` is None unless ``tz=`` is given.
"""
from __future__ import annotations

import datetime as _dt
import os
import re
from typing import Any

import numpy as np

from ..errors import InputError
from ..model import Hypnogram, LegMovements, ScoredEvents
from ._clock_time import ClockRows, combine, to_micros
from ._rawfiles import read_file
from ._scored import Rows, head_text, parse_clock, parse_float, parse_iso, read_text, rollover_days, side_from_text, stage_code

__all__ = ["read_remlogic", "read_remlogic_hypnogram", "read_remlogic_events", "sniff", "parse_remlogic",
           "load_remlogic_export"]


def sniff(path: str | os.PathLike, head: bytes) -> bool:
    """True for a RemLogic event export (title line or its table header)."""
    try:
        text = head_text(head)
        first = text.lstrip().split("\n", 1)[0].strip().lower()
        if first.startswith("remlogic") and "export" in first:
            return True
        return any(_is_table_header(line) for line in text.split("\n")[:200])
    except Exception:
        return False


def _is_table_header(line: str) -> bool:
    cells = [c.strip().lower() for c in line.split("\t")]
    return any(c.startswith("time [") or c.startswith("time[") for c in cells) and "event" in cells


def _parse_date(text: str) -> tuple[_dt.date | None, bool]:
    """Date of a header or Date cell; second value True when day/month order was guessed."""
    t = text.strip()
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", t)
    if m:
        return _dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))), False
    m = re.fullmatch(r"(\d{1,2})([/.\-])(\d{1,2})\2(\d{4})", t)
    if not m:
        return None, False
    a, sep, b, y = int(m.group(1)), m.group(2), int(m.group(3)), int(m.group(4))
    if sep == ".":  # 13.08.2013: day first
        month, day, guessed = b, a, False
    elif a > 12:
        month, day, guessed = b, a, False
    elif b > 12:
        month, day, guessed = a, b, False
    else:  # RemLogic writes US dates (8/13/2013) in its default locale
        month, day, guessed = a, b, True
    try:
        return _dt.date(y, month, day), guessed
    except ValueError:
        return None, False


_LM_RE = re.compile(r"^(?:PLM-)?LM(?:[-_ ].*)?$|^PLM(?:[-_ ](?:L|R|LEFT|RIGHT))?$|^LIMB[-_ ]MOVEMENT.*$|^LEG[-_ ]MOVEMENT.*$")


def classify(event: str, location: str = "") -> tuple[str, str] | None:
    """``(kind, value)`` of one RemLogic event name, or None when plm does not use it."""
    name = event.strip().upper()
    if name.startswith("SLEEP-"):
        code = stage_code(name)
        return ("stage", code) if code is not None else None
    if name.startswith("AROUSAL"):
        return "arousal", "arousal"
    if name.startswith("HYPOPNEA"):
        return "respiratory", "hypopnea"
    if name.startswith("APNEA"):
        return "respiratory", "apnea"
    if name.startswith("RERA"):
        return "respiratory", "rera"
    compact = re.sub(r"[\s_]", "-", name)
    if compact in ("LIGHTS-OFF", "LIGHTSOFF", "LIGHTS-OUT"):
        return "lights_off", ""
    if compact in ("LIGHTS-ON", "LIGHTSON"):
        return "lights_on", ""
    if _LM_RE.match(name):
        side = side_from_text(name) or side_from_text(location) or ""
        return "lm", side
    return None


def parse_remlogic(path: str | os.PathLike) -> ClockRows:
    """Rows of a RemLogic export on the absolute (naive local) time axis."""
    text = read_text(path)
    lines = text.split("\n")
    header_info: dict[str, str] = {}
    included: list[str] = []
    table_at = None
    in_list = False
    for i, line in enumerate(lines):
        if _is_table_header(line):
            table_at = i
            break
        stripped = line.strip()
        if not stripped:
            in_list = False
            continue
        key, sep, value = stripped.partition(":")
        if sep and key.strip().lower() == "events included":
            in_list = True
            continue
        if in_list:
            included.append(stripped.upper())
        elif sep:
            header_info[key.strip().lower()] = value.strip()
    if table_at is None:
        raise InputError(path, "no event table found; expected a header row with 'Time [hh:mm:ss]', 'Event' and "
                               "'Duration[s]' columns (RemLogic Event Export)")
    header = [c.strip().lower() for c in lines[table_at].split("\t")]
    col: dict[str, int] = {}
    for j, name in enumerate(header):
        if name.startswith("time"):
            col.setdefault("time", j)
        elif name == "date":
            col["date"] = j
        elif name == "event":
            col["event"] = j
        elif name.startswith("duration"):
            col["duration"] = j
        elif name.startswith("location"):
            col["location"] = j
    missing = [c for c in ("time", "event", "duration") if c not in col]
    if missing:
        raise InputError(path, f"event table lacks column(s) {missing}; found {header}")
    base_date, guessed = _parse_date(header_info.get("recording date", ""))
    rows = Rows()
    stamps: list[float] = []
    clock_only: list[bool] = []
    n_rows = 0
    for lineno in range(table_at + 2, len(lines) + 1):
        line = lines[lineno - 1]
        if not line.strip():
            continue
        cells = line.split("\t")
        if len(cells) <= max(col.values()):
            # Optional trailing cells (e.g. Location) may be missing; required ones may not.
            need = max(col[c] for c in ("time", "event", "duration"))
            if len(cells) <= need:
                raise InputError(path, f"row {lineno} has {len(cells)} fields; the table header has {len(header)} "
                                       "(truncated file?)")
        n_rows += 1
        event = cells[col["event"]].strip()
        location = cells[col["location"]].strip() if "location" in col and col["location"] < len(cells) else ""
        cls = classify(event, location)
        if cls is None:
            rows.ignore(event)
            continue
        time_text = cells[col["time"]].strip()
        stamp = parse_iso(time_text)
        if stamp is None and "date" in col:
            day, _ = _parse_date(cells[col["date"]])
            sec = parse_clock(time_text)
            if day is None or sec is None:
                raise InputError(path, f"row {lineno}: date/time {cells[col['date']].strip()!r} {time_text!r} "
                                       "is not a date and a clock time")
            stamp = _dt.datetime.combine(day, _dt.time()) + _dt.timedelta(seconds=sec)
        if stamp is not None:
            stamps.append(to_micros(stamp))
            clock_only.append(False)
        else:
            sec = parse_clock(time_text)
            if sec is None:
                raise InputError(path, f"row {lineno}: time {time_text!r} is not hh:mm:ss or an ISO date-time")
            stamps.append(round(sec * 1e6))
            clock_only.append(True)
        duration = parse_float(path, cells[col["duration"]], "duration", lineno)
        rows.add(0.0, duration, cls[0], cls[1], lineno)
    clock = np.asarray(clock_only, dtype=bool)
    t = np.asarray(stamps, dtype=float)
    dated = True
    if np.any(clock):
        if not np.all(clock):
            raise InputError(path, "mixes clock times with and without dates")
        days = rollover_days(t / 1e6)
        if base_date is None:
            dated = False
            base = 0.0
        else:
            base = to_micros(_dt.datetime.combine(base_date, _dt.time()))
        t = base + days * 86_400_000_000.0 + t
    rows.onset = list(t)
    scored = set()
    if any(x.startswith("AROUSAL") for x in included):
        scored.add("arousal")
    if any(x.startswith(("APNEA", "HYPOPNEA", "RERA")) for x in included):
        scored.add("respiratory")
    info: dict[str, Any] = {"format": "remlogic", "n_rows": n_rows}
    for key in ("patient", "patient id", "recording date"):
        if key in header_info:
            info[key.replace(" ", "_")] = header_info[key]
    if guessed and np.any(clock):
        info["date_order_assumed"] = "month/day/year"
    return ClockRows(os.fspath(path), rows, dated=dated, scored=scored, info=info)


def load_remlogic_export(path: str | os.PathLike) -> ClockRows:
    """The rows of a separate hypnogram, arousal or respiratory export (a RemLogic Event Export).

    Parameters
    ----------
    path : path-like

    Returns
    -------
    ClockRows
    """
    if not sniff(path, read_file(path, 65536)):
        raise InputError(path, "not a RemLogic event export; separate hypnogram, arousal and respiratory files "
                               "must be RemLogic exports with clock times")
    return parse_remlogic(path)


def read_remlogic(
    path: str | os.PathLike,
    *,
    hypnogram: str | os.PathLike | None = None,
    arousals: str | os.PathLike | None = None,
    respiratory: str | os.PathLike | None = None,
    tz: str | _dt.tzinfo | None = None,
    unknown_side: str = "auto",
) -> LegMovements:
    """Read a RemLogic Event Export into :class:`LegMovements`.

    Parameters
    ----------
    path : path-like
        The export holding the leg movements (and whatever else it holds).
    hypnogram, arousals, respiratory : path-like, optional
        Separate RemLogic exports of the same night; their stage / arousal /
        respiratory rows replace those of ``path``. All files are put on one time axis (second 0 = the
        earliest row of any of them).
    tz : str or tzinfo, optional
        Time zone of the clock times (IANA name or ``+HH:MM``); without it
        ``start_time`` is None and ``metadata["start_clock_time"]`` holds
        the local clock time of second 0.
    unknown_side : {"auto", "error", "left", "right", "drop"}
        LMs whose name and location give no leg (see ``docs/formats.md``).

    Returns
    -------
    LegMovements
    """
    return combine(parse_remlogic(path), hypnogram=hypnogram, arousals=arousals, respiratory=respiratory,
                   tz=tz, unknown_side=unknown_side, load=load_remlogic_export)


def read_remlogic_hypnogram(path: str | os.PathLike) -> Hypnogram:
    """The hypnogram of a RemLogic export alone (epoch 0 = its first stage row).

    To line a hypnogram up with LMs from another file, pass its path as
    ``hypnogram=`` to :func:`read_remlogic` or :func:`plm.io.lm_list.read_lm_list`.
    """
    lms = combine(parse_remlogic(path))
    if lms.hypnogram is None:
        raise InputError(path, "holds no SLEEP-* rows; expected a RemLogic hypnogram export")
    return lms.hypnogram


def read_remlogic_events(path: str | os.PathLike) -> tuple[ScoredEvents | None, ScoredEvents | None]:
    """``(respiratory, arousals)`` of a RemLogic export alone, in s from its first row."""
    lms = combine(parse_remlogic(path))
    return lms.respiratory, lms.arousals
