"""Combine several recordings of one night (e.g. left and right ankle) into one."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..errors import InputError
from ..model import Channel, Recording

__all__ = ["combine_recordings"]


def _name(rec: Recording, i: int) -> str:
    return rec.source or f"recording {i + 1}"


def combine_recordings(recordings: Sequence[Recording]) -> Recording:
    """Put several recordings of one night on one time axis.

    Parameters
    ----------
    recordings : sequence of Recording
        E.g. the left- and right-ankle accelerometer of one night. They must
        share the sampling rate and leg-signal modality, record different
        legs, and overlap in time.

    Returns
    -------
    Recording
        All channels, starting at the earliest start time (with that
        recording's UTC offset) and ending at the latest end; samples before
        a device started or after it stopped are NaN (gaps). Each start is
        placed on the nearest sample of the common grid; the rounding (at most
        half a sample) is recorded in ``meta["alignment_error_s"]``.
        Staging, events and lights of the first recording that has them are
        re-referenced to the new start.

    Raises
    ------
    InputError
        Different sampling rates or modalities, the same leg in two files,
        or recordings that do not overlap in time.
    """
    recs = list(recordings)
    if not recs:
        raise InputError(None, "no recordings to combine")
    if len(recs) == 1:
        return recs[0]
    names = [_name(r, i) for i, r in enumerate(recs)]
    sfreq = recs[0].sfreq
    for r, n in zip(recs[1:], names[1:]):
        if not np.isclose(r.sfreq, sfreq, rtol=1e-9, atol=0):
            raise InputError(
                n, f"sampling rate {r.sfreq:g} Hz differs from {sfreq:g} Hz of {names[0]}; "
                "files of one night must share the rate (resample one of them first)"
            )
    modalities = {}
    for r, n in zip(recs, names):
        modalities[n] = r.modality
    if len(set(modalities.values())) > 1:
        raise InputError(None, f"cannot score different leg-signal kinds together: {modalities}")
    seen: dict[str, str] = {}
    for r, n in zip(recs, names):
        for side in r.sides:
            if side in seen:
                raise InputError(n, f"records the {side} leg, as does {seen[side]}; give one file per leg")
            seen[side] = n

    t0 = min(recs, key=lambda r: r.start_time).start_time
    offsets = [(r.start_time - t0).total_seconds() for r in recs]
    starts = [int(round(o * sfreq)) for o in offsets]
    align_err = max(abs(s / sfreq - o) for s, o in zip(starts, offsets))
    ends = [s + r.n_samples for s, r in zip(starts, recs)]
    overlap = min(ends) - max(starts)
    if overlap <= 0:
        raise InputError(
            None,
            f"{' and '.join(names)} do not overlap in time (starts "
            f"{', '.join(r.start_time.isoformat() for r in recs)}); are they of the same night?",
        )
    n_total = max(ends)
    dtype = np.result_type(*[r.data.dtype for r in recs], np.float32)
    n_ch = sum(len(r.channels) for r in recs)
    data = np.full((n_ch, n_total), np.nan, dtype=dtype)
    channels: list[Channel] = []
    row = 0
    for r, s in zip(recs, starts):
        data[row:row + len(r.channels), s:s + r.n_samples] = r.data
        channels.extend(r.channels)
        row += len(r.channels)
    names_ch = [c.name for c in channels]
    if len(set(names_ch)) != len(names_ch):
        # Same label on both legs (e.g. "EMG"): make names unique by leg.
        import dataclasses

        channels = [dataclasses.replace(c, name=f"{c.side}:{c.name}") if c.side else c for c in channels]

    zones = {r.timezone for r in recs if r.timezone}
    if len(zones) > 1:
        raise InputError(None, f"{' and '.join(names)} give different time zones {sorted(zones)}")

    def first(attr):
        for r, o in zip(recs, offsets):
            v = getattr(r, attr)
            if v is not None:
                return v, o
        return None, 0.0

    hyp, o_h = first("hypnogram")
    resp, o_r = first("respiratory")
    aro, o_a = first("arousals")
    lo, o_lo = first("lights_off")
    ln, o_ln = first("lights_on")
    devices = list(dict.fromkeys(r.device for r in recs if r.device))
    meta = {
        "combined_from": names,
        "start_offsets_s": [s / sfreq for s in starts],
        "alignment_error_s": float(align_err),
        "parts": [dict(r.meta) for r in recs],
    }
    # Each file's warnings (unit conversions, gaps, ...) stay the night's warnings.
    carried = list(dict.fromkeys(w for r in recs for w in r.meta.get("warnings", ())))
    if carried:
        meta["warnings"] = carried
    return Recording(
        data=data,
        sfreq=sfreq,
        channels=tuple(channels),
        start_time=t0,
        hypnogram=None if hyp is None else hyp.shift(o_h),
        respiratory=None if resp is None else resp.shift(o_r),
        arousals=None if aro is None else aro.shift(o_a),
        lights_off=None if lo is None else lo + o_lo,
        lights_on=None if ln is None else ln + o_ln,
        timezone=zones.pop() if zones else None,
        device=" + ".join(devices),
        source="; ".join(names),
        meta=meta,
    )
