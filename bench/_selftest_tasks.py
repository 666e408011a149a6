"""Tiny tasks for the harness's own test (tests/test_bench_harness.py)."""
import numpy as np

WARM_IMPORTS = ("numpy",)


def allocate(mib: int) -> dict:
    """Touch ``mib`` MiB of memory, so the measured peak must grow by about that."""
    a = np.ones(mib * 2**20 // 8)
    return {"sum": float(a.sum())}


def fail() -> dict:
    raise ValueError("on purpose")


def spin(seconds: float) -> dict:
    """Keep one CPU busy until the process has used ``seconds`` of CPU time.

    Counting CPU rather than wall time keeps the harness test meaningful on a
    loaded machine, where a wall-time spin may get only part of a core.
    """
    import time

    t0 = time.process_time()
    n = 0
    while time.process_time() - t0 < seconds:
        n += 1
    return {"n": n}


def nap(seconds: float) -> dict:
    """Wait ``seconds`` without using the CPU."""
    import time

    time.sleep(seconds)
    return {}
