"""Crafted HDF5 files, huge shapes and endless lines: one-line refusals, never a read of another
file, an allocation of terabytes or ``internal error`` (docs/bad_input.md).

The hostile files are built here with h5py from a small recording written by plm.
"""
from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

import plm
from plm import Channel, Recording
from plm.cli import main
from plm.errors import InputError
from plm.io.hdf5 import read_hdf5, read_results, write_recording, write_result

START = dt.datetime(2024, 3, 1, 22, 30, tzinfo=dt.timezone.utc)
OUTSIDE = ("HDF5 file reaches outside itself: {}; plm reads self-contained files only (recreate it with "
           "`plm convert`)")


@pytest.fixture()
def emg_h5(tmp_path) -> Path:
    rng = np.random.default_rng(3)
    rec = Recording(rng.normal(0, 2, (2, 256 * 60)), 256.0,
                    (Channel("Leg L", "uV", "emg", "left"), Channel("Leg R", "uV", "emg", "right")), START)
    return write_recording(tmp_path / "night.h5", rec)


@pytest.fixture()
def secret(tmp_path) -> Path:
    """A local file an attacker wants plm to read as signal."""
    p = tmp_path / "secret.bin"
    p.write_bytes(np.arange(2 * 256 * 60, dtype="<f8").tobytes())
    return p


