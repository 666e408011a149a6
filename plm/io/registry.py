"""The format registry: every file format plm reads or writes, in one table.

Each :class:`FileFormat` names what a format's files hold (``kind``), the
functions that recognise (``sniff``), read and write them, the extensions its
files carry and the compressions its reader undoes. Every other format table
(the reader lists of :mod:`plm.io`, the export formats of
:mod:`plm.io.export`, the outputs of ``plm convert``, the extension rule of
``plm batch`` and of output file names) is derived from :data:`FORMATS`.

Functions are named as ``"module:function"`` text and imported on first use,
so that reading one EDF file does not import h5py or edfio; the layering test
reads these names as imports (``tests/test_layering.py``). A new format is a
module under ``plm/io/`` plus one row here (``docs/design.md``).
"""
from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .._util import check_option
from ..errors import InputError

__all__ = ["FileFormat", "FORMATS", "COMPRESSIONS", "formats", "get", "load", "split_extension",
           "export_name", "export_format_of", "result_writer", "output_suffix", "output_files", "output_suffixes",
           "recording_format_of", "recording_extensions"]

#: Suffixes that name a compression of a file (``night.csv.gz``): the extension before them is the
#: format's. plm's readers undo gzip (by the file's first bytes); the others only keep file names apart.
COMPRESSIONS = (".gz", ".bz2", ".xz", ".zip", ".zst")


@dataclass(frozen=True)
class FileFormat:
    """One file format.

    Attributes
    ----------
    name : str
        Format name (``--format`` value, ``detect_format`` result).
    kind : {"raw", "events"} or None
        What :attr:`reader` returns; None for formats plm only writes.
    extensions : tuple of str
        Lower-case extensions its files have.
    compressions : tuple of str
        Compression suffixes the reader (and recording writer) handle (``.gz``).
    written_as : tuple of str
        Extensions that ask for this format when writing (a result written
        to ``x.edf`` is EDF+ with signals, not annotations only).
    sniff, reader : str or None
        ``"module:function"``: ``sniff(path, head) -> bool`` (``head`` is the
        file's first 64 KiB) and ``reader(path, **options)``.
    recording_writer : str or None
        ``writer(path, recording)``: a Recording in this format (``plm convert``).
    result_writer : str or None
        ``writer(path, result)``: a NightResult in this format
        (``NightResult.save``, ``plm score --export``).
    export : str or None
        The format's name among the export formats (``tsv``, ``json``, ...).
    output_suffix : str or None
        File-name suffix of this export in ``plm score --out`` (``_events.tsv``).
    sidecar : str or None
        Extension of the sidecar the result writer puts beside the file
        (``.json``: ``x_events.tsv`` -> ``x_events.json``), or None.
    """

    name: str
    kind: str | None
    extensions: tuple[str, ...]
    compressions: tuple[str, ...] = ()
    written_as: tuple[str, ...] = ()
    sniff: str | None = None
    reader: str | None = None
    recording_writer: str | None = None
    result_writer: str | None = None
    export: str | None = None
    output_suffix: str | None = None
    sidecar: str | None = None


#: Every format, in sniffing order: the first whose ``sniff`` accepts a file is its format.
FORMATS: tuple[FileFormat, ...] = (
    # raw signals
    FileFormat("accel-csv", "raw", (".csv",), compressions=(".gz",), written_as=(".csv",),
               sniff="plm.io.accel_csv:sniff", reader="plm.io.accel_csv:read_accel_csv",
               recording_writer="plm.io.accel_csv:write_accel_csv"),
    FileFormat("actigraph-csv", "raw", (".csv",), compressions=(".gz",),
               sniff="plm.io.actigraph_csv:sniff", reader="plm.io.actigraph_csv:read_actigraph_csv"),
    FileFormat("edf", "raw", (".edf", ".bdf", ".rec"), written_as=(".edf",),
               sniff="plm.io.edf:sniff", reader="plm.io.edf:read_edf",
               recording_writer="plm.io.edf:write_edf", result_writer="plm.io.edf_plus:write_edf_plus",
               export="edf", output_suffix="_scored.edf"),
    FileFormat("hdf5", "raw", (".h5", ".hdf5"), written_as=(".h5", ".hdf5"),
               sniff="plm.io.hdf5:sniff", reader="plm.io.hdf5:read_hdf5",
               recording_writer="plm.io.hdf5:write_recording", result_writer="plm.io.hdf5:write_result",
               export="h5", output_suffix="_result.h5"),
    FileFormat("binary-accel", "raw", (".gt3x", ".cwa", ".bin"),
               sniff="plm.io.binary_accel:sniff", reader="plm.io.binary_accel:read_binary_accel"),
    # scored events
    FileFormat("events-tsv", "events", (".tsv", ".txt"), written_as=(".tsv",),
               sniff="plm.io.events_tsv:sniff", reader="plm.io.events_tsv:read_events_tsv",
               result_writer="plm.io.events_tsv:write_events_tsv", export="tsv", output_suffix="_events.tsv",
               sidecar=".json"),
    FileFormat("remlogic", "events", (".txt",),
               sniff="plm.io.remlogic:sniff", reader="plm.io.remlogic:read_remlogic"),
    FileFormat("lm-list", "events", (".txt",),
               sniff="plm.io.lm_list:sniff", reader="plm.io.lm_list:read_lm_list"),
    FileFormat("stanford-sco", "events", (".sco", ".sta"),
               sniff="plm.io.stanford:sniff", reader="plm.io.stanford:read_stanford"),
    FileFormat("nsrr-xml", "events", (".xml",), written_as=(".xml",),
               sniff="plm.io.nsrr_xml:sniff", reader="plm.io.nsrr_xml:read_nsrr_xml",
               result_writer="plm.io.nsrr_xml:write_nsrr_xml", export="xml", output_suffix="_nsrr.xml"),
    FileFormat("edf-annotations", "events", (".edf",),
               sniff="plm.io.edf_annotations:sniff", reader="plm.io.edf_annotations:read_edf_annotations",
               result_writer="plm.io.edf_annotations:write_edf_annotations", export="edf-annotations",
               output_suffix="_annotations.edf"),
    # written only: a night's summary
    FileFormat("summary-json", None, (".json",), written_as=(".json",),
               result_writer="plm.io.summary:write_summary_json", export="json", output_suffix="_summary.json"),
    FileFormat("measures-csv", None, (".csv",), written_as=(".csv",),
               result_writer="plm.io.summary:write_measures_csv", export="csv", output_suffix="_summary.csv"),
)

