"""A full disk and Ctrl-C during a single night's output (docs/bad_input.md).

A full disk gives ``plm: error: <output file>: no space left on device``, exit status 1 and no
partial file; an HDF5 write that fails half-way never crashes libhdf5. Ctrl-C always ends the
run with ``plm: interrupted`` and exit status 130, and no output is published. The tmpfs
tests need root (mount); the injected-error tests run everywhere.
"""
from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from plm.cli import main
from plm.io.hdf5 import write_recording

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sample_recordings"))
generate = pytest.importorskip("generate")


@pytest.fixture(scope="module")
def emg_h5(tmp_path_factory) -> Path:
    """Half an hour of EMG as plm HDF5: about 6 MB, so it does not fit a 2 MiB disk."""
    rec, _ = generate.make_emg_night(hours=0.5, seed=1, sfreq=256.0)
    return write_recording(tmp_path_factory.mktemp("in") / "night.h5", rec)


def contents(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*"))


def one_error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and "internal error" not in err, err
    return err.rstrip("\n")


# ------------------------------------------------------------------ a real full disk (tmpfs)
@pytest.fixture()
def small_disk(mount_tmpfs):
    """A 2 MiB tmpfs (root only), unmounted afterwards."""
    return mount_tmpfs("2m")


def run_cli(*argv) -> subprocess.CompletedProcess:
    # a subprocess: a libhdf5 crash would kill it (exit -11 / 139), not the test run
    return subprocess.run([sys.executable, "-m", "plm", *map(str, argv)], capture_output=True, text=True, timeout=120)


def test_convert_to_h5_on_a_full_disk(small_disk, emg_h5):
    out = small_disk / "night.h5"
    r = run_cli("convert", emg_h5, out)
    assert (r.returncode, r.stderr) == (1, f"plm: error: {out}: no space left on device\n")
    assert contents(small_disk) == []


def test_score_export_h5_on_a_full_disk(small_disk, emg_h5):
    with open(small_disk / "filler", "wb") as fh:  # fill the disk to the last block
        try:
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    out = small_disk / "out"
    r = run_cli("score", emg_h5, "--out", out, "--export", "h5")
    assert (r.returncode, r.stderr) == (1, f"plm: error: {out}: no space left on device\n")
    assert contents(small_disk) == ["filler"]


# ------------------------------------------------------------------ injected ENOSPC
def test_text_output_on_a_full_disk_names_the_file(capsys, tmp_path, monkeypatch, emg_h5):
    import plm.atomic as atomic

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", full)
    out = tmp_path / "out"
    assert main(["score", str(emg_h5), "--out", str(out)]) == 1
    assert one_error(capsys) == f"plm: error: {out / 'night_events.tsv'}: no space left on device"
    assert contents(out) == []


class _FullAfter:
    """A file whose writes fail with ENOSPC once ``room`` bytes are written (a disk filling up)."""

    def __init__(self, path, mode, buffering=-1, room=100_000):
        self._fh = open(path, mode, buffering=buffering)
        self._room = room

    def write(self, data):
        n = memoryview(data).nbytes
        if n > self._room:
            raise OSError(errno.ENOSPC, "No space left on device")
        self._room -= n
        return self._fh.write(data)

    def __getattr__(self, name):
        return getattr(self._fh, name)


def test_h5_write_failing_half_way_is_one_error(capsys, tmp_path, monkeypatch, emg_h5):
    import plm.io.hdf5 as hdf5

    monkeypatch.setattr(hdf5, "open", _FullAfter, raising=False)  # the writer's file, not the reader's
    out = tmp_path / "copy.h5"
    assert main(["convert", str(emg_h5), str(out)]) == 1
    assert one_error(capsys) == f"plm: error: {out}: no space left on device"
    assert contents(tmp_path) == []


def test_result_h5_write_failing_is_one_error(capsys, tmp_path, monkeypatch, emg_h5):
    import plm.io.hdf5 as hdf5

    monkeypatch.setattr(hdf5, "open", lambda *a, **k: _FullAfter(*a, **k, room=2000), raising=False)
    out = tmp_path / "out"
    assert main(["score", str(emg_h5), "--out", str(out), "--export", "h5"]) == 1
    assert one_error(capsys) == f"plm: error: {out / 'night_result.h5'}: no space left on device"
    assert contents(out) == ["night_events.json", "night_events.tsv", "night_summary.json"]  # written before; complete


def test_too_little_free_space_is_refused_before_reading(capsys, tmp_path, monkeypatch, emg_h5):
    import plm.atomic as atomic

    monkeypatch.setattr(atomic, "free_bytes", lambda folder: 1000)
    t0 = time.perf_counter()
    assert main(["convert", str(emg_h5), str(tmp_path / "x.h5")]) == 1
    assert one_error(capsys) == f"plm: error: {tmp_path / 'x.h5'}: no space left on device"
    assert main(["score", str(emg_h5), "--out", str(tmp_path / "o")]) == 1
    assert one_error(capsys) == f"plm: error: {tmp_path / 'o'}: no space left on device"
    assert contents(tmp_path) == [] and time.perf_counter() - t0 < 10


# ------------------------------------------------------------------ Ctrl-C
def test_ctrl_c_during_convert_exits_130_and_leaves_nothing(tmp_path):
    rec, _ = generate.make_accel_night(hours=6.0, seed=2)
    src = write_recording(tmp_path / "long.h5", rec)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    for _attempt in range(3):  # on a loaded machine the write may end before the signal is sent
        proc = subprocess.Popen([sys.executable, "-m", "plm", "convert", str(src), str(out_dir / "copy.h5")],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while not any(out_dir.iterdir()) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)  # the temporary output appears: plm is writing
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        if proc.returncode == 0:  # finished first: not interrupted, try again
            (out_dir / "copy.h5").unlink()
            continue
        assert (proc.returncode, err, out) == (130, "plm: interrupted\n", "")
        assert contents(out_dir) == []
        return
    pytest.fail("convert always finished before it could be interrupted")


def test_ctrl_c_swallowed_in_a_finalizer_still_ends_the_run(capsys, tmp_path, monkeypatch):
    # Python raises KeyboardInterrupt at the next bytecode; inside __del__ it is printed and dropped.
    import plm.cli.convert as cli_convert
    from plm.atomic import atomic_write

    class Interrupted:
        def __del__(self):
            os.kill(os.getpid(), signal.SIGINT)
            sum(range(1000))  # the handler runs here, inside the finalizer

    def convert(inputs, out, read_options=None):
        Interrupted()
        with atomic_write(out) as fh:
            fh.write("complete, but the user asked to stop")
        return Path(out)

    monkeypatch.setattr(cli_convert, "convert", convert)
    assert main(["convert", "in.h5", str(tmp_path / "out.csv")]) == 130
    assert capsys.readouterr().err == "plm: interrupted\n"
    assert contents(tmp_path) == []
    # the memory of the interrupt ends with the run
    assert main(["criteria"]) == 0



def test_ctrl_c_is_held_during_an_hdf5_write_and_raised_after_it():
    from plm.interrupt import catch_sigint, deferred_sigint, raise_if_interrupted

    with catch_sigint():
        with pytest.raises(KeyboardInterrupt):
            with deferred_sigint():
                os.kill(os.getpid(), signal.SIGINT)
                finished = sum(range(1000))  # still runs: the interrupt waits
        assert finished == 499500
        with pytest.raises(KeyboardInterrupt):
            raise_if_interrupted()  # remembered for the rest of the command
    raise_if_interrupted()  # and forgotten after it
    with pytest.raises(KeyboardInterrupt):  # outside the CLI: Python's own Ctrl-C, after the block
        with deferred_sigint():
            os.kill(os.getpid(), signal.SIGINT)
    raise_if_interrupted()
