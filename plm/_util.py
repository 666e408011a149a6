"""Helpers shared by several layers: whole-file atomic writes, CSV tables, strict JSON, option checks.

The utilities layer: this module imports nothing of ``plm`` but the other
utilities (:mod:`plm.errors`, :mod:`plm.atomic`).
"""
from __future__ import annotations

import csv
import datetime as _dt
import difflib
import io
import math
import os
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from .atomic import atomic_write
from .errors import InputError

__all__ = ["write_file", "csv_cell", "csv_text", "read_csv_rows", "json_safe", "check_option", "did_you_mean"]


def write_file(path: str | os.PathLike, data: str | bytes) -> Path:
    """Write ``data`` so that ``path`` appears only when complete; parent folders are created.

    Parameters
    ----------
    path : path-like
    data : str or bytes
        Text is written as UTF-8 with line ends as given.

    Returns
    -------
    Path
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        with atomic_write(path, "wb") as fh:
            fh.write(data)
    else:
        with atomic_write(path, "w", encoding="utf-8", newline="") as fh:
            fh.write(data)
    return path


def json_safe(obj: Any) -> Any:
    """Convert to strict-JSON values: NaN/inf -> None, numpy -> Python, tuples -> lists, dates -> ISO text."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return json_safe(obj.tolist())
    if isinstance(obj, (_dt.datetime, _dt.date)):
        return obj.isoformat()
    if hasattr(obj, "item") and callable(obj.item):  # numpy scalar
        return json_safe(obj.item())
    return obj


def csv_cell(value: Any) -> str:
    """Text of one CSV cell: empty for None and NaN, ``true``/``false``, floats with full precision."""
    value = json_safe(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)  # shortest text that reads back to the same float
    return str(value)


def csv_text(columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> str:
    """A CSV table (header and one line per row, cells as :func:`csv_cell`; missing keys are empty)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        w.writerow([csv_cell(r.get(c)) for c in columns])
    return buf.getvalue()


def read_csv_rows(path: str | os.PathLike, required: Sequence[str]) -> list[dict[str, str]]:
    """Rows of a small CSV manifest (comma, semicolon or tab separated) with lower-cased, stripped column names.

    Parameters
    ----------
    path : path-like
    required : sequence of str
        Columns the header must have.

    Returns
    -------
    list of dict
        Column name to stripped cell text; blank lines skipped.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(path, f"cannot be read as UTF-8 text ({exc})") from None
    try:
        dialect = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    lines = [row for row in reader if any(cell.strip() for cell in row)]
    if not lines:
        raise InputError(path, f"manifest is empty; expected a header with columns {list(required)}")
    header = [h.strip().lower() for h in lines[0]]
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(path, f"manifest lacks column(s) {missing}; header is {header}, expected {list(required)}")
    rows = []
    for n, line in enumerate(lines[1:], start=2):
        if len(line) != len(header):
            raise InputError(path, f"line {n} has {len(line)} fields, the header has {len(header)}")
        rows.append({h: cell.strip() for h, cell in zip(header, line)})
    if not rows:
        raise InputError(path, "manifest has a header but no rows")
    return rows


def check_option(what: str, value: Any, choices: Iterable[Any], source: str | os.PathLike | None = None) -> Any:
    """``value`` when it is one of ``choices``, else an InputError in the one wording plm uses.

    Parameters
    ----------
    what : str
        What the value is, e.g. ``"night-splitting method"``.
    value : object
    choices : iterable
    source : path-like or str, optional
        The file or option the value came from (first in the message).

    Returns
    -------
    object
        ``value``.
    """
    choices = list(choices)
    if value not in choices:
        raise InputError(source, f"unknown {what} {value!r}; choose one of {choices}")
    return value


def did_you_mean(word: Any, choices: Iterable[Any]) -> str:
    """``" (did you mean 'x'?)"`` (or ``'x' or 'y'``) for the choices close to ``word``, else ``""``.

    Names that ``word`` begins or that begin with ``word`` come first (``wasm``
    -> ``wasm2016``, ``wasm2006``); otherwise the closest names by
    :func:`difflib.get_close_matches`, keeping those nearly as close as the
    best, up to three.

    Parameters
    ----------
    word : object
        What the user typed (compared as text, case-insensitively).
    choices : iterable
        The valid names.

    Returns
    -------
    str
        Ready to append to an error message after the unknown name.
    """
    names = list(dict.fromkeys(str(c) for c in choices))
    typed = str(word).strip().lower()
    close = [n for n in names if len(typed) >= 3 and len(n) >= 3
             and (n.lower().startswith(typed) or typed.startswith(n.lower()))]
    if not close:
        scored = [(difflib.SequenceMatcher(None, typed, n.lower()).ratio(), n) for n in names]
        best = max((r for r, _ in scored), default=0.0)
        close = [n for r, n in sorted(scored, key=lambda x: -x[0]) if r >= max(0.6, best - 0.1)]
    if not close:
        return ""
    quoted = [repr(c) for c in close[:3]]
    return " (did you mean " + (quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]) + "?)"
