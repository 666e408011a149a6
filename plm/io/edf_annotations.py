"""EDF+/BDF+ annotations as scored events (read through MNE, written with edfio).

Annotations are read with :func:`mne.read_annotations`; onsets are seconds
from the file start. Label mapping (case-insensitive; ``_``, ``-`` and
spaces are equivalent):

* leg movements: labels naming ``LM``, ``PLM``, ``leg movement`` or
  ``limb movement`` with a side, e.g. ``LM left``, ``Leg Movement (Left)``,
  ``Limb movement - left``, ``PLM right``, ``LM_R``; without a side see
  ``unknown_side``;
* stages: ``Sleep stage W/N1/N2/N3/R/?``, ``Sleep stage 1..4`` (4 -> N3),
  ``Stage 2 sleep``, ``W``, ``N1``, ``N2``, ``N3``, ``REM``, ``R``;
  ``Sleep stage ?``/``unscored`` -> unscored;
* ``RERA``, ``...hypopnea...``, ``...apnea...``: respiratory events;
  ``...arousal...``: arousals; ``Lights off``/``Lights out``,
  ``Lights on``: lights; ``Recording end``: recording length;
* anything else is ignored and counted in ``metadata["ignored"]``.

EDF stores the local start date and time without UTC offset: ``start_time``
is None unless ``tz=`` is given; the clock time is kept in
``metadata["start_clock_time"]``. The recording length comes from the
header (records x record duration) or, for an annotation-only file (record
duration 0), from a ``Recording end`` annotation.
"""
from __future__ import annotations

import datetime as _dt
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError, MissingDependencyError
from ..model import LegMovements
from ..model.context import NightContext
from ._rawfiles import read_file
from ._scored import (
    Rows,
    build_leg_movements,
    iter_nonempty,
    localize,
    leg_table,
    scored_lms,
    side_from_text,
    stage_code,
)

__all__ = ["read_edf_annotations", "write_edf_annotations", "sniff", "classify"]


def _header(head: bytes) -> dict[str, Any] | None:
    """Fields of an EDF/BDF main header, or None when ``head`` is not one."""
    if len(head) < 256 or head[:1] not in (b"0", b"\xff"):
        return None
    try:
        ns = int(head[252:256].decode("ascii").strip())
        n_records = int(head[236:244].decode("ascii").strip())
        record_dur = float(head[244:252].decode("ascii").strip())
    except ValueError:
        return None
    labels = []
    for i in range(ns):
        a = 256 + 16 * i
        if a + 16 > len(head):
            break
        labels.append(head[a:a + 16].decode("latin-1").strip())
    return {
        "reserved": head[192:236].decode("latin-1").strip(),
        "n_signals": ns,
        "n_records": n_records,
        "record_duration": record_dur,
        "labels": labels,
        "startdate": head[168:176].decode("latin-1"),
        "starttime": head[176:184].decode("latin-1"),
        "recording": head[88:168].decode("latin-1"),
    }


def sniff(path: str | os.PathLike, head: bytes) -> bool:
    """True for an EDF+/BDF+ file whose only signals are annotation channels.

    An EDF+ with ordinary signals is a recording (read by the raw EDF reader);
    read its annotations with ``format="edf-annotations"``.
    """
    try:
        h = _header(head)
        if h is None or not h["reserved"].upper().startswith(("EDF+", "BDF+")):
            return False
        labels = h["labels"]
        return len(labels) == h["n_signals"] and all(
            lb in ("EDF Annotations", "BDF Annotations") for lb in labels) and len(labels) > 0
    except Exception:
        return False


def classify(label: str) -> tuple[str, str] | None:
    """``(kind, value)`` of an annotation label, or None when plm does not use it."""
    low = " ".join(re.split(r"[\s_\-]+", label.strip().lower()))
    words = re.split(r"[^a-z0-9?]+", low)
    if not low or low.isdigit() or low.startswith("scoring criteria"):
        return None  # the criteria record plm writes (criteria_label) is not an event
    code = stage_code(low)
    if code is not None:
        return "stage", code
    if low.startswith("sleep stage") or low.startswith("stage "):
        m = re.fullmatch(r"(?:sleep )?stage (\S+)(?: sleep)?", low)
        if m and stage_code(m.group(1)) is not None:
            return "stage", stage_code(m.group(1))
        return None
    if "rera" in words or "respiratory effort related arousal" in low:
        return "respiratory", "rera"
    if "arousal" in low:
        return "arousal", "arousal"
    if "hypopnea" in low or "hypopnoea" in low:
        return "respiratory", "hypopnea"
    if "apnea" in low or "apnoea" in low:
        return "respiratory", "apnea"
    if re.fullmatch(r"lights? ?(off|out)", low):
        return "lights_off", ""
    if re.fullmatch(r"lights? ?on", low):
        return "lights_on", ""
    if low in ("recording end", "end of recording"):
        return "end", ""
    if re.search(r"\b(limb|leg) movements?\b", low) or {"lm", "plm", "lms", "plms"} & set(words) or \
            re.fullmatch(r"(lm|plm)[lr]", low.replace(" ", "")):
        compact = low.replace(" ", "")
        side = side_from_text(low)
        if side is None and re.fullmatch(r"p?lm[lr]|[lr]p?lm", compact):
            side = "left" if "l" in compact.replace("lm", "", 1) else "right"
        return "lm", side or ""
    return None


