"""The ``plm`` events TSV: BIDS events files of scored nights, input and output.

Tab-separated, the header on line 1, times in seconds from the recording
start, ``n/a`` for missing values (a valid BIDS ``*_events.tsv``)::

    onset	duration	trial_type	value	side	lm_id	is_clm	is_plm	series	...
    0.0	30.0	sleep_stage	N2	n/a	n/a	n/a	n/a	n/a
    1214.908	5.0	lm_right	n/a	right	0	1	0	-1

``trial_type`` (``type`` is read too) is ``lm_left``/``lm_right`` (one row
per monolateral LM), ``sleep_stage`` (``value`` W, N1, N2, N3, R or ``?``;
one row per epoch or per run of epochs), ``apnea``, ``hypopnea``, ``rera``,
``arousal``, ``lights_off`` and ``lights_on``. Any other type is ignored and
counted in ``LegMovements.metadata["ignored"]``. A JSON sidecar with the same
name (``x_events.json`` beside ``x_events.tsv``) describes every column
(BIDS ``Description``, ``Levels``, ``Units``) and carries ``start_time``
(ISO 8601 with UTC offset), ``duration_s`` (recording length),
``epoch_length``, ``source``, and for a scored night ``criteria`` and
``plm_version``. Files of older plm versions carry these keys in ``# key:
value`` comment lines before the header; they still read. Columns after
``value`` are the scorer's per-LM results when written from a
:class:`~plm.model.result.NightResult`; the reader ignores them (scoring from
the file starts afresh). See ``docs/formats.md``.
"""
from __future__ import annotations

import datetime as _dt
import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from .._util import json_text, rounded
from ..atomic import atomic_write
from ..errors import InputError
from ..model import EVENT_COLUMNS, LegMovements
from ._scored import (
    RESPIRATORY_LABELS,
    Rows,
    build_leg_movements,
    head_text,
    iter_nonempty,
    localize,
    leg_table,
    parse_float,
    parse_iso,
    read_text,
    stage_code,
)

__all__ = ["read_events_tsv", "write_events_tsv", "events_sidecar", "sidecar_path", "sniff"]

_NA = {"", "n/a", "na", "nan", "none"}
_LM_TYPES = {"lm_left": "left", "lm_right": "right", "lm": ""}
_RESP_TYPES = {"apnea": "apnea", "apnea_obstructive": "apnea", "apnea_central": "apnea", "apnea_mixed": "apnea",
               "hypopnea": "hypopnea", "hypopnea_obstructive": "hypopnea", "hypopnea_central": "hypopnea",
               "rera": "rera"}


def sniff(path: str | os.PathLike, head: bytes) -> bool:
    """True when the first non-comment line is a tab-separated header starting ``onset, duration``."""
    try:
        for line in head_text(head).split("\n"):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            cells = [c.strip().lower() for c in line.split("\t")]
            return len(cells) >= 3 and cells[0] == "onset" and cells[1] == "duration"
        return False
    except Exception:
        return False


def _header_and_table(path, text: str) -> tuple[dict[str, str], list[str], list[tuple[int, list[str]]]]:
    meta: dict[str, str] = {}
    header: list[str] | None = None
    body: list[tuple[int, list[str]]] = []
    for lineno, line in enumerate(text.split("\n"), start=1):
        if header is None:
            stripped = line.strip()
            if not stripped:
                continue
            if stripped.startswith("#"):
                key, sep, value = stripped.lstrip("#").partition(":")
                if sep:
                    meta[key.strip().lower()] = value.strip()
                continue
            header = [c.strip().lower() for c in line.split("\t")]
            continue
        if not line.strip():
            continue
        body.append((lineno, line.split("\t")))
    if header is None:
        raise InputError(path, "no header row; expected a tab-separated header 'onset<TAB>duration<TAB>trial_type'")
    return meta, header, body