#: Other names of export formats.
EXPORT_ALIASES = {"events-tsv": "tsv", "nsrr-xml": "xml", "hdf5": "h5", "edf+": "edf", "summary": "json"}


def formats(kind: str) -> dict[str, FileFormat]:
    """The readable formats of one kind, in sniffing order.

    Parameters
    ----------
    kind : {"raw", "events"}

    Returns
    -------
    dict
        Format name to :class:`FileFormat`.
    """
    return {f.name: f for f in FORMATS if f.kind == kind}


def get(name: str, kind: str | None = None, source: str | os.PathLike | None = None) -> FileFormat:
    """The format called ``name`` (of ``kind`` when given); an InputError for an unknown one.

    Parameters
    ----------
    name : str
    kind : {"raw", "events"}, optional
    source : path-like or str, optional
        Named in the error.

    Returns
    -------
    FileFormat
    """
    table = {f.name: f for f in FORMATS if f.kind is not None and (kind is None or f.kind == kind)}
    check_option("format", name, [*table, "auto"], source)
    return table[name]


def load(spec: str) -> Callable[..., Any]:
    """The function named ``"module:function"``."""
    module, _, func = spec.partition(":")
    return getattr(importlib.import_module(module), func)


# ----------------------------------------------------------- file names
def split_extension(name: str | os.PathLike) -> tuple[str, str]:
    """``(stem, extension)`` of a file name; a compression suffix keeps the one before it.

    Parameters
    ----------
    name : str or path-like
        File name or path (only the last part counts).

    Returns
    -------
    stem : str
    extension : str
        Lower case, e.g. ``.edf``, ``.csv.gz``, ``.csv.zst``; empty without one.

    Examples
    --------
    >>> split_extension("P01_left.csv.gz")
    ('P01_left', '.csv.gz')
    >>> split_extension("night.2.edf")
    ('night.2', '.edf')
    """
    path = Path(os.fspath(name))
    suffixes = path.suffixes
    n = 2 if len(suffixes) >= 2 and suffixes[-1].lower() in COMPRESSIONS else 1 if suffixes else 0
    ext = "".join(suffixes[-n:]) if n else ""
    return path.name[: len(path.name) - len(ext)], ext.lower()


# ----------------------------------------------------------- writers
def export_name(fmt: str, source: str | os.PathLike | None = None) -> str:
    """The export format called ``fmt`` (or one of its other names, any case, with or without a dot)."""
    key = fmt.lower().lstrip(".")
    key = EXPORT_ALIASES.get(key, key)
    names = sorted(f.export for f in FORMATS if f.export)
    if key not in names:  # check_option's wording, naming the value as given
        raise InputError(source, f"unknown export format {fmt!r}; choose one of {names}")
    return key


def _by_export(name: str) -> FileFormat:
    return next(f for f in FORMATS if f.export == name)


def export_format_of(path: str | os.PathLike) -> str | None:
    """Export format a file name's extension asks for, or None."""
    ext = split_extension(path)[1]
    return next((f.export for f in FORMATS if f.export and ext in f.written_as), None)


def result_writer(name: str) -> Callable[..., Any]:
    """``writer(path, result)`` of an export format."""
    return load(_by_export(name).result_writer)


def output_suffix(name: str) -> str:
    """File-name suffix of an export format in ``plm score --out`` (``_events.tsv``)."""
    return _by_export(name).output_suffix


def output_files(name: str, path: str | os.PathLike) -> list[Path]:
    """The files an export format writes for ``path``: the file, and its sidecar when the format has one."""
    path, side = Path(path), _by_export(name).sidecar
    return [path] + ([path.with_suffix(side)] if side else [])


def output_suffixes() -> tuple[str, ...]:
    """Every file-name ending ``plm score --out`` writes (``_events.tsv``, ``_events.json``, ...)."""
    ends = set()
    for f in FORMATS:
        if f.export:
            ends.add(f.output_suffix)
            if f.sidecar:
                ends.add(f.output_suffix.rsplit(".", 1)[0] + f.sidecar)
    return tuple(sorted(ends))


def recording_format_of(path: str | os.PathLike) -> FileFormat | None:
    """Format a Recording is written in for a file name (``plm convert``), or None."""
    ext = split_extension(path)[1]
    return next((f for f in FORMATS if f.recording_writer and ext in _written(f)), None)


def recording_extensions() -> list[str]:
    """Every extension ``plm convert`` writes (compressed forms included), for messages."""
    return [e for f in FORMATS if f.recording_writer for e in _written(f)]


def _written(f: FileFormat) -> list[str]:
    return [e + c for e in f.written_as for c in ("", *f.compressions)]

