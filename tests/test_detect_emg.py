"""EMG detector: event rules on hand-made masks, artefacts on hand-made signals."""
import datetime as dt

import numpy as np
import pytest

import plm.criteria
from plm.detect import detect
from plm.detect.emg import emg_events
from plm.model import Channel, Recording

FS = 100.0  # masks at 100 Hz: 0.5 s = 50 samples
WASM = plm.criteria.get("wasm2016")


def _mask(n, *spans):
    m = np.zeros(n, bool)
    for a, b in spans:
        m[a:b] = True
    return m


def test_offset_needs_half_a_second_of_quiet():
    n = 1000
    # activity 100-200, quiet 200-230 (0.3 s: too short to end the LM), activity 230-300,
    # then quiet from 300 on (>= 0.5 s): one LM 100 -> 300.
    on = _mask(n, (100, 200), (230, 300))
    quiet = ~on
    quiet[200:230] = True
    morph = on.copy()
    s, e = emg_events(on, quiet, morph, FS, WASM)
    assert s.tolist() == [100] and e.tolist() == [300]
    # with a 0.6 s pause (60 samples) the two bursts are two LMs
    on = _mask(n, (100, 200), (260, 330))
    s, e = emg_events(on, ~on, on.copy(), FS, WASM)
    assert s.tolist() == [100, 260] and e.tolist() == [200, 330]


def test_onset_is_first_sample_8uv_above_rest_offset_after_the_between_zone():
    n = 1000
    on = _mask(n, (120, 180))
    # 100-120 and 180-240 are between +2 and +8 uV: neither on nor quiet.
    quiet = ~_mask(n, (100, 240))
    s, e = emg_events(on, quiet, on.copy(), FS, WASM)
    # onset = first on sample (120); offset = start of the quiet run (240)
    assert s.tolist() == [120] and e.tolist() == [240]


def test_minimum_duration_and_morphology():
    n = 2000
    on = _mask(n, (100, 149), (400, 450), (800, 900))
    quiet = ~on
    # [100,149) is 0.49 s: too short. [400,450) is exactly 0.5 s: kept.
    # [800,900) is 1 s but has no 0.5 s window of median activity: dropped.
    morph = _mask(n, (400, 450), (100, 149))
    s, e = emg_events(on, quiet, morph, FS, WASM)
    assert s.tolist() == [400] and e.tolist() == [450]
    # morphology rule off (AASM preset): the 1 s LM is kept
    s, e = emg_events(on, quiet, morph, FS, plm.criteria.get("aasm"))
    assert s.tolist() == [400, 800]


def _emg_recording(x, fs):
    start = dt.datetime(2026, 1, 1, 23, 0, tzinfo=dt.timezone.utc)
    return Recording(data=np.vstack([x, x]), sfreq=fs, channels=(Channel("Leg L", "uV", "emg", side="left"),
                     Channel("Leg R", "uV", "emg", side="right")), start_time=start, source="hand.edf")


def _burst(t, onset, dur, amp, rng):
    return np.where((t >= onset) & (t < onset + dur), amp, 0.0) * rng.standard_normal(len(t))


def test_bursts_found_with_onset_and_offset_on_time():
    fs = 256.0
    rng = np.random.default_rng(3)
    t = np.arange(int(300 * fs)) / fs
    x = 2.0 * rng.standard_normal(len(t))
    x += _burst(t, 100.0, 1.5, 30.0, rng) + _burst(t, 200.0, 0.3, 60.0, rng)  # 0.3 s: not an LM
    lms = detect(_emg_recording(x, fs), WASM)
    left = lms.side == "left"
    assert lms.onset[left] == pytest.approx([100.0], abs=0.1)
    assert lms.offset[left] == pytest.approx([101.5], abs=0.15)
    assert lms.amplitude[left][0] > 15.0


