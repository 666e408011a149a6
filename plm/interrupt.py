"""Ctrl-C that is never lost.

Python turns SIGINT into :class:`KeyboardInterrupt` at the next bytecode of
the main thread, which may run inside a finalizer (``__del__``, a weakref
callback, garbage collection). There the exception is printed as "Exception
ignored in ..." and dropped, and the program carries on as if nothing
happened. :func:`catch_sigint` also remembers that Ctrl-C was pressed, and
:func:`raise_if_interrupted` raises it again where an interrupted run must
stop: before an output file is published (:mod:`plm.io.atomic`) and when the
command ends (:func:`plm.cli.main`).
"""
from __future__ import annotations

import contextlib
import signal
import sys
import threading
from typing import Iterator

__all__ = ["catch_sigint", "interrupted", "raise_if_interrupted"]

_pressed = threading.Event()


def _on_sigint(signum, frame) -> None:
    _pressed.set()
    raise KeyboardInterrupt


def interrupted() -> bool:
    """True once Ctrl-C was pressed inside :func:`catch_sigint`."""
    return _pressed.is_set()


def raise_if_interrupted() -> None:
    """Raise :class:`KeyboardInterrupt` if Ctrl-C was pressed (even if it was swallowed since)."""
    if _pressed.is_set():
        raise KeyboardInterrupt


@contextlib.contextmanager
def catch_sigint() -> Iterator[None]:
    """Remember Ctrl-C while the block runs (main thread only; elsewhere a no-op).

    Check :func:`interrupted` before leaving the block: the memory is
    cleared on exit, so that later calls in the same process start afresh.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _pressed.clear()
    previous = signal.signal(signal.SIGINT, _on_sigint)
    hook = sys.unraisablehook

    def quiet(unraisable) -> None:
        # the swallowed Ctrl-C is remembered above; its "Exception ignored" traceback is noise
        if not isinstance(unraisable.exc_value, KeyboardInterrupt):
            hook(unraisable)

    sys.unraisablehook = quiet
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        sys.unraisablehook = hook
        _pressed.clear()
