"""What several subcommands share: exit codes, criteria and reading options, JSON lines."""
from __future__ import annotations

import argparse
from pathlib import Path

from .. import criteria as _criteria
from .._util import json_text
from ..criteria import Criteria
from ..errors import CriteriaError, InputError
from ..io import EVENT_FORMATS, RAW_FORMATS
from ..workflows.reading import ReadOptions

__all__ = ["EXIT_OK", "EXIT_ERROR", "EXIT_USAGE", "EXIT_INTERRUPTED", "add_criteria_options", "criteria_from_args",
           "add_read_options", "read_options_from_args", "json_line"]

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
#: 128 + SIGINT, what shells report for a program stopped by Ctrl-C.
EXIT_INTERRUPTED = 130


def add_criteria_options(p: argparse.ArgumentParser) -> None:
    """``--criteria NAME|FILE.json`` and repeatable ``--set KEY=VALUE``."""
    p.add_argument("--criteria", default="wasm2016", metavar="NAME",
                   help="criteria preset (wasm2016, wasm2006, aasm, aasm2007, pamrl) or a criteria JSON file")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="change one criteria field (repeatable), e.g. --set imi_min=5")


def criteria_from_args(args: argparse.Namespace) -> Criteria:
    """The Criteria named by ``--criteria`` (name or JSON file) and ``--set``."""
    name = args.criteria
    if name.lower().endswith(".json"):
        try:
            text = Path(name).read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(name, f"cannot read criteria file ({exc.strerror})") from None
        try:
            crit = Criteria.from_json(text)
        except CriteriaError as exc:
            raise InputError(name, str(exc)) from None
    else:
        crit = _criteria.get(name)
    return crit.replace(**_criteria.parse_overrides(args.overrides))


def add_read_options(p: argparse.ArgumentParser, *, nights: bool = True, night_files: bool = False) -> None:
    """The reading options of :class:`~plm.workflows.reading.ReadOptions`.

    ``--format``, ``--channels``, ``--tz``, ``--side`` for every command that
    reads files; ``--nights`` where recordings are cut into nights;
    ``--lights`` and the separate exports where the files are one night's.
    """
    p.add_argument("--format", default="auto",
                   help="force the input format: " + ", ".join([*RAW_FORMATS, *EVENT_FORMATS])
                        + " (default: detected from the content; docs/formats.md)")
    p.add_argument("--channels", default=None, metavar="LEFT,RIGHT",
                   help="EDF leg channels as LEFT,RIGHT labels (default: found by common labels)")
    p.add_argument("--tz", default=None, metavar="ZONE",
                   help="time zone of files without a UTC offset (EDF, ActiLife CSV, .gt3x, clock-time event "
                        "files): IANA name or +01:00")
    p.add_argument("--side", default=None, choices=("left", "right"),
                   help="leg of a single-ankle file that does not say (ActiLife CSV, .gt3x/.cwa/.bin)")
    if nights:
        p.add_argument("--nights", default="noon", choices=("noon", "rest"),
                       help="split multi-night recordings noon to noon in local time (default) or at detected "
                            "rest periods (docs/nights.md)")
    if night_files:
        p.add_argument("--lights", default=None, metavar="TABLE",
                       help="CSV of night,lights_off,lights_on (ISO times): one night per row")
        for name in ("hypnogram", "arousals", "respiratory"):
            p.add_argument(f"--{name}", default=None, metavar="FILE",
                           help=f"separate {name} export (RemLogic) of the night of a RemLogic or LM-list event "
                                "file, lined up by clock time (docs/formats.md)")


def read_options_from_args(args: argparse.Namespace, *, strict: bool) -> ReadOptions:
    """The :class:`ReadOptions` of the options :func:`add_read_options` added."""
    given = {k: getattr(args, k) for k in ("format", "channels", "tz", "side", "nights", "lights", "hypnogram",
                                           "arousals", "respiratory") if hasattr(args, k)}
    return ReadOptions(**given, strict=strict)


def json_line(obj) -> str:
    """One line of strict JSON (NaN and infinities become null, numbers rounded as in every output)."""
    return json_text(obj, indent=None)
