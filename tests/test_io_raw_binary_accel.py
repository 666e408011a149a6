"""Binary accelerometer files through actfast, with .gt3x files generated here.

The .gt3x writer below follows ActiGraph's published format description
(github.com/actigraph/GT3X-File-Format: zip with info.txt and log.bin;
log records 0x1E, type, uint32 time, uint16 size, payload, 1's-complement
XOR checksum; ACTIVITY = 12-bit YXZ samples; PARAMETERS = 8-byte key/value
pairs with SSP-encoded floats). No package ships sample files (checked in
site-packages of actfast 1.3 and pygt3x 0.7), and tests do not download.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest

import plm
from plm.errors import InputError, MissingDependencyError
from plm.detect.quality import assess_quality
from plm.io import detect_format
from plm.io.hdf5 import write_recording

from hide_imports import hide_modules

actfast = pytest.importorskip("actfast")

START = dt.datetime(2026, 3, 1, 22, 30)


def _ticks(d: dt.datetime) -> int:  # .NET ticks: 100 ns since 0001-01-01
    return int((d - dt.datetime(1, 1, 1)).total_seconds()) * 10_000_000


def _record(typ: int, ts: int, payload: bytes) -> bytes:
    head = struct.pack("<BBIH", 0x1E, typ, ts, len(payload))
    c = 0
    for b in head + payload:
        c ^= b
    return head + payload + bytes([(~c) & 0xFF])


def _pack12(vals: np.ndarray) -> bytes:
    v = (np.asarray(vals, dtype=np.int64) & 0xFFF).reshape(-1)
    if v.size % 2:
        v = np.append(v, 0)
    a, b = v[0::2], v[1::2]
    return np.stack([a >> 4, ((a & 0xF) << 4) | (b >> 8), b & 0xFF], axis=1).astype(np.uint8).tobytes()


def _ssp(f: float) -> int:
    """ActiGraph SSP float: 24-bit two's-complement fraction, 8-bit exponent."""
    m, e = np.frexp(f)  # f = m * 2**e with 0.5 <= |m| < 1
    code = int(m * 2 ** 23) & 0xFFFFFF
    return code | ((int(e) & 0xFF) << 24)


def write_gt3x(path: Path, counts: np.ndarray, fs: int = 30, scale: float = 256.0, params: bool = True,
               skip_seconds=(), timezone: str | None = "01:00:00", sleep=None) -> Path:
    """counts: (n, 3) int x, y, z; one ACTIVITY record per second.

    ``sleep=(a, b)``: idle-sleep mode from second ``a`` to ``b``: EVENT records 0x08 at ``a`` and
    0x09 at ``b``, no ACTIVITY records in between (the EVENT payloads as ActiGraph's pygt3x reads them).
    """
    ts0 = int((START - dt.datetime(1970, 1, 1)).total_seconds())
    log = b""
    if params:
        pairs = [(0, 55, _ssp(scale)), (1, 10, fs)]  # ACCEL_SCALE, SAMPLE_RATE
        log += _record(0x15, ts0, b"".join(struct.pack("<HHI", a, i, v) for a, i, v in pairs))
    n_s = counts.shape[0] // fs
    for s in range(n_s):
        if sleep and s == sleep[0]:
            log += _record(0x03, ts0 + s, b"\x08")
        if sleep and s == sleep[1]:
            log += _record(0x03, ts0 + s, b"\x09")
        if s in skip_seconds or (sleep and sleep[0] <= s < sleep[1]):
            continue
        blk = counts[s * fs:(s + 1) * fs]
        log += _record(0x00, ts0 + s, _pack12(blk[:, [1, 0, 2]]))
    info = [f"Serial Number: NEO1F18120001", "Device Type: GT3XPlus", "Firmware: 3.2.1", f"Sample Rate: {fs}",
            f"Start Date: {_ticks(START)}", f"Last Sample Time: {_ticks(START + dt.timedelta(seconds=n_s))}",
            f"Acceleration Scale: {scale}"]
    if timezone:
        info.append(f"TimeZone: {timezone}")
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("info.txt", "\r\n".join(info) + "\r\n")
        z.writestr("log.bin", log)
    return path


@pytest.fixture
def counts():
    rng = np.random.default_rng(0)
    return np.clip(np.round(rng.normal(0, 0.4, (30 * 40, 3)) * 256), -2048, 2047).astype(int)


