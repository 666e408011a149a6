"""Detection limit: LM F1 and onset error against movement amplitude and noise, for both sensors.

Every cell is one generated night (``sample_recordings/generate.py``) in
which every movement has the same amplitude, a multiple of the scoring
threshold:

* EMG (256 Hz): the burst's RMS above the resting level in multiples of the
  +8 uV onset threshold (the rule's, the same for every detector), over
  resting floors of 1, 3 and 5 uV and over 3 uV with 80 uV P-QRS-T cardiac
  artefact and 50 Hz mains; below 1x the movements are not LMs (EMG would
  not score them) and "found" counts false detections of them;
* accelerometer (40 Hz, three axes): the movement's peak deviation from the
  posture, in multiples of this checkout's effective onset threshold at
  that noise (``max(accel_onset_g, accel_onset_noise x noise)``, measured
  on a night without movements), for a foot rotation (the gravity vector
  turns; little dynamic acceleration) and a kick (band-limited
  acceleration, no rotation), over 2, 6 and 12 mg sensor noise per axis.
  Every movement is an LM (a virtual EMG scores it), so below 1x the
  misses are the detector's limit, not correct rejections.

For each cell the same recordings are detected by this checkout and, with
``--baseline DIR`` (e.g. a worktree of ``main``), by the ``plm`` there, each
in a fresh process. Printed per cell and detector: the fraction of
movements found (onset within 0.5 s), false detections per hour, per-leg F1
(the lower leg) and the onset error (detected minus true; median and the
95th percentile of its absolute value) of the movements found.

Usage::

    PYTHONPATH=. python bench/bench_detection_limit.py [--baseline /work/main] [--png bench/out/limit.png]
    PYTHONPATH=. python bench/bench_detection_limit.py --quick
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]

import _data  # noqa: E402
from _common import OUT_DIR, match_onsets, print_table, run_isolated  # noqa: E402

AMPLITUDES = (0.5, 0.8, 1.0, 1.25, 1.5, 2.0, 3.0, 5.0)
EMG_NOISE = {"floor 1 uV": {"floor_uv": 1.0}, "floor 3 uV": {"floor_uv": 3.0}, "floor 5 uV": {"floor_uv": 5.0},
             "3 uV + ECG 80 uV + 50 Hz": {"floor_uv": 3.0, "cardiac_uv": 80.0, "mains_hz": 50.0, "mains_uv": 50.0}}
ACCEL_NOISE = {"2 mg": 0.002, "6 mg": 0.006, "12 mg": 0.012}
MOVEMENTS = ("rotation", "kick")
HOURS = 0.75
#: A virtual EMG strength for accelerometer nights: only the movement's accelerometer amplitude varies.
ACCEL_STRENGTH = 2.0


def _layout(gen):
    # periodic series only (every movement an LM), no bursts or sub-threshold movements in the pauses
    return gen.Layout(kinds=("series",), imi=(15.0, 40.0), pause=(120.0, 200.0), pause_events=False,
                      p_bilateral=0.3)


def _emg_model(gen, amplitude: float, noise: dict):
    return gen.EmgModel(sfreq=256.0, strength_near=(amplitude, amplitude), strength_strong=(amplitude, amplitude),
                        p_near=0.0, n_sub_p=(0.5, 0.3, 0.2), attack=(0.01, 0.05), decay=(0.02, 0.1),
                        carrier_band=(20.0, 150.0), floor_band=(10.0, 150.0), wander_uv=10.0, **noise)


def _accel_model(gen, peak_g: float, noise_g: float, movement: str):
    common = dict(sfreq=40.0, noise_g=noise_g, step_g=0.0, visibility=(1.0, 1.0), lever_m=0.03,
                  strength_near=(ACCEL_STRENGTH, ACCEL_STRENGTH), strength_strong=(ACCEL_STRENGTH, ACCEL_STRENGTH),
                  p_near=0.0, n_sub_p=(0.5, 0.3, 0.2), attack=(0.01, 0.05), decay=(0.02, 0.1), tremor_g=0.0)
    if movement == "rotation":
        # peak tilt (rad) = peak deviation (g); rotation linear in strength (no saturation)
        deg = math.degrees(2 * math.asin(min(peak_g / 2, 1.0)))
        return gen.AccelModel(rotation_deg_per_uv=deg / (8.0 * ACCEL_STRENGTH), rotation_max_deg=1e4, kick_g=0.0,
                              **common)
    return gen.AccelModel(rotation_deg_per_uv=0.0, kick_g=peak_g / ACCEL_STRENGTH, kick_max_g=10.0, **common)


def _save(path: Path, rec) -> str:
    ch = rec.channels
    np.savez(path, data=rec.data, sfreq=rec.sfreq, names=[c.name for c in ch], units=[c.unit for c in ch],
             modalities=[c.modality for c in ch], sides=[c.side or "" for c in ch], axes=[c.axis or "" for c in ch])
    return str(path)


def _truth(truth, amplitude_is_lm: bool) -> dict:
    """True onsets per leg: the LMs, or (EMG below threshold) the sub-threshold movements' rule-free starts."""
    if amplitude_is_lm:
        return {s: truth.onset[truth.side == s] for s in ("left", "right")}
    return {s: truth.weak_onset[truth.weak_side == s] for s in ("left", "right")}


