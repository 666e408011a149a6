"""Shared helpers of the benchmark scripts: isolated runs, matching, tables.

Every measurement runs in a fresh Python process so that its peak resident
memory (``VmHWM`` from ``/proc/self/status``, falling back to
``getrusage(RUSAGE_SELF).ru_maxrss``) belongs to that measurement alone.
The child reports its resident size after importing what the task needs
(``rss_base``), so the memory a task *adds* (``peak - base``) can be set
against the size of the raw signal in float64.

Run as a script, this module is the child side:
``python bench/_common.py MODULE FUNCTION JSON_ARGS``.
"""
from __future__ import annotations

import importlib
import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
OUT_DIR = BENCH_DIR / "out"
_MARK = "@@BENCH@@"


# ------------------------------------------------------------ memory, time
def _status_kib(key: str) -> int | None:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def rss_now() -> int:
    """Current resident set size of this process, bytes."""
    kib = _status_kib("VmRSS")
    if kib is None:  # not Linux: best effort
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return kib * 1024


def rss_peak() -> int:
    """Peak resident set size of this process so far, bytes."""
    kib = _status_kib("VmHWM")
    if kib is None:
        kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib * 1024


def _reset_peak() -> None:
    # Writing "5" to clear_refs resets VmHWM to the current RSS (Linux >= 4.0),
    # so the import-time peak does not hide the task's own peak.
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass


@dataclass
class Measurement:
    """One isolated run of a task.

    Attributes
    ----------
    wall : float
        Seconds for the task call (imports excluded).
    cpu : float
        CPU seconds of the process during the call, all its threads
        together (more than ``wall`` when the task runs threads in parallel).
    rss_peak, rss_base : int
        Peak resident bytes during the call, and resident bytes just before it.
    payload : dict
        What the task returned (its own timings, events for F1, ...).
    """

    task: str
    wall: float
    rss_peak: int
    rss_base: int
    payload: dict = field(default_factory=dict)
    error: str | None = None
    cpu: float = float("nan")

    @property
    def rss_added(self) -> int:
        return max(0, self.rss_peak - self.rss_base)


def run_isolated(module: str, function: str, *args: Any, timeout: float = 3600, repo: str | None = None) -> Measurement:
    """Call ``module.function(*args)`` in a fresh interpreter and measure it.

    Parameters
    ----------
    module, function : str
        Task to run; ``module`` is importable from ``bench/`` or the repo root.
    *args
        JSON-serialisable arguments.
    timeout : float
        Seconds before the child is killed.
    repo : str, optional
        Checkout whose ``plm`` the child imports (default: this one), e.g. a
        worktree of ``main`` to measure the current release beside a change.

    Returns
    -------
    Measurement
        With ``error`` set (and NaN wall time) when the task raised.
    """
    env = dict(os.environ)
    root = str(Path(repo).resolve()) if repo else str(REPO_DIR)
    env["PLM_BENCH_REPO"] = root
    env["PYTHONPATH"] = os.pathsep.join([root, str(BENCH_DIR), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    # One BLAS thread: the numbers should not depend on what else is running.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, "1")
    cmd = [sys.executable, str(Path(__file__).resolve()), module, function, json.dumps(list(args))]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    line = next((ln for ln in reversed(proc.stdout.splitlines()) if ln.startswith(_MARK)), None)
    task = f"{module}.{function}"
    if proc.returncode != 0 or line is None:
        err = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return Measurement(task, float("nan"), 0, 0, {}, error=err)
    rec = json.loads(line[len(_MARK):])
    return Measurement(task, rec["wall"], rec["rss_peak"], rec["rss_base"], rec["payload"], rec.get("error"),
                       rec.get("cpu", float("nan")))


def _child(argv: Sequence[str]) -> int:
    module, function, args = argv[0], argv[1], json.loads(argv[2])
    sys.path[:0] = [os.environ.get("PLM_BENCH_REPO", str(REPO_DIR)), str(BENCH_DIR)]
    fn = getattr(importlib.import_module(module), function)
    warm = getattr(importlib.import_module(module), "WARM_IMPORTS", ())
    for name in warm:  # import what the task will import, so it is in the base
        try:
            importlib.import_module(name)
        except ImportError:  # an optional peer (psgscoring) that is not installed
            pass
    _reset_peak()
    base = rss_now()
    t0 = time.perf_counter()
    c0 = time.process_time()
    error = None
    try:
        payload = fn(*args) or {}
    except Exception as exc:  # reported, not raised: the table shows it
        payload, error = {}, f"{type(exc).__name__}: {' '.join(str(exc).split())}"
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0
    peak = rss_peak()
    print(_MARK + json.dumps({"wall": wall, "cpu": cpu, "rss_peak": peak, "rss_base": base, "payload": payload,
                              "error": error}))
    return 0


class Timer:
    """``with Timer() as t: ...`` then ``t.s`` seconds."""

    def __enter__(self) -> "Timer":
        self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.s = time.perf_counter() - self._t0


# ------------------------------------------------------------- agreement
def match_onsets(pred: Sequence[float], true: Sequence[float], tol: float = 0.5) -> int:
    """Number of one-to-one matches between two onset lists within ``tol`` s.

    A two-pointer sweep over the sorted lists; for points on a line with a
    symmetric tolerance it finds a maximum matching (an unmatched earlier
    point can never help a later one).
    """
    p = np.sort(np.asarray(pred, dtype=float))
    t = np.sort(np.asarray(true, dtype=float))
    i = j = n = 0
    while i < len(p) and j < len(t):  # loop over events, not samples
        d = p[i] - t[j]
        if abs(d) <= tol:
            n += 1
            i += 1
            j += 1
        elif d < 0:
            i += 1
        else:
            j += 1
    return n


def event_f1(pred_by_side: dict, true_by_side: dict, tol: float = 0.5) -> dict:
    """Precision, recall and F1 of detected LM onsets against the truth, pooled over legs.

    Parameters
    ----------
    pred_by_side, true_by_side : dict
        ``{"left": onsets, "right": onsets}`` in seconds.
    tol : float
        Largest onset difference that counts as the same event.
    """
    tp = sum(match_onsets(pred_by_side.get(s, []), true_by_side.get(s, []), tol) for s in true_by_side)
    n_pred = sum(len(pred_by_side.get(s, [])) for s in true_by_side)
    n_true = sum(len(v) for v in true_by_side.values())
    precision = tp / n_pred if n_pred else float("nan")
    recall = tp / n_true if n_true else float("nan")
    f1 = 2 * tp / (n_pred + n_true) if (n_pred + n_true) else float("nan")
    return {"tp": tp, "n_pred": n_pred, "n_true": n_true, "precision": precision, "recall": recall, "f1": f1}


# ----------------------------------------------------------------- tables
def fmt(v: Any, spec: str = "{:.2f}") -> str:
    if v is None:
        return "-"
    if isinstance(v, float) and not np.isfinite(v):
        return "-"
    if isinstance(v, str):
        return v
    return spec.format(v)


def mib(n_bytes: float | None) -> str:
    return "-" if n_bytes is None or not np.isfinite(n_bytes) else f"{n_bytes / 2**20:.0f}"


def print_table(header: Sequence[str], rows: Sequence[Sequence[str]], file=None) -> None:
    """Print a Markdown table (readable as plain text too)."""
    file = file or sys.stdout
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) if rows else len(str(h)) for i, h in enumerate(header)]

    def line(cells):
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"

    print(line(header), file=file)
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|", file=file)
    for r in rows:
        print(line(r), file=file)
    file.flush()


if __name__ == "__main__":
    raise SystemExit(_child(sys.argv[1:]))
