"""``plm info``: what is in a recording or event file (:mod:`plm.workflows.file_info`)."""
from __future__ import annotations

import argparse
from typing import Any

from ..model.labels import format_measure, index_label
from ..workflows.file_info import describe_file
from .common import EXIT_OK, add_read_options, json_line, read_options_from_args

__all__ = ["register", "format_info"]


def format_info(info: dict[str, Any]) -> str:
    """Human-readable block for one file."""
    lines = [info["path"], f"  format        {info['format']} ({info['kind']})"]
    if info["kind"] == "events":
        lines += [
            f"  start         {info.get('start_time') or 'unknown'}",
            f"  leg movements {info['n_lm']} (left {info['n_lm_left']}, right {info['n_lm_right']})",
            f"  staging       {info.get('staging') or 'none'}",
        ]
        return "\n".join(lines)
    if info["kind"] == "results":
        lines.append("  recording     none: this file holds scored results only")
        lines += _result_lines(info["results"])
        return "\n".join(lines)
    h = info["duration_s"] / 3600
    tz = f" ({info['timezone']})" if info.get("timezone") else ""
    if "problem" in info:  # an EDF/BDF file without an unambiguous leg channel: its header
        lines += [f"  start         {info['start_time']} (clock time in the file)",
                  f"  duration      {h:.2f} h"]
    else:
        lines += [
            f"  device        {info['device'] or '-'}",
            f"  start         {info['start_time']}{tz}",
            f"  duration      {h:.2f} h ({info['n_samples']} samples at {info['sfreq']:g} Hz)",
            f"  leg signal    {info['modality']}",
            "  channels",
        ]
        for c in info["channels"]:
            role = " ".join(x for x in (c["side"], c["axis"]) if x)
            lines.append(f"    {c['name']:<24} {c['unit'] or '-':<4} {c['modality']:<6} {role}")
    if "file_channels" in info:
        lines.append(f"  all channels in the file ({info['edf_kind']})")
        for c in info["file_channels"]:
            lines.append(f"    {c['name']:<24} {c['unit'] or '-':<4} {c['sfreq']:g} Hz")
    if "problem" in info:
        lines.append(f"  leg channels  none: {info['problem']}")
        return "\n".join(lines)
    legs = "; ".join(f"{s}: {', '.join(n)}" for s, n in info["leg_channels"].items()) or "none"
    lines += [
        f"  leg channels  {legs}",
        f"  staging       {info.get('staging') or 'none'}",
        f"  missing       {info['missing_samples']} samples (NaN)",
        f"  nights        {info['nights']}",
    ]
    lines += _result_lines(info.get("results", []))
    for w in info.get("warnings", []):
        lines.append(f"  warning       {w}")
    return "\n".join(lines)


def _result_lines(results: list[dict[str, Any]]) -> list[str]:
    """One line per scored night stored in a plm HDF5 file."""
    lines = []
    for r in results:
        label = index_label({"denominator": r.get("denominator")}, "plm_index")
        lines.append(f"  stored result {r['key']}: {r['criteria']}, {label} {format_measure('plm_index', r['plm_index'])}, "
                     f"{r['n_plm']} PLMs (plm {r['plm_version']})")
        if r.get("source"):
            lines.append(f"                scored from {r['source']}")
    return lines


def register(sub) -> None:
    """Add ``plm info`` to the subcommand parsers ``sub``."""
    p = sub.add_parser("info", help="show channels, rate, duration, start time and legs of files",
                       description="Describe recordings and event files without scoring them.")
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="recording or event file(s); left and right ankle files of one night together")
    add_read_options(p)
    p.add_argument("--json", action="store_true", help="one JSON object per file, one per line")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Describe each of ``args.paths``."""
    options = read_options_from_args(args, strict=False)
    for i, path in enumerate(args.paths):
        info = describe_file(path, options)
        if args.json:
            print(json_line(info))
        else:
            if i:
                print()
            print(format_info(info))
    return EXIT_OK
