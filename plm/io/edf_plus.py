"""The scored LMs and PLMs of a night as annotations: :class:`mne.Annotations`, and EDF+ with the signals.

:func:`result_to_annotations` gives one annotation per scored monolateral LM
(labels :data:`ANNOTATION_LABELS`, channel names of its leg);
:func:`write_edf_plus` writes them, with the night's staging, events and
lights, into an EDF+ file beside the recording's signals. Labels and layout:
``docs/formats_export.md``.
"""
from __future__ import annotations

import os
import warnings

import numpy as np

from ..errors import InputError

__all__ = ["ANNOTATION_LABELS", "result_to_annotations", "write_edf_plus"]

#: Annotation label of each scored event kind (see docs/formats_export.md).
ANNOTATION_LABELS = {
    "lm_left": "LM left",
    "lm_right": "LM right",
    "plm_left": "PLM left",
    "plm_right": "PLM right",
}

# ------------------------------------------------------------ annotations
def _leg_channels(result) -> dict[str, tuple[str, ...]]:
    """Channels of each leg as the source file names them (both electrodes of a derived ``A-B``); none without a recording."""
    rec = getattr(result, "recording", None)
    if rec is None:
        return {"left": (), "right": ()}
    picked = rec.meta.get("leg_channels") or {}
    out = {}
    for side in ("left", "right"):
        out[side] = tuple(picked.get(side) or (rec.ch_names[i] for i in rec.picks(side)))
    return out


def _annotation_arrays(result) -> tuple[np.ndarray, np.ndarray, list[str], list[tuple[str, ...]]]:
    """Onsets, durations, labels and channel names of the scored per-leg LMs,
    in onset order (see :data:`ANNOTATION_LABELS`)."""
    legs = _leg_channels(result)
    ev = result.events
    if not len(ev):
        return np.zeros(0), np.zeros(0), [], []
    # Rows the scorer did not score (too short, outside lights, ...) have
    # lm_id -1: they are not LMs of the night and get no annotation.
    scored = np.asarray(ev["lm_id"]) >= 0 if "lm_id" in ev.columns else np.ones(len(ev), bool)
    side = np.asarray(ev["side"]).astype(str)[scored]
    in_plm = (np.asarray(ev["is_plm"], dtype=bool)[scored] if "is_plm" in ev.columns
              else np.zeros(side.size, bool))
    onset = np.asarray(ev["onset"], dtype=float)[scored]
    duration = np.asarray(ev["duration"], dtype=float)[scored]
    order = np.argsort(onset, kind="stable")
    labels = [ANNOTATION_LABELS[("plm_" if p else "lm_") + s] for s, p in zip(side[order], in_plm[order])]
    chans = [legs[s] for s in side[order]]
    return onset[order], duration[order], labels, chans


def result_to_annotations(result):
    """The scored LMs and PLMs as :class:`mne.Annotations`.

    One annotation per scored monolateral leg movement (after same-leg
    merging): ``"PLM left"``/``"PLM right"`` when it belongs to a PLM (its
    LM after bilateral merging is in a PLM series), else ``"LM left"``/``"LM
    right"``. ``ch_names`` are that leg's channels as the source file names
    them (none when scored from events). ``orig_time`` is the clock time of
    second 0 labelled UTC (:func:`plm.io.mne_raw.mne_clock`), as
    ``mne.io.read_raw_edf`` gives an EDF's start, so that
    ``raw.set_annotations(result.to_annotations())`` on the scored file's
    Raw (or on ``result.recording.to_mne()``) keeps every annotation at its
    sample. Labels: ``docs/formats_export.md``.

    Parameters
    ----------
    result : NightResult

    Returns
    -------
    mne.Annotations
    """
    import mne

    from .mne_raw import mne_clock

    onset, duration, labels, chans = _annotation_arrays(result)
    # MNE reads an EDF's local start as UTC: the same label here (the true offset stays in start_time)
    orig = None if result.start_time is None else mne_clock(result.start_time)
    return mne.Annotations(onset=onset, duration=duration, description=labels, orig_time=orig,
                           ch_names=chans)


# ------------------------------------------------------------ EDF+ with signals
def write_edf_plus(path: str | os.PathLike, result) -> None:
    """Write the recording's signals plus the scored annotations as EDF+.

    The signals go through :func:`plm.io.edf.write_edf` (16-bit, units kept,
    start as local clock time with ``utc_offset=``/``tz=`` in the recording
    field, NaN written as 0 and marked ``plm gap``). Added annotations: the
    LM/PLM labels of :func:`result_to_annotations`, and the night's sleep
    stages, respiratory events, arousals and lights off/on with the labels of
    the annotations-only EDF+. Annotations starting outside the signal are
    left out.

    Parameters
    ----------
    result : NightResult
        Must carry its ``recording``.
    path : path-like
    """
    rec = getattr(result, "recording", None)
    if rec is None:
        raise InputError(path, "EDF+ with signals needs the recording; this result was scored from events "
                               "(use format='edf-annotations')")
    from .edf import write_edf
    from .edf_annotations import context_annotations, criteria_label

    shift = 0.0
    if result.start_time is not None:
        shift = (result.start_time - rec.start_time).total_seconds()
    end = rec.duration
    onset, duration, texts, _ = _annotation_arrays(result)
    anns: list[tuple[float, float | None, str]] = [(float(o) + shift, float(d), t)
                                                   for o, d, t in zip(onset, duration, texts)]
    anns += [(o + shift, d, t) for o, d, t in context_annotations(result.context)]
    anns.append((0.0, None, criteria_label(result)))
    anns = sorted((a for a in anns if 0.0 <= a[0] <= end), key=lambda a: a[0])
    with warnings.catch_warnings():
        # Gaps are marked in the file and counted in the summary's excluded
        # time; the writer's NaN-as-0 warning would only repeat that.
        warnings.filterwarnings("ignore", message=".*missing \\(NaN\\) samples written as 0")
        write_edf(path, rec, annotations=anns)
