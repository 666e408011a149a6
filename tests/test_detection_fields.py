"""Detection and quality criteria fields: each changes detection the way its meaning says.

Every signal here is hand-made and short (seconds to run); the expected
answers are worked out in the comments.
"""
import dataclasses
import datetime as dt

import numpy as np
import pytest

import plm.cli
import plm.criteria
from plm.criteria import Criteria, field_descriptions
from plm.detect import detect
from plm.detect import emg as emg_mod
from plm.detect.filters import cap_band
from plm.detect.quality import still_fixed_blocks
from plm.errors import CriteriaError
from plm.model import Channel, Recording

START = dt.datetime(2026, 1, 1, 23, 0, tzinfo=dt.timezone.utc)
WASM = plm.criteria.get("wasm2016")
PAMRL = plm.criteria.get("pamrl")
pytestmark = pytest.mark.filterwarnings("ignore:.*excluded from analysis time:UserWarning")

NEW_FIELDS = {
    "emg_spike_width": 0.4, "emg_pop_min_uv": 300.0, "emg_pop_ratio": 20.0, "emg_pop_blank": (0.1, 0.3),
    "emg_feature_rate": 100.0, "detect_block": 0.5, "max_filter_edge": 0.45, "quality_block": 10.0,
    "flat_std_g": 1e-3, "flat_std_uv": 0.05, "flat_min_duration": 1800.0, "nonwear_window": 3600.0,
    "nonwear_sd_g": 0.013, "nonwear_range_g": 0.05, "nonwear_min_axes": 2, "clip_min_duration": 1.0,
    "clip_min_mad": 10.0, "filter_order": 2, "notch_q": 25.0, "mains_auto_ratio": 5.0,
}


# ------------------------------------------------------------------ the criteria object
def test_defaults_are_the_former_module_constants():
    # the values the detector used as module constants before they became fields
    c = Criteria()
    assert {k: getattr(c, k) for k in NEW_FIELDS} == NEW_FIELDS


def test_every_field_is_described_once_in_the_docstring():
    desc = field_descriptions()
    assert list(desc) == [f.name for f in dataclasses.fields(Criteria)]
    missing = [k for k, v in desc.items() if not v.strip()]
    assert missing == []
    assert desc["nonwear_sd_g"].startswith("Non-wear: every quality block")


def test_fields_command_lists_every_field_with_type_and_default(capsys):
    assert plm.cli.main(["criteria", "--fields"]) == 0
    out = capsys.readouterr().out.splitlines()
    rows = {line.split()[0]: line.split() for line in out[1:]}
    assert set(rows) == {f.name for f in dataclasses.fields(Criteria)}
    assert rows["nonwear_sd_g"][1:3] == ["float", "0.013"]
    assert rows["nonwear_min_axes"][1:3] == ["int", "2"]
    assert rows["emg_pop_blank"][1] == "tuple[float," and rows["emg_pop_blank"][3:5] == ["[0.1,", "0.3]"]
    # a preset's own values with NAME, and --set is applied
    assert plm.cli.main(["criteria", "aasm", "--fields", "--set", "nonwear_window=0"]) == 0
    rows = {line.split()[0]: line.split() for line in capsys.readouterr().out.splitlines()[1:]}
    assert rows["imi_min"][2] == "5.0" and rows["nonwear_window"][2] == "0.0"


def test_unknown_field_points_to_the_fields_listing():
    with pytest.raises(CriteriaError, match=r"plm criteria --fields"):
        plm.criteria.parse_overrides(["nonwear_sd=0.02"])


def test_json_round_trip_with_every_new_field_changed():
    c = WASM.replace(emg_spike_width=0.3, emg_pop_min_uv=250, emg_pop_ratio=15.5, emg_pop_blank=(0.05, 0.25),
                     emg_feature_rate=50, detect_block=1.0, max_filter_edge=0.4, quality_block=5,
                     flat_std_g=2e-3, flat_std_uv=0.1, flat_min_duration=900, nonwear_window=5400,
                     nonwear_sd_g=0.02, nonwear_range_g=0.03, nonwear_min_axes=3, clip_min_duration=2,
                     clip_min_mad=8, filter_order=4, notch_q=35.5, mains_auto_ratio=3)
    back = Criteria.from_json(c.to_json())
    assert back == c and back.hash == c.hash and back.hash != WASM.hash
    # ints given for float fields hash like the floats (they score alike)
    assert WASM.replace(quality_block=10).hash == WASM.hash


