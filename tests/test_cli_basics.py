"""The CLI frame: criteria listing, JSON output, one-line errors and exit codes."""
import json

from plm import criteria
from plm.cli import main
from plm.cli.common import json_line


def test_criteria_lists_presets_with_hashes(capsys):
    assert main(["criteria"]) == 0
    out = capsys.readouterr().out.split("\n")
    listed = {line.split()[0]: line.split()[1] for line in out if line.strip()}
    for name in criteria.names():
        assert listed[name] == criteria.get(name).hash


def test_criteria_prints_preset_json_with_override(capsys):
    assert main(["criteria", "aasm", "--set", "imi_max=60"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["params"]["imi_max"] == 60.0
    assert doc["params"]["imi_min"] == 5.0
    assert doc["hash"] == criteria.get("aasm", imi_max=60.0).hash


def test_unknown_criteria_is_one_line_error(capsys):
    assert main(["criteria", "wasm1999"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "wasm1999" in err and "Traceback" not in err


def test_missing_file_names_the_file(capsys, tmp_path):
    missing = tmp_path / "nope.csv"
    assert main(["score", str(missing)]) == 1
    err = capsys.readouterr().err
    assert str(missing) in err and "no such file" in err and err.count("\n") == 1


def test_empty_file_names_the_file(capsys, tmp_path):
    empty = tmp_path / "empty.tsv"
    empty.write_bytes(b"")
    assert main(["score", str(empty)]) == 1
    err = capsys.readouterr().err
    assert str(empty) in err and "empty" in err


def test_json_line_turns_nan_into_null():
    line = json_line({"a": float("nan"), "b": [1.0, float("inf")], "c": 2})
    assert json.loads(line) == {"a": None, "b": [1.0, None], "c": 2}
    assert "\n" not in line
