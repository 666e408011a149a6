"""Event files with wall-clock times (RemLogic exports, ``Start/Type/Duration`` lists).

Such files give each event a clock time but not the recording start, and a
lab often exports LMs, hypnogram, arousals and respiratory events as
separate files. Rows are parsed to absolute (naive, local) times, files of
one night are put on one axis whose second 0 is the earliest row of any of
them, and the result goes through :func:`plm.io._scored.build_leg_movements`.
Separate exports are RemLogic exports (:func:`plm.io.remlogic.load_remlogic_export`).
"""
from __future__ import annotations

import datetime as _dt
import os
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..errors import InputError
from ..model import LegMovements
from ._scored import Rows, build_leg_movements, localize

_EPOCH = _dt.datetime(1970, 1, 1)


@dataclass
class ClockRows:
    """Rows of one file with onsets in microseconds since 1970-01-01 (local clock, naive).

    Whole microseconds up to 2**53 are exact in a float, so lining files up
    (subtracting the earliest onset) loses no precision.

    ``dated`` is False when the file gives clock times only and no date (the
    day is then arbitrary but consistent within the file). ``scored`` names
    the kinds the export says it contains (e.g. RemLogic's "Events
    Included"), so that an export without any arousal row still means
    "arousals scored, none found".
    """

    path: str
    rows: Rows
    dated: bool = True
    scored: set[str] = field(default_factory=set)
    info: dict[str, Any] = field(default_factory=dict)


def to_micros(t: _dt.datetime) -> float:
    """Whole microseconds since 1970-01-01 of a naive local datetime."""
    d = t.replace(tzinfo=None) - _EPOCH
    return float((d.days * 86400 + d.seconds) * 1_000_000 + d.microseconds)


def combine(
    main: ClockRows,
    *,
    hypnogram: str | os.PathLike | None = None,
    arousals: str | os.PathLike | None = None,
    respiratory: str | os.PathLike | None = None,
    tz: str | _dt.tzinfo | None = None,
    unknown_side: str = "auto",
    load: Callable[[str | os.PathLike], ClockRows] | None = None,
) -> LegMovements:
    """One night from a main clock-time file and optional separate exports.

    Parameters
    ----------
    main : ClockRows
        The LM file (its LMs, and any stages/events it holds).
    hypnogram, arousals, respiratory : path-like, optional
        Separate exports; only their stage, arousal or respiratory rows are
        used, and they replace those of the main file.
    tz : str or tzinfo, optional
        Time zone of the clock times (IANA name or ``+HH:MM``); without it
        the UTC offset the main file's times carry (``info["utc_offset"]``,
        LM lists), if any, is used; else ``start_time`` is None and the clock
        time of second 0 is kept in ``metadata["start_clock_time"]``.
    unknown_side : str
        See :func:`plm.io._scored.resolve_sides`.
    load : callable, optional
        Parses a separate export (needed when one is given):
        :func:`plm.io.remlogic.load_remlogic_export`.
    """
    parts: list[tuple[ClockRows, set[str] | None]] = [(main, None)]
    replaced: set[str] = set()
    for arg, kinds in ((hypnogram, {"stage"}), (arousals, {"arousal"}), (respiratory, {"respiratory"})):
        if arg is None:
            continue
        if not isinstance(arg, (str, os.PathLike)):
            raise InputError(main.path, f"separate {next(iter(kinds))} export must be a file path, got "
                                        f"{type(arg).__name__}")
        parts.append((load(arg), kinds))
        replaced |= kinds
    dated = {p.dated for p, _ in parts}
    if len(dated) > 1:
        undated = [p.path for p, _ in parts if not p.dated]
        raise InputError(undated[0], "gives clock times without a date while the other files of this night have "
                                     "dates; cannot line them up")
    rows = Rows()
    scored: set[str] = set()
    info: dict[str, Any] = dict(main.info)
    offset = info.pop("utc_offset", None)
    if offset is not None and tz is None:
        tz = _dt.timezone(offset)
    for part, kinds in parts:
        onset, duration, kind, value, rownum = part.rows.arrays()
        keep = ~np.isin(kind, list(replaced)) if kinds is None else np.isin(kind, list(kinds))
        for t, d, k, v, r in zip(onset[keep], duration[keep], kind[keep], value[keep], rownum[keep]):
            rows.add(t, d, k, v, r)
        if kinds is None:
            rows.ignored.update(part.rows.ignored)
            scored |= part.scored - replaced
        else:
            scored |= kinds
            info.setdefault("files", {})[next(iter(kinds))] = part.path
    onset = np.asarray(rows.onset, dtype=float)
    kinds_arr = np.asarray(rows.kind, dtype=object)
    if len(onset) == 0:
        if main.info.get("n_rows", 0) == 0:
            raise InputError(main.path, "holds no events; expected leg movements, stages or other scored events")
        origin = 0.0
    else:
        origin = float(np.min(onset))
    _check_overlap(main, parts, onset, kinds_arr, rows)
    rows.onset = list((onset - origin) / 1e6)
    start_naive = _EPOCH + _dt.timedelta(microseconds=origin) if len(onset) else None
    start_time = None
    if start_naive is not None and main.dated:
        info["start_clock_time"] = start_naive.isoformat()
        start_time = localize(start_naive, tz, main.path)
    elif start_naive is not None:
        info["start_clock_time"] = start_naive.time().isoformat()
    lms = build_leg_movements(main.path, rows, start_time=start_time, unknown_side=unknown_side, metadata=info)
    # An export that lists a kind among its contents but has no such row scored
    # it and found none (empty); a file that cannot hold a kind did not score it (None).
    changes: dict[str, Any] = {}
    if "respiratory" not in scored and len(lms.respiratory) == 0:
        changes["respiratory"] = None
    if "arousal" not in scored and len(lms.arousals) == 0:
        changes["arousals"] = None
    return lms.replace(**changes) if changes else lms


def _check_overlap(main, parts, onset, kind, rows) -> None:
    """Separate exports from another night would silently score nothing: refuse them."""
    if len(parts) < 2:
        return
    is_lm = kind == "lm"
    if not np.any(is_lm):
        return
    lm_lo, lm_hi = float(np.min(onset[is_lm])), float(np.max(onset[is_lm]))
    dur = np.asarray(rows.duration, dtype=float)
    for part, kinds in parts[1:]:
        mask = np.isin(kind, list(kinds))
        if not np.any(mask):
            continue
        lo, hi = float(np.min(onset[mask])), float(np.max(onset[mask] + dur[mask] * 1e6))
        if hi < lm_lo or lo > lm_hi:
            raise InputError(part.path, f"its events ({_fmt(lo)} to {_fmt(hi)}) do not overlap the leg movements "
                                        f"of {main.path} ({_fmt(lm_lo)} to {_fmt(lm_hi)}); different nights?")


def _fmt(micros: float) -> str:
    return (_EPOCH + _dt.timedelta(microseconds=micros)).isoformat(sep=" ", timespec="seconds")
