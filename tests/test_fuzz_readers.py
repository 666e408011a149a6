"""Fuzzing the readers: random and mutated files raise nothing but PlmError.

Whatever bytes a file holds, ``plm.read``, ``plm.read_events`` and
``plm.score(path)`` either return a result or raise :class:`plm.errors.PlmError`
(which the CLI prints as one line). Any other exception is a crash a user
would see as a traceback. Examples are bounded so the suite stays fast.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import plm
from plm.errors import PlmError

from device_writers import write_cwa, write_geneactiv_bin, write_gt3x

# PLM_FUZZ_EXAMPLES raises the budget for a long local hunt; the suite uses 50.
SETTINGS = settings(max_examples=int(os.environ.get("PLM_FUZZ_EXAMPLES", "50")), deadline=None, suppress_health_check=[HealthCheck.too_slow])

EXTENSIONS = ["", ".edf", ".bdf", ".csv", ".tsv", ".txt", ".xml", ".h5", ".hdf5", ".json", ".gt3x", ".cwa", ".bin"]
#: Beginnings that steer the sniffers into each reader's parsing code.
PREFIXES = [
    b"",
    b"0       ",  # EDF version field
    b"\xffBIOSEMI",  # BDF
    b"onset\tduration\ttype\n",
    b"timestamp,left_x,left_y,left_z,right_x,right_y,right_z\n",
    b"time,x,y,z\n",
    b"<?xml version='1.0'?><PSGAnnotation><ScoredEvents>",
    b"\x89HDF\r\n\x1a\n",
    b"------------ Data File Created By ActiGraph",
    b"PK\x03\x04\x14\x00\x00\x00\x08\x00log.bin",  # .gt3x (zip)
    b"MD\xfc\x03",  # Axivity .cwa
    b"Device Identity\r\nDevice Unique Serial Code:",  # GENEActiv .bin
]


# plm.score(path) detects LMs in raw files; until the detector is present only reading is fuzzed.
_HAVE_DETECTOR = importlib.util.find_spec("plm.detect.pipeline") is not None
CALLS = (plm.read, plm.read_events, plm.score) if _HAVE_DETECTOR else (plm.read, plm.read_events)

# Scoring an event file without a recording length warns (documented); that is fine here.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def _scratch(data: bytes, suffix: str) -> Path:
    fd, name = tempfile.mkstemp(suffix=suffix, prefix="fuzz_")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return Path(name)


def _only_plm_errors(path: Path) -> None:
    before = hashlib.sha256(path.read_bytes()).digest()
    try:
        for call in CALLS:
            try:
                call(path)
            except PlmError as exc:
                assert "\n" not in str(exc), f"multi-line message: {exc!r}"
        assert hashlib.sha256(path.read_bytes()).digest() == before, "reader changed its input file"
    finally:
        path.unlink(missing_ok=True)


@SETTINGS
@given(prefix=st.sampled_from(PREFIXES), body=st.binary(max_size=2048), ext=st.sampled_from(EXTENSIONS))
def test_random_bytes_raise_only_plm_errors(prefix, body, ext):
    _only_plm_errors(_scratch(prefix + body, ext))


@SETTINGS
@given(
    prefix=st.sampled_from(PREFIXES[3:7]),
    rows=st.lists(st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(repr),
                                     st.text(max_size=6), st.integers().map(str)), max_size=8), max_size=30),
    sep=st.sampled_from(["\t", ",", ";", " "]),
    ext=st.sampled_from([".tsv", ".csv", ".txt"]),
)
def test_random_text_tables_raise_only_plm_errors(prefix, rows, sep, ext):
    text = prefix.decode() + "\n".join(sep.join(r) for r in rows)
    _only_plm_errors(_scratch(text.encode("utf-8", "surrogatepass"), ext))


# --------------------------------------------------------- mutated valid files
def edf_bytes(n_sec: int = 30, sfreq: int = 128, labels=("Leg L", "Leg R")) -> bytes:
    """A small valid EDF (int16, 1 s records) of noise with one burst per leg; 128 Hz so that it is scored."""
    rng = np.random.default_rng(3)
    n = n_sec * sfreq
    data = rng.normal(0, 2, (len(labels), n))
    data[:, 10 * sfreq : 12 * sfreq] *= 20
    ns = len(labels)
    start = dt.datetime(2024, 3, 1, 22, 30)

    def field(values, width):
        return "".join(str(v)[:width].ljust(width) for v in values)

    hdr = ("0".ljust(8) + "X X X X".ljust(80) + "Startdate 01-MAR-2024 X X X".ljust(80)
           + start.strftime("%d.%m.%y%H.%M.%S") + str(256 * (ns + 1)).ljust(8) + "".ljust(44)
           + str(n_sec).ljust(8) + "1".ljust(8) + str(ns).ljust(4))
    hdr += field(labels, 16) + field(["AgAgCl"] * ns, 80) + field(["uV"] * ns, 8)
    hdr += field(["-500"] * ns, 8) + field(["500"] * ns, 8) + field(["-32768"] * ns, 8) + field(["32767"] * ns, 8)
    hdr += field([""] * ns, 80) + field([sfreq] * ns, 8) + field([""] * ns, 32)
    gain = 1000 / 65535
    dig = np.clip(np.round((data - (500 - gain * 32767)) / gain), -32768, 32767).astype("<i2")
    body = dig.reshape(ns, n_sec, sfreq).transpose(1, 0, 2).tobytes()
    return hdr.encode("ascii") + body


def events_tsv_bytes() -> bytes:
    rows = ["onset\tduration\ttype"]
    for i in range(8):
        rows.append(f"{60 + 20 * i:.2f}\t1.50\tlm_left")
    rows.append("30.00\t30.00\tsleep_stage\tN2")
    return ("\n".join(rows) + "\n").encode()


def accel_csv_bytes() -> bytes:
    rng = np.random.default_rng(4)
    xyz = rng.normal(0, 0.01, (120, 3)) + [0.0, 0.0, 1.0]
    xyz[40:60] += 0.5
    # 10 Hz: the slowest rate plm scores (plm/plausibility.py), so mutations reach the detector
    head = ("# plm-accelerometer-csv 1\n# device: PAM-RL\n# side: left\n# sampling_rate_hz: 10\n"
            "# start: 2024-03-01T22:30:00+01:00\n# units: g\nx,y,z\n")
    return (head + "\n".join(",".join(f"{v:.4f}" for v in row) for row in xyz) + "\n").encode()


def actigraph_csv_bytes() -> bytes:
    head = ("------------ Data File Created By ActiGraph GT3X+ ActiLife v6.13.3 Firmware v2.5.0 "
            "date format M/d/yyyy at 10 Hz  Filter Normal -----------\n"
            "Serial Number: CLE2B2013XXXX\nStart Time 22:30:00\nStart Date 3/1/2024\n"
            "Epoch Period (hh:mm:ss) 00:00:00\nDownload Time 08:10:00\nDownload Date 3/2/2024\n"
            "Current Memory Address: 0\nCurrent Battery Voltage: 4.21     Mode = 12\n"
            "--------------------------------------------------\n"
            "Accelerometer X,Accelerometer Y,Accelerometer Z\n")
    rng = np.random.default_rng(5)
    xyz = rng.normal(0, 0.01, (300, 3)) + [0.0, 0.0, 1.0]
    return (head + "\n".join(",".join(f"{v:.3f}" for v in row) for row in xyz) + "\n").encode()


def hdf5_bytes() -> bytes:
    from plm import Channel, Recording
    from plm.io.hdf5 import write_recording

    rng = np.random.default_rng(6)
    rec = Recording(
        data=rng.normal(0, 2, (2, 128 * 30)),
        sfreq=128.0,  # EMG at >= 100 Hz is scored (plm/plausibility.py), so mutations reach the detector
        channels=(Channel("Leg L", "uV", "emg", "left"), Channel("Leg R", "uV", "emg", "right")),
        start_time=dt.datetime(2024, 3, 1, 22, 30, tzinfo=dt.timezone.utc),
    )
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "seed.h5"
        write_recording(p, rec)
        return p.read_bytes()


def edf_plus_bytes() -> bytes:
    """EDF+ written by plm: staging annotations, a NaN gap (``plm gap``), UTC offset in the header."""
    from plm import Channel, Recording
    from plm.io.edf import write_edf

    rng = np.random.default_rng(7)
    data = rng.normal(0, 2, (2, 128 * 90))
    data[:, 128 * 40 : 128 * 45] = np.nan
    rec = Recording(
        data=data,
        sfreq=128.0,
        channels=(Channel("Leg L", "uV", "emg", "left"), Channel("Leg R", "uV", "emg", "right")),
        start_time=dt.datetime(2024, 3, 1, 22, 30, tzinfo=dt.timezone(dt.timedelta(hours=1))),
    )
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "seed.edf"
        write_edf(p, rec, annotations=[(0.0, 30.0, "Sleep stage N2"), (30.0, 30.0, "Sleep stage W"),
                                       (60.0, 30.0, "Sleep stage R")])
        return p.read_bytes()


def _device_bytes(write, name: str, n: int, **kw):
    """A small valid device file from the tests' writers (``device_writers``)."""
    rng = np.random.default_rng(8)
    counts = np.clip(np.round(rng.normal(0, 0.3, (n, 3)) * 256), -2048, 2047).astype(int)
    with tempfile.TemporaryDirectory() as d:
        return write(Path(d) / name, counts, **kw).read_bytes()


