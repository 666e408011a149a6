"""``plm score``: score the night(s) in a recording or event file and print the indices."""
from __future__ import annotations

import argparse

from ..atomic import check_output_folder
from ..io.export import check_export_formats, write_night_outputs
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
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Score ``args.paths`` and print one summary per night."""
    if args.out:
        # a bad --export or an unusable --out is refused before any work
        check_export_formats(args.export)
        check_output_folder(args.out)
    results = score_nights(args.paths, criteria_from_args(args), read_options=read_options_from_args(args, strict=True))
    if args.out:
        for res in results:
            write_night_outputs(res, args.out, extra_formats=args.export)
    for res in results:
        print(json_line(res.summary()) if args.json else format_summary(res.summary()))
    return EXIT_OK


def format_summary(s: dict) -> str:
    """Short human-readable table of the main measures of one night."""
    def num(key, fmt="{:.1f}"):
        v = s.get(key)
        return "-" if v is None or (isinstance(v, float) and v != v) else fmt.format(v)

    lines = [
        f"{s.get('source', '')}" + (f"  (night of {s['night']})" if s.get("night") else ""),
        f"  criteria           {s['criteria']['name']} [{s['criteria']['hash']}]  plm {s['version']}",
        f"  denominator        {s.get('denominator')}: {num('hours_denominator', '{:.2f}')} h",
        f"  LMs (left/right)   {s.get('n_lm')} ({s.get('n_lm_left')}/{s.get('n_lm_right')})",
        f"  CLMs / PLMs        {s.get('n_clm')} / {s.get('n_plm')} in {s.get('n_series')} series",
        f"  PLM index          {num('plm_index')} /h",
        f"  PLMS index         {num('plms_index')} /h",
        f"  PLMW index         {num('plmw_index')} /h",
        f"  periodicity index  {num('periodicity_index', '{:.2f}')}",
    ]
    if s.get("start_time"):
        lines.insert(1, f"  start              {s['start_time']}")
    if s.get("excluded_hours"):
        lines.insert(4 if s.get("start_time") else 3,
                     f"  excluded           {num('excluded_hours', '{:.2f}')} h (gaps, non-wear)")
    lines += [f"  note               {note}" for note in s.get("notes") or ()]
    return "\n".join(lines)