def test_cardiac_spikes_and_pops_alone_make_no_lm():
    fs = 256.0
    rng = np.random.default_rng(4)
    t = np.arange(int(300 * fs)) / fs
    x = 2.0 * rng.standard_normal(len(t))
    # QRS-like spikes (20 ms Gaussian, 80 uV) at 100 beats/min: gaps between beats are < 0.5 s of
    # quiet after the 0.1 s RMS, so without spike rejection they would chain into long LMs.
    beats = np.arange(1.0, 299.0, 0.6)
    for b in beats:
        x += 80.0 * np.exp(-0.5 * ((t - b) / 0.008) ** 2)
    # electrode pops: 1000 uV steps decaying in 0.3 s
    for p in (50.3, 120.7, 250.1):
        x += np.where(t >= p, 1000.0 * np.exp(-np.clip(t - p, 0, None) / 0.3), 0.0)
    lms = detect(_emg_recording(x, fs), WASM)
    assert len(lms) == 0
    # the same with a real 2 s movement: exactly that one per leg
    x += _burst(t, 150.0, 2.0, 40.0, rng)
    lms = detect(_emg_recording(x, fs), WASM)
    assert lms.onset.tolist() == pytest.approx([150.0, 150.0], abs=0.2)


def test_spike_rejection_is_what_removes_cardiac_artefact():
    """Without the opening step the same cardiac night gives false LMs (the test can fail)."""
    from generated_nights import generator, night

    rec, truth = night("emg", 1.0, 11, ("cardiac",))
    good = detect(rec, WASM)
    f1 = generator().lm_f1(truth.leg("left")[0], good.onset[good.side == "left"])[0]
    assert f1 >= 0.95
    # emg_spike_width = 0 turns the opening off
    bad = detect(rec, WASM.replace(emg_spike_width=0.0))
    f1_bad = generator().lm_f1(truth.leg("left")[0], bad.onset[bad.side == "left"])[0]
    assert f1_bad < 0.9


# ---------------------------------------------------------------- issue 11: onsets and durations by the rule
def _band(rng, n, fs):
    """Unit-RMS noise in 20-100 Hz (EMG-like; the detector's 10-100 Hz band keeps all of it)."""
    from scipy import signal

    sos = signal.butter(4, [20.0, 100.0], btype="bandpass", fs=fs, output="sos")
    y = signal.sosfiltfilt(sos, rng.standard_normal(n))
    return y / np.sqrt(np.mean(y * y))


def _qrs(t, beats, amp=80.0):
    x = np.zeros(len(t))
    for b in beats:  # loop over beats
        x += amp * np.exp(-0.5 * ((t - b) / 0.008) ** 2)
    return x


def test_near_threshold_bursts_are_found_with_onsets_on_time():
    # bursts of 11.5 uV RMS over a 1.5 uV floor, 1.26 x the threshold (their envelope averages
    # sqrt(11.5^2 + 1.5^2) - 1.5 = 10.1 uV above the floor's RMS): the 0.1 s RMS envelope fluctuates
    # by ~15 % and dips below +8 uV for tenths of a second at a time. The 0.4 s opening keeps such a
    # burst only at about +7-8 uV; it is found there, and its onset is the first +8 uV crossing of
    # the unopened envelope: within 0.2 s of the burst's start (issue 11's aim at >= 1.25 x).
    fs = 256.0
    rng = np.random.default_rng(21)
    t = np.arange(int(600 * fs)) / fs
    starts = np.arange(20.0, 580.0, 20.0) + rng.uniform(0, 3, 28)
    durs = rng.uniform(0.8, 3.0, len(starts))
    amp = 1.5 * np.ones(len(t))
    for s, d in zip(starts, durs):
        amp[(t >= s) & (t < s + d)] = 11.5
    x = amp * _band(rng, len(t), fs)
    lms = detect(_emg_recording(x, fs), WASM)
    left = lms.onset[lms.side == "left"]
    assert len(left) == len(starts)
    assert np.max(np.abs(left - starts)) <= 0.2
    # the resting level the thresholds sat on is reported (about the floor's RMS)
    levels = lms.context.detection["left"]
    assert levels["unit"] == "uV"
    assert 1.0 <= levels["noise"] <= 1.6
    assert levels["onset_threshold"] == pytest.approx(levels["noise"] + 8.0)