def refused(capsys, path: Path, *extra) -> str:
    assert main(["score", str(path), *extra]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("plm: error: ") and "internal error" not in err, err
    return err.rstrip("\n")


# ------------------------------------------------------------------ reading other files
def test_external_storage_is_refused(capsys, emg_h5, secret):
    with h5py.File(emg_h5, "a") as f:
        del f["recording/data"]
        f["recording"].create_dataset("data", shape=(2, 256 * 60), dtype="<f8",
                                      external=[(str(secret), 0, secret.stat().st_size)])
    problem = OUTSIDE.format(f"/recording/data keeps its data in external file(s) ['{secret}']")
    assert refused(capsys, emg_h5) == f"plm: error: {emg_h5}: {problem}"
    with pytest.raises(InputError, match="keeps its data in external file"):
        read_hdf5(emg_h5)


def test_external_link_is_refused_before_it_is_opened(capsys, tmp_path, emg_h5):
    other = tmp_path / "other.h5"
    emg_h5.rename(other)
    write_recording(emg_h5, read_hdf5(other))
    with h5py.File(emg_h5, "a") as f:
        del f["recording/data"]
        f["recording/data"] = h5py.ExternalLink(str(other), "/recording/data")
    problem = OUTSIDE.format(f"/recording/data is an external link to '{other}'")
    assert refused(capsys, emg_h5) == f"plm: error: {emg_h5}: {problem}"


def test_external_link_anywhere_is_refused_also_for_results(tmp_path, emg_h5):
    with h5py.File(emg_h5, "a") as f:
        f.create_group("results")["x"] = h5py.ExternalLink("/etc/hostname", "/")
    with pytest.raises(InputError, match="/results/x is an external link to '/etc/hostname'"):
        read_results(emg_h5)
    with pytest.raises(InputError, match="external link"):
        read_hdf5(emg_h5)


def test_soft_link_through_an_external_link_is_refused(tmp_path, emg_h5, secret):
    with h5py.File(emg_h5, "a") as f:
        f["elsewhere"] = h5py.ExternalLink(str(tmp_path / "other.h5"), "/")
        del f["recording/data"]
        f["recording/data"] = h5py.SoftLink("/elsewhere/recording/data")
    with pytest.raises(InputError, match="/elsewhere is an external link"):
        read_hdf5(emg_h5)


def test_soft_link_inside_the_file_is_read(emg_h5):
    before = read_hdf5(emg_h5)
    with h5py.File(emg_h5, "a") as f:
        f["store/data"] = f["recording/data"][()]
        del f["recording/data"]
        f["recording/data"] = h5py.SoftLink("/store/data")
    after = read_hdf5(emg_h5)
    assert np.array_equal(before.data, after.data)


def test_virtual_dataset_is_refused(tmp_path, emg_h5):
    other = tmp_path / "source.h5"
    with h5py.File(other, "w") as f:
        f["x"] = np.zeros((2, 256 * 60))
    layout = h5py.VirtualLayout(shape=(2, 256 * 60), dtype="f8")
    layout[:] = h5py.VirtualSource(str(other), "x", shape=(2, 256 * 60))
    with h5py.File(emg_h5, "a") as f:
        del f["recording/data"]
        f["recording"].create_virtual_dataset("data", layout)
    with pytest.raises(InputError, match="/recording/data is a virtual dataset \\(its data come from other files\\)"):
        read_hdf5(emg_h5)


# ------------------------------------------------------------------ wrong types and sizes
@pytest.mark.parametrize("change, problem", [
    (lambda f: f["recording"].attrs.__setitem__("meta", "[1, 2]"),
     "/recording attribute 'meta' is not a JSON object; the file was not written by plm or is damaged"),
    (lambda f: f["recording"].attrs.__setitem__("meta", '{"warnings": "text"}'),
     "/recording attribute 'meta' key 'warnings' holds str 'text'; the file was not written by plm or is damaged"),
    (lambda f: f["recording"].attrs.__setitem__("meta", '{"hypnogram": [1]}'),
     "/recording attribute 'meta' holds 'hypnogram', which plm stores elsewhere; the file was not written by plm or "
     "is damaged"),
    (lambda f: (f["recording"].__delitem__("data"),
                f["recording"].create_dataset("data", data=np.array([[b"abc"] * 10, [b"def"] * 10]))),
     "/recording/data holds text; expected real numbers (a signal)"),
    (lambda f: (f["recording"].__delitem__("data"), f["recording"].create_dataset("data", data=np.zeros(10))),
     "/recording/data has shape (10,); expected (2, n_samples) for 2 channels"),
    (lambda f: (f["recording"].__delitem__("data"),
                f["recording"].create_dataset("data", shape=(2, 10 ** 12), dtype="f8", chunks=(1, 65536))),
     "1000000000000 samples at 256 Hz make 4.52e+04 days; a recording lasts at most 60 days (is the sampling rate "
     "right?)"),
    (lambda f: f["recording"].attrs.__setitem__("sfreq", 1e9),
     "EMG sampling rate 1e+09 Hz is implausibly high (above 20000 Hz)"),
    (lambda f: f["recording"].attrs.__setitem__("start_time", "9999-12-31T23:30:00+00:00"),
     "start time 9999-12-31T23:30:00+00:00 is not a plausible recording date; expected a year from 1900 to 2100"),
    (lambda f: (f["recording/channels"].__delitem__("name"),
                f["recording/channels"].create_dataset("name", shape=(10 ** 7,), dtype="S4")),
     "channels/name holds 10000000 values of 4 bytes; at most 1024 short values expected (damaged file?)"),
], ids=["meta-list", "meta-warnings-text", "meta-context-field", "text-data", "1-d-data", "huge-shape",
        "sfreq-1e9", "year-9999", "huge-channel-table"])
def test_wrong_types_and_sizes_are_refused_before_reading(capsys, emg_h5, change, problem):
    with h5py.File(emg_h5, "a") as f:
        change(f)
    t0 = time.perf_counter()
    assert refused(capsys, emg_h5) == f"plm: error: {emg_h5}: {problem}"
    assert time.perf_counter() - t0 < 10  # nothing was allocated for the claimed size


def test_plm_info_refuses_the_same(capsys, emg_h5, secret):
    with h5py.File(emg_h5, "a") as f:
        del f["recording/data"]
        f["recording"].create_dataset("data", shape=(2, 10), dtype="<f8", external=[(str(secret), 0, 160)])
    assert main(["info", str(emg_h5)]) == 1
    assert "keeps its data in external file" in capsys.readouterr().err


def test_results_can_still_be_added_to_a_checked_file(emg_h5):
    res = plm.score(emg_h5)
    write_result(emg_h5, res)
    assert list(read_results(emg_h5)) == [res.criteria.hash]


def test_stored_result_with_measures_of_the_wrong_type_is_refused(emg_h5):
    res = plm.score(emg_h5)
    write_result(emg_h5, res)
    with h5py.File(emg_h5, "a") as f:
        f[f"results/{res.criteria.hash}"].attrs["measures"] = "[1, 2]"
    with pytest.raises(InputError, match=f"result {res.criteria.hash} is incomplete or invalid \\(measures and "
                                         "extra must be JSON objects\\)"):
        read_results(emg_h5)


# ------------------------------------------------------------------ endless lines, huge files
@pytest.mark.parametrize("head, line", [
    ("# plm-accelerometer-csv 1\n# side: left\n# start: ", 3),  # a header line
    ("# plm-accelerometer-csv 1\n# side: left\n# sampling_rate_hz: 40\n# start: 2024-03-01T22:30:00+01:00\n"
     "# units: g\nx,y,z\n" + "0,0,1\n" * 100 + "0,0,", 107),  # a data row, read by the table parser
], ids=["header", "data-row"])
def test_csv_line_of_3_gb_without_newline_is_refused_fast(capsys, tmp_path, head, line):
    p = tmp_path / "endless.csv"
    with open(p, "wb") as fh:
        fh.write(head.encode())
        fh.truncate(3 << 30)  # 3 GB without a line end (sparse: no disk space used)
    t0 = time.perf_counter()
    assert refused(capsys, p) == (f"plm: error: {p}: line {line} is longer than 65536 bytes (no line end); this is "
                                  "not a text table plm reads")
    assert time.perf_counter() - t0 < 5


def test_event_file_of_3_gb_is_refused_unread(capsys, tmp_path):
    p = tmp_path / "huge.tsv"
    with open(p, "wb") as fh:
        fh.write(b"onset\tduration\ttype\n100\t1.5\tlm_left\n")
        fh.truncate(3 << 30)
    assert refused(capsys, p) == (f"plm: error: {p}: is 3072 MiB; a night's scored-event export is at most a few MB "
                                  "(limit 256 MiB)")
