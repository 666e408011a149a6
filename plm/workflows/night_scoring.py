"""The one path from input to scored nights: read, cut into nights, detect, score.

Every entry point goes through here, so they give the same nights and
numbers: the Python API (:func:`score`, :func:`score_nights`), ``plm score``,
``plm batch``, ``plm study`` and ``plm report``. The steps are public for
workflows that repeat one of them (scoring the same nights under several
criteria): :func:`read_nights` reads files and cuts recordings into nights,
:func:`score_night` detects and scores one night as it is.

A recording is cut into nights by the rule of its :class:`ReadOptions`
(noon to noon by default, ``docs/nights.md``); a recording that already is a
night (from :func:`plm.nights.split_nights`, its context names the night) is
not cut again. An event file is one night.
"""
from __future__ import annotations

import os
import warnings
from typing import Any, Sequence, Union

from .. import criteria as _criteria
from ..criteria import Criteria
from ..detect import detect
from ..errors import InputError
from ..model import Hypnogram, LegMovements, NightResult, Recording, ScoredEvents
from ..nights import split_nights
from ..plausibility import check_recording
from ..scoring import score_events
from ..io.mne_raw import is_mne_raw
from .reading import ReadOptions, read_inputs, read_raw_object

__all__ = ["score", "score_nights", "score_night", "read_nights", "Night"]

#: One night ready to score: raw signals (detected first) or already-scored leg movements.
Night = Union[Recording, LegMovements]
#: What the entry points take: a night's objects or its files.
Data = Union[Recording, LegMovements, str, os.PathLike, Sequence[Union[str, os.PathLike]]]


def read_nights(
    data: Data,
    read_options: ReadOptions | None = None,
    *,
    hypnogram: Hypnogram | None = None,
    respiratory: ScoredEvents | None = None,
    arousals: ScoredEvents | None = None,
    lights_off: float | None = None,
    lights_on: float | None = None,
) -> list[Night]:
    """The nights in ``data``, in order: a recording's nights (in time order), then each event file.

    Parameters
    ----------
    data : Recording, LegMovements, mne.io.BaseRaw, path-like or sequence of path-like
        Raw files are read together as one recording (left and right ankle
        of one night); event files one by one; an MNE Raw as its file would
        be (its leg EMG channels, ``read_options.channels``/``tz`` apply).
    read_options : ReadOptions, optional
        How to read the files and cut recordings into nights.
    hypnogram, respiratory, arousals : optional
        Replace the staging / events carried by ``data`` (times in seconds
        from its start, before it is cut into nights).
    lights_off, lights_on : float, optional
        Seconds from the start of ``data``; replace those it carries.

    Returns
    -------
    list of Recording or LegMovements
    """
    options = read_options or ReadOptions()
    if is_mne_raw(data):
        recording, events = read_raw_object(data, options), []
    elif isinstance(data, Recording):
        recording, events = check_recording(data), []  # before cutting: a rate of 2 Hz is not 12 nights
    elif isinstance(data, LegMovements):
        recording, events = None, [data]
    elif isinstance(data, (str, os.PathLike)) or (
            isinstance(data, Sequence) and data and all(isinstance(p, (str, os.PathLike)) for p in data)):
        inputs = read_inputs([data] if isinstance(data, (str, os.PathLike)) else list(data), options)
        recording, events = inputs.recording, inputs.events
    else:
        raise InputError(None, f"score() expects a Recording, LegMovements, an MNE Raw or a file path, "
                               f"got {type(data).__name__}")
    context = {k: v for k, v in dict(hypnogram=hypnogram, respiratory=respiratory, arousals=arousals,
                                     lights_off=lights_off, lights_on=lights_on).items() if v is not None}
    if context:
        recording = None if recording is None else recording.replace(**context)
        events = [lms.replace(**context) for lms in events]
    nights: list[Night] = []
    if recording is not None:
        if recording.context.night is not None:
            nights.append(recording)
        else:
            nights.extend(split_nights(recording, method=options.nights, table=options.lights))
    return nights + events


def score_night(night: Night, criteria: str | Criteria = "wasm2016", *, threads: int | None = None) -> NightResult:
    """Score one night as it is (detecting its leg movements first when it is a recording).

    Parameters
    ----------
    night : Recording or LegMovements
        One night (see :func:`read_nights`); a recording is not cut.
    criteria : str or Criteria
    threads : int, optional
        Legs of a recording detected at the same time (see :func:`score`).

    Returns
    -------
    NightResult
        With ``recording`` set when scored from signals.
    """
    crit = _criteria.get(criteria)
    if isinstance(night, Recording):
        # also a recording built in Python or changed after reading meets the bounds (a checked one passes as it is)
        night = check_recording(night)
        return score_events(_with_legs(detect(night, crit, threads=threads), night), crit).replace(recording=night)
    return score_events(night, crit)


