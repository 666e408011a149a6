"""Benchmark datasets: generated recordings with ground truth, cached in ``bench/out/``.

The project's sample generator (``sample_recordings/generate.py``) is used
when it offers what a dataset needs; otherwise a small synthetic model here
makes leg EMG (white noise at a resting level, with bursts for each leg
movement, grouped in periodic series) and ankle acceleration. Files are
written once per parameter set and reused; ground truth (per-leg LM
onsets) sits beside each file as JSON.

This module also holds the *floor* readers: the least work that gets an
EDF's samples into float64 physical units (one ``np.fromfile`` and a scale
per channel) and a CSV into a float64 array (pandas' C parser).
"""
from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path

import numpy as np

from _common import OUT_DIR

HOURS_NIGHT = 8.0


# ----------------------------------------------------------------- truth
def _lm_schedule(duration: float, rng: np.random.Generator) -> dict:
    """Per-leg LM onsets/durations: periodic series plus isolated LMs.

    About 60 LMs per hour: series of 4-30 LMs with 12-60 s intervals take
    ~2/3, the rest are isolated. A third of series LMs are bilateral (the
    second leg starts 0-0.3 s later).
    """
    onsets: list[float] = []
    t = rng.uniform(30, 300)
    while t < duration - 120:
        n = int(rng.integers(4, 31))
        imi = rng.uniform(15, 45)
        times = t + np.cumsum(np.r_[0, np.clip(rng.normal(imi, 3, n - 1), 11, 85)])
        onsets.extend(times[times < duration - 20])
        t = times[-1] + rng.uniform(120, 900)
    n_iso = int(duration / 3600 * 20)
    onsets.extend(rng.uniform(20, duration - 20, n_iso))
    onsets = np.sort(np.asarray(onsets))
    # keep >= 3 s between onsets so truth LMs never overlap on one leg
    keep = np.r_[True, np.diff(onsets) >= 3.0]
    onsets = onsets[keep]
    n = len(onsets)
    dur = rng.uniform(0.7, 2.5, n)
    which = rng.choice(3, size=n, p=[0.35, 0.35, 0.3])  # left, right, both
    out = {}
    for side, code in (("left", 0), ("right", 1)):
        sel = (which == code) | (which == 2)
        lag = np.where((which == 2) & (code == 1), rng.uniform(0, 0.3, n), 0.0)
        out[side] = {"onset": (onsets + lag)[sel].round(3).tolist(), "duration": dur[sel].round(3).tolist()}
    return out


def _envelope(n: int, sfreq: float, truth_side: dict, rest: float, amp_range, rng) -> np.ndarray:
    env = np.full(n, rest, dtype=np.float32)
    for on, du in zip(truth_side["onset"], truth_side["duration"]):  # loop over events
        i0, i1 = int(on * sfreq), min(n, int((on + du) * sfreq))
        env[i0:i1] = rng.uniform(*amp_range)
    return env


# ------------------------------------------------------------------- EDF
def write_edf(path: Path, data_uv: np.ndarray, sfreq: float, labels, start: _dt.datetime,
              phys_range: float = 1000.0) -> None:
    """Write a plain EDF (int16, 1 s records) of EMG in uV; memory-light."""
    n_ch, n = data_uv.shape
    spr = int(round(sfreq))
    if abs(spr - sfreq) > 1e-9:
        raise ValueError("bench EDF writer needs an integer sampling rate")
    n_rec = n // spr
    ns = n_ch

    def field(values, width):
        return "".join(str(v)[:width].ljust(width) for v in values)

    hdr = (
        "0".ljust(8)
        + "X X X X".ljust(80)
        + f"Startdate {start:%d-%b-%Y}".upper().ljust(80)
        + start.strftime("%d.%m.%y")
        + start.strftime("%H.%M.%S")
        + str(256 * (ns + 1)).ljust(8)
        + "".ljust(44)
        + str(n_rec).ljust(8)
        + "1".ljust(8)
        + str(ns).ljust(4)
    )
    hdr += field(labels, 16) + field(["AgAgCl electrode"] * ns, 80) + field(["uV"] * ns, 8)
    hdr += field([f"{-phys_range:g}"] * ns, 8) + field([f"{phys_range:g}"] * ns, 8)
    hdr += field(["-32768"] * ns, 8) + field(["32767"] * ns, 8)
    hdr += field(["HP:0.1Hz LP:200Hz"] * ns, 80) + field([spr] * ns, 8) + field([""] * ns, 32)
    assert len(hdr) == 256 * (ns + 1)
    gain = (2 * phys_range) / 65535.0
    offset = phys_range - gain * 32767
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(hdr.encode("ascii"))
        step = 600  # records per block: bounded memory
        for r0 in range(0, n_rec, step):
            r1 = min(n_rec, r0 + step)
            block = data_uv[:, r0 * spr : r1 * spr]
            dig = np.clip(np.round((block - offset) / gain), -32768, 32767).astype("<i2")
            # (ch, rec, spr) -> (rec, ch, spr): EDF stores records, each all channels
            fh.write(dig.reshape(n_ch, r1 - r0, spr).transpose(1, 0, 2).tobytes())
    tmp.replace(path)


