"""Readers and writers, one module per file format.

Raw-signal readers return a :class:`~plm.model.recording.Recording`; scored-event
readers return :class:`~plm.model.events.LegMovements`. Each format module has a
``sniff(path, head) -> bool`` used by automatic format detection, where
``head`` is the first 64 KiB of the file.
"""
from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

from ..errors import InputError
from ..plausibility import check_recording
from ._rawfiles import read_file
from .epoch_counts import refuse_epoch_counts

if TYPE_CHECKING:
    from ..model import LegMovements, Recording

__all__ = ["read", "read_events", "detect_format", "RAW_FORMATS", "EVENT_FORMATS"]

# name -> (module, reader function). Order matters for auto-detection: the
# first module whose sniff() accepts the file wins.
RAW_FORMATS: dict[str, tuple[str, str]] = {
    "accel-csv": ("plm.io.accel_csv", "read_accel_csv"),
    "actigraph-csv": ("plm.io.actigraph_csv", "read_actigraph_csv"),
    "edf": ("plm.io.edf", "read_edf"),
    "hdf5": ("plm.io.hdf5", "read_hdf5"),
    "binary-accel": ("plm.io.binary_accel", "read_binary_accel"),
}
EVENT_FORMATS: dict[str, tuple[str, str]] = {
    "events-tsv": ("plm.io.events_tsv", "read_events_tsv"),
    "remlogic": ("plm.io.remlogic", "read_remlogic"),
    "lm-list": ("plm.io.lm_list", "read_lm_list"),
    "stanford-sco": ("plm.io.stanford", "read_stanford"),
    "nsrr-xml": ("plm.io.nsrr_xml", "read_nsrr_xml"),
    "edf-annotations": ("plm.io.edf_annotations", "read_edf_annotations"),
}

_HEAD_BYTES = 65536


def _load(spec: tuple[str, str]) -> tuple[object, Callable]:
    module = importlib.import_module(spec[0])
    return module, getattr(module, spec[1])


def _check_file(path: str | os.PathLike) -> Path:
    p = Path(path)
    if not p.exists():
        raise InputError(p, "no such file")
    if p.is_dir():
        raise InputError(p, "is a folder, expected a file")
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise InputError(p, f"cannot be read ({exc.strerror})") from None
    if size == 0:
        raise InputError(p, "file is empty")
    return p


def detect_format(path: str | os.PathLike, kind: str = "any") -> tuple[str, str]:
    """Return ``(kind, format_name)`` of a file by extension and content.

    Parameters
    ----------
    path : path-like
    kind : {"any", "raw", "events"}
        Restrict the search to raw-signal or scored-event formats.

    Returns
    -------
    tuple of str
        ``("raw" | "events", name)`` with ``name`` a key of
        :data:`RAW_FORMATS` or :data:`EVENT_FORMATS`.
    """
    p = _check_file(path)
    head = read_file(p, _HEAD_BYTES)
    tables = []
    if kind in ("any", "raw"):
        tables.append(("raw", RAW_FORMATS))
    if kind in ("any", "events"):
        tables.append(("events", EVENT_FORMATS))
    for which, table in tables:
        for name, spec in table.items():
            try:
                module = importlib.import_module(spec[0])
            except ModuleNotFoundError as exc:
                if exc.name == spec[0]:
                    continue  # format module not built yet
                raise
            if module.sniff(p, head):
                return which, name
    if kind in ("any", "raw"):
        refuse_epoch_counts(p, head)  # counts, not raw signals: say so rather than "unknown format"
    what = {"any": "recording or event", "raw": "recording", "events": "event"}[kind]
    raise InputError(p, f"not a {what} file format plm knows (see `plm score --help` for formats)")


def _resolve(format: str, table: dict[str, tuple[str, str]], path) -> tuple[str, str]:
    if format not in table:
        raise InputError(path, f"unknown format {format!r}; choose one of {sorted(table)} or 'auto'")
    return table[format]


def read(path: str | os.PathLike | Sequence[str | os.PathLike], format: str = "auto", **kwargs) -> Recording:
    """Read a raw leg-movement recording.

    Parameters
    ----------
    path : path-like or sequence of path-like
        One file, or several files of one night (e.g. left and right ankle
        accelerometers) which are combined into one recording with two legs.
    format : str
        ``"auto"`` (default) or a key of :data:`RAW_FORMATS`.
    **kwargs
        Passed to the format's reader (e.g. ``channels=`` for EDF).

    Returns
    -------
    Recording
    """
    if not isinstance(path, (str, os.PathLike)):
        paths = list(path)
        if len(paths) == 1:
            return read(paths[0], format=format, **kwargs)
        from .combine import combine_recordings

        return combine_recordings([read(p, format=format, **kwargs) for p in paths])
    return _read_as(path, format, "raw", kwargs)


def _read_as(path, format: str, kind: str, kwargs: dict):
    """Detect (``format="auto"``) or check the file, then call the format's reader with ``kwargs``."""
    if format == "auto":
        _, format = detect_format(path, kind=kind)
    else:
        _check_file(path)
    _, reader = _load(_resolve(format, RAW_FORMATS if kind == "raw" else EVENT_FORMATS, path))
    out = reader(path, **_reader_options(reader, format, path, kwargs))
    # The reader's own array: plausibility fixes (units, absurd samples) may change it in place.
    return check_recording(out, inplace=True) if kind == "raw" else out


def _reader_options(reader: Callable, format: str, path, kwargs: dict) -> dict:
    """Options for ``reader``; one it does not take is a clear error, not a TypeError.

    None means "not given" (CLI defaults), so it is dropped.
    """
    import inspect

    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    params = inspect.signature(reader).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return kwargs
    unknown = sorted(set(kwargs) - set(params))
    if unknown:
        raise InputError(path, f"option(s) {', '.join(unknown)} do not apply to {format} files "
                               f"(the {format} reader takes {', '.join(p for p in params if p != 'path') or 'none'})")
    return kwargs


def read_events(path: str | os.PathLike, format: str = "auto", **kwargs) -> LegMovements:
    """Read already-scored leg movements (and staging/events where present).

    Parameters
    ----------
    path : path-like
    format : str
        ``"auto"`` (default) or a key of :data:`EVENT_FORMATS`.
    **kwargs
        Passed to the format's reader (e.g. ``tz=`` for clock-time exports,
        ``hypnogram=`` for a separate RemLogic staging file).

    Returns
    -------
    LegMovements
    """
    return _read_as(path, format, "events", kwargs)
