"""Small builders for hand-worked scoring examples (imported by tests/test_score_*.py)."""
from __future__ import annotations

import numpy as np

import plm
from plm.model import Hypnogram, LegMovements, ScoredEvents


def night(events, **context) -> LegMovements:
    """LegMovements from ``(onset, duration, side)`` tuples; 1 h recording unless given."""
    events = list(events)
    context.setdefault("duration_s", 3600.0)
    if events:
        on, du, sd = zip(*events)
    else:
        on, du, sd = (), (), ()
    return LegMovements(np.array(on, float), np.array(du, float), np.array(sd, dtype="<U5"), **context)


def periodic(onsets, duration=1.0, side="left"):
    """Events at the given onsets, all of one duration and side."""
    return [(float(t), duration, side) for t in onsets]


def resp(*intervals, label="apnea") -> ScoredEvents:
    """Respiratory events (or arousals) from ``(onset, duration)`` pairs."""
    on = np.array([i[0] for i in intervals], float)
    du = np.array([i[1] for i in intervals], float)
    return ScoredEvents(on, du, np.full(len(intervals), label))


def arousals(*intervals) -> ScoredEvents:
    return resp(*intervals, label="arousal")


def hypno(codes: str, onset: float = 0.0) -> Hypnogram:
    """Hypnogram from a space-separated string of stage codes (30 s epochs)."""
    return Hypnogram(np.array(codes.split()), 30.0, onset)


def score(events, criteria="wasm2016", **context):
    """Score ``events`` (tuples) with the given context; returns the NightResult."""
    overrides = context.pop("overrides", {})
    return plm.score(night(events, **context), criteria=criteria, **overrides)