def read_edf_floor(path: str | Path) -> tuple[np.ndarray, float]:
    """Floor EDF reader: header fields, one read, per-channel scale to float64 uV.

    Returns ``(data, sfreq)`` with ``data`` shape (n_channels, n_samples);
    assumes every channel has the same rate (true for the bench files).
    """
    with open(path, "rb") as fh:
        head = fh.read(256)
        ns = int(head[252:256])
        sig = fh.read(256 * ns).decode("ascii")
    n_rec = int(head[236:244])
    rec_dur = float(head[244:252])

    def col(offset, width):
        base = offset * ns
        return [sig[base + i * width : base + (i + 1) * width].strip() for i in range(ns)]

    pmin = np.array(col(104, 8), float)
    pmax = np.array(col(112, 8), float)
    dmin = np.array(col(120, 8), float)
    dmax = np.array(col(128, 8), float)
    spr = np.array(col(216, 8), int)
    raw = np.fromfile(path, dtype="<i2", offset=256 * (ns + 1), count=n_rec * int(spr.sum())).reshape(n_rec, -1)
    gain = (pmax - pmin) / (dmax - dmin)
    off = pmin - gain * dmin
    out = np.empty((ns, n_rec * spr[0]))
    edges = np.r_[0, np.cumsum(spr)]
    for c in range(ns):
        np.multiply(raw[:, edges[c] : edges[c + 1]].reshape(-1), gain[c], out=out[c])
        out[c] += off[c]
    return out, spr[0] / rec_dur


def read_csv_floor(path: str | Path) -> np.ndarray:
    """Floor CSV reader: every numeric column as float64 (channels x samples)."""
    import pandas as pd

    df = pd.read_csv(path, engine="c", comment="#")
    num = df.select_dtypes("number")
    return np.ascontiguousarray(num.to_numpy(dtype=float).T)


# -------------------------------------------------------------- datasets
def emg_night(hours: float, sfreq: float, seed: int = 1) -> tuple[Path, dict]:
    """Two-leg tibialis EMG in EDF; returns ``(path, truth)``.

    Resting EMG is white noise of 1.5 uV s.d.; each LM is a burst of 15-60 uV
    s.d.; a 1 uV 50 Hz hum and a 20 uV offset ride on top.
    """
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    stem = f"emg_{hours:g}h_{sfreq:g}hz_s{seed}"
    path, tpath = OUT_DIR / f"{stem}.edf", OUT_DIR / f"{stem}.truth.json"
    if path.exists() and tpath.exists():
        return path, json.loads(tpath.read_text())
    rng = np.random.default_rng(seed)
    n = int(hours * 3600 * sfreq)
    truth = _lm_schedule(n / sfreq, rng)
    data = np.empty((2, n), dtype=np.float32)
    hum = (1.0 * np.sin(2 * np.pi * 50 * np.arange(n) / sfreq)).astype(np.float32)
    for row, side in enumerate(("left", "right")):
        env = _envelope(n, sfreq, truth[side], 1.5, (15, 60), rng)
        data[row] = rng.standard_normal(n, dtype=np.float32) * env
        data[row] += hum
        data[row] += 20.0
        del env
    start = _dt.datetime(2024, 3, 1, 22, 30, 0)
    write_edf(path, data, sfreq, ["Leg L", "Leg R"], start)
    tpath.write_text(json.dumps(truth))
    return path, truth


def _write_accel_csv(path: Path, xyz: np.ndarray, sfreq: float, side: str, start: _dt.datetime) -> None:
    """plm accelerometer CSV (``# plm-accelerometer-csv 1``), one ankle per file."""
    header = "\n".join([
        "# plm-accelerometer-csv 1", "# device: bench", f"# side: {side}",
        f"# sampling_rate_hz: {sfreq:g}", f"# start: {start.isoformat()}", "# units: g", "x,y,z",
    ]) + "\n"
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(header.encode())
        step = 400_000
        for i0 in range(0, xyz.shape[1], step):
            block = xyz[:, i0:i0 + step].T.tolist()
            fh.write(("\n".join(map("%.4f,%.4f,%.4f".__mod__, map(tuple, block))) + "\n").encode())
    tmp.replace(path)


