"""MNE-Python in and out: an ``mne.io.BaseRaw`` read as a :class:`Recording`, a Recording as an ``mne.io.RawArray``.

Times follow MNE's reading of EDF files, the files sleep data come in:
MNE gives an EDF's start (a local clock time without UTC offset) as
``info["meas_date"]`` labelled UTC. :func:`mne_clock` gives that label for
a plm start time, so that ``Recording.to_mne()``, ``NightResult.to_annotations()``
and ``mne.io.read_raw_edf`` of the scored file agree sample for sample; the
true UTC offset stays in ``start_time`` (and in ``info["description"]`` of
a Raw plm made). See ``docs/formats_export.md``.
"""
from __future__ import annotations

import datetime as _dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from ..errors import InputError
from ..model import Recording
from ._rawfiles import check_sfreq

if TYPE_CHECKING:
    import mne

__all__ = ["MNE_RAW", "is_mne_raw", "mne_clock", "read_mne_raw", "recording_to_mne"]

#: Name of an in-memory MNE Raw where a format name is asked for (reader options, messages).
MNE_RAW = "mne-raw"


def is_mne_raw(obj: Any) -> bool:
    """True for an ``mne.io.BaseRaw`` (without importing MNE when nothing has).

    Parameters
    ----------
    obj : object

    Returns
    -------
    bool
    """
    mne = sys.modules.get("mne")
    return mne is not None and isinstance(obj, mne.io.BaseRaw)



def mne_clock(start_time: _dt.datetime) -> _dt.datetime:
    """The wall-clock time of ``start_time`` labelled UTC: what ``mne.io.read_raw_edf`` gives as ``meas_date``.

    Parameters
    ----------
    start_time : datetime
        Timezone-aware (as plm keeps it).

    Returns
    -------
    datetime
        Same clock reading, tzinfo UTC (22:30+01:00 -> 22:30+00:00).
    """
    return start_time.replace(tzinfo=None).replace(tzinfo=_dt.timezone.utc)


