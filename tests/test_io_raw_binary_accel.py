"""Binary accelerometer files written by the tests (``device_writers``): values, timing, gaps, damage.

The real device files, checked against the vendors' exports, are in
``test_io_real_devices.py``. GENEActiv files need actfast (the ``accel``
extra); .gt3x and .cwa need nothing beyond numpy.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re

import numpy as np
import pytest

import plm
from plm.errors import InputError, MissingDependencyError
from plm.detect.quality import assess_quality
from plm.io import detect_format
from plm.io.hdf5 import write_recording

from device_writers import START, write_cwa, write_geneactiv_bin, write_gt3x
from hide_imports import hide_modules


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


def test_geneactiv_bin(tmp_path):
    pytest.importorskip("actfast")
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
