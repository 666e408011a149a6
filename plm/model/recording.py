"""The :class:`Recording`: raw leg signals with their metadata and units."""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, ClassVar

import numpy as np

from ..errors import InputError
from .context import NightContext, NightFields, build_context
from .events import Hypnogram, ScoredEvents

if TYPE_CHECKING:
    import mne

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


class Recording(NightFields):
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
    meta : dict
        What the reader found or assumed (e.g. ``warnings``, a list of text).
        Keys naming :class:`~plm.model.context.NightContext` fields go into
        the context.
    context : NightContext, optional
        The night's context to start from; the context arguments above, when
        given, change it.

    Attributes
    ----------
    context : NightContext
        Start time, staging, events, lights, night facts and warnings, shared
        with the LMs detected in this recording (``duration_s`` is the
        recording's length).
    """

    _FIELDS = ("data", "sfreq", "channels", "timezone", "device")
    _FACTS_ARG = "meta"
    # to_mne: wired in by plm/__init__.py (HoldsContext.delegate)
    _DELEGATES: ClassVar[dict[str, Callable[..., Any]]] = {}

    def __init__(
        self,
        data: np.ndarray,
        sfreq: float,
        channels: tuple[Channel, ...],
        start_time: _dt.datetime | None = None,
        hypnogram: Hypnogram | None = None,
        respiratory: ScoredEvents | None = None,
        arousals: ScoredEvents | None = None,
        lights_off: float | None = None,
        lights_on: float | None = None,
        timezone: str | None = None,
        device: str = "",
        source: str | None = None,
        meta: dict[str, Any] | None = None,
        *,
        context: NightContext | None = None,
    ) -> None:
        context, facts = build_context(context, dict(
            start_time=start_time, hypnogram=hypnogram, respiratory=respiratory, arousals=arousals,
            lights_off=lights_off, lights_on=lights_on, source=source), meta)
        where = context.source or None
        data = np.asarray(data)
        if data.ndim != 2:
            raise InputError(where, f"signal data must be 2-D (channels x samples), got shape {data.shape}")
        channels = tuple(channels)
        if data.shape[0] != len(channels):
            raise InputError(where, f"{data.shape[0]} signal rows but {len(channels)} channels")
        if not np.isfinite(sfreq) or sfreq <= 0:
            raise InputError(where, f"sampling rate must be a positive number of Hz, got {sfreq!r}")
        start = context.start_time
        if start is None or start.tzinfo is None or start.utcoffset() is None:
            raise InputError(where, "start time must carry a UTC offset (timezone-aware datetime)")
        sfreq = float(sfreq)
        if context.duration_s != data.shape[1] / sfreq:
            context = context.replace(duration_s=data.shape[1] / sfreq)
        self._set(data=data, sfreq=sfreq, channels=channels, timezone=timezone, device=device, _facts=facts,
                  context=context)

    @property
    def meta(self) -> dict[str, Any]:
        """What the reader found or assumed, with the context's facts (``warnings``, ``night``, ``notes``, ...).

        A new dict on each access: change a recording with :meth:`replace`.
        """
        return self._fact_view()

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

    def to_mne(self) -> mne.io.RawArray:
        """The recording as an MNE Raw.

        Returns
        -------
        mne.io.RawArray
            EMG in V (channel type ``emg``), accelerometer axes in g (``misc``);
            ``meas_date`` is the start's clock time labelled UTC, as MNE reads
            EDF files, so ``NightResult.to_annotations()`` fits it (see
            :func:`plm.io.mne_raw.recording_to_mne`).
        """
        return self._job("to_mne")(self)

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
        return type(self)(self.data[:, i0:i1], self.sfreq, self.channels, timezone=self.timezone, device=self.device,
                          meta=self._facts, context=self.context.crop(t0, (i1 - i0) / self.sfreq))

    def __repr__(self) -> str:
        return (
            f"<Recording {self.device or ''} {len(self.channels)} ch @ {self.sfreq:g} Hz, "
            f"{self.duration / 3600:.2f} h from {self.start_time.isoformat()}, legs {self.sides}>"
        )
