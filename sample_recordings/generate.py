"""Deterministic generator of leg-movement recordings with known ground truth.

Builds synthetic nights of PAM-RL-style ankle accelerometry (two ankles,
40 Hz, g) or two-leg tibialis anterior EMG (uV) that contain, by design:

* periodic series: runs of 4-24 candidate LMs with intermovement intervals
  drawn from 15-60 s (clearly inside the 10-90 s window), each position a
  left, right or bilateral movement (0.8-4 s);
* short runs of exactly 3 periodic LMs (not a series: no PLMs);
* isolated LMs, > 120 s from any other movement;
* too-long movements (12-25 s): LMs, but not candidate LMs;
* too-short bursts (0.15-0.3 s): not LMs at all;

so the expected PLM count is known without running any scorer: the sum of
the lengths of the series with >= 4 members. Every block is separated from
the next by 120-300 s, more than the 90 s IMI limit.

Impairments (``--impairments``, comma separated):

* EMG: ``drift`` (noise floor 2 -> 5 uV RMS and back over the night),
  ``mains`` (100 uV 50 Hz hum with harmonics), ``pops`` (electrode pops:
  200-1500 uV steps decaying in 0.2-1 s, 15 per hour), ``cardiac`` (QRS
  complexes of 40-80 uV at 55-95 beats/min);
* accelerometer: ``noise`` (0.01 g sensor noise per axis), ``quantisation``
  (1/64 g steps, an 8-bit +-2 g sensor), ``gravity_drift`` (the gravity
  direction wanders by tens of degrees over hours), ``offankle`` (75 min
  with the device taken off and lying on a table: the same sensor noise and
  quantisation, a fixed orientation reached by a slow 20 s turn, and a
  sensor offset drifting by 30 mg on one axis as the device cools; excluded
  time in the ground truth), ``still_sleep`` (75 min of worn, motionless
  sleep: no LM, the posture kept, the leg's orientation wandering by
  2-5 degrees and small sub-threshold twitches of 0.04-0.07 g every 1-5 min;
  NOT excluded);
* both: ``gap`` (a 5 min run of missing samples), ``nonwear`` (a 40 min flat
  stretch: device taken off).

Use as a module (``make_night``, ``make_accel_night``, ``make_emg_night``,
``write_night``) or as a script::

    python sample_recordings/generate.py --out DIR --kind accel --hours 8 \
        --impairments noise,quantisation,gravity_drift
    python sample_recordings/generate.py --evaluate

``--evaluate`` detects and scores generated nights of every kind and
impairment and prints per-leg LM F1 and PLM counts against ground truth.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import signal

if __package__ in (None, ""):
    # Run as a script: make the checkout's plm importable.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from plm.model import Channel, Recording  # noqa: E402

__all__ = [
    "GroundTruth",
    "make_night",
    "make_accel_night",
    "make_emg_night",
    "design_schedule",
    "write_night",
    "write_truth_tsv",
    "lm_f1",
    "EMG_IMPAIRMENTS",
    "ACCEL_IMPAIRMENTS",
    "COMMON_IMPAIRMENTS",
]

EMG_IMPAIRMENTS = ("drift", "mains", "pops", "cardiac")
ACCEL_IMPAIRMENTS = ("noise", "quantisation", "gravity_drift", "offankle", "still_sleep")
COMMON_IMPAIRMENTS = ("gap", "nonwear")
START = _dt.datetime(2026, 3, 1, 22, 30, tzinfo=_dt.timezone(_dt.timedelta(hours=1)))
TIMEZONE = "Europe/Berlin"

GAP_DURATION = 300.0
NONWEAR_DURATION = 2400.0
OFFANKLE_DURATION = 4500.0
STILL_DURATION = 4500.0


@dataclass
class GroundTruth:
    """What a generated night contains.

    Attributes
    ----------
    onset, duration : ndarray
        True monolateral LMs (s from start), both legs.
    side : ndarray of str
        ``"left"`` / ``"right"``.
    kind : ndarray of str
        ``series``, ``triplet``, ``isolated``, ``long`` (LM > 10 s).
    short_onset, short_duration, short_side : ndarray
        Too-short bursts (< 0.5 s), which are not LMs.
    excluded : ndarray, shape (k, 2)
        Gaps and non-wear placed in the night, s.
    expected : dict
        ``n_lm_left``, ``n_lm_right``, ``n_plm`` (by design), ``n_series``,
        ``n_clm``.
    """

    onset: np.ndarray
    duration: np.ndarray
    side: np.ndarray
    kind: np.ndarray
    short_onset: np.ndarray
    short_duration: np.ndarray
    short_side: np.ndarray
    excluded: np.ndarray
    expected: dict = field(default_factory=dict)

    def leg(self, side: str) -> tuple[np.ndarray, np.ndarray]:
        """Onsets and durations of one leg's true LMs."""
        m = self.side == side
        return self.onset[m], self.duration[m]