@pytest.mark.parametrize("bad", [
    {"emg_feature_rate": 0}, {"detect_block": 0}, {"quality_block": 0}, {"emg_pop_ratio": 0},
    {"max_filter_edge": 0.6}, {"max_filter_edge": 0}, {"nonwear_min_axes": 4}, {"nonwear_min_axes": 0},
    {"nonwear_window": 5.0}, {"nonwear_sd_g": -0.01}, {"emg_pop_blank": (0.1,)},
    {"filter_order": 0}, {"filter_order": 2.5}, {"filter_order": 12}, {"notch_q": 0},
])
def test_bad_values_are_refused(bad):
    with pytest.raises(CriteriaError):
        WASM.replace(**bad)


# ------------------------------------------------------------------ EMG detection fields
def _emg(x, fs):
    return Recording(data=np.vstack([x, x]), sfreq=fs, channels=(Channel("Leg L", "uV", "emg", side="left"),
                     Channel("Leg R", "uV", "emg", side="right")), start_time=START, source="hand.edf")


def _left(lms):
    m = lms.side == "left"
    return lms.onset[m], lms.duration[m], lms.amplitude[m]


def test_spike_width_removes_bump_trains_narrower_than_it():
    # A train of 0.15 s bursts every 0.35 s for 6 s: the 0.2 s pauses are far
    # shorter than the 0.5 s of quiet that ends an LM. Each bump (0.15 s +
    # 0.1 s RMS) is narrower than the default 0.4 s element, so the opening
    # removes the whole train: no LM. With a 0.1 s element the bumps survive
    # and chain into one ~6 s LM.
    fs = 256.0
    rng = np.random.default_rng(5)
    t = np.arange(int(120 * fs)) / fs
    x = 2.0 * rng.standard_normal(len(t))
    for b in np.arange(50.0, 56.0, 0.35):
        x += np.where((t >= b) & (t < b + 0.15), 40.0, 0.0) * rng.standard_normal(len(t))
    assert len(_left(detect(_emg(x, fs), WASM))[0]) == 0
    on, dur, _ = _left(detect(_emg(x, fs), WASM.replace(emg_spike_width=0.1)))
    assert on == pytest.approx([50.0], abs=0.15) and dur[0] == pytest.approx(6.0, abs=0.5)


def test_pop_fields_decide_which_samples_are_blanked():
    # One 1000 uV step decaying in 0.3 s at 10.0 s on 2 uV noise: its filtered
    # samples far exceed 300 uV and 20 x (envelope + 1 uV), so the default
    # blanks 0.1 s before to 0.3 s after them (filtered signal set to 0).
    fs = 256.0
    rng = np.random.default_rng(6)
    t = np.arange(int(30 * fs)) / fs
    x = 2.0 * rng.standard_normal(len(t)) + np.where(t >= 10.0, 1000.0 * np.exp(-np.clip(t - 10.0, 0, None) / 0.3), 0)
    i = int(10.0 * fs)

    def filtered(crit):
        return emg_mod.emg_envelope(x.copy(), emg_mod.emg_plan(fs, crit, None))[0]

    default = filtered(WASM)
    assert np.all(default[i - int(0.05 * fs): i + int(0.1 * fs)] == 0.0)
    # a minimum of 1e6 uV (above the pop) or a ratio of 1e6: nothing blanked
    for crit in (WASM.replace(emg_pop_min_uv=1e6), WASM.replace(emg_pop_ratio=1e6)):
        f = filtered(crit)
        assert np.abs(f[i - 3: i + 3]).max() > 300.0
    # blanking (0, 0): only the samples above the limit; 0.25 s later the
    # (still large) recovery is kept, which the default's 0.3 s after blanks
    j = i + int(0.25 * fs)
    assert default[j] == 0.0
    assert filtered(WASM.replace(emg_pop_blank=(0.0, 0.0)))[j] != 0.0


def test_feature_rate_sets_the_onset_grid():
    # Decisions are taken every floor(fs / emg_feature_rate) samples: at
    # 256 Hz every 2nd sample by default, every 12th with 20 Hz.
    fs = 256.0
    rng = np.random.default_rng(7)
    t = np.arange(int(120 * fs)) / fs
    x = 2.0 * rng.standard_normal(len(t)) + np.where((t >= 60.013) & (t < 62.0), 30.0, 0.0) * rng.standard_normal(len(t))
    on_default = _left(detect(_emg(x, fs), WASM))[0]
    on_coarse = _left(detect(_emg(x, fs), WASM.replace(emg_feature_rate=20.0)))[0]
    assert on_default == pytest.approx([60.0], abs=0.1) and on_coarse == pytest.approx([60.0], abs=0.1)
    assert round(on_default[0] * fs) % 2 == 0 and round(on_coarse[0] * fs) % 12 == 0
    assert round(on_default[0] * fs) % 12 != 0        # so the grid did change it


