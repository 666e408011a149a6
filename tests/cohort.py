"""A generated study cohort with per-night PLM indices known by construction.

Used by test_study.py, test_batch.py and bench/. Each night is an events TSV
(the DESIGN.md format: ``onset, duration, type, value``) of exactly 8 h of N2
sleep in which ``n_plm`` left-leg movements of 1.5 s form periodic series of
4-11 movements at a 20 s intermovement interval, series 200 s apart; so under
WASM 2016 every movement is a PLM and the PLMS index is ``n_plm / 8`` per hour
exactly. Isolated movements 400 s apart after the series add LMs that are not
PLMs (the IMI of 400 s is above 90 s).
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

HOURS = 8.0
IMI = 20.0
LM_DURATION = 1.5
SERIES_GAP = 200.0


def series_lengths(n_plm: int) -> list[int]:
    """Split ``n_plm`` (0 or >= 4) into series of 4-11 movements."""
    if n_plm == 0:
        return []
    if n_plm < 4:
        raise ValueError("a night has 0 or at least 4 PLMs")
    q, r = divmod(n_plm, 8)
    lengths = [8] * q
    if r >= 4:
        lengths.append(r)
    elif r:
        lengths[-1] += r
    return lengths


def night_onsets(n_plm: int, n_isolated: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Onsets of periodic LMs and of isolated (non-periodic) LMs, s."""
    periodic = []
    t = 60.0
    for length in series_lengths(n_plm):
        periodic.extend(t + IMI * np.arange(length))
        t += IMI * (length - 1) + SERIES_GAP
    isolated = t + 400.0 * np.arange(n_isolated)
    assert (isolated[-1] if n_isolated else t) < HOURS * 3600 - 60
    return np.asarray(periodic), isolated


def write_night_tsv(path: Path, n_plm: int, n_isolated: int = 3) -> None:
    """Write one night in the DESIGN.md events-TSV format."""
    periodic, isolated = night_onsets(n_plm, n_isolated)
    lines = ["onset\tduration\ttype\tvalue"]
    rows = [(t, LM_DURATION, "lm_left", "n/a") for t in np.concatenate([periodic, isolated])]
    rows += [(30.0 * k, 30.0, "sleep_stage", "N2") for k in range(int(HOURS * 120))]
    rows.sort(key=lambda r: (r[0], r[2]))
    lines += [f"{t:.3f}\t{d:.3f}\t{kind}\t{v}" for t, d, kind, v in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def cohort_counts(n_subjects: int = 25, nights: int = 3, seed: int = 7) -> dict[str, np.ndarray]:
    """PLM counts per (subject, visit, night): baseline ~30/h, follow-up lower.

    Returns ``{"baseline": (n_subjects, nights), "followup": ...}`` of ints.
    """
    rng = np.random.default_rng(seed)
    base_rate = rng.uniform(12, 50, n_subjects)  # /h, subject's true baseline index
    factor = np.where(rng.random(n_subjects) < 0.65, rng.uniform(0.05, 0.45, n_subjects),
                      rng.uniform(0.6, 1.1, n_subjects))
    out = {}
    for visit, rate in (("baseline", base_rate), ("followup", base_rate * factor)):
        counts = np.rint(HOURS * rate[:, None] * rng.uniform(0.8, 1.2, (n_subjects, nights))).astype(int)
        counts[(counts > 0) & (counts < 4)] = 4
        out[visit] = counts
    return out


def summary_json(n_plm: int, criteria) -> dict:
    """A per-night summary as ``NightResult.summary()`` gives it (for study tests)."""
    return {
        "source": "generated",
        "start_time": None,
        "plm_index": n_plm / HOURS,
        "plms_index": n_plm / HOURS,
        "plmw_index": None,
        "n_plm": n_plm,
        "hours_denominator": HOURS,
        "denominator": "TST",
        "criteria": criteria.describe(),
        "version": "0",
    }


def write_cohort(folder: Path, kind: str = "tsv", n_subjects: int = 25, nights: int = 3, criteria=None):
    """Write the cohort nights and a study manifest; returns (manifest, counts).

    ``kind="tsv"`` writes event TSVs (scored by plm), ``"json"`` writes
    per-night summary JSON files as ``plm batch`` leaves them.
    """
    counts = cohort_counts(n_subjects, nights)
    folder.mkdir(parents=True, exist_ok=True)
    manifest = folder / "manifest.csv"
    with open(manifest, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["subject", "visit", "night", "path"])
        for s in range(n_subjects):
            for visit in ("baseline", "followup"):
                for k in range(nights):
                    subj = f"P{s + 1:02d}"
                    n = int(counts[visit][s, k])
                    if kind == "tsv":
                        rel = f"{subj}/{visit}_night{k + 1}.tsv"
                        (folder / subj).mkdir(exist_ok=True)
                        write_night_tsv(folder / rel, n)
                    else:
                        rel = f"{subj}/{visit}_night{k + 1}_summary.json"
                        (folder / subj).mkdir(exist_ok=True)
                        (folder / rel).write_text(json.dumps(summary_json(n, criteria)), encoding="utf-8")
                    w.writerow([subj, visit, k + 1, rel])
    return manifest, counts
