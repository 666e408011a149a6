"""``plm report``: PNG/HTML reports of nights or of a study (:mod:`plm.workflows.report`)."""
from __future__ import annotations

import argparse

from ..workflows.report import report_paths
from .common import EXIT_OK, add_criteria_options, add_read_options, criteria_from_args, read_options_from_args

__all__ = ["register"]


def register(sub) -> None:
    """Add ``plm report`` to the subcommand parsers ``sub``."""
    p = sub.add_parser(
        "report", help="PNG/HTML reports of nights or of a study",
        description="For each recording or event file (left/right files of one night grouped as in "
                    "`plm batch`): a PNG and a self-contained HTML page with the headline measures, the "
                    "leg-movement raster, IMI histogram, hypnogram, every measure, the criteria and the list of "
                    "leg movements. A `plm batch` output folder gives a page per night (from the batch's own "
                    "outputs, not scored again) and batch_report.html linking them; a `plm study` output folder "
                    "(with summary.json and subjects.csv) gives the before/after study report. Needs matplotlib "
                    "(plm[report]).")
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="recordings or event files (one night report each), plm batch or plm study output folders")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    add_criteria_options(p)
    add_read_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Write the reports and print the HTML pages' paths."""
    written = report_paths(args.paths, args.out, criteria_from_args(args),
                           read_options=read_options_from_args(args, strict=False))
    for path in written:
        print(path)
    return EXIT_OK
