"""plm accelerometer CSV: round trips, unit conversion, bad input."""
from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import re
from pathlib import Path

import numpy as np
import pytest

import plm
from plm.errors import InputError
from plm.io import detect_format
from plm.io.accel_csv import read_accel_csv, write_accel_csv


START = dt.datetime.fromisoformat("2026-03-01T22:30:00+01:00")

GOOD_HEADER = (
    "# plm-accelerometer-csv 1\n"
    "# device: PAM-RL\n"
    "# side: left\n"
    "# sampling_rate_hz: 40\n"
    "# start: 2026-03-01T22:30:00+01:00\n"
    "# units: g\n"
)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_text(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def m(path: Path) -> str:
    return re.escape(str(path))


def test_reads_documented_example(tmp_path):
    p = write_text(tmp_path, "left.csv", GOOD_HEADER + "x,y,z\n0.0121,-0.3011,0.9502\n0.0,1,-2.5\n")
    before = sha(p)
    rec = read_accel_csv(p)
    assert sha(p) == before  # input untouched
    assert rec.sfreq == 40.0
    assert rec.start_time == START and rec.start_time.utcoffset() == dt.timedelta(hours=1)
    assert rec.device == "PAM-RL"
    assert rec.ch_names == ["left_x", "left_y", "left_z"]
    assert [c.axis for c in rec.channels] == ["x", "y", "z"]
    assert {(c.modality, c.side, c.unit) for c in rec.channels} == {("accel", "left", "g")}
    np.testing.assert_array_equal(rec.data, [[0.0121, 0.0], [-0.3011, 1.0], [0.9502, -2.5]])
    assert rec.duration == pytest.approx(2 / 40)
    assert rec.timezone is None


@pytest.mark.parametrize("name", ["r.csv", "r.csv.gz", "r.dat"])
def test_round_trip_plain_and_gzip(tmp_path, name):
    rng = np.random.default_rng(1)
    x = np.round(rng.normal(0, 0.3, (3, 5000)), 5)
    x[1, 100:110] = np.nan  # a gap survives the round trip
    p = write_accel_csv(tmp_path / name, x, 25.0, START, side="right", device="PAM-RL", timezone="Europe/Berlin")
    if name.endswith(".gz"):
        assert p.read_bytes()[:2] == b"\x1f\x8b"
    rec = plm.read(p)  # auto-detected, gzip by magic bytes
    assert detect_format(p) == ("raw", "accel-csv")
    np.testing.assert_allclose(rec.data, x, atol=5e-6, equal_nan=True)
    assert rec.sfreq == 25.0 and rec.start_time == START and rec.timezone == "Europe/Berlin"
    assert rec.sides == ["right"] and rec.device == "PAM-RL"
    # writing the read recording again gives the same bytes (deterministic, gzip mtime=0)
    p2 = write_accel_csv(tmp_path / ("again_" + name), rec)
    assert p2.read_bytes() == p.read_bytes()
    assert not list(tmp_path.glob(".*tmp*"))  # no temporary leftovers


@pytest.mark.parametrize(
    "unit, factor",
    [("g", 1.0), ("mg", 1e-3), ("m/s^2", 1 / 9.80665), ("m/s2", 1 / 9.80665)],
)
def test_units_converted_to_g(tmp_path, unit, factor):
    # 981 mg = 0.981 g; 9.80665 m/s^2 = 1 g exactly by the standard-gravity definition.
    text = GOOD_HEADER.replace("# units: g", f"# units: {unit}") + "x,y,z\n1000,9.80665,-500\n"
    rec = read_accel_csv(write_text(tmp_path, "u.csv", text))
    np.testing.assert_allclose(rec.data[:, 0], np.array([1000, 9.80665, -500]) * factor, rtol=1e-12)
    assert all(c.unit == "g" for c in rec.channels)


def test_write_in_mg_reads_back_in_g(tmp_path):
    x = np.array([[0.5, -0.25], [1.0, 0.0], [0.001, 2.0]])
    p = write_accel_csv(tmp_path / "mg.csv", x, 40, START, side="left", units="mg", decimals=3)
    assert "# units: mg" in p.read_text() and "\n500.000,1000.000,1.000\n" in p.read_text()
    np.testing.assert_allclose(read_accel_csv(p).data, x, atol=1e-9)


def test_side_argument_and_timezone(tmp_path):
    text = GOOD_HEADER.replace("# side: left\n", "") + "# timezone: Europe/Berlin\nx,y,z\n0,0,1\n"
    p = write_text(tmp_path, "noside.csv", text)
    with pytest.raises(InputError, match=m(p) + ".*side"):
        read_accel_csv(p)
    rec = read_accel_csv(p, side="R")
    assert rec.sides == ["right"] and rec.timezone == "Europe/Berlin"
    p2 = write_text(tmp_path, "left.csv", GOOD_HEADER + "x,y,z\n0,0,1\n")
    with pytest.raises(InputError, match=m(p2) + ".*left.*right"):
        read_accel_csv(p2, side="right")


def test_crlf_and_bom(tmp_path):
    text = "\ufeff" + (GOOD_HEADER + "x,y,z\n1,2,3\n4,5,6\n").replace("\n", "\r\n")
    p = tmp_path / "win.csv"
    p.write_bytes(text.encode("utf-8"))
    rec = read_accel_csv(p)
    np.testing.assert_array_equal(rec.data, [[1, 4], [2, 5], [3, 6]])


def test_write_two_leg_recording_needs_side(tmp_path):
    a = read_accel_csv(write_text(tmp_path, "l.csv", GOOD_HEADER + "x,y,z\n0,0,1\n"))
    b = read_accel_csv(write_text(tmp_path, "r.csv", GOOD_HEADER.replace("left", "right") + "x,y,z\n0,0,1\n"))
    from plm.io.combine import combine_recordings

    both = combine_recordings([a, b])
    out = tmp_path / "out.csv"
    with pytest.raises(InputError, match="side="):
        write_accel_csv(out, both)
    assert not out.exists()
    write_accel_csv(out, both, side="right")
    assert read_accel_csv(out).sides == ["right"]


BAD_CASES = {
    "missing_rate": (GOOD_HEADER.replace("# sampling_rate_hz: 40\n", "") + "x,y,z\n0,0,1\n", "sampling_rate_hz"),
    "missing_start": (GOOD_HEADER.replace("# start: 2026-03-01T22:30:00+01:00\n", "") + "x,y,z\n0,0,1\n", "start"),
    "missing_units": (GOOD_HEADER.replace("# units: g\n", "") + "x,y,z\n0,0,1\n", "units"),
    "wrong_units": (GOOD_HEADER.replace("# units: g", "# units: counts") + "x,y,z\n0,0,1\n", "units.*counts"),
    "rate_zero": (GOOD_HEADER.replace("rate_hz: 40", "rate_hz: 0") + "x,y,z\n0,0,1\n", "positive"),
    "rate_negative": (GOOD_HEADER.replace("rate_hz: 40", "rate_hz: -40") + "x,y,z\n0,0,1\n", "positive"),
    "rate_absurd": (GOOD_HEADER.replace("rate_hz: 40", "rate_hz: 40000") + "x,y,z\n0,0,1\n", "implausibly high"),
    "rate_text": (GOOD_HEADER.replace("rate_hz: 40", "rate_hz: forty") + "x,y,z\n0,0,1\n", "not a number"),
    "rate_nan": (GOOD_HEADER.replace("rate_hz: 40", "rate_hz: nan") + "x,y,z\n0,0,1\n", "positive"),
    "start_no_offset": (GOOD_HEADER.replace("+01:00", "") + "x,y,z\n0,0,1\n", "UTC offset"),
    "start_garbage": (GOOD_HEADER.replace("2026-03-01T22:30:00+01:00", "yesterday") + "x,y,z\n0,0,1\n", "ISO 8601"),
    "bad_side": (GOOD_HEADER.replace("side: left", "side: middle") + "x,y,z\n0,0,1\n", "left or right"),
    "bad_timezone": (GOOD_HEADER + "# timezone: Mars/Olympus\nx,y,z\n0,0,1\n", "IANA"),
    "timezone_offset_mismatch": (GOOD_HEADER + "# timezone: America/New_York\nx,y,z\n0,0,1\n", "offset"),
    "non_numeric": (GOOD_HEADER + "x,y,z\n0,0,1\n0,abc,1\n", "line 9: non-numeric value 'abc'"),
    "short_row": (GOOD_HEADER + "x,y,z\n0,0,1\n0,1\n", "line 9: 2 column"),
    "long_row": (GOOD_HEADER + "x,y,z\n0,0,1\n0,1,2,3\n", "line 9: 4 column"),
    "empty_field": (GOOD_HEADER + "x,y,z\n0,,1\n", "line 8: non-numeric value ''"),
    "infinite": (GOOD_HEADER + "x,y,z\n0,0,1\n0,inf,1\n", "infinite"),
    "no_rows": (GOOD_HEADER + "x,y,z\n", "no data rows"),
    "header_only": (GOOD_HEADER, "no 'x,y,z' column header"),
    "wrong_columns": (GOOD_HEADER + "a,b,c\n0,0,1\n", "column header must be 'x,y,z'"),
    "two_columns": (GOOD_HEADER + "x,y\n0,0\n", "column header must be 'x,y,z'"),
    "all_nan": (GOOD_HEADER + "x,y,z\nnan,nan,nan\nnan,nan,nan\n", "every sample is missing"),
    "bad_version": (GOOD_HEADER.replace("csv 1", "csv 7") + "x,y,z\n0,0,1\n", "version"),
    "duplicate_key": (GOOD_HEADER + "# units: mg\nx,y,z\n0,0,1\n", "twice"),
    "not_key_value": (GOOD_HEADER + "# hello world\nx,y,z\n0,0,1\n", "key: value"),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_input_names_file(tmp_path, case):
    text, expected = BAD_CASES[case]
    p = write_text(tmp_path, f"{case}.csv", text)
    before = sha(p)
    with pytest.raises(InputError, match=m(p) + ".*" + expected):
        read_accel_csv(p)
    assert sha(p) == before


def test_empty_file(tmp_path):
    p = write_text(tmp_path, "empty.csv", "")
    with pytest.raises(InputError, match=m(p) + ": file is empty"):
        read_accel_csv(p)
    with pytest.raises(InputError, match=m(p) + ": file is empty"):
        plm.read(p)


def test_truncated_and_corrupt_gzip(tmp_path):
    x = np.zeros((3, 20000))
    good = write_accel_csv(tmp_path / "g.csv.gz", x, 40, START, side="left")
    blob = good.read_bytes()
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(InputError, match=m(cut) + ".*truncated"):
        read_accel_csv(cut)
    # auto-detection still recognises the (truncated) file, then the reader refuses it
    with pytest.raises(InputError, match=m(cut) + ".*truncated"):
        plm.read(cut)
    bad = tmp_path / "bad.csv.gz"
    bad.write_bytes(blob[:10] + b"\x00" * 50 + blob[60:])
    with pytest.raises(InputError, match=m(bad)):
        read_accel_csv(bad)


def test_decimal_text_read_exactly_and_bad_cell_named(tmp_path):
    # pandas' C parser rounds decimal text correctly: the numbers are those Python's float() reads
    rng = np.random.default_rng(3)
    x = rng.normal(0, 1, (3, 2000))
    p = write_accel_csv(tmp_path / "p.csv", x, 40, START, side="left", decimals=9)
    rows = [ln.split(",") for ln in p.read_text().splitlines() if ln[:1] in "-0123456789"]
    np.testing.assert_array_equal(read_accel_csv(p).data, np.array([[float(c) for c in r] for r in rows]).T)
    bad = write_text(tmp_path, "bad.csv", GOOD_HEADER + "x,y,z\n0,0,1\n1,x,2\n")
    with pytest.raises(InputError, match=m(bad) + ".*line 9"):
        read_accel_csv(bad)


def test_sniff_rejects_other_csv(tmp_path):
    from plm.io import accel_csv

    p = write_text(tmp_path, "other.csv", "x,y,z\n0,0,1\n")
    assert not accel_csv.sniff(p, p.read_bytes())
    gz = tmp_path / "g.csv.gz"
    gz.write_bytes(gzip.compress((GOOD_HEADER + "x,y,z\n" + "0.1234,0.5678,1.0\n" * 50000).encode()))
    assert len(gz.read_bytes()) > 1000
    assert accel_csv.sniff(gz, gz.read_bytes()[:300])  # a partial gzip stream is enough
