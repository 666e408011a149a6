"""plm: periodic leg movement scoring from leg EMG, ankle accelerometry or scored events.

Quick use::

    import plm
    result = plm.score(plm.read("night.edf"))          # or plm.read_events("events.txt")
    result.summary()["plms_index"]
"""
from __future__ import annotations

from . import criteria
from ._version import __version__

# Load the scoring subpackage before binding the name ``score`` to the API
# function: importing ``plm.score`` later would otherwise rebind ``plm.score``
# to the subpackage and hide the function.
from . import score as _score_package  # noqa: F401  (order matters)
from .api import score
from .criteria import Criteria
from .errors import CriteriaError, InputError, PlmError
from .events import EventTable, Hypnogram, LegMovements, ScoredEvents
from .io import read, read_events
from .recording import Channel, Recording
from .result import NightResult
from .study import study  # the function; the module stays importable as plm.study

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
]
