"""Event containers shared by readers, detectors and the scorer.

Times are float seconds from the recording start (``start_time``, a
timezone-aware datetime when known). Containers are immutable; methods that
change something return a new object.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Mapping

import numpy as np


__all__ = [
    "EventTable",
    "Hypnogram",
    "ScoredEvents",
    "STAGES",
    "SLEEP_STAGES",
]

#: Stage codes of a 30 s hypnogram; ``"?"`` is unscored / unknown.
STAGES = ("W", "N1", "N2", "N3", "R", "?")
SLEEP_STAGES = ("N1", "N2", "N3", "R")
SIDES = ("left", "right")


class EventTable(Mapping[str, np.ndarray]):
    """Column-oriented table: a mapping of column name to equal-length arrays.

    A dependency-free stand-in for a data frame; :meth:`to_dataframe` gives
    a :class:`pandas.DataFrame` when pandas is installed.

    Parameters
    ----------
    columns : mapping of str to array-like, optional
        Column name to values; all columns must have the same length.
    """

    def __init__(self, columns: Mapping[str, Iterable[Any]] | None = None) -> None:
        cols = {k: np.asarray(v) for k, v in (columns or {}).items()}
        lengths = {len(v) for v in cols.values()}
        if len(lengths) > 1:
            raise ValueError(f"EventTable columns differ in length: { {k: len(v) for k, v in cols.items()} }")
        self._cols = cols

    def __getitem__(self, key: str) -> np.ndarray:
        return self._cols[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._cols)

    def __len__(self) -> int:  # number of columns, as for Mapping
        return len(self._cols)

    @property
    def n_rows(self) -> int:
        """Number of rows."""
        return len(next(iter(self._cols.values()))) if self._cols else 0

    @property
    def columns(self) -> list[str]:
        """Column names in order."""
        return list(self._cols)

    def rows(self) -> Iterator[dict[str, Any]]:
        """Iterate over the rows.

        Yields
        ------
        dict
            Column name to Python scalar, one dict per row.
        """
        for i in range(self.n_rows):
            yield {k: v[i].item() if hasattr(v[i], "item") else v[i] for k, v in self._cols.items()}

    def to_dataframe(self) -> "pandas.DataFrame":  # noqa: F821 (pandas is optional)
        """The table as a pandas DataFrame.

        Returns
        -------
        pandas.DataFrame
            One column per column of the table (needs the ``pandas`` extra).
        """
        try:
            import pandas as pd
        except ImportError:  # pragma: no cover - depends on environment
            from ..errors import MissingDependencyError

            raise MissingDependencyError("EventTable.to_dataframe", "pandas", "pandas") from None
        return pd.DataFrame(dict(self._cols))

    def __repr__(self) -> str:
        return f"<EventTable: {self.n_rows} rows, columns {self.columns}>"


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
