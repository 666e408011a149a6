"""Where the nights of a batch run: this process, local worker processes, or a Dask cluster.

:func:`run_tasks` calls one picklable function per task and returns the
outcomes in task order, whatever the executor, so tables built from them do
not depend on how the work was spread.
"""
from __future__ import annotations

import collections
import contextlib
import ctypes
import multiprocessing as mp
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass
from typing import Callable, Sequence, TypeVar

from ..._util import check_option
from ...errors import MissingDependencyError, PlmError, one_line

__all__ = ["run_tasks", "EXECUTORS"]

#: Executors :func:`run_tasks` knows.
EXECUTORS = ("process", "dask")

T = TypeVar("T")
R = TypeVar("R")

_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def run_tasks(
    fn: Callable[[T], R],
    tasks: Sequence[T],
    jobs: int = 1,
    executor: str = "process",
    scheduler: str | None = None,
    on_done: Callable[[R], str | None] | None = None,
    *,
    lost: Callable[[T, str], R],
    preload: Sequence[str] = (),
    timeout: float | None = None,
) -> list[R]:
    """``[fn(task) for task in tasks]``, spread over workers; results in task order.

    Parameters
    ----------
    fn : callable
        A module-level function (workers receive it by pickling); it should
        report failures in its result rather than raise.
    tasks : sequence
        Picklable arguments, one call each.
    jobs : int
        Worker processes (``executor="process"``). With 1 job (or one task)
        and no ``timeout`` the tasks run in this process.
    executor : {"process", "dask"}
    scheduler : str, optional
        Dask scheduler address; without it a local Dask cluster is started.
    on_done : callable, optional
        Called with each result as it completes (progress display). When it
        returns a message, the tasks not started yet are not started: their
        result is ``lost(task, message)``.
    lost : callable
        ``lost(task, message)`` is the result of a task that did not finish:
        its worker died, it ran out of time, or it was not started.
    preload : sequence of str
        Modules the process workers import once before they start.
    timeout : float, optional
        Seconds one task may take in a process worker; the worker of a task
        that takes longer is killed (and replaced) and its result is
        ``lost(task, ...)``. Not enforced by Dask.

    Returns
    -------
    list
        One result per task, in the order of ``tasks``.
    """
    check_option("executor", executor, EXECUTORS, "--executor")
    done: dict[int, R] = {}

    def finish(i: int, outcome: R) -> str | None:
        done[i] = outcome
        return on_done(outcome) if on_done is not None else None

    if executor == "dask":
        _run_dask(fn, tasks, jobs, scheduler, finish, lost)
    elif timeout is None and (jobs <= 1 or len(tasks) <= 1):
        stop = None
        for i, task in enumerate(tasks):
            stop = finish(i, lost(task, stop) if stop else fn(task)) or stop
    else:
        _WorkerPool(fn, tasks, jobs, finish, lost, preload, timeout).run()
    return [done[i] for i in range(len(tasks))]


# ------------------------------------------------------------ process pool
# concurrent.futures.ProcessPoolExecutor cannot do what a batch needs: when
# one worker dies it fails every task still queued ("broken pool"), and it has
# no way to stop one task that hangs. Here each worker is a process with its
# own pipe, so the parent always knows which task a dead (or overdue) worker
# was running; that task alone fails, and a fresh worker takes its place.

_READY = "ready"
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


@dataclass
class _Failed:
    """A task whose function raised (instead of reporting its failure in the result)."""

    message: str


