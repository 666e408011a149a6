"""Sleep/wake context: stage of each LM, the analysis window and its hours.

* Stage of an LM: the 30 s epoch its onset falls in (SCORING_RULES section
  7); ``"?"`` outside the hypnogram or without staging.
* Analysis window: lights-off to lights-on when given; otherwise the span of
  the hypnogram; otherwise the analysed recording (``duration_s``). LMs with
  onset outside lights-off..lights-on are not scored.
* Excluded intervals (``LegMovements.excluded``: gaps, non-wear, artefact)
  are removed from every denominator, and LMs with onset inside one are not
  scored.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..model import SLEEP_STAGES, Hypnogram
from .intervals import TIME_EPS, overlap_length, total_length, union

__all__ = ["stage_of", "Window", "analysis_window", "stage_seconds", "excluded_seconds"]


def stage_of(hypnogram: Hypnogram | None, times: np.ndarray) -> np.ndarray:
    """Stage code (``W N1 N2 N3 R ?``) of the epoch each time falls in.

    Epochs are half-open ``[start, start + epoch_length)``; a time within
    :data:`~plm.scoring.intervals.TIME_EPS` of an epoch start belongs to that
    epoch.
    """
    t = np.asarray(times, dtype=float).reshape(-1)
    out = np.full(t.shape, "?", dtype="<U2")
    if hypnogram is None or len(hypnogram) == 0:
        return out
    idx = np.floor((t - hypnogram.onset + TIME_EPS) / hypnogram.epoch_length).astype(np.int64)
    inside = (idx >= 0) & (idx < len(hypnogram.stages))
    out[inside] = hypnogram.stages[idx[inside]]
    return out


@dataclass(frozen=True)
class Window:
    """The analysed time of a night.

    Attributes
    ----------
    start, stop : float
        Bounds, s (``-inf``/``inf`` when open).
    lights : bool
        True when lights-off or lights-on was given.
    excluded : tuple of arrays
        Disjoint excluded intervals (starts, stops), s.
    """

    start: float
    stop: float
    lights: bool
    excluded: tuple[np.ndarray, np.ndarray]

    def contains(self, t: np.ndarray) -> np.ndarray:
        """Whether each time is inside ``[start, stop)``."""
        t = np.asarray(t, dtype=float)
        return (t >= self.start - TIME_EPS) & (t < self.stop - TIME_EPS)

    def seconds(self) -> float:
        """Length of the window minus the excluded time inside it, s."""
        if not (np.isfinite(self.start) and np.isfinite(self.stop)):
            return float("nan")
        span = max(self.stop - self.start, 0.0)
        gone = float(overlap_length(np.array(self.start), np.array(self.stop), *self.excluded))
        return max(span - gone, 0.0)


def analysis_window(
    lights_off: float | None,
    lights_on: float | None,
    hypnogram: Hypnogram | None,
    excluded: np.ndarray,
) -> Window:
    """The scoring window: lights-off..lights-on, else the hypnogram's span, else open."""
    exc = np.asarray(excluded, dtype=float).reshape(-1, 2)
    ex = union(exc[:, 0], exc[:, 1])
    start = -np.inf
    stop = np.inf
    if hypnogram is not None and len(hypnogram):
        start, stop = hypnogram.onset, hypnogram.end
    if lights_off is not None:
        start = float(lights_off)
    if lights_on is not None:
        stop = float(lights_on)
    return Window(float(start), float(stop), lights_off is not None or lights_on is not None, ex)


def stage_seconds(hypnogram: Hypnogram, window: Window) -> dict[str, float]:
    """Seconds of each stage inside the window, excluded time removed.

    Returns
    -------
    dict
        Keys ``W N1 N2 N3 R ?`` and ``sleep`` (N1+N2+N3+R).
    """
    n = len(hypnogram.stages)
    e0 = hypnogram.onset + np.arange(n) * hypnogram.epoch_length
    e1 = e0 + hypnogram.epoch_length
    a0 = np.maximum(e0, window.start)
    a1 = np.minimum(e1, window.stop)
    span = np.clip(a1 - a0, 0.0, None)
    gone = np.where(span > 0, overlap_length(a0, np.maximum(a1, a0), *window.excluded), 0.0)
    secs = np.clip(span - gone, 0.0, None)
    out = {s: float(secs[hypnogram.stages == s].sum()) for s in ("W", "N1", "N2", "N3", "R", "?")}
    out["sleep"] = float(sum(out[s] for s in SLEEP_STAGES))
    return out


def excluded_seconds(window: Window) -> float:
    """Excluded seconds inside the window (all of them when the window is open)."""
    if np.isfinite(window.start) and np.isfinite(window.stop):
        return float(overlap_length(np.array(window.start), np.array(window.stop), *window.excluded))
    return total_length(*window.excluded)
