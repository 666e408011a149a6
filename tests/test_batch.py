"""Batch scoring: input grouping, failures, determinism across jobs, resume, Dask."""
from __future__ import annotations

import csv
import importlib.util
import os
from pathlib import Path

import numpy as np
import pytest

from cohort import HOURS, write_night_tsv
from plm import criteria
from plm.workflows.batch import collect_inputs, group_files, read_batch_manifest, run_batch, split_side
from plm.cli import main
from plm.errors import InputError

SCORING = all(importlib.util.find_spec(m) is not None for m in ("plm.scoring.night", "plm.io.events_tsv"))
needs_scoring = pytest.mark.skipif(not SCORING, reason="needs the scorer and the events-TSV reader")


# ------------------------------------------------------------- naming rule
@pytest.mark.parametrize("stem, key, side", [
    ("P01_night1_left", "P01_night1", "left"),
    ("P01_night1_RIGHT", "P01_night1", "right"),
    ("P01-L", "P01", "left"),
    ("R_P01", "P01", "right"),
    ("P01.r.night2", "P01.night2", "right"),
    ("P01_night1", "P01_night1", None),
    ("Lars_night1", "Lars_night1", None),  # "L" must be a whole token
    ("leftover", "leftover", None),
    ("P01_left_visit2_R", "P01_left_visit2", "right"),  # the last side token names the leg
])
def test_split_side(stem, key, side):
    assert split_side(stem) == (key, side)


