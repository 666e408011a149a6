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
    """Keep one CPU busy for ``seconds``."""
    import time

    t0 = time.perf_counter()
    n = 0
    while time.perf_counter() - t0 < seconds:
        n += 1
    return {"n": n}


def nap(seconds: float) -> dict:
    """Wait ``seconds`` without using the CPU."""
    import time

    time.sleep(seconds)
    return {}
