"""The top-level Python API: ``plm.read``, ``plm.read_events``, ``plm.score``."""
from __future__ import annotations

import os
from typing import Any

from .. import criteria as _criteria
from ..criteria import Criteria
from ..errors import InputError
from ..model import Hypnogram, LegMovements, NightResult, Recording, ScoredEvents

__all__ = ["score"]


def score(
    data: "Recording | LegMovements | str | os.PathLike",
    criteria: "str | Criteria" = "wasm2016",
    *,
    hypnogram: Hypnogram | None = None,
    respiratory: ScoredEvents | None = None,
    arousals: ScoredEvents | None = None,
    lights_off: float | None = None,
    lights_on: float | None = None,
    threads: int | None = None,
    **overrides: Any,
) -> NightResult:
    """Score one night.

    Parameters
    ----------
    data : Recording, LegMovements or path-like
        Raw signals (leg movements are detected first), already-scored leg
        movements, or a file path (read with :func:`plm.read`, or
        :func:`plm.read_events` when it is an event file).
    criteria : str or Criteria
        Preset name (``"wasm2016"``, ``"wasm2006"``, ``"aasm"``,
        ``"aasm2007"``, ``"pamrl"``) or a :class:`Criteria`.
    hypnogram, respiratory, arousals : optional
        Replace the staging / events carried by ``data``.
    lights_off, lights_on : float, optional
        Seconds from recording start; replace those carried by ``data``.
    threads : int, optional
        Legs of a raw recording detected at the same time (default: one
        per leg, up to the CPUs available; 1 = one after the other, as a
        batch worker running beside others should). Results do not depend
        on it.
    **overrides
        Criteria fields to change, e.g. ``imi_min=5``.

    Returns
    -------
    NightResult
    """
    crit = _criteria.get(criteria, **overrides)
    recording = None
    if isinstance(data, (str, os.PathLike)):
        from ..io import detect_format, read, read_events

        kind, fmt = detect_format(data)
        data = read(data, format=fmt) if kind == "raw" else read_events(data, format=fmt)
    if isinstance(data, Recording):
        from ..detect import detect

        recording = data
        lms = detect(data, crit, threads=threads)
    elif isinstance(data, LegMovements):
        lms = data
    else:
        raise InputError(None, f"score() expects a Recording, LegMovements or a file path, got {type(data).__name__}")
    context = {
        k: v
        for k, v in dict(
            hypnogram=hypnogram, respiratory=respiratory, arousals=arousals, lights_off=lights_off, lights_on=lights_on
        ).items()
        if v is not None
    }
    if context:
        lms = lms.replace(**context)
    from ..scoring import score_events

    result = score_events(lms, crit)
    if recording is not None:
        result = result.replace(recording=recording)
    return result
