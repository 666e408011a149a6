"""Shared pieces of the scored-event readers and writers.

Every event-format module turns its rows into the same intermediate form
(onset, duration, kind, value, row number) and calls :func:`build_leg_movements`,
so that stage mapping, hypnogram building, side resolution and the checks on
bad input (negative durations, events outside the recording) behave the same
for every format.
"""
from __future__ import annotations

import datetime as _dt
import os
import re
import warnings
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np

from ..errors import InputError
from ..model import Hypnogram, LegMovements, ScoredEvents
from ..plausibility import check_leg_movement_rows
from ._rawfiles import read_file

#: Canonical respiratory labels (``ScoredEvents.label``) used by every reader.
RESPIRATORY_LABELS = ("apnea", "hypopnea", "rera")
#: Tolerance for "on the epoch grid" and "inside the recording", s.
TIME_TOL = 0.5


# ------------------------------------------------------------------ text
def decode_text(path: str | os.PathLike, data: bytes) -> str:
    """Bytes of a text export as str with ``\\n`` line ends (UTF-8, else Latin-1)."""
    if b"\x00" in data[:4096]:
        raise InputError(path, "is a binary file, expected a text export")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    # Old Mac exports (e.g. Stanford .STA) end lines with a bare CR.
    return text.replace("\r\n", "\n").replace("\r", "\n")


#: Largest scored-event file read (a night's export is kilobytes to a few MB);
#: checked before the file is read into memory.
MAX_EVENT_FILE_BYTES = 256 << 20


def read_event_file(path: str | os.PathLike) -> bytes:
    """Whole content of a scored-event file, refused unread when implausibly large."""
    try:
        size = os.stat(path).st_size
    except OSError as exc:
        raise InputError(path, f"cannot be read ({exc.strerror})") from None
    if size > MAX_EVENT_FILE_BYTES:
        raise InputError(path, f"is {size / 2 ** 20:.0f} MiB; a night's scored-event export is at most a few MB "
                               f"(limit {MAX_EVENT_FILE_BYTES >> 20} MiB)")
    return read_file(path)


def read_text(path: str | os.PathLike) -> str:
    """Whole text file, decoded as :func:`decode_text`; empty files are an error."""
    text = decode_text(path, read_event_file(path))
    if not text.strip():
        raise InputError(path, "file is empty; expected scored events")
    return text


def head_text(head: bytes) -> str:
    """Best-effort text of a file head for ``sniff`` (never raises)."""
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = head.decode("latin-1", errors="replace")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def parse_float(path, text: str, what: str, row: int | None) -> float:
    """Float of a cell, or InputError naming file, row and column."""
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        where = f"row {row}: " if row is not None else ""
        raise InputError(path, f"{where}{what} {text.strip()!r} is not a number") from None
    if not np.isfinite(value):
        where = f"row {row}: " if row is not None else ""
        raise InputError(path, f"{where}{what} {text.strip()!r} is not a finite number")
    return value


# ----------------------------------------------------------------- labels
_SIDE_TOKENS = {
    "left": "left", "l": "left", "lt": "left", "links": "left", "lat": "left", "ltib": "left",
    "tibl": "left", "lleg": "left", "legl": "left",
    "right": "right", "r": "right", "rt": "right", "rechts": "right", "rat": "right", "rtib": "right",
    "tibr": "right", "rleg": "right", "legr": "right",
}


def side_from_text(text: str) -> str | None:
    """``"left"``/``"right"`` named in a label or channel name, else None.

    Tokens are split on non-letters, so ``EMG.Tibialis-Leg.Left``,
    ``Leg L``, ``LAT`` and ``Limb Movement (Left)`` all give a side; a text
    naming both sides gives None.
    """
    tokens = re.split(r"[^a-z]+", text.lower())
    found = {_SIDE_TOKENS[t] for t in tokens if t in _SIDE_TOKENS}
    return found.pop() if len(found) == 1 else None


#: Numeric stage codes (Rechtschaffen & Kales numbering, stage 4 -> N3; 6 movement time,
#: 7 and 9 unscored) as NSRR/Profusion XML and Stanford ``.STA`` files write them.
NUMERIC_STAGES = {0: "W", 1: "N1", 2: "N2", 3: "N3", 4: "N3", 5: "R", 6: "?", 7: "?", 9: "?"}