def test_max_filter_edge_drops_band_edges_above_it():
    # 100 Hz edge at 256 Hz: 0.45 x 256 = 115.2 Hz -> kept; 0.35 x 256 = 89.6 Hz -> dropped
    assert cap_band((10.0, 100.0), 256.0, WASM.max_filter_edge) == (10.0, 100.0)
    assert cap_band((10.0, 100.0), 256.0, 0.35) == (10.0, None)
    lo = emg_mod.emg_plan(256.0, WASM, None).sos
    hi = emg_mod.emg_plan(256.0, WASM.replace(max_filter_edge=0.35), None).sos
    assert len(hi) < len(lo)            # the low-pass sections are gone


def test_filter_order_steepens_the_band_edges():
    # Butterworth high-pass at 0.3 Hz: |H(0.15 Hz)| = 1 / sqrt(1 + 2^(2N)) per
    # pass, squared by the forward-backward pass: N = 2 -> 1/17, N = 4 -> 1/257.
    from scipy import signal

    from plm.detect.accel import accel_plan

    def gain(order):
        sos = accel_plan(40.0, PAMRL.replace(filter_order=order)).sos
        return abs(signal.sosfreqz(sos, worN=[0.15], fs=40.0)[1][0]) ** 2

    assert gain(2) == pytest.approx(1 / 17, rel=0.02)
    assert gain(4) == pytest.approx(1 / 257, rel=0.02)


def test_notch_q_sets_the_notch_width():
    # -3 dB width = 50 Hz / Q (one pass): 2 Hz at Q = 25, so 49 Hz is at the
    # -3 dB edge, |H|^2 = 1/2; 0.5 Hz at Q = 100, so 49 Hz (1 Hz off) is well
    # outside: |H|^2 ~ 1^2 / (1^2 + 0.25^2) = 0.94.
    from scipy import signal

    def gain(q):
        sos = emg_mod.emg_plan(1000.0, WASM.replace(notch_q=q, emg_band=(0.0, 0.0)), 50.0).sos
        return abs(signal.sosfreqz(sos, worN=[49.0], fs=1000.0)[1][0]) ** 2

    assert gain(25.0) == pytest.approx(0.5, abs=0.02)
    assert gain(100.0) == pytest.approx(0.94, abs=0.02)


def test_mains_auto_ratio_decides_when_to_notch():
    # A weak 50 Hz line (0.12 uV on 1 uV white noise) stands out ~3-4 fold in
    # the averaged spectra: notched when 2-fold suffices, not at the default 5.
    from plm.detect.filters import mains_frequency

    fs = 256.0
    rng = np.random.default_rng(13)
    t = np.arange(int(300 * fs)) / fs
    x = rng.standard_normal(len(t)) + 0.12 * np.sin(2 * np.pi * 50.0 * t)
    assert mains_frequency(x, fs, "auto", min_ratio=WASM.mains_auto_ratio) is None
    assert mains_frequency(x, fs, "auto", min_ratio=WASM.replace(mains_auto_ratio=2.0).mains_auto_ratio) == 50.0


# ------------------------------------------------------------------ accelerometer
def _accel(data, fs=40.0):
    ch = tuple(Channel(f"left_{a}", "g", "accel", side="left", axis=a) for a in "xyz")
    return Recording(data=data, sfreq=fs, channels=ch, start_time=START, source="ankle.csv")


def _worn(n, fs, rng, noise=0.01):
    """Worn leg: the tilt swings by ~0.2 g over 20 min (never still-and-fixed for an hour)."""
    t = np.arange(n) / fs
    theta = 0.5 + 0.2 * np.sin(2 * np.pi * t / 1200.0)
    return np.vstack([np.sin(theta), np.zeros(n), np.cos(theta)]) + noise * rng.standard_normal((3, n))


def _move(data, fs, onset, dur, amp, rng):
    a, b = int(onset * fs), int((onset + dur) * fs)
    data[:, a:b] += amp * np.sin(2 * np.pi * 3.0 * np.arange(b - a) / fs) * np.array([[1.0], [0.5], [0.2]])


