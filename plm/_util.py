"""Helpers shared by several layers: whole-file atomic writes, rounded numbers, CSV tables, strict JSON, option checks.

The utilities layer: this module imports nothing of ``plm`` but the other
utilities (:mod:`plm.errors`, :mod:`plm.atomic`).
"""
from __future__ import annotations

import csv
import datetime as _dt
import difflib
import io
import json
import math
import os
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from .atomic import atomic_write
from .errors import InputError

__all__ = ["write_file", "decimals_for", "rounded", "tidy", "json_text", "csv_cell", "csv_text", "read_csv_rows",
           "json_safe", "check_option", "did_you_mean"]


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


# ------------------------------------------------------------ rounded numbers
# Text outputs carry what the numbers mean, not float noise (2.075000000000003):
# times and durations to the ms, indices and rates to 0.01 (docs/formats_export.md).
#: Decimal places by kind: seconds (1 ms), hours (0.36 ms), indices/rates/ratios, agreement statistics.
SECONDS_DECIMALS, HOURS_DECIMALS, INDEX_DECIMALS, AGREEMENT_DECIMALS = 3, 7, 2, 3
#: Significant digits of every other float (p-values, amplitudes, ...): drops binary noise only.
SIGNIFICANT = 12
_SECONDS_NAMES = {"onset", "duration", "offset", "imi", "lights_off", "lights_on", "epoch_length"}
_SECONDS_PREFIXES = ("lm_duration_", "imi_")
_INDEX_NAMES = {"mean_series_length", "median_series_length", "change", "pct_change", "bias", "loa_low", "loa_high"}
#: Agreement statistics on a 0-1 scale (ICC, kappa, Spearman r, sensitivity, ...).
_AGREEMENT_WORDS = ("icc", "kappa", "sensitivity", "specificity", "ppv", "f1", "agreement")
#: Keys whose values are written exactly as given (user input; the criteria hash is computed from them).
VERBATIM_KEYS = ("criteria", "thresholds", "params")


def decimals_for(name: str | None) -> int | None:
    """Decimal places a number called ``name`` is written with (None: :data:`SIGNIFICANT` digits).

    Parameters
    ----------
    name : str or None
        A measure or column name (``plm_index``, ``onset``, ``tst_hours``, ...).

    Returns
    -------
    int or None
        3 for seconds (``onset``, ``duration``, ``*_s``, ``imi*``, ``lm_duration_*``,
        lights), 7 for hours (``*_hours*``), 3 for agreement statistics
        (ICC, kappa, Spearman ``r``, sensitivity, specificity, PPV, F1), 2
        for indices, rates and ratios (``*_index*``, ``*_ratio``, ``*_pct``,
        ``*_median``, ``*_sd``, means, series lengths, changes, Bland-Altman
        bias and limits), None otherwise.
    """
    if not name:
        return None
    n = name.lower()
    if n in _SECONDS_NAMES or n.endswith(("_s", "_edges")) or n.startswith(_SECONDS_PREFIXES):
        return SECONDS_DECIMALS
    if "_hours" in n or n == "hours_denominator":
        return HOURS_DECIMALS
    if n in ("r", "rho") or any(n == w or n.startswith(w + "_") or n.endswith("_" + w) for w in _AGREEMENT_WORDS):
        return AGREEMENT_DECIMALS
    if n in _INDEX_NAMES or "_index" in n or n.endswith(("index", "_ratio", "_pct", "_median", "_mean", "_sd",
                                                         "_change")) \
            or n.startswith(("mean", "median", "sd_", "ci95")) or n in ("mean", "median", "sd"):
        return INDEX_DECIMALS
    return None


def rounded(value: Any, name: str | None = None) -> Any:
    """``value`` rounded as its ``name`` says (:func:`decimals_for`); non-floats unchanged.

    Parameters
    ----------
    value : object
    name : str or None

    Returns
    -------
    object
        A float rounded to the name's decimals (else to :data:`SIGNIFICANT`
        digits); NaN and infinities unchanged; anything else as given.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (float, np.floating)):
        return value
    v = float(value)
    if not math.isfinite(v):
        return v
    places = decimals_for(name)
    v = round(v, places) if places is not None else float(f"{v:.{SIGNIFICANT}g}")
    return v + 0.0  # -0.0 -> 0.0


def tidy(obj: Any, name: str | None = None) -> Any:
    """Strict-JSON values (:func:`json_safe`) with every float :func:`rounded` by its key.

    Values under :data:`VERBATIM_KEYS` keep every digit; list items and the
    values of a nested dict with unknown keys are rounded as their parent key.

    Parameters
    ----------
    obj : object
        A summary dict, a row, a list, a number.
    name : str or None
        Name of ``obj`` itself.

    Returns
    -------
    object
    """
    obj = json_safe(obj)
    if isinstance(obj, dict):
        return {k: (v if k in VERBATIM_KEYS else tidy(v, k if decimals_for(k) is not None or name is None else name))
                for k, v in obj.items()}
    if isinstance(obj, list):
        return [tidy(v, name) for v in obj]
    return rounded(obj, name)


def json_text(obj: Any, indent: int | None = 2) -> str:
    """Strict JSON of ``obj`` with rounded numbers (:func:`tidy`); ``indent=None``: one line.

    Parameters
    ----------
    obj : object
    indent : int or None

    Returns
    -------
    str
        Ends with a newline when indented (a file), not on one line.
    """
    if indent is None:
        return json.dumps(tidy(obj), separators=(", ", ": "), allow_nan=False)
    return json.dumps(tidy(obj), indent=indent, allow_nan=False) + "\n"


def csv_cell(value: Any, name: str | None = None) -> str:
    """Text of one CSV cell: empty for None and NaN, ``true``/``false``, floats :func:`rounded` by column ``name``."""
    value = rounded(json_safe(value), name)
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)  # shortest text that reads back to the same (rounded) float
    return str(value)


def csv_text(columns: Sequence[str] | Any, rows: Iterable[dict[str, Any]] | None = None) -> str:
    """A CSV table: header and one line per row, cells as :func:`csv_cell` (missing keys empty).

    Parameters
    ----------
    columns : sequence of str or pandas.DataFrame
        Column names; or a DataFrame, whose columns and rows are written.
    rows : iterable of dict, optional
        Column name to value (not with a DataFrame).

    Returns
    -------
    str
    """
    if rows is None:  # a DataFrame
        rows = columns.to_dict("records")
        columns = [str(c) for c in columns.columns]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        w.writerow([csv_cell(r.get(c), c) for c in columns])
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