def read_edf_annotations(
    path: str | os.PathLike,
    *,
    tz: str | _dt.tzinfo | None = None,
    unknown_side: str = "auto",
) -> LegMovements:
    """Read the annotations of an EDF+/BDF+ file into :class:`LegMovements`.

    Parameters
    ----------
    path : path-like
    tz : str or tzinfo, optional
        Time zone of the EDF start date/time (IANA name or ``+HH:MM``).
    unknown_side : {"auto", "error", "left", "right", "drop"}
        LM annotations without a side (see ``docs/formats.md``).

    Returns
    -------
    LegMovements
    """
    p = Path(path)
    head = read_file(p, 256 + 16 * 512)
    if not head:
        raise InputError(p, "file is empty; expected an EDF+ file")
    h = _header(head)
    if h is None:
        raise InputError(p, "is not an EDF/BDF file (bad header); expected EDF+ with annotations")
    if not h["reserved"].upper().startswith(("EDF+", "BDF+")):
        raise InputError(p, "is plain EDF/BDF without annotations; expected EDF+ or BDF+")
    layout = _record_layout(p, head, h)
    _check_size(p, h, layout)
    try:
        import mne

        ann = mne.read_annotations(p)
    except Exception as exc:  # MNE raises various errors on broken files
        raise InputError(p, f"annotations cannot be read ({type(exc).__name__}: {' '.join(str(exc).split())})") \
            from None
    rows = Rows()
    duration_s = h["n_records"] * h["record_duration"] if h["n_records"] > 0 and h["record_duration"] > 0 else None
    for i, (onset, dur, desc) in enumerate(zip(ann.onset, ann.duration, ann.description), start=1):
        cls = classify(desc)
        if cls is None:
            rows.ignore(desc)
            continue
        if cls[0] == "end":
            if duration_s is None:
                duration_s = float(onset)
            continue
        rows.add(float(onset), float(dur), cls[0], cls[1], i)
    info: dict[str, Any] = {"format": "edf-annotations"}
    start_time = None
    naive = _edf_start(h)
    if naive is not None:
        # EDF+ keeps a sub-second start in the first record's time-keeping annotation;
        # MNE's onsets are already relative to that true start.
        naive += _dt.timedelta(seconds=_subsecond_start(p, head, h, layout))
        info["start_clock_time"] = naive.isoformat()
        start_time = localize(naive, tz, p)
    return build_leg_movements(p, rows, start_time=start_time, duration_s=duration_s, unknown_side=unknown_side,
                               metadata=info)


def _record_layout(path: Path, head: bytes, h: dict[str, Any]) -> tuple[int, int, list[int]]:
    """(header bytes, bytes per sample, samples per data record of each signal)."""
    ns = h["n_signals"]
    try:
        nsamp = [int(head[256 + ns * 216 + 8 * i:256 + ns * 216 + 8 * (i + 1)]) for i in range(ns)]
    except ValueError:
        raise InputError(path, "EDF header is damaged (samples per record); truncated file?") from None
    return 256 * (ns + 1), 3 if head[:1] == b"\xff" else 2, nsamp


def _check_size(path: Path, h: dict[str, Any], layout: tuple[int, int, list[int]]) -> None:
    """A truncated EDF would lose annotations silently: compare the size with the header's promise."""
    base, width, nsamp = layout
    expected = base + max(h["n_records"], 0) * width * sum(nsamp)
    size = path.stat().st_size
    if size < expected:
        raise InputError(path, f"is truncated: the header promises {expected} bytes, the file has {size}")


def _subsecond_start(path: Path, head: bytes, h: dict[str, Any], layout: tuple[int, int, list[int]]) -> float:
    """Onset of the first data record's time-keeping annotation (0 when absent or unreadable)."""
    try:
        base, width, nsamp = layout
        if len(head) < base:
            return 0.0
        idx = next(i for i, lb in enumerate(h["labels"]) if lb in ("EDF Annotations", "BDF Annotations"))
        start = base + width * sum(nsamp[:idx])
        with open(path, "rb") as fh:
            fh.seek(start)
            tal = fh.read(width * nsamp[idx])
        m = re.match(rb"([+-]\d+(?:\.\d+)?)\x14\x14", tal)
        value = float(m.group(1)) if m else 0.0
        return value if 0.0 <= value < 1.0 else 0.0
    except Exception:
        return 0.0


