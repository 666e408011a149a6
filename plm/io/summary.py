"""A night's summary as files: strict JSON (``json``) and one CSV row of nightly measures (``csv``).

Both are plm's own formats (``docs/formats_export.md``); files are written
atomically (:mod:`plm.atomic`). :func:`read_night_outputs` reads a night back
from its summary JSON and events TSV (``plm report`` of a ``plm batch`` folder).
"""
from __future__ import annotations

import csv
import json
import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .._util import csv_cell, json_text
from ..atomic import atomic_write
from ..errors import InputError
from ..model import SUMMARY_KEYS

if TYPE_CHECKING:
    from ..model import NightResult

__all__ = ["write_summary_json", "measures_row", "write_measures_csv", "read_night_outputs"]


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


#: Summary entries that are not measures (the result keeps them elsewhere).
_NOT_MEASURES = ("source", "start_time", "night", "notes", "criteria", "version")
#: Per-LM columns of the events TSV that are booleans (written 1/0).
_FLAG_COLUMNS = ("is_clm", "is_clmr", "respiratory", "is_plm", "is_plmnr", "in_sleep", "arousal")


def read_night_outputs(summary_path: str | os.PathLike) -> NightResult:
    """A scored night read back from ``<stem>_summary.json`` and ``<stem>_events.tsv`` beside it.

    What :func:`plm.io.export.write_night_outputs` wrote, for showing the
    night again (the reports of a ``plm batch`` folder) without re-scoring:
    the measures exactly as the summary holds them, the per-LM table as the
    events TSV holds it (with its flags and series), the staging, start time,
    criteria, version and notes. The scorer's merged-LM table is not in these
    files, so ``lms`` is empty.

    Parameters
    ----------
    summary_path : path-like
        A ``*_summary.json`` file; its events TSV is the same stem with
        ``_events.tsv``.

    Returns
    -------
    NightResult

    Raises
    ------
    InputError
        A file missing, not valid JSON or not a plm summary.
    """
    from ..criteria import Criteria
    from ..model import NightResult
    from .events_tsv import read_events_tsv

    summary_path = Path(summary_path)
    events_path = summary_path.with_name(summary_path.name[: -len("_summary.json")] + "_events.tsv")
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(summary_path, f"cannot be read as a night summary ({exc})") from None
    if not isinstance(summary, dict) or not isinstance(summary.get("criteria"), dict):
        raise InputError(summary_path, "is not a plm night summary (no criteria record)")
    if not events_path.is_file():
        raise InputError(events_path, "missing: the events TSV of the summary beside it")
    with warnings.catch_warnings():
        # what reading warns about (e.g. no recording length) is in the summary's notes already
        warnings.simplefilter("ignore")
        context = read_events_tsv(events_path)
    table = _scored_lm_table(events_path)
    return NightResult(
        measures={k: v for k, v in summary.items() if k not in _NOT_MEASURES},
        events=table,
        lms=None,
        criteria=Criteria.from_dict(summary["criteria"]),
        start_time=context.start_time,
        source=summary.get("source") or "",
        hypnogram=context.hypnogram,
        version=str(summary.get("version") or ""),
        extra={"notes": tuple(summary.get("notes") or ()), "night": summary.get("night")},
    )


def _scored_lm_table(path: Path) -> dict[str, np.ndarray]:
    """The ``lm_left``/``lm_right`` rows of an events TSV with every column, typed."""
    import pandas as pd

    with open(path, encoding="utf-8") as fh:
        comments = 0
        for line in fh:  # older files: "#" lines before the header
            if not line.startswith("#"):
                break
            comments += 1
    frame = pd.read_csv(path, sep="\t", skiprows=comments, na_values=["n/a"], keep_default_na=False)
    kind = "trial_type" if "trial_type" in frame.columns else "type"  # BIDS name, or plm's older one
    frame = frame[frame[kind].isin(["lm_left", "lm_right"])].reset_index(drop=True)
    out: dict[str, np.ndarray] = {
        "onset": frame["onset"].to_numpy(float),
        "duration": frame["duration"].to_numpy(float),
        "side": frame[kind].str.slice(3).to_numpy(str),
        "trial_type": frame[kind].to_numpy(str),
    }
    for name in frame.columns:
        if name in ("onset", "duration", "type", "trial_type", "value", "side"):
            continue
        col = frame[name]
        if name in _FLAG_COLUMNS:
            out[name] = col.fillna(0).astype(int).astype(bool).to_numpy()
        elif name in ("lm_id", "series", "n_merged"):
            out[name] = col.fillna(-1).astype(np.int64).to_numpy()
        else:
            out[name] = np.where(col.isna(), "", col.astype(str)).astype(str)
    return out
