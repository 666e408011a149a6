"""The :class:`LegMovements` of one night: per-leg LM onsets and durations with their context."""
from __future__ import annotations

import datetime as _dt
from typing import Any, Iterable

import numpy as np

from ..errors import InputError
from .context import ContextField, NightContext, NightFields, build_context
from .events import SIDES, Hypnogram, ScoredEvents

__all__ = ["LegMovements"]


class LegMovements(NightFields):
    """Monolateral leg movements of one night, with the context to score them.

    Parameters
    ----------
    onset, duration : array of float
        Seconds from recording start.
    side : array of str
        ``"left"`` or ``"right"`` for each LM.
    amplitude : array of float or None
        Peak amplitude above the resting level (uV for EMG, g for
        accelerometry) when known.
    start_time : datetime.datetime or None
        Wall-clock time of second 0 (timezone-aware when known).
    duration_s : float or None
        Length of the analysed recording, s (the time-in-bed denominator when
        no lights-off/on or staging is given).
    lights_off, lights_on : float or None
        Seconds from start; scoring is restricted to this interval.
    hypnogram : Hypnogram or None
    respiratory : ScoredEvents or None
        Apneas, hypopneas, RERAs.
    arousals : ScoredEvents or None
    excluded : array, shape (n, 2)
        Intervals (start, stop) excluded from analysis time (gaps, non-wear).
    source : str
        Where these LMs came from (file path or description).
    metadata : dict
        What the reader found or assumed beyond the fields above, e.g.
        ``side_assumed`` (the file gives no leg), ``duration_assumed_s``,
        ``ignored`` (row labels skipped, with counts), ``start_clock_time``
        (wall-clock time of second 0 when the file gives no date or UTC
        offset), all as read from the file (``shift`` does not change them).
        Keys naming :class:`~plm.model.context.NightContext` fields go into
        the context. See ``docs/formats.md``.
    context : NightContext, optional
        The night's context to start from (e.g. the recording's, held by
        reference); the context arguments above, when given, change it.

    Attributes
    ----------
    context : NightContext
        Start time, length, lights, staging, events, excluded intervals,
        night facts and warnings.
    """

    _FIELDS = ("onset", "duration", "side", "amplitude")
    _FACTS_ARG = "metadata"

    duration_s = ContextField("Length of the analysed recording, s, or None.")
    excluded = ContextField("Intervals excluded from analysis time, shape (n, 2), s.")

    def __init__(
        self,
        onset: np.ndarray,
        duration: np.ndarray,
        side: np.ndarray,
        amplitude: np.ndarray | None = None,
        start_time: _dt.datetime | None = None,
        duration_s: float | None = None,
        lights_off: float | None = None,
        lights_on: float | None = None,
        hypnogram: Hypnogram | None = None,
        respiratory: ScoredEvents | None = None,
        arousals: ScoredEvents | None = None,
        excluded: np.ndarray | None = None,
        source: str | None = None,
        metadata: dict[str, Any] | None = None,
        *,
        context: NightContext | None = None,
    ) -> None:
        context, facts = build_context(context, dict(
            start_time=start_time, duration_s=duration_s, lights_off=lights_off, lights_on=lights_on,
            hypnogram=hypnogram, respiratory=respiratory, arousals=arousals, excluded=excluded, source=source),
            metadata)
        where = context.source or None
        onset = np.asarray(onset, dtype=float).reshape(-1)
        duration = np.asarray(duration, dtype=float).reshape(-1)
        side = np.asarray(side, dtype="<U5").reshape(-1)
        if not (len(onset) == len(duration) == len(side)):
            raise InputError(where, "LM onset, duration and side differ in length")
        if np.any(~np.isfinite(onset)) or np.any(~np.isfinite(duration)):
            raise InputError(where, "LM onsets and durations must be finite numbers")
        if np.any(duration < 0):
            i = int(np.flatnonzero(duration < 0)[0])
            raise InputError(where, f"LM at {onset[i]:.2f} s has negative duration {duration[i]:g} s")
        bad = sorted(set(np.unique(side)) - set(SIDES))
        if bad:
            raise InputError(where, f"LM side must be 'left' or 'right', got {bad}")
        amp = None if amplitude is None else np.asarray(amplitude, dtype=float).reshape(-1)
        if amp is not None and len(amp) != len(onset):
            raise InputError(where, "LM amplitude differs in length from onsets")
        order = np.lexsort((side, onset))
        self._set(onset=onset[order], duration=duration[order], side=side[order],
                  amplitude=None if amp is None else amp[order], _facts=facts, context=context)

    @property
    def metadata(self) -> dict[str, Any]:
        """What the reader found or assumed, with the context's facts (``start_clock_time``, ``warnings``, ...).

        A new dict on each access: change LMs with :meth:`replace`.
        """
        return self._fact_view()

    def __len__(self) -> int:
        return len(self.onset)

    @property
    def offset(self) -> np.ndarray:
        return self.onset + self.duration

    def select(self, mask: np.ndarray) -> "LegMovements":
        """Keep the LMs where ``mask`` is true (context unchanged).

        Parameters
        ----------
        mask : array of bool or int indices

        Returns
        -------
        LegMovements
        """
        return self.replace(
            onset=self.onset[mask],
            duration=self.duration[mask],
            side=self.side[mask],
            amplitude=None if self.amplitude is None else self.amplitude[mask],
        )

    def shift(self, seconds: float) -> "LegMovements":
        """Move every time (LMs, staging, events, lights) by ``seconds``.

        Parameters
        ----------
        seconds : float
            Added to every time; ``start_time`` moves the other way, so
            clock times are unchanged.

        Returns
        -------
        LegMovements
        """
        return self.replace(onset=self.onset + seconds, context=self.context.shift(seconds))

    @classmethod
    def concat(cls, parts: Iterable["LegMovements"], **context: Any) -> "LegMovements":
        """Join LMs of several parts (e.g. left and right leg) into one night.

        Parameters
        ----------
        parts : iterable of LegMovements
        **context
            Other arguments of the result (``start_time``, ``hypnogram``,
            ``context``, ...).

        Returns
        -------
        LegMovements
        """
        parts = list(parts)
        amps = [p.amplitude for p in parts]
        amp = None if any(a is None for a in amps) or not parts else np.concatenate(amps)
        return cls(
            onset=np.concatenate([p.onset for p in parts]) if parts else np.zeros(0),
            duration=np.concatenate([p.duration for p in parts]) if parts else np.zeros(0),
            side=np.concatenate([p.side for p in parts]) if parts else np.zeros(0, dtype="<U5"),
            amplitude=amp,
            **context,
        )

    def __repr__(self) -> str:
        n_left = int(np.count_nonzero(self.side == "left"))
        return (f"<LegMovements {len(self)} LMs (left {n_left}, right {len(self) - n_left})"
                f"{' from ' + repr(self.source) if self.source else ''}>")