def test_short_burst_beside_a_heart_beat_is_not_an_lm():
    # QRS complexes (80 uV, 20 ms) every 0.8 s; a 0.3 s burst of 50 uV that ends just as a beat
    # begins: envelope above +2 uV from the burst through the beat for ~0.55 s, but the burst
    # itself is 0.3 s (0.4 s of envelope less the 0.1 s RMS window's widening): not an LM.
    fs = 256.0
    rng = np.random.default_rng(5)
    t = np.arange(int(200 * fs)) / fs
    beats = np.arange(0.5, 199.5, 0.8)
    base = 2.0 * _band(rng, len(t), fs) + _qrs(t, beats)
    beat = beats[np.searchsorted(beats, 100.0)]             # the first beat after 100 s (100.1)
    burst = np.where((t >= beat - 0.31) & (t < beat - 0.01), 50.0, 0.0) * _band(rng, len(t), fs)
    assert len(detect(_emg_recording(base + burst, fs), WASM)) == 0
    # a 0.3 s burst alone is not an LM either, and a 0.8 s burst in the same place is one
    far = np.where((t >= 60.2) & (t < 60.5), 50.0, 0.0) * _band(rng, len(t), fs)
    assert len(detect(_emg_recording(2.0 * _band(rng, len(t), fs) + far, fs), WASM)) == 0
    long_ = np.where((t >= beat - 0.81) & (t < beat - 0.01), 50.0, 0.0) * _band(rng, len(t), fs)
    lms = detect(_emg_recording(base + long_, fs), WASM)
    assert lms.onset[lms.side == "left"] == pytest.approx([beat - 0.81], abs=0.1)


def test_minimum_duration_is_applied_to_the_burst_not_to_its_smoothed_envelope():
    # strong bursts (60 uV over 2 uV): the 0.1 s RMS reaches +8 uV 0.05 s before a burst and falls
    # to +2 uV 0.05 s after it, so a 0.45 s burst measures ~0.55 s. It is not an LM; 0.6 s is.
    fs = 256.0
    rng = np.random.default_rng(9)
    t = np.arange(int(120 * fs)) / fs
    for dur, n_lm in ((0.45, 0), (0.6, 1)):
        x = 2.0 * _band(rng, len(t), fs) + np.where((t >= 60.0) & (t < 60.0 + dur), 60.0, 0.0) * _band(rng, len(t), fs)
        lms = detect(_emg_recording(x, fs), WASM)
        assert int(np.sum(lms.side == "left")) == n_lm, dur


def test_low_sustained_activity_with_a_heart_beat_on_it_is_not_an_lm():
    # 3 s of activity at +4 uV above rest (below the found level, +6 uV) carrying a QRS complex: the beat
    # crosses +8 uV on the unopened envelope, but the stretch's spike-free envelope never reaches
    # +5 uV, so it is not a movement. At +9 uV it is one, with its onset at the activity's start.
    fs = 256.0
    rng = np.random.default_rng(13)
    t = np.arange(int(120 * fs)) / fs
    noise = 2.0 * _band(rng, len(t), fs)
    act = _band(rng, len(t), fs)
    qrs = _qrs(t, [61.5])
    for above, n_lm in ((4.0, 0), (9.0, 1)):
        level = np.sqrt((2.0 + above) ** 2 - 4.0)
        x = noise + np.where((t >= 60.0) & (t < 63.0), level, 0.0) * act + qrs
        lms = detect(_emg_recording(x, fs), WASM)
        left = lms.onset[lms.side == "left"]
        assert len(left) == n_lm, above
        if n_lm:
            assert left[0] == pytest.approx(60.0, abs=0.2)
