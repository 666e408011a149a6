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

from . import filters
from .baseline import block_samples, resting_level
from .runs import find_runs, first_index_in, runs, runs_to_mask
from .workspace import Workspace

__all__ = ["EmgPlan", "emg_plan", "emg_envelope", "emg_features", "emg_events", "moving_rms", "grid_rms",
           "open_envelope", "close_envelope", "unsmeared_duration", "emg_decisions"]

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
    dip_n: int
    block_n: int
    baseline_window: float
    baseline_percentile: float
    onset_uv: float
    offset_uv: float
    found_fraction: float
    morph_n: int
    morph_uv: float
    block: float
    pop_min_uv: float
    pop_ratio: float
    pop_blank: tuple[int, int]
    overlap: int
    padlen: int

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
    dip_n = int(round(criteria.emg_dip_width * rate))
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
        + 2 * dip_n * decim
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
        dip_n=dip_n,
        block_n=block_n,
        baseline_window=float(criteria.baseline_window),
        baseline_percentile=float(criteria.baseline_percentile),
        onset_uv=float(criteria.emg_onset_uv),
        offset_uv=float(criteria.emg_offset_uv),
        found_fraction=float(criteria.emg_found_fraction),
        morph_n=morph_n,
        morph_uv=float(criteria.morphology_uv),
        block=float(criteria.detect_block),
        pop_min_uv=float(criteria.emg_pop_min_uv),
        pop_ratio=float(criteria.emg_pop_ratio),
        pop_blank=pop_blank,
        overlap=overlap,
        padlen=filters.zero_phase_padlen(sos, 1 << 62),
    )


def moving_rms(x: np.ndarray, n: int) -> np.ndarray:
    """Centred moving RMS over ``n`` samples (window ``[i - n//2, i - n//2 + n)``, ends repeated).

    The window sums are local (sums over 1, 2, 4, ... samples, as
    :func:`grid_rms` uses), not a running sum: a running sum loses the
    small windows next to large values to cancellation (relative errors of
    1e-9 and more), which made this reference disagree with the grid RMS.
    O(len(x) log n).
    """
    if n <= 1 or len(x) == 0:
        return np.abs(x)
    h = n // 2
    sq = np.pad(np.square(np.asarray(x, dtype=np.float64)), (h, n - h - 1), mode="edge")
    ms = _window_sums(sq, n, len(x))
    ms /= n
    return np.sqrt(ms, out=ms)


def running_extreme(x: np.ndarray, n: int, op=np.minimum) -> np.ndarray:
    """Running minimum (``op=np.minimum``) or maximum over ``n`` samples, ends repeated.

    Equals ``scipy.ndimage.minimum_filter1d(x, n, mode="nearest")`` (window
    ``[i - n//2, i - n//2 + n)``), exactly: extremes over ``2, 4, 8, ...``
    samples are built by doubling, and each window is covered by two
    overlapping power-of-two stretches (``log2(n) + 1`` vectorised passes).
    """
    size = len(x)
    if n <= 1 or size == 0:
        return np.array(x, dtype=np.float64)
    h = n // 2
    p = np.empty(size + n - 1)
    p[:h] = x[0]
    p[h:h + size] = x
    p[h + size:] = x[-1]
    span = 1
    while 2 * span <= n:
        p = op(p[:-span], p[span:])
        span *= 2
    return op(p[:size], p[n - span:n - span + size])


def open_envelope(env: np.ndarray, n: int) -> np.ndarray:
    """Grey-scale opening: removes bumps narrower than ``n`` samples."""
    if n <= 1:
        return env
    return running_extreme(running_extreme(env, n, np.minimum), n, np.maximum)


def close_envelope(env: np.ndarray, n: int) -> np.ndarray:
    """Grey-scale closing: fills dips narrower than ``n`` samples."""
    if n <= 1:
        return env
    return running_extreme(running_extreme(env, n, np.maximum), n, np.minimum)


def _window_sums(a: np.ndarray, width: int, count: int) -> np.ndarray:
    """``a[i:i + width].sum()`` for ``i < count``: sums over 1, 2, 4, ... samples, one per set bit of ``width``."""
    out = None
    offset, p, span = 0, a, 1
    while width:
        if width & 1:
            part = p[offset:offset + count]
            out = part.copy() if out is None else out + part
            offset += span
        width >>= 1
        if width:
            p = p[:-span] + p[span:]
            span *= 2
    return out