def _worker_main(conn, alive, fn) -> None:
    """A worker process: tasks in, results out, until told to stop or the parent is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in a terminal reaches every process: the parent handles it
    _die_with_parent(alive)
    conn.send(_READY)
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        i, task = message
        try:
            conn.send((i, fn(task)))
        except Exception as exc:  # fn raised, or its result does not pickle
            conn.send((i, _Failed(f"{type(exc).__name__}: {one_line(exc)}")))


def _die_with_parent(alive) -> None:
    """Make this worker end when the batch process ends, however it ends (kill -9 included)."""
    # The forkserver gives each worker a copy of the parent's end of its
    # "alive" pipe (so that workers could start processes of their own);
    # while a worker holds it, the forkserver outlives a killed parent. A
    # worker starts no processes: drop the copy.
    server = getattr(sys.modules.get("multiprocessing.forkserver"), "_forkserver", None)
    fd = getattr(server, "_forkserver_alive_fd", None)
    if isinstance(fd, int):
        with contextlib.suppress(OSError):
            os.close(fd)
        server._forkserver_alive_fd = None
    if sys.platform.startswith("linux"):
        # The kernel kills this process when its parent (the forkserver, which
        # ends with the batch process) ends, even if this one is stuck in native code.
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    # Everywhere: the batch process holds the other end of ``alive``; it reads
    # as closed as soon as that process is gone.
    threading.Thread(target=_exit_when_closed, args=(alive,), name="plm-parent-watch", daemon=True).start()


def _exit_when_closed(alive) -> None:
    try:
        alive.recv()
    except (EOFError, OSError):
        pass
    os._exit(1)


def _exit_text(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"killed by {name}" + (", as the out-of-memory killer does" if -code == signal.SIGKILL else "")
    return f"exit code {code}"


class _Worker:
    """One worker process, its pipe, and the task it runs."""

    def __init__(self, ctx, fn) -> None:
        self.conn, child = ctx.Pipe()
        alive_r, self.alive = ctx.Pipe(duplex=False)
        self.proc = ctx.Process(target=_worker_main, args=(child, alive_r, fn), daemon=True, name="plm-worker")
        self.proc.start()
        child.close()
        alive_r.close()
        self.ready = False
        self.task: int | None = None
        self.since: float | None = None

    def give(self, i: int, task) -> bool:
        try:
            self.conn.send((i, task))
        except OSError:  # died before taking it
            return False
        self.task = i
        self.since = time.monotonic() if self.ready else None  # the clock starts when the worker is up
        return True

    def close(self, kill: bool) -> None:
        if kill:
            self.proc.kill()
        else:
            with contextlib.suppress(OSError):
                self.conn.send(None)
        self.alive.close()
        self.proc.join(None if kill else 5)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()
        self.conn.close()


class _WorkerPool:
    """Local worker processes; a dead or overdue worker fails its own task only and is replaced."""

    def __init__(self, fn, tasks, jobs, finish, lost, preload, timeout) -> None:
        self.fn, self.tasks, self.finish, self.lost, self.timeout = fn, tasks, finish, lost, timeout
        self.size = max(1, min(jobs, len(tasks)))
        self.queue = collections.deque(range(len(tasks)))
        self.workers: list[_Worker] = []
        self.started = False
        self.any_ready = False
        self.stopped: str | None = None
        # forkserver/spawn: workers start clean, whatever threads this process runs.
        if "forkserver" in mp.get_all_start_methods():
            self.ctx = mp.get_context("forkserver")
            # The server imports the scoring stack once (~1.5 s); workers fork from it ready to go.
            self.ctx.set_forkserver_preload(list(dict.fromkeys([*preload, __name__, fn.__module__])))
        else:
            self.ctx = mp.get_context("spawn")

    def _start(self) -> _Worker:
        if self.started:
            return _Worker(self.ctx, self.fn)
        self.started = True
        # One math-library thread per worker: N workers x N BLAS/OpenMP threads
        # would oversubscribe the cores (the same policy as joblib's loky). The
        # forkserver starts with the first worker and passes these on to all.
        saved = {k: os.environ.get(k) for k in _THREAD_VARS}
        for k in _THREAD_VARS:
            os.environ.setdefault(k, "1")
        try:
            return _Worker(self.ctx, self.fn)
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v

    def _done(self, i: int, outcome) -> None:
        self.stopped = self.finish(i, outcome) or self.stopped

    def _hand_out(self) -> None:
        if self.stopped:
            while self.queue:
                i = self.queue.popleft()
                self._done(i, self.lost(self.tasks[i], self.stopped))
            return
        for w in self.workers:
            if w.task is None and self.queue and w.proc.is_alive():
                i = self.queue.popleft()
                if not w.give(i, self.tasks[i]):
                    self.queue.appendleft(i)
        while self.queue and len(self.workers) < self.size:
            w = self._start()
            self.workers.append(w)
            i = self.queue.popleft()
            if not w.give(i, self.tasks[i]):
                self.queue.appendleft(i)
                break

    def _gone(self, w: _Worker) -> None:
        """``w`` died: fail its task, or the whole run when no worker ever started."""
        w.proc.join()
        self.workers.remove(w)
        w.close(kill=True)
        code = w.proc.exitcode
        if not w.ready and not self.any_ready:
            raise PlmError(
                f"worker processes could not start ({_exit_text(code)}); a Python script that calls "
                "plm.workflows.batch.run_batch must do so under `if __name__ == \"__main__\":` (multiprocessing re-imports the main script in each "
                "worker), or use jobs=1 and no time limit (timeout_per_night=None)"
            )
        if w.task is not None:
            what = "died while scoring this night" if w.ready else "could not start"
            self._done(w.task, self.lost(self.tasks[w.task], f"its worker process {what} ({_exit_text(code)})"))

    def _overdue(self, w: _Worker) -> None:
        self.workers.remove(w)
        w.close(kill=True)
        self._done(w.task, self.lost(self.tasks[w.task], f"not finished within {self.timeout:g} s "
                                                         "(--timeout-per-night); its worker process was stopped"))

    def _receive(self, w: _Worker) -> bool:
        """Take one message from ``w``; False when its pipe is closed (it died)."""
        try:
            message = w.conn.recv()
        except (EOFError, OSError):
            return False
        if message == _READY:
            w.ready = self.any_ready = True
            if w.task is not None:
                w.since = time.monotonic()
            return True
        i, outcome = message
        w.task = w.since = None
        self._done(i, self.lost(self.tasks[i], outcome.message) if isinstance(outcome, _Failed) else outcome)
        return True

    def run(self) -> None:
        from multiprocessing.connection import wait

        clean = False
        try:
            while True:
                self._hand_out()
                if not any(w.task is not None for w in self.workers):
                    break
                wait_for = None
                if self.timeout is not None:
                    started = [w.since for w in self.workers if w.since is not None]
                    if started:
                        wait_for = max(0.0, min(started) + self.timeout - time.monotonic())
                ready = set(wait([w.conn for w in self.workers] + [w.proc.sentinel for w in self.workers], wait_for))
                now = time.monotonic()
                for w in list(self.workers):
                    if w.conn in ready:
                        if not self._receive(w):
                            self._gone(w)
                    elif w.proc.sentinel in ready:
                        self._gone(w)
                    elif self.timeout is not None and w.since is not None and now - w.since >= self.timeout:
                        self._overdue(w)
            clean = True
        finally:
            # Ctrl-C, SIGTERM or an error here: do not wait for the nights still running.
            for w in self.workers:
                w.close(kill=not clean)
            self.workers.clear()


def _run_dask(fn, tasks, jobs, scheduler, finish, lost) -> None:
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise MissingDependencyError("--executor dask", "distributed", "dask") from None
    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        cluster = LocalCluster(n_workers=jobs, threads_per_worker=1)
        client = Client(cluster)
    try:
        futures = {client.submit(fn, t, pure=False): i for i, t in enumerate(tasks)}
        stopped = None
        for fut in as_completed(list(futures)):
            i = futures[fut]
            if stopped and fut.status != "finished":
                outcome = lost(tasks[i], stopped)
            else:
                try:
                    outcome = fut.result()
                except Exception as exc:  # worker lost, cancelled, ...
                    outcome = lost(tasks[i], f"dask task failed ({type(exc).__name__}: {one_line(exc)})")
            if stopped is None:
                stopped = finish(i, outcome)
                if stopped:
                    client.cancel([f for f in futures if not f.done()])
            else:
                finish(i, outcome)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
