"""One night's raw file(s) written as one file of another format (``plm convert``)."""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Sequence

from ..atomic import check_free_space
from ..errors import InputError
from ..io import registry
from .reading import ReadOptions, read_recording

__all__ = ["convert"]


def convert(inputs: Sequence[str | os.PathLike], out: str | os.PathLike,
            read_options: ReadOptions | None = None) -> Path:
    """Read one night (one file, or one file per leg) and write it as ``out``.

    Parameters
    ----------
    inputs : sequence of path-like
    out : path-like
        ``.h5``/``.hdf5`` (signals, channel roles, start time, staging and
        events: lossless), ``.edf`` (signals; 16-bit) or ``.csv``/``.csv.gz``
        (plm accelerometer CSV; one leg, chosen with ``read_options.side``).
    read_options : ReadOptions, optional
        Reading options (default: not strict). ``side`` names the leg of a
        lone single-ankle input; with several inputs it only picks the leg
        a CSV output holds.

    Returns
    -------
    Path
    """
    options = read_options or ReadOptions(strict=False)
    out = Path(out)
    fmt = registry.recording_format_of(out)
    if fmt is None:
        raise InputError(out, "output must end in " + ", ".join(registry.recording_extensions()))
    check_free_space(out)  # a full disk is refused before the (long) read
    for p in inputs:
        if Path(p).exists() and out.exists() and os.path.samefile(p, out):
            raise InputError(out, "output is one of the input files; choose another name")
    side = options.side
    rec = read_recording([os.fspath(p) for p in inputs],
                         options if len(inputs) == 1 else dataclasses.replace(options, side=None))
    write = registry.load(fmt.recording_writer)
    if fmt.name == "accel-csv":
        if rec.modality != "accel":
            raise InputError(out, f"CSV output holds accelerometer signals; {inputs[0]} has {rec.modality}")
        return write(out, rec, side=side)
    return write(out, rec)
