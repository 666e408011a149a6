"""Batch throughput: nights per minute for 8 h accelerometer and EMG nights, 1 vs 2 jobs.

Generates ``--nights`` nights of each kind with ``sample_recordings/generate.py``
(or ``bench/_data.py`` without it; accelerometer: one CSV per ankle at 40 Hz,
grouped by the left/right naming rule; EMG: one EDF per night at 256 Hz), then times ``plm.workflows.batch.run_batch`` on them with each
``--jobs`` value (fresh output folder each time, no resume) and prints a table.

    PYTHONPATH=. python bench/bench_batch.py --nights 4 --hours 8 --jobs 1,2

Generated files are kept in ``--data`` (default: a temporary folder) and reused
when they exist, so a second run only times the scoring.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def _generator():
    path = ROOT / "sample_recordings" / "generate.py"
    if not path.exists():
        raise SystemExit(f"bench_batch: {path} not found (the sample generator is needed)")
    spec = importlib.util.spec_from_file_location("plm_sample_generate", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def make_nights(kind: str, n: int, hours: float, folder: Path) -> list[Path]:
    """Write ``n`` generated nights of ``kind`` into ``folder``; returns the recording files.

    Uses ``sample_recordings/generate.py`` when present, else the benchmark
    datasets of ``bench/_data.py`` (cached in ``bench/out/``).
    """
    if not (ROOT / "sample_recordings" / "generate.py").exists():
        sys.path.insert(0, str(HERE))
        import _data

        files: list[Path] = []
        for seed in range(n):
            if kind == "accel":
                files.extend(_data.accel_night(hours, 40.0, seed=100 + seed)[0])
            else:
                files.append(_data.emg_night(hours, 256.0, seed=100 + seed)[0])
        return files
    gen = _generator()
    folder.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    for seed in range(n):
        name = f"{kind}_{hours:g}h_seed{seed}"
        done = folder / f"{name}.done"
        if not done.exists():
            rec, truth = gen.make_night(kind, hours=hours, seed=seed)
            written = gen.write_night(folder, name, rec, truth)
            # keep only the recordings: the truth events would be scored as nights of their own
            rec_files = [Path(p) for p in written if "truth" not in Path(p).name]
            done.write_text("\n".join(p.name for p in rec_files))
        files.extend(folder / line for line in done.read_text().split("\n") if line)
    return files


def time_batch(files: list[Path], jobs: int, out: Path, criteria: str,
               in_process: bool = False) -> tuple[float, float, int, int]:
    """Wall seconds, scoring CPU seconds (summed over workers), nights, failures."""
    from plm.workflows.batch import run_batch

    if out.exists():
        shutil.rmtree(out)
    limit = {"timeout_per_night": None} if in_process else {}
    t0 = time.perf_counter()
    report = run_batch([str(f) for f in files], out, criteria, jobs=jobs, progress=False, **limit)
    return time.perf_counter() - t0, report.cpu_seconds, report.n_nights, len(report.failures)


def _load() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--nights", type=int, default=4, help="nights per kind (default 4)")
    p.add_argument("--hours", type=float, default=8.0)
    p.add_argument("--kinds", default="accel,emg")
    p.add_argument("--jobs", default="1,2", help="comma-separated job counts to compare")
    p.add_argument("--data", default=None, help="folder for generated nights (kept and reused)")
    p.add_argument("--in-process", action="store_true",
                   help="no time limit per night, so that --jobs 1 scores in this process instead of one worker")
    args = p.parse_args(argv)
    data = Path(args.data) if args.data else Path(tempfile.mkdtemp(prefix="plm_bench_"))
    jobs_list = [int(j) for j in args.jobs.split(",")]
    rows = []
    for kind in args.kinds.split(","):
        t0 = time.perf_counter()
        files = make_nights(kind, args.nights, args.hours, data / kind)
        gen_s = time.perf_counter() - t0
        criteria = "pamrl" if kind == "accel" else "wasm2016"
        base = None
        for jobs in jobs_list:
            load = _load()
            seconds, cpu, n_nights, n_failed = time_batch(files, jobs, data / f"out_{kind}_j{jobs}", criteria,
                                                          args.in_process)
            base = base or seconds
            rows.append((kind, args.hours, n_nights, n_failed, jobs, seconds, 60.0 * n_nights / seconds,
                         base / seconds, cpu / max(n_nights, 1), load))
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"plm batch throughput ({cpus} CPUs available; data in {data})")
    print(f"{'kind':6s} {'hours':>5s} {'nights':>6s} {'failed':>6s} {'jobs':>4s} {'seconds':>8s} "
          f"{'nights/min':>10s} {'speed-up':>8s} {'cpu s/night':>11s} {'load before':>11s}")
    for kind, hours, n, nf, jobs, s, rate, speed, cpu, load in rows:
        print(f"{kind:6s} {hours:5g} {n:6d} {nf:6d} {jobs:4d} {s:8.1f} {rate:10.2f} {speed:8.2f} {cpu:11.2f} "
              f"{load:11.2f}")
    print("cpu s/night: CPU time of the scoring per night, summed over workers; 'load before' is the "
          "1-min load average when the run started (other processes compete for the cores).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
