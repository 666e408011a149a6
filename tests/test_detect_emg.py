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