def read_events_tsv(
    path: str | os.PathLike,
    *,
    tz: str | _dt.tzinfo | None = None,
    unknown_side: str = "auto",
) -> LegMovements:
    """Read a ``plm`` events TSV (BIDS events file, or the older form with ``#`` lines) into :class:`LegMovements`.

    Parameters
    ----------
    path : path-like
    tz : str or tzinfo, optional
        Time zone of a ``start_time`` written without UTC offset (IANA name
        or ``+HH:MM``). Without it such a start time is kept only as
        ``metadata["start_clock_time"]`` and ``start_time`` is None.
    unknown_side : {"auto", "error", "left", "right", "drop"}
        What to do with ``lm`` rows without a ``side`` column value (see
        ``docs/formats.md``).

    Returns
    -------
    LegMovements
        LMs per leg, with hypnogram, respiratory events, arousals, lights
        and ``start_time``/``duration_s`` when the file gives them.
    """
    text = read_text(path)
    meta, header, body = _header_and_table(path, text)
    sidecar = sidecar_path(path)
    if sidecar.is_file():
        try:
            side_meta = json.loads(sidecar.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(sidecar, f"JSON sidecar cannot be read ({exc})") from None
        if isinstance(side_meta, dict):
            for key in ("start_time", "start_clock_time", "duration_s", "epoch_length"):
                if key in side_meta and key not in meta and side_meta[key] is not None:
                    meta[key] = str(side_meta[key])
    col = {name: i for i, name in enumerate(header)}
    if "type" not in col and "trial_type" in col:
        col["type"] = col["trial_type"]
    missing = [c for c in ("onset", "duration", "type") if c not in col]
    if missing:
        raise InputError(path, f"header lacks column(s) {missing}; found {header}, "
                               "expected 'onset', 'duration', 'trial_type' (or 'type') and optional 'value'")
    i_on, i_dur, i_type = col["onset"], col["duration"], col["type"]
    i_val, i_side = col.get("value"), col.get("side")
    rows = Rows()
    for lineno, cells in body:
        if len(cells) != len(header):
            raise InputError(path, f"row {lineno} has {len(cells)} fields but the header has {len(header)} "
                                   "(truncated or mis-separated file?)")
        typ = cells[i_type].strip().lower()
        value = cells[i_val].strip() if i_val is not None else ""
        onset = parse_float(path, cells[i_on], "onset", lineno)
        dur_text = cells[i_dur].strip()
        duration = 0.0 if dur_text.lower() in _NA and typ in ("lights_off", "lights_on") else \
            parse_float(path, dur_text, "duration", lineno)
        if typ in _LM_TYPES:
            side = _LM_TYPES[typ]
            if not side and i_side is not None:
                s = cells[i_side].strip().lower()
                side = s if s in ("left", "right") else ""
            rows.add(onset, duration, "lm", side, lineno)
        elif typ == "sleep_stage":
            code = stage_code(value)
            if code is None:
                raise InputError(path, f"row {lineno}: sleep stage value {value!r} is not one of W, N1, N2, N3, R, ?")
            rows.add(onset, duration, "stage", code, lineno)
        elif typ in _RESP_TYPES:
            rows.add(onset, duration, "respiratory", _RESP_TYPES[typ], lineno)
        elif typ == "arousal" or typ.startswith("arousal_"):
            rows.add(onset, duration, "arousal", "arousal", lineno)
        elif typ in ("lights_off", "lights_on"):
            rows.add(onset, duration, typ, "", lineno)
        else:
            rows.ignore(cells[i_type])
    start_time = None
    info: dict[str, Any] = {"format": "events-tsv"}
    given = {key: value for key, value in meta.items() if value.lower() not in _NA}
    if "start_time" in given:
        st = parse_iso(given["start_time"])
        if st is None:
            raise InputError(path, f"start_time {given['start_time']!r} is not an ISO 8601 date-time")
        if st.tzinfo is not None:
            start_time = st
        else:
            start_time = localize(st, tz, path)
            info["start_clock_time"] = st.isoformat()
    if start_time is None and "start_clock_time" not in info and "start_clock_time" in given:
        info["start_clock_time"] = given["start_clock_time"]
    duration_s = parse_float(path, given["duration_s"], "duration_s", None) if "duration_s" in given else None
    epoch = parse_float(path, given["epoch_length"], "epoch_length", None) if "epoch_length" in given else None
    return build_leg_movements(path, rows, start_time=start_time, duration_s=duration_s, epoch_length=epoch,
                               unknown_side=unknown_side, metadata=info)


# ------------------------------------------------------------------ write
#: Columns every events TSV starts with (BIDS: ``onset``, ``duration``, ``trial_type``, ``value``).
LEADING_COLUMNS = ("onset", "duration", "trial_type", "value")
_TYPE_LEVELS = {
    "lm_left": "leg movement of the left leg (one row per monolateral LM)",
    "lm_right": "leg movement of the right leg (one row per monolateral LM)",
    "sleep_stage": "one 30 s sleep-staging epoch (stage in value)",
    "apnea": "apnea", "hypopnea": "hypopnea", "rera": "respiratory-effort-related arousal",
    "arousal": "arousal", "lights_off": "lights off (duration 0)", "lights_on": "lights on (duration 0)",
}
_BOOL_LEVELS = {"1": "yes", "0": "no"}


def _cell(value: Any, name: str | None = None) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, (bool, np.bool_)):
        return "1" if value else "0"
    if isinstance(value, (float, np.floating)):
        v = rounded(float(value), name)
        return "n/a" if not math.isfinite(v) else repr(v)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    s = str(value)
    return "n/a" if s in ("", "nan") else s.replace("\t", " ").replace("\n", " ")


