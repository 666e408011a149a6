"""A batch never loses or duplicates a night: links, its own output, locks, dead and hung workers, resume.

Nights are generated events TSVs (tests/cohort.py) with a known PLM count,
so every table row is checked against its truth. Tests that need workers
to die use tests/batch_hooks.py; process-killing tests use real processes.
"""
from __future__ import annotations

import contextlib
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
    assert rep.nights.set_index("recording_id").loc["P03/night1", "files"] == "P03/night1.tsv"
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
    files, _, _ = collect_inputs([data / "old"])  # the batch folder itself, as `plm report` may be given it
    assert [f.relative_to(data / "old").as_posix() for f in files] == [
        "batch_settings.json", "failures.csv", "nightly_indices.csv"] + [
        f"nights/{p}/{name}" for p in ("P01", "P02") for name in (f"{p}_events.tsv", f"{p}_summary.json",
                                                                 "plm_batch.json")]


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


# ------------------------------------------------ dead and hung workers
def _wait_for(predicate, seconds: float, what: str):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _held_pids(out: Path, n: int, seconds: float = 90) -> list[int]:
    folder = batch_hooks.pid_folder(out)
    return _wait_for(lambda: [int(p.name) for p in folder.glob("*")] if len(list(folder.glob("*"))) >= n else None,
                     seconds, f"{n} held worker(s)")


@posix_only
def test_a_worker_killed_like_the_oom_killer_fails_only_its_own_night(tmp_path, monkeypatch):
    monkeypatch.setattr(batch_run, "score_group", batch_hooks.score_or_hold)
    data = tmp_path / "data"
    counts = _nights(data, {f"S{i:02d}": 8 * (i + 1) for i in range(6)})
    _nights(data, {"S02_hold": 40, "S04_hold": 48})
    out = tmp_path / "out"
    killed = []

    def kill_the_held_workers():  # both workers hold a night: S05 needs a new one
        for pid in _held_pids(out, 2):
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    killer = threading.Thread(target=kill_the_held_workers)
    killer.start()
    rep = run_batch([data], out, jobs=2, progress=False)
    killer.join()
    assert len(killed) == 2 and rep.n_scored == 8
    assert _plm_by_id(out) == counts  # every other night, S05 after the pool lost both workers
    died = "its worker process died while scoring this night (killed by SIGKILL, as the out-of-memory killer does)"
    assert _failures(out) == [("S02_hold.tsv", died), ("S04_hold.tsv", died)]
    assert not list(out.glob("nights/S0?_hold/*"))


