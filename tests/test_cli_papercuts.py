"""CLI papercuts of issue 15 (item 7), each with the exact message the user reads."""
from __future__ import annotations

import json

import numpy as np
import pytest

import plm
from plm import criteria
from plm.cli import main
from plm.errors import CriteriaError
from generated_nights import SAMPLES

TSV = "onset\tduration\ttype\n10\t1\tlm_left\n40\t1\tlm_left\n"
# lights-off without lights-on: the scorer warns that the recording end stands in for it
LIGHTS_OFF_ONLY = "onset\tduration\ttype\n5\t0\tlights_off\n10\t1\tlm_left\n40\t1\tlm_left\n"


def run(capsys, argv):
    code = main(argv)
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def test_export_without_out_is_an_error(capsys, tmp_path):
    night = tmp_path / "n.tsv"
    night.write_text(TSV)
    code, out, err = run(capsys, ["score", str(night), "--export", "csv"])
    assert (code, out) == (1, "")
    assert err == "plm: error: --export: needs --out DIR, the folder the exported files are written to\n"


def test_score_of_a_folder_suggests_batch(capsys, tmp_path):
    folder = tmp_path / "my nights"
    folder.mkdir()
    code, _, err = run(capsys, ["score", str(folder)])
    assert code == 1
    assert err == (f"plm: error: {folder}: is a folder; `plm score` scores the files of one night. To score "
                   f"every recording in a folder: plm batch '{folder}' --out DIR\n")


@pytest.mark.parametrize("typed, suggestion", [
    ("wasm2061", " (did you mean 'wasm2016' or 'wasm2006'?)"),
    # no alias: "wasm" alone could be either standard
    ("wasm", " (did you mean 'wasm2016' or 'wasm2006'?)"),
    ("pam-rl", " (did you mean 'pamrl'?)"),
    ("aasm2", " (did you mean 'aasm' or 'aasm2007'?)"),
    ("zzz", ""),
])
def test_unknown_criteria_name_suggests_the_close_ones(capsys, typed, suggestion):
    code, _, err = run(capsys, ["criteria", typed])
    assert code == 1
    assert err == (f"plm: error: unknown criteria {typed!r}{suggestion}; choose one of wasm2016, wasm2006, aasm, "
                   "pamrl, aasm2007 or a criteria JSON file\n")
    with pytest.raises(CriteriaError) as exc:
        criteria.get(typed)
    assert f"plm: error: {exc.value}\n" == err


def test_unknown_set_field_suggests_the_close_ones(capsys, tmp_path):
    night = tmp_path / "n.tsv"
    night.write_text(TSV)
    code, _, err = run(capsys, ["score", str(night), "--set", "imi_mn=5"])
    assert code == 1
    assert err == ("plm: error: unknown criteria field 'imi_mn' (did you mean 'imi_min'?); "
                   "`plm criteria --fields` lists the fields\n")
    with pytest.raises(CriteriaError, match=r"^unknown criteria field 'bilatral_gap' \(did you mean 'bilateral_gap'\?\)"):
        criteria.get("wasm2016").replace(bilatral_gap=1.0)


def test_info_lists_what_a_results_only_hdf5_holds(capsys, tmp_path):
    night = tmp_path / "n.tsv"
    night.write_text(TSV)
    res = plm.score(plm.read_events(night))
    h5 = tmp_path / "n_result.h5"
    res.save(h5)
    code, out, _ = run(capsys, ["info", str(h5)])
    assert code == 0
    assert out.splitlines() == [
        str(h5),
        "  format        hdf5 (results)",
        "  recording     none: this file holds scored results only",
        f"  stored result {res.criteria.hash}: wasm2016, PLM index (recording) 0.0 /h, 0 PLMs (plm {plm.__version__})",
        f"                scored from {night}",
    ]
    code, out, _ = run(capsys, ["info", "--json", str(h5)])
    info = json.loads(out)
    assert info["kind"] == "results" and [r["n_lm"] for r in info["results"]] == [2]
    code, _, err = run(capsys, ["score", str(h5)])
    assert err == f"plm: error: {h5}: plm HDF5 file holds no /recording, only scored results (`plm info` lists them)\n"


