"""Deterministic generator of leg-movement recordings with known ground truth: a family of signal models.

Builds synthetic nights of ankle accelerometry (two ankles, g) or two-leg
tibialis anterior EMG (uV). Every night has two parts, drawn separately:

**Event layout** (:class:`Layout`, :func:`design_schedule`): blocks separated
by pauses longer than the 90 s IMI limit, each one of

* a periodic series of 4-24 candidate LMs (intermovement intervals inside the
  10-90 s window), each position a left, right or bilateral movement;
* a run of exactly 3 such LMs (too few for a series: no PLMs);
* an isolated LM, > 90 s from any other movement;
* a too-long movement (12-25 s): an LM, not a candidate LM;
* a too-short burst (< 0.5 s): not an LM at all;
* (family layouts) a sub-threshold movement: rendered on both sensors at an
  amplitude EMG would not score (at most 0.4 x the +8 uV onset), not an LM;

so the expected PLM count is known without running any scorer: the sum of
the lengths of the series.

**Signal model** (:class:`EmgModel`, :class:`AccelModel`): how each event and
the background are rendered. Each movement is one *muscle activation*
(:class:`Activation`: 1-3 sub-bursts with fast attack and exponential
decay), and both sensors are rendered from it:

* EMG: a noise carrier whose RMS (in the 10-100 Hz reference band) follows
  the activation, over a resting floor;
* accelerometer: the same activation drives a dorsiflexion of the foot about
  the ankle's flexion axis (a fast lift; then a slow relaxation, or a hold
  while the muscle is active and a lowering when it stops), which turns the
  gravity vector seen by the sensor, plus the dynamic acceleration of the
  moving sensor (lever arm x angular acceleration), a kick component
  (band-limited acceleration) and tremor, all scaled by the movement's
  strength.

An event's *strength* ``s`` is its EMG amplitude above the resting level in
multiples of the +8 uV onset threshold. The ground truth is the rule itself
(WASM 2016 / AASM) applied to the noise-free EMG envelope: onset where it first
reaches +8 uV above rest, offset at the start of the first 0.5 s at or below
+2 uV. So an accelerometer LM in the truth is exactly the movement a
simultaneous EMG would score, and a movement EMG would not score (``s`` < 1)
is not an LM for the accelerometer either, however well the sensor shows it.
Accelerometer nights use a virtual EMG with a 2 uV floor for the truth.

The classic nights (:func:`make_emg_night`, :func:`make_accel_night`, the
``--impairments`` interface) are one fixed model of this family with named
impairments:

* EMG: ``drift`` (noise floor 2 -> 5 uV RMS and back over the night),
  ``mains`` (100 uV 50 Hz hum with harmonics), ``pops`` (electrode pops:
  200-1500 uV steps decaying in 0.2-1 s, 15 per hour), ``cardiac`` (P-QRS-T
  complexes, R of 40-80 uV at 55-95 beats/min);
* accelerometer: ``noise`` (0.01 g sensor noise per axis), ``quantisation``
  (1/64 g steps, an 8-bit +-2 g sensor), ``gravity_drift`` (the gravity
  direction wanders by tens of degrees over hours), ``offankle`` (75 min
  with the device taken off and lying on a table: the same sensor noise and
  quantisation, a fixed orientation reached by a slow 20 s turn, and a
  sensor offset drifting by 30 mg on one axis as the device cools; excluded
  time in the ground truth), ``still_sleep`` (75 min of worn sleep without
  periodic movement: the posture kept but wandering by 2-5 degrees, and
  small isolated LMs, s = 1.3-1.8 (EMG 10-14 uV above rest, a foot rotation
  of 3-5 degrees), 100-300 s apart; NOT excluded). The small movements were
  called "sub-threshold twitches" before the events were rendered on both
  sensors: EMG would score them, so they are LMs;
* both: ``gap`` (a 5 min run of missing samples), ``nonwear`` (a 40 min flat
  stretch: device taken off).

The family (:data:`FAMILY`, :func:`draw_emg_model`, :func:`draw_accel_model`,
:func:`make_family_night`) draws every model parameter per night from broad,
documented ranges (strengths from 1.15 to 12 x threshold; EMG at 200-1000 Hz
with white or 1/f floors of 1-5 uV, 50/60 Hz mains with harmonics, P-QRS-T
cardiac artefact, pops; accelerometry at 10-100 Hz with 1-12 mg noise,
quantisation up to 1/64 g, rotation-, kick- and mixed-type movements, posture
drift and turning over). :data:`TUNING_SEEDS` and :data:`HELDOUT_SEEDS` split
the family's seeds: detector settings are looked at on the first only.

Use as a module (``make_night``, ``make_accel_night``, ``make_emg_night``,
``make_family_night``, ``write_night``) or as a script::

    python sample_recordings/generate.py --out DIR --kind accel --hours 8 \
        --impairments noise,quantisation,gravity_drift
    python sample_recordings/generate.py --out DIR --kind emg --family --seed 1003
    python sample_recordings/generate.py --evaluate
    python sample_recordings/generate.py --evaluate-family tuning

``--evaluate`` detects and scores the classic nights of every kind and
impairment; ``--evaluate-family`` does the same on family nights of the
tuning or held-out seeds; both print per-leg LM F1 and PLM counts against
ground truth.
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime as _dt
import json
import math
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
    "Layout",
    "Activation",
    "MovementModel",
    "EmgModel",
    "AccelModel",
    "FAMILY",
    "TUNING_SEEDS",
    "HELDOUT_SEEDS",
    "make_night",
    "make_accel_night",
    "make_emg_night",
    "make_family_night",
    "draw_emg_model",
    "draw_accel_model",
    "render_night",
    "design_schedule",
    "rule_timing",
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

#: The rule (WASM 2016 / AASM) that defines the truth: onset at +8 uV above
#: rest, offset at the start of 0.5 s at or below +2 uV.
ONSET_UV, OFFSET_UV, QUIET_S = 8.0, 2.0, 0.5
#: EMG reference band, Hz: amplitudes are RMS values in this band.
REFERENCE_BAND = (10.0, 100.0)
#: Resting EMG level of the virtual EMG that defines the truth of accelerometer nights, uV.
VIRTUAL_FLOOR_UV = 2.0
GRAVITY = 9.81

#: Family seeds whose nights may be looked at while choosing detector settings.
TUNING_SEEDS = tuple(range(1000, 1016))
#: Family seeds that are only evaluated, never looked at while tuning.
HELDOUT_SEEDS = tuple(range(5000, 5016))


@dataclass
class GroundTruth:
    """What a generated night contains.

    Attributes
    ----------
    onset, duration : ndarray
        True monolateral LMs (s from start), both legs: the rule applied to
        the noise-free EMG envelope of each movement.
    side : ndarray of str
        ``"left"`` / ``"right"``.
    kind : ndarray of str
        ``series``, ``triplet``, ``isolated``, ``long`` (LM > 10 s).
    strength : ndarray
        EMG amplitude above rest at the movement's peak, in multiples of the
        +8 uV onset threshold.
    short_onset, short_duration, short_side : ndarray
        Too-short bursts (< 0.5 s), which are not LMs.
    weak_onset, weak_duration, weak_side : ndarray
        Sub-threshold movements (strength < 1: EMG would not score them),
        which are not LMs.
    excluded : ndarray, shape (k, 2)
        Gaps and non-wear placed in the night, s.
    expected : dict
        ``n_lm_left``, ``n_lm_right``, ``n_plm`` (by design), ``n_series``,
        ``n_clm``.
    model : dict
        The signal model and layout the night was rendered with.
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
    strength: np.ndarray = field(default_factory=lambda: np.zeros(0))
    weak_onset: np.ndarray = field(default_factory=lambda: np.zeros(0))
    weak_duration: np.ndarray = field(default_factory=lambda: np.zeros(0))
    weak_side: np.ndarray = field(default_factory=lambda: np.zeros(0, "<U5"))
    model: dict = field(default_factory=dict)

    def leg(self, side: str) -> tuple[np.ndarray, np.ndarray]:
        """Onsets and durations of one leg's true LMs."""
        m = self.side == side
        return self.onset[m], self.duration[m]