def sidecar_path(path: str | os.PathLike) -> Path:
    """The JSON sidecar of an events TSV: the same name with ``.json`` (``x_events.tsv`` -> ``x_events.json``)."""
    return Path(path).with_suffix(".json")  # the registry's `sidecar` of events-tsv


def _column_descriptions(columns: list[str], types: set[str]) -> dict[str, Any]:
    """BIDS column descriptions (``Description``, ``Levels``, ``Units``) of every column written."""
    out: dict[str, Any] = {
        "onset": {"Description": "Start of the event, seconds from the recording start", "Units": "s"},
        "duration": {"Description": "Length of the event", "Units": "s"},
        "trial_type": {"Description": "Event kind",
                       "Levels": {t: _TYPE_LEVELS.get(t, "scored event (as labelled in the source)")
                                  for t in sorted(types)}},
        "value": {"Description": "Sleep stage of sleep_stage rows; n/a on other rows",
                  "Levels": dict(EVENT_COLUMNS["stage"].levels or {})},
    }
    for name in columns:
        if name in out:
            continue
        col = EVENT_COLUMNS.get(name)
        if col is None:
            out[name] = {"Description": f"{name} (as written by plm)"}
            continue
        desc: dict[str, Any] = {"Description": col.description + ("; n/a on rows that are not leg movements"
                                                                  if name != "side" else "")}
        if col.levels:
            desc["Levels"] = dict(col.levels)
        elif col.dtype == "bool":
            desc["Levels"] = dict(_BOOL_LEVELS)
        if col.units:
            desc["Units"] = col.units
        out[name] = desc
    return out


def events_sidecar(obj: Any, columns: list[str], types: set[str]) -> dict[str, Any]:
    """The JSON sidecar of a night's events TSV.

    Parameters
    ----------
    obj : NightResult or LegMovements
    columns : list of str
        The TSV's columns.
    types : set of str
        The ``trial_type`` values written.

    Returns
    -------
    dict
        ``Description`` of the file, one BIDS description per column, then ``start_time`` (ISO 8601 with
        UTC offset, or None), ``start_clock_time`` (when only a local clock
        time is known), ``duration_s``, ``epoch_length`` (with staging),
        ``source`` and, for a scored night, ``criteria`` (name, hash, params)
        and ``plm_version``.
    """
    ctx = obj.context
    crit = getattr(obj, "criteria", None)
    scored = crit is not None and hasattr(crit, "hash")
    meta: dict[str, Any] = {"Description": (
        "Leg movements of one night, one row per monolateral LM, with the night's staging and scored events"
        + (f"; scored by plm {getattr(obj, 'version', '')} with criteria {crit.name} {crit.hash}" if scored
           else ""))}
    meta.update(_column_descriptions(columns, types))
    st = ctx.start_time
    meta["start_time"] = None if st is None else st.isoformat()
    if st is None and ctx.start_clock_time:
        meta["start_clock_time"] = ctx.start_clock_time  # local clock time without UTC offset, as the source gave it
    meta["duration_s"] = None if ctx.duration_s is None else float(ctx.duration_s)
    if ctx.hypnogram is not None:
        meta["epoch_length"] = float(ctx.hypnogram.epoch_length)
    meta["source"] = ctx.source or None
    if scored:
        # A scored table says how it was scored, like every other output.
        meta["criteria"] = crit.describe()
        meta["plm_version"] = getattr(obj, "version", None)
    return meta


