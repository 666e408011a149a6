"""ActiGraph ActiLife raw CSV: header parsing, side/time-zone rules, timestamps, bad input."""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

import plm
from plm.errors import InputError
from plm.io import detect_format
from plm.io.actigraph_csv import read_actigraph_csv, side_from_filename



def actilife_text(x: np.ndarray, rate=30, start=dt.datetime(2026, 3, 1, 22, 30), timestamps=True,
                  column_header=True, date_fmt="M/d/yyyy", epoch="00:00:00") -> str:
    """An ActiLife v6 raw export as ActiLife writes it (10 header lines)."""
    def fmt_date(d):
        if date_fmt == "M/d/yyyy":
            return f"{d.month}/{d.day}/{d.year}"
        if date_fmt == "dd.MM.yyyy":
            return f"{d.day:02d}.{d.month:02d}.{d.year}"
        raise ValueError(date_fmt)

    head = [
        f"------------ Data File Created By ActiGraph GT3X+ ActiLife v6.13.3 Firmware v2.5.0 date format {date_fmt} "
        f"at {rate} Hz  Filter Normal -----------",
        "Serial Number: CLE2B20130001",
        f"Start Time {start:%H:%M:%S}",
        f"Start Date {fmt_date(start)}",
        f"Epoch Period (hh:mm:ss) {epoch}",
        "Download Time 08:10:00",
        f"Download Date {fmt_date(start + dt.timedelta(days=1))}",
        "Current Memory Address: 0",
        "Current Battery Voltage: 4.21     Mode = 12",
        "--------------------------------------------------",
    ]
    if column_header:
        head.append(("Timestamp," if timestamps else "") + "Accelerometer X,Accelerometer Y,Accelerometer Z")
    rows = []
    for i in range(x.shape[1]):
        vals = ",".join(f"{v:.3f}" for v in x[:, i])
        if timestamps:
            t = start + dt.timedelta(milliseconds=round(1000 * i / rate))
            vals = f"{fmt_date(t)} {t:%H:%M:%S}.{t.microsecond // 1000:03d}," + vals
        rows.append(vals)
    return "\r\n".join(head + rows) + "\r\n"


def sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.fixture
def signal():
    rng = np.random.default_rng(7)
    return np.round(rng.normal(0, 0.5, (3, 300)), 3)


def test_zero_g_runs_are_missing(tmp_path, signal):
    # ActiLife writes 0,0,0 rows where the device stored nothing (docked): 1 s or more of them is a
    # gap; a shorter run stays data
    x = signal.copy()
    x[:, 100:160] = 0.0
    x[:, 200] = 0.0
    p = tmp_path / "z_L.csv"
    p.write_text(actilife_text(x))
    with pytest.warns(UserWarning, match="60 rows of exactly 0 g"):
        rec = read_actigraph_csv(p, tz="UTC")
    np.testing.assert_array_equal(np.isnan(rec.data[0]), (np.arange(300) >= 100) & (np.arange(300) < 160))
    assert (rec.data[:, 200] == 0).all()


