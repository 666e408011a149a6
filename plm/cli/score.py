"""``plm score``: score the night(s) in a recording or event file and print the indices."""
from __future__ import annotations

import argparse
import shlex
from pathlib import Path

from ..atomic import check_output_folder
from ..errors import InputError
from ..io.bids import check_bids_inputs, write_bids_outputs
from ..io.export import check_export_formats, write_night_outputs
from ..model.labels import headline_rows
from ..workflows.night_scoring import score_nights
from .common import (
    EXIT_OK, add_criteria_options, add_read_options, criteria_from_args, json_line,
    read_options_from_args,
)

__all__ = ["register", "format_summary"]


def register(sub) -> None:
    """Add ``plm score`` to the subcommand parsers ``sub``."""
    p = sub.add_parser("score", help="score one night (or several files of one night)",
                       description="Score leg movements and print the PLM indices.")
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="recording (accelerometer CSV, EDF/BDF, HDF5, ...) or scored-event file; "
                        "left and right ankle files of one night are scored together")
    add_criteria_options(p)
    add_read_options(p, night_files=True)
    p.add_argument("--json", action="store_true", help="print one JSON object per night, one per line")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="write <stem>_events.tsv and <stem>_summary.json per night into DIR")
    p.add_argument("--export", action="append", default=[], metavar="FMT",
                   help="with --out, also write FMT (tsv, json, csv, edf, edf-annotations, xml, h5); repeatable")
    p.add_argument("--bids", action="store_true",
                   help="with --out, lay DIR out as a BIDS derivatives dataset (sub-*/[ses-*/]<datatype>/...); "
                        "subject and session from BIDS input names or --subject/--session")
    p.add_argument("--subject", default=None, metavar="LABEL", help="with --bids: the subject label")
    p.add_argument("--session", default=None, metavar="LABEL", help="with --bids: the session label")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Score ``args.paths`` and print one summary per night."""
    if args.export and not args.out:
        raise InputError("--export", "needs --out DIR, the folder the exported files are written to")
    if (args.bids or args.subject or args.session) and not args.out:
        raise InputError("--bids", "needs --out DIR (the derivatives dataset to write)")
    if (args.subject or args.session) and not args.bids:
        raise InputError("--subject/--session", "only apply with --bids")
    for path in args.paths:
        if Path(path).is_dir():
            raise InputError(path, "is a folder; `plm score` scores the files of one night. To score every "
                                   f"recording in a folder: plm batch {shlex.quote(str(path))} --out DIR")
    if args.out:
        # a bad --export or an unusable --out is refused before any work
        check_export_formats(args.export)
        check_output_folder(args.out)
        if args.bids:
            check_bids_inputs(args.paths, args.subject, args.session)
    results = score_nights(args.paths, criteria_from_args(args), read_options=read_options_from_args(args, strict=True))
    if args.out:
        for res in results:
            if args.bids:
                write_bids_outputs(res, args.out, args.export, subject=args.subject, session=args.session)
            else:
                write_night_outputs(res, args.out, extra_formats=args.export)
    for res in results:
        print(json_line(res.summary()) if args.json else format_summary(res.summary()))
    return EXIT_OK


def format_summary(s: dict) -> str:
    """Human-readable block of one night: the headline indices, each labelled with its hours, then counts and notes.

    A staged night heads with the PLMS index (sleep), with every PLM per hour
    of recording (or time in bed) on the next line under its own label; an
    unstaged night with the PLM index per hour of recording or time in bed
    (:func:`plm.model.labels.headline_rows`).
    """
    rows = headline_rows(s)
    if s.get("start_time"):
        rows.insert(0, ("start", s["start_time"], ""))
    # the summary's own notes: the one-leg and assumed-length rows above already say what they mean
    rows += [("note", str(note), "") for note in s.get("notes") or ()]
    width = max(len(label) for label, _, _ in rows) + 2
    value_width = max((len(value) for _, value, what in rows if what), default=0) + 2
    lines = [f"{s.get('source', '')}" + (f"  (night of {s['night']})" if s.get("night") else "")]
    for label, value, what in rows:
        lines.append(f"  {label:<{width}}{value:<{value_width}}{what}".rstrip() if what else f"  {label:<{width}}{value}")
    return "\n".join(lines)