_STAGE_WORDS = {
    "w": "W", "wake": "W", "awake": "W", "s0": "W", "stage 0": "W", "sleep stage w": "W",
    "n1": "N1", "s1": "N1", "stage 1": "N1", "stage 1 sleep": "N1",
    "n2": "N2", "s2": "N2", "stage 2": "N2", "stage 2 sleep": "N2",
    "n3": "N3", "s3": "N3", "stage 3": "N3", "stage 3 sleep": "N3",
    "n4": "N3", "s4": "N3", "stage 4": "N3", "stage 4 sleep": "N3",
    "r": "R", "rem": "R", "stage r": "R", "rem sleep": "R", "stage rem": "R",
    "?": "?", "u": "?", "unscored": "?", "unknown": "?", "uns": "?", "movement": "?", "mt": "?",
    "artifact": "?", "artefact": "?",
    **{str(code): stage for code, stage in NUMERIC_STAGES.items()},
}


def stage_code(text: str) -> str | None:
    """Map a stage label to a :data:`plm.model.events.STAGES` code (None if unknown).

    Accepts the AASM codes (``W N1 N2 N3 R``), Rechtschaffen & Kales
    numbers (``0``-``4``, ``5`` REM; stage 4 becomes N3), and the forms
    ``Sleep stage X``, ``Stage X``, ``SLEEP-S0``..``SLEEP-S4``,
    ``SLEEP-REM``, ``SLEEP-UNSCORED``.
    """
    t = " ".join(re.split(r"[\s_]+", text.strip().lower()))
    for prefix in ("sleep stage ", "sleep-", "sleep "):
        if t.startswith(prefix) and len(t) > len(prefix):
            t = t[len(prefix):]
            break
    return _STAGE_WORDS.get(t)


# ------------------------------------------------------------- time axis
def rollover_days(seconds_of_day: np.ndarray) -> np.ndarray:
    """Day offsets (0, 1, ...) for clock times listed in time order across midnight.

    A clock time more than 12 h earlier than the previous row starts a new
    day, so ``23:59:50, 00:00:10`` becomes day 0, day 1.
    """
    s = np.asarray(seconds_of_day, dtype=float)
    if len(s) < 2:
        return np.zeros(len(s), dtype=int)
    jumps = np.diff(s) < -12 * 3600
    return np.concatenate([[0], np.cumsum(jumps)]).astype(int)


def parse_clock(text: str) -> float | None:
    """Seconds of day of ``hh:mm:ss[.fff]`` (also ``hh.mm.ss``, optional AM/PM), else None."""
    m = re.fullmatch(r"\s*(\d{1,2})[:.](\d{2})[:.](\d{2}(?:[.,]\d+)?)\s*([AaPp][Mm])?\s*", text)
    if not m:
        return None
    h, mi, sec = int(m.group(1)), int(m.group(2)), float(m.group(3).replace(",", "."))
    if m.group(4):
        if not 1 <= h <= 12:
            return None
        h = h % 12 + (12 if m.group(4).lower() == "pm" else 0)
    if h > 23 or mi > 59 or sec >= 61:
        return None
    return h * 3600 + mi * 60 + sec


def parse_iso(text: str) -> _dt.datetime | None:
    """``datetime`` of an ISO 8601 date-time (naive or with offset), else None."""
    t = text.strip()
    if not re.match(r"\d{4}-\d{2}-\d{2}[T ]\d", t):
        return None
    t = t.replace("Z", "+00:00")
    # Python < 3.11 accepts at most 6 fraction digits.
    t = re.sub(r"(\.\d{6})\d+", r"\1", t)
    try:
        return _dt.datetime.fromisoformat(t)
    except ValueError:
        return None


def localize(naive: _dt.datetime, tz: str | _dt.tzinfo | None, path) -> _dt.datetime | None:
    """Place a file's naive clock time in ``tz``; None without ``tz``.

    ``tz`` is read as the raw readers read it (:func:`plm.io._rawfiles.parse_tz`:
    IANA name, ``UTC``, ``+01:00``/``UTC+01:00`` or a tzinfo), and a clock time
    in a daylight-saving gap is refused, as for raw recordings.
    """
    if tz is None:
        return None
    from ._rawfiles import local_start

    return local_start(naive, tz, path)[0]


