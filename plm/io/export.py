"""Write a :class:`~plm.model.result.NightResult` to the files labs use.

One entry point, :func:`save_result`, picks the writer by file extension (or
``format=``) from the format registry (:mod:`plm.io.registry`);
:func:`write_night_outputs` writes the per-night file set of ``plm score --out
DIR``. The writers live in their format's module (events TSV, NSRR XML,
annotations-only EDF+, HDF5), in :mod:`plm.io.summary` (summary JSON, one CSV
row of measures) and :mod:`plm.io.edf_plus` (EDF+ with signals). Every file
is written atomically (:mod:`plm.atomic`). Labels and layouts:
``docs/formats_export.md``.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

from ..atomic import output_error
from ..errors import InputError
from ..model.labels import source_files
from .registry import FORMATS, export_format_of, export_name, output_files, output_suffix, result_writer, \
    split_extension

__all__ = ["EXPORT_FORMATS", "save_result", "write_night_outputs", "check_export_formats", "output_stem"]

#: Export format name -> (file-name suffix used by ``plm score --out``, extensions that ask for it).
EXPORT_FORMATS: dict[str, tuple[str, tuple[str, ...]]] = {
    f.export: (f.output_suffix, f.written_as) for f in FORMATS if f.export
}


def _with_signals_or_not(fmt: str, result) -> str:
    # EDF+ "with signals" of a night scored from events has only its annotations.
    return "edf-annotations" if fmt == "edf" and getattr(result, "recording", None) is None else fmt


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
    if format is None:
        fmt = export_format_of(path)
        if fmt is None:
            raise InputError(path, "cannot tell the export format from the extension; use .tsv, .json, .csv, "
                                   ".edf, .xml or .h5, or pass format=")
    else:
        fmt = export_name(format, path)
    fmt = _with_signals_or_not(fmt, result)
    write = result_writer(fmt)
    if fmt == "h5":
        # Several nights of one recording can share a file: label each night.
        write(path, result, night=result.night if (result.context.n_nights or 1) > 1 else None)
    else:
        write(path, result)
    return path


def output_stem(result) -> str:
    """File-name stem for a night's outputs.

    The input file's stem (``pamrl_left.csv.gz`` -> ``pamrl_left``); for
    several files of one night (source ``"a; b"``) their common prefix
    without trailing separators (``pamrl_left``, ``pamrl_right`` ->
    ``pamrl``), or the first stem when they share none; ``night`` without a
    source. The night date is appended when the recording holds several
    nights (``week_2026-03-01``).
    """
    stems = [split_extension(p)[0] for p in source_files(getattr(result, "source", ""))]
    if len(stems) > 1:
        common = os.path.commonprefix(stems).rstrip("_-. ")
        name = common or stems[0]
    else:
        name = stems[0] if stems else ""
    name = name or "night"
    if (result.context.n_nights or 1) > 1 and result.night:
        name = f"{name}_{result.night}"
    return name


def check_export_formats(extra_formats: Iterable[str] = ()) -> list[str]:
    """The formats :func:`write_night_outputs` writes, checked before anything is scored or written.

    Parameters
    ----------
    extra_formats : iterable of str
        Names as for :func:`save_result` (other names and any case allowed).

    Returns
    -------
    list of str
        ``tsv``, ``json`` and the extra formats (registry names, no repeats).

    Raises
    ------
    InputError
        An unknown format.
    """
    fmts = ["tsv", "json"]
    for f in extra_formats:
        key = export_name(f)
        if key not in fmts:
            fmts.append(key)
    return fmts


def write_night_outputs(result, out_dir: str | os.PathLike, extra_formats: Iterable[str] = (), *,
                        stem: str | None = None) -> list[Path]:
    """Write ``<stem>_events.tsv`` (with its sidecar ``<stem>_events.json``), ``<stem>_summary.json`` and extra formats.

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
    stem : str, optional
        File-name stem; default :func:`output_stem` (a BIDS layout passes
        its entities, :mod:`plm.io.bids`).

    Returns
    -------
    list of pathlib.Path
        Files written, in order.
    """
    out = Path(out_dir)
    fmts = []
    for key in check_export_formats(extra_formats):
        key = _with_signals_or_not(key, result)
        if key not in fmts:
            fmts.append(key)
    if out.exists() and not out.is_dir():
        raise InputError(out, "is a file; expected an output folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise (output_error(out, exc) or InputError(out, f"cannot create the output folder ({exc.strerror or exc})")) \
            from None
    stem = stem or output_stem(result)
    written = []
    for key in fmts:
        target = out / f"{stem}{output_suffix(key)}"
        save_result(result, target, format=key)
        written.extend(output_files(key, target))
    return written