def _offset_note(start_time: _dt.datetime, timezone: str | None) -> str:
    """``utc_offset=+01:00 [tz=Europe/Berlin]``: the true offset, as plm writes it into EDF+ too."""
    minutes = int(start_time.utcoffset().total_seconds() // 60)
    text = f"utc_offset={'+' if minutes >= 0 else '-'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    return text + (f" tz={timezone}" if timezone else "")


def _file_units(raw, labels: Sequence[str], where: str) -> list[str]:
    """The physical unit of each channel as the file gave it (MNE's EDF/BDF readers keep it), else ``V``."""
    from mne.io.constants import FIFF

    orig = getattr(raw, "_orig_units", None) or {}
    out = []
    for lab in labels:
        ch = raw.info["chs"][raw.ch_names.index(lab)]
        if lab in orig and orig[lab]:
            out.append(orig[lab])
        elif ch["unit"] == FIFF.FIFF_UNIT_V:
            out.append("V")  # MNE holds voltages in V
        else:
            raise InputError(where, f"channel {lab!r} of the MNE Raw is not a voltage (FIFF unit {ch['unit']}); "
                                    "plm reads leg EMG from a Raw; read accelerometer files with plm.read(path)")
    return out


def read_mne_raw(
    raw: "mne.io.BaseRaw",
    channels: "str | Sequence[str] | dict[str, str] | None" = None,
    tz: Any = None,
    units: str = "convert",
) -> Recording:
    """Read the leg EMG of an MNE Raw, as :func:`plm.io.edf.read_edf` reads an EDF file.

    Parameters
    ----------
    raw : mne.io.BaseRaw
        E.g. from ``mne.io.read_raw_edf``; its data as they are now (filtered,
        cropped, ...), not the file's.
    channels : str, sequence or dict, optional
        Leg channels as for EDF files (``"LEFT,RIGHT"`` labels, ``A-B``
        derived pairs); default: found by label.
    tz : str or tzinfo, optional
        Time zone of ``info["meas_date"]``'s clock time (MNE labels an EDF's
        local start as UTC). Default: the offset plm wrote into the source
        EDF's recording field or into ``info["description"]``, else UTC with
        a warning.
    units : {"convert", "error", "ignore"}
        As for EDF files (the EMG amplitude check).

    Returns
    -------
    Recording
        One ``emg`` channel per leg in uV; staging and events from the Raw's
        annotations. Scoring it gives what scoring the Raw's file gives.
    """
    # the EDF reader's steps (imported here: `import plm` does not load the EDF reader)
    from .edf import (MAX_EMG_HZ, _resolve_explicit, convert_to_uv, find_leg_channels, leg_recording,
                      one_channel_for_both, read_edf_header)

    fname = next((f for f in (getattr(raw, "filenames", None) or ()) if f), None)
    where = str(fname) if fname else "MNE Raw"
    labels = list(raw.ch_names)
    picks = _resolve_explicit(where, channels, labels) if channels else find_leg_channels(labels, where)
    notes: list[str] = []
    picks = one_channel_for_both(picks, notes)
    needed = sorted({lab for labs in picks.values() for lab in labs}, key=labels.index)
    sfreq = float(raw.info["sfreq"])
    check_sfreq(where, sfreq, MAX_EMG_HZ)
    meas = raw.info["meas_date"]
    if meas is None:
        raise InputError(where, "the MNE Raw has no measurement date (info['meas_date']); set it with "
                                "raw.set_meas_date(...)")
    # The source EDF's header, when the Raw came from one: the offset plm wrote, the clipping ranges.
    hdr = None
    if fname and Path(fname).suffix.lower() in (".edf", ".bdf") and Path(fname).is_file():
        try:
            hdr = read_edf_header(fname)
        except InputError:
            hdr = None
    recording_id = hdr.recording_id if hdr is not None else ""
    if "utc_offset=" not in recording_id:
        recording_id = " ".join([recording_id, str(raw.info.get("description") or "")]).strip()
    file_units = _file_units(raw, needed, where)
    data = raw.get_data(picks=needed)  # a new array, V
    signals: dict[str, np.ndarray] = {}
    convert_to_uv(where, needed, data, file_units, hdr, signals, notes)
    ann = raw.annotations
    if ann is not None and len(ann) and ann.orig_time is not None:
        # onsets from the first sample, as read_edf gives them
        ann = ann.copy()
        ann.onset = ann.onset - raw.first_time
    clock = meas.replace(tzinfo=None) + _dt.timedelta(seconds=raw.first_time)
    rec = leg_recording(where, picks, signals, [data], sfreq, units, notes, clock=clock, tz=tz,
                        recording_id=recording_id, annotations=ann if ann is not None and len(ann) else None,
                        edf_kind=hdr.kind if hdr is not None else MNE_RAW)
    return rec.replace(meta={**rec.meta, "format": MNE_RAW})


def recording_to_mne(rec: Recording) -> "mne.io.RawArray":
    """The recording as an MNE ``RawArray``.

    Parameters
    ----------
    rec : Recording

    Returns
    -------
    mne.io.RawArray
        EMG channels of type ``emg`` in V (MNE's unit); accelerometer axes
        of type ``misc`` in g (MNE has no unit for it: FIFF unit "none").
        ``meas_date`` is the start's clock time labelled UTC, as MNE reads
        EDF files (:func:`mne_clock`); ``info["description"]`` carries the
        true ``utc_offset=``, which :func:`read_mne_raw` reads back.
    """
    import mne
    from mne.io.constants import FIFF

    types = ["emg" if c.modality == "emg" else "misc" for c in rec.channels]
    scale = np.array([1e-6 if c.modality == "emg" else 1.0 for c in rec.channels])[:, None]
    info = mne.create_info(rec.ch_names, rec.sfreq, types)
    for ch, c in zip(info["chs"], rec.channels):
        if c.modality != "emg":
            ch["unit"] = FIFF.FIFF_UNIT_NONE
    info["description"] = _offset_note(rec.start_time, rec.timezone)
    raw = mne.io.RawArray(rec.data * scale, info, verbose="error")
    raw.set_meas_date(mne_clock(rec.start_time))
    return raw
