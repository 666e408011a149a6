"""The :class:`NightContext`: what is known about a night besides its signals and leg movements.

One frozen object holds the start time, length, lights, staging, respiratory
events, arousals, excluded intervals, the night's date and the notes and
warnings gathered on the way. A :class:`~plm.model.recording.Recording`, the
:class:`~plm.model.leg_movements.LegMovements` detected in it and the
:class:`~plm.model.result.NightResult` scored from them hold it by reference:
detection and scoring derive a new context only to add what they found
(excluded time, warnings), so no field is ever copied by hand from one object
to the next.
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Mapping

import numpy as np

from ..plausibility import check_start_time
from .events import Hypnogram, ScoredEvents

__all__ = ["NightContext", "night_date", "FACTS", "NIGHT_START_HOUR"]

#: Local hour at which a night's 24 h window opens (noon to noon).
NIGHT_START_HOUR = 12

#: Context fields that are plain facts (text and numbers). They also appear in
#: the fact dicts of the model objects (``Recording.meta``,
#: ``LegMovements.metadata``, ``NightResult.extra``), where readers written
#: before the context existed put them.
FACTS = ("start_clock_time", "night", "night_index", "n_nights", "night_method", "night_window", "notes",
         "warnings")


def night_date(t: _dt.datetime, zone: _dt.tzinfo | None = None) -> _dt.date:
    """Date of the night holding ``t``: the local date of the preceding noon.

    A night that starts at 22:30 on 1 March and one whose recording starts at
    00:30 on 2 March are both the night of 1 March.

    Parameters
    ----------
    t : datetime.datetime
        Timezone-aware.
    zone : tzinfo, optional
        Local time zone; default: the UTC offset ``t`` carries.

    Returns
    -------
    datetime.date
    """
    local = t if zone is None else t.astimezone(zone)
    d = local.date()
    return d if local.hour >= NIGHT_START_HOUR else d - _dt.timedelta(days=1)


def _events_inside(ev: ScoredEvents | None, duration: float) -> ScoredEvents | None:
    if ev is None:
        return None
    return ev.select((ev.offset > 0) & (ev.onset < duration))


@dataclass(frozen=True, eq=False)
class NightContext:
    """Everything known about one night besides its signals and leg movements.

    Times are seconds from the night's second 0 (the first sample of the
    recording). Instances are immutable; :meth:`replace` and
    :meth:`with_warnings` return new ones.

    Parameters
    ----------
    start_time : datetime.datetime or None
        Wall-clock time of second 0, timezone-aware (None when the source
        gives no date or UTC offset; see ``start_clock_time``).
    duration_s : float or None
        Length of the recording, s.
    lights_off, lights_on : float or None
        Seconds from second 0; scoring is restricted to this interval.
    hypnogram : Hypnogram or None
    respiratory : ScoredEvents or None
        Apneas, hypopneas, RERAs; None when never scored (empty: scored, none found).
    arousals : ScoredEvents or None
    excluded : array, shape (n, 2)
        Intervals (start, stop) excluded from analysis time (gaps, non-wear,
        clipping), s.
    source : str
        File path(s) or description of where the night came from.
    start_clock_time : str or None
        Local clock time of second 0 when the source gives no date or UTC
        offset (ISO text), else None.
    night : str or None
        ISO date of the evening the night starts, set by night splitting
        (:func:`plm.nights.split_nights`); otherwise :attr:`night_date` derives
        it from ``start_time``.
    night_index, n_nights : int or None
        Position of the night in its recording, and how many nights it holds.
    night_method : str or None
        How the recording was split (``noon``, ``table``, ``rest``).
    night_window : tuple of str or None
        Start and stop of the night's window (ISO, with UTC offset).
    notes : tuple of str
        What night splitting dropped or assumed.
    warnings : tuple of str
        What readers, the detector and the scorer warned about (each already
        issued a :class:`UserWarning`); a result's summary lists them.
    detection : dict or None
        What the detector used on each leg when the LMs were detected from
        signals: ``modality`` and, per side, the resting noise level and the
        effective onset/offset thresholds (:func:`plm.detect.pipeline.leg_levels`);
        a result's summary shows it.
    """

    start_time: _dt.datetime | None = None
    duration_s: float | None = None
    lights_off: float | None = None
    lights_on: float | None = None
    hypnogram: Hypnogram | None = None
    respiratory: ScoredEvents | None = None
    arousals: ScoredEvents | None = None
    excluded: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    source: str = ""
    start_clock_time: str | None = None
    night: str | None = None
    night_index: int | None = None
    n_nights: int | None = None
    night_method: str | None = None
    night_window: tuple[str, str] | None = None
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    detection: dict | None = None

    def __post_init__(self) -> None:
        check_start_time(self.source, self.start_time)
        object.__setattr__(self, "excluded", np.asarray(self.excluded, dtype=float).reshape(-1, 2))
        object.__setattr__(self, "notes", tuple(self.notes))
        object.__setattr__(self, "warnings", tuple(self.warnings))
        object.__setattr__(self, "source", "" if self.source is None else str(self.source))
        if self.night_window is not None:
            object.__setattr__(self, "night_window", tuple(self.night_window))
        if self.duration_s is not None:
            object.__setattr__(self, "duration_s", float(self.duration_s))

    # ------------------------------------------------------------ changes
    def replace(self, **changes: Any) -> NightContext:
        """A copy with some fields changed.

        Parameters
        ----------
        **changes
            Field names and new values.

        Returns
        -------
        NightContext
        """
        return dataclasses.replace(self, **changes) if changes else self

    def with_warnings(self, warnings: tuple[str, ...] | list[str]) -> NightContext:
        """This context with ``warnings`` added after the ones it has (itself when there are none)."""
        return self.replace(warnings=self.warnings + tuple(warnings)) if warnings else self

    def shift(self, seconds: float) -> NightContext:
        """Every time moved by ``seconds``; ``start_time`` moves the other way, so clock times stay.

        Parameters
        ----------
        seconds : float

        Returns
        -------
        NightContext
        """
        def mv(x):
            return None if x is None else x + seconds

        return self.replace(
            start_time=None if self.start_time is None else self.start_time - _dt.timedelta(seconds=seconds),
            lights_off=mv(self.lights_off),
            lights_on=mv(self.lights_on),
            hypnogram=None if self.hypnogram is None else self.hypnogram.shift(seconds),
            respiratory=None if self.respiratory is None else self.respiratory.shift(seconds),
            arousals=None if self.arousals is None else self.arousals.shift(seconds),
            excluded=self.excluded + seconds,
        )

    def crop(self, t0: float, duration: float) -> NightContext:
        """The context of the stretch ``[t0, t0 + duration)``, re-referenced to ``t0``.

        Respiratory events and arousals keep those that overlap the stretch;
        the hypnogram, lights and excluded intervals are shifted as they are
        (night splitting decides which of them belong to a night).

        Parameters
        ----------
        t0, duration : float
            Seconds.

        Returns
        -------
        NightContext
        """
        moved = self.shift(-t0)
        return moved.replace(duration_s=duration, respiratory=_events_inside(moved.respiratory, duration),
                             arousals=_events_inside(moved.arousals, duration))

    # ------------------------------------------------------------ facts
    @property
    def night_date(self) -> str | None:
        """ISO date of the night: :attr:`night` when set, else from ``start_time`` (:func:`night_date`)."""
        if self.night:
            return self.night
        return None if self.start_time is None else night_date(self.start_time).isoformat()

    def facts(self) -> dict[str, Any]:
        """The :data:`FACTS` that are set, as JSON-ready values (lists, not tuples).

        Night facts appear once a night was split off (``night`` set); notes
        and warnings only when there are some, other facts when not None.
        """
        out: dict[str, Any] = {}
        if self.start_clock_time is not None:
            out["start_clock_time"] = self.start_clock_time
        if self.night is not None:
            out.update(night=self.night, night_index=self.night_index, n_nights=self.n_nights,
                       night_method=self.night_method,
                       night_window=None if self.night_window is None else list(self.night_window),
                       notes=list(self.notes))
        elif self.notes:
            out["notes"] = list(self.notes)
        if self.warnings:
            out["warnings"] = list(self.warnings)
        return out


#: Names a model constructor takes as context fields (keywords or, for old readers, dict keys).
CONTEXT_FIELDS = tuple(f.name for f in dataclasses.fields(NightContext))


def build_context(context: NightContext | None, given: Mapping[str, Any],
                  facts: Mapping[str, Any] | None) -> tuple[NightContext, dict[str, Any]]:
    """The context of a model object being built, and its remaining fact dict.

    Parameters
    ----------
    context : NightContext or None
        The context to start from (held by reference when nothing changes).
    given : mapping
        Context fields passed as keywords (None = not given).
    facts : mapping or None
        The object's free-form dict (``meta``, ``metadata``, ``extra``);
        keys that name context fields are taken into the context.

    Returns
    -------
    context : NightContext
    rest : dict
        ``facts`` without the context keys.
    """
    rest = dict(facts or {})
    changes = {k: rest.pop(k) for k in CONTEXT_FIELDS if k in rest}
    changes.update({k: v for k, v in given.items() if v is not None})
    base = context if context is not None else NightContext()
    return base.replace(**changes), rest


class ContextField:
    """A read-only attribute of a model object that reads its :class:`NightContext`."""

    def __init__(self, doc: str = "") -> None:
        self.__doc__ = doc

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        return getattr(obj.context, self.name)


class HoldsContext:
    """Base of the frozen model objects that hold a :class:`NightContext`.

    Subclasses name their own constructor fields in ``_FIELDS`` (the context
    and the fact dict excluded) and the constructor argument of the fact dict
    in ``_FACTS_ARG``; they store that dict, without its context keys, as
    ``_facts``.
    """

    _FIELDS: tuple[str, ...] = ()
    _FACTS_ARG = "meta"
    # Jobs done by layers above the model (writing files, MNE objects, plotting): the
    # package wires them in (``plm/__init__.py``), so the model imports none of those
    # layers and they all may import the model. Each class that delegates has its own dict.
    _DELEGATES: ClassVar[dict[str, Callable[..., Any]]] = {}
    context: NightContext

    @classmethod
    def delegate(cls, **jobs: Callable[..., Any]) -> None:
        """Name the functions that do this class's jobs of upper layers (``save``, ``to_mne``, ...).

        Parameters
        ----------
        **jobs
            Method name to function taking the object first.
        """
        cls._DELEGATES.update(jobs)

    def _job(self, name: str) -> Callable[..., Any]:
        try:
            return self._DELEGATES[name]
        except KeyError:
            raise RuntimeError(f"{type(self).__name__}.{name} is wired in by the plm package; "
                               "import plm first") from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable; use replace()")

    def _set(self, **values: Any) -> None:
        for k, v in values.items():
            object.__setattr__(self, k, v)

    def _fact_view(self) -> dict[str, Any]:
        """The stored facts plus the context's (:data:`FACTS`)."""
        return {**self._facts, **self.context.facts()}

    def replace(self, **changes: Any):
        """Return a copy with some fields (own or of the context) changed.

        Parameters
        ----------
        **changes
            Field names and new values (validated as on construction); a
            context field given as None is cleared.

        Returns
        -------
        Same type as ``self``.
        """
        ctx = {k: changes.pop(k) for k in CONTEXT_FIELDS if k in changes}
        context = changes.pop("context", self.context).replace(**ctx)
        unknown = sorted(set(changes) - set(self._FIELDS) - {self._FACTS_ARG})
        if unknown:
            raise TypeError(f"{type(self).__name__}.replace() got unknown field(s) {unknown}")
        kwargs = {name: getattr(self, name) for name in self._FIELDS}
        kwargs[self._FACTS_ARG] = self._facts
        kwargs.update(changes)
        return type(self)(**kwargs, context=context)


class NightFields(HoldsContext):
    """The context fields a Recording and its LegMovements both show as attributes."""

    start_time = ContextField("Wall-clock time of second 0 (timezone-aware); None for LMs without a date.")
    lights_off = ContextField("Lights off, s from second 0, or None.")
    lights_on = ContextField("Lights on, s from second 0, or None.")
    hypnogram = ContextField("Sleep staging, or None.")
    respiratory = ContextField("Apneas, hypopneas, RERAs, or None (never scored).")
    arousals = ContextField("Arousals, or None (never scored).")
    source = ContextField("File path(s) or description of where the night came from.")
    warnings = ContextField("What the reader (and the detector) warned about (tuple of str).")
