"""``plm calibrate``: fit detection thresholds to a reference scoring and write a criteria file."""
from __future__ import annotations

import argparse
import math

from .common import EXIT_OK, add_criteria_options, add_read_options, criteria_from_args, read_options_from_args

__all__ = ["register", "run"]


def register(sub) -> None:
    """Add ``plm calibrate`` to the subcommand parsers ``sub``."""
    p = sub.add_parser(
        "calibrate", help="fit the detection thresholds of a device to a reference scoring",
        description="Fit the detection thresholds of the recording's modality (EMG or accelerometer) so that "
                    "its LMs agree best (F1) with the reference scoring of the same night(s); print the "
                    "agreement before and after and write a complete criteria JSON for --criteria "
                    "(docs/validation.md).")
    p.add_argument("recordings", nargs="*", metavar="RECORDING",
                   help="raw recording file(s) of one night (left and right ankle files are read together)")
    p.add_argument("--reference", default=None, metavar="REF",
                   help="reference scoring of the same night: an event file, or a recording scored by plm")
    p.add_argument("--out", required=True, metavar="CRITERIA.json", help="the criteria file to write")
    p.add_argument("--manifest", default=None, metavar="CSV",
                   help="fit one setting over several nights: CSV with night,reference,test columns "
                        "(test = the recording file(s), separated by ;)")
    p.add_argument("--tolerance", type=float, default=0.5, metavar="S",
                   help="largest onset difference of a matched LM pair, s (default 0.5)")
    add_criteria_options(p)
    add_read_options(p)
    p.set_defaults(func=run)


def _f(v, spec: str = ".3f") -> str:
    return "-" if v is None or (isinstance(v, float) and not math.isfinite(v)) else format(v, spec)


def run(args: argparse.Namespace) -> int:
    """Fit the thresholds, print the agreement before and after, write the criteria file."""
    from ..errors import InputError
    from ..workflows.calibrate import calibrate

    if args.manifest and (args.recordings or args.reference):
        raise InputError("--manifest", "takes the nights from the manifest; give no RECORDING or --reference")
    if not args.manifest and not (args.recordings and args.reference):
        raise InputError(None, "give RECORDING file(s) and --reference REF of the same night, or --manifest CSV")
    result = calibrate(args.recordings or None, args.reference, criteria_from_args(args), manifest=args.manifest,
                       out=args.out, tolerance=args.tolerance,
                       read_options=read_options_from_args(args, strict=not args.manifest))
    print(f"plm calibrate: {result.modality} detection, {len(result.nights)} night(s), onsets within "
          f"{args.tolerance:g} s")
    for name, v in result.fields.items():
        print(f"  {name:18} {v['base']:.4g} -> {v['fitted']:.4g}")
    print("  night              F1 before  F1 after  (left / right after)   PLM index ref / before / after")
    for r in result.nights:
        print(f"  {r['night']:18} {_f(r['f1_before']):>9} {_f(r['f1_after']):>9}  ({_f(r['f1_left_after'])} / "
              f"{_f(r['f1_right_after'])})        {_f(r['plm_index_reference'], '.1f')} / "
              f"{_f(r['plm_index_before'], '.1f')} / {_f(r['plm_index_after'], '.1f')}")
    print(f"  all nights         {_f(result.f1_before):>9} {_f(result.f1_after):>9}")
    if result.f1_after <= result.f1_before:
        print("  no setting agrees better than the base criteria; the file holds them as they are")
    print(f"  criteria {result.criteria.name} [{result.criteria.hash}] -> {args.out}")
    return EXIT_OK