def _score(onsets: dict, true: dict, hours: float, is_lm: bool) -> dict:
    found = sum(match_onsets(onsets[s], true[s]) for s in true)
    n_true = sum(len(v) for v in true.values())
    n_det = sum(len(onsets[s]) for s in true)
    errors = []
    for s in true:  # loop over legs
        d = np.sort(np.asarray(onsets[s]))
        for t in true[s]:  # loop over movements
            if len(d):
                j = int(np.argmin(np.abs(d - t)))
                if abs(d[j] - t) <= 0.5:
                    errors.append(d[j] - t)
    f1 = []
    for s in true:
        tp = match_onsets(onsets[s], true[s])
        denom = len(onsets[s]) + len(true[s])
        f1.append(2 * tp / denom if denom else 1.0)
    err = np.asarray(errors)
    return {
        "found": found / n_true if n_true else math.nan,
        "fp_per_h": (n_det - found) / hours / 2.0 if is_lm else math.nan,
        "f1": min(f1) if is_lm else math.nan,
        "err_median": float(np.median(err)) if len(err) else math.nan,
        "err_p95": float(np.percentile(np.abs(err), 95)) if len(err) else math.nan,
        "n": n_true,
    }


def _effective_threshold(gen, noise_g: float) -> float:
    """This checkout's onset threshold at ``noise_g`` on a night without movements."""
    import plm
    from plm.detect import detect

    model = _accel_model(gen, 0.05, noise_g, "rotation")
    layout = gen.Layout(kinds=("series",), imi=(15.0, 40.0), pause=(120.0, 200.0), pause_events=False)
    rec, _ = gen.render_night("accel", 0.25, 1, model, layout)
    rec = rec.replace(data=np.vstack([_posture_only(rec, 3 * leg) for leg in range(2)]))
    return float(detect(rec, plm.criteria.get("pamrl")).context.detection["left"]["onset_threshold"])


def _posture_only(rec, row: int) -> np.ndarray:
    # the leg's rows with the movements replaced by the sensor noise around the median posture
    x = rec.data[row:row + 3]
    rng = np.random.default_rng(row)
    med = np.median(x, axis=1, keepdims=True)
    mad = np.median(np.abs(x - med), axis=1, keepdims=True) / 0.6745
    return med + mad * rng.standard_normal(x.shape)


def build(quick: bool) -> list[dict]:
    """Generate (or reuse) every cell's recording; returns the cell descriptions."""
    gen = _data._generator()
    out = OUT_DIR / "limit"
    out.mkdir(parents=True, exist_ok=True)
    amps = (0.8, 1.25, 2.0) if quick else AMPLITUDES
    cells = []
    emg_noise = dict(list(EMG_NOISE.items())[:2]) if quick else EMG_NOISE
    for k, (name, noise) in enumerate(emg_noise.items()):
        for a in amps:
            path = out / f"emg_{k}_{a:g}.npz"
            truth_path = path.with_suffix(".json")
            if not (path.exists() and truth_path.exists()):
                rec, truth = gen.render_night("emg", HOURS, 100 + k, _emg_model(gen, a, noise), _layout(gen))
                _save(path, rec)
                t = _truth(truth, a >= 1.0)
                truth_path.write_text(json.dumps({s: v.tolist() for s, v in t.items()}))
            cells.append({"sensor": "emg", "noise": name, "movement": "burst", "amplitude": a, "path": str(path),
                          "is_lm": a >= 1.0, "threshold": 8.0, "unit": "uV"})
    accel_noise = dict(list(ACCEL_NOISE.items())[:2]) if quick else ACCEL_NOISE
    for k, (name, noise_g) in enumerate(accel_noise.items()):
        thr = _effective_threshold(gen, noise_g)
        for movement in MOVEMENTS:
            for a in amps:
                path = out / f"accel_{k}_{movement}_{a:g}.npz"
                truth_path = path.with_suffix(".json")
                if not (path.exists() and truth_path.exists()):
                    model = _accel_model(gen, a * thr, noise_g, movement)
                    rec, truth = gen.render_night("accel", HOURS, 200 + k, model, _layout(gen))
                    _save(path, rec)
                    truth_path.write_text(json.dumps({s: v.tolist() for s, v in _truth(truth, True).items()}))
                cells.append({"sensor": "accel", "noise": name, "movement": movement, "amplitude": a,
                              "path": str(path), "is_lm": True, "threshold": thr, "unit": "g"})
    return cells


