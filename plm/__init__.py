"""plm: periodic leg movement scoring from leg EMG, ankle accelerometry or scored events.

Quick use::

    import plm
    result = plm.score(plm.read("night.edf"))          # or plm.read_events("events.txt")
    result.summary()["plms_index"]
"""
from __future__ import annotations

from . import criteria
from ._version import __version__

from .workflows.api import score
from .criteria import Criteria
from .errors import CriteriaError, InputError, PlmError
from .model import Channel, EventTable, Hypnogram, LegMovements, NightResult, Recording, ScoredEvents
from .io import read, read_events
from .workflows.study import study
from .workflows.compare import compare
from .workflows.calibrate import calibrate

__all__ = [
    "__version__",
    "criteria",
    "Criteria",
    "CriteriaError",
    "InputError",
    "PlmError",
    "EventTable",
    "Hypnogram",
    "LegMovements",
    "ScoredEvents",
    "Channel",
    "Recording",
    "NightResult",
    "read",
    "read_events",
    "score",
    "study",
    "compare",
    "calibrate",
]
