"""Leg-movement detection from raw signals (EMG and accelerometry).

:func:`detect` is the entry point: it runs the detector that fits each leg's
modality and returns monolateral LMs with the recording's context.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..criteria import Criteria
    from ..model import LegMovements, Recording

__all__ = ["detect"]


def detect(
    recording: Recording, criteria: Criteria, *, chunk_seconds: float | None = None, threads: int | None = None
) -> LegMovements:
    """Detect monolateral leg movements in a recording.

    Parameters
    ----------
    recording : Recording
        Leg EMG (uV) or ankle accelerometry (g) with channel sides.
    criteria : Criteria
    chunk_seconds : float, optional
        Length of the chunks the signal is processed in (default 30 min;
        ``math.inf`` for the whole signal at once). Results do not depend on it.
    threads : int, optional
        Legs detected at the same time (default: one per leg, up to the
        CPUs available; 1 = one after the other). Results do not depend on it.

    Returns
    -------
    LegMovements
        Per-leg LMs, carrying the recording's start time, duration, staging,
        respiratory events, arousals, lights and excluded intervals.
    """
    from .pipeline import detect_recording

    return detect_recording(recording, criteria, chunk_seconds=chunk_seconds, threads=threads)
