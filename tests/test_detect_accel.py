"""Accelerometer detector: hysteresis and bridging on hand-made masks and signals."""
import datetime as dt

import numpy as np
import pytest

import plm.criteria
from plm.detect import detect
from plm.detect.accel import accel_events
from plm.model import Channel, Recording

PAMRL = plm.criteria.get("pamrl")
FS = 40.0  # 0.5 s = 20 samples


def _mask(n, *spans):
    m = np.zeros(n, bool)
    for a, b in spans:
        m[a:b] = True
    return m


def test_hysteresis_onset_at_onset_threshold_offset_below_offset_threshold():
    n = 400
    active = _mask(n, (50, 120), (200, 260))   # >= 0.1 g
    on = _mask(n, (60, 80))                     # >= 0.2 g only inside the first run
    s, e = accel_events(on, active, FS, PAMRL)
    # first run: onset at first >= 0.2 g sample (60), offset where it falls below 0.1 g (120);
    # second run never reaches 0.2 g: no movement.
    assert s.tolist() == [60] and e.tolist() == [120]


def test_dropouts_shorter_than_bridge_gap_are_bridged():
    n = 600
    # gap of 19 samples (0.475 s < 0.5 s) bridged; gap of 20 samples (0.5 s) not.
    active = _mask(n, (100, 150), (169, 200), (300, 350), (370, 400))
    on = _mask(n, (100, 110), (300, 310), (370, 380))
    s, e = accel_events(on, active, FS, PAMRL)
    assert s.tolist() == [100, 300, 370] and e.tolist() == [200, 350, 400]


def test_minimum_duration():
    n = 400
    active = _mask(n, (100, 119), (200, 220))   # 0.475 s and 0.5 s
    s, e = accel_events(active.copy(), active, FS, PAMRL)
    assert s.tolist() == [200]


def _accel_rec(xyz):
    start = dt.datetime(2026, 1, 1, 23, 0, tzinfo=dt.timezone.utc)
    ch = tuple(Channel(f"left_{a}", "g", "accel", side="left", axis=a) for a in "xyz")
    return Recording(data=xyz, sfreq=FS, channels=ch, start_time=start, source="ankle.csv")


def test_gravity_posture_and_noise_are_not_movements_but_a_kick_is():
    rng = np.random.default_rng(5)
    n = int(600 * FS)
    t = np.arange(n) / FS
    # gravity turning slowly by 60 degrees over 10 min, 0.01 g noise, 1/64 g steps
    ang = np.deg2rad(60) * t / t[-1]
    xyz = np.vstack([np.sin(ang), 0.2 * np.ones(n), np.cos(ang)]) + 0.01 * rng.standard_normal((3, n))
    xyz = np.round(xyz * 64) / 64
    assert len(detect(_accel_rec(xyz), PAMRL)) == 0
    # a 2 s kick of 0.6 g at 3 Hz on x at 300 s
    kick = (t >= 300) & (t < 302)
    xyz[0] += np.where(kick, 0.6 * np.sin(2 * np.pi * 3 * t), 0.0)
    lms = detect(_accel_rec(xyz), PAMRL)
    assert lms.onset == pytest.approx([300.0], abs=0.25)
    assert lms.duration == pytest.approx([2.0], abs=0.4)
    assert lms.amplitude[0] == pytest.approx(0.6 / np.sqrt(2), rel=0.3)