def accel_night(hours: float, sfreq: float = 40.0, seed: int = 2) -> tuple[list[Path], dict]:
    """Two ankle accelerometers (plm accelerometer CSV); returns ``([left, right], truth)``.

    At rest each axis is gravity (0, 0, 1 g, slightly tilted) plus 4 mg
    noise; each LM adds 0.3-0.9 g band-limited motion on every axis.
    """
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    stem = f"accel_{hours:g}h_{sfreq:g}hz_s{seed}"
    paths = [OUT_DIR / f"{stem}_{s}.csv" for s in ("left", "right")]
    tpath = OUT_DIR / f"{stem}.truth.json"
    if all(p.exists() for p in paths) and tpath.exists():
        return paths, json.loads(tpath.read_text())
    rng = np.random.default_rng(seed)
    n = int(hours * 3600 * sfreq)
    truth = _lm_schedule(n / sfreq, rng)
    start = _dt.datetime(2024, 3, 1, 22, 30, tzinfo=_dt.timezone(_dt.timedelta(hours=1)))
    for path, side in zip(paths, ("left", "right")):
        env = _envelope(n, sfreq, truth[side], 0.0, (0.3, 0.9), rng)
        xyz = np.empty((3, n), dtype=np.float32)
        for k, g in enumerate((0.05, -0.1, 0.99)):
            xyz[k] = rng.standard_normal(n, dtype=np.float32)
            xyz[k] *= env + np.float32(0.004)
            xyz[k] += g
        del env
        _write_accel_csv(path, xyz, sfreq, side, start)
        del xyz
    tpath.write_text(json.dumps(truth))
    return paths, truth


# ------------------------------------------------- the project's generator
def _generator():
    """``sample_recordings/generate.py`` as a module, or None when absent."""
    import importlib.util

    path = OUT_DIR.parents[1] / "sample_recordings" / "generate.py"
    if not path.exists():
        return None
    import sys

    spec = importlib.util.spec_from_file_location("plm_sample_generator", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


def generated_night(kind: str, hours: float, sfreq: float, impairments: tuple[str, ...] = (),
                    seed: int = 7) -> tuple[list[Path], dict]:
    """A night from the project's sample generator, written once to ``bench/out/``.

    Parameters
    ----------
    kind : {"emg", "accel"}
    hours, sfreq : float
    impairments : tuple of str
        Generator impairments (e.g. ``("drift", "cardiac")``).
    seed : int

    Returns
    -------
    paths : list of Path
        The EDF, or the two ankle CSV files.
    truth : dict
        ``{"left": {"onset": [...], "duration": [...]}, "right": ...}``.
    """
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    tag = "-".join(impairments) or "clean"
    stem = f"gen_{kind}_{hours:g}h_{sfreq:g}hz_{tag}_s{seed}"
    tpath = OUT_DIR / f"{stem}.truth.json"
    if tpath.exists():
        doc = json.loads(tpath.read_text())
        paths = [OUT_DIR / p for p in doc["files"]]
        if all(p.exists() for p in paths):
            return paths, doc["truth"]
    gen = _generator()
    if gen is None:
        raise RuntimeError("sample_recordings/generate.py not found")
    rec, truth = gen.make_night(kind, hours=hours, seed=seed, impairments=impairments, sfreq=sfreq)
    written = gen.write_night(OUT_DIR, stem, rec, truth, compress=False)
    del rec
    files = [p for p in written if not p.name.endswith(("_truth.tsv", ".json"))]
    legs = {}
    for side in ("left", "right"):
        on, du = truth.leg(side)
        legs[side] = {"onset": np.asarray(on).round(4).tolist(), "duration": np.asarray(du).round(4).tolist()}
    doc = {"files": [p.name for p in files], "truth": legs, "expected": truth.expected,
           "excluded": np.asarray(truth.excluded).tolist()}
    tmp = tpath.with_suffix(".part")
    tmp.write_text(json.dumps(doc))
    tmp.replace(tpath)
    return files, legs


def load_truth(path: str | Path) -> dict:
    """Ground truth written beside a dataset file by the functions above."""
    p = Path(path)
    if p.name.startswith("gen_"):
        stem = p.name.split(".")[0].removesuffix("_left").removesuffix("_right")
        return json.loads(p.with_name(stem + ".truth.json").read_text())["truth"]
    stem = p.name.split(".")[0].removesuffix("_left").removesuffix("_right")
    return json.loads(p.with_name(stem + ".truth.json").read_text())
