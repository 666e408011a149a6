"""Tasks measured in isolated processes by the benchmark scripts.

Each returns a JSON-able dict with its own phase timings and, where an
agreement score is wanted, the detected per-leg LM onsets. Only the work
that a user of the tool would do is inside the timed part.
"""
from __future__ import annotations

import time

import numpy as np

#: Imported before the baseline RSS is taken (and before the clock starts), so that
#: library code is counted neither as the task's memory nor as its time. ``mne``
#: loads its submodules lazily: ``mne.io.edf`` is named so that its one-off
#: import (~0.08 s) is not charged to the first EDF read.
WARM_IMPORTS = ("numpy", "scipy.signal", "pandas", "mne", "mne.io", "mne.io.edf", "plm", "plm.io", "plm.io.edf",
                "plm.io.accel_csv",
                "plm.detect", "plm.detect.pipeline", "plm.scoring", "plm.scoring.night", "psgscoring", "_data")

EMG_BAND = (10.0, 100.0)
ACCEL_BAND = (0.3, 15.0)


def _band(sfreq: float, band) -> tuple[float, float]:
    lo, hi = band
    return lo, min(hi, 0.45 * sfreq)


def _sosfiltfilt_rows(data: np.ndarray, sfreq: float, band) -> np.ndarray:
    from scipy.signal import butter, sosfiltfilt

    sos = butter(4, _band(sfreq, band), btype="bandpass", fs=sfreq, output="sos")
    out = np.empty_like(data)
    for c in range(data.shape[0]):  # loop over channels
        out[c] = sosfiltfilt(sos, data[c])
    return out


def floor(path: str | list, kind: str) -> dict:
    """Read the signal with the floor reader and band-pass every channel once.

    ``path`` is one EDF, or the accelerometer CSV files of one night (their
    columns stacked as channels; 40 Hz).
    """
    from _data import read_csv_floor, read_edf_floor

    t0 = time.perf_counter()
    if kind == "edf":
        data, sfreq = read_edf_floor(path)
        band = EMG_BAND
    else:
        paths = [path] if isinstance(path, str) else path
        data = np.concatenate([read_csv_floor(p) for p in paths])
        sfreq, band = 40.0, ACCEL_BAND
    t1 = time.perf_counter()
    _sosfiltfilt_rows(data, sfreq, band)
    t2 = time.perf_counter()
    return {"t_read": t1 - t0, "t_filter": t2 - t1, "t_total": t2 - t0,
            "raw_f64_bytes": int(data.shape[0] * data.shape[1] * 8)}


def plm_end_to_end(path: str | list, criteria: str = "wasm2016", threads: int | None = None) -> dict:
    """``plm.score(plm.read(path), threads=threads)`` with the read and score phases timed.

    ``threads=None`` is the default of ``plm.score`` (one thread per leg, up
    to the CPUs available); ``threads=1`` detects the legs one after the other.
    """
    import plm

    t0 = time.perf_counter()
    rec = plm.read(path)
    t1 = time.perf_counter()
    res = plm.score(rec, criteria, threads=threads)
    t2 = time.perf_counter()
    ev = res.events
    onsets = {s: np.asarray(ev["onset"])[np.asarray(ev["side"]) == s].tolist() for s in ("left", "right")}
    s = res.summary()
    return {"t_read": t1 - t0, "t_score": t2 - t1, "t_total": t2 - t0, "onsets": onsets,
            "n_lm": s.get("n_lm"), "n_plm": s.get("n_plm"), "plm_index": s.get("plm_index"),
            "raw_f64_bytes": int(rec.data.shape[0] * rec.data.shape[1] * 8)}


def _psg_legs(path: str):
    from _data import read_edf_floor

    data, sfreq = read_edf_floor(path)
    return data[0], data[1], sfreq


def psgscoring_end_to_end(path: str) -> dict:
    """Floor read, then ``psgscoring.analyze_plm`` on both legs (all epochs N2)."""
    from psgscoring import analyze_plm

    t0 = time.perf_counter()
    left, right, sfreq = _psg_legs(path)
    t1 = time.perf_counter()
    hypno = ["N2"] * int(np.ceil(len(left) / sfreq / 30))
    out = analyze_plm(left, right, sfreq, hypno, resp_events=None, leg_unit="uV", event_list_cap=None)
    t2 = time.perf_counter()
    if not out["success"]:
        raise RuntimeError(f"psgscoring failed: {out['error']}")
    summ = out["summary"]
    return {"t_read": t1 - t0, "t_score": t2 - t1, "t_total": t2 - t0,
            "n_lm": summ["n_lm_total"], "n_plm": summ["n_plm"], "plm_index": summ["plm_index"]}


def psgscoring_per_leg(path: str) -> dict:
    """Per-leg LM onsets from the channel detector ``analyze_plm`` runs (for F1 only).

    ``analyze_plm`` returns bilateral-merged LMs; its per-leg stage is the
    private ``psgscoring.plm._detect_lm_channel``, called here with the
    arguments ``analyze_plm`` passes by default.
    """
    from psgscoring.plm import _detect_lm_channel

    left, right, sfreq = _psg_legs(path)
    onsets = {}
    for side, x in (("left", left), ("right", right)):
        onsets[side] = [e["onset_s"] for e in _detect_lm_channel(x, sfreq, unit="uV", time_base_fix=True)]
    return {"onsets": onsets}


def plm_cli(path: str | list) -> dict:
    """``plm score PATH... --json`` in-process: reading, night splitting, detection, scoring, output."""
    import contextlib
    import io
    import json

    from plm.cli import main

    paths = [path] if isinstance(path, str) else list(path)
    out = io.StringIO()
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main(["score", *paths, "--json"])
    t1 = time.perf_counter()
    if code != 0:
        raise RuntimeError(f"plm score exited with {code}")
    nights = [json.loads(line) for line in out.getvalue().splitlines() if line.startswith("{")]
    return {"t_total": t1 - t0, "n_nights": len(nights), "n_plm": [n.get("n_plm") for n in nights]}
