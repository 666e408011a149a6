"""``plm convert``: one night's raw file(s) to the plm HDF5 container, EDF or accelerometer CSV."""
from __future__ import annotations

import argparse

from ..errors import InputError
from ..workflows.convert import convert
from .common import EXIT_OK, add_read_options, read_options_from_args

__all__ = ["register"]


def register(sub) -> None:
    """Add ``plm convert`` to the subcommand parsers ``sub``."""
    p = sub.add_parser(
        "convert", help="write a recording as plm HDF5 (or EDF / accelerometer CSV)",
        description="Convert one night's recording (one file, or left and right ankle files) to OUT; "
                    "the output format follows OUT's extension (.h5, .edf, .csv, .csv.gz).",
    )
    p.add_argument("paths", nargs="+", metavar="IN... OUT", help="input file(s) then the output file")
    add_read_options(p, nights=False)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Convert ``args.paths[:-1]`` into ``args.paths[-1]``."""
    if len(args.paths) < 2:
        raise InputError(None, "plm convert needs at least one input and one output file: plm convert IN... OUT.h5")
    *inputs, out = args.paths
    # the reader's warnings reach the user through the command's one `plm: warning:` line
    path = convert(inputs, out, read_options_from_args(args, strict=False))
    print(path)
    return EXIT_OK
