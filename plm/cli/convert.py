"""``plm convert``: one night's raw file(s) to the plm HDF5 container (or EDF / accelerometer CSV)."""
from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any, Sequence

__all__ = ["SUBCOMMANDS", "convert"]

#: Output extension -> writer name (documented in docs/formats_raw.md).
OUTPUT_FORMATS = {".h5": "hdf5", ".hdf5": "hdf5", ".edf": "edf", ".csv": "accel-csv", ".gz": "accel-csv"}


def _out_format(out: Path) -> str:
    from ..errors import InputError

    fmt = OUTPUT_FORMATS.get(out.suffix.lower())
    if fmt is None or (out.suffix.lower() == ".gz" and not out.name.lower().endswith(".csv.gz")):
        raise InputError(out, "output must end in .h5/.hdf5 (plm container), .edf, .csv or .csv.gz")
    return fmt


def convert(inputs: Sequence[str | os.PathLike], out: str | os.PathLike, format: str = "auto",
            side: str | None = None, **options: Any) -> Path:
    """Read one night (one file, or one file per leg) and write it as ``out``.

    Parameters
    ----------
    inputs : sequence of path-like
    out : path-like
        ``.h5``/``.hdf5`` (signals, channel roles, start time, staging and
        events: lossless), ``.edf`` (signals; 16-bit) or ``.csv``/``.csv.gz``
        (plm accelerometer CSV; one leg, chosen with ``side``).
    format : str
        Input format or ``"auto"``.
    side : {"left", "right"}, optional
        Leg of single-ankle inputs that do not name it; for CSV output, the
        leg to write.
    **options
        ``channels``, ``tz`` for the readers.

    Returns
    -------
    Path
    """
    from ..atomic import check_free_space
    from ..errors import InputError
    from .info import read_raw_with_options

    out = Path(out)
    fmt = _out_format(out)
    check_free_space(out)  # a full disk is refused before the (long) read
    for p in inputs:
        if Path(p).exists() and out.exists() and os.path.samefile(p, out):
            raise InputError(out, "output is one of the input files; choose another name")
    # --side names the leg of a lone single-ankle input; with several inputs it only picks the CSV leg.
    rec = read_raw_with_options([str(p) for p in inputs], format=format, side=side if len(inputs) == 1 else None,
                                strict=False, **options)
    if fmt == "hdf5":
        from ..io.hdf5 import write_recording

        return write_recording(out, rec)
    if fmt == "edf":
        from ..io.edf import write_edf

        return write_edf(out, rec)
    from ..io.accel_csv import write_accel_csv

    if rec.modality != "accel":
        raise InputError(out, f"CSV output holds accelerometer signals; {inputs[0]} has {rec.modality}")
    return write_accel_csv(out, rec, side=side)


def _add_convert(sub) -> None:
    p = sub.add_parser(
        "convert", help="write a recording as plm HDF5 (or EDF / accelerometer CSV)",
        description="Convert one night's recording (one file, or left and right ankle files) to OUT; "
                    "the output format follows OUT's extension (.h5, .edf, .csv, .csv.gz).",
    )
    p.add_argument("paths", nargs="+", metavar="IN... OUT", help="input file(s) then the output file")
    from .info import add_reader_options

    add_reader_options(p)
    p.set_defaults(func=_cmd_convert)


def _cmd_convert(args: argparse.Namespace) -> int:
    import warnings

    from ..errors import InputError

    if len(args.paths) < 2:
        raise InputError(None, "plm convert needs at least one input and one output file: plm convert IN... OUT.h5")
    *inputs, out = args.paths
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        path = convert(inputs, out, format=args.format, side=args.side, channels=args.channels, tz=args.tz)
    import sys

    for w in caught:
        print(f"plm: warning: {' '.join(str(w.message).split())}", file=sys.stderr)
    print(path)
    return 0


SUBCOMMANDS = [_add_convert]
