"""Bad input through the CLI and the Python API: clear errors, never silent numbers.

Every case checks the contract of issue 7: ``plm.cli.main`` returns non-zero
and prints exactly one line on stderr that names the offending file (or
argument) and the problem, with no traceback; the input file is byte-for-byte
unchanged afterwards; and no output file is left behind.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from plm import criteria
from plm.cli import main
from plm.errors import CriteriaError, InputError, PlmError


# ------------------------------------------------------------------ helpers
def sha(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def cli_error(capsys, argv: list[str], *must_contain: str) -> str:
    """Run the CLI, assert a one-line error containing every fragment; return it."""
    code = main(argv)
    cap = capsys.readouterr()
    assert code != 0, f"expected failure, got exit 0; stdout={cap.out!r}"
    err = cap.err
    assert "Traceback" not in err
    assert err.endswith("\n") and err.count("\n") == 1, f"not one line: {err!r}"
    assert err.startswith("plm: error: "), err
    assert "internal error" not in err, f"a bug surfaced instead of a clear message: {err}"
    for frag in must_contain:
        assert frag.lower() in err.lower(), f"{frag!r} not in {err!r}"
    return err


def files_in(folder: Path) -> set[str]:
    return {p.name for p in Path(folder).iterdir()}


# ------------------------------------------------------- files and folders
def test_missing_input_file(capsys, tmp_path):
    cli_error(capsys, ["score", str(tmp_path / "night.edf")], str(tmp_path / "night.edf"), "no such file")


def test_empty_input_file_is_refused_and_unchanged(capsys, tmp_path):
    p = tmp_path / "night.edf"
    p.write_bytes(b"")
    cli_error(capsys, ["score", str(p)], str(p), "empty")
    assert p.read_bytes() == b""


def test_folder_given_as_input(capsys, tmp_path):
    cli_error(capsys, ["score", str(tmp_path)], str(tmp_path), "folder")


def test_unknown_format_content(capsys, tmp_path):
    # 4 KiB of bytes that no format claims
    p = tmp_path / "mystery.dat"
    p.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    before = sha(p)
    cli_error(capsys, ["score", str(p)], str(p), "format")
    assert sha(p) == before


def test_unknown_forced_format(capsys, tmp_path):
    p = tmp_path / "x.tsv"
    p.write_text("onset\tduration\ttype\n1\t1\tlm_left\n")
    cli_error(capsys, ["score", str(p), "--format", "nonsense"], "nonsense", "format")


# ------------------------------------------------------------------ criteria
def test_unknown_criteria_name_in_score(capsys, tmp_path):
    p = tmp_path / "x.tsv"
    p.write_text("onset\tduration\ttype\n1\t1\tlm_left\n")
    cli_error(capsys, ["score", str(p), "--criteria", "wasm2099"], "wasm2099", "unknown criteria")


def test_unknown_criteria_field(capsys, tmp_path):
    p = tmp_path / "x.tsv"
    p.write_text("onset\tduration\ttype\n1\t1\tlm_left\n")
    cli_error(capsys, ["score", str(p), "--set", "imi_maximum=80"], "imi_maximum", "unknown criteria field")


def test_criteria_field_with_wrong_type(capsys, tmp_path):
    p = tmp_path / "x.tsv"
    p.write_text("onset\tduration\ttype\n1\t1\tlm_left\n")
    cli_error(capsys, ["score", str(p), "--set", "imi_min=ten"], "imi_min", "ten")


def test_criteria_override_without_equals(capsys, tmp_path):
    p = tmp_path / "x.tsv"
    p.write_text("onset\tduration\ttype\n1\t1\tlm_left\n")
    cli_error(capsys, ["score", str(p), "--set", "imi_min"], "key=value")


def test_criteria_inconsistent_values(capsys, tmp_path):
    # imi_min 100 > imi_max 90 (wasm2016) cannot define a series
    p = tmp_path / "x.tsv"
    p.write_text("onset\tduration\ttype\n1\t1\tlm_left\n")
    cli_error(capsys, ["score", str(p), "--set", "imi_min=100"], "imi_min")


def test_criteria_json_file_unknown_field(capsys, tmp_path):
    crit = tmp_path / "mine.json"
    doc = criteria.get("wasm2016").to_dict()
    doc["imi_maxx"] = 80
    crit.write_text(json.dumps(doc))
    p = tmp_path / "x.tsv"
    p.write_text("onset\tduration\ttype\n1\t1\tlm_left\n")
    before = sha(crit)
    cli_error(capsys, ["score", str(p), "--criteria", str(crit)], "imi_maxx")
    assert sha(crit) == before


def test_criteria_json_file_not_json(capsys, tmp_path):
    crit = tmp_path / "mine.json"
    crit.write_text("{imi_min: 10")
    p = tmp_path / "x.tsv"
    p.write_text("onset\tduration\ttype\n1\t1\tlm_left\n")
    cli_error(capsys, ["score", str(p), "--criteria", str(crit)], "json")


def test_criteria_json_file_missing(capsys, tmp_path):
    crit = tmp_path / "absent.json"
    p = tmp_path / "x.tsv"
    p.write_text("onset\tduration\ttype\n1\t1\tlm_left\n")
    cli_error(capsys, ["score", str(p), "--criteria", str(crit)], str(crit))


def test_unknown_criteria_via_python_api():
    with pytest.raises(CriteriaError, match="wasm2099"):
        criteria.get("wasm2099")
    with pytest.raises(CriteriaError, match="nonsense_field"):
        criteria.get("wasm2016", nonsense_field=1)


# ---------------------------------------------------- containers (Python API)
@pytest.mark.parametrize("sfreq", [0.0, -256.0, float("nan"), float("inf")])
def test_recording_refuses_bad_sampling_rate(sfreq):
    import datetime as dt

    from plm import Channel, Recording

    with pytest.raises(InputError, match="sampling rate"):
        Recording(
            data=np.zeros((1, 10)),
            sfreq=sfreq,
            channels=(Channel("Leg L", "uV", "emg", "left"),),
            start_time=dt.datetime(2024, 1, 1, 22, tzinfo=dt.timezone.utc),
            source="night.edf",
        )


def test_leg_movements_refuse_negative_duration():
    from plm import LegMovements

    with pytest.raises(InputError, match="negative duration") as info:
        LegMovements(onset=[10.0, 20.0], duration=[1.0, -0.5], side=["left", "left"], source="lms.tsv")
    assert "lms.tsv" in str(info.value)


def test_every_plm_error_is_one_line():
    # messages travel to stderr as one line; the error types keep them so
    err = InputError("a.edf", "header field 'n_records' is 'x'; expected an integer")
    assert "\n" not in str(err) and str(err).startswith("a.edf: ")
    assert isinstance(err, PlmError)


# ------------------------------------------------------------- event files
EVENTS_HEAD = "# start_time: 2024-03-01T22:30:00+01:00\n# duration_s: 3600\n"


def _events(tmp_path, body: str, name="night.tsv", head=EVENTS_HEAD) -> Path:
    p = tmp_path / name
    p.write_text(head + body)
    return p


@pytest.mark.parametrize(
    "body, fragments",
    [
        ("onset\tduration\ttype\n10\t-1\tlm_left\n", ["negative duration"]),
        ("onset\tduration\ttype\n-5\t1\tlm_left\n", ["outside the recording"]),
        ("onset\tduration\ttype\n10\t1\tlm_left\n4000\t1\tlm_right\n", ["4000", "outside the recording"]),
        ("onset\tduration\ttype\n10\tabc\tlm_left\n", ["'abc'", "not a number"]),
        ("onset\tduration\ttype\n10\t1\tlm_left\n20\t1", ["truncated"]),  # last row cut off
    ],
    ids=["negative-duration", "before-start", "after-end", "non-numeric", "truncated"],
)
def test_bad_event_rows_are_refused(capsys, tmp_path, body, fragments):
    p = _events(tmp_path, body)
    before = sha(p)
    out = tmp_path / "out"
    out.mkdir()
    cli_error(capsys, ["score", str(p), "--out", str(out)], str(p), *fragments)
    assert sha(p) == before
    assert files_in(out) == set()  # nothing half-written


def test_event_file_without_duration_column_is_not_taken_for_events(capsys, tmp_path):
    p = _events(tmp_path, "onset\ttype\n10\tlm_left\n")
    cli_error(capsys, ["score", str(p)], str(p))


def test_event_file_with_bad_recording_length(capsys, tmp_path):
    p = _events(tmp_path, "onset\tduration\ttype\n10\t1\tlm_left\n",
                head="# start_time: 2024-03-01T22:30:00+01:00\n# duration_s: -5\n")
    cli_error(capsys, ["score", str(p)], str(p), "-5")


# ------------------------------------------------- hypnogram vs recording
def _stage_rows(epochs: int, stage="N2", epoch=30.0) -> str:
    return "".join(f"{i * epoch:g}\t{epoch:g}\tsleep_stage\t{stage}\n" for i in range(epochs))


def test_hypnogram_longer_than_recording_is_refused(capsys, tmp_path):
    # Recording 3600 s; 122 N2 epochs reach 3660 s, more than one epoch past the end.
    body = "onset\tduration\ttype\tvalue\n" + _stage_rows(122) + "10\t1\tlm_left\tn/a\n"
    p = _events(tmp_path, body)
    cli_error(capsys, ["score", str(p)], str(p), "3630", "outside the recording")


def test_hypnogram_shorter_than_recording_is_reported(capsys, tmp_path):
    # 20 epochs = 600 s staged of a 3600 s recording: TST 600 s = 1/6 h; the
    # 3000 s without staging are not counted, and the summary says so.
    body = "onset\tduration\ttype\tvalue\n" + _stage_rows(20) + "10\t1\tlm_left\tn/a\n"
    p = _events(tmp_path, body)
    assert main(["score", str(p), "--json"]) == 0
    cap = capsys.readouterr()
    s = json.loads(cap.out)
    assert s["tst_hours"] == pytest.approx(600 / 3600)
    assert s["hours_denominator"] == pytest.approx(600 / 3600)
    assert any("3000 s without staging" in w for w in s["notes"])
    # the warning reaches the user as one line, not as a pointer into plm's source
    lines = [ln for ln in cap.err.splitlines() if ln]
    assert lines and all(ln.startswith("plm: warning: ") for ln in lines), cap.err


def test_hypnogram_matching_recording_gives_no_warning(capsys, tmp_path):
    body = "onset\tduration\ttype\tvalue\n" + _stage_rows(120) + "10\t1\tlm_left\tn/a\n"
    p = _events(tmp_path, body)
    assert main(["score", str(p), "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["tst_hours"] == pytest.approx(1.0)
    assert "notes" not in s
