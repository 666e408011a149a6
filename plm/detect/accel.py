"""Leg-movement detection on tri-axial ankle accelerometry (PAM-RL style).

Steps (sources in ``docs/detection.md``):

1. zero-phase band-pass of each axis (``criteria.accel_band``, 0.3-20 Hz;
   the high-pass removes gravity, posture and slow drift of the gravity
   direction; an upper edge at or above 0.45 fs is dropped);
2. vector magnitude of the three filtered axes and its moving RMS over
   ``criteria.accel_smoothing`` s;
3. hysteresis: a movement runs while the magnitude stays >= the offset
   threshold (``accel_offset_g``), drop-outs shorter than
   ``accel_bridge_gap`` are bridged, and only runs that reach the onset
   threshold (``accel_onset_g``) count; the onset is the first sample at or
   above the onset threshold;
4. minimum duration ``lm_min_duration``.

Steps 1-2 are local and run on overlapping chunks; steps 3-4 run once on the
stitched boolean masks.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from . import filters
from .baseline import block_samples
from .runs import first_index_in, runs
from .workspace import Workspace

__all__ = ["AccelPlan", "accel_plan", "accel_magnitude", "accel_features", "accel_decisions", "accel_events"]

@dataclass(frozen=True)
class AccelPlan:
    """Filters, windows and overlap for accelerometer detection (see :func:`accel_plan`)."""

    sfreq: float
    sos: np.ndarray
    decim: int
    rate: float
    smooth_n: int
    block_n: int
    onset_g: float
    offset_g: float
    overlap: int
    padlen: int

    def __hash__(self) -> int:
        return id(self)


def accel_plan(sfreq: float, criteria) -> AccelPlan:
    """Build the :class:`AccelPlan` for a sampling rate and criteria.

    Parameters
    ----------
    sfreq : float
        Sampling rate, Hz.
    criteria : Criteria

    Returns
    -------
    AccelPlan
    """
    low, high = filters.cap_band(criteria.accel_band, sfreq, criteria.max_filter_edge)
    sos = filters.band_sos(sfreq, low, high, order=criteria.filter_order)
    smooth_n = max(1, int(round(criteria.accel_smoothing * sfreq)))
    # Blocks of ``detect_block`` s: peak amplitudes and chunk alignment.
    block_n = block_samples(sfreq, criteria.detect_block)
    need = filters.settle_samples(sos) + 2 * smooth_n + 2 * block_n
    overlap = int(np.ceil(need / block_n)) * block_n
    return AccelPlan(
        sfreq=float(sfreq),
        sos=sos,
        decim=1,
        rate=float(sfreq),
        smooth_n=smooth_n,
        block_n=block_n,
        onset_g=float(criteria.accel_onset_g),
        offset_g=float(criteria.accel_offset_g),
        overlap=overlap,
        padlen=filters.zero_phase_padlen(sos, 1 << 62),
    )


def accel_magnitude(xyz: np.ndarray, plan: AccelPlan, work: Workspace | None = None) -> np.ndarray:
    """Smoothed vector magnitude of the band-passed axes, g.

    Parameters
    ----------
    xyz : array, shape (3, n)
        Raw acceleration, g, without NaN.
    plan : AccelPlan
    work : Workspace, optional
        Scratch arrays kept between the chunks of one leg.

    Returns
    -------
    ndarray, shape (n,)
    """
    buf = None if work is None else work.get("filtered", xyz.shape[:-1] + (xyz.shape[-1] + 2 * plan.padlen,))
    f = filters.zero_phase(xyz, plan.sos, work=buf, padlen=plan.padlen)
    power = np.einsum("ij,ij->j", f, f)
    if plan.smooth_n > 1:
        power = ndimage.uniform_filter1d(power, plan.smooth_n, mode="nearest")
    np.maximum(power, 0.0, out=power)
    return np.sqrt(power, out=power)


def accel_features(xyz: np.ndarray, plan: AccelPlan, work: Workspace | None = None) -> dict[str, np.ndarray]:
    """Per-sample decisions on one stretch of accelerometry.

    Parameters
    ----------
    xyz, plan, work
        As for :func:`accel_magnitude`.

    Returns
    -------
    dict
        ``on`` (magnitude >= onset threshold), ``active`` (>= offset
        threshold), both bool, and ``excess`` (the magnitude, g).
    """
    mag = accel_magnitude(xyz, plan, work)
    on, active = accel_decisions(mag, plan.onset_g, plan.offset_g)
    return {"on": on, "active": active, "excess": mag}


def accel_decisions(magnitude: np.ndarray, onset_g: float, offset_g: float) -> tuple[np.ndarray, np.ndarray]:
    """The threshold step of accelerometer detection: *on* and *active* samples.

    Parameters
    ----------
    magnitude : ndarray
        Smoothed vector magnitude, g (``accel_features(...)["excess"]``).
    onset_g, offset_g : float
        ``criteria.accel_onset_g`` and ``criteria.accel_offset_g``.

    Returns
    -------
    on, active : ndarray of bool
        ``magnitude >= onset_g`` and ``magnitude >= offset_g``.
    """
    return magnitude >= onset_g, magnitude >= offset_g


def accel_events(on: np.ndarray, active: np.ndarray, sfreq: float, criteria) -> tuple[np.ndarray, np.ndarray]:
    """Leg movements from stitched accelerometer decisions (hysteresis).

    Parameters
    ----------
    on, active : array of bool, shape (n,)
        From :func:`accel_features`.
    sfreq : float
    criteria : Criteria
        ``accel_bridge_gap`` and ``lm_min_duration`` are used.

    Returns
    -------
    onsets, offsets : array of int64
        Sample indices (offset exclusive).
    """
    bridge_n = int(round(criteria.accel_bridge_gap * sfreq))
    a0, a1 = runs(active, bridge=bridge_n)
    onset = first_index_in(np.flatnonzero(on), a0, a1)
    found = onset >= 0
    onset, offset = onset[found], a1[found]
    min_n = int(round(criteria.lm_min_duration * sfreq))
    keep = (offset - onset) >= min_n
    return onset[keep], offset[keep]
