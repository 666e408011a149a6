"""A night's summary as files: strict JSON (``json``) and one CSV row of nightly measures (``csv``).

Both are plm's own formats (``docs/formats_export.md``); files are written
atomically (:mod:`plm.atomic`).
"""
from __future__ import annotations

import csv
import os
from typing import TYPE_CHECKING, Any

import numpy as np

from .._util import csv_cell, json_text
from ..atomic import atomic_write
from ..model import SUMMARY_KEYS

if TYPE_CHECKING:
    from ..model import NightResult

__all__ = ["write_summary_json", "measures_row", "write_measures_csv"]


def write_summary_json(path: str | os.PathLike, result: NightResult) -> None:
    """Write ``result.summary()`` as strict, indented JSON (NaN -> null, numbers rounded: ``plm._util.tidy``)."""
    text = json_text(result.summary())
    with atomic_write(path) as fh:
        fh.write(text)


def _is_scalar(v: Any) -> bool:
    return v is None or isinstance(v, (bool, int, float, str, np.integer, np.floating, np.bool_))


def measures_row(result: NightResult) -> dict[str, Any]:
    """The night's scalar measures as one flat row with a stable column order.

    Order: ``source, night, start_time``, the contract keys of
    :data:`plm.model.result.SUMMARY_KEYS` (except ``criteria`` and ``version``),
    every other scalar measure by name, then ``criteria_name,
    criteria_hash, version``. Non-scalar measures (histograms) are left out.
    """
    summary = result.summary()
    row: dict[str, Any] = {
        "source": summary.get("source", ""),
        "night": summary.get("night"),
        "start_time": summary.get("start_time"),
    }
    fixed = [k for k in SUMMARY_KEYS if k not in ("criteria", "version")]
    skip = set(row) | {"criteria", "version"}
    for k in fixed:
        row[k] = summary.get(k)
    rest = sorted(k for k, v in summary.items() if k not in skip and k not in fixed and _is_scalar(v))
    for k in rest:
        row[k] = summary[k]
    crit = summary.get("criteria") or {}
    row["criteria_name"] = crit.get("name")
    row["criteria_hash"] = crit.get("hash")
    row["version"] = summary.get("version")
    return row


def write_measures_csv(path: str | os.PathLike, result: NightResult) -> None:
    """Write a header and one row of nightly measures (:func:`measures_row`).

    Missing or undefined values (None, NaN) are empty cells; floats are
    rounded by name (``plm._util.decimals_for``).
    """
    row = measures_row(result)
    with atomic_write(path, newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(list(row))
        w.writerow([csv_cell(v, k) for k, v in row.items()])
