"""``plm calibrate``: fit the detection thresholds of a device to a lab's reference scoring.

For each night, the recording is read and cut into nights as every command
does (:func:`~plm.workflows.night_scoring.read_nights`), the reference is
scored through :func:`~plm.workflows.night_scoring.score_nights`, and the
detector's features are computed once (:class:`plm.detect.cached.CachedDetection`).
The fitted fields (:data:`FITTED_FIELDS`, per modality) are then searched
with only the threshold step of detection repeated, and each candidate is
scored and compared with the reference exactly as ``plm compare`` does.

Search (documented in ``docs/validation.md``): coordinate ascent on a
logarithmic grid, along one line that scales all fitted fields together (a
device or amplifier gain) and one line per field; each line spans 1/8 to 8
times the current values in quarter-octave steps, repeated until nothing
changes, then again in sixteenth-octave steps. The objective is the pooled
LM F1 (all legs and nights together). The current setting is kept unless a
setting on the line has a higher F1; then the middle of the longest run of
settings with that F1 is taken, away from the edges where agreement falls.

The fitted criteria are checked by scoring every night with them through
:func:`~plm.workflows.night_scoring.score_night` (full detection) and
comparing again: that is the "after" agreement reported.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .._util import json_safe, write_file
from .._version import __version__
from ..criteria import Criteria
from ..errors import CriteriaError, InputError
from ..model import NightResult, Recording
from ..scoring import score_events
from ..scoring.agreement import Agreement, compare_nights
from .reading import ReadOptions

__all__ = ["calibrate", "Calibration", "FITTED_FIELDS", "FAR_FACTOR", "FAR_F1_LOSS"]

#: Criteria fields fitted per modality: the detection thresholds. They must
#: be fields the threshold step alone reads (plm.detect.cached.THRESHOLD_FIELDS).
FITTED_FIELDS: dict[str, tuple[str, ...]] = {
    "emg": ("emg_onset_uv", "emg_offset_uv"),
    "accel": ("accel_onset_g", "accel_offset_g"),
}

#: A night's own best setting is "far" from the rest when a fitted value
#: differs by more than this factor (either way) from the other nights' best
#: (their geometric median) ...
FAR_FACTOR = 1.5
#: ... and the night's F1 with the other nights' best is this much below its own best.
FAR_F1_LOSS = 0.02

_COARSE = 2.0 ** (np.arange(-12, 13) / 4.0)     # 1/8 .. 8, quarter octaves
_FINE = 2.0 ** (np.arange(-4, 5) / 16.0)        # one quarter octave either way, sixteenths
_MAX_ROUNDS = 6
_F1_EPS = 1e-12


@dataclass
class _Night:
    """One night being fitted: its reference scoring and the detector's stored features."""

    label: str
    reference: NightResult
    recording: Recording
    cache: Any
    recording_files: list[str]
    reference_file: str | None


def _sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _file_record(path: str | None, source: str) -> dict[str, Any]:
    if path is None:
        return {"file": source or None, "sha256": None}
    return {"file": os.path.basename(path), "sha256": _sha256(path)}


def _paths(data: Any) -> list[str] | None:
    if isinstance(data, (str, os.PathLike)):
        return [os.fspath(data)]
    if isinstance(data, (list, tuple)) and data and all(isinstance(p, (str, os.PathLike)) for p in data):
        return [os.fspath(p) for p in data]
    return None


def _overlap(ref: NightResult, night: Recording) -> float:
    if ref.start_time is None or night.start_time is None:
        return 0.0
    shift = (night.start_time - ref.start_time).total_seconds()
    ref_len = ref.measures.get("duration_s") or 0.0
    return max(0.0, min(ref_len, shift + night.duration) - max(0.0, shift))


