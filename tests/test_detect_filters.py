"""Filters, mains choice and the adaptive resting level."""
import numpy as np
import pytest
from scipy import signal

from plm.detect import filters
from plm.detect.baseline import resting_level


def test_cap_band_drops_edges_at_or_above_045_fs():
    # 40 Hz accelerometer: 20 Hz is Nyquist, so only the 0.3 Hz high-pass remains.
    assert filters.cap_band((0.3, 20.0), 40.0) == (0.3, None)
    # 200 Hz EMG: 100 Hz >= 0.45 * 200 = 90 Hz, dropped; 10 Hz kept.
    assert filters.cap_band((10.0, 100.0), 200.0) == (10.0, None)
    assert filters.cap_band((10.0, 100.0), 512.0) == (10.0, 100.0)


@pytest.mark.parametrize("mains", [50.0, 60.0])
def test_notch_removes_mains_and_keeps_emg_band(mains):
    fs = 512.0
    t = np.arange(int(20 * fs)) / fs
    sos = filters.notch_sos(fs, mains, up_to=200.0)
    # fundamental and harmonics up to 200 Hz, each at least 40 dB down in the middle of the signal
    for k in range(1, int(200 // mains) + 1):
        y = filters.zero_phase(np.sin(2 * np.pi * k * mains * t), sos)
        assert np.max(np.abs(y[2000:-2000])) < 0.01
    # 35 Hz (EMG) passes within 1 %
    y = filters.zero_phase(np.sin(2 * np.pi * 35.0 * t), sos)
    assert np.max(np.abs(y[2000:-2000])) == pytest.approx(1.0, abs=0.01)


def test_mains_frequency_auto_choice():
    fs = 256.0
    rng = np.random.default_rng(1)
    t = np.arange(int(600 * fs)) / fs
    noise = rng.standard_normal(len(t)) * 3
    assert filters.mains_frequency(noise + 50 * np.sin(2 * np.pi * 60 * t), fs) == 60.0
    assert filters.mains_frequency(noise + 50 * np.sin(2 * np.pi * 50 * t), fs) == 50.0
    assert filters.mains_frequency(noise, fs) is None
    assert filters.mains_frequency(noise, fs, "60") == 60.0
    assert filters.mains_frequency(noise + 50 * np.sin(2 * np.pi * 50 * t), fs, "none") is None
    # 100 Hz sampling cannot carry 50 Hz hum
    assert filters.mains_frequency(noise[:60000], 100.0) is None


def test_settle_samples_makes_chunked_filtering_equal():
    fs = 256.0
    sos = np.vstack([filters.band_sos(fs, 10.0, 100.0), filters.notch_sos(fs, 50.0)])
    n_settle = filters.settle_samples(sos)
    x = np.random.default_rng(2).standard_normal(20000) * 10
    whole = filters.zero_phase(x, sos)
    a, b = 8000, 12000
    part = filters.zero_phase(x[a - n_settle:b + n_settle], sos)[n_settle:n_settle + b - a]
    assert np.max(np.abs(part - whole[a:b])) < 1e-9
    # with a tenth of the overlap the transient is still visible
    short = n_settle // 10
    part = filters.zero_phase(x[a - short:b + short], sos)[short:short + b - a]
    assert np.max(np.abs(part - whole[a:b])) > 1e-6


def test_resting_level_follows_slow_drift_and_ignores_bursts():
    fs = 100.0
    n = int(1200 * fs)
    t = np.arange(n) / fs
    floor = 2.0 + 4.0 * t / t[-1]            # 2 -> 6 uV over 20 min
    env = floor.copy()
    # 1.5 s bursts of +40 uV every 20 s (7.5 % of the time)
    env[(t % 20.0) < 1.5] += 40.0
    rest = resting_level(env, fs, window=60.0, percentile=10.0)
    inner = (t > 60) & (t < t[-1] - 60)
    assert np.max(np.abs(rest[inner] - floor[inner])) < 0.25


def test_band_sos_is_stable_and_zero_phase():
    fs = 40.0
    sos = filters.band_sos(fs, 0.3, None)
    assert np.all(np.abs(signal.sos2zpk(sos)[1]) < 1)
    # a symmetric pulse stays centred after zero-phase filtering
    x = np.zeros(4000)
    x[2000] = 1.0
    y = filters.zero_phase(x, sos)
    assert int(np.argmax(np.abs(y))) == 2000


@pytest.mark.parametrize("n", [2, 5, 700, 3 * filters.FILTER_BLOCK + 17])
def test_zero_phase_equals_sosfiltfilt_exactly(n):
    # Blockwise in-place filtering runs the same recurrences in the same order as
    # scipy's sosfiltfilt with the same odd extension: the results are bitwise equal.
    fs = 256.0
    sos = np.vstack([filters.band_sos(fs, 10.0, 100.0), filters.notch_sos(fs, 50.0)])
    rng = np.random.default_rng(n)
    x = rng.standard_normal(n) * 20
    pad = filters.zero_phase_padlen(sos, n)
    assert np.array_equal(filters.zero_phase(x, sos), signal.sosfiltfilt(sos, x, padlen=pad))
    xyz = rng.standard_normal((3, n))
    assert np.array_equal(filters.zero_phase(xyz, sos), signal.sosfiltfilt(sos, xyz, axis=-1, padlen=pad))
    assert np.array_equal(filters.zero_phase(xyz.T, sos, axis=0), signal.sosfiltfilt(sos, xyz.T, axis=0, padlen=pad))


def test_zero_phase_work_buffer_is_reused_and_input_untouched():
    from plm.detect.workspace import Workspace

    fs = 512.0
    sos = filters.band_sos(fs, 10.0, 100.0)
    pad = filters.zero_phase_padlen(sos, 1 << 62)
    work = Workspace()
    rng = np.random.default_rng(3)
    first = None
    for n in (5000, 3000, 5000):
        x = rng.standard_normal(n)
        before = x.copy()
        buf = work.get("filtered", (n + 2 * pad,))
        first = buf.base if first is None else first
        y = filters.zero_phase(x, sos, work=buf, padlen=pad)
        assert np.shares_memory(y, first)            # no new signal-sized array
        assert np.array_equal(y, signal.sosfiltfilt(sos, x, padlen=min(pad, n - 1)))
        assert np.array_equal(x, before)
    with pytest.raises(ValueError, match="cannot hold"):
        filters.zero_phase(np.zeros(100), sos, work=np.empty(10), padlen=pad)


def test_workspace_grows_and_keeps_names_apart():
    from plm.detect.workspace import Workspace

    work = Workspace()
    a = work.get("a", (10,))
    a[:] = 1.0
    b = work.get("b", (4, 5), bool)
    assert b.shape == (4, 5) and b.dtype == bool and not np.shares_memory(a, b)
    assert np.shares_memory(work.get("a", (6,)), a)   # smaller: same memory
    big = work.get("a", (20,))                          # larger: a new array
    assert big.shape == (20,) and not np.shares_memory(big, a)
    assert work.nbytes == 20 * 8 + 20


def test_window_widening_hand_worked():
    from plm.detect.filters import window_widening

    # w = 0.1 s, a step of power 100 measured at levels 25 and 25: 0.1 x (1 - 50 / 100) = 0.05 s;
    # at levels 8 and 2 (EMG +8/+2 uV over rest 0: 64 and 4): 0.1 x (1 - 68 / 100) = 0.032 s
    got = window_widening(0.1, np.array([100.0, 100.0, 40.0, np.inf]), np.array([25.0, 64.0, 25.0, 25.0]),
                          np.array([25.0, 4.0, 25.0, 25.0]))
    # a movement barely above its levels is not widened; an infinitely strong one by the whole window
    np.testing.assert_allclose(got, [0.05, 0.032, 0.0, 0.1])