def _block_sums(flat: np.ndarray, k: int, t: int, rows: np.ndarray | None = None) -> np.ndarray:
    """Sum of the first ``t`` samples of each block of ``k`` (of the blocks ``rows`` if given)."""
    blocks = flat.reshape(-1, k)
    if rows is not None:
        blocks = blocks[rows]
    if t <= 0:
        return np.zeros(len(blocks))
    if k <= 3:  # a few strided adds beat a matrix-vector product with 2 or 3 columns
        out = blocks[:, 0].copy()
        for j in range(1, t):
            out += blocks[:, j]
        return out
    # einsum's own loop, not a BLAS matrix-vector product: BLAS starts its own
    # threads, which fight the leg threads for the cores (detection 40 % slower)
    return np.einsum("ij->i", blocks[:, :t])


class _GridSquares:
    """Squares of a signal and their centred moving mean at every ``k``-th sample.

    The mean over the window ``[c - n//2, c - n//2 + n)`` around each kept
    sample ``c = 0, k, 2k, ...`` (ends repeated, as ``mode="nearest"``) is
    computed without the samples in between: the squares are summed in
    blocks of ``k`` (one pass); each window is then a run of whole blocks
    (a moving sum at the reduced rate) minus the first ``t_lo`` samples of
    its first block plus the first ``t_hi`` samples of the block after it,
    the same numbers for every window. Every sum is local (no prefix sum
    over the whole stretch), so precision does not depend on its length.
    When samples are zeroed (pop blanking) only the block sums they touch
    are recomputed.
    """

    def __init__(self, x: np.ndarray, n: int, k: int, work: Workspace | None = None) -> None:
        size = len(x)
        self.size, self.n, self.k = size, int(n), int(k)
        h = self.n // 2
        self.m = -(-size // k)                         # kept samples
        # Pads of whole blocks, so every window lies inside and kept samples stay block starts.
        self.front = (-(-h // k) + 1) * k
        back = (-(-(self.n - h) // k) + 1) * k
        shape = (self.front + self.m * k + back,)
        self.buf = np.empty(shape) if work is None else work.get("squares", shape)
        np.square(x, out=self.buf[self.front:self.front + size])
        self._pad_ends()
        self.b_lo, self.t_lo = divmod(self.front - h, k)
        self.b_hi, self.t_hi = divmod(self.front - h + self.n, k)
        self.parts = {t: _block_sums(self.buf, k, t) for t in {k, self.t_lo, self.t_hi} if t > 0}

    @property
    def squares(self) -> np.ndarray:
        """``x ** 2`` (a view: zeroed together with :meth:`zero`)."""
        return self.buf[self.front:self.front + self.size]

    def _pad_ends(self) -> None:
        f, size = self.front, self.size
        self.buf[:f] = self.buf[f]
        self.buf[f + size:] = self.buf[f + size - 1]

    def mean(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Moving mean of the squares at kept samples ``start .. stop - 1`` (default: all)."""
        stop = self.m if stop is None else stop
        count = stop - start
        width = self.b_hi - self.b_lo
        lo, hi = start + self.b_lo, start + self.b_hi  # block indices of the first window
        if width > 0:
            total = _window_sums(self.parts[self.k][lo:stop + self.b_lo + width], width, count)
        else:
            total = np.zeros(count)
        if self.t_lo:
            total -= self.parts[self.t_lo][lo:lo + count]
        if self.t_hi:
            total += self.parts[self.t_hi][hi:hi + count]
        total /= self.n
        return total

    def zero(self, starts: np.ndarray, stops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Set the squares of samples ``[starts[i], stops[i])`` to 0 (sorted, disjoint).

        Only the block sums they touch are recomputed. Returns the ranges
        ``[start, stop)`` of kept samples whose window they touch (whose mean
        changed).
        """
        f, k, h = self.front, self.k, self.n // 2
        for a, b in zip(starts.tolist(), stops.tolist()):  # one slice per stretch (few)
            self.buf[f + a:f + b] = 0.0
        p0, p1 = f + np.asarray(starts, np.int64), f + np.asarray(stops, np.int64)  # padded samples
        if starts[0] == 0 or stops[-1] == self.size:       # an end sample changed: so did its pad
            self._pad_ends()
            p0 = np.where(np.asarray(starts) == 0, 0, p0)
            p1 = np.where(np.asarray(stops) == self.size, len(self.buf), p1)
        nblocks = len(self.buf) // k
        rows = np.flatnonzero(runs_to_mask(p0 // k, -(-p1 // k), nblocks))
        for t, part in self.parts.items():
            part[rows] = _block_sums(self.buf, k, t, rows)
        # kept sample j's window is [j*k + f - h, ... + n) in padded samples
        j0 = np.clip((p0 - f + h - self.n) // k + 1, 0, self.m)
        j1 = np.clip(-(-(p1 - f + h) // k), 0, self.m)
        return runs(runs_to_mask(j0, j1, self.m))


def grid_rms(x: np.ndarray, n: int, step: int) -> np.ndarray:
    """Centred moving RMS over ``n`` samples, at every ``step``-th sample only.

    Equals ``moving_rms(x, n)[::step]`` (the window ``[c - n//2, c - n//2 + n)``
    around each kept sample ``c``, ends repeated as with ``mode="nearest"``)
    to rounding error, without computing the samples in between (see
    :class:`_GridSquares`).

    Parameters
    ----------
    x : array, shape (N,)
    n : int
        Window length, samples.
    step : int
        Keep samples ``0, step, 2 * step, ...``.

    Returns
    -------
    ndarray, shape (ceil(N / step),)
    """
    if len(x) == 0:
        return np.zeros(0)
    if n <= 1:
        return np.abs(x[::step])
    return _rms(_GridSquares(x, n, step).mean())


def _rms(mean_square: np.ndarray) -> np.ndarray:
    np.maximum(mean_square, 0.0, out=mean_square)
    return np.sqrt(mean_square, out=mean_square)


#: x**2 and limit**2 are rounded: never rule out a stretch or block that may hold a pop.
_POP_MARGIN = 1.0 - 1e-9


def _pops_possible(sq: np.ndarray, plan: EmgPlan) -> bool:
    """Whether any square reaches ``pop_min_uv**2`` (no limit of :func:`_pop_blanks` is lower)."""
    return len(sq) > 0 and sq.max() >= plan.pop_min_uv ** 2 * _POP_MARGIN


def _pop_blanks(xf: np.ndarray, sq: np.ndarray, env: np.ndarray, plan: EmgPlan) -> tuple[np.ndarray, np.ndarray]:
    """Intervals ``[start, stop)`` of filtered samples to blank as electrode pops.

    A sample ``i`` is a pop when ``|xf[i]|`` exceeds the limit of its grid
    block, ``max(pop_min_uv, pop_ratio * (env[i // decim] + 1))``. No limit
    is below ``pop_min_uv``, so a stretch without a square that large has
    no pop (one reduction, the usual case); otherwise 0.5 s blocks whose
    largest square stays below their smallest limit are ruled out, and only
    the samples of the remaining (rare) blocks are tested.
    """
    none = np.zeros(0, np.int64), np.zeros(0, np.int64)
    n, k = len(xf), plan.decim
    if not _pops_possible(sq, plan):
        return none
    limit = plan.pop_ratio * (env + 1.0)
    np.maximum(limit, plan.pop_min_uv, out=limit)
    per = plan.block_n                                       # grid samples per 0.5 s block
    nfull = min(n // (per * k), len(limit) // per)
    lim_min = limit[: nfull * per].reshape(nfull, per).min(axis=1)
    peak = sq[: nfull * per * k].reshape(nfull, per * k).max(axis=1)
    cand = np.flatnonzero(peak >= lim_min * lim_min * _POP_MARGIN)
    idx = (cand[:, None] * (per * k) + np.arange(per * k)).reshape(-1)
    idx = np.r_[idx, np.arange(nfull * per * k, n)]          # the last, partial block: test all
    idx = idx[np.abs(xf[idx]) > limit[idx // k]]
    if idx.size == 0:
        return none
    pre, post = plan.pop_blank
    # runs of pop samples, joined across gaps shorter than pre + post (as runs(..., bridge=pre + post))
    split = np.flatnonzero(np.diff(idx) - 1 >= max(1, pre + post)) + 1
    starts = idx[np.r_[0, split]]
    stops = idx[np.r_[split - 1, idx.size - 1]] + 1
    return np.maximum(starts - pre, 0), np.minimum(stops + post, n)


def _reopen(opened: np.ndarray, raw: np.ndarray, starts: np.ndarray, stops: np.ndarray, n: int) -> None:
    """Redo the opening (width ``n``) of ``raw`` in place where ``raw[starts[i]:stops[i]]`` changed.

    An opened sample depends on the raw ones at most ``n`` away on either
    side (a running minimum, then a running maximum), so each changed
    stretch is redone with ``2 n`` samples of context and only its middle,
    ``n`` beyond the change on each side, is kept: equal to opening all of
    ``raw`` (minimum and maximum are exact).
    """
    m = len(raw)
    s, e = runs(runs_to_mask(starts, stops, m), bridge=4 * n)
    for a, b in zip(s.tolist(), e.tolist()):  # one stretch per group of pops (few)
        lo, hi = max(0, a - 2 * n), min(m, b + 2 * n)
        keep_lo, keep_hi = max(0, a - n), min(m, b + n)
        opened[keep_lo:keep_hi] = open_envelope(raw[lo:hi], n)[keep_lo - lo:keep_hi - lo]


def _envelope(x: np.ndarray, plan: EmgPlan,
              work: Workspace | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Filtered EMG, its squares, and the unopened and opened envelopes on the grid (see :func:`emg_envelope`).

    The opened envelope is None when no sample can be a pop (it is then not
    needed here: :func:`_spike_free` makes it).
    """
    buf = None if work is None else work.get("filtered", (len(x) + 2 * plan.padlen,))
    xf = filters.zero_phase(x, plan.sos, work=buf, padlen=plan.padlen)
    k = plan.decim
    if len(xf) == 0 or plan.smooth_n <= 1:  # degenerate settings: the plain path
        sq = np.square(xf)
        raw = moving_rms(xf, plan.smooth_n)[::k]
        env = open_envelope(raw, plan.spike_n)
        b0, b1 = _pop_blanks(xf, sq, env, plan)
        if len(b0):
            for a, b in zip(b0.tolist(), b1.tolist()):
                xf[a:b] = 0.0
            sq = np.square(xf)
            raw = moving_rms(xf, plan.smooth_n)[::k]
            env = open_envelope(raw, plan.spike_n)
        return xf, sq, raw, env
    grid = _GridSquares(xf, plan.smooth_n, k, work)
    raw = _rms(grid.mean())
    if not _pops_possible(grid.squares, plan):
        return xf, grid.squares, raw, None       # the usual case: no pop, nothing opened yet
    env = open_envelope(raw, plan.spike_n)
    b0, b1 = _pop_blanks(xf, grid.squares, env, plan)
    if len(b0):
        for a, b in zip(b0.tolist(), b1.tolist()):  # one slice per pop (few)
            xf[a:b] = 0.0
        # only the grid samples whose RMS window holds a blanked sample change
        j0, j1 = grid.zero(b0, b1)
        for a, b in zip(j0.tolist(), j1.tolist()):
            raw[a:b] = _rms(grid.mean(a, b))
        _reopen(env, raw, j0, j1, plan.spike_n)
    return xf, grid.squares, raw, env


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

    Only the band-pass and the squares run at the full sampling rate: the
    moving RMS is evaluated on the grid directly (:func:`grid_rms`), and
    the opening runs on the grid.

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
    xf, _, raw, env = _envelope(x, plan)
    return xf, open_envelope(raw, plan.spike_n) if env is None else env


def _spike_free(raw: np.ndarray, opened: np.ndarray | None, plan: EmgPlan) -> np.ndarray:
    """The spike-free envelope: dips narrower than ``dip_n`` filled, then bumps narrower than ``spike_n`` removed.

    Dips between the sub-bursts of one movement are filled before the
    opening, so a movement of short bursts is not taken for heart beats
    (which are at least 0.4 s apart: never joined). ``opened`` is the plain
    opening when already made (reused when no dip is filled).
    """
    if plan.dip_n > 1:
        return open_envelope(close_envelope(raw, plan.dip_n), plan.spike_n)
    return open_envelope(raw, plan.spike_n) if opened is None else opened


def emg_features(x: np.ndarray, plan: EmgPlan, work: Workspace | None = None,
                 gaps: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Decisions of the EMG detector on one stretch of signal (feature grid).

    Parameters
    ----------
    x : array, shape (n,)
        Raw EMG, uV, NaN already filled; ``x[0]`` must lie on the feature
        grid (a multiple of ``plan.decim`` from the recording start).
    plan : EmgPlan
    work : Workspace, optional
        Scratch arrays kept between the chunks of one leg.
    gaps : array, shape (k, 2), optional
        Sample intervals of ``x`` that are filled gaps (left out of the
        resting level).

    Returns
    -------
    dict
        Each of length ``ceil(n / plan.decim)``: ``on`` (unopened envelope
        >= rest + ``onset_uv``), ``lift`` (unopened envelope > rest +
        ``offset_uv``), ``quiet`` (opened envelope <= rest + ``offset_uv``),
        ``found`` (spike-free envelope at the found level, see
        :func:`emg_decisions`), ``morph``, all
        bool; ``excess`` (opened envelope minus resting level) and ``rest``
        (the resting level), uV.
    """
    if work is None:
        work = Workspace()
    xf, sq, raw, env = _envelope(x, plan, work)
    k = plan.decim
    env = _spike_free(raw, env, plan)
    grid_gaps = None if gaps is None else np.column_stack([np.asarray(gaps)[:, 0] // k, -(-np.asarray(gaps)[:, 1] // k)])
    rest = resting_level(env, plan.rate, plan.baseline_window, plan.baseline_percentile, plan.block, grid_gaps)
    excess = env - rest
    raw -= rest
    decisions = emg_decisions(excess, raw, plan.onset_uv, plan.offset_uv, plan.found_fraction)
    if plan.morph_n > 0:
        n = len(xf)
        # |x| >= T  <=>  x**2 >= T**2 for T >= 0 (T < 0 holds always, as does x**2 >= 0)
        thr = RECTIFIED_PER_RMS * rest + plan.morph_uv
        np.maximum(thr, 0.0, out=thr)
        thr *= thr
        above = work.get("above", (n,), bool)
        nk = n // k
        np.greater_equal(sq[: nk * k].reshape(nk, k), thr[:nk, None], out=above[: nk * k].reshape(nk, k))
        if n > nk * k:
            np.greater_equal(sq[nk * k:], thr[nk], out=above[nk * k:])
        # median(|x|) >= T  <=>  at least half the window is >= T; window
        # [c - m//2, c - m//2 + m) around each grid sample c, zero outside.
        # Counts from cumulative sums, padded (0 before, the total after) so that
        # every window's ends are read with one strided slice.
        m, h = plan.morph_n, plan.morph_n // 2
        pad = h + k
        csum = work.get("count", (pad + n + 1 + m + k,), np.int32 if n < 2**31 - 1 else np.int64)
        csum[: pad + 1] = 0
        np.cumsum(above, out=csum[pad + 1: pad + 1 + n])
        csum[pad + 1 + n:] = csum[pad + n]
        count = len(env)
        # csum[pad + i] = number of true samples before sample i, for -pad <= i < n + m + k
        hi = csum[pad - h + m::k][:count]
        lo = csum[pad - h::k][:count]
        morph = 2 * (hi - lo) >= m
    else:
        morph = np.ones(len(env), dtype=bool)
    return {**decisions, "morph": morph, "excess": excess, "rest": rest, "raw_excess": raw}


def emg_decisions(excess: np.ndarray, raw_excess: np.ndarray, onset_uv: float, offset_uv: float,
                  found_fraction: float) -> dict[str, np.ndarray]:
    """The threshold step of EMG detection on the grid.

    Parameters
    ----------
    excess : ndarray
        Spike-free envelope above the resting level, uV (``emg_features(...)["excess"]``).
    raw_excess : ndarray
        Unopened envelope above the resting level, uV (``emg_features(...)["raw_excess"]``).
    onset_uv, offset_uv, found_fraction : float
        ``criteria.emg_onset_uv``, ``emg_offset_uv`` and ``emg_found_fraction``.

    Returns
    -------
    dict of ndarray of bool
        ``on`` (raw >= onset), ``lift`` (raw > offset), ``quiet`` (spike-free
        <= offset) and ``found`` (spike-free >= offset + found_fraction x
        (onset - offset)).
    """
    found_uv = offset_uv + found_fraction * (onset_uv - offset_uv)
    return {"on": raw_excess >= onset_uv, "lift": raw_excess > offset_uv, "quiet": excess <= offset_uv,
            "found": excess >= found_uv}


def emg_events(
    on: np.ndarray,
    quiet: np.ndarray,
    morph: np.ndarray,
    sfreq: float,
    criteria,
    found: np.ndarray | None = None,
    lift: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Leg movements from the stitched per-sample EMG decisions.

    The stretches between quiet runs of at least ``emg_offset_duration``
    (on the opened envelope, so heart beats do not break them) may each hold
    one LM. It holds one when the opened envelope reaches ``found`` in it:
    activity that lasted at least the opening's width. The onset is then the
    first ``on`` sample (unopened envelope at rest + 8 uV) from the start
    of the unbroken ``lift`` run (unopened envelope above rest + 2 uV) that
    holds the first ``found`` sample, so a fluctuating burst starts where it
    first crosses +8 uV, not where it first stays above for the opening's
    width; the offset is the start of the quiet run that ends the stretch.

    Parameters
    ----------
    on, quiet, morph : array of bool, shape (n,)
        From :func:`emg_features`.
    sfreq : float
    criteria : Criteria
        ``emg_offset_duration``, ``lm_min_duration`` and
        ``morphology_window`` are used.
    found, lift : array of bool, shape (n,), optional
        From :func:`emg_features`; both default to ``on`` (the onset is
        then the stretch's first ``on`` sample).

    Returns
    -------
    onsets, offsets : array of int64
        Sample indices (offset exclusive).
    """
    n = len(on)
    found = on if found is None else found
    lift = on if lift is None else lift
    offset_n = max(1, int(round(criteria.emg_offset_duration * sfreq)))
    q0, q1 = runs(quiet, min_length=offset_n)
    # Stretches between long quiet runs; each may hold one LM.
    seg_start = np.r_[0, q1]
    seg_stop = np.r_[q0, n]
    keep = seg_stop > seg_start
    seg_start, seg_stop = seg_start[keep], seg_stop[keep]
    first = first_index_in(np.flatnonzero(found), seg_start, seg_stop)
    ok = first >= 0
    first, seg_stop = first[ok], seg_stop[ok]
    # back from the first sustained sample through unbroken raw activity above +2 uV
    l0, l1 = find_runs(lift)
    k = np.searchsorted(l0, first, side="right") - 1
    if len(l0):
        kk = np.maximum(k, 0)
        start = np.where((k >= 0) & (l1[kk] > first), l0[kk], first)
    else:
        start = first
    onset = first_index_in(np.flatnonzero(on), start, seg_stop)
    ok = onset >= 0
    onset, offset = onset[ok], seg_stop[ok]
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


def unsmeared_duration(onset: np.ndarray, offset: np.ndarray, peak: np.ndarray, rest: np.ndarray, sfreq: float,
                       criteria) -> np.ndarray:
    """LM durations with the widening by the moving-RMS window taken out, s.

    The centred ``emg_smoothing`` window spreads a burst's edges
    (:func:`plm.detect.filters.window_widening`): a burst of RMS amplitude
    A over a resting RMS r has the power ``A**2`` above the resting power
    ``r**2``; the onset and offset levels ``r + emg_onset_uv`` and
    ``r + emg_offset_uv`` are ``(r + 8)**2 - r**2`` and ``(r + 2)**2 - r**2``
    above it. A 0.45 s burst of 60 uV measures 0.55 s; this is what the 0.5 s
    minimum is applied to.

    Parameters
    ----------
    onset, offset : array of int
        Grid samples.
    peak : array
        Largest unopened envelope above rest within each LM, uV.
    rest : array
        Resting level at each LM, uV.
    sfreq : float
        Grid rate, Hz.
    criteria : Criteria

    Returns
    -------
    ndarray
    """
    r = np.asarray(rest, np.float64)
    r2 = r * r
    widen = filters.window_widening(criteria.emg_smoothing, (np.asarray(peak, np.float64) + r) ** 2 - r2,
                                    (r + criteria.emg_onset_uv) ** 2 - r2, (r + criteria.emg_offset_uv) ** 2 - r2)
    return (np.asarray(offset) - np.asarray(onset)) / sfreq - widen
