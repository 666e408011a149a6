"""Text outputs round numbers by what they are: seconds to the ms, hours to 0.36 ms, indices to 0.01."""
from __future__ import annotations

import json
import math

from plm._util import csv_cell, decimals_for, json_text, rounded, tidy


def test_decimals_by_name():
    assert [decimals_for(n) for n in ("onset", "duration", "duration_s", "imi_mean", "lm_duration_median_left",
                                      "lights_off", "imi_histogram_edges")] == [3] * 7
    assert [decimals_for(n) for n in ("tst_hours", "hours_denominator", "stage_hours")] == [7] * 3
    assert [decimals_for(n) for n in ("plm_index", "plms_index_N2", "periodicity_index", "plm_clm_ratio",
                                      "baseline_index", "baseline_median", "pct_change", "mean_change",
                                      "within_subject_sd", "responders_pct", "mean_series_length", "bias",
                                      "loa_low")] == [2] * 13
    assert [decimals_for(n) for n in ("icc", "epoch_kappa", "r", "f1_left", "sensitivity", "ppv_right",
                                      "epoch_agreement")] == [3] * 7
    assert [decimals_for(n) for n in ("n_plm", "p_ttest", "amplitude", "n_epochs", None)] == [None] * 5


def test_float_noise_is_gone_and_values_stay_honest():
    assert rounded(2.075000000000003, "hours_denominator") == 2.075
    assert rounded(34.333333333333336, "plm_index") == 34.33
    assert rounded(1214.90234375, "onset") == 1214.902
    assert rounded(0.1 + 0.2, "p_ttest") == 0.3                 # 12 significant digits: noise only
    assert rounded(1.234567e-7, "p_wilcoxon") == 1.234567e-7    # a small p-value is not rounded away
    assert rounded(-0.0001, "plm_index") == 0.0 and math.copysign(1, rounded(-0.0001, "plm_index")) == 1
    assert rounded(7, "plm_index") == 7 and rounded(True, "onset") is True
    assert math.isnan(rounded(float("nan"), "onset"))


def test_tidy_nested_and_verbatim():
    s = {"plm_index": 34.333333333333336, "stage_hours": {"N1": 0.1 + 0.2}, "onset": [1.0004, 2.0006],
         "criteria": {"params": {"imi_min": 10.00049}}, "thresholds": {"complete_below": 5.0000001},
         "visits": {"V1": {"mean": 1 / 3, "n": 3}}, "x": float("inf")}
    assert tidy(s) == {"plm_index": 34.33, "stage_hours": {"N1": 0.3}, "onset": [1.0, 2.001],
                       "criteria": {"params": {"imi_min": 10.00049}}, "thresholds": {"complete_below": 5.0000001},
                       "visits": {"V1": {"mean": 0.33, "n": 3}}, "x": None}
    assert json.loads(json_text(s))["plm_index"] == 34.33
    assert json_text({"a": 1.5}, indent=None) == '{"a": 1.5}'


def test_csv_cells():
    assert csv_cell(34.333333333333336, "plm_index") == "34.33"
    assert csv_cell(float("nan"), "plm_index") == "" and csv_cell(None) == ""
    assert csv_cell(True) == "true" and csv_cell(3) == "3"


# ------------------------------------------------------------ whole outputs
import re  # noqa: E402
from pathlib import Path  # noqa: E402

SAMPLES = Path(__file__).resolve().parents[1] / "sample_recordings"
NOISE = re.compile(r"\d\.\d{8,}")  # more than 7 decimals: float noise, not a measured value


def _score_into(out: Path) -> dict[str, bytes]:
    from plm.cli import main

    args = ["score", str(SAMPLES / "pamrl_left.csv.gz"), str(SAMPLES / "pamrl_right.csv.gz"), "--out", str(out)]
    for fmt in ("csv", "xml", "h5", "edf"):
        args += ["--export", fmt]
    assert main(args) == 0
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def test_outputs_are_byte_identical_between_runs_and_rounded(tmp_path, capsys):
    first, second = _score_into(tmp_path / "a"), _score_into(tmp_path / "b")
    capsys.readouterr()
    assert sorted(first) == ["pamrl_events.json", "pamrl_events.tsv", "pamrl_nsrr.xml", "pamrl_result.h5",
                             "pamrl_scored.edf", "pamrl_summary.csv", "pamrl_summary.json"]
    assert first == second
    for name in ("pamrl_events.tsv", "pamrl_summary.csv", "pamrl_nsrr.xml"):
        text = first[name].decode()
        assert not NOISE.findall(text), (name, NOISE.findall(text)[:3])
    for name in ("pamrl_summary.json", "pamrl_events.json"):
        doc = json.loads(first[name])
        doc.pop("criteria", None)  # parameters are written as given
        assert not NOISE.findall(json.dumps(doc)), name
    summary = json.loads(first["pamrl_summary.json"])
    # 112 PLMs over 2.5 h; the first LM's duration 2.7749999999999986 s (offset - onset) is written 2.775
    # (the sample and its detection as of issue 11; before: 111 PLMs, 2.075000000000003 s)
    assert summary["plm_index"] == 44.8 and summary["hours_denominator"] == 2.5
    rows = [ln.split("\t") for ln in first["pamrl_events.tsv"].decode().splitlines()]
    assert rows[1][:3] == ["59.925", "2.775", "lm_left"]