# ------------------------------------------------------------------ schedule
def design_schedule(hours: float, rng: np.random.Generator, reserved: list[tuple[float, float]] = ()) -> GroundTruth:
    """Place movement blocks over a night; see the module docstring.

    Parameters
    ----------
    hours : float
        Night length.
    rng : numpy Generator
    reserved : list of (start, stop)
        Stretches (gaps, non-wear) kept free of movements, with a margin.

    Returns
    -------
    GroundTruth
    """
    total = hours * 3600.0
    on, du, sd, kd = [], [], [], []
    s_on, s_du, s_sd = [], [], []
    n_plm = n_series = n_clm = 0
    t = 60.0
    margin = 130.0

    def blocked(t0: float, t1: float) -> float | None:
        for a, b in reserved:
            if t0 < b + margin and t1 > a - margin:
                return b + margin
        return None

    # Kinds come in shuffled rounds, so every kind appears in every 8 blocks.
    kinds = np.array(["series", "series", "series", "triplet", "isolated", "isolated", "long", "short"])
    queue: list[str] = []
    while True:
        if not queue:
            queue = list(rng.permutation(kinds))
        kind = queue.pop()
        if kind in ("series", "triplet"):
            k = int(rng.integers(4, 25)) if kind == "series" else 3
            imis = rng.uniform(15.0, 60.0, size=k - 1)
            starts = t + np.r_[0.0, np.cumsum(imis)]
        else:
            k = 1
            starts = np.array([t])
        span_end = starts[-1] + 30.0
        if span_end > total - 60.0:
            break
        jump = blocked(t, span_end)
        if jump is not None:
            t = jump
            continue
        for s0 in starts:
            if kind == "short":
                side = ("left", "right")[rng.integers(2)]
                s_on.append(s0)
                s_du.append(rng.uniform(0.15, 0.3))
                s_sd.append(side)
                continue
            if kind == "long":
                dur = rng.uniform(12.0, 25.0)
                on.append(s0), du.append(dur), sd.append(("left", "right")[rng.integers(2)]), kd.append("long")
                continue
            which = rng.choice(["left", "right", "both"], p=[0.4, 0.4, 0.2])
            legs = ["left", "right"] if which == "both" else [which]
            lag = rng.uniform(0.0, 0.3)
            for j, leg in enumerate(legs):
                on.append(s0 + (lag if j == 1 else 0.0))
                du.append(rng.uniform(0.8, 4.0))
                sd.append(leg)
                kd.append(kind)
            n_clm += 1
        if kind == "series":
            n_plm += k
            n_series += 1
        gap = rng.uniform(120.0, 300.0) + (25.0 if kind == "long" else 0.0)
        if kind != "short" and rng.random() < 0.5:
            # a too-short burst in the middle of the pause: no LM, breaks nothing
            s_on.append(starts[-1] + gap / 2)
            s_du.append(rng.uniform(0.15, 0.3))
            s_sd.append(("left", "right")[rng.integers(2)])
        t = starts[-1] + gap
    on = np.array(on)
    order = np.argsort(on, kind="stable")
    side = np.array(sd, dtype="<U5")[order]
    truth = GroundTruth(
        onset=on[order],
        duration=np.array(du)[order],
        side=side,
        kind=np.array(kd, dtype="<U8")[order],
        short_onset=np.array(s_on),
        short_duration=np.array(s_du),
        short_side=np.array(s_sd, dtype="<U5"),
        excluded=np.array(reserved, dtype=float).reshape(-1, 2),
    )
    truth.expected = {
        "n_lm_left": int(np.sum(side == "left")),
        "n_lm_right": int(np.sum(side == "right")),
        "n_plm": int(n_plm),
        "n_series": int(n_series),
        "n_clm": int(n_clm),
    }
    return truth


def _reserved(hours: float, impairments: tuple[str, ...]) -> list[tuple[float, float]]:
    return [(a, b) for a, b, _ in _reserved_named(hours, impairments)]


#: Impairments whose stretch is excluded time in the ground truth.
EXCLUDED_KINDS = ("gap", "nonwear", "offankle")


