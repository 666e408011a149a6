"""The ``plm`` command: one module per subcommand, argument parsing and printing only.

Each subcommand module (:mod:`.score`, :mod:`.criteria`, :mod:`.info`,
:mod:`.convert`, :mod:`.batch`, :mod:`.study`, :mod:`.report`, :mod:`.compare`,
:mod:`.calibrate`) has
``register(subparsers)``, which adds its parser, and ``run(args)``, which
calls one workflow (:mod:`plm.workflows`) and prints. Every subcommand turns
:class:`~plm.errors.PlmError` (and I/O errors) into a one-line message on
stderr and exit status 1; ``--debug`` shows the traceback instead.
"""
from __future__ import annotations

import argparse
import os
import sys
import traceback
from typing import Sequence

from .._version import __version__
from . import batch, calibrate, compare, convert, criteria, info, report, score, study
from .common import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE

__all__ = ["main", "build_parser"]

#: Subcommand modules, in help order.
SUBCOMMANDS = (score, criteria, info, convert, batch, study, report, compare, calibrate)


def build_parser() -> argparse.ArgumentParser:
    """The ``plm`` argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="plm", description="Periodic leg movement scoring.")
    parser.add_argument("--version", action="version", version=f"plm {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in SUBCOMMANDS:
        command.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``plm`` command; returns the exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 1 on bad input (one-line message on stderr), 2 on a usage error,
        130 when interrupted (Ctrl-C).
    """
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
    import warnings

    from ..errors import PlmError, one_line, warning_line

    def _one_line_warning(message, category, filename, lineno, file=None, line=None):
        print(warning_line(message), file=sys.stderr)

    from ..interrupt import catch_sigint, raise_if_interrupted

    try:
        with warnings.catch_warnings(), catch_sigint():
            if not debug:
                warnings.showwarning = _one_line_warning
            status = int(args.func(args) or 0)
            raise_if_interrupted()  # Ctrl-C swallowed on the way (in a finalizer) still ends the run as interrupted
            return status
    except KeyboardInterrupt:
        print("plm: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
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
