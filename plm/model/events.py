"""Event containers shared by readers, detectors and the scorer.

Times are float seconds from the recording start (``start_time``, a
timezone-aware datetime when known). Containers are immutable; methods that
change something return a new object.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

import numpy as np


__all__ = [
    "Column",
    "EVENT_COLUMNS",
    "LM_COLUMNS",
    "event_frame",
    "Hypnogram",
    "ScoredEvents",
    "STAGES",
    "SLEEP_STAGES",
]

#: Stage codes of a 30 s hypnogram; ``"?"`` is unscored / unknown.
STAGES = ("W", "N1", "N2", "N3", "R", "?")
SLEEP_STAGES = ("N1", "N2", "N3", "R")
SIDES = ("left", "right")


@dataclass(frozen=True)
class Column:
    """One column of an event table: its dtype and its description (BIDS sidecar terms).

    Parameters
    ----------
    dtype : str
        ``"float64"``, ``"int64"``, ``"bool"`` or ``"str"``.
    description : str
        What the column holds (BIDS ``Description``).
    units : str or None
        BIDS ``Units`` (``"s"``), None for unitless columns.
    levels : mapping of str to str, optional
        Value to meaning, for categorical columns (BIDS ``Levels``).
    """

    dtype: str
    description: str
    units: str | None = None
    levels: Mapping[str, str] | None = None


_STAGE_LEVELS = {"W": "wake", "N1": "NREM 1", "N2": "NREM 2", "N3": "NREM 3", "R": "REM",
                 "?": "unscored, or no staging"}
_SIDE_LEVELS = {"left": "left leg", "right": "right leg"}

#: Columns of :attr:`NightResult.events <plm.model.result.NightResult.events>`:
#: one row per monolateral LM after same-leg merging, in onset order.
EVENT_COLUMNS: dict[str, Column] = {
    "onset": Column("float64", "Start of the leg movement, seconds from the recording start", "s"),
    "duration": Column("float64", "Length of the leg movement (after same-leg merging)", "s"),
    "side": Column("str", "Leg the movement was recorded on", levels=_SIDE_LEVELS),
    "trial_type": Column("str", "Event kind", levels={"lm_left": "leg movement of the left leg",
                                                      "lm_right": "leg movement of the right leg"}),
    "lm_id": Column("int64", "Row of the merged (bilateral) LM this movement belongs to, in NightResult.lms; "
                             "-1: not scored (see reason)"),
    "is_clm": Column("bool", "Its merged LM is a candidate leg movement (CLM)"),
    "is_clmr": Column("bool", "Its merged LM is a respiratory-related CLM (CLMr)"),
    "respiratory": Column("bool", "Its merged LM is respiratory-related (or it was excluded as such)"),
    "is_plm": Column("bool", "Its merged LM belongs to a periodic series (PLM)"),
    "is_plmnr": Column("bool", "Its merged LM belongs to a periodic series counted without CLMr (PLMnr)"),
    "series": Column("int64", "Periodic series number, 1, 2, ... in onset order; -1: in no series"),
    "stage": Column("str", "Sleep stage at the onset", levels=_STAGE_LEVELS),
    "in_sleep": Column("bool", "The onset is in sleep (N1, N2, N3 or R)"),
    "arousal": Column("bool", "An arousal is associated with the movement"),
    "n_merged": Column("int64", "Input rows of this leg merged into the movement (same-leg merging)"),
    "reason": Column("str", "Why the movement was not scored; empty when it was scored",
                     levels={"too_short": "shorter than lm_min_duration",
                             "outside_lights": "onset before lights-off or from lights-on",
                             "excluded_interval": "onset in excluded time (gap, non-wear)",
                             "too_long": "longer than lm_max_duration (long_lm_breaks false)",
                             "respiratory_excluded": "respiratory-related (respiratory_action exclude)"}),
}

#: Columns of :attr:`NightResult.lms <plm.model.result.NightResult.lms>`:
#: one row per scored LM after bilateral merging, in onset order.
LM_COLUMNS: dict[str, Column] = {
    "lm_id": Column("int64", "Row number of the merged LM"),
    "onset": Column("float64", "Start of the merged LM, seconds from the recording start", "s"),
    "duration": Column("float64", "Length of the merged LM", "s"),
    "sides": Column("str", "Legs taking part", levels={"left": "left leg only", "right": "right leg only",
                                                      "bilateral": "both legs"}),
    "n_parts": Column("int64", "Monolateral LMs merged into it"),
    "n_left": Column("int64", "Of those, on the left leg"),
    "n_right": Column("int64", "Of those, on the right leg"),
    "is_clm": EVENT_COLUMNS["is_clm"],
    "is_clmr": EVENT_COLUMNS["is_clmr"],
    "respiratory": EVENT_COLUMNS["respiratory"],
    "is_plm": EVENT_COLUMNS["is_plm"],
    "is_plmnr": EVENT_COLUMNS["is_plmnr"],
    "series": EVENT_COLUMNS["series"],
    "series_nr": Column("int64", "Series number without CLMr (PLMnr series); -1: in no series"),
    "imi": Column("float64", "Intermovement interval from the previous LM; NaN where undefined", "s"),
    "stage": EVENT_COLUMNS["stage"],
    "in_sleep": EVENT_COLUMNS["in_sleep"],
    "arousal": Column("bool", "An arousal is associated with the merged LM"),
}


def event_frame(columns: Any = None, schema: Mapping[str, Column] = EVENT_COLUMNS) -> "pandas.DataFrame":  # noqa: F821
    """A :class:`pandas.DataFrame` of per-LM columns, with the dtypes of ``schema``.

    The scorer works on numpy arrays; this builds the table a result holds
    (pandas is imported here, not with ``plm``).

    Parameters
    ----------
    columns : DataFrame or mapping of str to array-like, optional
        Column name to equal-length values. None or empty: no rows, every
        column of ``schema``.
    schema : mapping of str to Column
        :data:`EVENT_COLUMNS` or :data:`LM_COLUMNS`; columns it names get its
        dtype, other columns are kept as given.

    Returns
    -------
    pandas.DataFrame
        A new frame with a default (0, 1, ...) index.
    """
    import pandas as pd

    if columns is None or len(columns) == 0:
        columns = {name: np.zeros(0, dtype=object if col.dtype == "str" else col.dtype)
                   for name, col in schema.items()}
    if isinstance(columns, pd.DataFrame):
        frame = columns.reset_index(drop=True)
    else:
        cols = {k: np.asarray(v) for k, v in columns.items()}
        lengths = {len(v) for v in cols.values()}
        if len(lengths) > 1:
            raise ValueError(f"event table columns differ in length: { {k: len(v) for k, v in cols.items()} }")
        frame = pd.DataFrame(cols)
    cast = {name: (str if schema[name].dtype == "str" else schema[name].dtype)
            for name in frame.columns if name in schema}
    return frame.astype(cast) if cast else frame.copy()


@dataclass(frozen=True)
class ScoredEvents:
    """Generic scored events (respiratory events, arousals).

    Parameters
    ----------
    onset, duration : array of float
        Seconds from recording start; durations are >= 0.
    label : array of str
        Event kind, e.g. ``"apnea"``, ``"hypopnea"``, ``"rera"``, ``"arousal"``.
    """

    onset: np.ndarray
    duration: np.ndarray
    label: np.ndarray

    def __post_init__(self) -> None:
        onset = np.asarray(self.onset, dtype=float).reshape(-1)
        duration = np.asarray(self.duration, dtype=float).reshape(-1)
        label = np.asarray(self.label, dtype=str).reshape(-1)
        if not (len(onset) == len(duration) == len(label)):
            raise ValueError("onset, duration and label must have the same length")
        order = np.argsort(onset, kind="stable")
        object.__setattr__(self, "onset", onset[order])
        object.__setattr__(self, "duration", duration[order])
        object.__setattr__(self, "label", label[order])

    @classmethod
    def empty(cls) -> "ScoredEvents":
        return cls(np.zeros(0), np.zeros(0), np.zeros(0, dtype=str))

    def __len__(self) -> int:
        return len(self.onset)

    @property
    def offset(self) -> np.ndarray:
        return self.onset + self.duration

    def shift(self, seconds: float) -> "ScoredEvents":
        """Return the events with all onsets moved by ``seconds``."""
        return ScoredEvents(self.onset + seconds, self.duration, self.label)

    def select(self, mask: np.ndarray) -> "ScoredEvents":
        return ScoredEvents(self.onset[mask], self.duration[mask], self.label[mask])


@dataclass(frozen=True)
class Hypnogram:
    """Sleep stages in fixed-length epochs.

    Parameters
    ----------
    stages : array of str
        One code per epoch from :data:`STAGES` (``W, N1, N2, N3, R, ?``).
    epoch_length : float
        Seconds per epoch (30).
    onset : float
        Start of the first epoch, seconds from recording start.
    """

    stages: np.ndarray
    epoch_length: float = 30.0
    onset: float = 0.0

    def __post_init__(self) -> None:
        stages = np.asarray(self.stages, dtype="<U2").reshape(-1)
        bad = sorted(set(np.unique(stages)) - set(STAGES))
        if bad:
            raise ValueError(f"unknown sleep stage code(s) {bad}; expected {list(STAGES)}")
        if not self.epoch_length > 0:
            raise ValueError(f"epoch_length must be > 0, got {self.epoch_length}")
        object.__setattr__(self, "stages", stages)
        object.__setattr__(self, "epoch_length", float(self.epoch_length))
        object.__setattr__(self, "onset", float(self.onset))

    def __len__(self) -> int:
        return len(self.stages)

    @property
    def duration(self) -> float:
        """Seconds covered by the hypnogram."""
        return len(self.stages) * self.epoch_length

    @property
    def end(self) -> float:
        return self.onset + self.duration

    def stage_at(self, times: np.ndarray) -> np.ndarray:
        """Stage code at each time.

        Parameters
        ----------
        times : array of float
            Seconds from recording start.

        Returns
        -------
        ndarray of str
            ``W, N1, N2, N3, R`` or ``?`` (unscored, or outside the hypnogram).
        """
        t = np.asarray(times, dtype=float)
        idx = np.floor((t - self.onset) / self.epoch_length).astype(np.int64)
        inside = (idx >= 0) & (idx < len(self.stages))
        out = np.full(t.shape, "?", dtype="<U2")
        out[inside] = self.stages[idx[inside]]
        return out

    def seconds_in(self, stages: Iterable[str], start: float | None = None, stop: float | None = None) -> float:
        """Seconds spent in any of ``stages`` between ``start`` and ``stop``.

        Parameters
        ----------
        stages : iterable of str
            Stage codes, e.g. ``("N1", "N2", "N3", "R")`` for sleep.
        start, stop : float or None
            Window in seconds from recording start; None: unbounded.

        Returns
        -------
        float
            Seconds, counting partial epochs at the window edges.
        """
        wanted = np.isin(self.stages, list(stages))
        e0 = self.onset + np.arange(len(self.stages)) * self.epoch_length
        e1 = e0 + self.epoch_length
        lo = -np.inf if start is None else start
        hi = np.inf if stop is None else stop
        overlap = np.clip(np.minimum(e1, hi) - np.maximum(e0, lo), 0, None)
        return float(np.sum(overlap[wanted]))

    def shift(self, seconds: float) -> "Hypnogram":
        return dataclasses.replace(self, onset=self.onset + seconds)
