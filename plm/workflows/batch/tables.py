"""The nightly table of a batch: one row per night, a stable column order.

Rows are built from the per-night summaries after all recordings are
scored (:func:`night_rows`), so ``nightly_indices.csv`` is byte-identical
whatever the number of jobs or the executor.
"""
from __future__ import annotations

from typing import Any, Iterable, Sequence

from ...model import SUMMARY_KEYS

__all__ = ["ID_COLUMNS", "TAIL_COLUMNS", "night_rows", "measure_columns"]

#: Leading columns of nightly_indices.csv; the measures follow, then criteria and version.
ID_COLUMNS = ("recording_id", "night", "night_number", "start_time", "files")
TAIL_COLUMNS = ("denominator", "criteria_name", "criteria_hash", "version")


def night_rows(group_id: str, files: Sequence[str], summaries: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One table row per night summary of a group (scalar measures only)."""
    rows = []
    for n, s in enumerate(summaries, start=1):
        row: dict[str, Any] = {
            "recording_id": group_id,
            # the night's date as the scorer gave it (plm.model.context.night_date)
            "night": str(s.get("night") or "")[:10],
            "night_number": n,
            "start_time": s.get("start_time") or "",
            "files": ";".join(files),
        }
        for k, v in s.items():
            if k in ("criteria", "version", "source", "start_time", "night") or isinstance(v, (list, dict)):
                continue
            row[k] = v
        crit = s.get("criteria") or {}
        row["criteria_name"] = crit.get("name", "")
        row["criteria_hash"] = crit.get("hash", "")
        row["version"] = s.get("version", "")
        rows.append(row)
    return rows


def measure_columns(rows: Iterable[dict[str, Any]]) -> list[str]:
    """Columns of the nightly table: :data:`ID_COLUMNS`, the contract keys, other measures by name, :data:`TAIL_COLUMNS`."""
    present: set[str] = set()
    for r in rows:
        present.update(r)
    fixed = set(ID_COLUMNS) | set(TAIL_COLUMNS)
    first = [k for k in SUMMARY_KEYS if k in present and k not in fixed]
    rest = sorted(present - fixed - set(first))
    return list(ID_COLUMNS) + first + rest + list(TAIL_COLUMNS)
