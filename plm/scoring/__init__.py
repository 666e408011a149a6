"""PLM scoring on event lists: bilateral merge, CLM rules, series, associations.

This package works on :class:`~plm.model.events.LegMovements` alone; it imports
neither :mod:`plm.io` nor :mod:`plm.detect`. Modules, in the order a night
goes through them: :mod:`.same_leg`, :mod:`.bilateral`, :mod:`.candidates`,
:mod:`.associations`, :mod:`.series`, :mod:`.sleep_wake`, :mod:`.measures`,
assembled by :mod:`.night`; :mod:`.intervals` holds the shared time
arithmetic. See ``docs/scoring.md``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..criteria import Criteria
    from ..model import LegMovements, NightResult

__all__ = ["score_events"]


def score_events(lms: LegMovements, criteria: str | Criteria = "wasm2016") -> NightResult:
    """Score monolateral LMs under ``criteria``.

    Parameters
    ----------
    lms : LegMovements
        Per-leg LMs with their context (staging, events, lights, exclusions).
    criteria : str or Criteria
        Preset name or criteria object.

    Returns
    -------
    NightResult
    """
    from ..criteria import get
    from .night import score_night

    return score_night(lms, get(criteria))
