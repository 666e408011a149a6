"""The ``plm`` command.

Every subcommand turns :class:`~plm.errors.PlmError` (and I/O errors) into a
one-line message on stderr and exit status 1; ``--debug`` shows the
traceback instead.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import traceback
from pathlib import Path
from typing import Callable, Sequence

from .._version import __version__
# The shared "score these paths" logic lives below the CLI so batch and study can use it.
from ..workflows.night_scoring import _kind_of_format, score_paths, score_recording_nights  # noqa: F401  (re-exported)

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2


def _add_criteria_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--criteria", default="wasm2016", metavar="NAME",
                   help="criteria preset (wasm2016, wasm2006, aasm, aasm2007, pamrl) or a criteria JSON file")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="change one criteria field (repeatable), e.g. --set imi_min=5")


def criteria_from_args(args: argparse.Namespace):
    """Build the Criteria named by ``--criteria`` (name or JSON file) and ``--set``."""
    from .. import criteria as _criteria
    from ..errors import CriteriaError, InputError

    name = args.criteria
    if name.lower().endswith(".json"):
        try:
            text = Path(name).read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(name, f"cannot read criteria file ({exc.strerror})") from None
        try:
            crit = _criteria.Criteria.from_json(text)
        except CriteriaError as exc:
            raise InputError(name, str(exc)) from None
    else:
        crit = _criteria.get(name)
    return crit.replace(**_criteria.parse_overrides(args.overrides))


def add_reading_args(p: argparse.ArgumentParser, nights: bool = True) -> None:
    """The options that say how input files are read (``plm score`` and the commands that score like it)."""
    from ..io import EVENT_FORMATS, RAW_FORMATS

    p.add_argument("--format", default="auto",
                   help="force the input format: " + ", ".join([*RAW_FORMATS, *EVENT_FORMATS])
                        + " (default: detected from the content; docs/formats.md)")
    p.add_argument("--channels", default=None,
                   help="EDF leg channels as LEFT,RIGHT labels (default: found by common labels)")
    p.add_argument("--tz", default=None, metavar="ZONE",
                   help="time zone of files without a UTC offset (EDF, ActiLife CSV, .gt3x): IANA name or +01:00")
    p.add_argument("--side", default=None, choices=("left", "right"),
                   help="leg of a single-ankle file that does not say (ActiLife CSV, .gt3x/.cwa/.bin)")
    if nights:
        p.add_argument("--nights", default="noon", choices=("noon", "rest"),
                       help="split multi-night recordings noon to noon in local time (default) or at detected "
                            "rest periods (docs/nights.md)")
        p.add_argument("--lights", default=None, metavar="TABLE",
                       help="CSV of night,lights_off,lights_on (ISO times): one night per row")


def reading_options(args: argparse.Namespace) -> dict:
    """The reading options of :func:`add_reading_args` as keyword arguments of the workflows."""
    keys = ("format", "channels", "tz", "side", "nights", "lights")
    return {k: getattr(args, k) for k in keys if hasattr(args, k)}


# ----------------------------------------------------------------- score
def _add_score(sub) -> None:
    p = sub.add_parser("score", help="score one night (or several files of one night)",
                       description="Score leg movements and print the PLM indices.")
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="recording (accelerometer CSV, EDF/BDF, HDF5, ...) or scored-event file; "
                        "left and right ankle files of one night are scored together")
    _add_criteria_args(p)
    add_reading_args(p)
    p.add_argument("--json", action="store_true", help="print one JSON object per night, one per line")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="write <stem>_events.tsv and <stem>_summary.json per night into DIR")
    p.add_argument("--export", action="append", default=[], metavar="FMT",
                   help="with --out, also write FMT (tsv, json, csv, edf, edf-annotations, xml, h5); repeatable")
    for name in ("hypnogram", "arousals", "respiratory"):
        p.add_argument(f"--{name}", default=None, metavar="FILE",
                       help=f"separate {name} export (RemLogic) of the night of a RemLogic or LM-list event file, "
                            "lined up by clock time (docs/formats.md)")
    p.set_defaults(func=_cmd_score)


def _cmd_score(args: argparse.Namespace) -> int:
    crit = criteria_from_args(args)
    results = score_paths(args.paths, crit, format=args.format, channels=args.channels,
                          nights=args.nights, lights=args.lights, tz=args.tz, side=args.side,
                          separate_exports={"hypnogram": args.hypnogram, "arousals": args.arousals,
                                            "respiratory": args.respiratory})
    if args.out:
        from ..io.export import write_night_outputs

        for res in results:
            write_night_outputs(res, args.out, extra_formats=args.export)
    for res in results:
        if args.json:
            print(json_line(res.summary()))
        else:
            print(format_summary(res.summary()))
    return EXIT_OK


def json_line(obj) -> str:
    """One line of strict JSON (NaN and infinities become null)."""
    from .._util import json_safe

    return json.dumps(json_safe(obj), separators=(", ", ": "), allow_nan=False)


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
        lines.insert(4 if s.get("start_time") else 3, f"  excluded           {num('excluded_hours', '{:.2f}')} h (gaps, non-wear)")
    lines += [f"  note               {note}" for note in s.get("notes") or ()]
    return "\n".join(lines)


# -------------------------------------------------------------- criteria
def _add_criteria(sub) -> None:
    p = sub.add_parser("criteria", help="list criteria presets or print one as JSON")
    p.add_argument("name", nargs="?", help="preset to print as JSON")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="change one field of the printed preset (repeatable), e.g. --set imi_min=5")
    p.add_argument("--fields", action="store_true",
                   help="list every criteria field with its type, value (wasm2016, or NAME's) and meaning")
    p.set_defaults(func=_cmd_criteria)


def _cmd_criteria(args: argparse.Namespace) -> int:
    from .. import criteria as _criteria

    if args.fields:
        crit = _criteria.get(args.name or "wasm2016").replace(**_criteria.parse_overrides(args.overrides))
        rows = [(f.name, str(f.type), json.dumps(value), text)
                for f, value, text in zip(dataclasses.fields(crit), crit.to_dict().values(),
                                          _criteria.field_descriptions().values())]
        head = ("field", "type", crit.name, "description")
        widths = [max(len(r[i]) for r in [head, *rows]) for i in range(3)]
        for r in [head, *rows]:
            print("  ".join(c.ljust(w) for c, w in zip(r[:3], widths)) + "  " + r[3])
        return EXIT_OK
    if not args.name:
        for name in _criteria.names():
            c = _criteria.get(name)
            print(f"{name:10s} {c.hash}")
        return EXIT_OK
    crit = _criteria.get(args.name).replace(**_criteria.parse_overrides(args.overrides))
    print(json.dumps(crit.describe(), indent=2))
    return EXIT_OK


# ------------------------------------------------------------------ main
#: Subcommand registrars, in help order. Modules add theirs here.
SUBCOMMANDS: list[Callable] = [_add_score, _add_criteria]


def _optional_subcommands() -> list[Callable]:
    """Registrars that live beside the feature they drive."""
    import importlib

    found = []
    for module_name in ("plm.cli.info", "plm.cli.convert", "plm.cli.batch", "plm.cli.compare", "plm.cli.calibrate"):
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue
            raise
        found.extend(module.SUBCOMMANDS)
    return found


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="plm", description="Periodic leg movement scoring.")
    parser.add_argument("--version", action="version", version=f"plm {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for register in SUBCOMMANDS + _optional_subcommands():
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    if debug:
        argv.remove("--debug")
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed usage
        return int(exc.code or 0)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    from ..errors import PlmError, one_line

    import warnings

    def _one_line_warning(message, category, filename, lineno, file=None, line=None):
        # Documented warnings (excluded time, assumed units, ...) are for the
        # user, not a pointer into plm's source: one line each.
        print(f"plm: warning: {one_line(message) if isinstance(message, BaseException) else ' '.join(str(message).split())}",
              file=sys.stderr)

    try:
        with warnings.catch_warnings():
            if not debug:
                warnings.showwarning = _one_line_warning
            return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("plm: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # stdout was closed early (e.g. `plm score ... | head`): not an error.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except (PlmError, OSError) as exc:
        if debug:
            traceback.print_exc()
        print(f"plm: error: {one_line(exc)}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:  # a bug: say so in one line, traceback with --debug
        if debug:
            traceback.print_exc()
        print(f"plm: internal error ({type(exc).__name__}: {one_line(exc)}); rerun with --debug and report it",
              file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
