"""Readers and writers, one module per file format.

Raw-signal readers return a :class:`~plm.model.Recording`; scored-event
readers return :class:`~plm.model.LegMovements`. Every format is a row of the
format registry (:mod:`plm.io.registry`); its ``sniff(path, head) -> bool``
(``head``: the first 64 KiB of the file) serves automatic format detection.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from ..errors import InputError
from ..plausibility import check_recording
from . import registry
from ._rawfiles import read_file
from .epoch_counts import refuse_epoch_counts
from .mne_raw import MNE_RAW, is_mne_raw, read_mne_raw
from .registry import FileFormat

if TYPE_CHECKING:
    from ..model import LegMovements, Recording

__all__ = ["read", "read_events", "detect_format", "kind_of_format", "reader_options", "RAW_FORMATS",
           "EVENT_FORMATS"]

#: Readable formats by kind, in sniffing order (from the format registry).
RAW_FORMATS: dict[str, FileFormat] = registry.formats("raw")
EVENT_FORMATS: dict[str, FileFormat] = registry.formats("events")

_HEAD_BYTES = 65536


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
    for fmt in registry.FORMATS:
        if fmt.kind is not None and kind in ("any", fmt.kind) and registry.load(fmt.sniff)(p, head):
            return fmt.kind, fmt.name
    if kind in ("any", "raw"):
        refuse_epoch_counts(p, head)  # counts, not raw signals: say so rather than "unknown format"
    if kind != "any":
        # a known file of the other kind: say which call reads it rather than "unknown format"
        other = "events" if kind == "raw" else "raw"
        for fmt in registry.FORMATS:
            if fmt.kind == other and registry.load(fmt.sniff)(p, head):
                if other == "events":
                    raise InputError(p, f"is a scored-event file ({fmt.name}), not a recording: read it with "
                                        "plm.read_events, or score it with plm score")
                raise InputError(p, f"is a recording ({fmt.name}), not a scored-event file: read it with plm.read, "
                                    "or score it with plm score")
    what = {"any": "recording or event", "raw": "recording", "events": "scored-event"}[kind]
    raise InputError(p, f"not a {what} file format plm knows (see `plm score --help` for formats)")


def kind_of_format(format: str) -> str:
    """``"raw"`` or ``"events"``: what the reader of a format returns.

    Parameters
    ----------
    format : str
        A format name of :data:`RAW_FORMATS` or :data:`EVENT_FORMATS`.

    Returns
    -------
    str
    """
    return registry.get(format).kind


def reader_options(format: str, options: dict, path: str | os.PathLike | None = None, *,
                   strict: bool = False) -> dict:
    """Those of ``options`` that the reader of ``format`` takes; None values mean "not given" and are dropped.

    Parameters
    ----------
    format : str
    options : dict
    path : path-like, optional
        Named in the error.
    strict : bool
        An option the reader does not take is an InputError (else left out).

    Returns
    -------
    dict
    """
    import inspect

    given = {k: v for k, v in options.items() if v is not None}
    reader = read_mne_raw if format == MNE_RAW else registry.load(registry.get(format, source=path).reader)
    params = inspect.signature(reader).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return given
    unknown = sorted(set(given) - set(params))
    if unknown and strict:
        raise InputError(path, f"option(s) {', '.join(unknown)} do not apply to {format} files "
                               f"(the {format} reader takes {', '.join(p for p in params if p != 'path') or 'none'})")
    return {k: v for k, v in given.items() if k not in unknown}


def read(path: str | os.PathLike | Sequence[str | os.PathLike], format: str = "auto", **kwargs) -> Recording:
    """Read a raw leg-movement recording.

    Parameters
    ----------
    path : path-like, sequence of path-like, or mne.io.BaseRaw
        One file, or several files of one night (e.g. left and right ankle
        accelerometers) which are combined into one recording with two legs;
        or an MNE Raw (its leg EMG channels, :func:`plm.io.mne_raw.read_mne_raw`).
    format : str
        ``"auto"`` (default) or a name of :data:`RAW_FORMATS`.
    **kwargs
        Passed to the format's reader (e.g. ``channels=`` for EDF and Raws).

    Returns
    -------
    Recording
    """
    if is_mne_raw(path):
        return read_mne_raw(path, **reader_options(MNE_RAW, kwargs, "MNE Raw", strict=True))
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
    reader = registry.load(registry.get(format, kind, path).reader)
    out = reader(path, **reader_options(format, kwargs, path, strict=True))
    # The reader's own array: plausibility fixes (units, absurd samples) may change it in place.
    return check_recording(out, inplace=True) if kind == "raw" else out


def read_events(path: str | os.PathLike, format: str = "auto", **kwargs) -> LegMovements:
    """Read already-scored leg movements (and staging/events where present).

    Parameters
    ----------
    path : path-like
    format : str
        ``"auto"`` (default) or a name of :data:`EVENT_FORMATS`.
    **kwargs
        Passed to the format's reader (e.g. ``tz=`` for clock-time exports,
        ``hypnogram=`` for a separate RemLogic staging file).

    Returns
    -------
    LegMovements
    """
    return _read_as(path, format, "events", kwargs)
