"""Accelerometer LMs as deviations of the foot from its posture (issue 11), on hand-built signals.

Each signal is gravity (1 g) in the sensor frame plus white sensor noise;
a movement turns the gravity vector about the ankle's flexion axis (here
the y axis, perpendicular to gravity), so a tilt of theta changes the
reading by 2 sin(theta / 2) g, about theta in radians.
"""
import datetime as dt
import math

import numpy as np
import pytest

import plm.criteria
from plm.detect import detect
from plm.detect.accel import accel_plan, smoothing_seconds
from plm.model import Channel, Recording

PAMRL = plm.criteria.get("pamrl")
START = dt.datetime(2026, 1, 1, 23, 0, tzinfo=dt.timezone.utc)
#: posture: gravity 30 degrees from z in the x-z plane; flexion about y
TILT0 = math.radians(30.0)


def _recording(theta: np.ndarray, fs: float, noise: float, step: float = 0.0, seed: int = 0) -> Recording:
    rng = np.random.default_rng(seed)
    ang = TILT0 + theta
    xyz = np.vstack([np.sin(ang), np.zeros_like(ang), np.cos(ang)]) + noise * rng.standard_normal((3, len(theta)))
    if step:
        xyz = np.round(xyz / step) * step
    ch = tuple(Channel(f"left_{a}", "g", "accel", side="left", axis=a) for a in "xyz")
    return Recording(data=xyz, sfreq=fs, channels=ch, start_time=START, source="ankle.csv")


def _ramp(t: np.ndarray, t0: float, rise: float) -> np.ndarray:
    """0 before t0, a raised-cosine rise to 1 over ``rise`` s."""
    x = np.clip((t - t0) / rise, 0.0, 1.0)
    return 0.5 - 0.5 * np.cos(np.pi * x)


def test_held_tilt_is_one_lm_from_lift_to_lowering():
    # 8 degrees lifted at 100 s in 0.25 s, held 4 s, lowered in 0.3 s: the foot is back at 104.55 s
    fs = 40.0
    t = np.arange(int(300 * fs)) / fs
    theta = math.radians(8.0) * (_ramp(t, 100.0, 0.25) - _ramp(t, 104.25, 0.3))
    lms = detect(_recording(theta, fs, 0.005), PAMRL)
    assert len(lms) == 1
    assert lms.onset[0] == pytest.approx(100.0, abs=0.2)
    assert lms.offset[0] == pytest.approx(104.55, abs=0.3)
    # the size is the tilt: 2 sin(4 degrees) = 0.140 g
    assert lms.amplitude[0] == pytest.approx(0.140, rel=0.1)


def test_slow_relaxation_ends_the_lm_where_the_foot_is_back():
    # 10 degrees lifted at 200 s, released at 201 s: it relaxes with a 0.8 s time constant.
    # The offset threshold is the floor 0.011 g here (noise 2 mg: 1.5 x ~3.5 mg is below it):
    # 0.1745 exp(-x / 0.8) = 0.011 at x = 0.8 ln(15.9) = 2.21 s, i.e. 203.2 s
    fs = 50.0
    t = np.arange(int(400 * fs)) / fs
    up = _ramp(t, 200.0, 0.2)
    theta = math.radians(10.0) * np.where(t < 201.0, up, np.exp(-(t - 201.0) / 0.8))
    lms = detect(_recording(theta, fs, 0.002), PAMRL)
    assert len(lms) == 1
    assert lms.onset[0] == pytest.approx(200.0, abs=0.2)
    assert lms.offset[0] == pytest.approx(203.2, abs=0.35)
    # with a 0.3 Hz high-pass (the former detector) the held 1 s and the relaxation were one
    # transient at the lift; here the whole excursion is the LM
    assert lms.duration[0] > 2.5


