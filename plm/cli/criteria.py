"""``plm criteria``: list the presets, print one as JSON, or explain every field."""
from __future__ import annotations

import argparse
import dataclasses
import json

from .. import criteria as _criteria
from .common import EXIT_OK

__all__ = ["register"]


def register(sub) -> None:
    """Add ``plm criteria`` to the subcommand parsers ``sub``."""
    p = sub.add_parser("criteria", help="list criteria presets or print one as JSON")
    p.add_argument("name", nargs="?", help="preset to print as JSON")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="change one field of the printed preset (repeatable), e.g. --set imi_min=5")
    p.add_argument("--fields", action="store_true",
                   help="list every criteria field with its type, value (wasm2016, or NAME's) and meaning")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print what ``args`` asks for."""
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
