"""The model layer: the objects a night passes through.

:class:`Recording` (raw signals), :class:`LegMovements` (monolateral LMs) and
:class:`NightResult` (the scored night), with the event containers they hold
(:class:`Hypnogram`, :class:`ScoredEvents`) and the columns of its per-LM
tables (:data:`EVENT_COLUMNS`, :data:`LM_COLUMNS`, pandas DataFrames). These modules
import nothing of ``plm`` but the utilities (see ``docs/design.md``).
"""
from __future__ import annotations

from .events import EVENT_COLUMNS, LM_COLUMNS, SLEEP_STAGES, STAGES, Column, Hypnogram, ScoredEvents, event_frame
from .leg_movements import LegMovements
from .recording import Channel, Recording
from .result import SUMMARY_KEYS, NightResult

__all__ = [
    "Channel",
    "Column",
    "EVENT_COLUMNS",
    "LM_COLUMNS",
    "event_frame",
    "Hypnogram",
    "LegMovements",
    "NightResult",
    "Recording",
    "SLEEP_STAGES",
    "STAGES",
    "SUMMARY_KEYS",
    "ScoredEvents",
]