def _prepare(label: str, recording: Any, reference: Any, base: Criteria, read_options: ReadOptions | None,
             threads: int | None) -> _Night:
    from ..detect.cached import CachedDetection
    from .compare import scored_night
    from .night_scoring import read_nights

    ref = scored_night(reference, base, what="reference")
    ref_paths = _paths(reference)
    files = _paths(recording)
    if not isinstance(recording, Recording) and files is None:
        raise InputError(None, f"calibrate needs raw recordings (files or a Recording), got {type(recording).__name__}")
    nights = read_nights(recording, read_options)
    where = ", ".join(files) if files else (recording.source or label)
    if any(not isinstance(n, Recording) for n in nights):
        raise InputError(where, "is a scored-event file; calibration needs a raw recording (signals)")
    if not nights:
        raise InputError(where, "holds no night to calibrate on")
    overlap = [_overlap(ref, n) for n in nights]
    if len(nights) > 1 and max(overlap) <= 0:
        raise InputError(where, f"holds {len(nights)} nights and none overlaps the reference in time; give one "
                                "night, or files with start times")
    night = nights[int(np.argmax(overlap))]
    if night.modality not in FITTED_FIELDS:
        raise InputError(night.source or label, f"holds {night.modality!r} signals; calibration fits EMG or "
                                                "accelerometer detection")
    return _Night(label=label, reference=ref, recording=night, cache=CachedDetection(night, base, threads=threads),
                  recording_files=files or [], reference_file=ref_paths[0] if ref_paths else None)


def _check_fit_possible(n: _Night, agreement: Agreement) -> None:
    s = agreement.summary()
    ref_name = n.reference_file or n.reference.source or "reference"
    if not s["compared_hours"] > 0:
        where = n.recording.source or n.label
        raise InputError(ref_name, f"shares no time with the recording {where} (compared 0 h: check the start "
                                   "times and that both are the same night); nothing to fit")
    if s["tp"] + s["fn"] == 0:
        raise InputError(ref_name, f"has no leg movements in the {s['compared_hours']:.2f} h it shares with the "
                                   f"recording {n.recording.source or n.label}; calibration needs reference LMs")


class _Objective:
    """Agreement of candidate settings with the references, memoised."""

    def __init__(self, nights: list[_Night], base: Criteria, fields: tuple[str, ...], tolerance: float) -> None:
        self.nights, self.base, self.fields, self.tolerance = nights, base, fields, tolerance
        self.memo: dict[tuple, tuple | None] = {}

    def criteria(self, values: tuple[float, ...]) -> Criteria:
        return self.base.replace(**dict(zip(self.fields, values)))

    def night_parts(self, values: tuple[float, ...]) -> tuple[tuple[int, int, int], ...] | None:
        """Per night: tp, n_reference, n_test; None when the criteria reject the values."""
        key = tuple(round(v, 12) for v in values)
        if key not in self.memo:
            try:
                crit = self.criteria(values)
            except CriteriaError:      # e.g. an offset threshold above the onset threshold
                self.memo[key] = None
                return None
            parts = []
            for n in self.nights:
                s = compare_nights(n.reference, score_events(n.cache.detect(crit), crit), self.tolerance).summary()
                parts.append((s["tp"], s["tp"] + s["fn"], s["tp"] + s["fp"]))
            self.memo[key] = tuple(parts)
        return self.memo[key]

    def score(self, values: tuple[float, ...], which: Sequence[int] | None = None) -> float:
        """Pooled LM F1 of the nights ``which`` (default all); -inf when the criteria reject ``values``."""
        parts = self.night_parts(values)
        if parts is None:
            return -math.inf
        sel = [parts[i] for i in (range(len(parts)) if which is None else which)]
        total = sum(p[1] + p[2] for p in sel)
        return 2.0 * sum(p[0] for p in sel) / total if total else 0.0


