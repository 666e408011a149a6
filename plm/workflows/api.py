"""The top-level Python API: ``plm.read``, ``plm.read_events``, ``plm.score``."""
from __future__ import annotations

import os
import warnings
from typing import Any

from .. import criteria as _criteria
from ..criteria import Criteria
from ..errors import InputError
from ..model import Hypnogram, LegMovements, NightResult, Recording, ScoredEvents
from ..plausibility import check_recording

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

        # Also a recording built in Python, or changed after reading, meets the bounds
        # (a checked one passes unchanged).
        recording = check_recording(data)
        lms = _with_legs(detect(recording, crit, threads=threads), recording)
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
        import dataclasses

        result = dataclasses.replace(result, recording=recording)
    return result


def _with_legs(lms: LegMovements, recording: Recording) -> LegMovements:
    """Record the number of legs scored and that the length is the signal's; one leg alone is a warning.

    A one-leg night has no bilateral movements and counts one leg's
    movements, so its index is lower than that of the same night recorded
    on both legs.
    """
    sides = recording.sides
    meta = dict(lms.metadata, n_legs=len(sides), duration_source="signal")
    if len(sides) == 1:
        note = (f"only the {sides[0]} leg was recorded: the PLM index counts one leg's movements and is not "
                "comparable with two-leg nights")
        known = list(meta.get("warnings", ()))
        if note not in known:
            warnings.warn(f"{recording.source or 'recording'}: {note}", UserWarning, stacklevel=3)
            meta["warnings"] = known + [note]
    return lms.replace(metadata=meta)
