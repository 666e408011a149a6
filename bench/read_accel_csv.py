"""Time plm's accelerometer CSV reader on a 1.2 M-row file (8.3 h at 40 Hz) beside a bare np.loadtxt,
and its peak memory (RSS growth during the read, in a fresh process, relative to the float64 result).

Usage: python bench/read_accel_csv.py  (prints a table; writes temporary files only)
"""
from __future__ import annotations

import datetime as dt
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from plm.io.accel_csv import read_accel_csv, write_accel_csv


def best_of(fn, n=3):
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


_PEAK = """
import sys, datetime as dt, os, tempfile, numpy as np
from plm.io.accel_csv import read_accel_csv, write_accel_csv
d = tempfile.mkdtemp()
read_accel_csv(write_accel_csv(os.path.join(d, "s.csv"), np.zeros((3, 10)), 40,
                               dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc), side="left"))  # load lazy modules
def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) * 1024
open("/proc/self/clear_refs", "w").write("5")  # reset the peak (VmHWM) to the current RSS (Linux)
base = status("VmRSS:")
rec = read_accel_csv(sys.argv[1])
print((status("VmHWM:") - base) / rec.data.nbytes)
"""


def peak_ratio(path: Path) -> float:
    out = subprocess.run([sys.executable, "-c", _PEAK, str(path)], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def main() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(0, 0.3, (3, 1_200_000))
    start = dt.datetime(2026, 3, 1, 22, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    with tempfile.TemporaryDirectory() as d:
        rows = []
        for name in ("night.csv", "night.csv.gz"):
            p = Path(d) / name
            t_write = best_of(lambda: write_accel_csv(p, x, 40, start, side="left"), n=1)
            t_pd = best_of(lambda: read_accel_csv(p))
            t_loadtxt = best_of(lambda: np.loadtxt(p, delimiter=",", skiprows=7)) if name.endswith(".csv") else float("nan")
            rows.append((name, p.stat().st_size / 1e6, t_write, t_pd, t_loadtxt, peak_ratio(p)))
    print(f"{'file':14s} {'MB':>6s} {'write s':>8s} {'plm read s':>11s} "
          f"{'bare np.loadtxt s':>18s} {'peak RSS / data':>16s}")
    for r in rows:
        print(f"{r[0]:14s} {r[1]:6.1f} {r[2]:8.2f} {r[3]:11.2f} {r[4]:18.2f} {r[5]:16.2f}")


if __name__ == "__main__":
    main()