def _reserved_named(hours: float, impairments: tuple[str, ...]) -> list[tuple[float, float, str]]:
    """Stretches kept free of movements: (start, stop, impairment), s."""
    total = hours * 3600.0
    out = []
    if "gap" in impairments:
        out.append((0.3 * total, 0.3 * total + GAP_DURATION, "gap"))
    if "nonwear" in impairments:
        a = 0.6 * total
        out.append((a, min(a + NONWEAR_DURATION, total - 200.0), "nonwear"))
    if "offankle" in impairments:
        a = 0.05 * total
        out.append((a, min(a + OFFANKLE_DURATION, total - 200.0), "offankle"))
    if "still_sleep" in impairments:
        a = max(0.55 * total, out[-1][1] + 600.0) if out and out[-1][2] == "offankle" else 0.55 * total
        out.append((a, min(a + STILL_DURATION, total - 200.0), "still_sleep"))
    return out


def _envelope(n: int, sfreq: float, onsets, durations, amps, ramp: float) -> np.ndarray:
    """Sum of raised-cosine-edged boxes (one per movement), amplitude ``amps``."""
    env = np.zeros(n)
    r = max(1, int(round(ramp * sfreq)))
    edge = 0.5 - 0.5 * np.cos(np.pi * (np.arange(r) + 0.5) / r)
    for t0, d, a in zip(onsets, durations, amps):  # loop over events, not samples
        i0 = int(round(t0 * sfreq))
        i1 = min(n, int(round((t0 + d) * sfreq)))
        if i1 <= i0:
            continue
        box = np.full(i1 - i0, float(a))
        m = min(r, (i1 - i0) // 2)
        box[:m] *= edge[:m] if m == r else 0.5 - 0.5 * np.cos(np.pi * (np.arange(m) + 0.5) / m)
        box[len(box) - m:] *= box[:m][::-1] / a if a else 0
        env[i0:i1] = np.maximum(env[i0:i1], box)
    return env


def _bandnoise(rng, shape, sfreq: float, lo: float, hi: float) -> np.ndarray:
    """Gaussian noise band-limited to [lo, hi] Hz with unit RMS."""
    x = rng.standard_normal(shape)
    hi = min(hi, 0.45 * sfreq)
    sos = signal.butter(4, [lo, hi], btype="bandpass", fs=sfreq, output="sos")
    y = signal.sosfilt(sos, x, axis=-1)
    return y / np.sqrt(np.mean(y * y))


# ------------------------------------------------------------------ EMG
def make_emg_night(
    hours: float = 1.0,
    seed: int = 0,
    impairments: tuple[str, ...] | list[str] = (),
    sfreq: float = 256.0,
    severity: float = 1.0,
) -> tuple[Recording, GroundTruth]:
    """Two-leg tibialis anterior EMG night (uV) and its ground truth.

    Parameters
    ----------
    hours : float
    seed : int
        Everything is drawn from ``numpy.random.default_rng(seed)``.
    impairments : sequence of str
        Any of :data:`EMG_IMPAIRMENTS` and :data:`COMMON_IMPAIRMENTS`.
    sfreq : float
        Sampling rate, Hz.
    severity : float
        Scales every impairment (1 = the levels in the module docstring;
        2 = the harder test nights: floor drifting 2 -> 8 uV, 200 uV hum,
        30 pops/h up to 3000 uV, 80-160 uV QRS at up to 115 beats/min).

    Returns
    -------
    Recording, GroundTruth
    """
    imp = _check_impairments(impairments, EMG_IMPAIRMENTS)
    sev = float(severity)
    rng = np.random.default_rng(seed)
    truth = design_schedule(hours, rng, _reserved(hours, imp))
    n = int(round(hours * 3600.0 * sfreq))
    t = np.arange(n) / sfreq
    data = np.empty((2, n))
    total = hours * 3600.0
    for row, side in enumerate(("left", "right")):
        leg_rng = np.random.default_rng([seed, row])
        if "drift" in imp:
            phase = leg_rng.uniform(0, 2 * np.pi)
            rest = 2.0 + 3.0 * sev * (0.5 - 0.5 * np.cos(2 * np.pi * t / max(total, 1.0) * 1.5 + phase))
        else:
            rest = np.full(n, 2.0)
        noise = _bandnoise(leg_rng, n, sfreq, 15.0, 110.0)
        on, du = truth.leg(side)
        amps = leg_rng.uniform(20.0, 70.0, size=len(on))
        m = truth.short_side == side
        s_amps = leg_rng.uniform(20.0, 70.0, size=int(m.sum()))
        env = _envelope(n, sfreq, np.r_[on, truth.short_onset[m]], np.r_[du, truth.short_duration[m]],
                        np.r_[amps, s_amps], ramp=0.05)
        x = noise * np.sqrt(rest**2 + env**2)
        # Electrode offset and slow wander: removed by any EMG high-pass.
        x += 15.0 * np.sin(2 * np.pi * 0.07 * t + leg_rng.uniform(0, 6.3)) + leg_rng.uniform(-30, 30)
        if "mains" in imp:
            am = sev * (1.0 + 0.3 * np.sin(2 * np.pi * t / 1800.0 + row))
            for k, a in ((1, 100.0), (2, 10.0), (3, 20.0)):
                if k * 50.0 < 0.48 * sfreq:
                    x += am * a * np.sin(2 * np.pi * k * 50.0 * t + leg_rng.uniform(0, 6.3))
        if "cardiac" in imp:
            x += _cardiac(leg_rng, n, sfreq, hours, sev)
        if "pops" in imp:
            x += _pops(leg_rng, n, sfreq, hours, truth, sev)
        data[row] = x
        _apply_common(data[row:row + 1], imp, truth, sfreq, flat_value=0.0)
    channels = (Channel("Leg L", "uV", "emg", side="left"), Channel("Leg R", "uV", "emg", side="right"))
    rec = Recording(data=data, sfreq=sfreq, channels=channels, start_time=START, timezone=TIMEZONE,
                    device="synthetic PSG", source=f"generated emg seed={seed} {','.join(imp) or 'clean'}")
    return rec, truth


def _cardiac(rng, n: int, sfreq: float, hours: float, sev: float = 1.0) -> np.ndarray:
    """QRS complexes (Q, R, S Gaussians) at a slowly varying heart rate."""
    total = hours * 3600.0
    n_beats = int(total * 130 / 60) + 10
    hr = 75 + 20 * sev ** 0.5 * np.sin(2 * np.pi * np.arange(n_beats) / max(n_beats, 1) * 3 + rng.uniform(0, 6.3))
    rr = 60.0 / hr * (1 + 0.03 * rng.standard_normal(n_beats))
    beats = np.cumsum(rr)
    beats = beats[beats < total - 0.2]
    tt = np.arange(-0.06, 0.06, 1.0 / sfreq)
    qrs = (np.exp(-0.5 * (tt / 0.008) ** 2)
           - 0.25 * np.exp(-0.5 * ((tt + 0.022) / 0.006) ** 2)
           - 0.3 * np.exp(-0.5 * ((tt - 0.024) / 0.007) ** 2))
    impulses = np.zeros(n)
    idx = np.round(beats * sfreq).astype(np.int64)
    impulses[idx[idx < n]] = sev * rng.uniform(40.0, 80.0, size=int(np.sum(idx < n)))
    return signal.oaconvolve(impulses, qrs, mode="same")


def _pops(rng, n: int, sfreq: float, hours: float, truth: GroundTruth, sev: float = 1.0) -> np.ndarray:
    """Electrode pops: steps of 200-1500 uV decaying exponentially, away from movements."""
    total = hours * 3600.0
    events = np.r_[truth.onset, truth.short_onset]
    ends = np.r_[truth.onset + truth.duration, truth.short_onset + truth.short_duration]
    cand = np.sort(rng.uniform(5.0, total - 5.0, size=int(60 * sev * hours)))
    near = np.zeros(len(cand), bool)
    for a, b in zip(events, ends):
        near |= (cand > a - 5.0) & (cand < b + 5.0)
    cand = cand[~near][: int(15 * sev * hours)]
    out = np.zeros(n)
    for t0 in cand:  # a few per hour
        i0 = int(t0 * sfreq)
        tau = rng.uniform(0.2, 1.0)
        m = min(n - i0, int(6 * tau * sfreq))
        out[i0:i0 + m] += rng.choice([-1, 1]) * sev * rng.uniform(200, 1500) * np.exp(-np.arange(m) / (tau * sfreq))
    truth.expected.setdefault("pops", len(cand))
    return out


# ------------------------------------------------------------------ accelerometer
def make_accel_night(
    hours: float = 1.0,
    seed: int = 0,
    impairments: tuple[str, ...] | list[str] = (),
    sfreq: float = 40.0,
    severity: float = 1.0,
) -> tuple[Recording, GroundTruth]:
    """Two-ankle tri-axial accelerometer night (g) and its ground truth.

    Parameters
    ----------
    hours : float
    seed : int
    impairments : sequence of str
        Any of :data:`ACCEL_IMPAIRMENTS` and :data:`COMMON_IMPAIRMENTS`.
    sfreq : float
    severity : float
        Scales every impairment (2 = harder test nights: 0.02 g noise,
        1/32 g steps, gravity direction drifting twice as far and fast).

    Returns
    -------
    Recording, GroundTruth
    """
    imp = _check_impairments(impairments, ACCEL_IMPAIRMENTS)
    sev = float(severity)
    rng = np.random.default_rng(seed)
    named = _reserved_named(hours, imp)
    truth = design_schedule(hours, rng, _reserved(hours, imp))
    # still_sleep is reserved (no LM) but worn: not excluded time
    truth.excluded = np.array([(a, b) for a, b, k in named if k in EXCLUDED_KINDS], dtype=float).reshape(-1, 2)
    n = int(round(hours * 3600.0 * sfreq))
    t = np.arange(n) / sfreq
    total = hours * 3600.0
    data = np.empty((6, n))
    for leg, side in enumerate(("left", "right")):
        leg_rng = np.random.default_rng([seed, 10 + leg])
        theta0, phi0 = leg_rng.uniform(0.2, 0.8), leg_rng.uniform(0, 2 * np.pi)
        if "gravity_drift" in imp:
            theta = theta0 + 0.5 * sev * np.sin(2 * np.pi * t / max(total, 1.0) * 1.3 * sev + leg_rng.uniform(0, 6.3))
            phi = phi0 + 1.0 * sev * t / max(total, 1.0)
        else:
            theta = np.full(n, theta0)
            phi = np.full(n, phi0)
        extra = np.zeros((3, n))
        for a, b, kind in named:
            if kind == "still_sleep":
                theta, extra = _still_sleep(np.random.default_rng([seed, 20 + leg]), theta, extra, a, b, sfreq)
        grav = np.stack([np.sin(theta) * np.cos(phi), np.sin(theta) * np.sin(phi), np.cos(theta)])
        for a, b, kind in named:
            if kind == "offankle":
                _off_ankle(np.random.default_rng([seed, 30 + leg]), grav, a, b, sfreq)
        on, du = truth.leg(side)
        m = truth.short_side == side
        amps = leg_rng.uniform(0.4, 1.0, size=len(on))
        s_amps = leg_rng.uniform(0.4, 1.0, size=int(m.sum()))
        env = _envelope(n, sfreq, np.r_[on, truth.short_onset[m]], np.r_[du, truth.short_duration[m]],
                        np.r_[amps, s_amps], ramp=0.1)
        move = _bandnoise(leg_rng, (3, n), sfreq, 1.0, 6.0) / np.sqrt(3.0) * env
        sigma = 0.01 * sev if "noise" in imp else 0.002
        x = grav + move + sigma * leg_rng.standard_normal((3, n))
        if extra.any():
            x += extra
        step = sev / 64.0 if "quantisation" in imp else 0.001
        x = np.round(x / step) * step
        data[3 * leg:3 * leg + 3] = x
        _apply_common(data[3 * leg:3 * leg + 3], imp, truth, sfreq, flat_value=None)
    channels = tuple(Channel(f"{s}_{ax}", "g", "accel", side=s, axis=ax)
                     for s in ("left", "right") for ax in ("x", "y", "z"))
    rec = Recording(data=data, sfreq=sfreq, channels=channels, start_time=START, timezone=TIMEZONE,
                    device="PAM-RL (synthetic)", source=f"generated accel seed={seed} {','.join(imp) or 'clean'}")
    return rec, truth


def _still_sleep(rng, theta: np.ndarray, extra: np.ndarray, a: float, b: float, sfreq: float):
    """Worn, motionless sleep in ``[a, b)`` s: orientation wander and twitches.

    The posture stays but the tilt ``theta`` wanders smoothly by 2-5 degrees
    (2 or 3 slow excursions that start and end at the posture's own tilt), and small twitches (band noise of 0.04-0.07 g,
    1-2 s, every 1-5 min) stay below the detector's 0.1 g offset threshold.
    Returns the new ``theta`` and ``extra`` (added acceleration, g).
    """
    i0, i1 = int(round(a * sfreq)), int(round(b * sfreq))
    theta = theta.copy()
    m = i1 - i0
    tt = np.arange(m) / sfreq
    amp = np.deg2rad(rng.uniform(2.0, 5.0))
    cycles = int(rng.integers(2, 4))
    theta[i0:i1] += amp * np.sin(np.pi * cycles * tt / max(tt[-1], 1.0)) ** 2
    t = a + rng.uniform(10.0, 60.0)
    onsets, durs = [], []
    while t < b - 5.0:
        onsets.append(t)
        durs.append(rng.uniform(1.0, 2.0))
        t += rng.uniform(60.0, 300.0)
    env = _envelope(len(theta), sfreq, onsets, durs, rng.uniform(0.04, 0.07, size=len(onsets)), ramp=0.2)
    extra = extra + _bandnoise(rng, (3, len(theta)), sfreq, 1.0, 6.0) / np.sqrt(3.0) * env
    return theta, extra


def _off_ankle(rng, grav: np.ndarray, a: float, b: float, sfreq: float) -> None:
    """Device lying on a table in ``[a, b)`` s, written into ``grav`` in place.

    The gravity vector turns in 20 s from the worn orientation to a fixed
    table orientation and back at the end (slow turns, no LM); while off, one
    axis' offset drifts by 30 mg with a 10 min time constant (a MEMS sensor
    cooling from skin to room temperature).
    """
    i0, i1 = int(round(a * sfreq)), int(round(b * sfreq))
    turn = int(round(20.0 * sfreq))
    table = np.array([rng.uniform(-0.2, 0.2), rng.uniform(-0.2, 0.2), 1.0])
    table /= np.linalg.norm(table)
    w = np.ones(i1 - i0)
    ramp = 0.5 - 0.5 * np.cos(np.pi * (np.arange(turn) + 0.5) / turn)
    w[:turn] = ramp
    w[-turn:] = ramp[::-1]
    before, after = grav[:, i0].copy(), grav[:, i1 - 1].copy()
    edge = np.where(np.arange(i1 - i0) < (i1 - i0) // 2, 0.0, 1.0)
    worn = before[:, None] * (1 - edge) + after[:, None] * edge
    g = worn * (1 - w) + table[:, None] * w
    g /= np.linalg.norm(g, axis=0)
    tt = np.arange(i1 - i0) / sfreq
    g[int(rng.integers(3))] += 0.03 * (1 - np.exp(-tt / 600.0)) * w
    grav[:, i0:i1] = g


def _apply_common(rows: np.ndarray, imp, truth: GroundTruth, sfreq: float, flat_value) -> None:
    """Write gaps (NaN) and non-wear (flat) into ``rows`` in place."""
    for (a, b), name in zip(truth.excluded, [k for k in ("gap", "nonwear") if k in imp]):
        i0, i1 = int(round(a * sfreq)), int(round(b * sfreq))
        if name == "gap":
            rows[:, i0:i1] = np.nan
        else:
            rows[:, i0:i1] = rows[:, i0 - 1:i0] if flat_value is None else flat_value


def _check_impairments(impairments, own) -> tuple[str, ...]:
    imp = tuple(i for i in impairments if i)
    known = set(own) | set(COMMON_IMPAIRMENTS)
    bad = sorted(set(imp) - known)
    if bad:
        raise ValueError(f"unknown impairment(s) {bad}; choose from {sorted(known)}")
    return imp


def make_night(kind: str, hours: float = 1.0, seed: int = 0, impairments=(), sfreq: float | None = None,
               severity: float = 1.0):
    """``make_accel_night`` or ``make_emg_night`` by ``kind`` (``"accel"``/``"emg"``)."""
    if kind == "accel":
        return make_accel_night(hours, seed, impairments, sfreq or 40.0, severity)
    if kind == "emg":
        return make_emg_night(hours, seed, impairments, sfreq or 256.0, severity)
    raise ValueError(f"kind must be 'accel' or 'emg', got {kind!r}")


# ------------------------------------------------------------------ files
def write_truth_tsv(path: str | os.PathLike, truth: GroundTruth) -> Path:
    """True LMs as an events TSV (``onset duration type``, type lm_left/lm_right).

    The expected counts go to a JSON sidecar with the same stem.
    """
    path = Path(path)
    order = np.lexsort((truth.side, truth.onset))
    lines = ["onset\tduration\ttype"]
    lines += [f"{truth.onset[i]:.3f}\t{truth.duration[i]:.3f}\tlm_{truth.side[i]}" for i in order]
    tmp = path.with_name("." + path.name + ".part")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    side = path.with_name(path.name.replace(".tsv", "") + ".json")
    meta = dict(truth.expected)
    meta["excluded"] = truth.excluded.tolist()
    meta["too_short"] = [[float(a), float(b), str(s)] for a, b, s in zip(truth.short_onset, truth.short_duration, truth.short_side)]
    tmp = side.with_name("." + side.name + ".part")
    tmp.write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, side)
    return path


def write_night(out: str | os.PathLike, name: str, rec: Recording, truth: GroundTruth, compress: bool = True) -> list[Path]:
    """Write a generated night: accelerometer CSVs (one per ankle) or EDF, plus truth.

    Returns
    -------
    list of Path
        The files written.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    if rec.modality == "accel":
        from plm.io.accel_csv import write_accel_csv

        for side in rec.sides:
            p = out / f"{name}_{side}.csv{'.gz' if compress else ''}"
            write_accel_csv(p, rec, side=side, decimals=4)
            written.append(p)
    else:
        p = out / f"{name}.edf"
        _write_edf(p, rec)
        written.append(p)
    written.append(write_truth_tsv(out / f"{name}_truth.tsv", truth))
    return written


def _write_edf(path: Path, rec: Recording) -> None:
    try:
        from plm.io.edf import write_edf  # type: ignore[attr-defined]
    except ImportError:
        write_edf = None
    if write_edf is not None:
        write_edf(path, rec)
        return
    import edfio

    sigs = []
    for ch, row in zip(rec.channels, rec.data):
        x = np.nan_to_num(row)
        lim = float(np.ceil(np.max(np.abs(x)) + 1))
        sigs.append(edfio.EdfSignal(x, sampling_frequency=rec.sfreq, label=ch.name, physical_dimension="uV",
                                    physical_range=(-lim, lim), transducer_type="AgAgCl electrode"))
    start = rec.start_time
    edf = edfio.Edf(sigs, starttime=start.time().replace(tzinfo=None), startdate=start.date())
    tmp = path.with_name("." + path.name + ".part")
    edf.write(tmp)
    os.replace(tmp, path)


# ------------------------------------------------------------------ evaluation
def lm_f1(true_onset: np.ndarray, det_onset: np.ndarray, tol: float = 0.5) -> tuple[float, int, int, int]:
    """Event F1 of detected onsets against true onsets (one-to-one within ``tol`` s).

    Matching is greedy in time order, which is optimal here because true
    LMs of one leg are more than 2 * ``tol`` apart.

    Returns
    -------
    f1, tp, fp, fn
    """
    t = np.sort(np.asarray(true_onset, float))
    d = np.sort(np.asarray(det_onset, float))
    if len(t) == 0 and len(d) == 0:
        return 1.0, 0, 0, 0
    pos = np.searchsorted(d, t)
    left = np.clip(pos - 1, 0, max(len(d) - 1, 0))
    right = np.clip(pos, 0, max(len(d) - 1, 0))
    if len(d):
        dl = np.abs(d[left] - t)
        dr = np.abs(d[right] - t)
        best = np.where(dl <= dr, left, right)
        ok = np.minimum(dl, dr) <= tol
        # one detection may serve one truth only
        used = best[ok]
        tp = len(np.unique(used))
    else:
        tp = 0
    fp = len(d) - tp
    fn = len(t) - tp
    f1 = 2 * tp / (2 * tp + fp + fn) if (2 * tp + fp + fn) else 1.0
    return f1, tp, fp, fn


#: Evaluation cases: (impairments, severity[, sampling rate]). Severity 2 are the harder test nights.
CASES = {
    "accel": [((), 1.0), (("noise",), 1.0), (("quantisation",), 1.0), (("gravity_drift",), 1.0),
              (("noise", "quantisation", "gravity_drift"), 1.0), (("gap", "nonwear"), 1.0),
              (("noise", "quantisation", "gravity_drift"), 2.0)],
    "emg": [((), 1.0), (("drift",), 1.0), (("mains",), 1.0), (("pops",), 1.0), (("cardiac",), 1.0),
            (("drift", "mains", "pops", "cardiac"), 1.0), (("gap", "nonwear"), 1.0),
            (("drift",), 2.0), (("mains",), 2.0), (("pops",), 2.0), (("cardiac",), 2.0),
            (("drift", "mains", "pops", "cardiac", "gap", "nonwear"), 2.0),
            (("drift", "mains", "pops", "cardiac"), 1.0, 512.0), (("drift", "mains", "pops", "cardiac"), 1.0, 1000.0),
            (("drift", "mains", "pops", "cardiac"), 3.0)],
}


def evaluate_night(kind: str, hours: float, seed: int, impairments=(), severity: float = 1.0,
                   sfreq: float | None = None) -> dict:
    """Detect and score one generated night; F1 per leg and PLM counts vs truth."""
    import plm
    from plm.detect import detect
    from plm.scoring import score_events

    crit = plm.criteria.get("pamrl" if kind == "accel" else "wasm2016")
    rec, truth = make_night(kind, hours, seed, impairments, sfreq, severity)
    lms = detect(rec, crit)
    row = {"kind": kind, "impairments": ",".join(impairments) or "clean", "severity": severity,
           "hours": hours, "seed": seed}
    for side in ("left", "right"):
        f1, tp, fp, fn = lm_f1(truth.leg(side)[0], lms.onset[lms.side == side])
        row[f"f1_{side}"], row[f"fp_{side}"], row[f"fn_{side}"] = f1, fp, fn
    row["plm_true"] = truth.expected["n_plm"]
    row["plm_det"] = int(score_events(lms, crit).summary()["n_plm"])
    row["plm_err_pct"] = 100.0 * (row["plm_det"] - row["plm_true"]) / max(row["plm_true"], 1)
    row["excluded_true_s"] = float(np.sum(np.diff(truth.excluded, axis=1))) if len(truth.excluded) else 0.0
    row["excluded_det_s"] = float(np.sum(np.diff(lms.excluded, axis=1))) if len(lms.excluded) else 0.0
    return row


def evaluate(hours: float = 2.0, seeds=(1, 2, 3), kinds=("accel", "emg"), out=sys.stdout) -> list[dict]:
    """Print per-leg LM F1 and PLM counts on generated nights (every case x seed)."""
    rows = []
    print(f"{hours:g} h nights, seeds {list(seeds)}; F1 = LM onsets within 0.5 s (lowest over seeds); "
          "FP/FN/PLM summed over seeds", file=out)
    print(f"{'kind':6} {'impairments':42} {'sev':>3} {'Hz':>5} {'F1 left':>8} {'F1 right':>8} {'FP':>4} {'FN':>4} "
          f"{'PLM true':>8} {'PLM det':>8} {'err %':>6} {'excluded s true/det':>20}", file=out)
    for kind in kinds:
        for case in CASES[kind]:
            imp, sev = case[0], case[1]
            fs = case[2] if len(case) > 2 else (40.0 if kind == "accel" else 256.0)
            rs = [evaluate_night(kind, hours, seed, imp, sev, fs) for seed in seeds]
            rows += rs
            f1l = min(r["f1_left"] for r in rs)
            f1r = min(r["f1_right"] for r in rs)
            fp = sum(r["fp_left"] + r["fp_right"] for r in rs)
            fn = sum(r["fn_left"] + r["fn_right"] for r in rs)
            pt = sum(r["plm_true"] for r in rs)
            pd = sum(r["plm_det"] for r in rs)
            et = sum(r["excluded_true_s"] for r in rs)
            ed = sum(r["excluded_det_s"] for r in rs)
            print(f"{kind:6} {','.join(imp) or 'clean':42} {sev:3g} {fs:5g} {f1l:8.3f} {f1r:8.3f} {fp:4d} {fn:4d} "
                  f"{pt:8d} {pd:8d} {100.0 * (pd - pt) / max(pt, 1):+6.1f} {et:9.0f}/{ed:<9.0f}", file=out)
    return rows


#: The bundled samples: name -> (kind, hours, seed, impairments, sfreq).
SAMPLES = {
    "pamrl": ("accel", 2.5, 2026, ("noise", "quantisation", "gravity_drift"), 40.0),
    "psg_emg": ("emg", 0.5, 2026, ("drift", "mains", "pops", "cardiac"), 256.0),
}


def write_samples(out: str | os.PathLike) -> list[Path]:
    """Write the small recordings bundled in ``sample_recordings/``."""
    written = []
    for name, (kind, hours, seed, imp, sfreq) in SAMPLES.items():
        rec, truth = make_night(kind, hours, seed, imp, sfreq)
        written += write_night(out, name, rec, truth)
    return written


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", help="output folder")
    p.add_argument("--kind", choices=("accel", "emg"), default="accel")
    p.add_argument("--hours", type=float, default=8.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--sfreq", type=float, default=None, help="sampling rate (default 40 Hz accel, 256 Hz EMG)")
    p.add_argument("--impairments", default="", help="comma-separated impairments (see module help)")
    p.add_argument("--name", default=None, help="file stem (default: <kind>_<hours>h_seed<seed>)")
    p.add_argument("--evaluate", action="store_true", help="print F1 and PLM counts of the detector on generated nights")
    p.add_argument("--samples", action="store_true",
                   help="(re)write the bundled sample recordings into --out (default: this folder)")
    args = p.parse_args(argv)
    if args.samples:
        for path in write_samples(args.out or Path(__file__).resolve().parent):
            print(path)
        return 0
    if args.evaluate:
        evaluate(hours=args.hours if args.hours != 8.0 else 2.0)
        return 0
    if not args.out:
        p.error("--out is required (or use --evaluate)")
    imp = tuple(s.strip() for s in args.impairments.split(",") if s.strip())
    try:
        rec, truth = make_night(args.kind, args.hours, args.seed, imp, args.sfreq)
    except ValueError as exc:
        p.error(str(exc))
    name = args.name or f"{args.kind}_{args.hours:g}h_seed{args.seed}"
    for path in write_night(args.out, name, rec, truth):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
