"""``plm compare``: agreement with a reference scoring, for one night or a cohort."""
from __future__ import annotations

import argparse
import math

from .common import EXIT_OK, add_criteria_options, add_read_options, criteria_from_args, json_line, read_options_from_args

__all__ = ["register", "run"]


def register(sub) -> None:
    """Add ``plm compare`` to the subcommand parsers ``sub``."""
    p = sub.add_parser(
        "compare", help="agreement of a scoring with a reference scoring (one night or a cohort)",
        description="Compare TEST (recording files of one night, or an event file) with the reference "
                    "scoring REF of the same night: LMs matched one to one by onset, per-leg sensitivity, "
                    "PPV and F1, onset/offset errors, PLM counts and index of both, epoch kappa. With "
                    "--manifest, a cohort: per-night table, Bland-Altman, ICC, Spearman and cut-off "
                    "agreement of the PLM index, and plots (docs/validation.md).")
    p.add_argument("tests", nargs="*", metavar="TEST", help="the night to test: recording file(s) or an event file")
    p.add_argument("--reference", default=None, metavar="REF",
                   help="reference scoring of the same night: an event file in any supported format, "
                        "or a recording scored by plm")
    p.add_argument("--manifest", default=None, metavar="CSV",
                   help="cohort: CSV with night,reference,test columns (several test files separated by ;)")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="write agreement.json and matches.tsv (one night) or nights.csv, agreement.json, "
                        "bland_altman.png and scatter.png (--manifest) into DIR")
    p.add_argument("--tolerance", type=float, default=0.5, metavar="S",
                   help="largest onset difference of a matched LM pair, s (default 0.5)")
    p.add_argument("--cutoff", dest="cutoffs", type=float, action="append", default=None, metavar="PER_H",
                   help="with --manifest: PLM index cut-off of the classification agreement, /h "
                        "(repeatable; default 5, 10 and 15)")
    p.add_argument("--index", default="plm_index", choices=("plm_index", "plms_index"),
                   help="with --manifest: the nightly index compared (default plm_index)")
    p.add_argument("--json", action="store_true", help="print the agreement as one JSON object")
    add_criteria_options(p)
    add_read_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Compare one night, or the nights of a manifest, and print the agreement."""
    from ..errors import InputError

    crit = criteria_from_args(args)
    options = read_options_from_args(args, strict=not args.manifest)
    if args.manifest:
        from ..workflows.compare import DEFAULT_CUTOFFS, compare_cohort

        if args.tests or args.reference:
            raise InputError("--manifest", "takes the nights from the manifest; give no TEST or --reference")
        if not args.out:
            raise InputError("--manifest", "needs --out DIR for the cohort tables and plots")
        cohort = compare_cohort(args.manifest, args.out, cutoffs=args.cutoffs or DEFAULT_CUTOFFS,
                                index=args.index, tolerance=args.tolerance, criteria=crit, read_options=options)
        if args.json:
            print(json_line(cohort.summary))
        else:
            print(_cohort_text(cohort.summary, args.out))
        return EXIT_OK
    if not args.reference or not args.tests:
        raise InputError(None, "give --reference REF and the TEST file(s) of the same night, or --manifest CSV")
    if args.cutoffs:
        raise InputError("--cutoff", "applies to a cohort (--manifest)")
    from ..workflows.compare import compare

    agreement = compare(args.reference, args.tests, args.tolerance, criteria=crit, read_options=options)
    s = agreement.summary()
    if args.out:
        _write_night(agreement, args.out)
    print(json_line(s) if args.json else _night_text(s))
    return EXIT_OK


def _write_night(agreement, out: str) -> None:
    from pathlib import Path

    from .._util import json_text, write_file

    table = agreement.matches
    write_file(Path(out) / "agreement.json", json_text(agreement.summary()))
    write_file(Path(out) / "matches.tsv", table.to_csv(sep="\t", index=False, na_rep="n/a", float_format="%.3f"))


def _f(v, spec: str = ".3f") -> str:
    return "-" if v is None or (isinstance(v, float) and not math.isfinite(v)) else format(v, spec)


def _night_text(s: dict) -> str:
    lines = [f"{s['test']}  vs reference  {s['reference']}",
             f"  compared           {_f(s['compared_hours'], '.2f')} h, onsets within {s['tolerance_s']:g} s"
             f" (aligned by {s['aligned_by'].replace('_', ' ')})",
             "  leg     TP   FP   FN  sensitivity    PPV     F1"]
    for leg in ("left", "right", ""):
        k = f"_{leg}" if leg else ""
        lines.append(f"  {leg or 'both':5} {s['tp' + k]:4d} {s['fp' + k]:4d} {s['fn' + k]:4d}  "
                     f"{_f(s['sensitivity' + k]):>11} {_f(s['ppv' + k]):>6} {_f(s['f1' + k]):>6}")
    lines += [
        f"  onset error        median {_f(s['onset_error_median_s'], '+.2f')} s, 95th pct |error| "
        f"{_f(s['onset_abs_error_p95_s'], '.2f')} s",
        f"  offset error       median {_f(s['offset_error_median_s'], '+.2f')} s, 95th pct |error| "
        f"{_f(s['offset_abs_error_p95_s'], '.2f')} s",
        "                     reference     test   difference",
    ]
    for key, spec in (("n_lm", "d"), ("n_clm", "d"), ("n_plm", "d"), ("plm_index", ".1f"), ("plms_index", ".1f")):
        if s[f"{key}_reference"] is None and s[f"{key}_test"] is None:
            continue
        lines.append(f"  {key:18} {_f(s[f'{key}_reference'], spec):>9} {_f(s[f'{key}_test'], spec):>8} "
                     f"{_f(s[f'{key}_difference'], '+' + spec):>12}")
    lines.append(f"  epoch kappa        {_f(s['epoch_kappa'])} over {s['n_epochs']} epochs of {s['epoch_s']:g} s "
                 f"(PLM in {s['n_epochs_plm_reference']} / {s['n_epochs_plm_test']})")
    lines += [f"  note               {n}" for n in s.get("notes") or ()]
    return "\n".join(lines)


def _cohort_text(s: dict, out: str) -> str:
    ba, icc, rho = s["bland_altman"], s["icc"], s["spearman"]
    lines = [f"plm compare: {s['n_nights']} nights, {s['index']} -> {out}",
             f"  Bland-Altman       bias {_f(ba['bias'], '+.2f')} /h, 95% limits {_f(ba['loa_low'], '+.2f')} to "
             f"{_f(ba['loa_high'], '+.2f')} /h",
             f"  ICC(2,1)           {_f(icc['icc'])} (95% CI {_f(icc['ci95'][0])} to {_f(icc['ci95'][1])})",
             f"  Spearman r         {_f(rho['r'])} (p {_f(rho['p'], '.3g')})",
             f"  LM F1 (pooled)     {_f(s['lm_agreement']['f1'])}"]
    for c in s["cutoffs"]:
        lines.append(f"  {'> ' + format(c['cutoff'], 'g') + ' /h':18} sensitivity {_f(c['sensitivity'])}, specificity "
                     f"{_f(c['specificity'])}, kappa {_f(c['kappa'])}")
    return "\n".join(lines)