@posix_only
def test_a_night_that_hangs_fails_after_the_time_limit_and_the_batch_goes_on(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(batch_run, "score_group", batch_hooks.score_or_hold)
    data = tmp_path / "data"
    counts = _nights(data, {"A": 8, "B": 16, "C": 24})
    _nights(data, {"B_hold": 32})
    out = tmp_path / "out"
    t0 = time.monotonic()
    code = main(["batch", str(data), "--out", str(out), "--jobs", "2", "--timeout-per-night", "2",
                 "--no-progress"])
    assert code == 1 and time.monotonic() - t0 < 60
    assert "1 input(s) failed" in capsys.readouterr().err
    assert _plm_by_id(out) == counts
    assert _failures(out) == [("B_hold.tsv", "not finished within 2 s (--timeout-per-night); its worker process "
                                             "was stopped")]
    (pid,) = _held_pids(out, 1, seconds=1)
    _wait_for(lambda: not _running(pid), 5, "the stopped worker to be gone")


def _running(pid: int) -> bool:
    """True for a live process (a zombie counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            found.add(c)
            todo.append(c)
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from /proc")
def test_killing_the_batch_process_ends_its_workers_and_resume_completes_the_table(tmp_path):
    """kill -9 and SIGTERM of `plm batch`: no forkserver or worker outlives it holding stdout."""
    data = tmp_path / "data"
    counts = _nights(data, {"A": 8, "B": 16, "E": 24})
    _nights(data, {"C_hold": 32, "D_hold": 40})
    counts.update({"C_hold": 32, "D_hold": 40})
    driver = ("import sys; sys.path.insert(0, sys.argv.pop(1)); import batch_hooks; batch_hooks.hold_nights(); "
              "from plm.cli import main; sys.exit(main(sys.argv[1:]))")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    runs = {}
    for how in (signal.SIGKILL, signal.SIGTERM):  # started together: the slow part (imports) overlaps
        out = tmp_path / f"out_{how.name}"
        runs[how] = (out, subprocess.Popen(
            [sys.executable, "-c", driver, str(TESTS), "batch", str(data), "--out", str(out), "--jobs", "2",
             "--no-progress"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True))
    try:
        for how, (out, proc) in runs.items():
            workers = _held_pids(out, 2)  # A and B are done; both workers hold a night
            family = _descendants(proc.pid)
            assert set(workers) <= family and len(family) >= 3  # the forkserver (and the resource tracker) too
            proc.send_signal(how)
            try:
                proc.communicate(timeout=15)  # returns only once nothing holds its stdout and stderr open
            except subprocess.TimeoutExpired:
                raise AssertionError(f"after {how.name}, a child of plm batch still holds its output") from None
            assert proc.returncode == -how
            _wait_for(lambda: not any(_running(p) for p in family), 5, f"the children to end after {how.name}")
            assert not (out / "nightly_indices.csv").exists()  # nothing published by an interrupted run
            assert (out / LOCK_NAME).exists() == (how == signal.SIGKILL)  # SIGTERM cleans up, kill -9 cannot
    finally:  # whatever failed, leave no process behind (the group outlives its leader)
        for _, proc in runs.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    # --resume completes the run: the table is byte-identical to that of a run never interrupted
    full = run_batch([data], tmp_path / "full", jobs=1, timeout_per_night=None, progress=False)
    assert _plm_by_id(tmp_path / "full") == counts and full.ok
    out = runs[signal.SIGKILL][0]
    with pytest.warns(UserWarning, match="took over the stale lock"):
        rep = run_batch([data], out, jobs=1, resume=True, timeout_per_night=None, progress=False)
    assert (rep.n_resumed, rep.n_scored) == (2, 3)
    assert (out / "nightly_indices.csv").read_bytes() == (tmp_path / "full" / "nightly_indices.csv").read_bytes()


# ------------------------------------------------------------ full disks
def _fail_writes_of(monkeypatch, part: str, code: int = errno.ENOSPC) -> None:
    """Writes to files whose path contains ``part`` fail as on a full disk (at the fsync, as NFS and quotas do)."""
    import plm.atomic as atomic

    real = os.fsync

    def fsync(fd):
        if part in os.readlink(f"/proc/self/fd/{fd}"):
            raise OSError(code, os.strerror(code))
        return real(fd)

    monkeypatch.setattr(atomic.os, "fsync", fsync)


linux_only = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="names open files through /proc")
SIX = {f"S{i:02d}": 8 * (i + 1) for i in range(6)}
NOT_SCORED = "not scored: the batch stopped when the disk was full ({})"


@linux_only
def test_a_full_disk_stops_the_batch_with_one_error_and_loses_no_night(tmp_path, monkeypatch, capsys):
    data = tmp_path / "data"
    _nights(data, SIX)
    out = tmp_path / "out"
    cmd = ["batch", str(data), "--out", str(out), "--jobs", "1", "--timeout-per-night", "0", "--no-progress"]
    assert main(cmd) == 0  # an earlier run into the same folder
    before = {k: sorted(p.name for p in (out / "nights" / k).iterdir()) for k in SIX}
    _fail_writes_of(monkeypatch, f"{os.sep}S03{os.sep}")
    assert main(cmd) == 1
    full = f"{out / 'nights' / 'S03' / 'S03_events.tsv'}: no space left on device"
    assert capsys.readouterr().err == f"plm: error: {full}\n"
    # every night is in one table or the other
    assert _plm_by_id(out) == {k: SIX[k] for k in ("S00", "S01", "S02")}
    assert _failures(out) == [("S03.tsv", full), ("S04.tsv", NOT_SCORED.format(full)),
                              ("S05.tsv", NOT_SCORED.format(full))]
    assert list((out / "nights" / "S03").iterdir()) == []  # its outputs are stale: removed
    # the nights not started keep the outputs of the earlier run
    assert {k: sorted(p.name for p in (out / "nights" / k).iterdir()) for k in ("S04", "S05")} == {
        k: before[k] for k in ("S04", "S05")}
    # with room again, --resume completes the table as if nothing had happened
    monkeypatch.undo()
    assert main([*cmd, "--resume"]) == 0
    assert "6 nights from 6 recordings, 5 resumed in" in capsys.readouterr().out
    run_batch([data], tmp_path / "full", jobs=1, timeout_per_night=None, progress=False)
    assert (out / "nightly_indices.csv").read_bytes() == (tmp_path / "full" / "nightly_indices.csv").read_bytes()


@linux_only
@pytest.mark.parametrize("table", ["nightly_indices.csv", "failures.csv"])
def test_failures_csv_is_written_first_and_never_lost(tmp_path, monkeypatch, capsys, table):
    data = tmp_path / "data"
    _nights(data, {"P01": 8, "P02": 16})
    (data / "junk.txt").write_text("not a night\n")
    out = tmp_path / "out"
    cmd = ["batch", str(data), "--out", str(out), "--jobs", "1", "--timeout-per-night", "0", "--no-progress"]
    assert main(cmd) == 1
    old = {name: (out / name).read_bytes() for name in ("nightly_indices.csv", "failures.csv")}
    (data / "junk.txt").unlink()
    capsys.readouterr()
    _fail_writes_of(monkeypatch, f".{Path(table).stem}.")  # the temporary file of that table
    assert main(cmd) == 1
    assert capsys.readouterr().err == f"plm: error: {out / table}: no space left on device\n"
    if table == "nightly_indices.csv":  # the new failures.csv stands alone: no table that does not go with it
        assert _failures(out) == [] and not (out / "nightly_indices.csv").exists()
    else:  # the earlier pair is kept, as it was
        assert {name: (out / name).read_bytes() for name in old} == old
    assert sorted(p.name for p in out.iterdir()) == sorted(["batch_settings.json", "failures.csv", "nights"] + (
        ["nightly_indices.csv"] if table == "failures.csv" else []))


def test_a_full_disk_is_refused_before_any_work(tmp_path, monkeypatch, capsys):
    import plm.atomic as atomic

    data = tmp_path / "data"
    _nights(data, {"P01": 8})
    monkeypatch.setattr(atomic, "free_bytes", lambda folder: 1000)
    assert main(["batch", str(data), "--out", str(tmp_path / "out"), "--no-progress"]) == 1
    assert capsys.readouterr().err == f"plm: error: {tmp_path / 'out'}: no space left on device\n"
    assert not (tmp_path / "out").exists()


@pytest.fixture()
def small_disk(mount_tmpfs):
    """A 4 MiB tmpfs (root only), unmounted afterwards."""
    return mount_tmpfs("4m")


@pytest.mark.parametrize("export, n", [(["--export", "h5"], 6), ([], 16)], ids=["h5", "text"])
def test_a_batch_onto_a_disk_that_fills_up(tmp_path, small_disk, export, n):
    """A real full disk: no crash, one error line, every night in one table or the other.

    HDF5 outputs are refused by the free-space check (1 MiB) before libhdf5
    starts writing; text outputs (about 90 kB a night here) fill the disk to
    the last block.
    """
    import plm.atomic as atomic

    data = tmp_path / "data"
    counts = _nights(data, {f"S{i:02d}": 8 * (i + 1) for i in range(n)})
    out = small_disk / "out"
    with open(small_disk / "filler", "wb") as fh:  # room for one or two nights above the 1 MiB reserve
        fh.write(b"\0" * (atomic.free_bytes(small_disk) - atomic.MIN_FREE_BYTES - 150_000))
    r = subprocess.run([sys.executable, "-m", "plm", "batch", str(data), "--out", str(out), *export,
                        "--jobs", "1", "--timeout-per-night", "0", "--no-progress"],
                       capture_output=True, text=True, timeout=300, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    ((first, full),) = [(path, error) for path, error in _failures(out) if not error.startswith("not scored")]
    night = Path(first).stem
    assert full.startswith(f"{out / 'nights' / night}{os.sep}{night}_") and full.endswith(": no space left on device")
    assert (r.returncode, r.stderr) == (1, f"plm: error: {full}\n")
    done = _plm_by_id(out)
    assert done == {k: v for k, v in counts.items() if k < night} and done
    assert _failures(out) == [(first, full)] + [(f"{k}.tsv", NOT_SCORED.format(full)) for k in counts if k > night]
    assert list((out / "nights" / night).iterdir()) == []


# ---------------------------------------------------------------- resume
def _resume(data, out, *extra):
    return run_batch([data], out, jobs=1, resume=True, timeout_per_night=None, progress=False, **dict(extra))


def test_resume_writes_the_exports_asked_for_and_the_outputs_that_went_missing(tmp_path):
    data = tmp_path / "data"
    counts = _nights(data, {"P01": 8, "P02": 16, "P03": 24})
    out = tmp_path / "out"
    run_batch([data], out, jobs=1, timeout_per_night=None, progress=False)
    rep = _resume(data, out, ("export", ["csv"]))  # a format the earlier run did not write
    assert (rep.n_resumed, rep.n_scored) == (0, 3)
    assert sorted(p.name for p in out.glob("nights/*/*_summary.csv")) == ["P01_summary.csv", "P02_summary.csv",
                                                                         "P03_summary.csv"]
    rep = _resume(data, out)  # fewer formats than were written: nothing to do
    assert (rep.n_resumed, rep.n_scored) == (3, 0)
    (out / "nights" / "P02" / "P02_events.tsv").unlink()
    (out / "nights" / "P03" / "P03_summary.csv").unlink()
    rep = _resume(data, out, ("export", ["CSV"]))
    assert (rep.n_resumed, rep.n_scored) == (1, 2) and _plm_by_id(out) == counts
    assert (out / "nights" / "P02" / "P02_events.tsv").is_file() and (out / "nights" / "P03" / "P03_summary.csv").is_file()


def test_resume_removes_the_outputs_of_a_night_that_now_fails(tmp_path):
    data = tmp_path / "data"
    _nights(data, {"P01": 8, "P02": 16})
    out = tmp_path / "out"
    run_batch([data], out, jobs=1, timeout_per_night=None, progress=False, export=["csv"])
    (data / "P02.tsv").write_text("onset\tduration\ttype\n10\t-1\tlm_left\n")  # now a broken file
    rep = _resume(data, out)
    assert [p for p, _ in rep.failures] == ["P02.tsv"] and _plm_by_id(out) == {"P01": 8}
    assert list((out / "nights" / "P02").iterdir()) == []  # no summary of the old night stays behind


def test_resume_rescores_a_file_replaced_with_the_same_size_and_time(tmp_path):
    data = tmp_path / "data"
    _nights(data, {"P01": 8, "P02": 16})
    out = tmp_path / "out"
    run_batch([data], out, jobs=1, timeout_per_night=None, progress=False)
    path = data / "P02.tsv"
    st = path.stat()
    text = path.read_text()
    # the same bytes but for 8 movements, now arousals: a different night of the same size
    path.write_text(text.replace("\tlm_left\t", "\tarousal\t", 8))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (st.st_size, st.st_mtime_ns)
    truth = run_batch([data], tmp_path / "fresh", jobs=1, timeout_per_night=None, progress=False)
    assert _plm_by_id(tmp_path / "fresh")["P02"] != 16
    rep = _resume(data, out)
    assert (rep.n_resumed, rep.n_scored) == (1, 1)
    assert (out / "nightly_indices.csv").read_bytes() == truth.nightly_csv.read_bytes()


def test_verify_full_hashes_the_whole_file(tmp_path):
    path = tmp_path / "big.bin"
    data = bytearray(os.urandom(3 << 20))
    path.write_bytes(bytes(data))
    before = batch_run.file_stamp(path, "full")
    data[len(data) // 2] ^= 0xFF  # a change in the middle, same size and time
    st = path.stat()
    path.write_bytes(bytes(data))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    fast, full = batch_run.file_stamp(path), batch_run.file_stamp(path, "full")
    assert fast == {k: before[k] for k in ("size", "mtime_ns", "sha256_ends")}  # the fast stamp cannot see it
    assert full["sha256"] != before["sha256"]
    # a record from a fast run has no whole-file hash: --verify full scores the night again
    nights = tmp_path / "data"
    _nights(nights, {"P01": 8})
    run_batch([nights], tmp_path / "out", jobs=1, timeout_per_night=None, progress=False)
    assert (_resume(nights, tmp_path / "out", ("verify", "full")).n_scored,
            _resume(nights, tmp_path / "out", ("verify", "full")).n_resumed) == (1, 1)
