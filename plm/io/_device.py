"""What a wearable-device decoder hands to :mod:`plm.io.binary_accel`.

Each decoder (:mod:`plm.io.gt3x`, :mod:`plm.io.axivity`,
:mod:`plm.io.geneactiv`) turns one file into a :class:`DeviceData`:
acceleration in g on a regular grid at the device's rate, the device clock
time of the first sample, the body location the file states, and notes on
what had to be filled or dropped. Leg, time zone and the
:class:`~plm.model.Recording` itself are decided in one place, the
reader.
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import InputError

__all__ = ["DeviceData", "BodySite", "parse_body_site", "parse_utc_offset", "runs_of", "check_span"]

#: Longer than any wear protocol: a file whose samples span more is a corrupt clock, not a recording
#: (checked before the grid is allocated).
MAX_SPAN_S = 60 * 86400.0


@dataclass
class DeviceData:
    """A decoded device file.

    Attributes
    ----------
    data : ndarray, shape (3, n)
        x, y, z acceleration in g on a grid at ``sfreq``; NaN where the file
        holds no sample.
    sfreq : float
        Grid rate, Hz.
    start : datetime.datetime
        Device clock time of ``data[:, 0]`` (naive: devices keep local time).
    kind : str
        ``"gt3x"``, ``"cwa"`` or ``"bin"``.
    device : str
        Make, model and serial number.
    metadata : dict
        The file's own header fields (text values).
    location : str or None
        Body location as the file states it (e.g. ``"left ankle"``).
    utc_offset : datetime.timedelta or None
        UTC offset of the device clock when the file records one.
    held : ndarray of int64, shape (k, 2)
        Sample intervals ``[start, stop)`` filled by holding the last sample
        (ActiGraph idle-sleep mode).
    dropped : int
        Samples the decoder dropped (repeated seconds, overlapping pages).
    notes : list of str
        Warnings for the user (gaps, damaged blocks, truncation, ...).
    """

    data: np.ndarray
    sfreq: float
    start: _dt.datetime
    kind: str
    device: str
    metadata: dict[str, Any] = field(default_factory=dict)
    location: str | None = None
    utc_offset: _dt.timedelta | None = None
    held: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.int64))
    dropped: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class BodySite:
    """A body location read from a file: the leg side (if named) and the site word."""

    text: str
    side: str | None
    site: str | None

    @property
    def is_ankle(self) -> bool:
        """True for the lower leg (ankle, shin, calf, foot): where PLM accelerometry is validated."""
        return self.site in _ANKLE


_SIDES = {"left": "left", "l": "left", "lt": "left", "right": "right", "r": "right", "rt": "right"}
_ANKLE = {"ankle", "shin", "calf", "foot", "leg", "tibia"}
_SITES = _ANKLE | {"wrist", "waist", "hip", "back", "thigh", "chest", "arm", "upperarm", "sacrum", "trunk",
                   "neck", "head", "lowerback", "hand", "forearm"}


def parse_body_site(text: str | None) -> BodySite | None:
    """Side and site words of a location text such as ``"left ankle"`` or ``"Wrist"``.

    Parameters
    ----------
    text : str or None

    Returns
    -------
    BodySite or None
        None when the text is empty.
    """
    if text is None:
        return None
    clean = " ".join(str(text).replace("\x00", " ").split())
    if not clean:
        return None
    words = re.split(r"[^a-z]+", clean.lower())
    side = next((_SIDES[w] for w in words if w in _SIDES), None)
    joined = "".join(words)
    site = next((w for w in words if w in _SITES), None)
    if site is None:
        site = next((s for s in ("lowerback", "upperarm") if s in joined), None)
    return BodySite(clean, side, site)


def runs_of(mask: np.ndarray) -> np.ndarray:
    """Runs of True in a 1-D boolean array as intervals ``[start, stop)``, shape (k, 2)."""
    m = np.asarray(mask, dtype=bool)
    if not m.size:
        return np.zeros((0, 2), np.int64)
    edges = np.flatnonzero(np.diff(np.r_[0, m.view(np.int8), 0]))
    return edges.reshape(-1, 2).astype(np.int64)


def parse_utc_offset(text: str | None) -> _dt.timedelta | None:
    """UTC offset from a header field such as ``"-04:00:00"``, ``"02:00:00"`` or ``"GMT +01:00"``.

    None when the text holds no offset or one beyond the +-14 h that exist.
    """
    m = re.search(r"([+-]?)\s*(\d{1,2}):(\d{2})", str(text or ""))
    if not m:
        return None
    delta = _dt.timedelta(hours=int(m.group(2)), minutes=int(m.group(3)))
    if delta > _dt.timedelta(hours=14):
        return None
    return -delta if m.group(1) == "-" else delta


def check_span(path, seconds: float) -> None:
    """Refuse a grid longer than :data:`MAX_SPAN_S` (corrupt timestamps would allocate years of samples)."""
    if not np.isfinite(seconds) or seconds > MAX_SPAN_S:
        raise InputError(path, f"the samples' timestamps span {seconds / 86400:.0f} days; the file's clock data "
                               "are corrupt")