def test_detect_block_sets_the_amplitude_blocks():
    # A 1 s movement of peak ~0.3 g at 100.0 s and, 1.5 s after its end, a
    # 0.2 s jolt of ~1 g (too short to be an LM). Amplitude = maximum over the
    # detect_block blocks the LM touches: 0.5 s blocks end at ~101.5 s and miss
    # the jolt; one 4 s block [100, 104) holds both.
    fs = 40.0
    rng = np.random.default_rng(8)
    data = _worn(int(300 * fs), fs, rng, noise=0.002)
    _move(data, fs, 100.0, 1.0, 0.3, rng)
    _move(data, fs, 102.5, 0.2, 1.0, rng)
    on, _, amp = _left(detect(_accel(data), PAMRL))
    on4, _, amp4 = _left(detect(_accel(data), PAMRL.replace(detect_block=4.0)))
    assert on.tolist() == on4.tolist() and on == pytest.approx([100.0], abs=0.2)
    assert amp[0] < 0.45 and amp4[0] > 0.6


def test_flat_fields():
    # 40 min: 35 min flat (0.5 mg noise: a sensor switched off, hum of the ADC)
    # between worn stretches. Still-and-fixed rule off: the flat rule alone.
    fs = 40.0
    rng = np.random.default_rng(9)
    n = int(2400 * fs)
    data = _worn(n, fs, rng)
    a, b = int(200 * fs), int((200 + 2100) * fs)
    data[:, a:b] = data[:, a:a + 1] + 0.0005 * rng.standard_normal((3, b - a))
    crit = PAMRL.replace(nonwear_window=0.0)
    exc = detect(_accel(data), crit).excluded
    # 10 s blocks: [200, 2300) exactly (both edges on the block grid)
    assert exc.tolist() == [[200.0, 2300.0]]
    # SD threshold below the 0.5 mg: not flat
    assert len(detect(_accel(data), crit.replace(flat_std_g=1e-4)).excluded) == 0
    # 35 min < a 40 min minimum: not reported
    assert len(detect(_accel(data), crit.replace(flat_min_duration=2400.0)).excluded) == 0
    # 7 s blocks: the first whole flat block starts at 203 s (29 x 7), the last ends at 2296 s (328 x 7)
    assert detect(_accel(data), crit.replace(quality_block=7.0)).excluded.tolist() == [[203.0, 2296.0]]


def test_flat_std_uv_for_emg():
    # 40 min of 128 Hz EMG, 35 min of it at 0.02 uV (amplifier input shorted): flat at <= 0.05 uV
    fs = 128.0
    rng = np.random.default_rng(10)
    n = int(2400 * fs)
    x = 2.0 * rng.standard_normal(n)
    x[int(200 * fs):int(2300 * fs)] = 0.02 * rng.standard_normal(int(2100 * fs))
    assert detect(_emg(x, fs), WASM).excluded.tolist() == [[200.0, 2300.0]]
    assert len(detect(_emg(x, fs), WASM.replace(flat_std_uv=0.01)).excluded) == 0


def test_clip_fields():
    # 5 s pinned at the +8 g rail (far beyond 10 MADs of the signal)
    fs = 40.0
    rng = np.random.default_rng(1)
    n = int(1800 * fs)
    data = _worn(n, fs, rng)
    data[0, 20000:20200] = 8.0
    assert detect(_accel(data), PAMRL).excluded.tolist() == [[500.0, 505.0]]
    assert len(detect(_accel(data), PAMRL.replace(clip_min_duration=10.0)).excluded) == 0
    assert len(detect(_accel(data), PAMRL.replace(clip_min_mad=1e6)).excluded) == 0


# ------------------------------------------------------------------ still-and-fixed non-wear
def test_still_fixed_blocks_hand_worked():
    # 8 blocks, windows of 3 blocks, 2 of 3 axes. Axis 0 and 1 are quiet
    # (SD 0.01 < 0.013) everywhere except axis 1 in block 6; axis 2 is never quiet.
    # Means: axis 0 constant; axis 1 jumps by 0.1 at block 4.
    sd = np.array([[0.01] * 8, [0.01] * 6 + [0.05, 0.01], [0.05] * 8])
    mean = np.array([[0.0] * 8, [0.0] * 4 + [0.1] * 4, [1.0] * 8])
    # window starts 0..5; axis 0 ok in all; axis 1 ok (quiet and range < 0.05)
    # only for starts 0, 1 (blocks 0-3; start 2 spans the jump, 4+ hit block 6)
    # -> 2 axes ok at starts 0, 1 -> blocks 0..3 covered
    got = still_fixed_blocks(sd, mean, 3, 0.013, 0.05, 2)
    assert got.tolist() == [True] * 4 + [False] * 4
    # one axis is enough: every window qualifies on axis 0
    assert still_fixed_blocks(sd, mean, 3, 0.013, 0.05, 1).all()
    # NaN (missing) blocks never qualify
    sd[:, 1] = np.nan
    assert still_fixed_blocks(sd, mean, 3, 0.013, 0.05, 1).tolist() == [False] * 2 + [True] * 6


