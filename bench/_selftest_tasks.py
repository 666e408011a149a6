"""Tiny tasks for the harness's own test (tests/test_bench_harness.py)."""
import numpy as np

WARM_IMPORTS = ("numpy",)


def allocate(mib: int) -> dict:
    """Touch ``mib`` MiB of memory, so the measured peak must grow by about that."""
    a = np.ones(mib * 2**20 // 8)
    return {"sum": float(a.sum())}


def fail() -> dict:
    raise ValueError("on purpose")
