"""``plm batch``: score many recordings into one nightly table (:mod:`plm.workflows.batch`)."""
from __future__ import annotations

import argparse
import sys

from ..errors import InputError
from ..workflows.batch import run_batch
from ..workflows.batch.executors import EXECUTORS
from ..workflows.batch.run import DEFAULT_TIMEOUT, VERIFY_MODES
from .common import (
    EXIT_ERROR, EXIT_OK, add_criteria_options, add_read_options, criteria_from_args,
    read_options_from_args,
)

__all__ = ["register", "done_line"]


def register(sub) -> None:
    """Add ``plm batch`` to the subcommand parsers ``sub``."""
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
    add_criteria_options(p)
    add_read_options(p)
    p.add_argument("--export", action="append", default=[], metavar="FMT",
                   help="extra per-night output format (tsv, json, csv, edf, ...); repeatable")
    p.add_argument("--resume", action="store_true",
                   help="skip recordings already scored into DIR with the same criteria, reading options and plm "
                        "version, unchanged input files and all the --export outputs in place")
    p.add_argument("--verify", choices=VERIFY_MODES, default="fast",
                   help="how --resume tells an unchanged input: fast (size, modification time and SHA-256 of the "
                        "first and last MiB; default) or full (SHA-256 of the whole file)")
    p.add_argument("--timeout-per-night", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                   help=f"wall-clock limit per night; a night that takes longer fails and its worker is stopped "
                        f"(default {DEFAULT_TIMEOUT:g}; 0: no limit)")
    p.add_argument("--executor", choices=EXECUTORS, default="process",
                   help="local processes (default) or a Dask distributed cluster")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="Dask scheduler address, e.g. tcp://10.0.0.1:8786 (with --executor dask)")
    p.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the batch; exit status 1 when any input failed."""
    if not args.inputs and not args.manifest:
        raise InputError(None, "give at least one INPUT (file, folder or glob) or --manifest")
    if args.scheduler and args.executor != "dask":
        raise InputError("--scheduler", "needs --executor dask")
    crit = criteria_from_args(args)
    report = run_batch(args.inputs, args.out, crit, jobs=args.jobs, resume=args.resume, executor=args.executor,
                       scheduler=args.scheduler, progress=args.progress, manifest=args.manifest,
                       read_options=read_options_from_args(args, strict=False), export=args.export,
                       timeout_per_night=args.timeout_per_night or None, verify=args.verify)
    print(done_line(report))
    if report.failures:
        print(f"plm: error: {len(report.failures)} input(s) failed; see {report.failures_csv}", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def done_line(report) -> str:
    """The line ``plm batch`` prints when done: nights, recordings that gave them out of those found, time."""
    if report.n_groups == 0:
        found = "no recording found"
    elif report.n_ok == report.n_groups:
        found = f"{_count(report.n_nights, 'night')} from {_count(report.n_groups, 'recording')}"
    else:
        found = f"{_count(report.n_nights, 'night')} from {report.n_ok} of {_count(report.n_groups, 'recording')}"
    resumed = f", {report.n_resumed} resumed" if report.n_resumed else ""
    return f"plm batch: {found}{resumed} in {report.seconds:.1f} s -> {report.nightly_csv}"