def _touch(path: Path, text: str = "x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_group_files_pairs_left_right_and_keeps_others(tmp_path):
    for name in ["P01_night1_left.csv", "P01_night1_right.csv", "P02-R.csv", "P02-L.csv", "P03.tsv",
                 "P03.json", ".hidden.csv", "sub/P04_left.csv", "P05_left.csv", "P05_L.csv",
                 "P06_left.csv", "P06_right.edf", "P07_left.csv.gz", "P07_right.csv.gz", "P08.edf.gz"]:
        _touch(tmp_path / name)
    files, root, problems = collect_inputs([tmp_path])
    assert root == tmp_path.resolve() and problems == []
    names = sorted(f.name for f in files)
    assert "P03.json" not in names and ".hidden.csv" not in names  # sidecar and hidden file skipped
    groups = {g.id: g for g in group_files(files, root)}
    assert sorted(groups) == ["P01_night1", "P02", "P03", "P05", "P06", "P06~2", "P07", "P08", "sub/P04"]
    assert len(groups["P07"].paths) == 2  # compressed files: the extension is .csv.gz
    assert [Path(p).name for p in groups["P01_night1"].paths] == ["P01_night1_left.csv", "P01_night1_right.csv"]
    assert [Path(p).name for p in groups["P02"].paths] == ["P02-L.csv", "P02-R.csv"]  # left first
    assert [Path(p).name for p in groups["sub/P04"].paths] == ["P04_left.csv"]  # one leg only
    assert "2 files for the left leg" in groups["P05"].error
    # different extensions are different recordings
    assert {len(groups["P06"].paths), len(groups["P06~2"].paths)} == {1}
    assert all(g.error is None for k, g in groups.items() if k != "P05")


def test_folder_search_skips_docs_and_code_but_not_unknown_data(tmp_path):
    for name in ["P01.edf", "README.md", "generate.py", "plot.png", "notes.txt", "P02_truth.tsv"]:
        _touch(tmp_path / name)
    files, _, problems = collect_inputs([tmp_path])
    assert problems == []
    # notes.txt could be a lab's event export: it stays an input (and fails if it is not one)
    assert sorted(f.name for f in files) == ["P01.edf", "P02_truth.tsv", "notes.txt"]
    # a documentation file named explicitly is still an input
    files, _, _ = collect_inputs([tmp_path / "README.md"])
    assert [f.name for f in files] == ["README.md"]


def test_collect_inputs_globs_and_missing(tmp_path):
    _touch(tmp_path / "a" / "n1.tsv")
    _touch(tmp_path / "a" / "n2.tsv")
    _touch(tmp_path / "a" / "n3.edf")
    files, root, problems = collect_inputs([str(tmp_path / "a" / "*.tsv"), str(tmp_path / "nope.tsv"),
                                            str(tmp_path / "z*.edf")])
    assert [f.name for f in files] == ["n1.tsv", "n2.tsv"]
    assert problems == [(str(tmp_path / "nope.tsv"), "no such file or folder"),
                        (str(tmp_path / "z*.edf"), "no file matches this pattern")]


def test_batch_manifest_groups_by_id(tmp_path):
    _touch(tmp_path / "x" / "ankle1.csv")
    _touch(tmp_path / "x" / "ankle2.csv")
    _touch(tmp_path / "y.tsv")
    m = _touch(tmp_path / "m.csv", "id,path\nS1,x/ankle1.csv\nS1,x/ankle2.csv\nS2,y.tsv\n")
    groups, root = read_batch_manifest(m)
    assert [(g.id, [Path(p).name for p in g.paths]) for g in groups] == [("S1", ["ankle1.csv", "ankle2.csv"]),
                                                                          ("S2", ["y.tsv"])]
    m2 = _touch(tmp_path / "m2.csv", "id,path\n../escape,y.tsv\n")
    with pytest.raises(InputError, match="relative name"):
        read_batch_manifest(m2)


# ---------------------------------------------------------------- failures
def _bad_files(folder: Path) -> list[Path]:
    """A truncated EDF (header claims more data than the file holds) and a text file."""
    from edfio import Edf, EdfSignal

    edf = folder / "P90_night1.edf"
    Edf([EdfSignal(np.zeros(200 * 60), 200.0, label="Leg L"),
         EdfSignal(np.zeros(200 * 60), 200.0, label="Leg R")]).write(edf)
    data = edf.read_bytes()
    edf.write_bytes(data[: len(data) // 3])
    notes = _touch(folder / "notes.txt", "Patient slept badly; see paper log.\n")
    return [edf, notes]


def _rows(path: Path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_bad_inputs_go_to_failures_csv_and_exit_nonzero(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    _bad_files(folder)
    out = tmp_path / "out"
    code = main(["batch", str(folder), "--out", str(out), "--jobs", "1", "--no-progress"])
    assert code == 1
    err = capsys.readouterr().err
    assert "2 input(s) failed" in err and err.count("\n") == 1
    fails = _rows(out / "failures.csv")
    assert [r["path"] for r in fails] == ["P90_night1.edf", "notes.txt"]
    assert all("\n" not in r["error"] for r in fails)
    assert "truncated" in fails[0]["error"] and "P90_night1.edf" in fails[0]["error"]
    assert "not a recording or event file" in fails[1]["error"]
    assert _rows(out / "nightly_indices.csv") == []  # header only


# ----------------------------------------------------- with the scorer
def _cohort_folder(folder: Path, n: int = 6) -> dict[str, int]:
    """``n`` good nights (events TSV) with known PLM counts, in two subfolders."""
    counts = {}
    for i in range(n):
        rid = f"{'A' if i % 2 else 'B'}/S{i:02d}_night1"
        counts[rid] = 8 * (i + 1) + (4 if i % 3 == 0 else 0)
        path = folder / f"{rid}.tsv"
        path.parent.mkdir(parents=True, exist_ok=True)
        write_night_tsv(path, counts[rid])
    return counts


@needs_scoring
def test_batch_good_and_bad_nights(tmp_path, capsys):
    folder = tmp_path / "in"
    counts = _cohort_folder(folder)
    _bad_files(folder)
    out = tmp_path / "out"
    assert main(["batch", str(folder), "--out", str(out), "--jobs", "2", "--no-progress"]) == 1
    rows = _rows(out / "nightly_indices.csv")
    assert [r["recording_id"] for r in rows] == sorted(counts)
    for r in rows:
        assert int(r["n_plm"]) == counts[r["recording_id"]]
        assert float(r["plms_index"]) == pytest.approx(counts[r["recording_id"]] / HOURS)
        assert r["criteria_hash"] == criteria.get("wasm2016").hash and r["version"]
    assert sorted(r["path"] for r in _rows(out / "failures.csv")) == ["P90_night1.edf", "notes.txt"]
    assert (out / "nights" / "A" / "S01_night1" / "plm_batch.json").exists()


@needs_scoring
def test_jobs_1_and_2_byte_identical_and_resume(tmp_path):
    folder = tmp_path / "in"
    counts = _cohort_folder(folder)
    r1 = run_batch([folder], tmp_path / "o1", "wasm2016", jobs=1, progress=False)
    r2 = run_batch([folder], tmp_path / "o2", "wasm2016", jobs=2, progress=False)
    assert r1.ok and r2.ok and r1.n_nights == len(counts)
    csv1 = (tmp_path / "o1" / "nightly_indices.csv").read_bytes()
    assert csv1 == (tmp_path / "o2" / "nightly_indices.csv").read_bytes()

    # resume: nothing rescored, same table
    r3 = run_batch([folder], tmp_path / "o1", "wasm2016", jobs=2, resume=True, progress=False)
    assert (r3.n_resumed, r3.n_scored) == (len(counts), 0)
    assert (tmp_path / "o1" / "nightly_indices.csv").read_bytes() == csv1
    # a changed input file is scored again, the rest resumed
    changed = folder / "A" / "S01_night1.tsv"
    write_night_tsv(changed, 40)
    os.utime(changed, ns=(1, 1))
    r4 = run_batch([folder], tmp_path / "o1", "wasm2016", jobs=1, resume=True, progress=False)
    assert (r4.n_resumed, r4.n_scored) == (len(counts) - 1, 1)
    assert r4.nights.set_index("recording_id").loc["A/S01_night1", "n_plm"] == 40
    # other criteria into the same folder: refused, the folder's table and night files untouched
    table = (tmp_path / "o1" / "nightly_indices.csv").read_bytes()
    other = criteria.get("wasm2016", imi_max=60.0)
    with pytest.raises(InputError, match=r"o1: holds a batch scored with other settings \(criteria wasm2016 \(hash "
                                         + criteria.get("wasm2016").hash + r"\) there, wasm2016 \(hash "
                                         + other.hash + r"\) now\); a table must match its night files: use a "
                                         r"fresh --out$"):
        run_batch([folder], tmp_path / "o1", other, jobs=1, resume=True, progress=False)
    assert (tmp_path / "o1" / "nightly_indices.csv").read_bytes() == table
    # a folder of a plm without batch_settings.json: the records of other criteria are not resumed
    (tmp_path / "o1" / "batch_settings.json").unlink()
    r5 = run_batch([folder], tmp_path / "o1", other, jobs=1, resume=True, progress=False)
    assert (r5.n_resumed, r5.n_scored) == (0, len(counts))


@needs_scoring
def test_dask_local_cluster_equals_process_run(tmp_path):
    distributed = pytest.importorskip("distributed")
    folder = tmp_path / "in"
    _cohort_folder(folder, n=4)
    run_batch([folder], tmp_path / "p", "wasm2016", jobs=2, progress=False)
    with distributed.LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cluster:
        rep = run_batch([folder], tmp_path / "d", "wasm2016", executor="dask", scheduler=cluster.scheduler_address,
                        progress=False)
    assert rep.ok and rep.n_nights == 4
    assert ((tmp_path / "d" / "nightly_indices.csv").read_bytes()
            == (tmp_path / "p" / "nightly_indices.csv").read_bytes())


def test_dask_missing_is_a_clear_error(tmp_path, monkeypatch):
    import sys

    from plm.errors import MissingDependencyError

    _touch(tmp_path / "in" / "x.txt")
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(MissingDependencyError, match=r"plm\[dask\]"):
        run_batch([tmp_path / "in"], tmp_path / "o", executor="dask", progress=False)


def test_failures_identical_across_jobs_and_executors(tmp_path):
    # Exercises the process pool and the Dask path on inputs that all fail.
    distributed = pytest.importorskip("distributed")
    folder = tmp_path / "in"
    folder.mkdir()
    _bad_files(folder)
    _touch(folder / "more" / "empty.tsv", "")
    r1 = run_batch([folder], tmp_path / "o1", jobs=1, progress=False)
    r2 = run_batch([folder], tmp_path / "o2", jobs=2, progress=False)
    with distributed.LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cluster:
        r3 = run_batch([folder], tmp_path / "o3", executor="dask", scheduler=cluster.scheduler_address,
                       progress=False)
    assert len(r1.failures) == 3 and r1.failures == r2.failures == r3.failures
    assert "file is empty" in dict(r1.failures)["more/empty.tsv"]
    f1 = (tmp_path / "o1" / "failures.csv").read_bytes()
    assert f1 == (tmp_path / "o2" / "failures.csv").read_bytes() == (tmp_path / "o3" / "failures.csv").read_bytes()


def test_progress_bar_shows_nights_and_failures(tmp_path, capsys):
    pytest.importorskip("tqdm")
    for i in range(3):
        _touch(tmp_path / "in" / f"junk{i}.txt", "not a night")
    run_batch([tmp_path / "in"], tmp_path / "o", jobs=1, progress=True)
    err = capsys.readouterr().err
    assert "3/3" in err and "failed=3" in err and "night" in err


SAMPLES = Path(__file__).resolve().parents[1] / "sample_recordings"


@pytest.mark.skipif(not (SAMPLES / "pamrl_left.csv.gz").exists(), reason="bundled sample recordings absent")
def test_batch_on_raw_samples_pairs_ankles_like_plm_score(tmp_path):
    import shutil

    from plm.workflows.night_scoring import score_nights

    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("pamrl_left.csv.gz", "pamrl_right.csv.gz", "psg_emg.edf"):
        shutil.copy(SAMPLES / name, folder / name)
    rep = run_batch([folder], tmp_path / "out", "wasm2016", jobs=2, progress=False)
    assert rep.ok and list(rep.nights["recording_id"]) == ["pamrl", "psg_emg"] and rep.n_nights == 2
    pam = rep.nights.iloc[0]
    assert pam["files"] == "pamrl_left.csv.gz;pamrl_right.csv.gz"
    # the two ankle files are one night, exactly as `plm score LEFT RIGHT` scores it
    (direct,) = score_nights([folder / "pamrl_left.csv.gz", folder / "pamrl_right.csv.gz"], "wasm2016")
    s = direct.summary()
    for key in ("plm_index", "n_lm_left", "n_lm_right", "n_plm", "n_series", "hours_denominator"):
        assert pam[key] == s[key]
    assert pam["n_lm_left"] > 0 and pam["n_lm_right"] > 0
    assert pam["night"] == s["start_time"][:10]  # starts 22:30 -> night of that evening


def test_script_without_main_guard_gets_a_clear_message(tmp_path):
    import subprocess
    import sys

    _touch(tmp_path / "in" / "a.txt")
    _touch(tmp_path / "in" / "b.txt")
    script = _touch(tmp_path / "run.py",
                    f"from plm.workflows.batch import run_batch\nrun_batch([{str(tmp_path / 'in')!r}], "
                    f"{str(tmp_path / 'out')!r}, jobs=2, progress=False)\n")
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode != 0
    assert 'under `if __name__ == "__main__":`' in proc.stderr