def _table_night(fs=20.0, drift_axis=None, seed=11):
    """2.5 h: worn 20 min, off-ankle 80 min (fixed orientation, 10 mg noise), worn 50 min."""
    rng = np.random.default_rng(seed)
    n = int(9000 * fs)
    data = _worn(n, fs, rng)
    a, b = int(1200 * fs), int(6000 * fs)
    data[:, a:b] = np.array([[0.05], [-0.03], [0.998]]) + 0.01 * rng.standard_normal((3, b - a))
    if drift_axis is not None:     # the offset of one axis drifts steadily by 90 mg in 80 min
        data[drift_axis, a:b] += 0.09 * np.arange(b - a) / (b - a)
    return data


def test_off_ankle_is_nonwear_and_each_field_acts():
    fs = 20.0
    data = _table_night(fs)
    # worn blocks around it swing by > 0.05 g within minutes; blocks [1200, 6000) are off
    assert detect(_accel(data, fs), PAMRL).excluded.tolist() == [[1200.0, 6000.0]]
    # 80 min < a 90 min window; rule off; 10 mg noise not below 5 mg; block means not within 0.5 mg
    for change in ({"nonwear_window": 5400.0}, {"nonwear_window": 0.0}, {"nonwear_sd_g": 0.005},
                   {"nonwear_range_g": 0.0005}):
        assert len(detect(_accel(data, fs), PAMRL.replace(**change)).excluded) == 0, change


def test_min_axes_with_a_drifting_axis():
    # One axis' offset drifts by 90 mg in 80 min, i.e. 67.5 mg in any 60 min
    # window (> 50 mg range): 2 axes still qualify, 3 do not
    fs = 20.0
    data = _table_night(fs, drift_axis=2)
    assert detect(_accel(data, fs), PAMRL).excluded.tolist() == [[1200.0, 6000.0]]
    assert len(detect(_accel(data, fs), PAMRL.replace(nonwear_min_axes=3)).excluded) == 0


def test_still_worn_leg_with_orientation_wander_is_not_nonwear():
    # 80 min of a still but worn leg: no movement at all (10 mg noise only),
    # the tilt (0.8 rad) makes one slow 6 degree excursion (sin^2 hump over
    # the 80 min). Any 60 min window spans at least sin^2(pi/8) .. 1, i.e.
    # 0.85 x 6 deg = 0.089 rad: ~62 mg on x (cos 0.8 = 0.70), ~64 mg on z
    # -> range > 50 mg on 2 axes -> worn in every window.
    fs = 20.0
    rng = np.random.default_rng(12)
    data = _table_night(fs)
    a, b = int(1200 * fs), int(6000 * fs)
    tt = np.arange(b - a) / fs
    theta = 0.8 + np.deg2rad(6.0) * np.sin(np.pi * tt / tt[-1]) ** 2
    data[:, a:b] = np.vstack([np.sin(theta), np.zeros(b - a), np.cos(theta)]) + 0.01 * rng.standard_normal((3, b - a))
    assert len(detect(_accel(data, fs), PAMRL).excluded) == 0


def test_generated_off_ankle_excluded_and_still_sleep_not():
    from generated_nights import generator

    gen = generator()
    imp = ("noise", "quantisation", "offankle", "still_sleep")
    rec, truth = gen.make_night("accel", 4.0, 3, imp)
    reserved = {k: (a, b) for a, b, k in gen._reserved_named(4.0, imp)}
    assert truth.excluded.tolist() == [list(reserved["offankle"])]
    lms = detect(rec, PAMRL)
    # off-ankle: excluded to within the 20 s turns at its ends (plus one 10 s block)
    assert lms.excluded.shape == (1, 2)
    assert lms.excluded[0] == pytest.approx(truth.excluded[0], abs=30.0)
    # still sleep: not excluded, and no LM detected in it (its twitches stay below threshold)
    a, b = reserved["still_sleep"]
    assert b - a >= 3600.0
    assert not np.any((lms.onset >= a) & (lms.onset < b))
    for side in ("left", "right"):
        f1 = gen.lm_f1(truth.leg(side)[0], lms.onset[lms.side == side])[0]
        assert f1 >= 0.95
    # same answers when processed in short chunks (chunked == whole file)
    short = detect(rec, PAMRL, chunk_seconds=437.3)
    assert short.excluded.tolist() == lms.excluded.tolist() and short.onset.tolist() == lms.onset.tolist()
