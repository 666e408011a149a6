"""The model layer: the objects a night passes through.

:class:`Recording` (raw signals), :class:`LegMovements` (monolateral LMs) and
:class:`NightResult` (the scored night), with the event containers they hold
(:class:`Hypnogram`, :class:`ScoredEvents`, :class:`EventTable`). These modules
import nothing of ``plm`` but the utilities (see ``docs/design.md``).
"""
from __future__ import annotations

from .events import SLEEP_STAGES, STAGES, EventTable, Hypnogram, ScoredEvents
from .leg_movements import LegMovements
from .recording import Channel, Recording
from .result import SUMMARY_KEYS, NightResult

__all__ = [
    "Channel",
    "EventTable",
    "Hypnogram",
    "LegMovements",
    "NightResult",
    "Recording",
    "SLEEP_STAGES",
    "STAGES",
    "SUMMARY_KEYS",
    "ScoredEvents",
]
