"""Running independent per-leg work in threads.

The heavy steps per leg (filtering, array passes) are numpy and scipy
calls that release the GIL, so the two legs of a night run in parallel on
two cores. Results never depend on the number of threads.
"""
from __future__ import annotations

import os
from typing import Callable, Iterable, TypeVar

__all__ = ["available_cpus", "map_in_threads"]

T = TypeVar("T")
R = TypeVar("R")


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the system has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def map_in_threads(fn: Callable[[T], R], items: Iterable[T], threads: int | None = None) -> list[R]:
    """``[fn(item) for item in items]``, the calls spread over threads.

    Parameters
    ----------
    fn : callable
    items : iterable
    threads : int, optional
        At most this many threads (default :func:`available_cpus`); 1, or a
        single item, runs everything in the calling thread.

    Returns
    -------
    list
        Results in the order of ``items``. If calls raise, the exception of
        the first item (in order) that raised is raised, as without threads.
    """
    items = list(items)
    n = min(len(items), available_cpus() if threads is None else max(1, int(threads)))
    if n <= 1:
        return [fn(item) for item in items]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=n, thread_name_prefix="plm") as pool:
        futures = [pool.submit(fn, item) for item in items]
        return [f.result() for f in futures]