def _edf_start(h: dict[str, Any]) -> _dt.datetime | None:
    m1 = re.fullmatch(r"(\d{2})\.(\d{2})\.(\d{2})", h["startdate"].strip())
    m2 = re.fullmatch(r"(\d{2})\.(\d{2})\.(\d{2})", h["starttime"].strip())
    if not (m1 and m2):
        return None
    day, month, yy = int(m1.group(1)), int(m1.group(2)), int(m1.group(3))
    year = 1900 + yy if yy >= 85 else 2000 + yy
    # EDF+ puts the 4-digit year in the recording field: "Startdate 02-JAN-2020 ..."
    m = re.match(r"Startdate (\d{2})-([A-Z]{3})-(\d{4})", h["recording"].strip())
    if m:
        year = int(m.group(3))
    try:
        return _dt.datetime(year, month, day, int(m2.group(1)), int(m2.group(2)), int(m2.group(3)))
    except ValueError:
        return None


# ------------------------------------------------------------------ write
_STAGE_LABEL = {"W": "Sleep stage W", "N1": "Sleep stage N1", "N2": "Sleep stage N2", "N3": "Sleep stage N3",
                "R": "Sleep stage R", "?": "Sleep stage ?"}


def criteria_label(obj: Any) -> str | None:
    """Annotation text recording the criteria and plm version of a scored night.

    ``"Scoring criteria: wasm2016 ba953d1020a5, plm 0.1.0"``; None for
    LegMovements, which were not scored. EDF+ has no header field long
    enough for it, so it travels as an annotation at second 0.
    """
    crit = getattr(obj, "criteria", None)
    if crit is None:
        return None
    return f"Scoring criteria: {crit.name} {crit.hash}, plm {getattr(obj, 'version', '')}".strip()


def context_annotations(ctx: NightContext) -> list[tuple[float, float | None, str]]:
    """EDF+ annotations of a night's context: stages, respiratory events, arousals, lights.

    Parameters
    ----------
    ctx : NightContext
        The ``context`` of a NightResult, LegMovements or Recording.

    Returns
    -------
    list of (onset, duration or None, label)
        Unsorted; labels ``Sleep stage W/N1/N2/N3/R/?``, ``Apnea``,
        ``Hypopnea``, ``RERA``, ``Arousal``, ``Lights off``, ``Lights on``.
    """
    anns: list[tuple[float, float | None, str]] = []
    hyp = ctx.hypnogram
    if hyp is not None:
        starts = hyp.onset + np.arange(len(hyp)) * hyp.epoch_length
        anns += [(t, hyp.epoch_length, _STAGE_LABEL[s]) for t, s in zip(starts.tolist(), hyp.stages.tolist())]
    for t, d, label in iter_nonempty(ctx.respiratory):
        anns.append((t, d, {"apnea": "Apnea", "hypopnea": "Hypopnea", "rera": "RERA"}.get(label, label)))
    anns += [(t, d, "Arousal") for t, d, _ in iter_nonempty(ctx.arousals)]
    for name, label in (("lights_off", "Lights off"), ("lights_on", "Lights on")):
        if getattr(ctx, name) is not None:
            anns.append((float(getattr(ctx, name)), None, label))
    return anns


def write_edf_annotations(path: str | os.PathLike, obj: Any) -> None:
    """Write a night as an annotation-only EDF+ file (atomically; needs ``edfio``).

    Parameters
    ----------
    path : path-like
        Output ``.edf`` file.
    obj : NightResult or LegMovements
        Written annotations: ``LM left``/``LM right`` per monolateral LM
        (``PLM left``/``PLM right`` when ``NightResult.events["is_plm"]``),
        ``Sleep stage W/N1/N2/N3/R/?`` per epoch, ``Apnea``, ``Hypopnea``,
        ``RERA``, ``Arousal``, ``Lights off``, ``Lights on``, and
        ``Recording end`` at the recording length (an annotation-only EDF+
        has no data records to carry it). The EDF start date/time is the
        local clock time of ``start_time`` (EDF has no UTC offset).
    """
    try:
        import edfio
    except ImportError:
        raise MissingDependencyError("EDF+ annotation export", "edfio", "export") from None
    ctx = obj.context
    anns: list[tuple[float, float | None, str]] = [
        (t, d, f"{'PLM' if plm else 'LM'} {side}") for t, d, side, plm in scored_lms(leg_table(obj))]
    anns += context_annotations(ctx)
    label = criteria_label(obj)
    if label:
        anns.append((0.0, None, label))
    if ctx.duration_s is not None:
        anns.append((float(ctx.duration_s), None, "Recording end"))
    if any(t < 0 for t, _, _ in anns):
        raise InputError(path, "cannot write events before second 0 to EDF+ (onsets must be >= 0)")
    anns.sort(key=lambda a: a[0])
    st: _dt.datetime | None = ctx.start_time
    kwargs: dict[str, Any] = {}
    if st is not None:
        kwargs["starttime"] = st.time().replace(tzinfo=None)
        kwargs["recording"] = edfio.Recording(startdate=st.date())
    edf = edfio.Edf(signals=[], annotations=[edfio.EdfAnnotation(t, d, text) for t, d, text in anns], **kwargs)
    from ..atomic import atomic_path

    with atomic_path(path) as tmp:
        edf.write(tmp)