# ------------------------------------------------------------ event rows
@dataclass
class Rows:
    """Scored rows of one file in seconds from a common origin.

    ``kind`` is ``lm``, ``stage``, ``respiratory``, ``arousal``,
    ``lights_off`` or ``lights_on``; ``value`` is the side (``left``,
    ``right`` or ``""``) for LMs, the stage code for stages and the
    canonical label for respiratory events.
    """

    onset: list[float] = field(default_factory=list)
    duration: list[float] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)
    value: list[str] = field(default_factory=list)
    row: list[int] = field(default_factory=list)
    ignored: Counter = field(default_factory=Counter)

    def add(self, onset: float, duration: float, kind: str, value: str = "", row: int = 0) -> None:
        self.onset.append(float(onset))
        self.duration.append(float(duration))
        self.kind.append(kind)
        self.value.append(value)
        self.row.append(row)

    def ignore(self, label: str) -> None:
        self.ignored[label.strip() or "(blank)"] += 1

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        return (
            np.asarray(self.onset, dtype=float),
            np.asarray(self.duration, dtype=float),
            np.asarray(self.kind, dtype=object),
            np.asarray(self.value, dtype=object),
            np.asarray(self.row, dtype=int),
        )


def hypnogram_from_rows(
    path, onset: np.ndarray, duration: np.ndarray, stage: np.ndarray, rows: np.ndarray,
    epoch_length: float | None = None,
) -> Hypnogram | None:
    """Build a :class:`Hypnogram` from stage rows (one row per epoch or per run of epochs).

    Rows must lie on one epoch grid (within 0.5 s); a row longer than an
    epoch fills as many epochs as its duration covers (NSRR and some exports
    merge runs). Epochs no row covers are unscored (``"?"``). Two rows
    giving different stages for one epoch are an error.
    """
    if len(onset) == 0:
        return None
    if epoch_length is None:
        positive = duration[duration > 0]
        if len(positive):
            vals, counts = np.unique(np.round(positive, 3), return_counts=True)
            epoch_length = float(vals[np.argmax(counts)])
            # Runs of epochs (NSRR) make the most common duration a multiple of 30.
            if epoch_length > 60 or epoch_length < 1:
                epoch_length = 30.0
        else:
            epoch_length = 30.0
    origin = float(np.min(onset))
    rel = (onset - origin) / epoch_length
    idx = np.round(rel).astype(np.int64)
    off_grid = np.abs(rel - idx) * epoch_length > TIME_TOL
    if np.any(off_grid):
        i = int(np.flatnonzero(off_grid)[0])
        raise InputError(path, f"row {rows[i]}: sleep stage at {onset[i]:.2f} s is off the {epoch_length:g} s "
                               f"epoch grid that starts at {origin:.2f} s; expected one stage per epoch")
    n = np.maximum(1, np.round(duration / epoch_length).astype(np.int64))
    total = int(np.max(idx + n))
    if total > 10 * 24 * 3600 / epoch_length:
        raise InputError(path, f"sleep stages span {total * epoch_length / 3600:.0f} h; expected one night")
    epoch_idx = np.repeat(idx, n) + np.concatenate([np.arange(k) for k in n])
    epoch_stage = np.repeat(stage.astype(str), n)
    epoch_row = np.repeat(rows, n)
    stages = np.full(total, "?", dtype="<U2")
    stages[epoch_idx] = epoch_stage
    clash = stages[epoch_idx] != epoch_stage
    if np.any(clash):
        i = int(np.flatnonzero(clash)[0])
        raise InputError(path, f"row {epoch_row[i]}: epoch at {origin + epoch_idx[i] * epoch_length:.1f} s has two "
                               f"different sleep stages ({epoch_stage[i]} and {stages[epoch_idx[i]]})")
    return Hypnogram(stages, epoch_length=epoch_length, onset=origin)


