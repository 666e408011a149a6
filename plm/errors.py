"""Exception types raised at the public boundary.

Every error a user can trigger with bad input is a :class:`PlmError`; the
command-line tool prints its message as one line and exits non-zero.
"""
from __future__ import annotations

import os


__all__ = ["PlmError", "InputError", "CriteriaError", "MissingDependencyError", "one_line", "warning_line"]


class PlmError(Exception):
    """Base class of all errors that ``plm`` raises on purpose."""


class InputError(PlmError, ValueError):
    """A file or value given by the user cannot be used.

    Parameters
    ----------
    source : str or os.PathLike or None
        The file (or argument name) the problem is in; shown first in the message.
    problem : str
        What is wrong and, where possible, what was expected.
    """

    def __init__(self, source: str | os.PathLike | None, problem: str) -> None:
        self.source = None if source is None else os.fspath(source)
        self.problem = problem
        msg = problem if self.source is None else f"{self.source}: {problem}"
        super().__init__(msg)


class OutputError(PlmError, OSError):
    """An output file cannot be written: the disk is full, a quota is reached, ...

    An :class:`OSError` (with ``errno``, ``strerror`` and ``filename``), whose
    message names the output file first, like :class:`InputError`.

    Parameters
    ----------
    path : str or os.PathLike
        The output file (its final name, not a temporary one).
    problem : str
        What went wrong, e.g. ``"no space left on device"``.
    code : int, optional
        The ``errno`` value.
    """

    def __init__(self, path: str | os.PathLike, problem: str, code: int | None = None) -> None:
        super().__init__(code, problem, os.fspath(path))

    def __str__(self) -> str:
        return f"{self.filename}: {self.strerror}"


class CriteriaError(PlmError, ValueError):
    """Unknown criteria preset, unknown field or invalid field value."""


class MissingDependencyError(PlmError, ImportError):
    """An optional extra is needed for the requested feature."""

    def __init__(self, feature: str, package: str, extra: str) -> None:
        super().__init__(
            f"{feature} needs the optional package {package!r}: "
            f"install it with  pip install 'plm[{extra}]'"
        )


def one_line(exc: BaseException) -> str:
    """The message of ``exc`` on one line (an OSError names its file).

    Parameters
    ----------
    exc : BaseException

    Returns
    -------
    str
    """
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.filename}: {exc.strerror or exc}"
    return " ".join(str(exc).split())


def warning_line(message: Warning | str) -> str:
    """The one line ``plm: warning: ...`` that the command prints for a warning.

    Documented warnings (excluded time, assumed units, one leg, ...) are for
    the user, not a pointer into plm's source. Every warning the ``plm``
    command shows goes through this line, also those raised in batch worker
    processes (they are sent back and shown by the main process).

    Parameters
    ----------
    message : Warning or str

    Returns
    -------
    str
    """
    text = one_line(message) if isinstance(message, BaseException) else " ".join(str(message).split())
    return f"plm: warning: {text}"
