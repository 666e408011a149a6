"""The :class:`Recording`: raw leg signals with their metadata and units."""
from __future__ import annotations

import dataclasses
import datetime as _dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import InputError
from ..plausibility import check_start_time
from .events import Hypnogram, ScoredEvents

__all__ = ["Channel", "Recording", "MODALITIES", "HELD_META_KEY"]

#: Signal kinds a channel can have. ``accel`` channels carry one axis each.
MODALITIES = ("emg", "accel", "other")
#: Units accepted per modality (data are stored in the first one).
UNITS = {"emg": ("uV",), "accel": ("g",), "other": ("",)}
#: ``Recording.meta`` key of the stretches a device filled by holding its last sample (ActiGraph
#: idle-sleep mode): ``{side: [[t0, t1], ...]}`` in POSIX seconds, so that crops, nights and
#: combined files keep them valid without re-referencing.
HELD_META_KEY = "idle_sleep"


@dataclass(frozen=True)
class Channel:
    """One signal channel and its role.

    Parameters
    ----------
    name : str
        Label as in the source file (e.g. ``"Leg L"``, ``"left_x"``).
    unit : str
        ``"uV"`` for EMG, ``"g"`` for acceleration.
    modality : {"emg", "accel", "other"}
    side : {"left", "right"} or None
        Leg the channel records.
    axis : {"x", "y", "z"} or None
        Accelerometer axis.
    """

    name: str
    unit: str
    modality: str
    side: str | None = None
    axis: str | None = None

    def __post_init__(self) -> None:
        if self.modality not in MODALITIES:
            raise ValueError(f"channel {self.name!r}: modality must be one of {MODALITIES}, got {self.modality!r}")
        if self.side not in (None, "left", "right"):
            raise ValueError(f"channel {self.name!r}: side must be 'left', 'right' or None, got {self.side!r}")


