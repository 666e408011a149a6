"""``plm batch``, ``plm study`` and ``plm report``: many nights at once.

Registered by :mod:`plm.cli` through :data:`SUBCOMMANDS`.
"""
from __future__ import annotations

import argparse
import sys

from . import EXIT_ERROR, EXIT_OK, _add_criteria_args, criteria_from_args

__all__ = ["SUBCOMMANDS"]


# ----------------------------------------------------------------- batch
def _add_batch(sub) -> None:
    p = sub.add_parser(
        "batch", help="score many recordings into a nightly table",
        description="Score files, folders (recursively) and glob patterns; left/right files of one night "
                    "are grouped by a left/right/L/R token in the file name (see docs/batch.md). Writes "
                    "DIR/nightly_indices.csv, DIR/failures.csv and per-night outputs under DIR/nights/. "
                    "Exit status 1 when any input failed.")
    p.add_argument("inputs", nargs="*", metavar="INPUT", help="file, folder or glob pattern")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument("--manifest", default=None, metavar="CSV",
                   help="CSV with a path column (and optional id column grouping the files of one night)")
    p.add_argument("--jobs", type=int, default=None, metavar="N", help="parallel workers (default: all CPUs)")
    _add_criteria_args(p)
    p.add_argument("--format", default="auto", help="force the input format")
    p.add_argument("--channels", default=None, help="EDF leg channels as LEFT,RIGHT labels")
    p.add_argument("--export", action="append", default=[], metavar="FMT",
                   help="extra per-night output format (tsv, json, csv, edf, ...); repeatable")
    p.add_argument("--nights", default="noon", choices=("noon", "rest"),
                   help="split multi-night recordings noon to noon (default) or at detected rest periods")
    p.add_argument("--resume", action="store_true",
                   help="skip recordings already scored into DIR with the same criteria and plm version")
    p.add_argument("--executor", choices=("process", "dask"), default="process",
                   help="local processes (default) or a Dask distributed cluster")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="Dask scheduler address, e.g. tcp://10.0.0.1:8786 (with --executor dask)")
    p.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar")
    p.set_defaults(func=_cmd_batch)


def _cmd_batch(args: argparse.Namespace) -> int:
    from ..workflows.batch import run_batch
    from ..errors import InputError

    if not args.inputs and not args.manifest:
        raise InputError(None, "give at least one INPUT (file, folder or glob) or --manifest")
    if args.scheduler and args.executor != "dask":
        raise InputError("--scheduler", "needs --executor dask")
    crit = criteria_from_args(args)
    report = run_batch(args.inputs, args.out, crit, jobs=args.jobs, resume=args.resume, executor=args.executor,
                       scheduler=args.scheduler, progress=args.progress, manifest=args.manifest,
                       format=args.format, channels=args.channels, nights=args.nights,
                       export=args.export)
    resumed = f", {report.n_resumed} recordings resumed" if report.n_resumed else ""
    print(f"plm batch: {report.n_nights} nights from {report.n_groups - len(report.failures)} recordings "
          f"in {report.seconds:.1f} s{resumed} -> {report.nightly_csv}")
    if report.failures:
        print(f"plm: error: {len(report.failures)} input(s) failed; see {report.failures_csv}", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK


# ----------------------------------------------------------------- study
def _add_study(sub) -> None:
    from ..workflows.study import DEFAULT_THRESHOLDS

    p = sub.add_parser(
        "study", help="per-subject and before/after outcomes from a manifest",
        description="MANIFEST is a CSV with columns subject, visit, night, path (visits in order, several "
                    "nights per visit allowed). Writes DIR/subjects.csv, DIR/summary.json and DIR/nights.csv.")
    p.add_argument("manifest", metavar="MANIFEST", help="CSV with columns subject, visit, night, path (docs/study.md)")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    _add_criteria_args(p)
    p.add_argument("--index", default="auto", choices=("auto", "plms_index", "plm_index"),
                   help="nightly index (auto: PLMS index when every night has staging)")
    p.add_argument("--complete-below", type=float, default=DEFAULT_THRESHOLDS["complete_below"], metavar="X",
                   help="complete response: index below X /h at the last visit (default %(default)s)")
    p.add_argument("--moderate-reduction", type=float, default=DEFAULT_THRESHOLDS["moderate_reduction_pct"],
                   metavar="PCT", help="moderate response: reduction of at least PCT %% (default %(default)s)")
    p.add_argument("--jobs", type=int, default=1, metavar="N", help="parallel scoring processes")
    p.add_argument("--report", action="store_true", help="also write the study report (PNG/HTML)")
    p.set_defaults(func=_cmd_study)


def _cmd_study(args: argparse.Namespace) -> int:
    from ..workflows.study import study

    res = study(args.manifest, out_dir=args.out,
                thresholds={"complete_below": args.complete_below,
                            "moderate_reduction_pct": args.moderate_reduction},
                criteria=criteria_from_args(args), index=args.index, jobs=args.jobs, progress=False)
    print(format_study(res.summary))
    print(f"tables: {args.out}/subjects.csv, {args.out}/summary.json")
    if args.report:
        from ..workflows.report import study_report

        png, html = study_report(res, args.out)
        print(f"report: {html}")
    return EXIT_OK


def format_study(s: dict) -> str:
    """Short human-readable summary of a study."""
    def f(v, spec=".1f"):
        return "-" if v is None or v != v else format(v, spec)

    lines = [f"{s['n_subjects']} subjects ({s['n_paired']} with both {s['first_visit']} and {s['last_visit']}),"
             f" index {s['index']}"]
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


# ---------------------------------------------------------------- report
def _add_report(sub) -> None:
    p = sub.add_parser(
        "report", help="PNG/HTML reports of nights or of a study",
        description="For each recording or event file (left/right files of one night grouped as in "
                    "`plm batch`): a PNG and a self-contained HTML page with the leg-movement raster, IMI "
                    "histogram, hypnogram and measures. A study output folder (with summary.json and "
                    "subjects.csv) gives the before/after study report. Needs matplotlib (plm[report]).")
    p.add_argument("paths", nargs="+", metavar="PATH", help="recordings or event files (one night report each), or a plm study output folder")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    _add_criteria_args(p)
    p.set_defaults(func=_cmd_report)


def _cmd_report(args: argparse.Namespace) -> int:
    from ..workflows.report import report_paths

    written = report_paths(args.paths, args.out, criteria_from_args(args))
    for path in written:
        print(path)
    return EXIT_OK


SUBCOMMANDS = [_add_batch, _add_study, _add_report]
