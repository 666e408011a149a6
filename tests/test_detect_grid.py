"""The EMG envelope on the decision grid equals the full-rate definition it replaces.

``plm.detect.emg`` evaluates the moving RMS only at every ``decim``-th
sample and, after pop blanking, recomputes it and the opening only where
the blanked samples reach. Each shortcut is checked here against the
plain definition: the full-rate moving RMS (``scipy.ndimage.uniform_filter1d``
of the squares, ends repeated) kept at every ``decim``-th sample, and the
opening of the whole envelope.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import plm.criteria
from plm.detect import emg as emg_mod
from plm.detect.emg import _GridSquares, _reopen, _rms, grid_rms, moving_rms, open_envelope


def _signal(seed, size, scale):
    rng = np.random.default_rng(seed)
    # white noise on an offset with a few large bursts: sums of very different magnitudes
    x = scale * rng.standard_normal(size) + 50.0
    x[size // 3: size // 3 + 20] *= 100.0
    return x


@settings(max_examples=80, deadline=None)
@given(size=st.integers(1, 2000), n=st.integers(1, 150), step=st.integers(1, 12),
       seed=st.integers(0, 1000), scale=st.sampled_from([1.0, 100.0]))
def test_grid_rms_is_moving_rms_kept_at_every_step(size, n, step, seed, scale):
    x = _signal(seed, size, scale)
    expected = moving_rms(x, n)[::step]
    got = grid_rms(x, n, step)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-9)


@settings(max_examples=80, deadline=None)
@given(size=st.integers(6, 2000), n=st.integers(2, 150), step=st.integers(1, 12), width=st.integers(1, 30),
       seed=st.integers(0, 1000), data=st.data())
def test_zeroing_updates_only_the_windows_it_reaches(size, n, step, width, seed, data):
    x = _signal(seed, size, 1.0)
    # up to three disjoint stretches, possibly touching either end
    cuts = sorted(data.draw(st.lists(st.integers(0, size), min_size=2, max_size=6, unique=True)))
    starts, stops = np.array(cuts[0::2][: len(cuts) // 2]), np.array(cuts[1::2][: len(cuts) // 2])
    grid = _GridSquares(x, n, step)
    raw = _rms(grid.mean())
    opened = open_envelope(raw, width)
    j0, j1 = grid.zero(starts, stops)
    y = x.copy()
    for a, b in zip(starts, stops):
        y[a:b] = 0.0
    expected = moving_rms(y, n)[::step]
    changed = np.zeros(len(raw), bool)
    for a, b in zip(j0, j1):
        changed[a:b] = True
        raw[a:b] = _rms(grid.mean(a, b))
    # windows outside the returned ranges hold no zeroed sample: their RMS is unchanged
    # (compared as mean squares: a window of zeros has RMS sqrt(rounding error))
    np.testing.assert_allclose(raw ** 2, expected ** 2, rtol=1e-9, atol=1e-9 * x.max() ** 2)
    direct = moving_rms(x, n)[::step]
    np.testing.assert_allclose(direct[~changed] ** 2, expected[~changed] ** 2, rtol=1e-9, atol=1e-9 * x.max() ** 2)
    # the local re-opening equals opening the whole updated envelope, exactly
    _reopen(opened, raw, j0, j1, width)
    np.testing.assert_array_equal(opened, open_envelope(raw, width))


@pytest.mark.parametrize("fs", [200.0, 256.0, 512.0, 1000.0])
def test_envelope_with_pops_equals_the_full_rate_definition(fs):
    # 60 s of 3 uV noise, a 2 s 60 uV burst and three 1500 uV pops (the first blanked from sample 0)
    rng = np.random.default_rng(int(fs))
    n = int(60 * fs)
    x = 3.0 * rng.standard_normal(n)
    x[int(20 * fs): int(22 * fs)] += 60.0 * rng.standard_normal(int(2 * fs))
    t = np.arange(n) / fs
    for t0 in (0.05, 31.0, 45.2):
        x += np.where(t >= t0, 1500.0 * np.exp(-np.clip(t - t0, 0, None) / 0.05), 0.0)
    crit = plm.criteria.get("wasm2016")
    plan = emg_mod.emg_plan(fs, crit, None)
    xf, env = emg_mod.emg_envelope(x.copy(), plan)
    # the definition: pops found and blanked on the full-rate envelope, then recomputed at full rate
    from plm.detect import filters
    from plm.detect.runs import runs, runs_to_mask
    ref = filters.zero_phase(x, plan.sos)
    k = plan.decim
    env0 = open_envelope(moving_rms(ref, plan.smooth_n)[::k], plan.spike_n)
    limit = np.maximum(plan.pop_ratio * (np.repeat(env0, k)[:n] + 1.0), plan.pop_min_uv)
    pre, post = plan.pop_blank
    s, e = runs(np.abs(ref) > limit, bridge=pre + post)
    assert len(s) >= 3 and s[0] - pre <= 0  # the pops were found, the first blanked from the start
    ref[runs_to_mask(np.maximum(s - pre, 0), np.minimum(e + post, n), n)] = 0.0
    env_ref = open_envelope(moving_rms(ref, plan.smooth_n)[::k], plan.spike_n)
    np.testing.assert_array_equal(xf, ref)
    np.testing.assert_allclose(env ** 2, env_ref ** 2, rtol=1e-9, atol=1e-9)


@settings(max_examples=80, deadline=None)
@given(size=st.integers(1, 600), n=st.integers(1, 130), seed=st.integers(0, 1000))
def test_running_extremes_equal_scipy_exactly(size, n, seed):
    from scipy import ndimage

    from plm.detect.emg import running_extreme
    x = np.random.default_rng(seed).standard_normal(size).cumsum()
    np.testing.assert_array_equal(running_extreme(x, n, np.minimum), ndimage.minimum_filter1d(x, n, mode="nearest"))
    np.testing.assert_array_equal(running_extreme(x, n, np.maximum), ndimage.maximum_filter1d(x, n, mode="nearest"))


def test_emg_features_with_a_shared_workspace_equal_fresh_ones():
    # Chunks of one leg share scratch arrays: what a chunk returns must not alias them.
    from plm.criteria import get
    from plm.detect.emg import emg_features, emg_plan
    from plm.detect.workspace import Workspace

    fs = 256.0
    plan = emg_plan(fs, get("wasm2016"), 50.0)
    rng = np.random.default_rng(11)
    work = Workspace()
    kept = []
    for n in (40_000, 25_000, 40_000):
        x = rng.standard_normal(n) * 3
        x[n // 3: n // 3 + 500] += rng.standard_normal(500) * 40   # one burst
        kept.append((x, emg_features(x, plan, work)))
    for x, got in kept:
        fresh = emg_features(x, plan)
        for name in ("on", "quiet", "morph", "excess"):
            assert np.array_equal(got[name], fresh[name]), name