@dataclass(frozen=True, eq=False)
class Recording:
    """Leg-movement signals of one recording session.

    Parameters
    ----------
    data : ndarray, shape (n_channels, n_samples)
        Samples in the channel units (uV for EMG, g for acceleration). NaN marks
        missing samples (gaps). Stored once; detectors work on views or
        chunks.
    sfreq : float
        Sampling rate, Hz (same for every channel).
    channels : tuple of Channel
    start_time : datetime.datetime
        Timezone-aware wall-clock time of the first sample.
    hypnogram : Hypnogram or None
    respiratory, arousals : ScoredEvents or None
    lights_off, lights_on : float or None
        Seconds from the first sample.
    timezone : str or None
        IANA time-zone name (e.g. ``"Europe/Berlin"``) when known; needed to
        place nights correctly across daylight-saving changes. ``start_time``
        always carries the UTC offset in force at the first sample.
    device : str
        Device or system that made the recording.
    source : str
        File path(s) the recording was read from.
    """

    data: np.ndarray
    sfreq: float
    channels: tuple[Channel, ...]
    start_time: _dt.datetime
    hypnogram: Hypnogram | None = None
    respiratory: ScoredEvents | None = None
    arousals: ScoredEvents | None = None
    lights_off: float | None = None
    lights_on: float | None = None
    timezone: str | None = None
    device: str = ""
    source: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        data = np.asarray(self.data)
        if data.ndim != 2:
            raise InputError(self.source or None, f"signal data must be 2-D (channels x samples), got shape {data.shape}")
        if data.shape[0] != len(self.channels):
            raise InputError(self.source or None, f"{data.shape[0]} signal rows but {len(self.channels)} channels")
        if not np.isfinite(self.sfreq) or self.sfreq <= 0:
            raise InputError(self.source or None, f"sampling rate must be a positive number of Hz, got {self.sfreq!r}")
        if self.start_time.tzinfo is None or self.start_time.utcoffset() is None:
            raise InputError(self.source or None, "start time must carry a UTC offset (timezone-aware datetime)")
        check_start_time(self.source, self.start_time)
        object.__setattr__(self, "data", data)
        object.__setattr__(self, "channels", tuple(self.channels))
        object.__setattr__(self, "sfreq", float(self.sfreq))

    @property
    def n_samples(self) -> int:
        return int(self.data.shape[1])

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.n_samples / self.sfreq

    @property
    def ch_names(self) -> list[str]:
        return [c.name for c in self.channels]

    @property
    def sides(self) -> list[str]:
        """Legs present, in ``left, right`` order."""
        found = {c.side for c in self.channels if c.modality in ("emg", "accel")}
        return [s for s in ("left", "right") if s in found]

    @property
    def modality(self) -> str:
        """``"emg"`` or ``"accel"``: the leg-signal kind of this recording."""
        kinds = {c.modality for c in self.channels if c.side is not None}
        if len(kinds) != 1:
            raise InputError(self.source or None, f"expected one leg-signal modality, found {sorted(kinds) or 'none'}")
        return kinds.pop()

    def picks(self, side: str, modality: str | None = None) -> list[int]:
        """Row indices of the channels of one leg.

        Parameters
        ----------
        side : {"left", "right"}
        modality : {"emg", "accel", "other"} or None
            Only channels of this kind; None for all.

        Returns
        -------
        list of int
            Rows of :attr:`data`, in channel order.
        """
        return [
            i
            for i, c in enumerate(self.channels)
            if c.side == side and (modality is None or c.modality == modality)
        ]

    def held_samples(self, side: str) -> np.ndarray:
        """Sample intervals of one leg that the device filled by holding its last sample.

        ActiGraph devices in idle-sleep mode store no samples; the reader
        holds the last one there (as ActiLife does). These samples are worn,
        still time: neither missing nor non-wear.

        Parameters
        ----------
        side : {"left", "right"}

        Returns
        -------
        ndarray of int64, shape (k, 2)
            ``[start, stop)`` within this recording, sorted.
        """
        metas = [self.meta, *(p for p in self.meta.get("parts", ()) if isinstance(p, dict))]
        t0 = self.start_time.timestamp()
        found = [np.asarray(m[HELD_META_KEY][side], dtype=np.float64).reshape(-1, 2)
                 for m in metas if isinstance(m.get(HELD_META_KEY), dict) and side in m[HELD_META_KEY]]
        if not found:
            return np.zeros((0, 2), np.int64)
        iv = np.rint((np.vstack(found) - t0) * self.sfreq).astype(np.int64)
        iv = np.clip(iv, 0, self.n_samples)
        iv = iv[iv[:, 1] > iv[:, 0]]
        return iv[np.argsort(iv[:, 0], kind="stable")]

    def replace(self, **changes: Any) -> "Recording":
        """Return a copy with some fields changed.

        Parameters
        ----------
        **changes
            Field names and new values (validated as on construction).

        Returns
        -------
        Recording
        """
        return dataclasses.replace(self, **changes)

    def crop(self, tmin: float, tmax: float) -> "Recording":
        """Return the part between ``tmin`` and ``tmax`` seconds as a view.

        Times of staging, events and lights are re-referenced to the new
        first sample; ``start_time`` moves accordingly.

        Parameters
        ----------
        tmin, tmax : float
            Seconds from the first sample; clipped to the recording.

        Returns
        -------
        Recording
            Shares :attr:`data` with this one (no copy).
        """
        i0 = max(0, int(round(tmin * self.sfreq)))
        i1 = min(self.n_samples, int(round(tmax * self.sfreq)))
        if i1 <= i0:
            raise InputError(self.source or None, f"crop {tmin}-{tmax} s is empty")
        t0 = i0 / self.sfreq

        def mv(x):
            return None if x is None else x - t0

        def clip_events(ev):
            if ev is None:
                return None
            ev = ev.shift(-t0)
            keep = (ev.offset > 0) & (ev.onset < (i1 - i0) / self.sfreq)
            return ev.select(keep)

        return self.replace(
            data=self.data[:, i0:i1],
            start_time=self.start_time + _dt.timedelta(seconds=t0),
            hypnogram=None if self.hypnogram is None else self.hypnogram.shift(-t0),
            respiratory=clip_events(self.respiratory),
            arousals=clip_events(self.arousals),
            lights_off=mv(self.lights_off),
            lights_on=mv(self.lights_on),
        )

    def __repr__(self) -> str:
        return (
            f"<Recording {self.device or ''} {len(self.channels)} ch @ {self.sfreq:g} Hz, "
            f"{self.duration / 3600:.2f} h from {self.start_time.isoformat()}, legs {self.sides}>"
        )
