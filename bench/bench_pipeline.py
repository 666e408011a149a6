"""Benchmark: plm end to end against the filtering floor and the peer psgscoring.

For each generated dataset, in fresh processes:

- *floor*: read the samples (least possible work) + one zero-phase 4th-order
  Butterworth band-pass (``scipy.signal.sosfiltfilt``) over every channel;
- *plm*: ``plm.score(plm.read(path))`` (read, detect, score), with the
  default of one detection thread per leg (up to the CPUs available), and
  again with ``threads=1`` (legs one after the other; ``--no-serial``
  skips it). The floor and psgscoring run in one thread; the CPU seconds
  of the default plm run (all threads) are printed beside its wall time;
- *psgscoring* (EMG only, optional): floor read + ``psgscoring.analyze_plm``
  on the same arrays.

Printed per dataset: times, time ratio plm/floor, speed-up of plm over
psgscoring (end to end; and "on arrays": psgscoring's ``analyze_plm`` time
over plm's detect-and-score time, both on signals already in memory), event F1 (per-leg LM onsets within 0.5 s of the generated
truth) of both, peak RSS and the memory plm adds over its imports as a
multiple of the raw signal in float64.

Usage::

    PYTHONPATH=. python bench/bench_pipeline.py            # all datasets
    PYTHONPATH=. python bench/bench_pipeline.py --quick    # 1 h datasets only
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]

import _data  # noqa: E402
from _common import Measurement, event_f1, fmt, mib, print_table, run_isolated  # noqa: E402


def _have_psgscoring() -> bool:
    try:
        import psgscoring  # noqa: F401
    except Exception:
        return False
    return True


def _best(runs: list[Measurement]) -> Measurement:
    """Fastest successful run (peak memory is taken from it too)."""
    ok = [m for m in runs if m.error is None]
    if not ok:
        return runs[0]
    return min(ok, key=lambda m: m.payload.get("t_total", m.wall))


def measure(task: str, *args, repeat: int = 1) -> Measurement:
    return _best([run_isolated("_tasks", task, *args) for _ in range(repeat)])


def _t(m: Measurement | None) -> float:
    if m is None or m.error is not None:
        return math.nan
    return m.payload.get("t_total", m.wall)


def _truth_onsets(path) -> dict:
    return {s: v["onset"] for s, v in _data.load_truth(path).items()}


def _ratio(a: float, b: float) -> float:
    return a / b if (b and math.isfinite(a) and math.isfinite(b)) else math.nan


EMG_IMPAIRED = ("drift", "mains", "cardiac", "pops")

#: name -> (reader kind for the floor, generator arguments)
DATASETS = {
    "emg-256-8h": ("edf", dict(kind="emg", hours=8, sfreq=256)),
    "emg-256-8h-impaired": ("edf", dict(kind="emg", hours=8, sfreq=256, impairments=EMG_IMPAIRED)),
    "emg-1000-8h": ("edf", dict(kind="emg", hours=8, sfreq=1000)),
    "emg-256-1h": ("edf", dict(kind="emg", hours=1, sfreq=256)),
    "emg-512-1h": ("edf", dict(kind="emg", hours=1, sfreq=512)),
    "emg-512-8h": ("edf", dict(kind="emg", hours=8, sfreq=512)),
    "emg-512-24h": ("edf", dict(kind="emg", hours=24, sfreq=512)),
    "accel-40-1h": ("csv", dict(kind="accel", hours=1, sfreq=40, impairments=("noise",))),
    "accel-40-8h": ("csv", dict(kind="accel", hours=8, sfreq=40, impairments=("noise",))),
    "accel-40-7n": ("csv", dict(kind="accel", hours=7 * 24, sfreq=40, impairments=("noise",))),
}
MAIN = ["emg-256-8h", "emg-256-8h-impaired", "emg-1000-8h", "accel-40-8h"]
GROWTH = ["emg-512-1h", "emg-512-8h", "emg-512-24h", "accel-40-1h", "accel-40-8h", "accel-40-7n"]
QUICK = ["emg-256-1h", "emg-512-1h", "accel-40-1h"]


def run_dataset(name: str, repeat: int, with_peer: bool, with_cli: bool = False, with_serial: bool = True) -> dict:
    kind, kw = DATASETS[name]
    print(f"[{name}] generating/measuring ...", file=sys.stderr, flush=True)
    files, _ = _data.generated_night(**kw)
    path = str(files[0]) if len(files) == 1 else [str(p) for p in files]
    truth = _truth_onsets(files[0])
    row: dict = {"name": name}
    row["floor"] = measure("floor", path, kind, repeat=repeat)
    row["plm"] = measure("plm_end_to_end", path, repeat=repeat)
    if with_serial:
        row["plm1"] = measure("plm_end_to_end", path, "wasm2016", 1, repeat=repeat)
    row["raw_bytes"] = row["floor"].payload.get("raw_f64_bytes", math.nan)
    row["f1_plm"] = (event_f1(row["plm"].payload["onsets"], truth)["f1"]
                     if row["plm"].error is None else math.nan)
    if with_cli:
        row["cli"] = measure("plm_cli", path, repeat=repeat)
    if with_peer and kind == "edf":
        row["psg"] = measure("psgscoring_end_to_end", path, repeat=repeat)
        per_leg = run_isolated("_tasks", "psgscoring_per_leg", path)
        row["f1_psg"] = event_f1(per_leg.payload["onsets"], truth)["f1"] if per_leg.error is None else math.nan
    return row


def print_rows(rows: list[dict]) -> None:
    header = ["dataset", "raw f64 MiB", "floor s (read+filt)", "plm s (read+score)", "plm/floor",
              "plm CPU s", "plm 1 thread s", "1 thread/floor",
              "psgscoring s", "speed-up", "speed-up 1 thread", "speed-up on arrays", "F1 plm", "F1 psgscoring",
              "peak RSS MiB floor/plm/psg", "plm added MiB", "plm added / raw"]
    out = []
    for r in rows:
        fl, pl, ps, p1 = r["floor"], r["plm"], r.get("psg"), r.get("plm1")
        t_fl, t_pl, t_ps, t_p1 = _t(fl), _t(pl), _t(ps), _t(p1)
        out.append([
            r["name"],
            mib(r["raw_bytes"]),
            f"{fmt(t_fl)} ({fmt(fl.payload.get('t_read'))}+{fmt(fl.payload.get('t_filter'))})",
            f"{fmt(t_pl)} ({fmt(pl.payload.get('t_read'))}+{fmt(pl.payload.get('t_score'))})",
            fmt(_ratio(t_pl, t_fl)),
            fmt(pl.cpu if pl.error is None else math.nan),
            fmt(t_p1),
            fmt(_ratio(t_p1, t_fl)),
            fmt(t_ps),
            fmt(_ratio(t_ps, t_pl), "{:.1f}x"),
            fmt(_ratio(t_ps, t_p1), "{:.1f}x"),
            fmt(_ratio(ps.payload.get("t_score", math.nan) if ps is not None and ps.error is None else math.nan,
                       pl.payload.get("t_score", math.nan)), "{:.1f}x"),
            fmt(r["f1_plm"], "{:.3f}"),
            fmt(r.get("f1_psg"), "{:.3f}"),
            f"{mib(fl.rss_peak)}/{mib(pl.rss_peak if pl.error is None else None)}/"
            f"{mib(ps.rss_peak if ps is not None and ps.error is None else None)}",
            mib(pl.rss_added if pl.error is None else None),
            fmt(_ratio(pl.rss_added, r["raw_bytes"]) if pl.error is None else math.nan),
        ])
    print_table(header, out)
    cli_rows = [r for r in rows if r.get("cli") is not None]
    if cli_rows:
        print("\n`plm score PATH... --json` (CLI in-process: multi-night files are split into nights)\n")
        print_table(
            ["dataset", "nights", "CLI s", "peak RSS MiB", "added MiB", "added / raw"],
            [[r["name"], str(r["cli"].payload.get("n_nights", "-")), fmt(_t(r["cli"])),
              mib(r["cli"].rss_peak if r["cli"].error is None else None),
              mib(r["cli"].rss_added if r["cli"].error is None else None),
              fmt(_ratio(r["cli"].rss_added, r["raw_bytes"]) if r["cli"].error is None else math.nan)]
             for r in cli_rows],
        )
    for r in rows:
        for key in ("floor", "plm", "plm1", "psg", "cli"):
            m = r.get(key)
            if m is not None and m.error is not None:
                print(f"  note: {r['name']} {key} failed: {m.error}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="1 h datasets only")
    ap.add_argument("--datasets", nargs="*", choices=sorted(DATASETS), help="run only these")
    ap.add_argument("--repeat", type=int, default=1, help="runs per measurement; the fastest is kept")
    ap.add_argument("--no-peer", action="store_true", help="skip psgscoring")
    ap.add_argument("--cli", action="store_true", help="also measure `plm score --json` (night splitting)")
    ap.add_argument("--no-serial", action="store_true", help="skip the one-thread plm measurement")
    args = ap.parse_args(argv)
    with_peer = not args.no_peer and _have_psgscoring()
    if not args.no_peer and not with_peer:
        print("note: psgscoring is not importable; peer columns left empty (pip install 'plm[bench]')")
    if args.datasets:
        groups = [("selected", args.datasets)]
    elif args.quick:
        groups = [("quick", QUICK)]
    else:
        groups = [("main", MAIN), ("growth with length", GROWTH)]
    done: dict = {}
    for title, names in groups:
        rows = []
        for name in names:
            if name not in done:
                done[name] = run_dataset(name, args.repeat, with_peer, args.cli, not args.no_serial)
            rows.append(done[name])
        print(f"\n## {title}\n")
        print_rows(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