def detect_all(cells: list[dict], repo: str | None, label: str) -> None:
    for sensor, preset in (("emg", "wasm2016"), ("accel", "pamrl")):
        mine = [c for c in cells if c["sensor"] == sensor]
        m = run_isolated("_limit_tasks", "detect_files", [c["path"] for c in mine], preset, repo=repo, timeout=7200)
        if m.error is not None:
            raise RuntimeError(f"{label} detector failed: {m.error}")
        for c, r in zip(mine, m.payload["results"]):
            true = json.loads(Path(c["path"]).with_suffix(".json").read_text())
            c[label] = _score(r["onsets"], true, HOURS, c["is_lm"])


def _fmt(v, spec):
    return "-" if v is None or (isinstance(v, float) and not math.isfinite(v)) else spec.format(v)


def print_cells(cells: list[dict], labels: list[str]) -> None:
    for sensor in ("emg", "accel"):
        rows = []
        for c in (c for c in cells if c["sensor"] == sensor):
            amp = c["amplitude"] * c["threshold"]
            row = [c["noise"], c["movement"], f"{c['amplitude']:g}x", f"{amp:.3g} {c['unit']}"]
            for lab in labels:
                r = c[lab]
                row += [_fmt(100 * r["found"], "{:.0f}"), _fmt(r["fp_per_h"], "{:.1f}"), _fmt(r["f1"], "{:.3f}"),
                        _fmt(r["err_median"], "{:+.3f}"), _fmt(r["err_p95"], "{:.3f}")]
            rows.append(row)
        head = ["noise", "movement", "amplitude", "= "]
        for lab in labels:
            head += [f"{lab} found %", f"{lab} FP/h", f"{lab} F1", f"{lab} onset med s", f"{lab} |onset| p95 s"]
        print(f"\n### {'EMG 256 Hz (threshold: +8 uV above rest)' if sensor == 'emg' else 'Accelerometer 40 Hz (threshold: this checkout’s effective onset threshold)'}\n")
        print_table(head, rows)


def plot(cells: list[dict], labels: list[str], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = sorted({(c["sensor"], c["noise"], c["movement"]) for c in cells})
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for sensor, ax in zip(("emg", "accel"), axes):
        for g in (g for g in groups if g[0] == sensor):
            sel = sorted((c for c in cells if (c["sensor"], c["noise"], c["movement"]) == g), key=lambda c: c["amplitude"])
            for lab, ls in zip(labels, ("-", "--")):
                ax.plot([c["amplitude"] for c in sel], [100 * c[lab]["found"] for c in sel], ls, marker="o",
                        label=f"{lab}: {g[1]} {g[2]}")
        ax.axvline(1.25, color="k", lw=0.5)
        ax.set_xscale("log")
        ax.set_xlabel("amplitude / threshold")
        ax.set_ylabel("movements found, %")
        ax.set_title(sensor)
        ax.legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", help="another checkout (e.g. a worktree of main) whose plm to run beside this one")
    ap.add_argument("--png", help="write a plot of the fraction found against amplitude")
    ap.add_argument("--quick", action="store_true", help="3 amplitudes, 2 noise levels per sensor")
    ap.add_argument("--json", help="write every cell's figures to this file")
    args = ap.parse_args(argv)
    cells = build(args.quick)
    labels = ["new"]
    detect_all(cells, None, "new")
    if args.baseline:
        detect_all(cells, args.baseline, "baseline")
        labels.append("baseline")
    print(f"{HOURS:g} h nights, every movement of one amplitude; found = onset within 0.5 s; F1 = lower leg;"
          " onset error = detected - true")
    print_cells(cells, labels)
    if args.png:
        plot(cells, labels, args.png)
    if args.json:
        Path(args.json).write_text(json.dumps(cells, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