def test_gt3x_values_rate_time_side(tmp_path, counts):
    p = write_gt3x(tmp_path / "P01_L.gt3x", counts)
    before = hashlib.sha256(p.read_bytes()).hexdigest()
    assert detect_format(p) == ("raw", "binary-accel")
    rec = plm.read(p)
    assert hashlib.sha256(p.read_bytes()).hexdigest() == before
    np.testing.assert_allclose(rec.data, counts.T / 256.0, atol=1e-6)  # 256 counts per g
    assert rec.sfreq == 30 and rec.n_samples == 1200
    assert rec.start_time == dt.datetime(2026, 3, 1, 22, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert rec.sides == ["left"] and rec.modality == "accel"
    assert rec.device.startswith("ActiGraph GT3XPlus")
    assert "warnings" not in rec.meta


def test_gt3x_gap_becomes_nan(tmp_path, counts):
    # seconds 10 and 11 missing (as in idle-sleep mode): 60 NaN samples, everything after stays in place
    p = write_gt3x(tmp_path / "gap_R.gt3x", counts, skip_seconds=(10, 11))
    with pytest.warns(UserWarning, match="2 s without samples"):
        rec = plm.read(p)
    assert rec.n_samples == 1200 and rec.sides == ["right"]
    assert np.isnan(rec.data[:, 300:360]).all()
    np.testing.assert_allclose(rec.data[:, 360:], counts[360:].T / 256.0, atol=1e-6)
    assert rec.meta["regrid"] == {"missing": 60, "dropped": 0}


def test_gt3x_idle_sleep_is_held_and_worn_time(tmp_path):
    # 45 min at 30 Hz with 40 min of idle sleep: the last sample is held (as ActiLife does), marked,
    # and neither a gap nor non-wear, although 40 min of a constant signal would otherwise be "flat"
    rng = np.random.default_rng(5)
    c = np.clip(np.round(rng.normal(0, 0.2, (30 * 2700, 3)) * 256), -2048, 2047).astype(int)
    p = write_gt3x(tmp_path / "ism_L.gt3x", c, sleep=(120, 2520))
    with pytest.warns(UserWarning, match="idle-sleep mode: 2400 s in 1 stretch"):
        rec = plm.read(p)
    assert rec.n_samples == 30 * 2700 and not np.isnan(rec.data).any()
    np.testing.assert_array_equal(rec.held_samples("left"), [[120 * 30, 2520 * 30]])
    np.testing.assert_allclose(rec.data[:, 3600:75600], np.repeat(c[3599][:, None] / 256.0, 72000, axis=1))
    np.testing.assert_allclose(rec.data[:, 75600:], c[75600:].T / 256.0, atol=1e-6)
    rows = rec.data[rec.picks("left")]
    q = assess_quality(rows, rec.sfreq, "accel", held=rec.held_samples("left"))
    assert len(q.nonwear) == 0 and len(q.gaps) == 0 and len(q.held) == 1
    unmarked = assess_quality(rows, rec.sfreq, "accel")  # the same samples without the device's flag
    assert (unmarked.nonwear[:, 1] - unmarked.nonwear[:, 0]).sum() >= 30 * 60 * 30
    with pytest.warns(UserWarning):
        s = plm.score(rec).summary()
    assert s["hours_denominator"] == pytest.approx(2700 / 3600)
    # the flag survives cropping (nights), the HDF5 container and combining two ankles
    np.testing.assert_array_equal(rec.crop(600, 2700).held_samples("left"), [[0, (2520 - 600) * 30]])
    write_recording(tmp_path / "ism.h5", rec)
    np.testing.assert_array_equal(plm.read(tmp_path / "ism.h5").held_samples("left"), rec.held_samples("left"))
    right = write_gt3x(tmp_path / "ism_R.gt3x", c)
    both = plm.read([p, right])
    np.testing.assert_array_equal(both.held_samples("left"), rec.held_samples("left"))
    assert len(both.held_samples("right")) == 0


def test_gt3x_tz_argument_and_missing_offset(tmp_path, counts):
    p = write_gt3x(tmp_path / "a_L.gt3x", counts, timezone=None)
    with pytest.warns(UserWarning, match="taken as UTC"):
        rec = plm.read(p)
    assert rec.start_time.utcoffset() == dt.timedelta(0)
    rec = plm.read(p, tz="America/New_York")
    assert rec.start_time.utcoffset() == dt.timedelta(hours=-5) and rec.timezone == "America/New_York"


def test_gt3x_side_required(tmp_path, counts):
    p = write_gt3x(tmp_path / "subject.gt3x", counts)
    with pytest.raises(InputError, match=re.escape(str(p)) + ".*which leg"):
        plm.read(p)
    assert plm.read(p, side="right").sides == ["right"]


def test_gt3x_without_parameters_record_uses_info_txt(tmp_path, counts, monkeypatch):
    # Older firmware writes no PARAMETERS record: rate and scale come from info.txt. actfast 1.x
    # would assume 30 Hz; plm's decoder needs neither actfast nor pygt3x.
    p = write_gt3x(tmp_path / "old_L.gt3x", counts, fs=40, params=False)
    hide_modules(monkeypatch, "actfast", "pygt3x")
    rec = plm.read(p)
    assert rec.sfreq == 40 and "warnings" not in rec.meta
    np.testing.assert_allclose(rec.data, counts[: 40 * 30].T / 256.0, atol=1e-6)


def test_missing_actfast_names_the_extra(tmp_path, counts, monkeypatch):
    rng = np.random.default_rng(3)
    c = np.clip(np.round(rng.normal(0, 0.3, (600, 3)) * 255.48), -2048, 2047).astype(int)
    p = write_geneactiv_bin(tmp_path / "x_L.bin", c)
    cwa = write_cwa(tmp_path / "x_L.cwa", np.round(rng.normal(0, 0.3, (800, 3)) * 256).astype(int))
    hide_modules(monkeypatch, "actfast", "pygt3x")
    with pytest.raises(MissingDependencyError, match=re.escape("pip install 'plm[accel]'")):
        plm.read(p)
    assert plm.read(cwa, tz="UTC").n_samples == 800  # .cwa and .gt3x need no extra
    assert plm.read(write_gt3x(tmp_path / "g_L.gt3x", counts)).n_samples == 1200


def test_corrupt_files(tmp_path, counts):
    good = write_gt3x(tmp_path / "g_L.gt3x", counts)
    cut = tmp_path / "cut_L.gt3x"
    cut.write_bytes(good.read_bytes()[:-200])
    with pytest.raises(InputError, match=re.escape(str(cut)) + ".*cannot decode"):
        plm.read(cut)
    cwa = tmp_path / "junk_L.cwa"
    cwa.write_bytes(b"MD" + bytes(range(256)) * 4)
    with pytest.raises(InputError, match=re.escape(str(cwa))):
        plm.read(cwa)


def write_geneactiv_bin(path: Path, counts: np.ndarray, fs: int = 100, per_page: int = 300, gain: int = 25548,
                        offset: int = 0, time_zone: str | None = "GMT +01:00") -> Path:
    """A GENEActiv .bin: a 59-line text header, then 10-line pages whose last line is hex data.

    Each sample is 48 bits: x, y, z as 12-bit two's complement, 10-bit light, button, 1 spare bit;
    calibrated g = (count * 100 - offset) / gain (facts from the actfast reader's decoding).
    """
    config = ["Configuration Info", f"Measurement Frequency:{fs} Hz", "Measurement Period:168 Hours",
              "Start Time:2026-03-01 22:30:00:000"]
    if time_zone:
        config.append(f"Time Zone:{time_zone}")
    header = (["Device Identity", "Device Unique Serial Code:012345", "Device Type:GENEActiv",
               "Device Model:1.1", ""] + config + [""] +
              ["Calibration Data", f"x gain:{gain}", f"x offset:{offset}", f"y gain:{gain}", f"y offset:{offset}",
               f"z gain:{gain}", f"z offset:{offset}", "Volts:300", "Lux:800", "",
               "Memory Status", f"Number of Pages:{len(counts) // per_page}", ""])
    header += [""] * (59 - len(header))
    lines = list(header)
    for k in range(len(counts) // per_page):
        blk = counts[k * per_page:(k + 1) * per_page].astype(np.int64) & 0xFFF
        words = (blk[:, 0] << 36) | (blk[:, 1] << 24) | (blk[:, 2] << 12)
        t = START + dt.timedelta(seconds=k * per_page / fs)
        lines += ["Recorded Data", "Device Unique Serial Code:012345", f"Sequence Number:{k}",
                  f"Page Time:{t:%Y-%m-%d %H:%M:%S}:{t.microsecond // 1000:03d}", "Unassigned:",
                  "Temperature:25.0", "Battery voltage:4.0", "Device Status:Recording",
                  f"Measurement Frequency:{fs}.0", "".join(f"{int(w):012X}" for w in words)]
    path.write_text("\r\n".join(lines) + "\r\n")
    return path


def test_geneactiv_bin(tmp_path):
    rng = np.random.default_rng(3)
    c = np.clip(np.round(rng.normal(0, 0.3, (1200, 3)) * 255.48), -2048, 2047).astype(int)
    p = write_geneactiv_bin(tmp_path / "p01_right.bin", c)
    assert detect_format(p) == ("raw", "binary-accel")
    rec = plm.read(p)
    assert rec.sfreq == 100 and rec.n_samples == 1200 and rec.sides == ["right"]
    np.testing.assert_allclose(rec.data, c.T * 100 / 25548, atol=1e-6)
    assert rec.start_time == dt.datetime(2026, 3, 1, 22, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert rec.device.startswith("GENEActiv")
    # a missing page (3 s at 100 Hz) becomes a NaN gap, later pages stay in place
    p2 = tmp_path / "gap_L.bin"
    text = p.read_bytes().decode().split("\r\n")
    del text[59 + 10:59 + 20]  # page 1 of 4
    p2.write_text("\r\n".join(text))
    with pytest.warns(UserWarning, match="300 grid slot"):
        rec2 = plm.read(p2)
    assert np.isnan(rec2.data[:, 300:600]).all()
    np.testing.assert_allclose(rec2.data[:, 600:], c[600:].T * 100 / 25548, atol=1e-6)


def write_cwa(path: Path, counts: np.ndarray, rate_byte: int = 0x4A, fs: int = 100, per: int = 80,
              skip_sectors=()) -> Path:
    """An Axivity .cwa: a 1024-byte "MD" header, then 512-byte "AX" sectors of 80 unpacked int16 x/y/z samples.

    Layout facts from the OpenMovement AX3 technical description (as decoded by actfast): packed
    local timestamp (year-2000, month, day, hour, minute, second bit fields) for sample `shift`
    (offset 26); rate byte 0x4A = 100 Hz, 8 g; numAxesBPS 0x32 = 3 axes of 16 bits; scale code 0 =
    1/256 g; the 256 little-endian words of a sector sum to 0 mod 2**16.
    """
    def packed(d):
        return (d.year - 2000) << 26 | d.month << 22 | d.day << 17 | d.hour << 12 | d.minute << 6 | d.second

    out = bytearray(1024)
    out[0:2] = b"MD"
    struct.pack_into("<H", out, 2, 1020)
    out[36] = rate_byte
    for k in range(len(counts) // per):
        if k in skip_sectors:
            continue
        sec = bytearray(512)
        sec[0:2] = b"AX"
        struct.pack_into("<H", sec, 2, 508)
        t_k = k * per / fs
        whole = int(np.ceil(t_k))
        struct.pack_into("<I", sec, 14, packed(START + dt.timedelta(seconds=whole)))
        sec[24], sec[25] = rate_byte, 0x32
        struct.pack_into("<hH", sec, 26, int(round((whole - t_k) * fs)), per)
        sec[30:30 + per * 6] = counts[k * per:(k + 1) * per].astype("<i2").tobytes()
        struct.pack_into("<H", sec, 510, (-int(np.frombuffer(bytes(sec[:510]), "<u2").sum())) & 0xFFFF)
        out += sec
    path.write_bytes(bytes(out))
    return path


def test_axivity_cwa(tmp_path):
    rng = np.random.default_rng(4)
    c = np.round(rng.normal(0, 0.3, (800, 3)) * 256).astype(int)
    p = write_cwa(tmp_path / "s1_left.cwa", c)
    assert detect_format(p) == ("raw", "binary-accel")
    with pytest.warns(UserWarning, match="taken as UTC"):
        rec = plm.read(p)
    np.testing.assert_allclose(rec.data, c.T / 256.0, atol=1e-7)
    assert rec.sfreq == 100 and rec.sides == ["left"] and rec.device.startswith("Axivity")
    rec = plm.read(p, tz="+01:00")
    assert rec.start_time == dt.datetime(2026, 3, 1, 22, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    # a lost sector (80 samples) is a NaN gap in its own time, and so is a damaged one
    gap = write_cwa(tmp_path / "gap_left.cwa", c, skip_sectors=(3,))
    with pytest.warns(UserWarning, match="1 break"):
        rec = plm.read(gap, tz="UTC")
    assert rec.n_samples == 800
    np.testing.assert_array_equal(np.isnan(rec.data[0]), (np.arange(800) >= 240) & (np.arange(800) < 320))
    np.testing.assert_allclose(rec.data[:, 320:], c[320:].T / 256.0, atol=1e-7)
    bad = tmp_path / "bad_left.cwa"
    blob = bytearray(p.read_bytes())
    blob[1024 + 512 + 100] ^= 0xFF  # a sample byte of block 1: its checksum fails
    bad.write_bytes(bytes(blob))
    with pytest.warns(UserWarning, match=r"1 damaged data block\(s\) \(blocks 1\)"):
        rec = plm.read(bad, tz="UTC")
    np.testing.assert_array_equal(np.isnan(rec.data[0]), (np.arange(800) >= 80) & (np.arange(800) < 160))