# ------------------------------------------------------------------ layout
@dataclass(frozen=True)
class Layout:
    """Ranges of the event layout (all durations are truth durations, s).

    Attributes
    ----------
    lm_duration : (float, float)
        Candidate LMs (series, triplets, isolated).
    imi : (float, float)
        Onset-to-onset intervals inside series and triplets; kept 1 s inside
        the 10-90 s window so that onset errors below 0.5 s cannot move an
        interval across a bound.
    series_length : (int, int)
        Inclusive range of series lengths.
    long_duration, short_duration : (float, float)
        Too-long movements (LMs, not CLMs) and too-short bursts (not LMs).
    p_bilateral : float
        Probability that a position of a series is a movement of both legs.
    lag : (float, float)
        Onset of the second leg after the first in a bilateral movement.
    pause : (float, float)
        Pause between blocks.
    weak : bool
        Sub-threshold movements (not LMs) as blocks of their own and in half
        of the pauses.
    kinds : tuple of str
        The blocks of one shuffled round (``series``, ``triplet``,
        ``isolated``, ``long``, ``short``; ``weak`` is added when ``weak``).
    pause_events : bool
        A too-short burst (or sub-threshold movement) in half of the pauses.
    """

    lm_duration: tuple[float, float] = (0.8, 4.0)
    imi: tuple[float, float] = (15.0, 60.0)
    series_length: tuple[int, int] = (4, 24)
    long_duration: tuple[float, float] = (12.0, 25.0)
    short_duration: tuple[float, float] = (0.15, 0.3)
    p_bilateral: float = 0.2
    lag: tuple[float, float] = (0.0, 0.3)
    pause: tuple[float, float] = (120.0, 300.0)
    weak: bool = False
    kinds: tuple[str, ...] = ("series", "series", "series", "triplet", "isolated", "isolated", "long", "short")
    pause_events: bool = True


CLASSIC_LAYOUT = Layout()
#: Family layout: the whole CLM duration and IMI range, bursts up to 0.4 s, sub-threshold movements.
FAMILY_LAYOUT = Layout(lm_duration=(0.6, 7.0), imi=(11.0, 85.0), short_duration=(0.1, 0.4), p_bilateral=0.3,
                       pause=(185.0, 320.0), weak=True)


def design_schedule(hours: float, rng: np.random.Generator, reserved: list[tuple[float, float]] = (),
                    layout: Layout = CLASSIC_LAYOUT) -> GroundTruth:
    """Place movement blocks over a night; see the module docstring.

    Onsets and durations are the *planned* ones; :func:`render_night`
    replaces them by the rule's timing on the rendered movements (within a
    few tens of ms of the plan).

    Parameters
    ----------
    hours : float
        Night length.
    rng : numpy Generator
    reserved : list of (start, stop)
        Stretches (gaps, non-wear) kept free of movements, with a margin.
    layout : Layout

    Returns
    -------
    GroundTruth
    """
    total = hours * 3600.0
    on, du, sd, kd = [], [], [], []
    s_on, s_du, s_sd = [], [], []
    w_on, w_du, w_sd = [], [], []
    n_plm = n_series = n_clm = 0
    t = 60.0
    margin = 130.0
    lo_len, hi_len = layout.series_length

    def blocked(t0: float, t1: float) -> float | None:
        for a, b in reserved:
            if t0 < b + margin and t1 > a - margin:
                return b + margin
        return None

    def one_leg() -> str:
        return ("left", "right")[rng.integers(2)]

    # Kinds come in shuffled rounds, so every kind appears in every round.
    kinds = list(layout.kinds)
    if layout.weak:
        kinds.append("weak")
    queue: list[str] = []
    while True:
        if not queue:
            queue = list(rng.permutation(kinds))
        kind = queue.pop()
        if kind in ("series", "triplet"):
            k = int(rng.integers(lo_len, hi_len + 1)) if kind == "series" else 3
            imis = rng.uniform(*layout.imi, size=k - 1)
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
                s_on.append(s0), s_du.append(rng.uniform(*layout.short_duration)), s_sd.append(one_leg())
                continue
            if kind == "weak":
                w_on.append(s0), w_du.append(rng.uniform(*layout.lm_duration)), w_sd.append(one_leg())
                continue
            if kind == "long":
                on.append(s0), du.append(rng.uniform(*layout.long_duration)), sd.append(one_leg()), kd.append("long")
                continue
            which = rng.choice(["left", "right", "both"], p=[(1 - layout.p_bilateral) / 2] * 2 + [layout.p_bilateral])
            legs = ["left", "right"] if which == "both" else [which]
            lag = rng.uniform(*layout.lag)
            for j, leg in enumerate(legs):
                on.append(s0 + (lag if j == 1 else 0.0))
                du.append(rng.uniform(*layout.lm_duration))
                sd.append(leg)
                kd.append(kind)
            n_clm += 1
        if kind == "series":
            n_plm += k
            n_series += 1
        gap = rng.uniform(*layout.pause) + (25.0 if kind == "long" else 0.0)
        if layout.pause_events and kind != "short" and rng.random() < 0.5:
            # a too-short burst (or a sub-threshold movement) in the middle of the pause: no LM, breaks nothing
            if layout.weak and rng.random() < 0.5:
                w_on.append(starts[-1] + gap / 2), w_du.append(rng.uniform(*layout.lm_duration)), w_sd.append(one_leg())
            else:
                s_on.append(starts[-1] + gap / 2)
                s_du.append(rng.uniform(*layout.short_duration))
                s_sd.append(one_leg())
        t = starts[-1] + gap
    truth = GroundTruth(
        onset=np.array(on, float),
        duration=np.array(du, float),
        side=np.array(sd, dtype="<U5"),
        kind=np.array(kd, dtype="<U8"),
        short_onset=np.array(s_on, float),
        short_duration=np.array(s_du, float),
        short_side=np.array(s_sd, dtype="<U5"),
        weak_onset=np.array(w_on, float),
        weak_duration=np.array(w_du, float),
        weak_side=np.array(w_sd, dtype="<U5"),
        excluded=np.array(reserved, dtype=float).reshape(-1, 2),
        strength=np.zeros(len(on)),
    )
    truth.expected = {"n_plm": int(n_plm), "n_series": int(n_series), "n_clm": int(n_clm)}
    _sort_truth(truth)
    return truth


def _sort_truth(truth: GroundTruth) -> None:
    order = np.argsort(truth.onset, kind="stable")
    for name in ("onset", "duration", "side", "kind", "strength"):
        setattr(truth, name, getattr(truth, name)[order])
    truth.expected["n_lm_left"] = int(np.sum(truth.side == "left"))
    truth.expected["n_lm_right"] = int(np.sum(truth.side == "right"))


def _reserved(hours: float, impairments: tuple[str, ...]) -> list[tuple[float, float]]:
    return [(a, b) for a, b, _ in _reserved_named(hours, impairments)]


#: Impairments whose stretch is excluded time in the ground truth.
EXCLUDED_KINDS = ("gap", "nonwear", "offankle")


def _reserved_named(hours: float, impairments: tuple[str, ...]) -> list[tuple[float, float, str]]:
    """Stretches kept free of scheduled movements: (start, stop, impairment), s."""
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


# ------------------------------------------------------------------ one movement
@dataclass(frozen=True)
class Activation:
    """Muscle activation of one movement, 0..1: sub-bursts with linear attack, plateau, exponential decay.

    Attributes
    ----------
    starts, plateaus, weights : ndarray
        Start (s after the movement's start), plateau length (s) and peak
        of each sub-burst; the largest weight is 1.
    attack, decay : float
        Rise time (linear) and decay time constant (exponential), s.
    """

    starts: np.ndarray
    plateaus: np.ndarray
    weights: np.ndarray
    attack: float
    decay: float

    def __call__(self, t: np.ndarray) -> np.ndarray:
        """Activation at times ``t`` (s after the movement's start)."""
        a = np.zeros(np.shape(t))
        for s, p, w in zip(self.starts, self.plateaus, self.weights):  # 1-3 sub-bursts
            x = t - s
            rise = np.clip(x / self.attack, 0.0, 1.0)
            fall = np.exp(-np.clip(x - self.attack - p, 0.0, None) / self.decay)
            np.maximum(a, w * rise * fall, out=a)
        return a

    @property
    def span(self) -> float:
        """Time after which the activation is below 1e-5, s."""
        return float(self.starts[-1] + self.attack + self.plateaus[-1] + 11.5 * self.decay)


def rule_timing(act: Activation, a8: float, a2: float, dt: float = 1e-3) -> tuple[float, float] | None:
    """The scoring rule on a noise-free envelope: (onset, duration), s after the movement's start.

    The onset is where the activation first reaches ``a8`` (the +8 uV level
    in activation units), the offset the start of the first 0.5 s at or
    below ``a2`` (+2 uV). None when the activation never reaches ``a8``.
    """
    t = np.arange(0.0, act.span + QUIET_S + 0.1, dt)
    a = act(t)
    on = np.flatnonzero(a >= a8)
    if len(on) == 0:
        return None
    i0 = on[0]
    quiet = a[i0:] <= a2
    edges = np.diff(np.r_[0, quiet.view(np.int8), 0])
    q0, q1 = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    long_ = q1 - q0 >= int(round(QUIET_S / dt))
    i1 = i0 + (q0[long_][0] if long_.any() else len(quiet))
    return float(t[i0]), float(t[i1] - t[i0])