def resolve_sides(path, side: np.ndarray, rows: np.ndarray, unknown_side: str) -> tuple[np.ndarray, np.ndarray, dict]:
    """Decide the leg of LMs whose file gives none.

    Parameters
    ----------
    side : array of str
        ``left``, ``right`` or ``""`` (unknown) per LM.
    unknown_side : {"auto", "error", "left", "right", "drop"}
        ``auto``: if no LM has a side, all go to ``left`` and are scored as
        one combined (monolateral) channel, recorded in the metadata; if only
        some lack a side, that is an error. ``left``/``right`` assign the
        unknown ones to that leg; ``drop`` skips them (counted).

    Returns
    -------
    side, keep, metadata
    """
    unknown = side == ""
    keep = np.ones(len(side), dtype=bool)
    meta: dict[str, Any] = {}
    if not np.any(unknown):
        return side, keep, meta
    choice = unknown_side
    if choice == "auto":
        if np.all(unknown):
            choice = "left"
        else:
            choice = "error"
    if choice == "error":
        i = int(np.flatnonzero(unknown)[0])
        raise InputError(path, f"row {rows[i]}: leg movement without a side (left/right) among LMs that have one; "
                               "pass unknown_side='left', 'right' or 'drop' to the reader")
    if choice == "drop":
        meta["lm_side_unknown_dropped"] = int(np.sum(unknown))
        keep = ~unknown
        return side, keep, meta
    if choice not in ("left", "right"):
        raise InputError(None, f"unknown_side must be 'auto', 'error', 'left', 'right' or 'drop', got {unknown_side!r}")
    side = side.copy()
    side[unknown] = choice
    meta["side_assumed"] = choice
    meta["lm_side_unknown"] = int(np.sum(unknown))
    if np.all(unknown):
        meta["note"] = (f"the file gives no leg for any LM: all {int(np.sum(unknown))} LMs are put on the {choice} leg "
                        "and scored as one combined channel (no bilateral merging); n_lm_left/n_lm_right do not "
                        "describe real legs")
    return side, keep, meta


def build_leg_movements(
    path,
    rows: Rows,
    *,
    start_time: _dt.datetime | None = None,
    duration_s: float | None = None,
    epoch_length: float | None = None,
    unknown_side: str = "auto",
    metadata: dict[str, Any] | None = None,
    hypnogram: Hypnogram | None = None,
) -> LegMovements:
    """Check rows and assemble the :class:`LegMovements` of one night.

    Parameters
    ----------
    path : path-like
        The file, named in every error.
    rows : Rows
        Onsets in seconds from second 0 of the recording.
    start_time : datetime or None
        Wall-clock time of second 0 (timezone-aware, or None).
    duration_s : float or None
        Recording length when the file states it: rows starting before 0 or
        after it are an error. When None, the recording is taken to end at
        the latest row end (or hypnogram end).
    epoch_length : float, optional
        Hypnogram epoch length (inferred from stage rows when None).
    unknown_side : str
        See :func:`resolve_sides`.
    metadata : dict, optional
        Reader facts merged into :attr:`LegMovements.metadata`.
    hypnogram : Hypnogram, optional
        Staging from elsewhere in the file (e.g. a list of epochs); stage
        rows, if any, take precedence.
    """
    onset, duration, kind, value, rownum = rows.arrays()
    meta: dict[str, Any] = dict(metadata or {})
    bad = duration < 0
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        raise InputError(path, f"row {rownum[i]}: {kind[i]} at {onset[i]:.2f} s has negative duration "
                               f"{duration[i]:g} s; expected a duration >= 0")
    if duration_s is not None:
        if not np.isfinite(duration_s) or duration_s <= 0:
            raise InputError(path, f"recording length {duration_s} s is not a positive number")
        outside = (onset < -TIME_TOL) | (onset > duration_s + TIME_TOL)
        if np.any(outside):
            i = int(np.flatnonzero(outside)[0])
            raise InputError(path, f"row {rownum[i]}: {kind[i]} at {onset[i]:.2f} s lies outside the recording "
                                   f"(0 to {duration_s:.2f} s)")

    lm_rows = kind == "lm"
    check_leg_movement_rows(path, onset[lm_rows], duration[lm_rows], rownum[lm_rows], duration_s, TIME_TOL)

    is_stage = kind == "stage"
    hyp = hypnogram_from_rows(path, onset[is_stage], duration[is_stage], value[is_stage], rownum[is_stage],
                              epoch_length) if np.any(is_stage) else hypnogram
    if hyp is not None and duration_s is not None and hyp.onset + hyp.duration > duration_s + hyp.epoch_length:
        raise InputError(path, f"sleep stages run to {hyp.end:.0f} s, past the end of the recording ({duration_s:.0f} s)")
    if hyp is not None and duration_s is not None and hyp.end < duration_s - hyp.epoch_length:
        # Unstaged time is neither sleep nor wake: it drops out of TST and the
        # wake hours. Legal (staging often stops at lights-on) but worth saying.
        note = (f"sleep stages cover {hyp.onset:.0f}-{hyp.end:.0f} s of a {duration_s:.0f} s recording; "
                f"the {duration_s - hyp.end:.0f} s without staging count as neither sleep nor wake")
        meta.setdefault("warnings", []).append(note)
        warnings.warn(f"{path}: {note}", UserWarning, stacklevel=3)

    is_lm = kind == "lm"
    side, keep, side_meta = resolve_sides(path, value[is_lm].astype("<U5"), rownum[is_lm], unknown_side)
    meta.update(side_meta)

    def events(mask: np.ndarray, labels: np.ndarray) -> ScoredEvents:
        return ScoredEvents(onset[mask], duration[mask], labels)

    is_resp = kind == "respiratory"
    is_arousal = kind == "arousal"
    lights_off = _single(path, onset, kind, rownum, "lights_off")
    lights_on = _single(path, onset, kind, rownum, "lights_on")
    if lights_off is not None and lights_on is not None and lights_on <= lights_off:
        raise InputError(path, f"lights on ({lights_on:.1f} s) is not after lights off ({lights_off:.1f} s)")

    meta["duration_source"] = "file"
    if duration_s is None:
        ends = [onset + duration] if len(onset) else []
        candidates = [float(np.max(e)) for e in ends if len(e)]
        if hyp is not None:
            candidates.append(hyp.end)
        duration_s = max(candidates) if candidates else None
        meta["duration_source"] = "last_event"
        if duration_s is not None and hyp is None and (lights_off is None or lights_on is None):
            # Without staging or both lights times, this assumed length is the index's denominator.
            note = (f"the file gives no recording length: the recording is taken to end with the last event, "
                    f"{duration_s:.1f} s ({duration_s / 3600:.2f} h) after its start, and the PLM index is per hour "
                    "of that span")
            meta.setdefault("warnings", []).append(note)
            warnings.warn(f"{path}: {note}", UserWarning, stacklevel=3)
    if rows.ignored:
        meta["ignored"] = dict(sorted(rows.ignored.items()))
    return LegMovements(
        onset=onset[is_lm][keep],
        duration=duration[is_lm][keep],
        side=side[keep],
        start_time=start_time,
        duration_s=duration_s,
        lights_off=lights_off,
        lights_on=lights_on,
        hypnogram=hyp,
        respiratory=events(is_resp, value[is_resp].astype(str)),
        arousals=events(is_arousal, np.full(int(np.sum(is_arousal)), "arousal")),
        source=os.fspath(path),
        metadata=meta,
    )


