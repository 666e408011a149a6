"""Associations of LMs with respiratory events and arousals.

Respiratory (criteria ``respiratory_*``):

* WASM 2016 (Ferri et al. 2016, after Manconi et al. 2015): an LM any part
  of which falls in the window from 2.0 s before to 10.25 s after the END of
  an apnea/hypopnea is respiratory-related; respiratory-related CLMs are
  flagged (CLMr) and PLM is reported with and without them.
  ``respiratory_anchor="end"``, ``respiratory_window=(2.0, 10.25)``,
  ``respiratory_action="flag"``. Window bounds are closed (touching counts),
  as in PLMScoRe.
* AASM: an LM from 0.5 s before the start to 0.5 s after the end of a
  respiratory event is not scored at all. ``respiratory_anchor="event"``,
  ``respiratory_window=(0.5, 0.5)``, ``respiratory_action="exclude"``.

Arousal (both standards): an LM and an arousal are associated when they
overlap or less than ``arousal_gap`` (0.5 s) separates the end of one from
the start of the other; exactly 0.5 s apart is not associated.
"""
from __future__ import annotations

import numpy as np

from ..criteria import Criteria
from ..model import ScoredEvents
from .intervals import overlaps_any

__all__ = ["respiratory_windows", "respiratory_related", "arousal_associated"]


def respiratory_windows(events: ScoredEvents | None, criteria: Criteria) -> tuple[np.ndarray, np.ndarray]:
    """Start and stop of the window around each respiratory event, s."""
    if events is None or len(events) == 0:
        return np.zeros(0), np.zeros(0)
    before, after = criteria.respiratory_window
    end = events.onset + events.duration
    if criteria.respiratory_anchor == "end":
        return end - before, end + after
    return events.onset - before, end + after


def respiratory_related(
    onset: np.ndarray, offset: np.ndarray, events: ScoredEvents | None, criteria: Criteria
) -> np.ndarray:
    """Whether each LM ``[onset, offset]`` touches a respiratory window.

    Parameters
    ----------
    onset, offset : array of float
        LMs, s.
    events : ScoredEvents or None
        Apneas, hypopneas (and RERAs if the source scored them).
    criteria : Criteria

    Returns
    -------
    array of bool
    """
    starts, stops = respiratory_windows(events, criteria)
    return overlaps_any(onset, offset, starts, stops, closed=True)


def arousal_associated(
    onset: np.ndarray, offset: np.ndarray, arousals: ScoredEvents | None, criteria: Criteria
) -> np.ndarray:
    """Whether each LM overlaps an arousal or is less than ``arousal_gap`` from one.

    Parameters
    ----------
    onset, offset : array of float
        LMs, s.
    arousals : ScoredEvents or None
    criteria : Criteria

    Returns
    -------
    array of bool
    """
    if arousals is None or len(arousals) == 0:
        return np.zeros(np.shape(onset), dtype=bool)
    gap = criteria.arousal_gap
    return overlaps_any(onset, offset, arousals.onset - gap, arousals.offset + gap, closed=False)
