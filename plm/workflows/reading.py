"""Reading a night's input files: the :class:`ReadOptions` every command shares, and the readers called with them.

``plm score``, ``plm batch``, ``plm study``, ``plm report``, ``plm info`` and
``plm convert`` (and the Python API) read their files through
:func:`read_inputs` or :func:`read_recording` with one :class:`ReadOptions`,
so an option such as ``--tz`` or ``--side`` means the same everywhere.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Sequence

from .._util import check_option
from ..errors import InputError
from ..io import detect_format, kind_of_format, read, read_events, reader_options
from ..io.mne_raw import MNE_RAW
from ..io.combine import combine_recordings
from ..model import LegMovements, Recording
from ..nights import NIGHT_METHODS

__all__ = ["ReadOptions", "NightInputs", "read_inputs", "read_recording"]


@dataclass(frozen=True)
class ReadOptions:
    """How to read a night's files and cut a recording into nights.

    Parameters
    ----------
    format : str
        ``"auto"`` (detected per file) or a format name of :mod:`plm.io`.
    channels : str, optional
        EDF leg channels as ``"LEFT,RIGHT"`` labels.
    tz : str, optional
        Time zone of files whose clock has no UTC offset (EDF, ActiLife CSV,
        binary accelerometers, clock-time event files): IANA name or ``+01:00``.
    side : {"left", "right"}, optional
        Leg of a single-ankle file that does not say.
    nights : {"noon", "table", "rest"}
        How a multi-night recording is cut into nights (``docs/nights.md``).
    lights : path-like or sequence of mappings, optional
        Lights-off/on table, one night per row (implies ``nights="table"``).
    hypnogram, arousals, respiratory : path-like, optional
        Separate RemLogic exports of the same night for event files with
        clock times (RemLogic exports, LM lists; ``docs/formats.md``).
    strict : bool
        ``channels``, ``tz`` and ``side`` go to every reader (of raw or event
        files) that takes them; with ``strict`` (``plm score``, the Python API) one that none
        of a night's readers takes is an error. Commands that read many
        recordings of mixed formats in one run (``plm batch``, ``plm study``,
        ``plm report``) are not strict: an option applies to the files it
        fits.
    """

    format: str = "auto"
    channels: str | None = None
    tz: str | None = None
    side: str | None = None
    nights: str = "noon"
    lights: Any = None
    hypnogram: str | os.PathLike | None = None
    arousals: str | os.PathLike | None = None
    respiratory: str | os.PathLike | None = None
    strict: bool = True

    def __post_init__(self) -> None:
        check_option("night-splitting method", self.nights, NIGHT_METHODS)

    @property
    def reader_options(self) -> dict[str, Any]:
        """``channels``, ``tz``, ``side``: those that are given."""
        return {k: v for k, v in (("channels", self.channels), ("tz", self.tz), ("side", self.side)) if v}

    @property
    def separate_exports(self) -> dict[str, Any]:
        """``hypnogram``, ``arousals``, ``respiratory``: those that are given."""
        return {k: v for k, v in (("hypnogram", self.hypnogram), ("arousals", self.arousals),
                                  ("respiratory", self.respiratory)) if v is not None}

    def record(self) -> dict[str, Any]:
        """The options that change results, as JSON values (kept beside batch results for ``--resume``)."""
        out: dict[str, Any] = {"format": self.format, "channels": self.channels, "tz": self.tz, "side": self.side,
                               "nights": self.nights}
        if self.lights is not None:
            out["lights"] = os.fspath(self.lights) if isinstance(self.lights, (str, os.PathLike)) else "table"
        return out


@dataclass(frozen=True)
class NightInputs:
    """What the files of one call hold.

    Attributes
    ----------
    recording : Recording or None
        The raw files read together as one recording (e.g. left and right
        ankle), not yet cut into nights.
    events : list of LegMovements
        Each scored-event file, in the order given.
    """

    recording: Recording | None
    events: list[LegMovements]


def _format_of(path: str, options: ReadOptions, kind: str = "any") -> tuple[str, str]:
    if options.format == "auto":
        return detect_format(path, kind=kind)
    return kind_of_format(options.format), options.format


def read_raw_object(raw: Any, options: ReadOptions = ReadOptions()) -> Recording:
    """Read an MNE Raw with the reading options it takes (``channels``, ``tz``) through :func:`plm.io.read`.

    Parameters
    ----------
    raw : mne.io.BaseRaw
    options : ReadOptions
        An option a Raw does not take (``side``, a ``format``) is an error
        when ``options.strict``.

    Returns
    -------
    Recording
    """
    if options.format not in ("auto", MNE_RAW) and options.strict:
        raise InputError("MNE Raw", f"format {options.format!r} does not apply to an MNE Raw")
    kwargs = reader_options(MNE_RAW, options.reader_options)
    _check_used(options, set(kwargs), "MNE Raw", MNE_RAW)
    return read(raw, **kwargs)


def read_recording(paths: Sequence[str | os.PathLike], options: ReadOptions = ReadOptions()) -> Recording:
    """Read raw files of one night as one recording, each reader given the options it takes.

    Parameters
    ----------
    paths : sequence of path-like
        One file, or one file per leg.
    options : ReadOptions
        An option that none of the readers takes is an error when
        ``options.strict`` (else it is ignored).

    Returns
    -------
    Recording
    """
    paths = [os.fspath(p) for p in paths]
    formats = [_format_of(p, options, "raw")[1] for p in paths]
    recordings, used = _read_all(paths, formats, options, read)
    _check_used(options, used, paths[0], formats[0])
    return recordings[0] if len(recordings) == 1 else combine_recordings(recordings)


def _read_all(paths: list[str], formats: list[str], options: ReadOptions, reader, **extra) -> tuple[list, set]:
    """``reader(path, format=..., **options it takes)`` per file, and the option names some reader took."""
    out, used = [], set()
    for p, fmt in zip(paths, formats):
        kwargs = reader_options(fmt, options.reader_options)
        used |= set(kwargs)
        out.append(reader(p, format=fmt, **kwargs, **extra))
    return out, used


def _check_used(options: ReadOptions, used: set, path: str, fmt: str) -> None:
    unused = {k: v for k, v in options.reader_options.items() if k not in used}
    if unused and options.strict:  # refused in io's words: the file, and what its reader takes
        reader_options(fmt, unused, path, strict=True)


def read_inputs(paths: Sequence[str | os.PathLike], options: ReadOptions = ReadOptions()) -> NightInputs:
    """Read the files of one call: raw files together as one recording, event files one by one.

    Parameters
    ----------
    paths : sequence of path-like
        Raw recordings and/or scored-event files.
    options : ReadOptions

    Returns
    -------
    NightInputs
    """
    paths = [os.fspath(p) for p in paths]
    kinds = [_format_of(p, options) for p in paths]
    raw = [(p, f) for p, (k, f) in zip(paths, kinds) if k == "raw"]
    scored = [(p, f) for p, (k, f) in zip(paths, kinds) if k == "events"]
    separate = options.separate_exports
    if separate:
        if not scored:
            raise InputError(None, "separate hypnogram/arousal/respiratory files need a scored-event file to go with")
        p, f = next(((p, f) for p, f in scored if f not in ("remlogic", "lm-list")), (None, None))
        if p is not None:
            raise InputError(p, f"separate hypnogram/arousal/respiratory files apply to RemLogic exports and "
                                f"Start/Type/Duration LM lists only, not to {f} files")
    recordings, used = _read_all([p for p, _ in raw], [f for _, f in raw], options, read)
    events, used_by_events = _read_all([p for p, _ in scored], [f for _, f in scored], options, read_events,
                                       **separate)
    _check_used(options, used | used_by_events, paths[0], kinds[0][1])
    recording = None if not recordings else recordings[0] if len(recordings) == 1 else combine_recordings(recordings)
    return NightInputs(recording, events)