def _single(path, onset, kind, rownum, name) -> float | None:
    mask = kind == name
    if not np.any(mask):
        return None
    if np.sum(mask) > 1:
        i = int(np.flatnonzero(mask)[1])
        raise InputError(path, f"row {rownum[i]}: more than one {name.replace('_', ' ')} marker")
    return float(onset[mask][0])


# ------------------------------------------------------- result context
def scored_rows(table: dict[str, np.ndarray]) -> np.ndarray:
    """Indices of the per-leg LMs an annotation export should carry.

    For a NightResult these are the scored LMs (``lm_id >= 0``): movements
    left out by the scorer (too short, outside lights, excluded time) stay
    in the events TSV with their ``reason`` but are not annotated, so that
    annotation counts match the summary. A LegMovements has no ``lm_id``:
    every row is written.
    """
    lm_id = table.get("lm_id")
    n = len(table["onset"])
    return np.arange(n) if lm_id is None else np.flatnonzero(np.asarray(lm_id) >= 0)


def scored_lms(table: dict[str, np.ndarray]) -> list[tuple[float, float, str, bool]]:
    """``(onset, duration, side, is_plm)`` of each LM an annotation export carries (see :func:`scored_rows`).

    ``is_plm`` is False when the table has no ``is_plm`` column (a LegMovements).
    """
    is_plm = table.get("is_plm")
    return [(float(table["onset"][i]), float(table["duration"][i]), str(table["side"][i]),
             is_plm is not None and bool(is_plm[i])) for i in scored_rows(table)]


def leg_table(obj: Any) -> dict[str, np.ndarray]:
    """The per-leg LMs a writer writes: onset/duration/side of a LegMovements, every events column of a NightResult.

    The rest of what writers need is ``obj.context`` (a
    :class:`~plm.model.context.NightContext`).
    """
    if isinstance(obj, LegMovements):
        return {"onset": obj.onset, "duration": obj.duration, "side": obj.side}
    events = getattr(obj, "events", None)
    if events is None or not hasattr(obj, "measures"):
        raise TypeError(f"expected a NightResult or LegMovements, got {type(obj).__name__}")
    return {k: np.asarray(events[k]) for k in events.columns}


def iter_nonempty(events: ScoredEvents | None) -> Iterable[tuple[float, float, str]]:
    if events is None:
        return []
    return zip(events.onset.tolist(), events.duration.tolist(), events.label.tolist())