def test_turning_over_is_not_an_lm_that_lasts_hours():
    # the foot turns by 60 degrees in 2 s at 300 s and stays in the new posture for 45 min
    # (an hour without any movement at a fixed orientation would be non-wear)
    fs = 25.0
    t = np.arange(int(3000 * fs)) / fs
    theta = math.radians(60.0) * _ramp(t, 300.0, 2.0)
    lms = detect(_recording(theta, fs, 0.004), PAMRL)
    # at most the turn itself is a movement; nothing after it
    assert len(lms) <= 1
    if len(lms):
        assert lms.onset[0] == pytest.approx(300.0, abs=1.0)
        assert lms.duration[0] <= 4.0
    # a tilt in the new posture, 5 minutes later, is found as usual
    theta2 = theta + math.radians(6.0) * (_ramp(t, 600.0, 0.2) - _ramp(t, 602.0, 0.2))
    later = detect(_recording(theta2, fs, 0.004), PAMRL)
    assert np.sum(np.abs(later.onset - 600.0) < 0.2) == 1


def test_thresholds_follow_the_resting_noise_and_are_reported():
    # a 2.5 degree tilt (0.044 g) for 2 s every 30 s: over 2 mg noise the threshold is the floor
    # (0.022 g) and every tilt is found; over 20 mg noise (noise vector ~0.035 g) the threshold is
    # 2.5 x that, ~0.09 g, and none is (it is below the noise-relative threshold)
    fs = 40.0
    t = np.arange(int(600 * fs)) / fs
    starts = np.arange(60.0, 560.0, 30.0)
    theta = sum(math.radians(2.5) * (_ramp(t, s, 0.2) - _ramp(t, s + 2.0, 0.2)) for s in starts)
    quiet = detect(_recording(theta, fs, 0.002), PAMRL)
    assert len(quiet) == len(starts)
    levels = quiet.context.detection["left"]
    assert levels["unit"] == "g"
    assert levels["noise"] == pytest.approx(math.sqrt(3) * 0.002, rel=0.25)
    assert levels["onset_threshold"] == pytest.approx(PAMRL.accel_onset_g)
    noisy = detect(_recording(theta, fs, 0.020, seed=1), PAMRL)
    levels = noisy.context.detection["left"]
    assert levels["noise"] == pytest.approx(math.sqrt(3) * 0.020, rel=0.25)
    assert levels["onset_threshold"] == pytest.approx(PAMRL.accel_onset_noise * levels["noise"], rel=1e-6)
    assert len(noisy) == 0
    # a lower noise factor (as `plm calibrate` may fit) finds them again
    assert len(detect(_recording(theta, fs, 0.020, seed=1), PAMRL.replace(accel_onset_noise=1.2,
                                                                            accel_offset_noise=0.8))) >= 10


@pytest.mark.parametrize("fs", [10.0, 25.0, 50.0, 100.0])
def test_held_tilt_at_every_rate_with_coarse_quantisation(fs):
    # 5 degrees (0.087 g) for 3 s, 1/64 g steps (an 8-bit +-2 g sensor), 3 mg noise
    t = np.arange(int(300 * fs)) / fs
    theta = math.radians(5.0) * (_ramp(t, 150.0, 0.3) - _ramp(t, 153.0, 0.3))
    lms = detect(_recording(theta, fs, 0.003, step=1 / 64), PAMRL)
    assert len(lms) == 1
    assert lms.onset[0] == pytest.approx(150.0, abs=0.25)
    assert lms.offset[0] == pytest.approx(153.3, abs=0.4)


def test_single_axis_uses_a_longer_window():
    # one channel (a single axis or a magnitude) at 10 Hz: 12 squared noise samples need 1.2 s
    assert smoothing_seconds(10.0, PAMRL, n_axes=1) == pytest.approx(1.2)
    assert smoothing_seconds(10.0, PAMRL, n_axes=3) == pytest.approx(0.4)
    assert smoothing_seconds(40.0, PAMRL, n_axes=3) == pytest.approx(0.25)
    assert accel_plan(40.0, PAMRL).smooth_n == 10


def test_a_short_twitch_is_not_an_lm():
    # a 0.2 s twitch of 10 degrees (lift and return 0.1 s each): shorter than 0.5 s once the
    # smoothing window's widening is taken out
    fs = 40.0
    t = np.arange(int(200 * fs)) / fs
    theta = math.radians(10.0) * (_ramp(t, 100.0, 0.1) - _ramp(t, 100.2, 0.1))
    assert len(detect(_recording(theta, fs, 0.003), PAMRL)) == 0
    theta = math.radians(10.0) * (_ramp(t, 100.0, 0.1) - _ramp(t, 100.7, 0.1))
    assert len(detect(_recording(theta, fs, 0.003), PAMRL)) == 1
