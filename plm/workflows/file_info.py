"""What a recording or event file holds, without scoring it (``plm info``)."""
from __future__ import annotations

import dataclasses
import os
import warnings
from typing import Any

import numpy as np

from ..errors import InputError
from ..io import detect_format, kind_of_format, read_events
from ..io.edf import find_leg_channels, read_edf_header
from ..io.hdf5 import holds_recording, read_results
from .night_scoring import read_nights
from .reading import ReadOptions, read_recording

__all__ = ["describe_file"]


def describe_file(path: str | os.PathLike, read_options: ReadOptions | None = None) -> dict[str, Any]:
    """Facts about one file as a JSON-ready dict (what ``plm info`` prints).

    Parameters
    ----------
    path : path-like
    read_options : ReadOptions, optional
        How to read the file (``channels``, ``tz``, ``side`` go to its reader
        when it takes them) and to count its nights (``nights``).

    Returns
    -------
    dict
        ``path``, ``kind``, ``format`` and what the file holds: for a
        recording its device, start, duration, channels, legs, staging,
        missing samples, nights and the reader's warnings (and stored
        results of a plm HDF5 file); for an event file its LM counts, start
        and staging. A plm HDF5 file with scored results only has kind
        ``"results"`` and its ``results``; an EDF/BDF file without an
        unambiguous leg channel has its ``file_channels``, start, duration,
        empty ``leg_channels`` and the ``problem``.
    """
    options = read_options or ReadOptions(strict=False)
    path = os.fspath(path)
    fmt = options.format
    kind, fmt = detect_format(path) if fmt == "auto" else (kind_of_format(fmt), fmt)
    info: dict[str, Any] = {"path": str(path), "kind": kind, "format": fmt}
    if kind == "events":
        lms = read_events(path, format=fmt)
        info.update(
            n_lm=len(lms),
            n_lm_left=int((lms.side == "left").sum()),
            n_lm_right=int((lms.side == "right").sum()),
            start_time=None if lms.start_time is None else lms.start_time.isoformat(),
            duration_s=lms.duration_s,
            staging=_staging(lms.hypnogram),
        )
        return info
    if fmt == "hdf5" and not holds_recording(path):
        # scored results only (``--export h5`` of an event file): say what they are
        info.update(kind="results", results=_stored_results(path))
        return info
    if fmt == "edf" and options.channels is None:
        hdr = read_edf_header(path)
        try:
            find_leg_channels(hdr.labels, path)
        except InputError as exc:
            # No (or no unambiguous) leg channel: what the file does hold is what the user needs.
            info.update(_edf_channels(hdr), start_time=hdr.start.isoformat(), duration_s=hdr.duration,
                        leg_channels={}, problem=exc.problem)
            return info
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        rec = read_recording([path], dataclasses.replace(options, format=fmt))
    info.update(
        device=rec.device,
        start_time=rec.start_time.isoformat(),
        timezone=rec.timezone,
        duration_s=rec.duration,
        n_samples=rec.n_samples,
        sfreq=rec.sfreq,
        modality=rec.modality,
        channels=[
            {"name": c.name, "unit": c.unit, "modality": c.modality, "side": c.side, "axis": c.axis,
             "sfreq": rec.sfreq}
            for c in rec.channels
        ],
        leg_channels={s: [rec.channels[i].name for i in rec.picks(s)] for s in rec.sides},
        staging=_staging(rec.hypnogram),
        missing_samples=int(_count_nan(rec.data)),
        nights=len(read_nights(rec, options)),
        warnings=list(rec.warnings),
    )
    if fmt == "hdf5":
        info["results"] = _stored_results(path)
    if fmt == "edf":
        info.update(_edf_channels(read_edf_header(path)))
    return info


def _stored_results(path: str) -> list[dict[str, Any]]:
    """The scored nights stored in a plm HDF5 file, one dict each."""
    return [
        {"key": key, "criteria": res.criteria.name, "criteria_hash": res.criteria.hash,
         "plm_index": res.measures.get("plm_index"), "n_plm": res.measures.get("n_plm"),
         "n_lm": res.measures.get("n_lm"), "denominator": res.measures.get("denominator"),
         "hours_denominator": res.measures.get("hours_denominator"), "source": res.source or None,
         "start_time": None if res.start_time is None else res.start_time.isoformat(), "plm_version": res.version}
        for key, res in read_results(path).items()
    ]


def _edf_channels(hdr) -> dict[str, Any]:
    """Every signal of an EDF/BDF header (annotation channels left out) and the file's kind."""
    return {
        "file_channels": [
            {"name": lab, "unit": u, "sfreq": fs}
            for lab, u, fs in zip(hdr.labels, hdr.units, hdr.sfreqs)
            if lab not in ("EDF Annotations", "BDF Annotations")
        ],
        "edf_kind": hdr.kind,
    }


def _count_nan(data) -> int:
    # row by row keeps the temporary boolean array small for long recordings
    return sum(int(np.isnan(row).sum()) for row in data)


def _staging(hyp) -> str | None:
    return None if hyp is None else f"{len(hyp)} epochs of {hyp.epoch_length:g} s"
