"""``plm study``: per-subject and before/after-treatment outcomes from a manifest (:mod:`plm.workflows.study`)."""
from __future__ import annotations

import argparse

from ..model.labels import measure_label
from ..workflows.report import study_report
from ..workflows.study import DEFAULT_THRESHOLDS, study
from .common import EXIT_OK, add_criteria_options, add_read_options, criteria_from_args, read_options_from_args

__all__ = ["register", "format_study"]


def register(sub) -> None:
    """Add ``plm study`` to the subcommand parsers ``sub``."""
    p = sub.add_parser(
        "study", help="per-subject and before/after outcomes from a manifest",
        description="MANIFEST is a CSV with columns subject, visit, night, path (visits in order, several "
                    "nights per visit allowed). Writes DIR/subjects.csv, DIR/summary.json and DIR/nights.csv.")
    p.add_argument("manifest", metavar="MANIFEST",
                   help="CSV with columns subject, visit, night, path (docs/study.md)")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    add_criteria_options(p)
    add_read_options(p)
    p.add_argument("--index", default="auto", choices=("auto", "plms_index", "plm_index"),
                   help="nightly index (auto: PLMS index when every night has staging)")
    p.add_argument("--complete-below", type=float, default=DEFAULT_THRESHOLDS["complete_below"], metavar="X",
                   help="complete response: index below X /h at the last visit (default %(default)s)")
    p.add_argument("--moderate-reduction", type=float, default=DEFAULT_THRESHOLDS["moderate_reduction_pct"],
                   metavar="PCT", help="moderate response: reduction of at least PCT %% (default %(default)s)")
    p.add_argument("--jobs", type=int, default=1, metavar="N", help="parallel scoring processes")
    p.add_argument("--report", action="store_true", help="also write the study report (PNG/HTML)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Compute the study outcomes, print their summary, write the tables (and the report)."""
    res = study(args.manifest, out_dir=args.out,
                thresholds={"complete_below": args.complete_below,
                            "moderate_reduction_pct": args.moderate_reduction},
                criteria=criteria_from_args(args), index=args.index, jobs=args.jobs, progress=False,
                read_options=read_options_from_args(args, strict=False))
    print(format_study(res.summary))
    print(f"tables: {args.out}/subjects.csv, {args.out}/summary.json")
    if args.report:
        png, html = study_report(res, args.out)
        print(f"report: {html}")
    return EXIT_OK


def format_study(s: dict) -> str:
    """Short human-readable summary of a study."""
    def f(v, spec=".1f"):
        return "-" if v is None or v != v else format(v, spec)

    lines = [f"{s['n_subjects']} subjects ({s['n_paired']} with both {s['first_visit']} and {s['last_visit']}),"
             f" index: {measure_label(s['index'])}"]
    for v, st in s["visits"].items():
        lines.append(f"  {v:12s} mean {f(st['mean'])} (SD {f(st['sd'])}), median {f(st['median'])} /h")
    lo, hi = s["ci95_change"]
    lines.append(f"  change       {f(s['mean_change'])} /h (95% CI {f(lo)} to {f(hi)}); "
                 f"p = {f(s['p_ttest'], '.3g')} (paired t), {f(s['p_wilcoxon'], '.3g')} (Wilcoxon)")
    lines.append("  responders   " + ", ".join(f"{c} {k} ({f(s['responders_pct'][c], '.0f')}%)"
                                             for c, k in s["responders"].items()))
    if "icc" in s:
        lines.append("  night-to-night  " + ", ".join(
            f"{v}: ICC {f(s['icc'][v], '.2f')}, within-subject SD {f(s['within_subject_sd'][v], '.1f')}"
            for v in s["icc"]))
    return "\n".join(lines)
