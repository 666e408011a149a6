"""Leg-movement detection on tibialis anterior EMG (WASM 2016 / AASM rules).

Steps (see ``docs/detection.md`` for the sources and the reasons):

1. zero-phase band-pass (``criteria.emg_band``, about 10-100 Hz, capped below
   Nyquist) and mains notch (50 or 60 Hz and harmonics in the band);
2. envelope: moving RMS over ``criteria.emg_smoothing`` (0.1 s);
3. spike rejection: a grey-scale opening of the envelope (running minimum
   then running maximum over ``criteria.emg_spike_width`` s) removes every bump
   narrower than that, i.e. QRS complexes of cardiac artefact and electrode
   pops, while any activity lasting >= 0.5 s (the shortest LM) is kept;
4. resting level: a low percentile of the envelope in a sliding window
   (:func:`plm.detect.baseline.resting_level`);
5. per-sample decisions: *on* (envelope >= rest + 8 uV), *quiet* (envelope
   <= rest + 2 uV), *morph* (the 0.5 s window centred here has a median
   rectified EMG >= resting rectified level + 2 uV);
6. events (:func:`emg_events`): the offset is the start of the first quiet
   stretch >= 0.5 s; the onset is the first *on* sample after the previous
   offset; an LM must last >= ``lm_min_duration`` and contain a morphology
   window.

Steps 1-5 are local (each output sample depends on a bounded stretch of
input), so they run on overlapping chunks; step 6 runs once on the stitched
boolean masks.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from . import filters
from .baseline import block_samples, resting_level
from .runs import first_index_in, runs, runs_to_mask

__all__ = ["EmgPlan", "emg_plan", "emg_envelope", "emg_features", "emg_events", "moving_rms", "open_envelope"]

#: Median of |x| over the RMS of Gaussian noise: converts the RMS resting
#: level to the resting level of the rectified signal (morphology rule).
#: A property of the normal distribution, not a tunable parameter.
RECTIFIED_PER_RMS = 0.6745


@dataclass(frozen=True)
class EmgPlan:
    """Every number the EMG feature step needs, fixed once per recording.

    Built by :func:`emg_plan`; the same plan is used for every chunk, so
    chunked and whole-signal processing compute the same thing.
    """

    sfreq: float
    sos: np.ndarray
    mains_hz: float | None
    decim: int
    rate: float
    smooth_n: int
    spike_n: int
    block_n: int
    baseline_window: float
    baseline_percentile: float
    onset_uv: float
    offset_uv: float
    morph_n: int
    morph_uv: float
    block: float
    pop_min_uv: float
    pop_ratio: float
    pop_blank: tuple[int, int]
    overlap: int

    def __hash__(self) -> int:  # sos array is not hashable; plans are not dict keys
        return id(self)


def emg_plan(sfreq: float, criteria, mains_hz: float | None) -> EmgPlan:
    """Filters, window lengths and chunk overlap for EMG detection.

    Parameters
    ----------
    sfreq : float
        Sampling rate, Hz.
    criteria : Criteria
    mains_hz : float or None
        Mains frequency to notch (see :func:`plm.detect.filters.mains_frequency`).

    Returns
    -------
    EmgPlan
    """
    low, high = filters.cap_band(criteria.emg_band, sfreq, criteria.max_filter_edge)
    sos = filters.band_sos(sfreq, low, high, order=criteria.filter_order)
    if mains_hz is not None:
        top = high if high is not None else 0.48 * sfreq
        sos = np.vstack([sos, filters.notch_sos(sfreq, mains_hz, up_to=top * 1.05, q=criteria.notch_q)])
    # The 0.1 s RMS envelope carries nothing above ~10 Hz: every decision after
    # it is taken on a grid of about ``emg_feature_rate`` Hz (every `decim`-th sample),
    # which makes the opening, baseline and masks `decim` times cheaper.
    decim = max(1, int(sfreq // criteria.emg_feature_rate))
    rate = sfreq / decim
    smooth_n = max(1, int(round(criteria.emg_smoothing * sfreq)))
    spike_w = min(criteria.emg_spike_width, 0.8 * criteria.lm_min_duration) if criteria.lm_min_duration > 0 else 0.0
    spike_n = max(1, int(round(spike_w * rate)))
    block_n = block_samples(rate, criteria.detect_block)
    pop_blank = tuple(int(round(p * sfreq)) for p in criteria.emg_pop_blank)
    morph_n = int(round(criteria.morphology_window * sfreq))
    base_n = int(np.ceil(criteria.baseline_window * sfreq))
    # Each output sample depends on: filter transients (settle), the RMS
    # window, opening (2 x spike), morphology window, half the baseline
    # window plus three blocks (block means and interpolation), pop blanking.
    need = (
        filters.settle_samples(sos)
        + smooth_n
        + 2 * spike_n * decim
        + morph_n
        + base_n // 2
        + 3 * block_n * decim
        + sum(pop_blank) * 2
    )
    grid = block_n * decim
    overlap = int(np.ceil(need / grid)) * grid
    return EmgPlan(
        sfreq=float(sfreq),
        sos=sos,
        mains_hz=mains_hz,
        decim=decim,
        rate=rate,
        smooth_n=smooth_n,
        spike_n=spike_n,
        block_n=block_n,
        baseline_window=float(criteria.baseline_window),
        baseline_percentile=float(criteria.baseline_percentile),
        onset_uv=float(criteria.emg_onset_uv),
        offset_uv=float(criteria.emg_offset_uv),
        morph_n=morph_n,
        morph_uv=float(criteria.morphology_uv),
        block=float(criteria.detect_block),
        pop_min_uv=float(criteria.emg_pop_min_uv),
        pop_ratio=float(criteria.emg_pop_ratio),
        pop_blank=pop_blank,
        overlap=overlap,
    )


def moving_rms(x: np.ndarray, n: int) -> np.ndarray:
    """Centred moving RMS over ``n`` samples (running sums, O(len(x)))."""
    if n <= 1:
        return np.abs(x)
    ms = ndimage.uniform_filter1d(np.square(x), n, mode="nearest")
    np.maximum(ms, 0.0, out=ms)
    return np.sqrt(ms, out=ms)


def open_envelope(env: np.ndarray, n: int) -> np.ndarray:
    """Grey-scale opening: removes bumps narrower than ``n`` samples."""
    if n <= 1:
        return env
    return ndimage.maximum_filter1d(ndimage.minimum_filter1d(env, n, mode="nearest"), n, mode="nearest")


def emg_envelope(x: np.ndarray, plan: EmgPlan) -> tuple[np.ndarray, np.ndarray]:
    """Filtered EMG and its spike-free RMS envelope on the feature grid.

    Electrode pops are blanked first: a filtered sample larger than both
    ``plan.pop_min_uv`` and ``plan.pop_ratio`` times the (opened) envelope
    (+1 uV) around it cannot be muscle activity, which raises the envelope
    with it; the filtered signal is set to 0 from ``plan.pop_blank[0]``
    samples before to ``[1]`` after such samples (by default 0.4 s in all, shorter than the 0.5 s of
    quiet that ends an LM, so a pop inside an LM does not split it). This
    matters when a pop sits next to a heart beat: each alone is removed by
    the opening, but together their bumps can outlast its 0.4 s element.

    Parameters
    ----------
    x : array, shape (n,)
        Raw EMG, uV, without NaN.
    plan : EmgPlan

    Returns
    -------
    filtered : ndarray, shape (n,)
        Band-passed, notched EMG (pops blanked), uV.
    envelope : ndarray, shape (ceil(n / plan.decim),)
        Opened moving-RMS envelope at samples ``0, decim, 2 * decim, ...``.
    """
    xf = filters.zero_phase(x, plan.sos)
    k = plan.decim
    env = open_envelope(moving_rms(xf, plan.smooth_n)[::k], plan.spike_n)
    limit = plan.pop_ratio * (np.repeat(env, k)[: len(xf)] + 1.0)
    np.maximum(limit, plan.pop_min_uv, out=limit)
    big = np.abs(xf) > limit
    if big.any():
        n = len(xf)
        pre, post = plan.pop_blank
        s, e = runs(big, bridge=pre + post)
        blank = runs_to_mask(np.maximum(s - pre, 0), np.minimum(e + post, n), n)
        xf[blank] = 0.0
        env = open_envelope(moving_rms(xf, plan.smooth_n)[::k], plan.spike_n)
    return xf, env


def emg_features(x: np.ndarray, plan: EmgPlan) -> dict[str, np.ndarray]:
    """Decisions of the EMG detector on one stretch of signal (feature grid).

    Parameters
    ----------
    x : array, shape (n,)
        Raw EMG, uV, NaN already filled; ``x[0]`` must lie on the feature
        grid (a multiple of ``plan.decim`` from the recording start).
    plan : EmgPlan

    Returns
    -------
    dict
        ``on``, ``quiet``, ``morph`` (bool) and ``excess`` (envelope minus
        resting level, uV), each of length ``ceil(n / plan.decim)``.
    """
    xf, env = emg_envelope(x, plan)
    k = plan.decim
    rest = resting_level(env, plan.rate, plan.baseline_window, plan.baseline_percentile, plan.block)
    excess = env - rest
    on = excess >= plan.onset_uv
    quiet = excess <= plan.offset_uv
    if plan.morph_n > 0:
        n = len(xf)
        thr = np.repeat(RECTIFIED_PER_RMS * rest + plan.morph_uv, k)[:n]
        above = np.abs(xf) >= thr
        # median(|x|) >= T  <=>  at least half the window is >= T; window
        # [c - m//2, c - m//2 + m) around each grid sample c, zero outside.
        csum = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(above, out=csum[1:])
        c = np.arange(0, n, k)
        lo = np.clip(c - plan.morph_n // 2, 0, n)
        hi = np.clip(c - plan.morph_n // 2 + plan.morph_n, 0, n)
        morph = 2 * (csum[hi] - csum[lo]) >= plan.morph_n
    else:
        morph = np.ones(len(env), dtype=bool)
    return {"on": on, "quiet": quiet, "morph": morph, "excess": excess}


def emg_events(
    on: np.ndarray,
    quiet: np.ndarray,
    morph: np.ndarray,
    sfreq: float,
    criteria,
) -> tuple[np.ndarray, np.ndarray]:
    """Leg movements from the stitched per-sample EMG decisions.

    Parameters
    ----------
    on, quiet, morph : array of bool, shape (n,)
        From :func:`emg_features`.
    sfreq : float
    criteria : Criteria
        ``emg_offset_duration``, ``lm_min_duration`` and
        ``morphology_window`` are used.

    Returns
    -------
    onsets, offsets : array of int64
        Sample indices (offset exclusive).
    """
    n = len(on)
    offset_n = max(1, int(round(criteria.emg_offset_duration * sfreq)))
    q0, q1 = runs(quiet, min_length=offset_n)
    # Stretches between long quiet runs; each may hold one LM.
    seg_start = np.r_[0, q1]
    seg_stop = np.r_[q0, n]
    keep = seg_stop > seg_start
    seg_start, seg_stop = seg_start[keep], seg_stop[keep]
    onset = first_index_in(np.flatnonzero(on), seg_start, seg_stop)
    found = onset >= 0
    onset, offset = onset[found], seg_stop[found]
    min_n = int(round(criteria.lm_min_duration * sfreq))
    long_enough = (offset - onset) >= min_n
    onset, offset = onset[long_enough], offset[long_enough]
    morph_n = int(round(criteria.morphology_window * sfreq))
    if morph_n > 0 and len(onset):
        # The window must lie inside the LM: its centre in [onset + h, offset - h].
        h_lo = morph_n // 2
        h_hi = morph_n - h_lo
        centres = first_index_in(np.flatnonzero(morph), onset + h_lo, offset - h_hi + 1)
        ok = centres >= 0
        onset, offset = onset[ok], offset[ok]
    return onset, offset
