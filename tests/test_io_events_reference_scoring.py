"""Every shared reference night is read and scored (wasm2016, aasm) through the public API and the CLI."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

import plm
from plm.cli import main

from _reference_nights import reference_file, reference_nights

CASES = [
    (("G21945_V1N1", "remlogic_events.txt"), {}, 122),
    (("G21945_V1N1", "events.tsv"), {}, 122),
    (("G16605_V1N2", "lm_events_matplm.txt"),
     {"hypnogram": "remlogic_hypnogram.txt", "arousals": "remlogic_arousals.txt", "respiratory": "remlogic_resp.txt"},
     133),
    (("night_2013-07-26", "lm_events_matplm.txt"), {}, 389 + 585),
    (("sev_tutorial", "SEV_Tutorial.SCO"), {}, 35),
]


@pytest.mark.parametrize("parts, extra, n_lm_file", CASES, ids=[c[0][0] for c in CASES])
@pytest.mark.parametrize("criteria", ["wasm2016", "aasm"])
def test_reference_night_scores(parts, extra, n_lm_file, criteria):
    path = reference_file(*parts)
    lms = plm.read_events(path, **{k: path.parent / v for k, v in extra.items()})
    assert len(lms) == n_lm_file
    s = plm.score(lms, criteria).summary()
    assert 0 <= s["n_plm"] <= s["n_clm"] <= s["n_lm"] <= n_lm_file
    # every monolateral LM of the file is scored or accounted for as not scored
    assert s["n_lm_left"] + s["n_lm_right"] + s["n_lm_not_scored"] == n_lm_file
    assert s["hours_denominator"] > 0 and math.isfinite(s["plm_index"])
    assert s["plm_index"] == pytest.approx(s["n_plms" if s["denominator"] == "tst" else "n_plm"]
                                           / s["hours_denominator"])


def test_g21945_two_files_same_numbers():
    a = plm.score(plm.read_events(reference_file("G21945_V1N1", "remlogic_events.txt"))).summary()
    b = plm.score(plm.read_events(reference_file("G21945_V1N1", "events.tsv"))).summary()
    keys = ("n_lm", "n_clm", "n_clmr", "n_plm", "n_plms", "n_series", "plms_index", "periodicity_index")
    assert {k: a[k] for k in keys} == {k: b[k] for k in keys}
    # technician list: 122 LMs in 7.73 h of sleep, so no more than 122 / 7.733 = 15.8 PLMS/h can come out
    assert a["tst_hours"] == pytest.approx(928 * 30 / 3600)  # 959 epochs - 31 W
    assert a["plms_index"] <= 122 / a["tst_hours"]


def test_cli_scores_remlogic_export(capsys):
    path = reference_file("G21945_V1N1", "remlogic_events.txt")
    assert main(["score", str(path), "--criteria", "aasm", "--json"]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["criteria"]["name"] == "aasm" and out["n_lm"] <= 122


def test_reference_folder_lookup():
    folder = reference_nights()
    if folder is None:
        pytest.skip("shared reference nights not available")
    assert (folder / "README.md").is_file()
    assert np.all([f.is_dir() for f in folder.iterdir() if f.suffix == ""])


def test_cli_separate_exports(capsys, tmp_path):
    lm_path = reference_file("G16605_V1N2", "lm_events_matplm.txt")
    d = lm_path.parent
    assert main(["score", str(lm_path), "--json", "--hypnogram", str(d / "remlogic_hypnogram.txt"),
                 "--arousals", str(d / "remlogic_arousals.txt"), "--respiratory", str(d / "remlogic_resp.txt")]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    # with the hypnogram the index is per hour of sleep: 960 epochs - 94 W = 866 epochs
    assert out["denominator"] == "tst" and out["hours_denominator"] == pytest.approx(866 * 30 / 3600)
    # separate exports make no sense for a format with its own staging
    sco = reference_file("sev_tutorial", "SEV_Tutorial.SCO")
    assert main(["score", str(sco), "--hypnogram", str(d / "remlogic_hypnogram.txt")]) == 1
    assert "apply to RemLogic exports" in capsys.readouterr().err
