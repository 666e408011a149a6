"""Small pure filtering functions used by the detectors.

All filters are second-order sections (``sos``) applied forward and backward
(:func:`scipy.signal.sosfiltfilt`), so they add no delay: an onset found on
the filtered signal is where it is in the raw signal.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import signal

__all__ = [
    "cap_band",
    "band_sos",
    "notch_sos",
    "zero_phase",
    "zero_phase_padlen",
    "mains_frequency",
    "settle_samples",
    "window_widening",
]


def cap_band(band: tuple[float, float], sfreq: float, max_edge: float = 0.45) -> tuple[float | None, float | None]:
    """Clip band edges to what the sampling rate allows.

    Parameters
    ----------
    band : (low, high)
        Requested edges, Hz; 0 or less means "no edge".
    sfreq : float
        Sampling rate, Hz.
    max_edge : float
        Highest usable edge as a fraction of ``sfreq``
        (``criteria.max_filter_edge``; 0.45 fs = 90 % of Nyquist: Butterworth
        designs closer to Nyquist are ill-conditioned).

    Returns
    -------
    low, high : float or None
        ``None`` where no filter is needed: a high edge at or above
        ``max_edge * sfreq`` is dropped (the signal holds nothing
        above it anyway) rather than moved.
    """
    lo, hi = float(band[0]), float(band[1])
    top = max_edge * sfreq
    low = lo if 0 < lo < top else None
    high = hi if 0 < hi < top else None
    if low is not None and high is not None and high <= low:
        high = None
    return low, high


def band_sos(sfreq: float, low: float | None, high: float | None, order: int = 2) -> np.ndarray:
    """Butterworth band-pass, high-pass or low-pass as second-order sections.

    Parameters
    ----------
    sfreq : float
    low, high : float or None
        Edges in Hz (see :func:`cap_band`); both ``None`` gives an empty
        section list (no filtering).
    order : int
        Order of each edge; the zero-phase result has twice the attenuation.

    Returns
    -------
    ndarray, shape (n_sections, 6)
    """
    if low is not None and high is not None:
        return signal.butter(order, [low, high], btype="bandpass", fs=sfreq, output="sos")
    if low is not None:
        return signal.butter(order, low, btype="highpass", fs=sfreq, output="sos")
    if high is not None:
        return signal.butter(order, high, btype="lowpass", fs=sfreq, output="sos")
    return np.zeros((0, 6))


def notch_sos(sfreq: float, freq: float, up_to: float | None = None, q: float = 25.0) -> np.ndarray:
    """IIR notch at ``freq`` and its harmonics below ``up_to`` (and Nyquist).

    Parameters
    ----------
    sfreq, freq : float
        Sampling rate and mains frequency, Hz.
    up_to : float, optional
        Highest harmonic to notch, Hz (default: just the fundamental).
    q : float
        Quality factor: -3 dB width is ``freq / q`` (2 Hz at 50 Hz), wide
        enough for mains drifting by a few tenths of a hertz.

    Returns
    -------
    ndarray, shape (n_harmonics, 6)
    """
    top = max(freq, up_to if up_to is not None else freq)
    harmonics = [k * freq for k in range(1, 64) if k * freq <= top and k * freq < 0.48 * sfreq]
    sections = []
    for f in harmonics:
        b, a = signal.iirnotch(f, q, fs=sfreq)
        sections.append(signal.tf2sos(b, a))
    return np.vstack(sections) if sections else np.zeros((0, 6))


#: Samples per :func:`scipy.signal.sosfilt` call in :func:`zero_phase`: the
#: temporary each call returns (2 MiB per row) is reused by the allocator, where a
#: chunk-sized temporary would be returned to the system and faulted in
#: again for every chunk (measured: 40 % of EMG detection time).
FILTER_BLOCK = 1 << 18


def zero_phase_padlen(sos: np.ndarray, n: int) -> int:
    """Odd-extension length :func:`zero_phase` uses for ``n`` samples.

    A long odd (point-symmetric) extension lets the start-up transient of
    narrow filters (the mains notch rings for ~1 s) die out before the
    first real sample, so the recording's first seconds are usable.
    """
    if len(sos) == 0:
        return 0
    return max(0, min(n - 1, max(3 * (2 * len(sos) + 1), settle_samples(sos, 1e-6))))


def zero_phase(
    x: np.ndarray,
    sos: np.ndarray,
    axis: int = -1,
    *,
    work: np.ndarray | None = None,
    padlen: int | None = None,
) -> np.ndarray:
    """Apply ``sos`` forward and backward (no phase shift); float64 out.

    The result equals ``scipy.signal.sosfiltfilt(sos, x, axis=axis,
    padlen=zero_phase_padlen(sos, n))`` exactly (the same recurrences in the
    same order), but is computed in place in one buffer, block by block
    with the filter state carried over, so no signal-sized temporary is
    made.

    Parameters
    ----------
    x : array, shape (..., n)
        Signal; filtered along ``axis``.
    sos : ndarray, shape (n_sections, 6)
    axis : int
    work : ndarray of float64, optional
        C-contiguous buffer of shape ``x.shape[:-1] + (m,)`` with
        ``m >= n + 2 * padlen`` (``axis=-1`` only), reused across calls by
        chunked callers; the result is a view into it.
    padlen : int, optional
        Precomputed :func:`zero_phase_padlen` (it does not depend on the
        data, only on ``sos`` and ``n``).

    Returns
    -------
    ndarray, same shape as ``x``
    """
    x = np.asarray(x, dtype=np.float64)
    if len(sos) == 0:
        return x.copy()
    if axis not in (-1, x.ndim - 1):
        return np.moveaxis(zero_phase(np.moveaxis(x, axis, -1), sos, padlen=padlen), -1, axis)
    n = x.shape[-1]
    if n == 0:
        return x.copy()
    pad = zero_phase_padlen(sos, n) if padlen is None else min(int(padlen), max(n - 1, 0))
    # steady-state start of each pass, per unit input; shaped to broadcast over leading axes
    zi = signal.sosfilt_zi(sos).reshape((len(sos),) + (1,) * (x.ndim - 1) + (2,))
    ext = _forward_filtered(sos, zi, x, pad, work)
    _backward_inplace(sos, zi, ext)
    return ext[..., pad:pad + n]


def _odd_extended(x: np.ndarray, pad: int, work: np.ndarray | None) -> np.ndarray:
    """A buffer for ``x`` odd-extended by ``pad`` samples, with only the two extensions filled.

    The middle is left for :func:`_forward_filtered`, which reads ``x``
    itself and writes the filter output there: ``x`` is never copied in
    unfiltered.
    """
    n = x.shape[-1]
    m = n + 2 * pad
    if work is None:
        work = np.empty(x.shape[:-1] + (m,))
    elif work.shape[:-1] != x.shape[:-1] or work.shape[-1] < m or not work.flags.c_contiguous:
        raise ValueError(f"work buffer of shape {work.shape} cannot hold {x.shape[:-1] + (m,)}")
    ext = work[..., :m]
    if pad:
        # the arithmetic of scipy.signal._arraytools.odd_ext
        np.subtract(2 * x[..., :1], x[..., pad:0:-1], out=ext[..., :pad])
        np.subtract(2 * x[..., -1:], x[..., -2:-pad - 2:-1], out=ext[..., pad + n:])
    return ext


def _forward_filtered(sos: np.ndarray, zi: np.ndarray, x: np.ndarray, pad: int,
                      work: np.ndarray | None) -> np.ndarray:
    """The odd extension of ``x`` (see :func:`_odd_extended`) filtered forward, started at steady state."""
    ext = _odd_extended(x, pad, work)
    n = x.shape[-1]
    state = zi * (ext[..., :1] if pad else x[..., :1])
    for source, offset in ((ext[..., :pad], 0), (x, pad), (ext[..., pad + n:], pad + n)):
        for a in range(0, source.shape[-1], FILTER_BLOCK):
            b = min(source.shape[-1], a + FILTER_BLOCK)
            ext[..., offset + a:offset + b], state = signal.sosfilt(sos, source[..., a:b], zi=state)
    return ext


def _backward_inplace(sos: np.ndarray, zi: np.ndarray, ext: np.ndarray) -> None:
    """Filter ``ext`` backward in place along its last axis (blocks, state carried), started at steady state."""
    m = ext.shape[-1]
    state = zi * ext[..., -1:]
    for b in range(m, 0, -FILTER_BLOCK):
        a = max(0, b - FILTER_BLOCK)
        y, state = signal.sosfilt(sos, ext[..., b - 1:a - 1 if a else None:-1], zi=state)
        ext[..., a:b] = y[..., ::-1]


def settle_samples(sos: np.ndarray, tol: float = 1e-13) -> int:
    """Samples after which a filter's start-up transient is below ``tol``.

    The slowest pole (largest radius ``r``) decays as ``r**n``; this is the
    overlap a chunk needs on each side so that chunked filtering equals
    whole-signal filtering to rounding error.

    Parameters
    ----------
    sos : ndarray, shape (n_sections, 6)
    tol : float
        Relative size of the transient that is considered gone.

    Returns
    -------
    int
    """
    if len(sos) == 0:
        return 0
    radii = [np.max(np.abs(np.roots(s[3:]))) if np.any(s[4:] != 0) else 0.0 for s in sos]
    r = float(max(radii))
    if r <= 0:
        return 1
    if r >= 1:
        raise ValueError("unstable filter")
    # A resonant pair's envelope can exceed r**n by a modest factor; 10x margin on tol.
    return int(math.ceil(math.log(tol / 10) / math.log(r))) + 1


def mains_frequency(
    x: np.ndarray,
    sfreq: float,
    setting: str = "auto",
    n_segments: int = 12,
    seg_seconds: float = 4.0,
    min_ratio: float = 5.0,
) -> float | None:
    """Mains frequency to notch: 50, 60 or ``None``.

    With ``setting="auto"`` the power at 50 and 60 Hz is compared to the
    neighbouring spectrum in ``n_segments`` short segments spread evenly over
    the whole signal (so the choice is the same however the signal is later
    cut into chunks); the stronger line is notched if it stands out at least
    ``min_ratio``-fold (``criteria.mains_auto_ratio``).

    Parameters
    ----------
    x : array, shape (n,)
        Raw signal (NaN allowed: treated as 0).
    sfreq : float
    setting : {"auto", "50", "60", "none"}
    n_segments, seg_seconds : int, float
        Number and length (s) of the segments whose spectra are averaged.
    min_ratio : float
        Power at the line over the median power 3-12 Hz away needed to notch.

    Returns
    -------
    float or None
    """
    if setting == "none":
        return None
    if setting in ("50", "60"):
        f = float(setting)
        return f if f < 0.48 * sfreq else None
    n = len(x)
    seg = int(round(seg_seconds * sfreq))
    if n < seg or 50 >= 0.48 * sfreq:
        return None
    starts = np.linspace(0, n - seg, num=min(n_segments, max(1, n // seg))).astype(np.int64)
    idx = starts[:, None] + np.arange(seg)[None, :]
    segs = np.nan_to_num(np.asarray(x[idx], dtype=np.float64))
    segs -= segs.mean(axis=1, keepdims=True)
    power = np.mean(np.abs(np.fft.rfft(segs * np.hanning(seg), axis=1)) ** 2, axis=0)
    freqs = np.fft.rfftfreq(seg, 1.0 / sfreq)
    best, best_ratio = None, float(min_ratio)
    for f in (50.0, 60.0):
        if f >= 0.48 * sfreq:
            continue
        line = power[np.abs(freqs - f) <= 1.0].max()
        near = (np.abs(freqs - f) > 3.0) & (np.abs(freqs - f) <= 12.0)
        ref = np.median(power[near]) if near.any() else 0.0
        ratio = line / ref if ref > 0 else (np.inf if line > 0 else 0.0)
        if ratio > best_ratio:
            best, best_ratio = f, ratio
    return best


def window_widening(window: float, power: np.ndarray, onset_power: np.ndarray, offset_power: np.ndarray) -> np.ndarray:
    """How much a centred moving-mean window lengthens an event measured at two thresholds, s.

    A moving mean of a power over ``window`` (w) spreads a step of height
    ``power`` (P) over w: it crosses a level L of power (above the resting
    power) ``w/2 - w L / P`` before a rise and as much after a fall. An
    event measured from the crossing of ``onset_power`` on its rise to the
    crossing of ``offset_power`` on its fall is therefore
    ``w (1 - (onset_power + offset_power) / P)`` longer than the event, up to
    w for strong events and about 0 at threshold.

    Parameters
    ----------
    window : float
        w, s.
    power, onset_power, offset_power : array
        Peak power of each event and the two threshold levels, in the same
        units, all above the resting power.

    Returns
    -------
    ndarray
        Between 0 and w.
    """
    power = np.asarray(power, np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = (np.asarray(onset_power) + np.asarray(offset_power)) / power
    return window * np.clip(1.0 - np.nan_to_num(frac, nan=1.0, posinf=1.0), 0.0, 1.0)
