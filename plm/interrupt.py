"""Ctrl-C that is never lost.

Python turns SIGINT into :class:`KeyboardInterrupt` at the next bytecode of
the main thread, which may run inside a finalizer (``__del__``, a weakref
callback, garbage collection). There the exception is printed as "Exception
ignored in ..." and dropped, and the program carries on as if nothing
happened. :func:`catch_sigint` also remembers that Ctrl-C was pressed, and
:func:`raise_if_interrupted` raises it again where an interrupted run must
stop: before an output file is published (:mod:`plm.atomic`) and when the
command ends (:func:`plm.cli.main`). :func:`deferred_sigint` holds Ctrl-C
back from work that must not be cut short (libhdf5 writing a file).
:func:`stop_on_sigterm` lets a SIGTERM end the program only after it has
cleaned up (``plm batch``: worker processes stopped, its lock released).
"""
from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from typing import Iterator

__all__ = ["catch_sigint", "deferred_sigint", "raise_if_interrupted", "stop_on_sigterm"]

_pressed = threading.Event()


def _on_sigint(signum, frame) -> None:
    _pressed.set()
    raise KeyboardInterrupt


def raise_if_interrupted() -> None:
    """Raise :class:`KeyboardInterrupt` if Ctrl-C was pressed (even if it was swallowed since)."""
    if _pressed.is_set():
        raise KeyboardInterrupt


@contextlib.contextmanager
def catch_sigint() -> Iterator[None]:
    """Remember Ctrl-C while the block runs (main thread only; elsewhere a no-op).

    Call :func:`raise_if_interrupted` before leaving the block: the memory
    is cleared on exit, so that later calls in the same process start afresh.
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


@contextlib.contextmanager
def deferred_sigint() -> Iterator[None]:
    """Hold Ctrl-C while the block runs, and raise it when the block has finished.

    For work a :class:`KeyboardInterrupt` must not cut short: libhdf5 calls
    back into Python to write, and an exception there makes it crash while
    closing the file. Main thread only (elsewhere a no-op: Python delivers
    signals to the main thread).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held = []
    previous = signal.getsignal(signal.SIGINT)

    def hold(signum, frame) -> None:
        held.append(signum)
        if previous is _on_sigint:
            _pressed.set()  # inside catch_sigint: nothing may be published after this

    signal.signal(signal.SIGINT, hold)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if held:
        raise KeyboardInterrupt


class _Terminated(BaseException):
    """SIGTERM arrived: unwind (workers stopped, lock released, nothing published), then end."""


@contextlib.contextmanager
def stop_on_sigterm() -> Iterator[None]:
    """Let SIGTERM end this process only after the block has cleaned up.

    By default SIGTERM ends Python on the spot: no ``finally`` runs, so
    worker processes and the batch lock would stay behind. Inside the block
    it raises instead; once the block has unwound, the process ends by
    SIGTERM as it would have. A no-op outside the main thread or when the
    program has its own SIGTERM handler.
    """
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGTERM) != signal.SIG_DFL:
        yield
        return

    def on_sigterm(signum, frame):
        raise _Terminated

    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        yield
    except _Terminated:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)
        raise SystemExit(128 + signal.SIGTERM) from None  # not reached where signals exist
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
