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
