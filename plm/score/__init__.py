"""PLM scoring on event lists: bilateral merge, CLM rules, series, associations.

This package works on :class:`~plm.events.LegMovements` alone; it imports
neither :mod:`plm.io` nor :mod:`plm.detect`.
"""
from __future__ import annotations

__all__ = ["score_events"]


def score_events(lms, criteria):
    """Score monolateral LMs under ``criteria``; returns a NightResult."""
    from .night import score_night

    return score_night(lms, criteria)
