"""User-facing contracts: every output names criteria (hash) and version; criteria files; reader options."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

import plm
from plm.cli import main

SAMPLES = Path(__file__).resolve().parents[1] / "sample_recordings"


def test_outputs_carry_criteria_hash_and_version(tmp_path, capsys):
    out = tmp_path / "out"
    # imi_min=12 changes the hash away from the preset's: the outputs must carry the changed one.
    assert main(["score", str(SAMPLES / "psg_emg_truth.tsv"), "--set", "imi_min=12", "--out", str(out),
                 "--export", "csv"]) == 0
    expected = plm.criteria.get("wasm2016", imi_min=12).hash
    assert expected != plm.criteria.get("wasm2016").hash
    summary = json.loads((out / "psg_emg_truth_summary.json").read_text())
    assert summary["criteria"]["hash"] == expected and summary["version"] == plm.__version__
    with open(out / "psg_emg_truth_summary.csv", newline="") as fh:
        row = next(csv.DictReader(fh))
    assert row["criteria_hash"] == expected and row["version"] == plm.__version__
    sidecar = json.loads((out / "psg_emg_truth_events.json").read_text())
    assert sidecar["criteria"]["hash"] == expected and sidecar["criteria"]["params"]["imi_min"] == 12
    assert sidecar["plm_version"] == plm.__version__


def test_events_tsv_with_provenance_lines_reads_back(tmp_path):
    res = plm.score(plm.read_events(SAMPLES / "psg_emg_truth.tsv"))
    path = tmp_path / "night_events.tsv"
    res.save(path)
    back = plm.read_events(path)
    # The written table holds the scored monolateral LMs; reading it back and
    # scoring again gives the same night.
    np.testing.assert_allclose(back.onset, res.events["onset"])
    again = plm.score(back)
    assert (again.n_lm, again.n_plm, again.plm_index) == (res.n_lm, res.n_plm, res.plm_index)


def test_int_and_float_values_hash_alike():
    # --set imi_min=12 parses to 12.0; plm.score(..., imi_min=12) passes an int.
    # Both score the same, so the recorded hash must be the same (study and
    # batch --resume compare hashes).
    from plm.criteria import Criteria, get, parse_overrides

    a = get("wasm2016", imi_min=12)
    b = get("wasm2016").replace(**parse_overrides(["imi_min=12"]))
    assert a.hash == b.hash and a == b
    assert isinstance(a.imi_min, float)
    assert Criteria(imi_max=90).hash == Criteria().hash
    assert get("wasm2016", min_series_length=4).hash == get("wasm2016").hash  # int field untouched


def test_plm_criteria_output_is_a_criteria_file(tmp_path, capsys):
    # What `plm criteria NAME --set ...` prints (and the "criteria" record of
    # every summary) can be saved and given back as --criteria FILE.
    assert main(["criteria", "aasm", "--set", "imi_min=25"]) == 0
    path = tmp_path / "my_lab.json"
    path.write_text(capsys.readouterr().out)
    expected = plm.criteria.get("aasm", imi_min=25)
    assert plm.Criteria.from_json(path.read_text()) == expected
    assert main(["score", str(SAMPLES / "psg_emg_truth.tsv"), "--criteria", str(path), "--json"]) == 0
    line = json.loads(capsys.readouterr().out)
    assert line["criteria"]["hash"] == expected.hash and line["criteria"]["name"] == "aasm"
    summary_record = plm.score(plm.read_events(SAMPLES / "psg_emg_truth.tsv"), expected).summary()["criteria"]
    assert plm.Criteria.from_dict(summary_record) == expected


def test_read_events_option_a_format_does_not_take_is_an_input_error():
    # plm.read already turns such options into a one-line InputError; read_events
    # raised a TypeError from inside the reader.
    import pytest

    from plm.errors import InputError

    with pytest.raises(InputError, match=r"pamrl_truth.tsv: option\(s\) hypnogram do not apply to events-tsv"):
        plm.read_events(SAMPLES / "pamrl_truth.tsv", hypnogram="staging.txt")
    # None means "not given" (what the CLI passes) and is accepted.
    import json

    expected = json.loads((SAMPLES / "pamrl_truth.json").read_text())
    assert len(plm.read_events(SAMPLES / "pamrl_truth.tsv", hypnogram=None)) == (
        expected["n_lm_left"] + expected["n_lm_right"])
