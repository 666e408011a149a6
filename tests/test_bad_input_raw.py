"""Bad raw recordings (EDF, accelerometer CSV, ActiGraph CSV) and unusable output folders.

Same contract as ``test_bad_input.py``: a one-line error naming the file and
the problem with a non-zero exit, or a documented warning and a result whose
summary (``notes``, ``excluded_hours``) says what was excluded or converted.
Input files are never changed; no output file is left behind on failure.
Recordings are short (minutes) so the whole module runs in seconds.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from plm import Channel, Recording
from plm.cli import main

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sample_recordings"))
generate = pytest.importorskip("generate")

START = dt.datetime(2024, 3, 1, 22, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))


def sha(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def cli_error(capsys, argv, *fragments) -> str:
    code = main(argv)
    cap = capsys.readouterr()
    assert code != 0, f"expected failure; stdout={cap.out[:300]!r}"
    lines = [ln for ln in cap.err.splitlines() if ln.startswith("plm: error: ")]
    assert len(lines) == 1 and "Traceback" not in cap.err, cap.err
    err = lines[0]
    assert "internal error" not in err, err
    for frag in fragments:
        assert frag.lower() in err.lower(), f"{frag!r} not in {err!r}"
    return err


def cli_summary(capsys, argv) -> tuple[dict, str]:
    code = main(argv + ["--json"])
    cap = capsys.readouterr()
    assert code == 0, cap.err
    assert "Traceback" not in cap.err
    return json.loads(cap.out.splitlines()[0]), cap.err


# ------------------------------------------------------------------- EDF
@pytest.fixture(scope="module")
def emg_rec():
    rec, truth = generate.make_emg_night(hours=0.25, seed=11, sfreq=256.0)
    return rec, truth


def _write_edf(path: Path, rec: Recording) -> Path:
    from plm.io.edf import write_edf

    write_edf(path, rec)
    return path


@pytest.fixture()
def edf_file(tmp_path, emg_rec):
    return _write_edf(tmp_path / "night.edf", emg_rec[0])


def _patch(path: Path, offset: int, text: str) -> None:
    raw = bytearray(path.read_bytes())
    raw[offset : offset + len(text)] = text.encode("ascii")
    path.write_bytes(bytes(raw))


def _ns(path: Path) -> int:
    return int(path.read_bytes()[252:256])


def test_edf_truncated(capsys, edf_file):
    raw = edf_file.read_bytes()
    edf_file.write_bytes(raw[: int(len(raw) * 0.6)])
    before = sha(edf_file)
    cli_error(capsys, ["score", str(edf_file)], str(edf_file), "truncated")
    assert sha(edf_file) == before


def test_edf_header_too_short(capsys, edf_file):
    edf_file.write_bytes(edf_file.read_bytes()[:200])
    cli_error(capsys, ["score", str(edf_file), "--format", "edf"], str(edf_file), "truncated")


@pytest.mark.parametrize(
    "offset, text, fragments",
    [
        (252, "xx  ", ["number of signals"]),  # ns field not a number
        (168, "99.99.99", ["start date"]),  # impossible date
        (236, "abc     ", ["number of data records"]),
        (184, "999     ", ["header size"]),
        (236, "inf     ", ["number of data records", "finite"]),  # float() would accept these
        (244, "nan     ", ["data record duration", "finite"]),
    ],
    ids=["n-signals", "start-date", "n-records", "header-size", "n-records-inf", "duration-nan"],
)
def test_edf_wrong_header_fields(capsys, edf_file, offset, text, fragments):
    _patch(edf_file, offset, text)
    before = sha(edf_file)
    cli_error(capsys, ["score", str(edf_file), "--format", "edf"], str(edf_file), *fragments)
    assert sha(edf_file) == before


def _spr_offset(path: Path, channel: int) -> int:
    ns = _ns(path)
    return 256 + ns * (16 + 80 + 8 + 8 * 4 + 80) + 8 * channel


@pytest.mark.parametrize("spr", ["0", "-256"], ids=["zero", "negative"])
def test_edf_sampling_rate_zero_or_negative(capsys, edf_file, spr):
    _patch(edf_file, _spr_offset(edf_file, 0), spr.ljust(8))
    cli_error(capsys, ["score", str(edf_file), "--format", "edf"], str(edf_file))


def test_edf_record_duration_zero(capsys, edf_file):
    _patch(edf_file, 244, "0".ljust(8))  # data record duration 0 s -> infinite/zero rate
    cli_error(capsys, ["score", str(edf_file), "--format", "edf"], str(edf_file))


def test_edf_absurd_sampling_rate(capsys, edf_file):
    # 256 samples per record but a record of 1 us: 256 MHz, far above any EMG amplifier
    _patch(edf_file, 244, "0.000001")
    cli_error(capsys, ["score", str(edf_file), "--format", "edf"], str(edf_file), "sampling rate")


def test_emg_stored_in_volts_is_converted_and_reported(capsys, tmp_path, emg_rec):
    rec, truth = emg_rec
    ok = _write_edf(tmp_path / "uv.edf", rec)
    volts = _write_edf(tmp_path / "volts.edf", rec.replace(data=rec.data * 1e-6))  # labelled uV, values in V
    ref, _ = cli_summary(capsys, ["score", str(ok)])
    got, err = cli_summary(capsys, ["score", str(volts)])
    # detected by amplitude, multiplied by 1e6: the same LMs as the file in uV
    assert got["n_lm_left"] == ref["n_lm_left"] and got["n_lm_right"] == ref["n_lm_right"]
    assert any("implausible" in n and "1e+06" in n for n in got["notes"])
    assert "plm: warning:" in err


def test_emg_stored_in_volts_refused_on_request(tmp_path, emg_rec):
    from plm.errors import InputError
    from plm.io.edf import read_edf

    p = _write_edf(tmp_path / "volts.edf", emg_rec[0].replace(data=emg_rec[0].data * 1e-6))
    with pytest.raises(InputError, match="implausible"):
        read_edf(p, units="error")


def test_clipped_emg_is_reported(capsys, tmp_path, emg_rec):
    rec = emg_rec[0]
    data = rec.data.copy()
    # saturate the left leg at +-40 uV for 20 s: a stretch pinned at the rail
    i0 = int(300 * rec.sfreq)
    data[0, i0 : i0 + int(20 * rec.sfreq)] = 40.0
    data[0] = np.clip(data[0], -40.0, 40.0)
    p = _write_edf(tmp_path / "clipped.edf", rec.replace(data=data))
    s, _ = cli_summary(capsys, ["score", str(p)])
    assert any("clipped" in n for n in s["notes"]), s["notes"]


def test_flat_emg_is_non_wear_excluded(capsys, tmp_path):
    # 2 h at 128 Hz with a 40 min flat stretch (electrodes off): excluded, reported.
    # (Non-wear needs >= 30 min flat, criteria field flat_min_duration.)
    rec, truth = generate.make_emg_night(hours=2.0, seed=12, sfreq=128.0, impairments=("nonwear",))
    p = _write_edf(tmp_path / "flat.edf", rec)
    s, _ = cli_summary(capsys, ["score", str(p)])
    flat_h = float(np.diff(truth.excluded, axis=1).sum()) / 3600
    assert s["excluded_hours"] == pytest.approx(flat_h, abs=20 / 3600)  # within a 10 s block each side
    assert any("non-wear" in n for n in s["notes"])
    assert s["hours_denominator"] == pytest.approx(2.0 - s["excluded_hours"], abs=1e-6)


# ------------------------------------------------------ accelerometer CSV
ACC_HEAD = {
    "side": "left",
    "sampling_rate_hz": "10",
    "start": "2024-03-01T22:30:00+01:00",
    "units": "g",
}


def _accel_csv(path: Path, rows: str, **head) -> Path:
    h = {**ACC_HEAD, **head}
    lines = ["# plm-accelerometer-csv 1"] + [f"# {k}: {v}" for k, v in h.items() if v is not None] + ["x,y,z"]
    path.write_text("\n".join(lines) + "\n" + rows)
    return path


def _rows(n: int, rng=None) -> str:
    rng = rng or np.random.default_rng(0)
    xyz = rng.normal(0, 0.01, (n, 3)) + [0.0, 0.0, 1.0]
    return "\n".join(f"{a:.4f},{b:.4f},{c:.4f}" for a, b, c in xyz) + "\n"


def test_accel_non_numeric_row(capsys, tmp_path):
    rows = _rows(50).splitlines()
    rows[20] = "0.01,abc,0.99"
    p = _accel_csv(tmp_path / "a_left.csv", "\n".join(rows) + "\n")
    before = sha(p)
    cli_error(capsys, ["score", str(p)], str(p), "line 27", "non-numeric", "'abc'")  # 6 header lines + row 21
    assert sha(p) == before


def test_accel_truncated_last_row(capsys, tmp_path):
    p = _accel_csv(tmp_path / "a_left.csv", _rows(50) + "0.0100,0.02")
    cli_error(capsys, ["score", str(p)], str(p), "2 column(s)")


@pytest.mark.parametrize("rate, fragment", [("0", "positive"), ("-40", "positive"), ("1e9", "implausibly high"),
                                            ("fast", "not a number")])
def test_accel_bad_sampling_rate(capsys, tmp_path, rate, fragment):
    p = _accel_csv(tmp_path / "a_left.csv", _rows(50), sampling_rate_hz=rate)
    cli_error(capsys, ["score", str(p)], str(p), fragment)


@pytest.mark.parametrize("missing", ["start", "units", "sampling_rate_hz"])
def test_accel_missing_header_field(capsys, tmp_path, missing):
    p = _accel_csv(tmp_path / "a_left.csv", _rows(50), **{missing: None})
    cli_error(capsys, ["score", str(p)], str(p), "missing", missing)


def test_accel_wrong_header_value(capsys, tmp_path):
    p = _accel_csv(tmp_path / "a_left.csv", _rows(50), start="yesterday evening")
    cli_error(capsys, ["score", str(p)], str(p), "yesterday evening")


def test_accel_all_nan(capsys, tmp_path):
    p = _accel_csv(tmp_path / "a_left.csv", "nan,nan,nan\n" * 100)
    cli_error(capsys, ["score", str(p)], str(p), "missing")


def _accel_pair(tmp_path, gap: slice | None = None, hours=0.5, sfreq=40.0):
    from plm.io.accel_csv import write_accel_csv

    rec, truth = generate.make_accel_night(hours=hours, seed=13, sfreq=sfreq)
    data = rec.data.copy()
    if gap is not None:
        data[:, gap] = np.nan
    rec = rec.replace(data=data)
    paths = []
    for side in ("left", "right"):
        p = tmp_path / f"night_{side}.csv"
        write_accel_csv(p, rec, side=side)
        paths.append(p)
    return paths, truth


def test_accel_partly_nan_is_a_reported_gap(capsys, tmp_path):
    # 0.5 h at 40 Hz; samples 24000-36000 (10.0-15.0 min) missing on both ankles:
    # 5 min = 1/12 h excluded from analysis time, and said so.
    paths, _ = _accel_pair(tmp_path, gap=slice(24000, 36000))
    before = [sha(p) for p in paths]
    s, err = cli_summary(capsys, ["score", *map(str, paths)])
    assert s["excluded_hours"] == pytest.approx(5 / 60, abs=1e-6)
    assert s["hours_denominator"] == pytest.approx(0.5 - 5 / 60, abs=1e-6)
    assert any("gap" in n for n in s["notes"])
    assert "plm: warning:" in err and "Traceback" not in err
    assert [sha(p) for p in paths] == before


# ------------------------------------------------------------ ActiGraph CSV
AG_HEAD = (
    "------------ Data File Created By ActiGraph GT3X+ ActiLife v6.13.3 Firmware v2.5.0 date format M/d/yyyy "
    "at 10 Hz  Filter Normal -----------\nSerial Number: CLE2B2013XXXX\nStart Time 22:30:00\nStart Date 3/1/2024\n"
    "Epoch Period (hh:mm:ss) 00:00:00\nDownload Time 08:10:00\nDownload Date 3/2/2024\nCurrent Memory Address: 0\n"
    "Current Battery Voltage: 4.21     Mode = 12\n--------------------------------------------------\n"
    "Timestamp,Accelerometer X,Accelerometer Y,Accelerometer Z\n"
)


def _actigraph(path: Path, stamps: list[str]) -> Path:
    rng = np.random.default_rng(1)
    rows = [f"{s},{a:.3f},{b:.3f},{c + 1:.3f}" for s, (a, b, c) in zip(stamps, rng.normal(0, 0.01, (len(stamps), 3)))]
    path.write_text(AG_HEAD + "\n".join(rows) + "\n")
    return path


def _stamps(n: int) -> list[str]:
    t0 = dt.datetime(2024, 3, 1, 22, 30)
    return [(t0 + dt.timedelta(seconds=i / 10)).strftime("%-m/%-d/%Y %H:%M:%S.%f")[:-3] for i in range(n)]


@pytest.mark.parametrize("kind", ["duplicated", "backwards"])
def test_actigraph_bad_timestamps(capsys, tmp_path, kind):
    st = _stamps(100)
    if kind == "duplicated":
        st[40] = st[39]
    else:
        st[40], st[41] = st[41], st[40]
    p = _actigraph(tmp_path / "p01_left.csv", st)
    before = sha(p)
    cli_error(capsys, ["score", str(p)], str(p), "timestamp", "increase")
    assert sha(p) == before


# ------------------------------------------------------------ output folder
def _events_file(tmp_path) -> Path:
    p = tmp_path / "lms.tsv"
    p.write_text("# start_time: 2024-03-01T22:30:00+01:00\n# duration_s: 3600\nonset\tduration\ttype\n"
                 + "".join(f"{100 + 20 * i}\t1.5\tlm_left\n" for i in range(6)))
    return p


def test_output_folder_is_a_file(capsys, tmp_path):
    src = _events_file(tmp_path)
    blocker = tmp_path / "results"
    blocker.write_text("not a folder")
    cli_error(capsys, ["score", str(src), "--out", str(blocker)], str(blocker))
    assert blocker.read_text() == "not a folder"


def test_output_folder_under_a_file(capsys, tmp_path):
    src = _events_file(tmp_path)
    blocker = tmp_path / "results"
    blocker.write_text("x")
    cli_error(capsys, ["score", str(src), "--out", str(blocker / "night1")], str(blocker))


def test_output_folder_not_writable(capsys, tmp_path):
    import os

    src = _events_file(tmp_path)
    out = tmp_path / "ro"
    out.mkdir()
    out.chmod(0o500)
    try:
        if os.access(out, os.W_OK):
            pytest.skip("running with privileges that ignore folder permissions (e.g. root)")
        cli_error(capsys, ["score", str(src), "--out", str(out)], str(out))
        assert list(out.iterdir()) == []
    finally:
        out.chmod(0o700)


def test_unknown_export_format_writes_nothing(capsys, tmp_path):
    src = _events_file(tmp_path)
    out = tmp_path / "out"
    cli_error(capsys, ["score", str(src), "--out", str(out), "--export", "docx"], "docx")
    assert not out.exists() or list(out.iterdir()) == []