@pytest.mark.parametrize("timestamps", [True, False])
@pytest.mark.parametrize("column_header", [True, False])
def test_read_layouts(tmp_path, signal, timestamps, column_header):
    p = tmp_path / "P01_L.csv"
    p.write_text(actilife_text(signal, timestamps=timestamps, column_header=column_header))
    before = sha(p)
    rec = read_actigraph_csv(p, tz="Europe/Berlin")
    assert sha(p) == before
    np.testing.assert_array_equal(rec.data, signal)
    assert rec.sfreq == 30.0
    # 22:30 local in Berlin on 1 March (CET, UTC+1)
    assert rec.start_time == dt.datetime(2026, 3, 1, 22, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert rec.start_time.utcoffset() == dt.timedelta(hours=1)
    assert rec.timezone == "Europe/Berlin"
    assert rec.sides == ["left"] and rec.ch_names == ["left_x", "left_y", "left_z"]
    assert rec.device == "ActiGraph GT3X+ CLE2B20130001"
    assert "warnings" not in rec.meta
    assert detect_format(p) == ("raw", "actigraph-csv")


def test_default_tz_is_utc_with_recorded_warning(tmp_path, signal):
    p = tmp_path / "night_right.csv"
    p.write_text(actilife_text(signal))
    with pytest.warns(UserWarning, match="taken as UTC"):
        rec = plm.read(p)
    assert rec.start_time == dt.datetime(2026, 3, 1, 22, 30, tzinfo=dt.timezone.utc)
    assert rec.sides == ["right"]
    assert any("UTC" in w for w in rec.meta["warnings"])


def test_fixed_offset_tz_and_summer_time(tmp_path, signal):
    p = tmp_path / "x_R.csv"
    p.write_text(actilife_text(signal, start=dt.datetime(2026, 7, 1, 23, 0)))
    rec = read_actigraph_csv(p, tz="-05:00")
    assert rec.start_time.utcoffset() == dt.timedelta(hours=-5) and rec.timezone is None
    rec = read_actigraph_csv(p, tz="Europe/Berlin")  # CEST in July
    assert rec.start_time.utcoffset() == dt.timedelta(hours=2)


def test_day_first_date_format(tmp_path, signal):
    p = tmp_path / "left.csv"
    p.write_text(actilife_text(signal, start=dt.datetime(2026, 3, 11, 22, 0), date_fmt="dd.MM.yyyy"))
    rec = read_actigraph_csv(p, tz="UTC")
    assert rec.start_time == dt.datetime(2026, 3, 11, 22, 0, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize(
    "name, side",
    [("P01_L.csv", "left"), ("P01_R.csv", "right"), ("p01-left-ankle.csv", "left"), ("RightAnkle.csv", "right"),
     ("p01.RT.csv.gz", "right"), ("subject 3 lt.csv", "left"), ("p01.csv", None), ("left_right.csv", None),
     ("P01_LR.csv", None), ("Lars.csv", None)],
)
def test_side_from_filename(name, side):
    assert side_from_filename(name) == side


def test_side_argument_overrides_name_and_missing_side_errors(tmp_path, signal):
    p = tmp_path / "p01.csv"
    p.write_text(actilife_text(signal))
    with pytest.raises(InputError, match=re.escape(str(p)) + ".*which leg"):
        read_actigraph_csv(p, tz="UTC")
    assert read_actigraph_csv(p, side="right", tz="UTC").sides == ["right"]


def test_left_and_right_files_combine(tmp_path, signal):
    lp, rp = tmp_path / "n1_L.csv", tmp_path / "n1_R.csv"
    lp.write_text(actilife_text(signal))
    # right device started 2 s later: 60 samples at 30 Hz
    rp.write_text(actilife_text(signal[:, :240], start=dt.datetime(2026, 3, 1, 22, 30, 2)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        rec = plm.read([lp, rp])
    assert rec.sides == ["left", "right"] and rec.n_samples == 300
    np.testing.assert_array_equal(rec.data[3:, 60:300], signal[:, :240])
    assert np.isnan(rec.data[3:, :60]).all()




def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


@pytest.mark.parametrize(
    "case, mutate, expected",
    [
        ("no_rate", lambda t: t.replace("at 30 Hz", "at some rate"), "sampling rate"),
        ("zero_rate", lambda t: t.replace("at 30 Hz", "at 0 Hz"), "positive"),
        ("absurd_rate", lambda t: t.replace("at 30 Hz", "at 50000 Hz"), "implausibly high"),
        ("no_start_time", lambda t: t.replace("Start Time 22:30:00", "Start Hour 22:30:00"), "Start Time"),
        ("bad_start_date", lambda t: t.replace("Start Date 3/1/2026", "Start Date 2026-03-01"), "date format"),
        ("epoch", lambda t: t.replace("Epoch Period (hh:mm:ss) 00:00:00", "Epoch Period (hh:mm:ss) 00:01:00"),
         "activity counts"),
        ("non_numeric", lambda t: t.replace(",0.", ",abc", 1), r"line 12: non-numeric value 'abc"),
        ("short_row", lambda t: _cut_row(t, 14), "line 15: 3 column"),
        ("duplicate_ts", lambda t: _dup_ts(t, 20), "line 22: timestamp .* repeats"),
        ("missing_samples", lambda t: _drop_rows(t, 30, 5), "off the 30 Hz sample grid"),
        ("wrong_columns", lambda t: t.replace("Accelerometer Z", "Lux"), "expected \\[Timestamp,\\]Accelerometer"),
        ("truncated_header", lambda t: "\r\n".join(t.split("\r\n")[:6]), "10 lines"),
        ("no_rows", lambda t: "\r\n".join(t.split("\r\n")[:11]) + "\r\n", "no data rows"),
    ],
)
def test_bad_input(tmp_path, signal, case, mutate, expected):
    p = _write(tmp_path, f"{case}_L.csv", mutate(actilife_text(signal)))
    before = sha(p)
    with pytest.raises(InputError, match=re.escape(str(p)) + ".*" + expected):
        read_actigraph_csv(p, tz="UTC")
    assert sha(p) == before


def _cut_row(text, i):
    lines = text.split("\r\n")
    lines[i] = lines[i].rsplit(",", 1)[0]
    return "\r\n".join(lines)


def _dup_ts(text, i):
    lines = text.split("\r\n")
    ts = lines[i].split(",")[0]
    rest = lines[i + 1].split(",", 1)[1]
    lines[i + 1] = ts + "," + rest
    return "\r\n".join(lines)


def _drop_rows(text, i, n):
    lines = text.split("\r\n")
    return "\r\n".join(lines[:i] + lines[i + n:])


def test_bad_tz_and_dst_gap(tmp_path, signal):
    p = _write(tmp_path, "a_L.csv", actilife_text(signal, start=dt.datetime(2026, 3, 29, 2, 30)))
    with pytest.raises(InputError, match="tz="):
        read_actigraph_csv(p, tz="Mars/Olympus")
    # 02:30 on 29 March 2026 does not exist in Berlin (clocks jump 02:00 -> 03:00)
    with pytest.raises(InputError, match=re.escape(str(p)) + ".*daylight-saving gap"):
        read_actigraph_csv(p, tz="Europe/Berlin")


def test_dropped_rows_are_found_by_the_timestamps(tmp_path, signal):
    bad = _write(tmp_path, "b_L.csv", _drop_rows(actilife_text(signal), 30, 5))
    with pytest.raises(InputError, match=re.escape(str(bad)) + ".*sample grid"):
        read_actigraph_csv(bad, tz="UTC")


def test_plm_score_cli_side_and_tz(tmp_path, capsys):
    # A file name without a leg: `plm score` needs --side; --tz places the clock.
    from plm.cli import main

    still = np.random.default_rng(1).normal(0, 0.01, (3, 30 * 60)) + np.array([[0.0], [0.0], [1.0]])  # at rest
    p = _write(tmp_path, "subject7.csv", actilife_text(still))
    assert main(["score", str(p), "--json"]) == 1
    assert "which leg" in capsys.readouterr().err
    assert main(["score", str(p), "--side", "left", "--tz", "Europe/Berlin", "--json"]) == 0
    out = capsys.readouterr().out
    assert '"start_time": "2026-03-01T22:30:00+01:00"' in out and '"n_lm": 0' in out
