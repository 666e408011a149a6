"""`plm info` and `plm convert` on raw recordings."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import plm
from plm.cli import main
from plm.io.accel_csv import write_accel_csv
from plm.io.hdf5 import read_hdf5

T0 = dt.datetime(2026, 3, 1, 22, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def ankles(tmp_path):
    rng = np.random.default_rng(0)
    left = np.round(rng.normal(0, 0.2, (3, 4000)), 5)
    right = np.round(rng.normal(0, 0.2, (3, 3600)), 5)
    lp = write_accel_csv(tmp_path / "night_L.csv.gz", left, 40, T0, side="left", device="PAM-RL",
                         timezone="Europe/Berlin")
    rp = write_accel_csv(tmp_path / "night_R.csv", right, 40, T0 + dt.timedelta(seconds=10), side="right",
                         device="PAM-RL", timezone="Europe/Berlin")
    return lp, rp, left, right


def test_info_text(ankles, capsys):
    lp, _, _, _ = ankles
    assert main(["info", str(lp)]) == 0
    out = capsys.readouterr().out
    assert "accel-csv" in out and "PAM-RL" in out
    assert "2026-03-01T22:30:00+01:00 (Europe/Berlin)" in out
    assert "0.03 h (4000 samples at 40 Hz)" in out  # 4000 / 40 = 100 s = 0.028 h
    assert "left_x" in out and "leg channels  left: left_x, left_y, left_z" in out
    assert "staging       none" in out


def test_info_json(ankles, capsys):
    lp, rp, _, _ = ankles
    assert main(["info", "--json", str(lp), str(rp)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    a, b = (json.loads(x) for x in lines)
    assert a["format"] == "accel-csv" and a["sfreq"] == 40 and a["duration_s"] == 100.0
    assert a["start_time"] == "2026-03-01T22:30:00+01:00" and a["timezone"] == "Europe/Berlin"
    assert [c["unit"] for c in a["channels"]] == ["g"] * 3
    assert {c["side"] for c in b["channels"]} == {"right"} and b["leg_channels"] == {"right": ["right_x", "right_y", "right_z"]}
    assert a["nights"] >= 1 and a["missing_samples"] == 0


def test_info_edf_lists_all_channels(tmp_path, capsys):
    edfio = pytest.importorskip("edfio")
    rng = np.random.default_rng(1)
    sigs = [edfio.EdfSignal(rng.normal(0, 3, 512 * 10), 512, label="C3-M2", physical_dimension="uV"),
            edfio.EdfSignal(rng.normal(0, 3, 256 * 10), 256, label="LAT", physical_dimension="uV"),
            edfio.EdfSignal(rng.normal(0, 3, 256 * 10), 256, label="RAT", physical_dimension="uV")]
    p = tmp_path / "psg.edf"
    edfio.Edf(sigs, starttime=dt.time(22, 0)).write(p)
    assert main(["info", "--json", "--tz", "Europe/Berlin", str(p)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["format"] == "edf" and info["sfreq"] == 256
    assert [c["name"] for c in info["file_channels"]] == ["C3-M2", "LAT", "RAT"]
    assert [c["sfreq"] for c in info["file_channels"]] == [512, 256, 256]
    assert info["leg_channels"] == {"left": ["LAT"], "right": ["RAT"]}
    assert info["start_time"].endswith("+01:00")


def test_convert_two_ankles_to_h5(ankles, tmp_path, capsys):
    lp, rp, left, right = ankles
    hashes = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (lp, rp)}
    out = tmp_path / "night.h5"
    assert main(["convert", str(lp), str(rp), str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    for p, h in hashes.items():
        assert hashlib.sha256(p.read_bytes()).hexdigest() == h
    rec = read_hdf5(out)
    direct = plm.read([lp, rp])
    np.testing.assert_array_equal(rec.data, direct.data)
    assert rec.channels == direct.channels and rec.start_time == direct.start_time
    assert rec.timezone == "Europe/Berlin" and rec.n_samples == 4000
    # right starts 10 s = 400 samples later
    assert np.isnan(rec.data[3:, :400]).all()
    np.testing.assert_allclose(rec.data[3:, 400:], right, atol=1e-12)
    np.testing.assert_allclose(rec.data[:3], left, atol=1e-12)


def test_convert_to_csv_and_edf(ankles, tmp_path):
    lp, rp, left, _ = ankles
    out = tmp_path / "left_again.csv"
    assert main(["convert", str(lp), str(rp), str(out), "--side", "left"]) == 0
    np.testing.assert_allclose(plm.read(out).data, left, atol=1e-12)
    pytest.importorskip("edfio")
    edf_out = tmp_path / "left.edf"
    assert main(["convert", str(lp), str(edf_out)]) == 0
    assert edf_out.exists()


def test_convert_errors(ankles, tmp_path, capsys):
    lp, rp, _, _ = ankles
    assert main(["convert", str(lp)]) == 1
    assert "at least one input and one output" in capsys.readouterr().err
    assert main(["convert", str(lp), str(tmp_path / "x.txt")]) == 1
    assert "x.txt: output must end in" in capsys.readouterr().err
    assert main(["convert", str(lp), str(lp)]) == 1
    err = capsys.readouterr().err
    assert "is one of the input files" in err
    assert main(["convert", str(lp), str(rp), str(tmp_path / "both.csv")]) == 1
    assert "side=" in capsys.readouterr().err
    assert main(["convert", str(lp), str(tmp_path / "missing_dir" / "o.h5")]) == 1
    assert "does not exist" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text("# plm-accelerometer-csv 1\n# side: left\nx,y,z\n1,2,3\n")
    assert main(["convert", str(bad), str(tmp_path / "o.h5")]) == 1
    err = capsys.readouterr().err
    assert str(bad) in err and "missing" in err and "Traceback" not in err
    assert not (tmp_path / "o.h5").exists()


def test_subprocess_info(ankles):
    lp, _, _, _ = ankles
    r = subprocess.run([sys.executable, "-m", "plm", "info", str(lp)], capture_output=True, text=True,
                       env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "left_x" in r.stdout


def test_convert_then_score_gives_identical_json(tmp_path, capsys):
    # issue 5: `plm score out.h5` must equal scoring the input files (here both ankles of a generated night).
    import importlib.util

    script = ROOT / "sample_recordings" / "generate.py"
    if not script.exists():
        pytest.skip("sample generator not available")
    spec = importlib.util.spec_from_file_location("plm_sample_generate", script)
    gen = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = gen  # dataclasses look their module up while the file runs
    try:
        spec.loader.exec_module(gen)
    finally:
        sys.modules.pop(spec.name, None)
    rec, truth = gen.make_night("accel", hours=0.5, seed=3)
    files = [p for p in gen.write_night(tmp_path, "n", rec, truth) if "truth" not in p.name]
    assert main(["score", *map(str, files), "--json"]) == 0
    direct = json.loads(capsys.readouterr().out.strip().splitlines()[0])
    out = tmp_path / "n.h5"
    assert main(["convert", *map(str, files), str(out)]) == 0
    capsys.readouterr()
    assert main(["score", str(out), "--json"]) == 0
    again = json.loads(capsys.readouterr().out.strip().splitlines()[0])
    direct.pop("source"), again.pop("source")
    assert direct == again
    assert direct["n_lm"] > 0


def test_info_lists_stored_results(ankles, tmp_path, capsys):
    lp, rp, _, _ = ankles
    out = tmp_path / "night.h5"
    assert main(["convert", str(lp), str(rp), str(out)]) == 0
    result = plm.score(plm.read(out), "pamrl")
    from plm.io.hdf5 import write_result

    write_result(out, result)
    capsys.readouterr()
    assert main(["info", "--json", str(out)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["results"] == [{"key": result.criteria.hash, "criteria": "pamrl", "criteria_hash": result.criteria.hash,
                                "plm_index": result.measures["plm_index"], "n_plm": result.measures["n_plm"],
                                "n_lm": result.measures["n_lm"], "denominator": "recording",
                                "hours_denominator": result.measures["hours_denominator"], "source": str(out),
                                "start_time": result.start_time.isoformat(), "plm_version": plm.__version__}]
    assert main(["info", str(out)]) == 0
    assert f"stored result {result.criteria.hash}: pamrl" in capsys.readouterr().out