def gt3x_bytes() -> bytes:
    return _device_bytes(write_gt3x, "seed_L.gt3x", 30 * 20, sleep=(5, 12))


def cwa_bytes() -> bytes:
    return _device_bytes(write_cwa, "seed_L.cwa", 800)


def geneactiv_bytes() -> bytes:
    return _device_bytes(write_geneactiv_bin, "seed_L.bin", 900)


#: file suffix -> maker of a small valid file of that format
VALID = {
    "_L.gt3x": gt3x_bytes,
    "_L.cwa": cwa_bytes,
    "_L.bin": geneactiv_bytes,
    ".edf": edf_bytes,
    "_plus.edf": edf_plus_bytes,
    ".tsv": events_tsv_bytes,
    "_accel.csv": accel_csv_bytes,
    "_L.csv": actigraph_csv_bytes,
    ".h5": hdf5_bytes,
}


@st.composite
def mutated(draw, make):
    raw = bytearray(make())
    kind = draw(st.sampled_from(["flip", "truncate", "splice", "header-field"]))
    if kind == "flip":
        for pos, val in draw(st.lists(st.tuples(st.integers(0, len(raw) - 1), st.integers(0, 255)), min_size=1, max_size=20)):
            raw[pos] = val
    elif kind == "truncate":
        raw = raw[: draw(st.integers(1, len(raw) - 1))]
    elif kind == "splice":
        pos = draw(st.integers(0, len(raw)))
        raw[pos:pos] = draw(st.binary(min_size=1, max_size=64))
    else:  # overwrite an aligned 8-byte field of the first 2 KiB with random text
        pos = draw(st.integers(0, min(len(raw), 2048) // 8 - 1)) * 8
        txt = draw(st.sampled_from(["0", "-1", "1e308", "nan", "inf", "", "abc", "99999999", "-0.5", "1,5"]))
        raw[pos : pos + 8] = txt.ljust(8)[:8].encode()
    return bytes(raw)


@pytest.mark.parametrize("ext", sorted(VALID))
def test_valid_seed_files_are_readable_or_refused_cleanly(ext):
    # the unmutated seed must itself only produce results or PlmErrors
    _only_plm_errors(_scratch(VALID[ext](), ext))


@SETTINGS
@given(data=st.data(), ext=st.sampled_from(sorted(VALID)))
def test_mutated_valid_files_raise_only_plm_errors(data, ext):
    _only_plm_errors(_scratch(data.draw(mutated(VALID[ext])), ext))