def test_info_lists_the_channels_of_an_edf_without_leg_channels(capsys, tmp_path):
    edfio = pytest.importorskip("edfio")
    import datetime as dt

    sigs = [edfio.EdfSignal(np.zeros(256 * 60), 256, label="C3-M2", physical_dimension="uV"),
            edfio.EdfSignal(np.zeros(128 * 60), 128, label="ECG", physical_dimension="mV")]
    p = tmp_path / "eeg.edf"
    edfio.Edf(sigs, recording=edfio.Recording(startdate=dt.date(2026, 3, 1)), starttime=dt.time(22, 30)).write(p)
    code, out, err = run(capsys, ["info", str(p)])
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        str(p),
        "  format        edf (raw)",
        "  start         2026-03-01T22:30:00 (clock time in the file)",
        "  duration      0.02 h",
        "  all channels in the file (EDF)",
        "    C3-M2                    uV   256 Hz",
        "    ECG                      mV   128 Hz",
        "  leg channels  none: no leg EMG channel found among 'C3-M2', 'ECG'; name them with channels='LEFT,RIGHT' "
        "(CLI: --channels)",
    ]


def test_batch_counts_recordings(capsys, tmp_path):
    code, out, err = run(capsys, ["batch", str(tmp_path / "missing.edf"), "--out", str(tmp_path / "b1"),
                                  "--no-progress"])
    assert code == 1 and out.startswith("plm batch: no recording found in ")
    assert err == f"plm: error: 1 input(s) failed; see {tmp_path / 'b1' / 'failures.csv'}\n"
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.tsv").write_text(TSV)
    (folder / "b.edf").write_bytes(b"0       " + b"x" * 10)  # truncated EDF header: fails
    code, out, err = run(capsys, ["batch", str(folder), "--out", str(tmp_path / "b2"), "--no-progress", "--jobs", "1"])
    assert code == 1
    assert out.startswith("plm batch: 1 night from 1 of 2 recordings in ")
    code, out, _ = run(capsys, ["batch", str(folder / "a.tsv"), "--out", str(tmp_path / "b2"), "--no-progress",
                                "--resume"])
    assert out.startswith("plm batch: 1 night from 1 recording, 1 resumed in ")


def test_worker_warnings_use_the_one_line_formatter(capfd, tmp_path):
    # capfd: the worker processes write to the file descriptor, not to sys.stderr
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a", "b"):
        (folder / f"{name}.tsv").write_text(LIGHTS_OFF_ONLY)
    assert main(["batch", str(folder), "--out", str(tmp_path / "out"), "--no-progress", "--jobs", "2"]) == 0
    err = capfd.readouterr().err
    assert sorted(err.splitlines()) == sorted(
        [f"plm: warning: {folder / n}.tsv: only one of lights-off/lights-on given; the recording start/end is used "
         "for the other" for n in ("a", "b")]
        + [f"plm: warning: {folder / n}.tsv: the file gives no recording length: the recording is taken to end with "
           "the last event, 41.0 s (0.01 h) after its start, and the PLM index is per hour of that span"
           for n in ("a", "b")])


def test_batch_in_python_warns_in_the_calling_process(tmp_path):
    from plm.workflows.batch import run_batch

    (tmp_path / "a.tsv").write_text(LIGHTS_OFF_ONLY)
    with pytest.warns(UserWarning, match=r"a\.tsv: only one of lights-off/lights-on given"):
        report = run_batch([tmp_path / "a.tsv"], tmp_path / "out", jobs=1, progress=False)
    assert (report.n_groups, report.n_ok, report.n_nights) == (1, 1, 1)


def test_a_file_of_the_other_kind_is_named_for_what_it_is():
    # an EDF handed to read_events, or an events TSV handed to read, is a file plm knows: the message
    # says what it is and which call reads it, not "not a ... file format plm knows"
    with pytest.raises(plm.InputError, match=r"psg_emg\.edf: is a recording \(edf\), not a scored-event file: "
                                             r"read it with plm\.read"):
        plm.read_events(SAMPLES / "psg_emg.edf")
    with pytest.raises(plm.InputError, match=r"psg_emg_truth\.tsv: is a scored-event file \(events-tsv\), not a "
                                             r"recording: read it with plm\.read_events"):
        plm.read(SAMPLES / "psg_emg_truth.tsv")
