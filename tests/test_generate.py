"""The sample-recording generator: determinism, ground truth by design, files, bundled samples."""
import json
import subprocess
import sys

import numpy as np
import pytest

import plm
from generated_nights import SAMPLES, generator, night
from plm.model import LegMovements
from plm.scoring import score_events


def test_deterministic_for_a_seed_and_different_across_seeds():
    gen = generator()
    a, ta = gen.make_night("emg", 0.25, 5, ("cardiac", "pops"))
    b, tb = gen.make_night("emg", 0.25, 5, ("cardiac", "pops"))
    c, _ = gen.make_night("emg", 0.25, 6, ("cardiac", "pops"))
    assert np.array_equal(a.data, b.data) and np.array_equal(ta.onset, tb.onset)
    assert not np.array_equal(a.data, c.data)


@pytest.mark.parametrize("kind", ["accel", "emg"])
def test_truth_has_every_kind_of_movement_with_designed_timing(kind):
    rec, truth = night(kind, 1.5, 21, ())
    assert {"series", "triplet", "isolated", "long"} <= set(truth.kind)
    assert len(truth.short_onset) > 0
    assert np.all(truth.short_duration < 0.5)
    assert np.all(truth.duration[truth.kind == "long"] > 10.0)
    assert np.all((truth.duration[truth.kind != "long"] >= 0.8) & (truth.duration[truth.kind != "long"] <= 4.0))
    # bilateral movements exist (left and right onsets within 0.3 s)
    left, right = truth.leg("left")[0], truth.leg("right")[0]
    assert np.min(np.abs(left[:, None] - right[None, :])) <= 0.3
    # isolated LMs are > 90 s from any other LM
    for t0 in truth.onset[truth.kind == "isolated"]:
        others = np.abs(truth.onset - t0)
        assert np.all(others[others > 0.31] > 90.0)
    assert rec.duration == pytest.approx(1.5 * 3600)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_expected_plm_count_agrees_with_the_scorer_on_true_lms(seed):
    """The PLM count known by design equals the WASM 2016 scorer run on the true LMs."""
    _, truth = night("accel", 1.5, seed, ())
    lms = LegMovements(onset=truth.onset, duration=truth.duration, side=truth.side, duration_s=1.5 * 3600)
    s = score_events(lms, plm.criteria.get("wasm2016")).summary()
    assert s["n_plm"] == truth.expected["n_plm"]
    assert s["n_series"] == truth.expected["n_series"]
    assert s["n_clm"] == truth.expected["n_clm"]
    assert s["n_lm_left"] == truth.expected["n_lm_left"]


def test_written_accel_night_reads_back_and_scores(tmp_path):
    gen = generator()
    rec, truth = gen.make_night("accel", 0.5, 4, ("noise", "quantisation"))
    files = gen.write_night(tmp_path, "n", rec, truth)
    names = sorted(p.name for p in files)
    assert names == ["n_left.csv.gz", "n_right.csv.gz", "n_truth.tsv"]
    back = plm.read([tmp_path / "n_left.csv.gz", tmp_path / "n_right.csv.gz"])
    assert back.sfreq == 40.0 and back.sides == ["left", "right"]
    # quantised to 1/64 g, written with 4 decimals: equal to 5e-5 g
    np.testing.assert_allclose(back.data, rec.data, atol=5.1e-5)
    events = plm.read_events(tmp_path / "n_truth.tsv")
    assert np.allclose(np.sort(events.onset), np.sort(truth.onset), atol=1e-3)
    meta = json.loads((tmp_path / "n_truth.json").read_text())
    assert meta["n_plm"] == truth.expected["n_plm"]


def test_written_emg_night_reads_back(tmp_path):
    gen = generator()
    rec, truth = gen.make_night("emg", 0.1, 4, ("mains",))
    gen.write_night(tmp_path, "e", rec, truth)
    back = plm.read(tmp_path / "e.edf")
    assert back.sfreq == 256.0 and back.sides == ["left", "right"]
    # EDF keeps 16 bits over the channel's range (a few hundred uV here)
    np.testing.assert_allclose(back.data, rec.data[:, : back.n_samples], atol=0.05)


def test_script_writes_files(tmp_path):
    out = subprocess.run(
        [sys.executable, str(SAMPLES / "generate.py"), "--out", str(tmp_path), "--kind", "accel",
         "--hours", "0.1", "--impairments", "noise,gravity_drift", "--name", "x"],
        capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "x_left.csv.gz").exists() and (tmp_path / "x_truth.tsv").exists()


def test_script_refuses_an_impairment_of_the_other_modality(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        generator().main(["--out", str(tmp_path), "--kind", "emg", "--hours", "0.1", "--impairments", "quantisation"])
    assert exc.value.code != 0
    assert "unknown impairment" in capsys.readouterr().err


def test_bundled_samples_exist_are_small_and_score_to_their_truth():
    files = ["pamrl_left.csv.gz", "pamrl_right.csv.gz", "pamrl_truth.tsv", "psg_emg.edf", "psg_emg_truth.tsv"]
    for name in files:
        assert (SAMPLES / name).exists(), name
    total = sum(p.stat().st_size for p in SAMPLES.iterdir() if p.is_file())
    assert total < 5_000_000
    expected = json.loads((SAMPLES / "psg_emg_truth.json").read_text())
    res = plm.score(SAMPLES / "psg_emg.edf")
    assert abs(res.summary()["n_plm"] - expected["n_plm"]) <= 0.05 * expected["n_plm"]


def test_readme_quick_start_sample_scores_to_its_truth():
    expected = json.loads((SAMPLES / "pamrl_truth.json").read_text())
    rec = plm.read([SAMPLES / "pamrl_left.csv.gz", SAMPLES / "pamrl_right.csv.gz"])
    s = plm.score(rec, "pamrl").summary()
    assert abs(s["n_plm"] - expected["n_plm"]) <= 0.05 * expected["n_plm"]
    assert s["n_lm_left"] == pytest.approx(expected["n_lm_left"], abs=2)
