"""Export a :class:`~plm.model.result.NightResult` to the files labs use.

One entry point, :func:`save_result`, picks the writer by file extension (or
``format=``); :func:`write_night_outputs` writes the per-night file set of
``plm score --out DIR``; :func:`result_to_annotations` gives the scored LMs
and PLMs as :class:`mne.Annotations`. The JSON summary, the one-row CSV of
nightly measures and the EDF+ file with signals are written here; the other
formats have their writer in their format's module (events TSV, NSRR XML,
annotations-only EDF+, HDF5). Every file is written atomically
(:mod:`plm.atomic`). Labels and layouts: ``docs/formats_export.md``.
"""
from __future__ import annotations

import csv
import datetime as _dt
import importlib
import json
import os
import re
import warnings
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from .._util import csv_cell, json_safe
from ..atomic import atomic_write
from ..errors import InputError

__all__ = [
    "EXPORT_FORMATS",
    "ANNOTATION_LABELS",
    "save_result",
    "write_night_outputs",
    "result_to_annotations",
    "write_summary_json",
    "write_measures_csv",
    "write_edf_plus",
    "measures_row",
]

#: Annotation label of each scored event kind (see docs/formats_export.md).
ANNOTATION_LABELS = {
    "lm_left": "LM left",
    "lm_right": "LM right",
    "plm_left": "PLM left",
    "plm_right": "PLM right",
}
#: Channel names used for annotations when the result has no recording.
DEFAULT_LEG_CHANNELS = {"left": ("Leg L",), "right": ("Leg R",)}

#: Export format name -> (file-name suffix used by ``plm score --out``, extensions).
EXPORT_FORMATS: dict[str, tuple[str, tuple[str, ...]]] = {
    "tsv": ("_events.tsv", (".tsv",)),
    "json": ("_summary.json", (".json",)),
    "csv": ("_summary.csv", (".csv",)),
    "edf": ("_scored.edf", (".edf",)),
    "edf-annotations": ("_annotations.edf", ()),
    "xml": ("_nsrr.xml", (".xml",)),
    "h5": ("_result.h5", (".h5", ".hdf5")),
}
_ALIASES = {"events-tsv": "tsv", "nsrr-xml": "xml", "hdf5": "h5", "edf+": "edf", "summary": "json"}

# Writers that live in their format's module: format -> (module, function).
_EXTERNAL_WRITERS = {
    "tsv": ("plm.io.events_tsv", "write_events_tsv"),
    "xml": ("plm.io.nsrr_xml", "write_nsrr_xml"),
    "edf-annotations": ("plm.io.edf_annotations", "write_edf_annotations"),
    "h5": ("plm.io.hdf5", "write_result"),
}


# ------------------------------------------------------------------ helpers
def _normalise_format(fmt: str, path) -> str:
    key = fmt.lower().lstrip(".")
    key = _ALIASES.get(key, key)
    if key not in EXPORT_FORMATS:
        raise InputError(path, f"unknown export format {fmt!r}; choose one of {sorted(EXPORT_FORMATS)}")
    return key


def _format_from_path(path: Path) -> str:
    name = path.name.lower()
    for key, (_, exts) in EXPORT_FORMATS.items():
        if any(name.endswith(ext) for ext in exts):
            return key
    raise InputError(path, "cannot tell the export format from the extension; use .tsv, .json, .csv, "
                           ".edf, .xml or .h5, or pass format=")


def _external_writer(fmt: str, path):
    module_name, func_name = _EXTERNAL_WRITERS[fmt]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        module = None
    func = getattr(module, func_name, None)
    if func is None:
        raise InputError(path, f"writing {fmt!r} files is not available in this version of plm")
    return func


def _check_available(fmt: str, path=None) -> None:
    if fmt in _EXTERNAL_WRITERS:
        _external_writer(fmt, path)