def _line_pick(scores: list[float], here: int) -> int:
    """``here`` unless a setting on the line scores higher; then the middle of the longest run of best ones."""
    best = max(scores)
    if not best > scores[here] + _F1_EPS:
        return here
    good = np.array([s >= best - _F1_EPS for s in scores])
    starts = np.flatnonzero(good & ~np.r_[False, good[:-1]])
    stops = np.flatnonzero(good & ~np.r_[good[1:], False]) + 1
    i = int(np.argmax(stops - starts))
    return int((starts[i] + stops[i] - 1) // 2)


def _search(objective: _Objective, start: tuple[float, ...], which: Sequence[int] | None = None) -> tuple[float, ...]:
    """Coordinate ascent from ``start`` (see the module docstring)."""
    k = len(start)
    directions = [np.ones(k)] + [np.eye(k)[i] for i in range(k)] if k > 1 else [np.ones(1)]
    current = tuple(float(v) for v in start)
    for factors in (_COARSE, _FINE):
        here = int(np.flatnonzero(np.isclose(factors, 1.0))[0])
        for _ in range(_MAX_ROUNDS):
            before = current
            for d in directions:
                line = [tuple(float(v * f ** e) for v, e in zip(current, d)) for f in factors]
                scores = [objective.score(c, which) for c in line]
                current = line[_line_pick(scores, here)]
            if np.allclose(current, before, rtol=1e-9):
                break
    return current


@dataclass(frozen=True, eq=False)
class Calibration:
    """A fitted criteria set and the agreement before and after (:func:`calibrate`).

    Attributes
    ----------
    criteria : Criteria
        The base criteria with the fitted fields changed.
    base : Criteria
    modality : str
    fields : dict
        Fitted field -> ``{"base": value, "fitted": value}``.
    nights : list of dict
        Per night: ``night``, ``f1_before``, ``f1_after``, per-leg F1 after,
        PLM index of the reference and of the test before and after; with
        several nights also the night's own best setting and its F1, the
        other nights' best (geometric median) and this night's F1 with it,
        its F1 with the common fit, and ``far`` (see :data:`FAR_FACTOR`).
    f1_before, f1_after : float
        Pooled LM F1 of all nights under the base and the fitted criteria.
    warnings : list of str
    document : dict
        The criteria JSON written by :meth:`save` (``name``, ``hash``,
        ``params`` and ``calibration``: what it was fitted on and how).
    """

    criteria: Criteria
    base: Criteria
    modality: str
    fields: dict[str, dict[str, float]]
    nights: list[dict[str, Any]]
    f1_before: float
    f1_after: float
    warnings: list[str]
    document: dict[str, Any]

    def save(self, path: str | os.PathLike) -> Path:
        """Write :attr:`document` as JSON (accepted by ``--criteria PATH``).

        Parameters
        ----------
        path : path-like
            Written atomically.

        Returns
        -------
        Path
        """
        return write_file(path, json.dumps(json_safe(self.document), indent=2, allow_nan=False) + "\n")


def _pooled_f1(agreements: Sequence[Agreement]) -> float:
    tp = sum(a.summary()["tp"] for a in agreements)
    total = sum(2 * a.summary()["tp"] + a.summary()["fp"] + a.summary()["fn"] for a in agreements)
    return 2.0 * tp / total if total else math.nan


def calibrate(
    recording: Any = None,
    reference: Any = None,
    criteria: str | Criteria = "wasm2016",
    *,
    manifest: str | os.PathLike | Sequence[tuple[Any, Any]] | None = None,
    out: str | os.PathLike | None = None,
    tolerance: float = 0.5,
    read_options: ReadOptions | None = None,
    threads: int | None = None,
) -> Calibration:
    """Fit the detection thresholds of a recording's modality to a reference scoring.

    Parameters
    ----------
    recording : path-like, sequence of path-like or Recording, optional
        One night's raw recording (left and right ankle files are read
        together); with ``reference``.
    reference : path-like, LegMovements or NightResult, optional
        Reference scoring of the same night (a technician's LMs, or LMs
        from simultaneous PSG EMG).
    criteria : str or Criteria
        Base criteria: every field but the fitted ones is kept.
    manifest : path-like or sequence of (recording, reference), optional
        Several nights fitted with one setting: a CSV with ``night,
        reference, test`` columns (:func:`plm.workflows.compare.read_comparison_manifest`,
        ``test`` being the recording), or pairs as above. Instead of
        ``recording`` and ``reference``.
    out : path-like, optional
        Write the criteria JSON here.
    tolerance : float
        LM onset tolerance of the agreement, s.
    read_options : ReadOptions, optional
        How the recordings are read and cut into nights, as for ``plm score``.
    threads : int, optional
        Legs processed at the same time.

    Returns
    -------
    Calibration

    Raises
    ------
    InputError
        A night whose reference has no LMs in the time it shares with the
        recording, or shares no time with it; a recording that is not EMG or
        accelerometry; nights of different modalities.
    """
    from .. import criteria as _criteria
    from .compare import read_comparison_manifest
    from .night_scoring import score_night

    base = _criteria.get(criteria)
    if manifest is not None:
        if recording is not None or reference is not None:
            raise InputError("manifest", "takes the nights from the manifest; give no recording or reference")
        if isinstance(manifest, (str, os.PathLike)):
            pairs = [(r.night, list(r.test), r.reference) for r in read_comparison_manifest(manifest)]
        else:
            pairs = [(str(i + 1), rec, ref) for i, (rec, ref) in enumerate(manifest)]
    else:
        if recording is None or reference is None:
            raise InputError(None, "give a recording and its reference scoring, or a manifest")
        pairs = [("1", recording, reference)]
    if not pairs:
        raise InputError(manifest, "lists no night")
    prepared = [_prepare(label, rec, ref, base, read_options, threads) for label, rec, ref in pairs]
    modalities = sorted({n.recording.modality for n in prepared})
    if len(modalities) > 1:
        raise InputError(manifest, f"mixes {' and '.join(modalities)} recordings; one setting fits one kind of device")
    modality = modalities[0]
    fields = FITTED_FIELDS[modality]
    objective = _Objective(prepared, base, fields, float(tolerance))
    start = tuple(float(getattr(base, f)) for f in fields)
    if objective.night_parts(start) is None:
        raise InputError("criteria", f"the base criteria's {', '.join(fields)} cannot be searched")
    before = [compare_nights(n.reference, score_events(n.cache.detect(base), base), tolerance) for n in prepared]
    for n, a in zip(prepared, before):
        _check_fit_possible(n, a)

    fitted_values = _search(objective, start)
    fitted = base.replace(name=f"{base.name}-calibrated", **dict(zip(fields, fitted_values)))
    after = [compare_nights(n.reference, score_night(n.recording, fitted, threads=threads), tolerance)
             for n in prepared]

    own: list[tuple[float, ...]] = []
    if len(prepared) > 1:
        own = [_search(objective, fitted_values, which=[i]) for i in range(len(prepared))]
    notes: list[str] = []
    rows = []
    for i, (n, b, a) in enumerate(zip(prepared, before, after)):
        sb, sa = b.summary(), a.summary()
        row: dict[str, Any] = {
            "night": n.label, "recording": [_file_record(p, "") for p in n.recording_files]
            or [_file_record(None, n.recording.source)],
            "reference": _file_record(n.reference_file, n.reference.source),
            "f1_before": sb["f1"], "f1_after": sa["f1"],
            "f1_left_before": sb["f1_left"], "f1_right_before": sb["f1_right"],
            "f1_left_after": sa["f1_left"], "f1_right_after": sa["f1_right"],
            "plm_index_reference": sa["plm_index_reference"], "plm_index_before": sb["plm_index_test"],
            "plm_index_after": sa["plm_index_test"],
        }
        if own:
            best_f1 = objective.score(own[i], [i])
            others = np.log([o for j, o in enumerate(own) if j != i])
            rest = tuple(float(v) for v in np.exp(np.median(others, axis=0)))
            at_rest = objective.score(rest, [i])
            ratio = max(abs(math.log(o / r)) for o, r in zip(own[i], rest))
            far = ratio > math.log(FAR_FACTOR) and at_rest < best_f1 - FAR_F1_LOSS
            row.update(own_best=dict(zip(fields, own[i])), f1_own_best=best_f1,
                       others_best=dict(zip(fields, rest)), f1_at_others_best=at_rest,
                       f1_at_common_fit=objective.score(fitted_values, [i]), far=far)
            if far:
                own_text = ", ".join(f"{f}={v:.3g}" for f, v in zip(fields, own[i]))
                rest_text = ", ".join(f"{f}={v:.3g}" for f, v in zip(fields, rest))
                notes.append(f"night {n.label}: its own best setting ({own_text}; F1 {best_f1:.3f}) is far from the "
                             f"other nights' ({rest_text}; F1 {max(at_rest, 0.0):.3f} on this night), and the "
                             f"common fit gives it F1 {row['f1_at_common_fit']:.3f}; check this night's recording "
                             "(electrode or device placement, another device) before using one setting for all")
        rows.append(row)
    for note in notes:
        warnings.warn(note, UserWarning, stacklevel=2)
    f1_before, f1_after = _pooled_f1(before), _pooled_f1(after)
    field_table = {f: {"base": float(getattr(base, f)), "fitted": float(getattr(fitted, f))} for f in fields}
    document = {
        **fitted.describe(),
        "calibration": {
            "modality": modality,
            "fitted": field_table,
            "base_criteria": {"name": base.name, "hash": base.hash},
            "objective": "pooled LM F1 of all legs and nights (one-to-one onset matching within the tolerance); "
                         "a setting changes only for a higher F1, to the middle of the range of best settings",
            "tolerance_s": float(tolerance),
            "f1_before": f1_before,
            "f1_after": f1_after,
            "nights": rows,
            "warnings": notes,
            "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "plm_version": __version__,
        },
    }
    result = Calibration(criteria=fitted, base=base, modality=modality, fields=field_table, nights=rows,
                         f1_before=f1_before, f1_after=f1_after, warnings=notes, document=document)
    if out is not None:
        result.save(out)
    return result