def write_events_tsv(path: str | os.PathLike, obj: Any) -> None:
    """Write a night's events as a BIDS events TSV and its JSON sidecar (atomically).

    Parameters
    ----------
    path : path-like
        Output file (``.tsv``; ``<stem>_events.tsv`` for BIDS); the sidecar
        goes beside it (:func:`sidecar_path`). Both are written to a
        temporary name, then renamed.
    obj : NightResult or LegMovements
        The header (line 1) is ``onset, duration, trial_type, value`` and
        every other column of ``NightResult.events`` (``side, lm_id, is_clm,
        is_plm, series, ...``; ``side`` for LegMovements). Rows: one per
        monolateral LM (``lm_left``/``lm_right``), one ``sleep_stage`` row per
        epoch, ``apnea``/``hypopnea``/``rera``/``arousal``/``lights_*`` rows,
        in onset order. ``n/a`` marks a missing value; booleans are 1/0; times
        are rounded to the ms. Start time, recording length, source, criteria
        and version go into the sidecar (:func:`events_sidecar`).
    """
    ctx = obj.context
    table = leg_table(obj)
    extra_cols = [c for c in table if c not in ("onset", "duration", "type", *LEADING_COLUMNS)]
    header = [*LEADING_COLUMNS, *extra_cols]
    records: list[tuple[float, int, list[str]]] = []
    na_tail = ["n/a"] * len(extra_cols)
    types: set[str] = set()

    n = len(table["onset"])
    for i in range(n):
        typ = f"lm_{table['side'][i]}"
        cells = [_cell(float(table["onset"][i]), "onset"), _cell(float(table["duration"][i]), "duration"), typ, "n/a"]
        cells += [_cell(table[c][i].item() if hasattr(table[c][i], "item") else table[c][i], c) for c in extra_cols]
        records.append((float(table["onset"][i]), 1, cells))
        types.add(typ)

    def add(t: float, order: int, d: float, typ: str, value: str = "n/a") -> None:
        records.append((t, order, [_cell(t, "onset"), _cell(d, "duration"), typ, value] + na_tail))
        types.add(typ)

    hyp = ctx.hypnogram
    if hyp is not None:
        starts = hyp.onset + np.arange(len(hyp)) * hyp.epoch_length
        for t, stage in zip(starts.tolist(), hyp.stages.tolist()):
            add(t, 0, hyp.epoch_length, "sleep_stage", stage)
    for t, d, label in iter_nonempty(ctx.respiratory):
        add(t, 2, d, label if label in RESPIRATORY_LABELS else label.lower().replace(" ", "_"))
    for t, d, _ in iter_nonempty(ctx.arousals):
        add(t, 3, d, "arousal")
    for name in ("lights_off", "lights_on"):
        if getattr(ctx, name) is not None:
            add(float(getattr(ctx, name)), 4, 0.0, name)
    records.sort(key=lambda r: (r[0], r[1]))

    lines = ["\t".join(header)]
    lines.extend("\t".join(cells) for _, _, cells in records)
    sidecar = json_text(events_sidecar(obj, header, types))
    with atomic_write(path, "w", newline="") as fh:
        fh.write("\n".join(lines) + "\n")
    with atomic_write(sidecar_path(path), "w", newline="") as fh:
        fh.write(sidecar)