def _levels(strength: float, rest_uv: float) -> tuple[float, float, float]:
    """Peak RMS amplitude (uV) of a movement of ``strength`` over ``rest_uv``, and the +8/+2 levels as activations."""
    peak = math.sqrt((rest_uv + ONSET_UV * strength) ** 2 - rest_uv ** 2)
    a8 = math.sqrt((rest_uv + ONSET_UV) ** 2 - rest_uv ** 2) / peak
    a2 = math.sqrt((rest_uv + OFFSET_UV) ** 2 - rest_uv ** 2) / peak
    return peak, a8, a2


def _design_activation(rng, duration: float, strength: float, rest_uv: float, shape: dict) -> tuple[Activation, tuple]:
    """An activation whose rule timing lasts ``duration`` s (truth); returns it and (onset, duration) or None."""
    peak, a8, a2 = _levels(strength, rest_uv)
    attack = rng.uniform(*shape["attack"])
    decay = rng.uniform(*shape["decay"])
    n_sub = 1 if duration < 0.5 else int(rng.choice([1, 2, 3], p=shape["n_sub_p"]))
    n_sub = min(n_sub, max(1, int(duration // 0.3)))     # sub-bursts last >= 0.25 s
    if duration < 0.5:  # a short burst: its decay must not carry it past 0.5 s
        decay = min(decay, 0.3 * duration / max(math.log(1.0 / min(a2, 0.99)), 1.0))
    weights = np.r_[1.0, rng.uniform(0.5, 1.0, n_sub - 1)]
    if n_sub > 1:
        weights = rng.permutation(weights)
        weights[0] = max(weights[0], min(1.0, 1.3 * a8))   # the first sub-burst starts the LM
    fractions = rng.dirichlet(np.full(n_sub, 4.0))
    # gaps between sub-bursts: the envelope dips, at most 0.15 s below +2 uV (still one LM)
    gaps = np.array([decay * math.log(max(w / a2, 1.0)) + rng.uniform(-0.15, 0.15) for w in weights[:-1]])
    gaps = np.maximum(gaps, -0.5 * attack)
    t_on = attack * min(a8 / weights[0], 1.0)
    t_dec = decay * math.log(max(weights[-1] / a2, 1.0))
    end = duration + t_on - t_dec - attack            # when the last plateau ends, if plateaus filled it all
    plate_total = end - gaps.sum() - (n_sub - 1) * attack
    if plate_total < 0.02 * n_sub:                      # too little room for gaps: close them
        gaps[:] = 0.0
        plate_total = max(end - (n_sub - 1) * attack, 0.02 * n_sub)
    plateaus = np.maximum(plate_total * fractions, 0.01 if n_sub == 1 else 0.25)
    starts = np.r_[0.0, np.cumsum(plateaus[:-1] + attack + gaps)]
    act = Activation(starts, plateaus, weights, attack, decay)
    timing = rule_timing(act, a8, a2)
    if timing is not None and strength >= 1.0:
        # one correction for the discretisation and overlap of sub-bursts
        fix = duration - timing[1]
        last = plateaus.copy()
        last[-1] = max(last[-1] + fix, 0.01)
        act = Activation(starts, last, weights, attack, decay)
        timing = rule_timing(act, a8, a2)
    return act, timing


# ------------------------------------------------------------------ models
@dataclass(frozen=True)
class MovementModel:
    """How the movements' muscle activations are drawn (both sensors; see :data:`FAMILY` for the ranges).

    Strengths are drawn from ``strength_near`` (uniform) with probability
    ``p_near``, else from ``strength_strong`` (log-uniform); sub-threshold
    movements from ``strength_weak``. ``n_sub_p`` are the probabilities of
    1, 2 and 3 sub-bursts; ``attack`` and ``decay`` the ranges of their rise
    time and decay time constant, s.
    """

    strength_near: tuple[float, float] = (2.3, 8.5)
    strength_strong: tuple[float, float] = (2.3, 8.5)
    p_near: float = 0.0
    strength_weak: tuple[float, float] = (0.1, 0.3)
    n_sub_p: tuple[float, float, float] = (1.0, 0.0, 0.0)
    attack: tuple[float, float] = (0.04, 0.05)
    decay: tuple[float, float] = (0.015, 0.02)


@dataclass(frozen=True)
class EmgModel(MovementModel):
    """Every parameter of an EMG night's rendering (see :data:`FAMILY` for the ranges).

    Amplitudes are RMS values in the 10-100 Hz reference band, uV.
    """

    sfreq: float = 256.0
    floor_uv: float = 2.0            # resting RMS
    floor_drift: float = 1.0         # floor rises to this multiple and back over the night (1.5 cycles)
    floor_pink: float = 0.0          # fraction of the floor's power that is 1/f noise
    floor_band: tuple[float, float] = (15.0, 110.0)
    carrier_band: tuple[float, float] = (15.0, 110.0)
    mains_hz: float = 0.0            # 0: none
    mains_uv: float = 0.0
    mains_harmonics: tuple[float, float] = (0.1, 0.2)
    cardiac_uv: float = 0.0          # R-peak amplitude (0: none)
    heart_rate: float = 75.0
    heart_rate_swing: float = 20.0
    pops_per_hour: float = 0.0
    pop_uv: tuple[float, float] = (200.0, 1500.0)
    wander_uv: float = 15.0          # slow electrode wander at 0.07 Hz plus an offset


@dataclass(frozen=True)
class AccelModel(MovementModel):
    """Every parameter of an accelerometer night's rendering (see :data:`FAMILY` for the ranges)."""

    sfreq: float = 40.0
    noise_g: float = 0.002           # white sensor noise per axis
    step_g: float = 0.001            # quantisation step (0: none)
    range_g: float = 8.0             # sensor range (clipping)
    antialias: float = 0.4           # device low-pass edge as a fraction of the sampling rate
    rotation_deg_per_uv: float = 0.3  # foot rotation per uV of EMG above rest ...
    rotation_max_deg: float = 35.0   # ... saturating at this angle (tanh)
    visibility: tuple[float, float] = (0.7, 1.0)  # sin(angle between flexion axis and gravity)
    kick_g: float = 0.12             # vector RMS of band-limited acceleration per unit strength
    kick_max_g: float = 1.0
    kick_band: tuple[float, float] = (1.0, 6.0)
    tremor_g: float = 0.0            # 6-12 Hz tremor RMS per unit strength
    lever_m: float = 0.1             # sensor distance from the flexion axis
    lift_s: tuple[float, float] = (0.06, 0.15)     # time constant of each of the lift's two poles
    lower_s: tuple[float, float] = (0.08, 0.2)     # lowering after a hold
    relax_s: tuple[float, float] = (0.2, 0.5)      # passive relaxation (slower)
    twitch_s: tuple[float, float] = (0.02, 0.05)   # lift and return of a burst shorter than 0.5 s
    p_relax: float = 0.5
    drift_deg: float = 0.0           # slow wander of the posture over the night
    turns_per_hour: float = 0.0      # turning over (an LM of both legs, then a new posture)


#: Ranges of the movement parameters (:class:`MovementModel`), the same for both sensors.
_MOVEMENT_RANGES = {
    "strength_near": ("fixed", (1.15, 2.0)),
    "strength_strong": ("fixed", (2.0, 12.0)),
    "p_near": ("uniform", (0.25, 0.5)),
    "n_sub_p": ("fixed", (0.5, 0.3, 0.2)),
    "attack": ("fixed", (0.01, 0.05)),
    "decay": ("fixed", (0.02, 0.1)),
}

#: Ranges of the signal-model family: parameter -> (low, high) drawn uniformly
#: (log-uniformly where marked ``log``), or a tuple of choices.
FAMILY = {
    "emg": {
        "sfreq": ("choice", (200.0, 256.0, 500.0, 512.0, 1000.0)),
        "floor_uv": ("uniform", (1.0, 5.0)),
        "floor_drift": ("uniform", (1.0, 2.5)),
        "floor_pink": ("uniform", (0.0, 1.0)),
        "floor_band": ("band", ((5.0, 20.0), (90.0, 250.0))),
        "carrier_band": ("band", ((15.0, 30.0), (90.0, 250.0))),
        **_MOVEMENT_RANGES,
        "mains_hz": ("choice", (0.0, 50.0, 60.0)),
        "mains_uv": ("log", (5.0, 200.0)),
        "mains_harmonics": ("pair", (0.0, 0.3)),
        "cardiac_uv": ("choice_or_uniform", (0.3, (20.0, 150.0))),
        "heart_rate": ("uniform", (50.0, 95.0)),
        "heart_rate_swing": ("uniform", (0.0, 20.0)),
        "pops_per_hour": ("uniform", (0.0, 30.0)),
        "wander_uv": ("uniform", (0.0, 50.0)),
    },
    "accel": {
        "sfreq": ("choice", (10.0, 12.5, 16.0, 20.0, 25.0, 30.0, 32.0, 40.0, 50.0, 64.0, 100.0)),
        "noise_g": ("uniform", (0.001, 0.012)),
        "step_g": ("choice", (0.0, 1 / 1024, 1 / 256, 1 / 128, 1 / 64)),
        "range_g": ("choice", (2.0, 4.0, 8.0)),
        "antialias": ("uniform", (0.2, 0.45)),
        "movement": ("choice", ("rotation", "rotation", "mixed", "kick")),
        "rotation_deg_per_uv": ("uniform", (0.22, 0.45)),
        "rotation_max_deg": ("uniform", (20.0, 40.0)),
        "kick_g": ("uniform", (0.03, 0.06)),   # kick and mixed models (per unit strength)
        "kick_band": ("band", ((0.5, 2.0), (4.0, 8.0))),
        "tremor_g": ("uniform", (0.0, 0.004)),
        "lever_m": ("uniform", (0.05, 0.12)),
        "p_relax": ("uniform", (0.0, 1.0)),
        "drift_deg": ("uniform", (0.0, 30.0)),
        "turns_per_hour": ("uniform", (0.0, 2.0)),
        **_MOVEMENT_RANGES,
    },
}


def _draw(spec, rng):
    how, arg = spec
    if how == "fixed":
        return arg
    if how == "uniform":
        return float(rng.uniform(*arg))
    if how == "log":
        return float(np.exp(rng.uniform(np.log(arg[0]), np.log(arg[1]))))
    if how == "choice":
        return arg[int(rng.integers(len(arg)))]
    if how == "band":
        return (float(rng.uniform(*arg[0])), float(rng.uniform(*arg[1])))
    if how == "pair":
        return (float(rng.uniform(*arg)), float(rng.uniform(*arg)))
    if how == "choice_or_uniform":  # arg = (probability of 0, range otherwise)
        return 0.0 if rng.random() < arg[0] else float(rng.uniform(*arg[1]))
    raise ValueError(how)


def draw_emg_model(rng: np.random.Generator, **fixed) -> EmgModel:
    """An EMG model with every parameter drawn from :data:`FAMILY` (``fixed`` overrides)."""
    values = {k: _draw(v, rng) for k, v in FAMILY["emg"].items()}
    if not values["mains_hz"]:
        values["mains_uv"] = 0.0
    values.update(fixed)
    return EmgModel(**values)


def draw_accel_model(rng: np.random.Generator, **fixed) -> AccelModel:
    """An accelerometer model with every parameter drawn from :data:`FAMILY` (``fixed`` overrides).

    ``movement`` picks the movement type: ``rotation`` (the foot tilts; visible
    rotation, dynamic acceleration from the lever arm and tremor only),
    ``kick`` (band-limited acceleration; the rotation is about an axis close
    to gravity and barely turns it) or ``mixed`` (both).
    """
    values = {k: _draw(v, rng) for k, v in FAMILY["accel"].items()}
    movement = values.pop("movement")
    movement = fixed.pop("movement", movement)
    if movement == "rotation":
        values.update(visibility=(0.6, 1.0), kick_g=0.0)
    elif movement == "kick":
        values.update(visibility=(0.0, 0.15))
    else:
        values.update(visibility=(0.4, 1.0), kick_g=values["kick_g"] * 0.6)
    values.update(fixed)
    return AccelModel(**values)


# ------------------------------------------------------------------ rendering
def _bandnoise(rng, shape, sfreq: float, lo: float, hi: float) -> np.ndarray:
    """Gaussian noise band-limited to [lo, hi] Hz with unit RMS."""
    x = rng.standard_normal(shape)
    hi = min(hi, 0.45 * sfreq)
    sos = signal.butter(4, [lo, hi], btype="bandpass", fs=sfreq, output="sos")
    y = signal.sosfilt(sos, x, axis=-1)
    return y / np.sqrt(np.mean(y * y))


def _pink(rng, n: int) -> np.ndarray:
    """1/f noise (Kellet's three-pole approximation of a -3 dB/octave filter), unit variance."""
    b = [0.049922035, -0.095993537, 0.050612699, -0.004408786]
    a = [1.0, -2.494956002, 2.017265875, -0.522189400]
    y = signal.lfilter(b, a, rng.standard_normal(n + 2000))[2000:]
    return y / np.std(y)


def _in_band_gain(x: np.ndarray, sfreq: float) -> float:
    """RMS of ``x`` in the 10-100 Hz reference band (capped below Nyquist)."""
    hi = min(REFERENCE_BAND[1], 0.45 * sfreq)
    sos = signal.butter(2, [REFERENCE_BAND[0], hi], btype="bandpass", fs=sfreq, output="sos")
    y = signal.sosfiltfilt(sos, x)
    return float(np.sqrt(np.mean(y[len(y) // 10: -len(y) // 10] ** 2)))


def _carrier(rng, n: int, sfreq: float, band: tuple[float, float], norm: float) -> np.ndarray:
    """Band-limited noise of unit RMS in the reference band (``norm`` from :func:`_in_band_gain`)."""
    lead = int(0.3 * sfreq)
    return _bandnoise_raw(rng, n + lead, sfreq, band)[lead:] / norm


def _bandnoise_raw(rng, n: int, sfreq: float, band) -> np.ndarray:
    lo, hi = band[0], min(band[1], 0.45 * sfreq)
    sos = signal.butter(4, [lo, hi], btype="bandpass", fs=sfreq, output="sos")
    return signal.sosfilt(sos, rng.standard_normal(n))


def _strengths(rng, n: int, model) -> np.ndarray:
    near = rng.random(n) < model.p_near
    lo, hi = model.strength_strong
    strong = np.exp(rng.uniform(np.log(lo), np.log(hi), n))
    return np.where(near, rng.uniform(*model.strength_near, n), strong)


@dataclass
class _Event:
    side: str
    start: float          # planned start, s
    duration: float       # planned truth duration, s
    kind: str             # LM kind, "short" or "weak"
    strength: float
    act: Activation | None = None
    timing: tuple | None = None
    extra: dict = field(default_factory=dict)


def _plan_events(truth: GroundTruth, model, rng, rest_at) -> list[_Event]:
    """Activations of every scheduled movement; the truth onsets/durations become the rule's timing."""
    shape = {"attack": model.attack, "decay": model.decay, "n_sub_p": model.n_sub_p}
    events: list[_Event] = []
    s_lm = _strengths(rng, len(truth.onset), model)
    s_short = _strengths(rng, len(truth.short_onset), model)
    s_weak = rng.uniform(*model.strength_weak, len(truth.weak_onset))
    for i in range(len(truth.onset)):
        events.append(_Event(truth.side[i], truth.onset[i], truth.duration[i], truth.kind[i], float(s_lm[i])))
    for i in range(len(truth.short_onset)):
        events.append(_Event(truth.short_side[i], truth.short_onset[i], truth.short_duration[i], "short",
                             float(s_short[i])))
    for i in range(len(truth.weak_onset)):
        events.append(_Event(truth.weak_side[i], truth.weak_onset[i], truth.weak_duration[i], "weak", float(s_weak[i])))
    for ev in events:  # loop over events, not samples
        if ev.kind == "still":      # the small LMs of still sleep
            ev.strength = float(rng.uniform(1.3, 1.8))
        elif ev.kind == "turn":     # turning over: a strong movement of both legs
            ev.strength = float(rng.uniform(3.0, 6.0))
        ev.act, ev.timing = _design_activation(rng, ev.duration, ev.strength, rest_at(ev.side, ev.start), shape)
    below = [ev for ev in events if ev.timing is None and ev.kind != "weak"]
    for ev in below:
        # rendered below the onset level (strengths < 1, e.g. in bench/): not an LM,
        # and the counts by design no longer hold
        ev.kind = "weak"
    if below:
        truth.expected["n_below_threshold"] = len(below)
    lm = [ev for ev in events if ev.kind not in ("short", "weak")]
    truth.onset = np.array([ev.start + ev.timing[0] for ev in lm])
    truth.duration = np.array([ev.timing[1] for ev in lm])
    truth.strength = np.array([ev.strength for ev in lm])
    truth.side = np.array([ev.side for ev in lm], dtype="<U5")
    truth.kind = np.array([ev.kind for ev in lm], dtype="<U8")
    short = [ev for ev in events if ev.kind == "short"]
    truth.short_duration = np.array([ev.timing[1] if ev.timing else 0.0 for ev in short])
    weak = [ev for ev in events if ev.kind == "weak"]
    truth.weak_onset = np.array([ev.start for ev in weak])
    truth.weak_duration = np.array([ev.duration for ev in weak])
    truth.weak_side = np.array([ev.side for ev in weak], dtype="<U5")
    _sort_truth(truth)
    return events


def _floor_profile(model: EmgModel, t: np.ndarray, total: float, phase: float) -> np.ndarray:
    if model.floor_drift <= 1.0:
        return np.full(len(t), model.floor_uv)
    swing = 0.5 - 0.5 * np.cos(2 * np.pi * t / max(total, 1.0) * 1.5 + phase)
    return model.floor_uv * (1.0 + (model.floor_drift - 1.0) * swing)


def _render_emg_leg(model: EmgModel, events: list[_Event], n: int, rng, total: float, phase: float,
                    pops_avoid: np.ndarray) -> np.ndarray:
    fs = model.sfreq
    t = np.arange(n) / fs
    ref_n = int(20 * fs)   # stretch on which the in-band RMS of each noise is measured
    # floor: white (band-limited) and 1/f parts, each of unit RMS in the reference band
    white = _bandnoise_raw(rng, n, fs, model.floor_band)
    white /= _in_band_gain(_bandnoise_raw(np.random.default_rng(1), ref_n, fs, model.floor_band), fs)
    if model.floor_pink > 0:
        pink = _pink(rng, n)
        pink /= _in_band_gain(pink[:ref_n], fs)
        x = np.sqrt(1.0 - model.floor_pink) * white + np.sqrt(model.floor_pink) * pink
        del pink
    else:
        x = white
    x *= _floor_profile(model, t, total, phase)
    norm = _in_band_gain(_bandnoise_raw(np.random.default_rng(2), ref_n, fs, model.carrier_band), fs)
    for ev in events:  # loop over events, not samples
        i0 = int(round(ev.start * fs))
        m = min(n - i0, int(math.ceil(ev.act.span * fs)) + 1)
        if m <= 0:
            continue
        amp = _levels(ev.strength, _floor_profile(model, np.array([ev.start]), total, phase)[0])[0]
        x[i0:i0 + m] += amp * ev.act(np.arange(m) / fs) * _carrier(rng, m, fs, model.carrier_band, norm)
    x += model.wander_uv * np.sin(2 * np.pi * 0.07 * t + rng.uniform(0, 6.3)) + rng.uniform(-2, 2) * model.wander_uv
    if model.mains_uv > 0 and model.mains_hz < 0.48 * fs:
        am = 1.0 + 0.3 * np.sin(2 * np.pi * t / 1800.0 + phase)
        for k, rel in ((1, 1.0), (2, model.mains_harmonics[0]), (3, model.mains_harmonics[1])):
            if k * model.mains_hz < 0.48 * fs:
                x += am * model.mains_uv * rel * np.sin(2 * np.pi * k * model.mains_hz * t + rng.uniform(0, 6.3))
    if model.cardiac_uv > 0:
        x += _cardiac(rng, n, fs, total, model)
    if model.pops_per_hour > 0:
        x += _pops(rng, n, fs, total, pops_avoid, model)
    return x


def _cardiac(rng, n: int, sfreq: float, total: float, model: EmgModel) -> np.ndarray:
    """P-QRS-T complexes at a slowly varying heart rate (R peak ``model.cardiac_uv``)."""
    n_beats = int(total * 130 / 60) + 10
    hr = model.heart_rate + model.heart_rate_swing * np.sin(
        2 * np.pi * np.arange(n_beats) / max(n_beats, 1) * 3 + rng.uniform(0, 6.3))
    rr = 60.0 / hr * (1 + 0.03 * rng.standard_normal(n_beats))
    beats = np.cumsum(rr)
    beats = beats[beats < total - 0.5]
    tt = np.arange(-0.3, 0.45, 1.0 / sfreq)
    p_rel, t_rel = rng.uniform(0.05, 0.15), rng.uniform(0.15, 0.35)
    wave = (np.exp(-0.5 * (tt / 0.008) ** 2)
            - 0.25 * np.exp(-0.5 * ((tt + 0.022) / 0.006) ** 2)
            - 0.3 * np.exp(-0.5 * ((tt - 0.024) / 0.007) ** 2)
            + p_rel * np.exp(-0.5 * ((tt + 0.17) / 0.025) ** 2)
            + t_rel * np.exp(-0.5 * ((tt - 0.3) / 0.045) ** 2))
    impulses = np.zeros(n)
    idx = np.round(beats * sfreq).astype(np.int64)
    idx = idx[idx < n]
    impulses[idx] = model.cardiac_uv * rng.choice([-1.0, 1.0]) * rng.uniform(0.9, 1.1, size=len(idx))
    # the template is centred on its R peak
    return signal.oaconvolve(impulses, wave, mode="full")[int(round(0.3 * sfreq)):][:n]


def _pops(rng, n: int, sfreq: float, total: float, avoid: np.ndarray, model: EmgModel) -> np.ndarray:
    """Electrode pops: steps decaying exponentially, more than 5 s from any movement."""
    want = int(round(model.pops_per_hour * total / 3600.0))
    cand = np.sort(rng.uniform(5.0, total - 5.0, size=4 * want + 4))
    near = np.zeros(len(cand), bool)
    for a, b in avoid:  # loop over events
        near |= (cand > a - 5.0) & (cand < b + 5.0)
    cand = cand[~near][:want]
    out = np.zeros(n)
    for t0 in cand:  # a few per hour
        i0 = int(t0 * sfreq)
        tau = rng.uniform(0.2, 1.0)
        m = min(n - i0, int(6 * tau * sfreq))
        out[i0:i0 + m] += rng.choice([-1, 1]) * rng.uniform(*model.pop_uv) * np.exp(-np.arange(m) / (tau * sfreq))
    return out


def _posture(model: AccelModel, rng, n: int, fs: float, total: float, turns: list[tuple[float, float, float, float]],
             classic_drift: bool, sev: float):
    """Posture angles (beta: flexion axis to gravity; phi: gravity's azimuth about the axis), rad, per sample."""
    t = np.arange(n) / fs
    lo, hi = model.visibility
    beta0 = float(np.arcsin(np.clip(rng.uniform(lo, hi), 0.0, 1.0)))
    phi0 = rng.uniform(0, 2 * np.pi)
    if classic_drift:  # the classic gravity_drift: tens of degrees over hours
        beta = beta0 + 0.25 * sev * np.sin(2 * np.pi * t / max(total, 1.0) * 1.3 * sev + rng.uniform(0, 6.3))
        phi = phi0 + 1.0 * sev * t / max(total, 1.0)
    else:
        beta = np.full(n, beta0)
        phi = np.full(n, phi0)
        if model.drift_deg > 0:
            d = np.deg2rad(model.drift_deg)
            for k in range(3):  # a few slow components, periods 1-4 h (at most ~1 degree per minute)
                per = rng.uniform(3600.0, 14400.0)
                phi += d / 3 * np.sin(2 * np.pi * t / per + rng.uniform(0, 6.3))
                beta += d / 6 * np.sin(2 * np.pi * t / rng.uniform(3600.0, 14400.0) + rng.uniform(0, 6.3))
    lo_b, hi_b = float(np.arcsin(lo)), float(np.arcsin(min(hi, 1.0)))
    for t0, dur, dphi, new_beta in turns:  # loop over turns (a few per hour)
        i0, i1 = int(round(t0 * fs)), int(round((t0 + dur) * fs))
        ramp = 0.5 - 0.5 * np.cos(np.pi * np.clip((np.arange(n - i0)) / max(i1 - i0, 1), 0, 1))
        phi[i0:] += dphi * ramp
        target = lo_b + (hi_b - lo_b) * new_beta
        beta[i0:] += (target - beta[i0]) * ramp
    return beta, phi


def _basis(rng):
    """Sensor-frame flexion axis u and two unit vectors e1, e2 completing it."""
    u = rng.standard_normal(3)
    u /= np.linalg.norm(u)
    e1 = np.cross(u, rng.standard_normal(3))
    e1 /= np.linalg.norm(e1)
    return u, e1, np.cross(u, e1)


def _gravity(u, e1, e2, beta, phi) -> np.ndarray:
    sb = np.sin(beta)
    return (np.outer(u, np.cos(beta)) + np.outer(e1, sb * np.cos(phi)) + np.outer(e2, sb * np.sin(phi)))


def _render_accel_leg(model: AccelModel, events: list[_Event], n: int, rng, total: float, turns, classic_drift: bool,
                      sev: float, extra_posture=None) -> np.ndarray:
    fs = model.sfreq
    u, e1, e2 = _basis(rng)
    beta, phi = _posture(model, rng, n, fs, total, turns, classic_drift, sev)
    if extra_posture is not None:
        extra_posture(beta, phi)
    x = _gravity(u, e1, e2, beta, phi)
    # render movements at >= 200 Hz, through the device's anti-alias filter, sampled at fs
    k = max(1, int(math.ceil(200.0 / fs)))
    hi_fs = fs * k
    aa = signal.butter(2, min(model.antialias * fs, 0.45 * hi_fs), btype="lowpass", fs=hi_fs, output="sos")
    psi = rng.uniform(0, 2 * np.pi)
    tang = np.cos(psi) * e1 + np.sin(psi) * e2
    lever = -np.sin(psi) * e1 + np.cos(psi) * e2
    for ev in events:  # loop over events, not samples
        i0 = int(math.floor(ev.start * fs)) - int(math.ceil(0.5 * fs))
        if i0 < 0 or i0 >= n:
            continue
        relax = rng.random() < model.p_relax
        fall = rng.uniform(*(model.relax_s if relax else model.lower_s))
        lift = rng.uniform(*model.lift_s)
        if ev.kind == "short":
            # a twitch: a burst too short to be an LM moves the foot as briefly
            # (so that the accelerometer shows the movement EMG would score)
            lift, fall = rng.uniform(*model.twitch_s), rng.uniform(*model.twitch_s)
        dur = ev.act.span + 6 * fall + 1.0
        m_hi = int(math.ceil(dur * hi_fs))
        th = (np.arange(m_hi) / hi_fs + i0 / fs) - ev.start     # time since the movement's start
        a = ev.act(th)
        # foot angle: the activation held with an exponential fall (lowering or relaxing), then a
        # critically damped second-order lift (two poles of ``lift`` s: 10-90 % rise in 3.4 x lift),
        # so that the angular velocity is continuous and the lever-arm acceleration finite
        alpha = 1.0 - math.exp(-1.0 / (lift * hi_fs))
        shape = signal.lfilter([alpha], [1.0, alpha - 1.0], _peak_hold(a, fall * hi_fs))
        shape = signal.lfilter([alpha], [1.0, alpha - 1.0], shape)
        peak_deg = model.rotation_max_deg * math.tanh(
            model.rotation_deg_per_uv * ONSET_UV * ev.strength / model.rotation_max_deg)
        theta = np.deg2rad(peak_deg) * shape
        b, p = beta[min(i0, n - 1)], phi[min(i0, n - 1)]
        dev = _gravity(u, e1, e2, np.full(m_hi, b), p - theta) - _gravity(u, e1, e2, np.array([b]), np.array([p]))
        d1 = np.gradient(theta, 1.0 / hi_fs)
        d2 = np.gradient(d1, 1.0 / hi_fs)
        dev += (model.lever_m / GRAVITY) * (np.outer(tang, d2) - np.outer(lever, d1 * d1))
        if model.kick_g > 0:
            rms = min(model.kick_g * ev.strength, model.kick_max_g)
            dev += _bandnoise(rng, (3, m_hi), hi_fs, *model.kick_band) * (rms / np.sqrt(3.0)) * a
        if model.tremor_g > 0:
            dev += _bandnoise(rng, (3, m_hi), hi_fs, 6.0, 12.0) * (model.tremor_g * ev.strength / np.sqrt(3.0)) * a
        dev = signal.sosfilt(aa, dev, axis=-1)[:, ::k]
        m = min(dev.shape[1], n - i0)
        x[:, i0:i0 + m] += dev[:, :m]
        ev.extra.update(peak_deg=peak_deg, visible_g=float(np.max(np.linalg.norm(dev, axis=0))))
    return x, (beta, phi, u, e1, e2)


def _peak_hold(x: np.ndarray, tau_samples: float) -> np.ndarray:
    """``max over s <= t of x[s] * exp(-(t - s) / tau)``: a peak held and decaying exponentially.

    In the log domain it is a running maximum: log y[t] + t / tau = max over s <= t of (log x[s] + s / tau).
    """
    idx = np.arange(len(x)) / tau_samples
    with np.errstate(divide="ignore"):
        lg = np.log(np.maximum(x, 1e-300)) + idx
    return np.exp(np.maximum.accumulate(lg) - idx)


def _finish_accel(model: AccelModel, x: np.ndarray, rng) -> np.ndarray:
    x = x + model.noise_g * rng.standard_normal(x.shape)
    if model.step_g > 0:
        x = np.round(x / model.step_g) * model.step_g
    return np.clip(x, -model.range_g, model.range_g)


def _turn_schedule(rng, truth: GroundTruth, model: AccelModel, total: float, reserved) -> list:
    """Turning-over movements placed in pauses (> 95 s from every LM); each is an LM of both legs."""
    want = int(round(model.turns_per_hour * total / 3600.0))
    if want == 0:
        return []
    busy = np.r_[truth.onset, truth.short_onset, truth.weak_onset]
    ends = np.r_[truth.onset + truth.duration, truth.short_onset + truth.short_duration,
                 truth.weak_onset + truth.weak_duration]
    turns = []
    for t0 in rng.permutation(np.arange(100.0, total - 200.0, 7.0))[: 60 * want]:
        if len(turns) == want:
            break
        if np.any((busy < t0 + 100.0) & (ends > t0 - 100.0)):
            continue
        if any(t0 < b + 130.0 and t0 + 10.0 > a - 130.0 for a, b in reserved):
            continue
        if any(abs(t0 - u[0]) < 200.0 for u in turns):
            continue
        turns.append((float(t0), float(rng.uniform(1.5, 4.0)), float(rng.choice([-1, 1]) * np.deg2rad(rng.uniform(30, 150))),
                      float(rng.random())))
    return sorted(turns)


def render_night(kind: str, hours: float, seed: int, model, layout: Layout = CLASSIC_LAYOUT,
                 impairments: tuple[str, ...] = (), severity: float = 1.0) -> tuple[Recording, GroundTruth]:
    """Render a night of ``kind`` with a signal model, a layout and impairments.

    Parameters
    ----------
    kind : {"emg", "accel"}
    hours : float
    seed : int
        Layout and rendering are drawn from ``numpy.random.default_rng(seed)``
        and streams derived from it.
    model : EmgModel or AccelModel
    layout : Layout
    impairments : sequence of str
        Classic impairments that are not model parameters: ``gap``,
        ``nonwear``; accelerometer ``offankle``, ``still_sleep``,
        ``gravity_drift`` (scaled by ``severity``).
    severity : float

    Returns
    -------
    Recording, GroundTruth
    """
    imp = tuple(impairments)
    rng = np.random.default_rng(seed)
    named = _reserved_named(hours, imp)
    truth = design_schedule(hours, rng, [(a, b) for a, b, _ in named], layout)
    truth.excluded = np.array([(a, b) for a, b, k in named if k in EXCLUDED_KINDS], dtype=float).reshape(-1, 2)
    fs = float(model.sfreq)
    n = int(round(hours * 3600.0 * fs))
    total = hours * 3600.0
    event_rng = np.random.default_rng([seed, 1])
    phases = np.random.default_rng([seed, 2]).uniform(0, 2 * np.pi, 2)
    turns = []
    if kind == "accel":
        turns = _turn_schedule(np.random.default_rng([seed, 3]), truth, model, total, [(a, b) for a, b, _ in named])
        _add_still_sleep_lms(truth, named, np.random.default_rng([seed, 4]))
        _add_turn_lms(truth, turns)

        def rest_at(side, t0):
            return VIRTUAL_FLOOR_UV
    else:
        def rest_at(side, t0):
            return float(_floor_profile(model, np.array([t0]), total, phases[int(side == "right")])[0])
    events = _plan_events(truth, model, event_rng, rest_at)
    truth.model = {"kind": kind, "hours": hours, "seed": seed, "impairments": list(imp), "severity": severity,
                   "layout": dataclasses.asdict(layout), "signal": _jsonable(dataclasses.asdict(model))}
    channels: tuple[Channel, ...]
    if kind == "emg":
        data = np.empty((2, n))
        for row, side in enumerate(("left", "right")):
            leg_rng = np.random.default_rng([seed, 10 + row])
            mine = [ev for ev in events if ev.side == side]
            avoid = np.array([(ev.start, ev.start + ev.act.span) for ev in events]).reshape(-1, 2)
            data[row] = _render_emg_leg(model, mine, n, leg_rng, total, phases[row], avoid)
            _apply_common(data[row:row + 1], imp, truth, fs, flat_value=0.0)
        channels = (Channel("Leg L", "uV", "emg", side="left"), Channel("Leg R", "uV", "emg", side="right"))
        device = "synthetic PSG"
    else:
        data = np.empty((6, n))
        for leg, side in enumerate(("left", "right")):
            leg_rng = np.random.default_rng([seed, 20 + leg])
            mine = [ev for ev in events if ev.side == side]
            still = [(a, b) for a, b, k in named if k == "still_sleep"]
            wander = _wander(np.random.default_rng([seed, 30 + leg]), still, fs) if still else None
            x, pose = _render_accel_leg(model, mine, n, leg_rng, total, turns, "gravity_drift" in imp, severity, wander)
            for a, b, k in named:
                if k == "offankle":
                    _off_ankle(np.random.default_rng([seed, 40 + leg]), x, a, b, fs)
            x = _finish_accel(model, x, np.random.default_rng([seed, 50 + leg]))
            data[3 * leg:3 * leg + 3] = x
            _apply_common(data[3 * leg:3 * leg + 3], imp, truth, fs, flat_value=None)
        channels = tuple(Channel(f"{s}_{ax}", "g", "accel", side=s, axis=ax)
                         for s in ("left", "right") for ax in ("x", "y", "z"))
        device = "PAM-RL (synthetic)"
    for ev in events:
        ev.extra.setdefault("peak_deg", None)
    truth.model["events"] = _event_table(events)
    rec = Recording(data=data, sfreq=fs, channels=channels, start_time=START, timezone=TIMEZONE, device=device,
                    source=f"generated {kind} seed={seed} {','.join(imp) or 'clean'}")
    return rec, truth


def _event_table(events: list[_Event]) -> dict:
    """Every rendered movement: start, rule timing, strength and (accelerometer) peak rotation / visible deviation."""
    return {
        "side": [ev.side for ev in events],
        "kind": [ev.kind for ev in events],
        "start": [round(ev.start, 4) for ev in events],
        "onset": [None if ev.timing is None else round(ev.start + ev.timing[0], 4) for ev in events],
        "duration": [None if ev.timing is None else round(ev.timing[1], 4) for ev in events],
        "strength": [round(ev.strength, 4) for ev in events],
        "peak_deg": [ev.extra.get("peak_deg") for ev in events],
        "visible_g": [ev.extra.get("visible_g") for ev in events],
    }


def _jsonable(d):
    if isinstance(d, dict):
        return {k: _jsonable(v) for k, v in d.items()}
    if isinstance(d, (list, tuple)):
        return [_jsonable(v) for v in d]
    if isinstance(d, (np.floating, np.integer)):
        return d.item()
    return d


def _add_still_sleep_lms(truth: GroundTruth, named, rng) -> None:
    """Small isolated LMs (s = 1.3-1.8) 100-300 s apart inside ``still_sleep`` stretches."""
    add_on, add_side = [], []
    for a, b, k in named:
        if k != "still_sleep":
            continue
        t = a + rng.uniform(10.0, 60.0)
        while t < b - 10.0:
            add_on.append(t)
            add_side.append(("left", "right")[rng.integers(2)])
            t += rng.uniform(100.0, 300.0)
    if add_on:
        truth.onset = np.r_[truth.onset, add_on]
        truth.duration = np.r_[truth.duration, rng.uniform(1.0, 2.0, len(add_on))]
        truth.side = np.r_[truth.side, np.array(add_side, "<U5")]
        truth.kind = np.r_[truth.kind, np.full(len(add_on), "still", "<U8")]
        truth.strength = np.r_[truth.strength, np.zeros(len(add_on))]
        truth.expected["n_clm"] += len(add_on)
        _sort_truth(truth)


def _add_turn_lms(truth: GroundTruth, turns) -> None:
    """Turning over moves both legs at once: an LM on each, one bilateral CLM."""
    if not turns:
        return
    on = np.array([t[0] for t in turns])
    du = np.array([t[1] for t in turns])
    truth.onset = np.r_[truth.onset, on, on]
    truth.duration = np.r_[truth.duration, du, du]
    truth.side = np.r_[truth.side, np.array(["left"] * len(on) + ["right"] * len(on), "<U5")]
    truth.kind = np.r_[truth.kind, np.full(2 * len(on), "turn", "<U8")]
    truth.strength = np.r_[truth.strength, np.zeros(2 * len(on))]
    truth.expected["n_clm"] += len(on)
    _sort_truth(truth)


def _wander(rng, stretches, fs: float):
    """Posture wander of 2-5 degrees (2 or 3 slow excursions) inside ``still_sleep`` stretches, applied in place."""
    def apply(beta: np.ndarray, phi: np.ndarray) -> None:
        for a, b in stretches:
            i0, i1 = int(round(a * fs)), int(round(b * fs))
            tt = np.arange(i1 - i0) / fs
            amp = np.deg2rad(rng.uniform(2.0, 5.0))
            cycles = int(rng.integers(2, 4))
            hump = amp * np.sin(np.pi * cycles * tt / max(tt[-1], 1.0)) ** 2
            beta[i0:i1] += hump * np.cos(0.7)
            phi[i0:i1] += hump * np.sin(0.7)
    return apply


def _off_ankle(rng, x: np.ndarray, a: float, b: float, sfreq: float) -> None:
    """Device lying on a table in ``[a, b)`` s, written into ``x`` (3 axes, noise-free) in place.

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
    before, after = x[:, i0].copy(), x[:, i1 - 1].copy()
    edge = np.where(np.arange(i1 - i0) < (i1 - i0) // 2, 0.0, 1.0)
    worn = before[:, None] * (1 - edge) + after[:, None] * edge
    g = worn * (1 - w) + table[:, None] * w
    g /= np.linalg.norm(g, axis=0)
    tt = np.arange(i1 - i0) / sfreq
    g[int(rng.integers(3))] += 0.03 * (1 - np.exp(-tt / 600.0)) * w
    x[:, i0:i1] = g


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


# ------------------------------------------------------------------ the classic nights
def classic_emg_model(impairments=(), sfreq: float = 256.0, severity: float = 1.0) -> EmgModel:
    """The fixed EMG model of the classic nights: 2 uV white floor, 20-70 uV bursts, named impairments."""
    imp = set(impairments)
    sev = float(severity)
    # 20-70 uV RMS bursts over 2 uV: strengths (sqrt(4 + A^2) - 2) / 8
    return EmgModel(
        sfreq=float(sfreq),
        floor_drift=1.0 + 1.5 * sev if "drift" in imp else 1.0,
        strength_near=(2.3, 8.5), strength_strong=(2.3, 8.5),
        mains_hz=50.0 if "mains" in imp else 0.0, mains_uv=100.0 * sev if "mains" in imp else 0.0,
        cardiac_uv=60.0 * sev if "cardiac" in imp else 0.0,
        heart_rate=75.0, heart_rate_swing=20.0 * sev ** 0.5,
        pops_per_hour=15.0 * sev if "pops" in imp else 0.0,
        pop_uv=(200.0 * sev, 1500.0 * sev),
    )


def classic_accel_model(impairments=(), sfreq: float = 40.0, severity: float = 1.0) -> AccelModel:
    """The fixed accelerometer model of the classic nights: strong kicks with a foot rotation, named impairments."""
    imp = set(impairments)
    sev = float(severity)
    return AccelModel(
        sfreq=float(sfreq),
        noise_g=0.01 * sev if "noise" in imp else 0.002,
        step_g=sev / 64.0 if "quantisation" in imp else 0.001,
        range_g=8.0,
        kick_g=0.12, kick_max_g=1.0, rotation_deg_per_uv=0.3,
    )


def make_emg_night(
    hours: float = 1.0,
    seed: int = 0,
    impairments: tuple[str, ...] | list[str] = (),
    sfreq: float = 256.0,
    severity: float = 1.0,
) -> tuple[Recording, GroundTruth]:
    """Two-leg tibialis anterior EMG night (uV) and its ground truth (the classic model).

    Parameters
    ----------
    hours : float
    seed : int
        Everything is drawn from ``numpy.random.default_rng(seed)`` and streams derived from it.
    impairments : sequence of str
        Any of :data:`EMG_IMPAIRMENTS` and :data:`COMMON_IMPAIRMENTS`.
    sfreq : float
        Sampling rate, Hz.
    severity : float
        Scales every impairment (1 = the levels in the module docstring;
        2 = the harder test nights: floor drifting 2 -> 8 uV, 200 uV hum,
        30 pops/h up to 3000 uV, R of 80-160 uV at up to 103 beats/min).

    Returns
    -------
    Recording, GroundTruth
    """
    imp = _check_impairments(impairments, EMG_IMPAIRMENTS)
    model = classic_emg_model(imp, sfreq, severity)
    return render_night("emg", hours, seed, model, CLASSIC_LAYOUT, imp, severity)


def make_accel_night(hours: float = 1.0, seed: int = 0, impairments: tuple[str, ...] | list[str] = (),
                     sfreq: float = 40.0, severity: float = 1.0) -> tuple[Recording, GroundTruth]:
    """Two-ankle tri-axial accelerometer night (g) and its ground truth (the classic model).

    Parameters are those of :func:`make_emg_night`, with ``impairments``
    from :data:`ACCEL_IMPAIRMENTS` and :data:`COMMON_IMPAIRMENTS`, and
    ``severity`` 2 for the harder test nights (0.02 g noise, 1/32 g steps,
    gravity direction drifting twice as far and fast).
    """
    imp = _check_impairments(impairments, ACCEL_IMPAIRMENTS)
    return render_night("accel", hours, seed, classic_accel_model(imp, sfreq, severity), CLASSIC_LAYOUT, imp, severity)


def make_night(kind: str, hours: float = 1.0, seed: int = 0, impairments=(), sfreq: float | None = None,
               severity: float = 1.0):
    """``make_accel_night`` or ``make_emg_night`` by ``kind`` (``"accel"``/``"emg"``)."""
    if kind == "accel":
        return make_accel_night(hours, seed, impairments, sfreq or 40.0, severity)
    if kind == "emg":
        return make_emg_night(hours, seed, impairments, sfreq or 256.0, severity)
    raise ValueError(f"kind must be 'accel' or 'emg', got {kind!r}")


def make_family_night(kind: str, hours: float = 2.0, seed: int = 1000, layout: Layout = FAMILY_LAYOUT,
                      **fixed) -> tuple[Recording, GroundTruth]:
    """A night of the signal-model family: every model parameter drawn from :data:`FAMILY` for ``seed``.

    Parameters
    ----------
    kind : {"emg", "accel"}
    hours : float
    seed : int
        Draws the model (stream ``[seed, 777]``), the layout and the rendering.
        :data:`TUNING_SEEDS` and :data:`HELDOUT_SEEDS` are the two sets used
        for evaluation.
    layout : Layout
    **fixed
        Model parameters to set instead of drawing them (e.g. ``sfreq=40``,
        ``movement="rotation"`` for accelerometers).

    Returns
    -------
    Recording, GroundTruth
        ``truth.model`` holds the drawn parameters.
    """
    mrng = np.random.default_rng([seed, 777])
    if kind == "emg":
        model = draw_emg_model(mrng, **fixed)
    elif kind == "accel":
        model = draw_accel_model(mrng, **fixed)
    else:
        raise ValueError(f"kind must be 'accel' or 'emg', got {kind!r}")
    return render_night(kind, hours, seed, model, layout)


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
    meta["sub_threshold"] = [[float(a), float(b), str(s)] for a, b, s in zip(truth.weak_onset, truth.weak_duration, truth.weak_side)]
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
        from plm.io.edf import write_edf

        p = out / f"{name}.edf"
        write_edf(p, rec)
        written.append(p)
    written.append(write_truth_tsv(out / f"{name}_truth.tsv", truth))
    return written


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


def score_against_truth(rec: Recording, truth: GroundTruth, criteria=None) -> dict:
    """Detect and score a generated night; per-leg F1, PLM and series counts against the truth."""
    import plm
    from plm.detect import detect
    from plm.scoring import score_events

    import warnings

    kind = rec.modality
    crit = criteria or plm.criteria.get("pamrl" if kind == "accel" else "wasm2016")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # excluded time is reported in the row
        lms = detect(rec, crit)
    row: dict = {}
    for side in ("left", "right"):
        f1, tp, fp, fn = lm_f1(truth.leg(side)[0], lms.onset[lms.side == side])
        row[f"f1_{side}"], row[f"fp_{side}"], row[f"fn_{side}"] = f1, fp, fn
    summary = score_events(lms, crit).summary()
    row["plm_true"] = truth.expected["n_plm"]
    row["plm_det"] = int(summary["n_plm"])
    row["plm_err_pct"] = 100.0 * (row["plm_det"] - row["plm_true"]) / max(row["plm_true"], 1)
    row["series_true"] = truth.expected["n_series"]
    row["series_det"] = int(summary["n_series"])
    row["excluded_true_s"] = float(np.sum(np.diff(truth.excluded, axis=1))) if len(truth.excluded) else 0.0
    row["excluded_det_s"] = float(np.sum(np.diff(lms.excluded, axis=1))) if len(lms.excluded) else 0.0
    row["detection"] = lms.context.detection
    return row


def evaluate_night(kind: str, hours: float, seed: int, impairments=(), severity: float = 1.0,
                   sfreq: float | None = None) -> dict:
    """Detect and score one classic night; F1 per leg and PLM counts vs truth."""
    rec, truth = make_night(kind, hours, seed, impairments, sfreq, severity)
    row = {"kind": kind, "impairments": ",".join(impairments) or "clean", "severity": severity,
           "hours": hours, "seed": seed}
    row.update(score_against_truth(rec, truth))
    return row


def evaluate(hours: float = 2.0, seeds=(1, 2, 3), kinds=("accel", "emg"), out=sys.stdout) -> list[dict]:
    """Print per-leg LM F1 and PLM counts on the classic nights (every case x seed)."""
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


def evaluate_family(seeds, hours: float = 2.0, kinds=("accel", "emg"), out=sys.stdout) -> list[dict]:
    """Print per-leg F1, PLM and series counts on family nights of ``seeds`` (one line per night)."""
    rows = []
    print(f"{hours:g} h family nights; F1 = LM onsets within 0.5 s", file=out)
    print(f"{'kind':6} {'seed':>5} {'Hz':>6} {'model':34} {'F1 left':>8} {'F1 right':>8} {'FP':>4} {'FN':>4} "
          f"{'PLM true':>8} {'PLM det':>8} {'err %':>6} {'series t/d':>10}", file=out)
    for kind in kinds:
        for seed in seeds:
            rec, truth = make_family_night(kind, hours, seed)
            r = score_against_truth(rec, truth)
            r.update(kind=kind, seed=seed, sfreq=rec.sfreq, model=_model_tag(truth.model))
            rows.append(r)
            print(f"{kind:6} {seed:5d} {rec.sfreq:6g} {r['model']:34} {r['f1_left']:8.3f} {r['f1_right']:8.3f} "
                  f"{r['fp_left'] + r['fp_right']:4d} {r['fn_left'] + r['fn_right']:4d} {r['plm_true']:8d} "
                  f"{r['plm_det']:8d} {r['plm_err_pct']:+6.1f} {r['series_true']:>4d}/{r['series_det']:<4d}",
                  file=out, flush=True)
    return rows


def _model_tag(model: dict) -> str:
    s = model["signal"]
    if model["kind"] == "emg":
        tags = [f"floor {s['floor_uv']:.1f}uV"]
        if s["mains_uv"]:
            tags.append(f"mains{s['mains_hz']:g}")
        if s["cardiac_uv"]:
            tags.append(f"ecg{s['cardiac_uv']:.0f}")
        if s["floor_pink"] > 0.5:
            tags.append("pink")
        return " ".join(tags)
    vis = s["visibility"][1]
    kind = "kick" if vis < 0.3 else ("rot" if s["kick_g"] == 0 else "mixed")
    step = f" 1/{1 / s['step_g']:.0f}g" if s["step_g"] else ""
    return f"{kind} noise {1000 * s['noise_g']:.1f}mg{step}"


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
    p.add_argument("--family", action="store_true", help="draw the signal model from the family for --seed")
    p.add_argument("--name", default=None, help="file stem (default: <kind>_<hours>h_seed<seed>)")
    p.add_argument("--evaluate", action="store_true", help="print F1 and PLM counts of the detector on classic nights")
    p.add_argument("--evaluate-family", choices=("tuning", "heldout"),
                   help="print F1, PLM and series counts on family nights of the tuning or held-out seeds")
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
    if args.evaluate_family:
        seeds = TUNING_SEEDS if args.evaluate_family == "tuning" else HELDOUT_SEEDS
        evaluate_family(seeds, hours=args.hours if args.hours != 8.0 else 2.0)
        return 0
    if not args.out:
        p.error("--out is required (or use --evaluate)")
    imp = tuple(s.strip() for s in args.impairments.split(",") if s.strip())
    try:
        if args.family:
            fixed = {"sfreq": args.sfreq} if args.sfreq else {}
            rec, truth = make_family_night(args.kind, args.hours, args.seed, **fixed)
        else:
            rec, truth = make_night(args.kind, args.hours, args.seed, imp, args.sfreq)
    except ValueError as exc:
        p.error(str(exc))
    name = args.name or f"{args.kind}_{args.hours:g}h_seed{args.seed}"
    for path in write_night(args.out, name, rec, truth):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
