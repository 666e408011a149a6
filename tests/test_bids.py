"""``plm score --out DIR --bids``: a BIDS derivatives dataset, checked by the BIDS validator when it is installed."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

import plm
from plm.cli import main
from plm.criteria import get as get_criteria
from plm.errors import InputError
from plm.io.bids import bids_entities, night_entities
from plm.model import NightResult

SAMPLES = Path(__file__).resolve().parents[1] / "sample_recordings"
VALIDATOR = shutil.which("bids-validator-deno") or shutil.which("bids-validator")


def _validate(root: Path) -> list[tuple[str, str]]:
    """(code, location) of every error the BIDS validator finds (warnings are advice)."""
    out = subprocess.run([VALIDATOR, str(root), "--format", "json"], capture_output=True, text=True, timeout=300)
    issues = json.loads(out.stdout)["issues"]["issues"]
    return [(i["code"], i.get("location", "")) for i in issues if i["severity"] == "error"]


def test_entities_of_bids_names():
    assert bids_entities("data/sub-01/ses-02/eeg/sub-01_ses-02_task-sleep_run-1_eeg.edf") == (
        {"sub": "01", "ses": "02", "task": "sleep", "run": "1"}, "eeg")
    assert bids_entities("sub-P7_task-night_tracksys-ankle_motion.tsv.gz") == (
        {"sub": "P7", "task": "night", "tracksys": "ankle"}, "motion")
    assert bids_entities("pamrl_left.csv.gz") == ({}, None)
    assert bids_entities("ses-1_task-x_eeg.edf") == ({}, None)  # no subject: not a BIDS data file
    assert bids_entities("sub-01_night_left_x.csv") == ({}, None)


def test_score_bids_layout_from_a_bids_name(tmp_path, capsys):
    src = tmp_path / "raw" / "sub-01" / "ses-02" / "eeg" / "sub-01_ses-02_task-sleep_eeg.edf"
    src.parent.mkdir(parents=True)
    shutil.copy(SAMPLES / "psg_emg.edf", src)
    out = tmp_path / "derivatives" / "plm"
    assert main(["score", str(src), "--out", str(out), "--bids", "--export", "csv"]) == 0
    capsys.readouterr()
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    night = "sub-01/ses-02/eeg/sub-01_ses-02_task-sleep"
    assert files == [".bidsignore", "README", "dataset_description.json", f"{night}_events.json",
                     f"{night}_events.tsv", f"{night}_summary.csv", f"{night}_summary.json"]
    desc = json.loads((out / "dataset_description.json").read_text())
    assert desc["DatasetType"] == "derivative" and desc["GeneratedBy"][0] == {
        "Name": "plm", "Version": plm.__version__, "Description": desc["GeneratedBy"][0]["Description"]}
    assert desc["BIDSVersion"].startswith("1.")
    ignore = (out / ".bidsignore").read_text().split()
    assert "*_summary.json" in ignore and "*_summary.csv" in ignore and "*_events.tsv" not in ignore
    # the events file: 26 LMs of the sample night, with the recording's start time in the sidecar
    ev = pd.read_csv(out / f"{night}_events.tsv", sep="\t")
    assert len(ev) == 26 and set(ev["trial_type"]) == {"lm_left", "lm_right"}
    side = json.loads((out / f"{night}_events.json").read_text())
    assert side["start_time"] == "2026-03-01T22:30:00+01:00" and side["duration_s"] == 1800.0
    if VALIDATOR:
        assert _validate(out) == []


def test_score_bids_layout_with_subject_given(tmp_path, capsys):
    out = tmp_path / "deriv"
    events = SAMPLES / "psg_emg_truth.tsv"
    assert main(["score", str(events), "--out", str(out), "--bids", "--subject", "P7"]) == 0
    capsys.readouterr()
    # an event file, no session: sub-P7/beh/, task sleep
    assert (out / "sub-P7" / "beh" / "sub-P7_task-sleep_events.tsv").is_file()
    assert (out / "sub-P7" / "beh" / "sub-P7_task-sleep_summary.json").is_file()
    # a second night of another session goes beside it; the dataset files stay one set
    assert main(["score", str(events), "--out", str(out), "--bids", "--subject", "sub-P7", "--session", "2"]) == 0
    capsys.readouterr()
    assert (out / "sub-P7" / "ses-2" / "beh" / "sub-P7_ses-2_task-sleep_events.tsv").is_file()
    assert sorted((out / ".bidsignore").read_text().split()) == sorted(set((out / ".bidsignore").read_text().split()))
    if VALIDATOR:
        assert _validate(out) == []


def test_bids_needs_a_subject_and_an_out_folder(tmp_path, capsys):
    events = str(SAMPLES / "psg_emg_truth.tsv")
    assert main(["score", events, "--out", str(tmp_path / "o"), "--bids"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "subject is not known" in err and "--subject" in err
    assert main(["score", events, "--bids"]) == 1
    assert "needs --out" in capsys.readouterr().err
    assert main(["score", events, "--out", str(tmp_path / "o"), "--bids", "--subject", "P-7"]) == 1
    assert "not a BIDS label" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_nights_of_one_recording_are_runs():
    crit = get_criteria("wasm2016")
    res = NightResult({}, None, None, crit, source="/d/sub-01_ses-1_task-sleep_eeg.edf",
                      extra={"n_nights": 3, "night_index": 1})
    assert night_entities(res) == ({"sub": "01", "ses": "1", "task": "sleep", "run": "2"}, "eeg")
    # left and right files of one night keep the entities they share
    two = NightResult({}, None, None, crit, source="sub-3_task-sleep_acq-left_motion.csv; "
                                                   "sub-3_task-sleep_acq-right_motion.csv")
    assert night_entities(two) == ({"sub": "3", "task": "sleep"}, "motion")
    clash = NightResult({}, None, None, crit, source="sub-3_task-a_eeg.edf; sub-4_task-a_eeg.edf")
    with pytest.raises(InputError, match="different sub- labels"):
        night_entities(clash)


@pytest.mark.skipif(VALIDATOR is None, reason="the BIDS validator (pip install bids-validator-deno) is not installed")
def test_validator_finds_a_broken_layout(tmp_path, capsys):
    # the check can fail: an events file without its task entity is not BIDS
    src = tmp_path / "sub-01_ses-02_task-sleep_eeg.edf"
    shutil.copy(SAMPLES / "psg_emg.edf", src)
    out = tmp_path / "d"
    assert main(["score", str(src), "--out", str(out), "--bids"]) == 0
    capsys.readouterr()
    folder = out / "sub-01" / "ses-02" / "eeg"
    (folder / "sub-01_ses-02_task-sleep_events.tsv").rename(folder / "sub-01_ses-02_events.tsv")
    assert ("ALL_FILENAME_RULES_HAVE_ISSUES", "/sub-01/ses-02/eeg/sub-01_ses-02_events.tsv") in _validate(out)
