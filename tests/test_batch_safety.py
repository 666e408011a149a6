"""A batch never loses or duplicates a night: links, its own output, locks, dead and hung workers, resume.

Nights are generated events TSVs (tests/cohort.py) with a known PLM count,
so every table row is checked against its truth. Tests that need workers
to die use tests/batch_hooks.py; process-killing tests use real processes.
"""
from __future__ import annotations

import csv
import errno
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import batch_hooks
import plm.workflows.batch.run as batch_run
from cohort import write_night_tsv
from plm import criteria
from plm.cli import main
from plm.errors import InputError
from plm.workflows.batch import collect_inputs, run_batch
from plm.workflows.batch.outdir import LOCK_NAME, batch_lock

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
posix_only = pytest.mark.skipif(os.name != "posix", reason="symbolic links, named pipes and signals of POSIX")


def _rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _nights(folder: Path, counts: dict[str, int]) -> dict[str, int]:
    for rel, n in counts.items():
        path = folder / f"{rel}.tsv"
        path.parent.mkdir(parents=True, exist_ok=True)
        write_night_tsv(path, n)
    return counts


def _plm_by_id(out: Path) -> dict[str, int]:
    return {r["recording_id"]: int(r["n_plm"]) for r in _rows(out / "nightly_indices.csv")}


def _failures(out: Path) -> list[tuple[str, str]]:
    return [(r["path"], r["error"]) for r in _rows(out / "failures.csv")]


# ------------------------------------------------------- links and loops
@posix_only
def test_linked_folders_are_followed_ids_come_from_the_links_and_a_loop_is_one_failure(tmp_path):
    data = tmp_path / "data"
    _nights(data, {"P01/night1": 8, "P02/night1": 16})
    _nights(tmp_path / "elsewhere", {"P03/night1": 24})
    (data / "P03").symlink_to(tmp_path / "elsewhere" / "P03")  # a linked subject folder
    (data / "P01" / "again.tsv").symlink_to(data / "P01" / "night1.tsv")  # two links to one file: two nights
    (data / "P02" / "up").symlink_to(data)  # a loop
    (data / "gone.tsv").symlink_to(tmp_path / "nowhere.tsv")
    (data / "me.tsv").symlink_to(data / "me.tsv")  # a link to itself
    os.mkfifo(data / "pipe.tsv")  # reading it would block for ever
    out = tmp_path / "out"
    rep = run_batch([data], out, jobs=1, timeout_per_night=None, progress=False)
    assert _plm_by_id(out) == {"P01/again": 8, "P01/night1": 8, "P02/night1": 16, "P03/night1": 24}
    assert {r["recording_id"]: r["files"] for r in rep.rows}["P03/night1"] == "P03/night1.tsv"
    assert _failures(out) == [
        ("P02/up", f"symbolic link loop: leads back to {data}, a folder on its own path; not followed"),
        ("gone.tsv", f"broken symbolic link: its target {tmp_path / 'nowhere.tsv'} does not exist"),
        ("me.tsv", "symbolic link loop (the links lead back to themselves); not followed"),
        ("pipe.tsv", "is a named pipe, not a regular file; not read"),
    ]
    # a recursive pattern follows the same links, and stops at the same loop
    files, root, problems = collect_inputs([f"{data}/**/*.tsv"])
    assert [f.relative_to(data).as_posix() for f in files] == ["P01/again.tsv", "P01/night1.tsv", "P02/night1.tsv",
                                                              "P03/night1.tsv"]
    assert ("P02/up", f"symbolic link loop: leads back to {data}, a folder on its own path; not followed") in problems


# -------------------------------------------------- the output folder itself
@pytest.mark.parametrize("how", ["folder", "pattern", "out is the input folder"])
def test_a_second_run_into_an_out_inside_the_inputs_scores_exactly_the_real_nights(tmp_path, how):
    data = tmp_path / "data"
    counts = _nights(data, {"P01/night1": 8, "P02/night1": 16})
    out = data if how == "out is the input folder" else data / "results"
    given = [f"{data}/**/*.tsv"] if how == "pattern" else [data]
    for _ in range(2):
        rep = run_batch(given, out, jobs=1, timeout_per_night=None, progress=False)
        assert rep.ok and _plm_by_id(out) == counts
        assert _failures(out) == []
    assert not list(out.glob("nights/**/nights"))  # no nights/nights/... nesting
    assert sorted(p.name for p in (out / "nights").iterdir()) == ["P01", "P02"]


def test_another_batch_output_inside_the_inputs_is_left_alone_unless_named(tmp_path):
    data = tmp_path / "data"
    counts = _nights(data, {"P01": 8, "P02": 16})
    run_batch([data], data / "old", jobs=1, timeout_per_night=None, progress=False)
    run_batch([data], tmp_path / "new", jobs=1, timeout_per_night=None, progress=False)
    assert _plm_by_id(tmp_path / "new") == counts
    # named, a batch's per-night files are inputs like any other
    run_batch([data / "old" / "nights"], tmp_path / "again", jobs=1, timeout_per_night=None, progress=False)
    assert _plm_by_id(tmp_path / "again") == {"P01/P01_events": 8, "P02/P02_events": 16}


# ------------------------------------------------------------- the lock
def test_a_second_batch_into_a_locked_out_is_refused_with_the_owner_pid(tmp_path, capsys):
    data = tmp_path / "data"
    _nights(data, {"P01": 8})
    out = tmp_path / "out"
    out.mkdir()
    with batch_lock(out):  # as a batch that runs holds it
        code = main(["batch", str(data), "--out", str(out), "--jobs", "1", "--no-progress"])
        assert (code, capsys.readouterr().err) == (
            1, f"plm: error: {out / LOCK_NAME}: another plm batch (pid {os.getpid()}) is writing into this "
               "folder; wait for it to end or choose another --out\n")
        assert sorted(p.name for p in out.iterdir()) == [LOCK_NAME]
    assert not (out / LOCK_NAME).exists()


@posix_only
def test_a_stale_lock_of_a_dead_batch_is_taken_over_with_a_warning(tmp_path):
    data = tmp_path / "data"
    counts = _nights(data, {"P01": 8})
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    pid = int(dead.stdout)
    out = tmp_path / "out"
    out.mkdir()
    (out / LOCK_NAME).write_text(json.dumps({"pid": pid, "host": "x"}))
    with pytest.warns(UserWarning, match=rf"^{out / LOCK_NAME}: took over the stale lock of plm batch pid {pid} "
                                         r"\(no longer running\)$"):
        rep = run_batch([data], out, jobs=1, timeout_per_night=None, progress=False)
    assert rep.ok and _plm_by_id(out) == counts and not (out / LOCK_NAME).exists()


def test_a_batch_with_other_criteria_into_the_same_out_is_refused(tmp_path, capsys):
    data = tmp_path / "data"
    _nights(data, {"P01": 8})
    out = tmp_path / "out"
    common = ["batch", str(data), "--out", str(out), "--jobs", "1", "--no-progress"]
    assert main(common) == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    capsys.readouterr()
    assert main([*common, "--criteria", "aasm"]) == 1
    wasm, aasm = criteria.get("wasm2016"), criteria.get("aasm")
    assert capsys.readouterr().err == (
        f"plm: error: {out}: holds a batch scored with other settings (criteria wasm2016 (hash {wasm.hash}) there, "
        f"{aasm.name} (hash {aasm.hash}) now); a table must match its night files: use a fresh --out\n")
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
