"""``Start/Type/Duration`` leg-movement lists (e.g. MATPLM's LM export).

Tab-separated with the header ``Start<TAB>Type<TAB>Duration``; ``Start`` is
an ISO 8601 date-time (naive local time, or with UTC offset), ``Duration``
in seconds. ``left-LM`` and ``right-LM`` rows are the monolateral leg
movements plm scores. Rows such as ``candidate-LM`` and ``periodic-LM`` are
the exporting program's own scoring: they are not used (plm scores the
monolateral LMs itself) but are counted in ``metadata["ignored"]`` so they
can be compared with plm's CLM and PLM counts. The file has no recording
start: second 0 is its earliest row (of any type) and the recording is
taken to end at the latest row end, unless a separate hypnogram export
(``hypnogram=``) reaches further.
"""
from __future__ import annotations

import datetime as _dt
import os
from typing import Any

from ..errors import InputError
from ..model import LegMovements
from ._clock_time import ClockRows, combine, to_micros
from ._scored import Rows, head_text, parse_float, parse_iso, read_text, side_from_text
from .remlogic import load_remlogic_export

__all__ = ["read_lm_list", "sniff", "parse_lm_list"]

_COLUMNS = ["start", "type", "duration"]


def sniff(path: str | os.PathLike, head: bytes) -> bool:
    """True when the first non-blank line is the ``Start, Type, Duration`` header."""
    try:
        for line in head_text(head).split("\n"):
            if line.strip():
                return [c.strip().lower() for c in line.split("\t")][:3] == _COLUMNS
        return False
    except Exception:
        return False


def _lm_side(label: str) -> str | None:
    """Side of an LM row type (``left-LM``, ``LM right``, ``lm_l``), ``""`` if an LM without side, else None."""
    t = label.strip().lower().replace("_", "-").replace(" ", "-")
    parts = [p for p in t.split("-") if p]
    if "lm" not in parts:
        return None
    rest = [p for p in parts if p != "lm"]
    if not rest:
        return ""
    side = side_from_text(" ".join(rest))
    if side is not None and len(rest) == 1:
        return side
    return None  # e.g. candidate-LM, periodic-LM: the program's own results


def parse_lm_list(path: str | os.PathLike) -> ClockRows:
    """Rows of an LM list on the absolute (naive local) time axis."""
    text = read_text(path)
    lines = text.split("\n")
    first = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    header = [c.strip().lower() for c in lines[first].split("\t")]
    if header[:3] != _COLUMNS:
        raise InputError(path, f"header is {header}; expected 'Start<TAB>Type<TAB>Duration'")
    rows = Rows()
    offsets: set[Any] = set()
    n_rows = 0
    for lineno in range(first + 2, len(lines) + 1):
        line = lines[lineno - 1]
        if not line.strip():
            continue
        cells = line.split("\t")
        if len(cells) < 3:
            raise InputError(path, f"row {lineno} has {len(cells)} fields; expected Start, Type, Duration "
                                   "(truncated file?)")
        n_rows += 1
        stamp = parse_iso(cells[0])
        if stamp is None:
            raise InputError(path, f"row {lineno}: Start {cells[0].strip()!r} is not an ISO 8601 date-time")
        offsets.add(stamp.utcoffset())
        duration = parse_float(path, cells[2], "Duration", lineno)
        t = to_micros(stamp.replace(tzinfo=None))
        side = _lm_side(cells[1])
        if side is None:
            rows.ignore(cells[1])
            # The program's other rows still mark time it analysed: they set
            # second 0 and the recording end, nothing else.
            rows.add(t, duration, "mark", "", lineno)
            continue
        rows.add(t, duration, "lm", side, lineno)
    if len(offsets) > 1:
        raise InputError(path, "Start times mix different UTC offsets (or offsets and none)")
    info: dict[str, Any] = {"format": "lm-list", "n_rows": n_rows}
    offset = offsets.pop() if offsets else None
    if offset is not None:
        info["utc_offset"] = offset
    return ClockRows(os.fspath(path), rows, dated=True, scored=set(), info=info)


def read_lm_list(
    path: str | os.PathLike,
    *,
    hypnogram: str | os.PathLike | None = None,
    arousals: str | os.PathLike | None = None,
    respiratory: str | os.PathLike | None = None,
    tz: str | _dt.tzinfo | None = None,
    unknown_side: str = "auto",
) -> LegMovements:
    """Read a ``Start/Type/Duration`` LM list into :class:`LegMovements`.

    Parameters
    ----------
    path : path-like
    hypnogram, arousals, respiratory : path-like, optional
        Separate exports of the same night with clock times (RemLogic Event
        Export), lined up with the LMs by clock time.
    tz : str or tzinfo, optional
        Time zone of naive Start times (IANA name or ``+HH:MM``); Start
        times written with a UTC offset need none.
    unknown_side : {"auto", "error", "left", "right", "drop"}
        Rows typed plain ``LM`` (see ``docs/formats.md``).

    Returns
    -------
    LegMovements
    """
    return combine(parse_lm_list(path), hypnogram=hypnogram, arousals=arousals, respiratory=respiratory,
                   tz=tz, unknown_side=unknown_side, load=load_remlogic_export)
