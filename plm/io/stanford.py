"""Stanford-style ``.SCO`` event and ``.STA`` stage files (as used by SEV).

``.SCO``: tab-separated rows ``epoch, start sample, duration (samples),
event code, label, ...`` (further columns: a code, the clock time
``h:mm:ss``, SaO2 values). Samples are at ``sfreq`` (200 Hz in SEV's
files); epochs are 30 s and numbered from 1, so ``epoch == start // (30 *
sfreq) + 1`` (checked: a mismatch means a wrong ``sfreq``). Codes 406
``LM`` and 405 ``LMA`` (LM with arousal) are leg movements; labels with
``Apnea``/``Hypopnea``/``RERA`` are respiratory events; ``Arousal`` labels
are arousals; other rows (``SaO2`` desaturations) are ignored and counted.

``.STA``: one ``epoch stage`` pair per line (bare CR line ends occur);
stage 0 W, 1 N1, 2 N2, 3 and 4 N3, 5 R, 6 (movement), 7 (unscored) and 9
unscored. The number of epochs sets the recording length.

What the files do not say, and what plm assumes (recorded in
``LegMovements.metadata``):

* **side**: an LM row names no leg. All LMs go on one leg (``side``,
  default ``"left"``) and are scored as one combined channel: no bilateral
  merging happens, which is right when the technician scored one event per
  movement of either or both legs. ``n_lm_left``/``n_lm_right`` then do not
  describe real legs.
* **LM duration**: LM rows have none. Each LM is given ``lm_duration``
  (default 0.5 s, the shortest LM both standards allow), so every LM is a
  candidate by duration and association windows (respiratory, arousal) are
  met only when they reach the LM onset +- 0.5 s: a lower bound.
* **arousals**: ``LMA`` marks an LM the technician associated with an
  arousal, but no arousal events are listed; arousals are None (not
  scored) unless ``lma_as_arousal=True``, which adds one arousal spanning
  each LMA so that plm's PLM-arousal counts reproduce the technician's
  association.
* **start time**: no date; the clock time of sample 0 (from the clock
  column) is kept in ``metadata["start_clock_time"]``, ``start_time`` is None.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from ..model import Hypnogram, LegMovements
from ._scored import NUMERIC_STAGES, Rows, build_leg_movements, parse_clock, read_text

__all__ = ["read_stanford", "sniff"]

_STA_STAGES = NUMERIC_STAGES
_LM_CODES = {405, 406}


def sniff(path: str | os.PathLike, head: bytes) -> bool:
    """True for a ``.sco``/``.sta`` file whose first row starts with two integers."""
    try:
        suffix = Path(path).suffix.lower()
        if suffix not in (".sco", ".sta"):
            return False
        text = head.decode("latin-1").replace("\r\n", "\n").replace("\r", "\n")
        for line in text.split("\n"):
            cells = line.split()
            if not cells:
                continue
            return len(cells) >= 2 and cells[0].isdigit() and cells[1].isdigit()
        return False
    except Exception:
        return False


def _sibling(path: Path, suffix: str) -> Path | None:
    for cand in (path.with_suffix(suffix.upper()), path.with_suffix(suffix.lower())):
        if cand.is_file():
            return cand
    for cand in path.parent.glob(path.stem + ".*"):
        if cand.suffix.lower() == suffix.lower():
            return cand
    return None


def read_sta(path: str | os.PathLike, epoch_length: float = 30.0) -> Hypnogram:
    """Hypnogram of a ``.STA`` file (epoch 1 starts at second 0)."""
    text = read_text(path)
    epochs: list[int] = []
    codes: list[int] = []
    for lineno, line in enumerate(text.split("\n"), start=1):
        cells = line.split()
        if not cells:
            continue
        if len(cells) < 2 or not cells[0].isdigit() or not re.fullmatch(r"-?\d+", cells[1]):
            raise InputError(path, f"line {lineno}: {line.strip()!r} is not 'epoch stage' (two integers)")
        epoch, code = int(cells[0]), int(cells[1])
        if code not in _STA_STAGES:
            raise InputError(path, f"line {lineno}: stage code {code} is not one of {sorted(_STA_STAGES)}")
        if epoch < 1:
            raise InputError(path, f"line {lineno}: epoch number {epoch} < 1")
        epochs.append(epoch)
        codes.append(code)
    ep = np.asarray(epochs)
    if len(np.unique(ep)) != len(ep):
        dup = int(ep[np.flatnonzero(np.bincount(ep) > 1)[0]]) if len(ep) else 0
        raise InputError(path, f"epoch {dup} is listed more than once")
    stages = np.full(int(ep.max()), "?", dtype="<U2")
    stages[ep - 1] = [_STA_STAGES[c] for c in codes]
    return Hypnogram(stages, epoch_length=epoch_length, onset=0.0)


def read_stanford(
    path: str | os.PathLike,
    *,
    sfreq: float = 200.0,
    lm_duration: float = 0.5,
    side: str = "left",
    lma_as_arousal: bool = False,
    epoch_length: float = 30.0,
) -> LegMovements:
    """Read a ``.SCO`` file (and the ``.STA`` beside it) into :class:`LegMovements`.

    Parameters
    ----------
    path : path-like
        The ``.SCO`` (or the ``.STA``; the other one is found by name).
    sfreq : float
        Sampling rate the sample columns count in, Hz.
    lm_duration : float
        Duration given to each LM, s (the file has none).
    side : {"left", "right"}
        Leg all LMs are put on (the file has none).
    lma_as_arousal : bool
        Add an arousal over each ``LMA`` (LM with arousal) row.
    epoch_length : float
        Epoch length of the ``.STA`` stages and of the ``.SCO`` epoch column, s.

    Returns
    -------
    LegMovements
    """
    if side not in ("left", "right"):
        raise InputError(None, f"side must be 'left' or 'right', got {side!r}")
    if not lm_duration >= 0:
        raise InputError(None, f"lm_duration must be >= 0, got {lm_duration}")
    p = Path(path)
    if p.suffix.lower() == ".sta":
        sco = _sibling(p, ".sco")
        if sco is None:
            raise InputError(p, "no .SCO event file with the same name beside this .STA stage file")
        sta: Path | None = p
    else:
        sco, sta = p, _sibling(p, ".sta")
    text = read_text(sco)
    rows = Rows()
    samples_per_epoch = epoch_length * sfreq
    clock_offsets: list[float] = []
    n_lma = 0
    n_assumed = 0
    lma_spans: list[tuple[float, float]] = []
    n_rows = 0
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        cells = [c.strip() for c in line.split("\t")]
        if len(cells) < 5:
            raise InputError(sco, f"line {lineno} has {len(cells)} fields; expected epoch, start sample, "
                                  "duration samples, code, label (truncated file?)")
        if not (cells[0].isdigit() and cells[1].isdigit()):
            raise InputError(sco, f"line {lineno}: epoch {cells[0]!r} and start sample {cells[1]!r} must be "
                                  "whole numbers")
        n_rows += 1
        epoch, start = int(cells[0]), int(cells[1])
        if start // samples_per_epoch + 1 != epoch:
            raise InputError(sco, f"line {lineno}: start sample {start} is not in epoch {epoch} at {sfreq:g} Hz "
                                  "(wrong sfreq?)")
        onset = start / sfreq
        if len(cells) > 6:
            clock = parse_clock(cells[6])
            if clock is not None:
                clock_offsets.append((clock - onset) % 86400)
        code = int(cells[3]) if re.fullmatch(r"-?\d+", cells[3]) else None
        label = cells[4]
        low = label.lower()
        dur_text = cells[2]
        if dur_text and not re.fullmatch(r"-?\d+(\.\d+)?", dur_text):
            raise InputError(sco, f"line {lineno}: duration {dur_text!r} is not a number of samples")
        duration = float(dur_text) / sfreq if dur_text else None
        if code in _LM_CODES or low in ("lm", "lma", "plm"):
            if duration is None:
                duration = lm_duration
                n_assumed += 1
            rows.add(onset, duration, "lm", side, lineno)
            if code == 405 or low == "lma":
                n_lma += 1
                lma_spans.append((onset, duration))
            continue
        kind = None
        if "hypopnea" in low:
            kind, value = "respiratory", "hypopnea"
        elif "apnea" in low:
            kind, value = "respiratory", "apnea"
        elif "rera" in low:
            kind, value = "respiratory", "rera"
        elif "arousal" in low:
            kind, value = "arousal", "arousal"
        if kind is None:
            rows.ignore(label)
            continue
        if duration is None:
            raise InputError(sco, f"line {lineno}: {label} has no duration; expected samples in column 3")
        rows.add(onset, duration, kind, value, lineno)
    if n_rows == 0:
        raise InputError(sco, "holds no event rows")
    hyp = read_sta(sta, epoch_length) if sta is not None else None
    meta: dict[str, Any] = {"format": "stanford-sco", "sfreq": sfreq, "sta_file": None if sta is None else str(sta)}
    if n_assumed:
        meta["duration_assumed_s"] = lm_duration
        meta["lm_duration_assumed"] = n_assumed
    meta["n_lm_with_arousal"] = n_lma
    if clock_offsets:
        # Clock times are rounded to whole seconds: take the median offset.
        sec = float(np.median(clock_offsets))
        meta["start_clock_time"] = "%02d:%02d:%02d" % (int(sec // 3600) % 24, int(sec % 3600 // 60), round(sec % 60) % 60)
    has_arousal_rows = "arousal" in rows.kind
    if lma_as_arousal:
        for onset, duration in lma_spans:
            rows.add(onset, duration, "arousal", "arousal", 0)
        meta["arousals_from_lma"] = len(lma_spans)
    lms = build_leg_movements(sco, rows, duration_s=None if hyp is None else hyp.duration, hypnogram=hyp,
                              unknown_side="error", metadata=meta)
    n = len(lms)
    meta = dict(lms.metadata)
    meta.update({
        "side_assumed": side,
        "note": (f"the file gives no leg: all {n} LMs are put on the {side} leg and scored as one combined channel "
                 "(no bilateral merging); n_lm_left/n_lm_right do not describe real legs"),
    })
    changes: dict[str, Any] = {"metadata": meta}
    if not (has_arousal_rows or lma_as_arousal):
        changes["arousals"] = None
    return lms.replace(**changes)
