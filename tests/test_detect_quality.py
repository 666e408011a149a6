"""Gaps, non-wear and clipping: excluded intervals and refused legs."""
import datetime as dt

import numpy as np
import pytest

import plm.criteria
from generated_nights import night
from plm.detect import detect
from plm.errors import InputError
from plm.model import Channel, Recording

START = dt.datetime(2026, 1, 1, 23, 0, tzinfo=dt.timezone.utc)
pytestmark = pytest.mark.filterwarnings("ignore:.*excluded from analysis time:UserWarning")


def _accel(data, fs=40.0, source="night_left.csv"):
    ch = tuple(Channel(f"left_{a}", "g", "accel", side="left", axis=a) for a in "xyz")
    return Recording(data=data, sfreq=fs, channels=ch, start_time=START, source=source)


@pytest.mark.parametrize("kind", ["accel", "emg"])
def test_generated_gap_and_nonwear_are_reported_as_excluded(kind):
    rec, truth = night(kind, 2.0, 3, ("gap", "nonwear"))
    with pytest.warns(UserWarning, match=r"min of non-wear \(flat, or still at a fixed orientation\)"):
        lms = detect(rec, plm.criteria.get("pamrl" if kind == "accel" else "wasm2016"))
    assert len(truth.excluded) == 2 and len(lms.excluded) == 2
    # the gap (NaN) to the sample; non-wear to the 10 s block grid (its edges lie on it here)
    assert lms.excluded == pytest.approx(truth.excluded, abs=10.0)
    assert lms.excluded[0] == pytest.approx(truth.excluded[0], abs=1.0 / rec.sfreq)
    # nothing detected inside excluded time
    for a, b in lms.excluded:
        assert not np.any((lms.onset >= a) & (lms.onset < b))


def test_short_flat_stretch_is_not_nonwear():
    # The flat rule alone: a whole hour of noise at a fixed orientation is
    # what the still-and-fixed rule calls non-wear, so that rule is off here.
    crit = plm.criteria.get("pamrl", nonwear_window=0.0)
    rng = np.random.default_rng(0)
    n = int(3600 * 40)
    data = np.vstack([np.zeros(n), np.zeros(n), np.ones(n)]) + 0.01 * rng.standard_normal((3, n))
    data[:, 40000:40000 + 20 * 60 * 40] = data[:, 39999:40000]   # 20 min flat: < 30 min
    assert len(detect(_accel(data), crit).excluded) == 0
    data[:, 40000:40000 + 35 * 60 * 40] = data[:, 39999:40000]   # 35 min flat: non-wear
    exc = detect(_accel(data), crit).excluded
    assert exc.shape == (1, 2)
    assert exc[0, 1] - exc[0, 0] == pytest.approx(35 * 60, abs=20)


def test_clipped_stretch_is_excluded():
    rng = np.random.default_rng(1)
    n = int(1800 * 40)
    data = np.vstack([np.zeros(n), np.zeros(n), np.ones(n)]) + 0.01 * rng.standard_normal((3, n))
    data[0, 20000:20200] = 8.0          # 5 s pinned at the +8 g rail
    exc = detect(_accel(data), plm.criteria.get("pamrl")).excluded
    assert exc.tolist() == [[500.0, 505.0]]


def test_all_nan_leg_is_refused_naming_the_file():
    data = np.full((3, 4000), np.nan)
    with pytest.raises(InputError, match=r"night_left\.csv.*left leg.*missing"):
        detect(_accel(data), plm.criteria.get("pamrl"))


def test_flat_leg_is_refused_naming_the_file():
    data = np.vstack([np.zeros(8000), np.zeros(8000), np.ones(8000)])
    with pytest.raises(InputError, match=r"night_left\.csv.*flat"):
        detect(_accel(data), plm.criteria.get("pamrl"))


def test_gap_filling_does_not_create_movements():
    rng = np.random.default_rng(2)
    n = int(1200 * 40)
    data = np.vstack([np.zeros(n) + 0.3, np.zeros(n), np.ones(n) * 0.9]) + 0.01 * rng.standard_normal((3, n))
    data[:, 10000:12000] = np.nan      # 50 s gap from a 0.95 g posture
    data[2, 12000:] -= 0.5              # device comes back in another posture
    lms = detect(_accel(data), plm.criteria.get("pamrl"))
    assert len(lms) == 0
    assert lms.excluded.tolist() == [[250.0, 300.0]]


def test_one_sample_recording_is_refused_and_short_ones_give_no_lm():
    with pytest.raises(InputError, match=r"night_left\.csv.*too short"):
        detect(_accel(np.array([[0.0], [0.0], [1.0]])), plm.criteria.get("pamrl"))
    rng = np.random.default_rng(3)
    lms = detect(_accel(0.05 * rng.standard_normal((3, 7))), plm.criteria.get("pamrl"))
    assert len(lms) == 0 and lms.duration_s == pytest.approx(7 / 40.0)


def _pinned_runs_by_definition(x, rail, min_len):
    # every run of >= min_len consecutive samples equal to the rail, from a full-length mask
    m = np.r_[False, x == rail, False]
    d = np.diff(m.astype(np.int8))
    s, e = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
    keep = (e - s) >= min_len
    return s[keep], e[keep]


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_clipping_found_from_block_extremes_equals_the_full_mask(seed):
    # EMG-like noise at 50 Hz with stretches pinned at +-400 uV: some longer than 1 s
    # (50 samples), some shorter, some across 10 s block and 2**12-sample chunk edges,
    # and NaN gaps; `assess_quality` looks only in blocks whose extreme is the rail.
    from plm.detect.quality import assess_quality, merge_intervals
    rng = np.random.default_rng(seed)
    fs, n = 50.0, 30_000
    x = 5.0 * rng.standard_normal(n)
    want = []
    for start in rng.choice(n - 200, size=12, replace=False):
        length = int(rng.choice([20, 49, 50, 51, 120]))
        x[start:start + length] = rng.choice([-400.0, 400.0])
    x[[499, 500, 4095, 4096]] = 400.0                     # short touches at block / chunk edges
    x[2950:3060] = 400.0                                  # 110 samples across the block edge at 3000
    x[rng.choice(n, 30)] = np.nan
    crit = plm.criteria.get("wasm2016")
    q = assess_quality(x[None, :], fs, "emg", crit, chunk=4096)
    clip_n = int(round(crit.clip_min_duration * fs))
    for rail in (-400.0, 400.0):
        s, e = _pinned_runs_by_definition(x, rail, clip_n)
        want.extend(zip(s.tolist(), e.tolist()))
    assert len(want) >= 3
    # the report merges stretches that touch (a -400 stretch right after a +400 one)
    np.testing.assert_array_equal(q.clipped, merge_intervals(np.array(want)).astype(np.int64))