def _with_legs(lms: LegMovements, recording: Recording) -> LegMovements:
    """Record how many legs were scored and that the length is the signal's; one leg alone is a warning.

    A one-leg night has no bilateral movements and counts one leg's
    movements, so its index is lower than that of the same night recorded
    on both legs.
    """
    sides = recording.sides
    lms = lms.replace(metadata=dict(lms.metadata, n_legs=len(sides), duration_source="signal"))
    if len(sides) != 1:
        return lms
    note = (f"only the {sides[0]} leg was recorded: the PLM index counts one leg's movements and is not "
            "comparable with two-leg nights")
    if note in lms.warnings:
        return lms
    warnings.warn(f"{recording.source or 'recording'}: {note}", UserWarning, stacklevel=3)
    return lms.replace(context=lms.context.with_warnings([note]))


def score_nights(
    data: Data,
    criteria: str | Criteria = "wasm2016",
    *,
    read_options: ReadOptions | None = None,
    hypnogram: Hypnogram | None = None,
    respiratory: ScoredEvents | None = None,
    arousals: ScoredEvents | None = None,
    lights_off: float | None = None,
    lights_on: float | None = None,
    threads: int | None = None,
    **overrides: Any,
) -> list[NightResult]:
    """Score every night in ``data``: one result per night.

    A recording is cut into nights by the rule of ``read_options`` (noon to
    noon in local time by default, ``docs/nights.md``), as ``plm score``
    does; an event file is one night.

    Parameters
    ----------
    data : Recording, LegMovements, path-like or sequence of path-like
        Raw signals, already-scored leg movements, or file paths (raw files
        of one night are read together, e.g. left and right ankle).
    criteria : str or Criteria
        Preset name (``"wasm2016"``, ``"wasm2006"``, ``"aasm"``,
        ``"aasm2007"``, ``"pamrl"``) or a :class:`Criteria`.
    read_options : ReadOptions, optional
        Reading options (``tz``, ``side``, ``channels``, ``format``) and how
        to cut nights (``nights``, ``lights``).
    hypnogram, respiratory, arousals : optional
        Replace the staging / events carried by ``data``.
    lights_off, lights_on : float, optional
        Seconds from the start of ``data``; replace those carried by ``data``.
    threads : int, optional
        Legs of a raw recording detected at the same time (default: one
        per leg, up to the CPUs available; 1 = one after the other, as a
        batch worker running beside others should). Results do not depend
        on it.
    **overrides
        Criteria fields to change, e.g. ``imi_min=5``.

    Returns
    -------
    list of NightResult
        A recording's nights in time order, then event files in the order given.
    """
    crit = _criteria.get(criteria, **overrides)
    nights = read_nights(data, read_options, hypnogram=hypnogram, respiratory=respiratory, arousals=arousals,
                         lights_off=lights_off, lights_on=lights_on)
    return [score_night(n, crit, threads=threads) for n in nights]


def score(
    data: Data,
    criteria: str | Criteria = "wasm2016",
    *,
    read_options: ReadOptions | None = None,
    hypnogram: Hypnogram | None = None,
    respiratory: ScoredEvents | None = None,
    arousals: ScoredEvents | None = None,
    lights_off: float | None = None,
    lights_on: float | None = None,
    threads: int | None = None,
    **overrides: Any,
) -> NightResult:
    """Score one night.

    ``data`` must hold exactly one night by the rule ``plm score`` cuts
    recordings with (noon to noon in local time unless ``read_options``
    says otherwise, ``docs/nights.md``): a recording spanning two nights is
    an InputError naming :func:`plm.score_nights`, which scores each.

    Parameters
    ----------
    data : Recording, LegMovements, path-like or sequence of path-like
        Raw signals (leg movements are detected first), already-scored leg
        movements, or file paths (raw files of one night are read together).
    criteria : str or Criteria
        Preset name or :class:`Criteria`.
    read_options : ReadOptions, optional
    hypnogram, respiratory, arousals, lights_off, lights_on : optional
    threads : int, optional
    **overrides
        As for :func:`score_nights`.

    Returns
    -------
    NightResult
    """
    crit = _criteria.get(criteria, **overrides)
    nights = read_nights(data, read_options, hypnogram=hypnogram, respiratory=respiratory, arousals=arousals,
                         lights_off=lights_off, lights_on=lights_on)
    if len(nights) != 1:
        where = next((n.source for n in nights if n.source), None) if nights else None
        dates = ", ".join(str(n.context.night_date) for n in nights)
        raise InputError(where, f"holds {len(nights)} nights ({dates}); plm.score scores one night: "
                                "plm.score_nights(...) gives one result per night (docs/nights.md)")
    return score_night(nights[0], crit, threads=threads)
