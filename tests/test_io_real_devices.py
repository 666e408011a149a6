"""Real device files against the vendor's own decoding of the same recording.

The files and their provenance are in ``../shared/data/real_devices/README.md``.
Vendor exports: ActiLife raw CSV for two .gt3x and one .agdc, OmGui raw CSV
for two .cwa. Where a file has no vendor export, the reference is another
project's decoder (ActiGraph's pygt3x, scikit-digital-health's test truth)
and the test says so. Every test skips when the folder is absent.
"""
from __future__ import annotations

import datetime as dt
import gzip
import warnings

import numpy as np
import pytest

import plm
from plm.errors import InputError, MissingDependencyError

from _real_devices import all_real_files, real_devices, real_file


def _read(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return plm.read(path, **kw)


def _actilife(path):
    """Rows of an ActiLife raw CSV export (10 header lines, then the column line): (3, n)."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt") as fh:
        return np.loadtxt(fh, delimiter=",", skiprows=11).T


def _grid_seconds(rec):
    """Device-clock seconds since 1970 of each grid sample (the clock the vendor CSVs use)."""
    t0 = rec.start_time.replace(tzinfo=None) - dt.datetime(1970, 1, 1)   # local clock, as written in the files
    return t0.total_seconds() + np.arange(rec.n_samples) / rec.sfreq


# --------------------------------------------------------------------------- ActiGraph
def test_gt3x_idle_sleep_matches_actilife():
    # GT3X+ Link, 100 Hz, idle-sleep mode on, about 40 min; ActiLife 6.13.3 raw export of the same file
    rec = _read(real_file("read.gt3x", "TAS1H30182785_2019-09-17.gt3x"), side="left")
    ref = _actilife(real_file("read.gt3x", "TAS1H30182785_2019-09-17.csv.gz"))
    assert ref.shape[1] == 240_500
    assert abs(rec.n_samples - ref.shape[1]) <= 0.01 * ref.shape[1]
    assert rec.n_samples == ref.shape[1] and rec.sfreq == 100
    assert rec.start_time == dt.datetime(2019, 9, 17, 18, 40, tzinfo=dt.timezone(dt.timedelta(hours=-4)))
    nan = np.isnan(rec.data).any(axis=0)
    close = (np.abs(rec.data - ref) <= 0.0015).all(axis=0)
    assert close[~nan].mean() >= 0.999
    # plm leaves NaN only where ActiLife wrote no measurement: 0 g after the USB records (docked)
    # or the previous row held over a second without a record outside idle sleep
    zero = (ref == 0).all(axis=0)
    repeat = np.r_[False, (ref[:, 1:] == ref[:, :-1]).all(axis=0)]
    assert (zero | repeat)[nan].all()
    assert np.count_nonzero(nan & zero) == 25_200 and np.count_nonzero(nan & ~zero) == 100
    # idle sleep: held as ActiLife holds it, marked, and no NaN in it
    held = rec.held_samples("left")
    assert int((held[:, 1] - held[:, 0]).sum()) == 182_200 and len(held) == 5
    for a, b in held:
        assert not nan[a:b].any()
        assert (rec.data[:, a:b] == rec.data[:, a - 1:a]).all()
    assert "idle_sleep" in rec.meta and rec.meta["idle_sleep_samples"] == 182_200


def test_actilife_csv_of_the_same_file_reads_alike():
    # ActiLife's export itself: its 0 g rows (docked) become NaN, the rest equals the .gt3x decode
    gt3x = _read(real_file("read.gt3x", "TAS1H30182785_2019-09-17.gt3x"), side="left")
    csv = _read(real_file("read.gt3x", "TAS1H30182785_2019-09-17.csv.gz"), side="left")
    assert csv.n_samples == gt3x.n_samples and csv.start_time.replace(tzinfo=None) == gt3x.start_time.replace(tzinfo=None)
    nan_csv, nan_gt3x = np.isnan(csv.data[0]), np.isnan(gt3x.data[0])
    assert np.count_nonzero(nan_csv) == 25_200 and not (nan_csv & ~nan_gt3x).any()
    both = ~nan_csv & ~nan_gt3x
    assert (np.abs(csv.data[:, both] - gt3x.data[:, both]) <= 0.0015).all()


def test_gt3x_idle_sleep_is_worn_time_when_scoring():
    rec = _read(real_file("read.gt3x", "TAS1H30182785_2019-09-17.gt3x"), side="left")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        s = plm.score(rec).summary()
    # only the 253 s without samples are excluded; the 30.4 min of idle sleep are analysis time
    assert s["hours_denominator"] == pytest.approx((2405 - 253) / 3600, abs=0.002)
    assert any("idle-sleep mode" in n and "worn" in n for n in s.get("notes", s.get("warnings", [])))


def test_gt3x_old_format_matches_actilife():
    # GT3X+ "NEO", firmware 2.5.0: activity.bin instead of log.bin; ActiLife 6.13.4 raw export
    rec = _read(real_file("pygt3x", "neo.gt3x"), side="right")
    ref = _actilife(real_file("pygt3x", "neo.csv"))
    assert rec.n_samples == ref.shape[1] == 18_004 and rec.sfreq == 30
    assert (np.abs(rec.data - ref) <= 0.0015).all(axis=0).mean() == 1.0
    assert rec.start_time == dt.datetime(2021, 12, 20, 11, 55, tzinfo=dt.timezone(dt.timedelta(hours=-6)))


def test_agdc_calibration_matches_actilife():
    # raw counts (Acceleration Scale 1) with a CalibrationV2 calibration.json; ActiLife's calibrated export
    rec = _read(real_file("pygt3x", "WRIST_rawLSB_032Hz_test.agdc"), side="left")
    cal = _actilife(real_file("pygt3x", "WRIST_rawCalibrated_032Hz.csv"))
    lsb = _actilife(real_file("pygt3x", "WRIST_rawLSB_032Hz.csv"))
    assert rec.n_samples == cal.shape[1] and rec.sfreq == 32
    np.testing.assert_allclose(rec.data, cal, atol=1e-9)
    assert rec.meta["device_metadata"]["calibration"] == "applied (method 2)"
    # without the calibration the counts would be read as g: far from the export
    assert np.abs(lsb - cal).max() > 100
    assert any("wrist" in w and "ankle placement" in w for w in rec.meta["warnings"])


@pytest.mark.parametrize("name", ["GGIR/actigraph_testfile.gt3x", "pygt3x/ISM_Enabled.gt3x",
                                  "pygt3x/ISM_Disabled.gt3x", "agcounts_bhelsel/example.gt3x",
                                  "actfast/actigraph.gt3x"])
def test_gt3x_equals_pygt3x(name):
    # no vendor export: ActiGraph's own reader (pygt3x, calibrated, idle sleep filled) as reference;
    # every pygt3x sample and idle-sleep flag is found on plm's grid
    reader = pytest.importorskip("pygt3x.reader")
    path = real_file(*name.split("/"))
    rec = _read(path, side="left")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with reader.FileReader(str(path)) as r:
            frame = r.to_pandas()
    t = frame.index.to_numpy(dtype=np.float64)
    idx = np.rint((t - _grid_seconds(rec)[0]) * rec.sfreq).astype(np.int64)
    np.testing.assert_array_equal(rec.data[:, idx], frame[["X", "Y", "Z"]].to_numpy(np.float64).T)
    held = np.zeros(rec.n_samples, dtype=bool)
    for a, b in rec.held_samples("left"):
        held[a:b] = True
    np.testing.assert_array_equal(held[idx], frame["IdleSleepMode"].to_numpy(bool))
    # where pygt3x has nothing, plm has NaN (no record, USB docking): never an invented value
    other = np.ones(rec.n_samples, dtype=bool)
    other[idx] = False
    assert np.isnan(rec.data[:, other]).all()


def test_gt3x_library_facts():
    rec = _read(real_file("actfast", "actigraph.gt3x"), side="left")  # actfast's test expectations
    np.testing.assert_allclose(rec.data[:, 0], [-0.519531, -0.519531, -0.636719], atol=1e-6)
    assert np.count_nonzero(~np.isnan(rec.data[0])) == 4860
    # pygt3x's test means (calibrated); plm holds one idle-sleep second more (30 of 1.47 M samples:
    # a wake-up logged with no sample before the device fell asleep again, which ActiLife also holds)
    small = _read(real_file("pygt3x", "small.gt3x"), side="left")
    np.testing.assert_allclose(np.nanmean(small.data, axis=1), [-0.29733, 0.34257, 0.40600], atol=5e-5)
    on = _read(real_file("pygt3x", "ISM_Enabled.gt3x"))
    off = _read(real_file("pygt3x", "ISM_Disabled.gt3x"), side="right")
    assert on.start_time == off.start_time and on.n_samples == off.n_samples == 9000
    assert on.sides == ["right"] and on.meta["side_from"] == "file"   # info.txt "Side: Right"
    assert len(on.held_samples("right")) == 3 and len(off.meta.get("idle_sleep", {})) == 0


# --------------------------------------------------------------------------- Axivity
def _omgui(name):
    return np.loadtxt(real_file("GGIR", name), delimiter=",")


def _corr_at(rec, ref, shift=0.0):
    """Per-axis correlation of plm's signal, interpolated at the reference rows' times, with the rows."""
    tg = _grid_seconds(rec)
    tq = ref[:, 0] + shift
    j = np.clip(np.searchsorted(tg, tq), 1, rec.n_samples - 1)
    ok = (tq >= tg[0]) & (tq <= tg[-1]) & ~np.isnan(rec.data[0, j]) & ~np.isnan(rec.data[0, j - 1])
    return [float(np.corrcoef(np.interp(tq[ok], tg, rec.data[ax]), ref[ok, 1 + ax])[0, 1]) for ax in range(3)], ok


@pytest.mark.parametrize("cwa, csv", [("ax3_testfile.cwa", "ax3_testfile.csv"), ("ax6_testfile.cwa", "ax6_testfile.csv")])
def test_cwa_matches_omgui(cwa, csv):
    rec = _read(real_file("GGIRread", cwa), side="left")
    ref = _omgui(csv)
    assert not np.isnan(rec.data).any() and rec.sfreq == 100
    # same span as OmGui's rows (the real rate is about 98.9 Hz, not 100)
    tg = _grid_seconds(rec)
    assert abs((tg[-1] - tg[0]) - (ref[-1, 0] - ref[0, 0])) < 0.03
    # OmGui writes its times truncated to 10 ms; at the middle of that interval and as written:
    mid, ok = _corr_at(rec, ref, 0.005)
    raw, _ = _corr_at(rec, ref)
    assert ok.mean() > 0.999
    assert min(mid) >= 0.95 and min(raw) >= 0.95, (mid, raw)


def test_cwa_ax6_accelerometer_next_to_gyro():
    # AX6 blocks store gyro x/y/z then accel x/y/z; OmGui's columns 4-6 are the gyro (deg/s)
    rec = _read(real_file("GGIRread", "ax6_testfile.cwa"), side="left")
    ref = _omgui("ax6_testfile.csv")
    gyro = np.c_[ref[:, 0], ref[:, 4:7]]
    assert max(abs(c) for c in _corr_at(rec, gyro, 0.005)[0]) < 0.5
    assert np.nanmax(np.abs(rec.data)) < 16  # g, the accelerometer range; gyro values reach hundreds


def test_cwa_damaged_blocks_are_nan_in_their_time_only():
    intact = _read(real_file("GGIRread", "ax3_testfile.cwa"), side="left")
    rec = _read(real_file("GGIRread", "ax3_testfile_corrupt_blocks_0_13_14_142_143_144.cwa"), side="left")
    assert any("6 damaged data block(s) (blocks 0, 13, 14, 142, 143, 144)" in w for w in rec.meta["warnings"])
    # both grids lie on whole multiples of 10 ms of the device clock: they share samples
    shift = round((rec.start_time - intact.start_time).total_seconds() * rec.sfreq)
    assert (rec.start_time - intact.start_time).total_seconds() * rec.sfreq == pytest.approx(shift, abs=1e-6)
    # block 0 (120 samples at the real 98.86 Hz) is missing from the start
    assert shift == 121
    nan = np.isnan(rec.data[0])
    runs = np.flatnonzero(np.diff(np.r_[0, nan.view(np.int8), 0])).reshape(-1, 2)
    assert len(runs) == 1                       # blocks 13-14; 142-144 are past the end
    # the NaN stretch is the time of blocks 13 and 14 in the intact file (block starts from actfast's
    # decode of the intact file, which times blocks at the nominal rate: within 3 samples)
    actfast = pytest.importorskip("actfast")
    t = np.asarray(actfast.read(str(real_file("GGIRread", "ax3_testfile.cwa")))["timeseries"]
                   ["high_frequency"]["datetime"]) / 1e9
    tg = _grid_seconds(rec)
    assert tg[runs[0, 0]] == pytest.approx(t[13 * 120], abs=0.03)
    assert tg[runs[0, 1]] == pytest.approx(t[15 * 120], abs=0.03)
    # everywhere else the damaged file decodes to the intact one (to 0.02 g in the 1.3 s after the
    # damage, where the first anchors of the next intact block set the clock; elsewhere to rounding)
    same = intact.data[:, shift:shift + rec.n_samples]
    far = np.ones(rec.n_samples, dtype=bool)
    far[max(runs[0, 0] - 150, 0):runs[0, 1] + 130] = False
    far[-10:] = False
    np.testing.assert_allclose(rec.data[:, far], same[:, far], rtol=0, atol=1e-9)
    near = ~far & ~nan
    assert np.abs(rec.data[:, near] - same[:, near]).max() < 0.02
    corr, _ = _corr_at(rec, _omgui("ax3_testfile.csv"), 0.005)
    assert min(corr) >= 0.95


@pytest.mark.parametrize("name, rate", [("ax3_sample", 200), ("ax6_sample", 100)])
def test_cwa_against_skdh_truth(name, rate):
    # scikit-digital-health's test truth (its own decoder, not the vendor's): same signal
    rec = _read(real_file("skdh", f"{name}.cwa"), side="left")
    truth = np.load(real_file("skdh", name.replace("_sample", "_data.npz")))
    assert rec.sfreq == rate and not np.isnan(rec.data).any()
    corr, _ = _corr_at(rec, np.c_[truth["time"], truth["accel"]])
    assert min(corr) >= 0.98, corr


def test_cwa_location_sets_side():
    rec = _read(real_file("GGIRread", "ax3_testfile.cwa"))     # OmGui body location "right wrist"
    assert rec.sides == ["right"] and rec.meta["body_location"] == "right wrist"
    assert any("'right wrist'" in w and "ankle placement" in w for w in rec.meta["warnings"])


# --------------------------------------------------------------------------- GENEActiv
def test_geneactiv_matches_geneactiv_csv_truth():
    # skdh's truth for this file comes from a CSV export (rounded: 5e-5 g); page 0 starts 0.5 s
    # early by its page time, so 25 grid slots before page 1 are empty
    pytest.importorskip("actfast")
    rec = _read(real_file("skdh", "gnactv_sample.bin"), side="left")
    truth = np.load(real_file("skdh", "gnactv_data.npz"))
    idx = np.rint((truth["time"] - _grid_seconds(rec)[0]) * rec.sfreq).astype(np.int64)
    np.testing.assert_allclose(rec.data[:, idx], truth["accel"].T, atol=5e-5)
    assert np.count_nonzero(np.isnan(rec.data[0])) == 25 and rec.n_samples == 925
    assert any("'back'" in w and "ankle placement" in w for w in rec.meta["warnings"])
    assert rec.start_time.utcoffset() == dt.timedelta(hours=-4)          # "Time Zone:GMT -04:00"


def test_geneactiv_left_ankle_and_truncation():
    pytest.importorskip("actfast")
    with pytest.warns(UserWarning, match="lists 480 pages but the file ends after page 13"):
        rec = plm.read(real_file("geneactiv_reader_rs", "left_ankle_example.bin"))
    assert rec.sides == ["left"] and rec.meta["side_from"] == "file" and rec.n_samples == 3900
    assert not any("ankle placement" in w for w in rec.meta["warnings"])
    with pytest.warns(UserWarning, match="last page is incomplete"):
        cut = plm.read(real_file("GGIRread", "GENEActiv_testfile.bin"), side="right")
    # 16 full pages of 300 samples; actfast also returns 231 samples of the cut page 17. "85.7 Hz" is
    # 600/7 Hz: the pages are 3.5 s apart, so every sample keeps its own grid slot
    assert cut.sfreq == pytest.approx(600 / 7) and cut.n_samples == 16 * 300
    assert not np.isnan(cut.data).any()
    both = _read(real_file("actfast", "geneactiv.bin"), side="left")   # actfast's test expectations
    assert both.n_samples == 6000 and both.data[0, 0] == pytest.approx(0.943648595, abs=1e-6)
    wrist = _read(real_file("GENEAread", "TESTfile.bin"))
    assert wrist.sides == ["left"] and wrist.n_samples == 31_200
    assert any("'left wrist'" in w for w in wrist.meta["warnings"])


# --------------------------------------------------------------------------- every file
_EPOCHS = {"GGIRread/ActiGraph13.csv", "GGIRread/ActiGraph13_timestamps_headers.csv", "GGIRread/ActiGraph61.csv",
           "GGIRread/Actiwatch.AWD", "GGIRread/Actiwatch.csv", "pyActigraphy/example_01.AWD",
           "agcounts_bhelsel/example5sec.agd"}


#: Real files in counts (LSB) rather than g, refused by plm/plausibility.py (docs/bad_input.md).
_NOT_IN_G = {"pygt3x/WRIST_rawLSB_032Hz.csv": "left leg: 54.5% of the samples lie beyond +-100 g: the data are not "
                                              "in g (raw counts?); fix the file's unit"}


@pytest.mark.parametrize("name", all_real_files() or ["(folder absent)"])
def test_every_real_file_reads_or_is_refused_in_one_line(name):
    folder = real_devices()
    if folder is None:
        pytest.skip("shared real device files not available")
    path = folder / name
    try:
        rec = _read(path)
    except MissingDependencyError:
        pytest.skip("optional reader not installed")
    except InputError as exc:
        msg = str(exc)
        assert "\n" not in msg and msg.startswith(str(path)), msg
        if name in _EPOCHS:
            assert "raw acceleration sampled at 10 Hz or more" in msg
        if "which leg?" not in msg:
            return
        assert "--side" in msg and path.suffix.lower() in msg.lower()
        try:
            rec = _read(path, side="left")
        except InputError as exc:
            # with the leg given, only the plausibility bounds may still refuse: raw counts exported as g
            assert name in _NOT_IN_G and str(exc) == f"{path}: {_NOT_IN_G[name]}", str(exc)
            return
    assert name not in _NOT_IN_G
    assert rec.n_samples > 0 and rec.modality == "accel" and rec.sfreq >= 10
    assert np.isfinite(rec.data).any()


def test_missing_side_messages_fit_the_format():
    cases = {("read.gt3x", "TAS1H30182785_2019-09-17.gt3x"): "info.txt Side/Limb",
             ("GGIRread", "ax6_testfile.cwa"): "OmGui body location",
             ("actfast", "geneactiv.bin"): "Device Location Code is empty",
             ("read.gt3x", "TAS1H30182785_2019-09-17.csv.gz"): "ActiLife CSV files do not say",
             ("GGIR", "actigraph_testfile.gt3x"): "says 'Waist'"}
    for parts, text in cases.items():
        path = real_file(*parts)
        with pytest.raises(InputError, match="which leg") as info:
            _read(path)
        assert text in str(info.value) and "--side" in str(info.value), str(info.value)
