"""plm calibrate: cached detection equals detection, fitting recovers a known gain, the criteria file.

The known answer: a generated EMG night whose amplitudes (signal and noise
floor alike) are scaled by 0.3, as by an amplifier with another gain. The
detection thresholds are in uV above the resting level, so the thresholds
that detect on it what the default ones detect on the unscaled night are
0.3 times the defaults; the fit must land near them and bring F1 back,
also on another night of the same "device".
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import warnings

import numpy as np
import pytest

import plm
from plm.cli import main
from plm.detect import detect
from plm.detect.cached import THRESHOLD_FIELDS, CachedDetection
from plm.model import LegMovements
from plm.scoring.agreement import compare_nights
from plm.workflows.calibrate import FITTED_FIELDS, calibrate

from generated_nights import SAMPLES, generator, night

GAIN = 0.3


def _scaled(seed, gain=GAIN, hours=1.0):
    rec, truth = night("emg", hours, seed)
    rec = rec.replace(data=rec.data * gain)
    ref = LegMovements(onset=truth.onset, duration=truth.duration, side=truth.side, start_time=rec.start_time,
                       duration_s=rec.duration, source=f"truth seed {seed}")
    return rec, ref


def _same(a: LegMovements, b: LegMovements) -> bool:
    return (np.array_equal(a.onset, b.onset) and np.array_equal(a.duration, b.duration)
            and np.array_equal(a.side, b.side) and np.array_equal(a.amplitude, b.amplitude))


def test_fitted_fields_are_threshold_fields():
    for modality, fields in FITTED_FIELDS.items():
        assert set(fields) <= set(THRESHOLD_FIELDS[modality])
        for f in fields:
            assert hasattr(plm.criteria.get(), f)


@pytest.mark.parametrize("files, preset, changes", [
    (["psg_emg.edf"], "wasm2016", [{}, {"emg_onset_uv": 4.0, "emg_offset_uv": 1.0},
                                  {"emg_onset_uv": 15.0, "emg_offset_uv": 6.0}]),
    (["pamrl_left.csv.gz", "pamrl_right.csv.gz"], "pamrl",
     [{}, {"accel_onset_g": 0.08, "accel_offset_g": 0.04}, {"accel_onset_g": 0.5, "accel_offset_g": 0.3}]),
])
def test_cached_detection_equals_detection(files, preset, changes):
    paths = [str(SAMPLES / f) for f in files]
    rec = plm.read(paths if len(paths) > 1 else paths[0])
    base = plm.criteria.get(preset)
    cache = CachedDetection(rec, base)
    counts = set()
    for change in changes:
        crit = base.replace(**change)
        got = cache.detect(crit)
        assert _same(got, detect(rec, crit)), change
        counts.add(len(got))
    assert len(counts) > 1 or rec.modality == "emg"   # the thresholds do change something
    with pytest.raises(ValueError, match="only change"):
        cache.detect(base.replace(lm_min_duration=0.6))


def test_fit_recovers_the_gain_and_carries_to_another_night():
    rec, ref = _scaled(11)
    cal = calibrate(rec, ref)
    on, off = cal.fields["emg_onset_uv"]["fitted"], cal.fields["emg_offset_uv"]["fitted"]
    assert 0.5 * GAIN * 8.0 <= on <= 1.5 * GAIN * 8.0
    assert 0.5 * GAIN * 2.0 <= off <= 1.5 * GAIN * 2.0
    assert cal.f1_before < 0.9 and cal.f1_after >= 0.99
    assert cal.nights[0]["f1_after"] == cal.f1_after
    # a later night of the same device, scored with the written criteria
    rec2, ref2 = _scaled(12)
    s = compare_nights(plm.score(ref2), plm.score(rec2, cal.criteria)).summary()
    assert s["f1_left"] >= 0.97 and s["f1_right"] >= 0.97
    assert abs(s["n_plm_test"] - s["n_plm_reference"]) <= 0.05 * s["n_plm_reference"]


def test_base_that_already_agrees_is_kept():
    rec, truth = night("emg", 1.0, 11)
    ref = LegMovements(onset=truth.onset, duration=truth.duration, side=truth.side, start_time=rec.start_time,
                       duration_s=rec.duration)
    cal = calibrate(rec, ref)
    if cal.f1_before == 1.0:
        assert cal.criteria.hash == plm.criteria.get().hash
    assert cal.f1_after >= cal.f1_before


def test_cli_writes_a_criteria_file_that_score_accepts(tmp_path, capsys):
    rec, ref = _scaled(11)
    gen = generator()
    _, truth = night("emg", 1.0, 11)
    edf = gen.write_night(tmp_path, "gain", rec, truth)[0]
    out = tmp_path / "lab.json"
    assert main(["calibrate", str(edf), "--reference", str(tmp_path / "gain_truth.tsv"), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "F1 before" in text and "emg_onset_uv" in text
    doc = json.loads(out.read_text())
    cal = doc["calibration"]
    night0 = cal["nights"][0]
    assert night0["recording"][0] == {"file": "gain.edf", "sha256": hashlib.sha256(edf.read_bytes()).hexdigest()}
    assert night0["reference"]["file"] == "gain_truth.tsv" and len(night0["reference"]["sha256"]) == 64
    assert cal["plm_version"] == plm.__version__
    assert abs(dt.datetime.fromisoformat(cal["date"]) - dt.datetime.now(dt.timezone.utc)) < dt.timedelta(hours=1)
    assert cal["f1_after"] > cal["f1_before"]
    # complete: every criteria field, and the hash of those params
    crit = plm.criteria.Criteria.from_json(out.read_text())
    assert set(doc["params"]) == {f.name for f in dataclasses.fields(crit)} and doc["hash"] == crit.hash
    assert crit.emg_onset_uv == cal["fitted"]["emg_onset_uv"]["fitted"]
    assert main(["score", str(edf), "--criteria", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["criteria"]["hash"] == crit.hash
    assert summary["n_plm"] == truth.expected["n_plm"]


def _state_length(tsv, seconds):
    # a lab's reference scoring says how long the recording was; without it plm warns that it assumes
    # the span up to the last event, which would add a warning per night here
    tsv.write_text(f"# duration_s: {seconds}\n" + tsv.read_text(encoding="utf-8"), encoding="utf-8")


def test_manifest_fits_one_setting_and_warns_about_a_far_night(tmp_path, capsys):
    # Nights a and b: a low-gain device (0.15), detected well only with onset thresholds below ~2 uV.
    # Night odd: full gain with strong artefacts (severity 3), detected well only above ~3.5 uV.
    gen = generator()
    lines = ["night,reference,test"]
    for name, seed, gain, imp, sev in (("a", 11, 0.15, (), 1.0), ("b", 12, 0.15, (), 1.0),
                                       ("odd", 13, 1.0, ("drift", "mains", "pops", "cardiac"), 3.0)):
        rec, truth = night("emg", 1.0, seed, imp, sev)
        rec = rec.replace(data=rec.data * gain)
        gen.write_night(tmp_path, name, rec, truth)
        _state_length(tmp_path / f"{name}_truth.tsv", rec.duration)
        lines.append(f"{name},{name}_truth.tsv,{name}.edf")
    (tmp_path / "m.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "fit.json"
    assert main(["calibrate", "--manifest", str(tmp_path / "m.csv"), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "night odd" in captured.err and "far from the other nights'" in captured.err
    assert captured.err.count("plm: warning:") == 1
    doc = json.loads(out.read_text())["calibration"]
    rows = {r["night"]: r for r in doc["nights"]}
    assert set(rows) == {"a", "b", "odd"}
    assert rows["odd"]["far"] and not rows["a"]["far"] and not rows["b"]["far"]
    assert rows["odd"]["own_best"]["emg_onset_uv"] > 1.5 * rows["a"]["own_best"]["emg_onset_uv"]
    assert rows["a"]["f1_after"] > rows["a"]["f1_before"] and rows["odd"]["f1_own_best"] >= 0.99
    assert rows["odd"]["f1_at_others_best"] < rows["odd"]["f1_own_best"] - 0.02
    assert doc["warnings"] and "odd" in doc["warnings"][0]


def test_a_fit_that_cannot_improve_is_a_clear_error():
    rec, ref = _scaled(11, hours=0.5)
    empty = LegMovements(onset=[], duration=[], side=[], start_time=rec.start_time, duration_s=rec.duration,
                         source="empty.tsv")
    with pytest.raises(plm.InputError, match="empty.tsv: has no leg movements"):
        calibrate(rec, empty)
    elsewhere = ref.replace(start_time=rec.start_time + dt.timedelta(days=2), source="other.tsv")
    with pytest.raises(plm.InputError, match="other.tsv: shares no time"):
        calibrate(rec, elsewhere)
    with pytest.raises(plm.InputError, match="raw recording"):
        calibrate(str(SAMPLES / "psg_emg_truth.tsv"), ref)


def test_cli_error_is_one_line(tmp_path, capsys):
    assert main(["calibrate", str(SAMPLES / "psg_emg.edf"), "--reference", str(tmp_path / "none.tsv"),
                 "--out", str(tmp_path / "x.json")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("plm: error:") and err.count("\n") == 1
    assert not (tmp_path / "x.json").exists()


def test_accelerometer_path_fits_todays_accel_fields():
    rec, truth = night("accel", 1.0, 11, ("noise",))
    # weaker coupling of the movements to the sensor; gravity (the posture) stays 1 g
    posture = np.median(rec.data, axis=1, keepdims=True)
    rec = rec.replace(data=posture + 0.4 * (rec.data - posture))
    ref = LegMovements(onset=truth.onset, duration=truth.duration, side=truth.side, start_time=rec.start_time,
                       duration_s=rec.duration)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cal = calibrate(rec, ref, "pamrl")
    assert cal.modality == "accel" and set(cal.fields) == set(FITTED_FIELDS["accel"])
    assert cal.f1_after >= 0.99 and cal.f1_after > cal.f1_before
    assert cal.fields["accel_onset_g"]["fitted"] < 0.2


def test_criteria_file_with_calibration_record_is_accepted_and_bad_file_named(tmp_path, capsys):
    doc = {**plm.criteria.get().replace(emg_onset_uv=5.0).describe(), "calibration": {"nights": []}}
    good = tmp_path / "good.json"
    good.write_text(json.dumps(doc), encoding="utf-8")
    assert plm.criteria.Criteria.from_json(good.read_text()).emg_onset_uv == 5.0
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**doc, "params": {**doc["params"], "emg_onset_uv": -1}}), encoding="utf-8")
    assert main(["score", str(SAMPLES / "psg_emg_truth.tsv"), "--criteria", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "bad.json" in err and "emg_onset_uv" in err and err.count("\n") == 1
