"""Score the nights held in a set of input files.

This is the one place that turns "these paths" into :class:`NightResult`
objects: ``plm score``, ``plm batch``, ``plm study`` and ``plm report`` all
call :func:`score_paths`.
"""
from __future__ import annotations

import os
from typing import Sequence

from ..errors import InputError

__all__ = ["score_paths", "score_recording_nights", "read_recording_nights"]


def score_paths(
    paths: Sequence[str | os.PathLike],
    criteria,
    format: str = "auto",
    channels: str | None = None,
    nights: str = "noon",
    lights=None,
    separate_exports: dict | None = None,
    tz: str | None = None,
    side: str | None = None,
    threads: int | None = None,
) -> list:
    """Score the nights in ``paths``.

    Parameters
    ----------
    paths : sequence of path-like
        Raw recordings and/or scored-event files. Raw files are read together
        as one recording (e.g. left and right ankle of one night) and split
        into nights; event files are scored one by one.
    criteria : str or Criteria
    format : str
        ``"auto"`` or a format name of :mod:`plm.io`.
    channels : str, optional
        EDF leg channels as ``"LEFT,RIGHT"`` labels.
    nights : {"noon", "rest"}
        How a multi-night recording is cut into nights (``plm.nights``).
    lights : path-like or sequence of mappings, optional
        Lights-off/on table: one night per row.
    separate_exports : dict, optional
        ``hypnogram``, ``arousals`` and/or ``respiratory`` file paths of the
        same night, for event files with clock times (RemLogic exports, LM
        lists); see ``docs/formats.md``.
    tz, side : str, optional
        For raw files that lack them: time zone of the device clock (EDF,
        ActiLife CSV, binary accelerometers) and leg of a single-ankle file
        (see ``docs/formats_raw.md``).
    threads : int, optional
        Legs detected at the same time (see :func:`plm.score`).

    Returns
    -------
    list of NightResult
        Raw-recording nights first (in time order), then event files in the
        order given.
    """
    from .api import score
    from ..io import detect_format, read_events

    paths = [os.fspath(p) for p in paths]
    kinds = [detect_format(p, kind="any") if format == "auto" else (_kind_of_format(format), format) for p in paths]
    results = []
    raw = [p for p, (k, _) in zip(paths, kinds) if k == "raw"]
    kwargs = {k: v for k, v in (("channels", channels), ("tz", tz), ("side", side)) if v}
    if raw:
        recording = _read_raw(raw, {f for (k, f) in kinds if k == "raw"}, kwargs)
        results.extend(score_recording_nights(recording, criteria, method=nights, table=lights, threads=threads))
    extra = {k: v for k, v in (separate_exports or {}).items() if v is not None}
    for p, (k, f) in zip(paths, kinds):
        if k == "events":
            if extra and f not in ("remlogic", "lm-list"):
                raise InputError(p, f"separate hypnogram/arousal/respiratory files apply to RemLogic exports and "
                                    f"Start/Type/Duration LM lists only, not to {f} files")
            results.append(score(read_events(p, format=f, **extra), criteria))
    if extra and not any(k == "events" for k, _ in kinds):
        raise InputError(None, "separate hypnogram/arousal/respiratory files need a scored-event file to go with")
    return results


def _read_raw(raw: list[str], fmts: set[str], kwargs: dict):
    """One recording from the raw files of one night (e.g. left and right ankle)."""
    from ..io import read

    return read(raw if len(raw) > 1 else raw[0], format=fmts.pop() if len(fmts) == 1 else "auto", **kwargs)


def read_recording_nights(
    paths: Sequence[str | os.PathLike],
    format: str = "auto",
    channels: str | None = None,
    nights: str = "noon",
    lights=None,
    tz: str | None = None,
    side: str | None = None,
) -> list:
    """Read raw recording files as :func:`score_paths` does and split them into nights, unscored.

    For work that needs the signals of each night (``plm calibrate``).

    Parameters
    ----------
    paths : sequence of path-like
        Raw recordings of one recording session (read together).
    format, channels, nights, lights, tz, side
        As for :func:`score_paths`.

    Returns
    -------
    list of Recording
        One per night, in time order.
    """
    from ..io import detect_format
    from ..nights import split_nights

    paths = [os.fspath(p) for p in paths]
    kinds = [detect_format(p, kind="any") if format == "auto" else (_kind_of_format(format), format) for p in paths]
    for p, (k, _) in zip(paths, kinds):
        if k != "raw":
            raise InputError(p, "is a scored-event file; a raw recording (signals) is needed here")
    kwargs = {k: v for k, v in (("channels", channels), ("tz", tz), ("side", side)) if v}
    recording = _read_raw(paths, {f for (_, f) in kinds}, kwargs)
    return list(split_nights(recording, method=nights, table=lights))


def score_recording_nights(recording, criteria, method: str = "noon", table=None, threads: int | None = None) -> list:
    """Score each night of a (possibly multi-night) recording (see docs/nights.md)."""
    from .api import score

    from ..nights import split_nights

    return [score(night, criteria, threads=threads) for night in split_nights(recording, method=method, table=table)]


def _kind_of_format(fmt: str) -> str:
    from ..io import EVENT_FORMATS, RAW_FORMATS

    if fmt in RAW_FORMATS:
        return "raw"
    if fmt in EVENT_FORMATS:
        return "events"
    raise InputError(None, f"unknown format {fmt!r}; choose one of {sorted(RAW_FORMATS) + sorted(EVENT_FORMATS)}")
