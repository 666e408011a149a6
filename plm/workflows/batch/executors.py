"""Where the nights of a batch run: this process, local worker processes, or a Dask cluster.

:func:`run_tasks` calls one picklable function per task and returns the
outcomes in task order, whatever the executor, so tables built from them do
not depend on how the work was spread.
"""
from __future__ import annotations

import os
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
    on_done: Callable[[R], None] | None = None,
    *,
    lost: Callable[[T, str], R],
    preload: Sequence[str] = (),
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
        Worker processes (``executor="process"``); 1 runs in this process.
    executor : {"process", "dask"}
    scheduler : str, optional
        Dask scheduler address; without it a local Dask cluster is started.
    on_done : callable, optional
        Called with each result as it completes (progress display).
    lost : callable
        ``lost(task, message)`` is the result of a task whose worker died.
    preload : sequence of str
        Modules the process workers import once before they start.

    Returns
    -------
    list
        One result per task, in the order of ``tasks``.
    """
    check_option("executor", executor, EXECUTORS, "--executor")
    done: dict[int, R] = {}

    def finish(i: int, outcome: R) -> None:
        done[i] = outcome
        if on_done is not None:
            on_done(outcome)

    if executor == "dask":
        _run_dask(fn, tasks, jobs, scheduler, finish, lost)
    elif jobs <= 1 or len(tasks) <= 1:
        for i, task in enumerate(tasks):
            finish(i, fn(task))
    else:
        _run_processes(fn, tasks, jobs, finish, lost, preload)
    return [done[i] for i in range(len(tasks))]


def _run_processes(fn, tasks, jobs, finish, lost, preload) -> None:
    import concurrent.futures as cf
    import multiprocessing as mp
    from concurrent.futures.process import BrokenProcessPool

    # forkserver/spawn: workers start clean, whatever threads this process runs.
    methods = mp.get_all_start_methods()
    if "forkserver" in methods:
        ctx = mp.get_context("forkserver")
        # The server imports the scoring stack once (~1.5 s); workers fork from it ready to go.
        ctx.set_forkserver_preload(list(dict.fromkeys([*preload, fn.__module__])))
    else:
        ctx = mp.get_context("spawn")
    # One math-library thread per worker: N workers x N BLAS/OpenMP threads
    # would oversubscribe the cores (the same policy as joblib's loky).
    saved = {k: os.environ.get(k) for k in _THREAD_VARS}
    for k in _THREAD_VARS:
        os.environ.setdefault(k, "1")
    pool = cf.ProcessPoolExecutor(max_workers=min(jobs, len(tasks)), mp_context=ctx)
    try:
        pool.submit(int).result()  # start the server and a worker while the variables are set
    except BrokenProcessPool:
        pool.shutdown(wait=False, cancel_futures=True)
        raise PlmError(
            "worker processes could not start; a Python script that calls plm.workflows.batch.run_batch must do so "
            "under `if __name__ == \"__main__\":` (multiprocessing re-imports the main script in each "
            "worker), or use jobs=1"
        ) from None
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    try:
        futures = {pool.submit(fn, t): i for i, t in enumerate(tasks)}
        for fut in cf.as_completed(futures):
            i = futures[fut]
            try:
                outcome = fut.result()
            except BrokenProcessPool:
                outcome = lost(tasks[i], "worker process died (out of memory?) while this batch was running")
            finish(i, outcome)
    except BaseException:
        # Ctrl-C or an error here: do not wait for the queued nights.
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


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
        for fut in as_completed(list(futures)):
            i = futures[fut]
            try:
                outcome = fut.result()
            except Exception as exc:  # worker lost, cancelled, ...
                outcome = lost(tasks[i], f"dask task failed ({type(exc).__name__}: {one_line(exc)})")
            finish(i, outcome)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
