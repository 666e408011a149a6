"""The :class:`LegMovements` of one night: per-leg LM onsets and durations with their context."""
from __future__ import annotations

import dataclasses
import datetime as _dt
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np

from ..errors import InputError
from ..plausibility import check_start_time
from .events import SIDES, EventTable, Hypnogram, ScoredEvents

__all__ = ["LegMovements"]


@dataclass(frozen=True)
class LegMovements:
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
        See ``docs/formats.md``.
    """

    onset: np.ndarray
    duration: np.ndarray
    side: np.ndarray
    amplitude: np.ndarray | None = None
    start_time: _dt.datetime | None = None
    duration_s: float | None = None
    lights_off: float | None = None
    lights_on: float | None = None
    hypnogram: Hypnogram | None = None
    respiratory: ScoredEvents | None = None
    arousals: ScoredEvents | None = None
    excluded: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    source: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        onset = np.asarray(self.onset, dtype=float).reshape(-1)
        duration = np.asarray(self.duration, dtype=float).reshape(-1)
        side = np.asarray(self.side, dtype="<U5").reshape(-1)
        if not (len(onset) == len(duration) == len(side)):
            raise InputError(self.source or None, "LM onset, duration and side differ in length")
        if np.any(~np.isfinite(onset)) or np.any(~np.isfinite(duration)):
            raise InputError(self.source or None, "LM onsets and durations must be finite numbers")
        if np.any(duration < 0):
            i = int(np.flatnonzero(duration < 0)[0])
            raise InputError(self.source or None, f"LM at {onset[i]:.2f} s has negative duration {duration[i]:g} s")
        bad = sorted(set(np.unique(side)) - set(SIDES))
        if bad:
            raise InputError(self.source or None, f"LM side must be 'left' or 'right', got {bad}")
        amp = None if self.amplitude is None else np.asarray(self.amplitude, dtype=float).reshape(-1)
        if amp is not None and len(amp) != len(onset):
            raise InputError(self.source or None, "LM amplitude differs in length from onsets")
        check_start_time(self.source, self.start_time)
        order = np.lexsort((side, onset))
        object.__setattr__(self, "onset", onset[order])
        object.__setattr__(self, "duration", duration[order])
        object.__setattr__(self, "side", side[order])
        object.__setattr__(self, "amplitude", None if amp is None else amp[order])
        exc = np.asarray(self.excluded, dtype=float).reshape(-1, 2)
        object.__setattr__(self, "excluded", exc)

    def __len__(self) -> int:
        return len(self.onset)

    @property
    def offset(self) -> np.ndarray:
        return self.onset + self.duration

    def replace(self, **changes: Any) -> "LegMovements":
        """Return a copy with some fields changed."""
        return dataclasses.replace(self, **changes)

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
        def mv(x):
            return None if x is None else x + seconds

        return self.replace(
            onset=self.onset + seconds,
            lights_off=mv(self.lights_off),
            lights_on=mv(self.lights_on),
            hypnogram=None if self.hypnogram is None else self.hypnogram.shift(seconds),
            respiratory=None if self.respiratory is None else self.respiratory.shift(seconds),
            arousals=None if self.arousals is None else self.arousals.shift(seconds),
            excluded=self.excluded + seconds,
            start_time=None if self.start_time is None else self.start_time - _dt.timedelta(seconds=seconds),
        )

    @classmethod
    def concat(cls, parts: Iterable["LegMovements"], **context: Any) -> "LegMovements":
        """Join LMs of several parts (e.g. left and right leg) into one night.

        Parameters
        ----------
        parts : iterable of LegMovements
        **context
            Other fields of the result (``start_time``, ``hypnogram``, ...).

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

    def to_table(self) -> EventTable:
        cols: dict[str, Any] = {"onset": self.onset, "duration": self.duration, "side": self.side}
        if self.amplitude is not None:
            cols["amplitude"] = self.amplitude
        return EventTable(cols)