# ------------------------------------------------------------- dispatch
def save_result(result, path: str | os.PathLike, format: str | None = None) -> Path:
    """Write a night's result to ``path`` in the format given or implied.

    Parameters
    ----------
    result : NightResult
    path : path-like
        Output file; written atomically (complete or not at all).
    format : str, optional
        ``"tsv"`` (events), ``"json"`` (summary), ``"csv"`` (one row of
        nightly measures), ``"edf"`` (EDF+ with the recording's signals and
        the LM/PLM annotations; annotations only when the result has no
        recording), ``"edf-annotations"``, ``"xml"`` (NSRR-style) or
        ``"h5"``. Default: from the extension.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    path = Path(path)
    fmt = _format_from_path(path) if format is None else _normalise_format(format, path)
    if fmt == "edf" and getattr(result, "recording", None) is None:
        fmt = "edf-annotations"
    if fmt == "json":
        write_summary_json(result, path)
    elif fmt == "csv":
        write_measures_csv(result, path)
    elif fmt == "edf":
        write_edf_plus(result, path)
    elif fmt == "h5":
        # Several nights of one recording can share a file: label each night.
        night = result.night if (result.context.n_nights or 1) > 1 else None
        _external_writer(fmt, path)(path, result, night=night)
    else:
        # Format modules take (path, obj), like write_events_tsv(path, result).
        _external_writer(fmt, path)(path, result)
    return path


_KNOWN_EXTENSIONS = (".gz", ".bz2", ".xz", ".zip", ".csv", ".edf", ".bdf", ".rec", ".h5", ".hdf5", ".tsv",
                     ".txt", ".xml", ".json", ".gt3x", ".cwa", ".bin", ".sco")


def _file_stem(path_text: str) -> str:
    # Drop compression and format extensions: "pamrl_left.csv.gz" -> "pamrl_left".
    name = Path(path_text.strip()).name
    for _ in range(2):
        stem, ext = os.path.splitext(name)
        if ext.lower() in _KNOWN_EXTENSIONS:
            name = stem
    return name


def output_stem(result) -> str:
    """File-name stem for a night's outputs.

    The input file's stem (``pamrl_left.csv.gz`` -> ``pamrl_left``); for
    several files of one night (source ``"a; b"``) their common prefix
    without trailing separators (``pamrl_left``, ``pamrl_right`` ->
    ``pamrl``), or the first stem when they share none; ``night`` without a
    source. The night date is appended when the recording holds several
    nights (``week_2026-03-01``).
    """
    source = str(getattr(result, "source", "") or "")
    stems = [_file_stem(p) for p in re.split(r"\s*;\s*", source) if p.strip()]
    if len(stems) > 1:
        common = os.path.commonprefix(stems).rstrip("_-. ")
        name = common or stems[0]
    else:
        name = stems[0] if stems else ""
    name = name or "night"
    if (result.context.n_nights or 1) > 1 and result.night:
        name = f"{name}_{result.night}"
    return name


def write_night_outputs(result, out_dir: str | os.PathLike, extra_formats: Iterable[str] = ()) -> list[Path]:
    """Write ``<stem>_events.tsv``, ``<stem>_summary.json`` and extra formats.

    Parameters
    ----------
    result : NightResult
    out_dir : path-like
        Created when missing.
    extra_formats : iterable of str
        More formats (names as for :func:`save_result`); file names are
        ``<stem>`` plus ``_summary.csv``, ``_scored.edf`` (or
        ``_annotations.edf`` without signals), ``_annotations.edf``,
        ``_nsrr.xml``, ``_result.h5``.

    Returns
    -------
    list of pathlib.Path
        Files written, in order.
    """
    out = Path(out_dir)
    fmts = ["tsv", "json"]
    for f in extra_formats:
        key = _normalise_format(f, None)
        if key == "edf" and getattr(result, "recording", None) is None:
            key = "edf-annotations"
        if key not in fmts:
            fmts.append(key)
    # Refuse before writing anything, so a run never leaves half its outputs.
    for key in fmts:
        _check_available(key, out)
    if out.exists() and not out.is_dir():
        raise InputError(out, "is a file; expected an output folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(out, f"cannot create the output folder ({exc.strerror or exc})") from None
    stem = output_stem(result)
    written = []
    for key in fmts:
        target = out / f"{stem}{EXPORT_FORMATS[key][0]}"
        save_result(result, target, format=key)
        written.append(target)
    return written


# ------------------------------------------------------------ summaries
def write_summary_json(result, path: str | os.PathLike) -> None:
    """Write ``result.summary()`` as strict, indented JSON (NaN -> null)."""
    text = json.dumps(json_safe(result.summary()), indent=2, allow_nan=False) + "\n"
    with atomic_write(path) as fh:
        fh.write(text)


def _is_scalar(v: Any) -> bool:
    return v is None or isinstance(v, (bool, int, float, str, np.integer, np.floating, np.bool_))


def measures_row(result) -> dict[str, Any]:
    """The night's scalar measures as one flat row with a stable column order.

    Order: ``source, night, start_time``, the contract keys of
    :data:`plm.model.result.SUMMARY_KEYS` (except ``criteria`` and ``version``),
    every other scalar measure by name, then ``criteria_name,
    criteria_hash, version``. Non-scalar measures (histograms) are left out.
    """
    from ..model import SUMMARY_KEYS

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


def write_measures_csv(result, path: str | os.PathLike) -> None:
    """Write a header and one row of nightly measures (:func:`measures_row`).

    Missing or undefined values (None, NaN) are empty cells; floats are
    written with full precision.
    """
    row = measures_row(result)
    with atomic_write(path, newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(list(row))
        w.writerow([csv_cell(v) for v in row.values()])


# ------------------------------------------------------------ annotations
def _leg_channels(result) -> dict[str, tuple[str, ...]]:
    rec = getattr(result, "recording", None)
    if rec is None:
        return dict(DEFAULT_LEG_CHANNELS)
    out = {}
    for side in ("left", "right"):
        names = tuple(rec.ch_names[i] for i in rec.picks(side))
        out[side] = names or DEFAULT_LEG_CHANNELS[side]
    return out


def _annotation_arrays(result) -> tuple[np.ndarray, np.ndarray, list[str], list[tuple[str, ...]]]:
    """Onsets, durations, labels and channel names of the scored per-leg LMs,
    in onset order (see :data:`ANNOTATION_LABELS`)."""
    legs = _leg_channels(result)
    ev = result.events
    if not ev.n_rows:
        return np.zeros(0), np.zeros(0), [], []
    # Rows the scorer did not score (too short, outside lights, ...) have
    # lm_id -1: they are not LMs of the night and get no annotation.
    scored = np.asarray(ev["lm_id"]) >= 0 if "lm_id" in ev.columns else np.ones(ev.n_rows, bool)
    side = np.asarray(ev["side"]).astype(str)[scored]
    in_plm = (np.asarray(ev["is_plm"], dtype=bool)[scored] if "is_plm" in ev.columns
              else np.zeros(side.size, bool))
    onset = np.asarray(ev["onset"], dtype=float)[scored]
    duration = np.asarray(ev["duration"], dtype=float)[scored]
    order = np.argsort(onset, kind="stable")
    labels = [ANNOTATION_LABELS[("plm_" if p else "lm_") + s] for s, p in zip(side[order], in_plm[order])]
    chans = [legs[s] for s in side[order]]
    return onset[order], duration[order], labels, chans


def result_to_annotations(result):
    """The scored LMs and PLMs as :class:`mne.Annotations`.

    One annotation per scored monolateral leg movement (after same-leg
    merging): ``"PLM left"``/``"PLM right"`` when it belongs to a PLM (its
    LM after bilateral merging is in a PLM series), else ``"LM left"``/``"LM
    right"``. ``ch_names`` are that leg's channels; ``orig_time`` is
    ``result.start_time`` (in UTC, as MNE keeps it). Labels:
    ``docs/formats_export.md``.

    Parameters
    ----------
    result : NightResult

    Returns
    -------
    mne.Annotations
    """
    import mne

    onset, duration, labels, chans = _annotation_arrays(result)
    # MNE keeps orig_time in UTC; the local offset stays in result.start_time.
    orig = None if result.start_time is None else result.start_time.astimezone(_dt.timezone.utc)
    return mne.Annotations(onset=onset, duration=duration, description=labels, orig_time=orig,
                           ch_names=chans)


# ------------------------------------------------------------ EDF+ with signals
def write_edf_plus(result, path: str | os.PathLike) -> None:
    """Write the recording's signals plus the scored annotations as EDF+.

    The signals go through :func:`plm.io.edf.write_edf` (16-bit, units kept,
    start as local clock time with ``utc_offset=``/``tz=`` in the recording
    field, NaN written as 0 and marked ``plm gap``). Added annotations: the
    LM/PLM labels of :func:`result_to_annotations`, and the night's sleep
    stages, respiratory events, arousals and lights off/on with the labels of
    the annotations-only EDF+. Annotations starting outside the signal are
    left out.

    Parameters
    ----------
    result : NightResult
        Must carry its ``recording``.
    path : path-like
    """
    rec = getattr(result, "recording", None)
    if rec is None:
        raise InputError(path, "EDF+ with signals needs the recording; this result was scored from events "
                               "(use format='edf-annotations')")
    from .edf import write_edf
    from .edf_annotations import context_annotations, criteria_label

    shift = 0.0
    if result.start_time is not None:
        shift = (result.start_time - rec.start_time).total_seconds()
    end = rec.duration
    onset, duration, texts, _ = _annotation_arrays(result)
    anns: list[tuple[float, float | None, str]] = [(float(o) + shift, float(d), t) for o, d, t in zip(onset, duration, texts)]
    anns += [(o + shift, d, t) for o, d, t in context_annotations(result.context)]
    anns.append((0.0, None, criteria_label(result)))
    anns = sorted((a for a in anns if 0.0 <= a[0] <= end), key=lambda a: a[0])
    with warnings.catch_warnings():
        # Gaps are marked in the file and counted in the summary's excluded
        # time; the writer's NaN-as-0 warning would only repeat that.
        warnings.filterwarnings("ignore", message=".*missing \\(NaN\\) samples written as 0")
        write_edf(path, rec, annotations=anns)
