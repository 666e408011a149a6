"""``plm compare``: agreement of ``plm`` (or any scoring) with a reference scoring.

One night (:func:`compare`): the reference (an event file, a raw recording
or a scored night) and the test (recording files, an event file or a scored
night) are scored through :func:`~plm.workflows.night_scoring.score_nights`
(the path every command takes) under one criteria set, then compared by
:func:`plm.scoring.agreement.compare_nights`.

A cohort (:func:`compare_cohort`): a manifest of nights, one comparison per
night, then the method-comparison statistics of the nightly index
(:mod:`plm.scoring.method_comparison`) and two figures. Definitions:
``docs/validation.md``.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .._util import csv_text, json_text, read_csv_rows, write_file
from .._version import __version__
from ..criteria import Criteria
from ..errors import InputError
from ..model import NightResult
from ..scoring.agreement import Agreement, compare_nights
from ..scoring.method_comparison import ICC_FORM, bland_altman, cutoff_agreement, icc_agreement, spearman
from .reading import ReadOptions

__all__ = ["compare", "compare_cohort", "CohortAgreement", "ManifestNight", "read_comparison_manifest",
           "scored_night", "DEFAULT_CUTOFFS", "NIGHT_COLUMNS"]

#: PLM index cut-offs of the cohort classification (/h) when none are given.
DEFAULT_CUTOFFS = (5.0, 10.0, 15.0)

#: Columns of the cohort's per-night table (``nights.csv``).
NIGHT_COLUMNS = (
    "night", "reference", "test", "plm_index_reference", "plm_index_test", "plm_index_difference",
    "plms_index_reference", "plms_index_test", "n_lm_reference", "n_lm_test", "n_plm_reference", "n_plm_test",
    "tp_left", "fp_left", "fn_left", "sensitivity_left", "ppv_left", "f1_left",
    "tp_right", "fp_right", "fn_right", "sensitivity_right", "ppv_right", "f1_right",
    "f1", "onset_error_median_s", "onset_abs_error_p95_s", "offset_error_median_s", "offset_abs_error_p95_s",
    "epoch_kappa", "compared_hours",
)


def _overlap_seconds(a: NightResult, b: NightResult) -> float:
    """Seconds the recordings of two scorings share on the clock (0 without start times)."""
    if a.start_time is None or b.start_time is None:
        return 0.0
    shift = (b.start_time - a.start_time).total_seconds()
    la = a.measures.get("duration_s") or 0.0
    lb = b.measures.get("duration_s") or 0.0
    return max(0.0, min(la, shift + lb) - max(0.0, shift))


def scored_night(
    data: Any,
    criteria: Criteria,
    *,
    what: str,
    near: NightResult | None = None,
    read_options: ReadOptions | None = None,
) -> NightResult:
    """One scored night from a path, paths, Recording, LegMovements or NightResult.

    Everything but a NightResult goes through
    :func:`~plm.workflows.night_scoring.score_nights`. When it holds several
    nights, the one sharing the most clock time with ``near`` is taken.

    Parameters
    ----------
    data : path-like, sequence of path-like, Recording, LegMovements or NightResult
    criteria : Criteria
    what : str
        ``"reference"`` or ``"test"``, for messages.
    near : NightResult, optional
        The other scoring, to pick one of several nights.
    read_options : ReadOptions, optional

    Returns
    -------
    NightResult
    """
    from .night_scoring import score_nights

    if isinstance(data, NightResult):
        return data
    if isinstance(data, (list, tuple)) and not data:
        raise InputError(None, f"no {what} file given")
    nights = score_nights(data, criteria, read_options=read_options)
    if isinstance(data, (str, os.PathLike)):
        label = os.fspath(data)
    elif isinstance(data, (list, tuple)):
        label = ", ".join(os.fspath(p) for p in data)
    else:
        label = getattr(data, "source", "") or what
    if not nights:
        raise InputError(label, f"holds no night to compare ({what})")
    if len(nights) == 1:
        return nights[0]
    if near is not None:
        overlap = [_overlap_seconds(near, n) for n in nights]
        if max(overlap) > 0:
            return nights[int(np.argmax(overlap))]
    raise InputError(label, f"holds {len(nights)} nights; give the {what} of one night (or files with start "
                            "times, so the night that overlaps the other scoring can be picked)")


def compare(
    reference: Any,
    test: Any,
    tolerance: float = 0.5,
    *,
    criteria: str | Criteria = "wasm2016",
    read_options: ReadOptions | None = None,
) -> Agreement:
    """Agreement of a test scoring of one night with a reference scoring.

    Parameters
    ----------
    reference : path-like, Recording, LegMovements or NightResult
        The reference scoring: an event file in any supported format (a
        technician's LMs), or a recording scored by ``plm`` (e.g. PSG EMG).
    test : path-like, sequence of path-like, Recording, LegMovements or NightResult
        The same night: recording files (left and right ankle files of one
        night are read together) or another event file.
    tolerance : float
        Largest onset difference of a matched LM pair, s.
    criteria : str or Criteria
        Scoring criteria of both (files and unscored objects).
    read_options : ReadOptions, optional
        How the test files are read and cut into nights, as for ``plm score``
        (the reference is read with the defaults).

    Returns
    -------
    Agreement
        ``summary()`` (dict) and ``matches`` (pandas DataFrame, one row per LM).
    """
    from .. import criteria as _criteria

    crit = _criteria.get(criteria)
    ref = scored_night(reference, crit, what="reference")
    tst = scored_night(test, crit, what="test", near=ref, read_options=read_options)
    return compare_nights(ref, tst, tolerance)


# ----------------------------------------------------------------- cohort
@dataclass(frozen=True)
class ManifestNight:
    """One row of a comparison (or calibration) manifest."""

    night: str
    reference: str
    test: tuple[str, ...]
    line: int


def read_comparison_manifest(path: str | os.PathLike) -> list[ManifestNight]:
    """Read a CSV with columns ``night, reference, test``.

    Paths are relative to the manifest's folder; several test files of one
    night (left and right ankle) are separated by ``;``.

    Parameters
    ----------
    path : path-like
        Comma, semicolon or tab separated, with a header.

    Returns
    -------
    list of ManifestNight
        In file order, with absolute paths.
    """
    mpath = Path(path)
    rows = read_csv_rows(mpath, required=("night", "reference", "test"))
    base = mpath.resolve().parent
    out: list[ManifestNight] = []
    seen: dict[str, int] = {}
    for line, r in enumerate(rows, start=2):
        for col in ("night", "reference", "test"):
            if not r[col]:
                raise InputError(mpath, f"line {line}: empty {col}")
        if r["night"] in seen:
            raise InputError(mpath, f"line {line}: night {r['night']!r} is already on line {seen[r['night']]}")
        seen[r["night"]] = line
        tests = tuple(str((base / p.strip()).resolve()) for p in r["test"].split(";") if p.strip())
        out.append(ManifestNight(r["night"], str((base / r["reference"]).resolve()), tests, line))
    return out


@dataclass(frozen=True, eq=False)
class CohortAgreement:
    """Agreement of a cohort of nights (:func:`compare_cohort`).

    Attributes
    ----------
    nights : list of dict
        One row per night (columns :data:`NIGHT_COLUMNS`).
    summary : dict
        Cohort statistics (``agreement.json``): ``bland_altman``, ``icc``,
        ``spearman``, ``cutoffs`` (one entry per cut-off), pooled LM
        agreement, ``index``, ``tolerance_s``, ``criteria``, ``version``.
    agreements : list of Agreement
        The per-night comparisons.
    """

    nights: list[dict[str, Any]]
    summary: dict[str, Any]
    agreements: list[Agreement]

    def to_dataframe(self) -> "pandas.DataFrame":  # noqa: F821 (pandas is imported lazily)
        """The per-night table as a pandas DataFrame.

        Returns
        -------
        pandas.DataFrame
        """
        import pandas as pd

        return pd.DataFrame(self.nights, columns=list(NIGHT_COLUMNS))

    def save(self, out_dir: str | os.PathLike) -> list[Path]:
        """Write ``nights.csv``, ``agreement.json``, ``bland_altman.png`` and ``scatter.png``.

        Parameters
        ----------
        out_dir : path-like
            Created if missing; every file is written atomically.

        Returns
        -------
        list of Path
            The files written.
        """
        from ..plots import agreement_scatter_figure, bland_altman_figure, png_bytes

        out = Path(out_dir)
        s = self.summary
        index = s["index"]
        ref = np.array([_num(r.get(f"{index}_reference")) for r in self.nights])
        tst = np.array([_num(r.get(f"{index}_test")) for r in self.nights])
        icc, rho = s["icc"]["icc"], s["spearman"]["r"]
        text = "\n".join([f"ICC(2,1) {_fmt(icc)}", f"Spearman r {_fmt(rho)}",
                          f"bias {_fmt(s['bland_altman']['bias'], '+.1f')} /h"])
        files = [
            write_file(out / "nights.csv", csv_text(NIGHT_COLUMNS, self.nights)),
            write_file(out / "agreement.json", json_text(s)),
            write_file(out / "bland_altman.png", png_bytes(bland_altman_figure(ref, tst, s["bland_altman"], index))),
            write_file(out / "scatter.png", png_bytes(agreement_scatter_figure(
                ref, tst, index, tuple(c["cutoff"] for c in s["cutoffs"]), text))),
        ]
        return files


def _num(v: Any) -> float:
    return math.nan if v is None else float(v)


def _median(values: list[float]) -> float:
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    return float(np.median(x)) if x.size else math.nan


def _fmt(v: Any, spec: str = ".3f") -> str:
    return "n/a" if v is None or not math.isfinite(v) else format(v, spec)


def compare_cohort(
    manifest: str | os.PathLike,
    out_dir: str | os.PathLike | None = None,
    *,
    cutoffs: Sequence[float] = DEFAULT_CUTOFFS,
    index: str = "plm_index",
    tolerance: float = 0.5,
    criteria: str | Criteria = "wasm2016",
    read_options: ReadOptions | None = None,
) -> CohortAgreement:
    """Agreement of a test method with a reference over a cohort of nights.

    Parameters
    ----------
    manifest : path-like
        CSV with ``night, reference, test`` (see :func:`read_comparison_manifest`).
    out_dir : path-like, optional
        Write the outputs here (:meth:`CohortAgreement.save`).
    cutoffs : sequence of float
        Index cut-offs (/h) for the classification agreement (a night is
        positive when its index is above the cut-off).
    index : {"plm_index", "plms_index"}
        Nightly index of the Bland-Altman, ICC, Spearman and cut-off figures.
    tolerance : float
        LM onset tolerance, s.
    criteria : str or Criteria
    read_options : ReadOptions, optional
        How the test files are read, as for ``plm score``.

    Returns
    -------
    CohortAgreement
    """
    from .. import criteria as _criteria

    if index not in ("plm_index", "plms_index"):
        raise InputError("index", f"unknown index {index!r}; choose plm_index or plms_index")
    cuts = sorted({float(c) for c in cutoffs})
    if any(not math.isfinite(c) or c < 0 for c in cuts):
        raise InputError("--cutoff", f"cut-offs must be non-negative numbers, got {list(cutoffs)}")
    crit = _criteria.get(criteria)
    rows = read_comparison_manifest(manifest)
    agreements, table = [], []
    for r in rows:
        try:
            ag = compare(r.reference, list(r.test), tolerance, criteria=crit, read_options=read_options)
        except InputError as exc:
            raise InputError(manifest, f"line {r.line} (night {r.night}): {exc}") from None
        agreements.append(ag)
        s = ag.summary()
        base = Path(manifest).resolve().parent
        row = {k: s.get(k) for k in NIGHT_COLUMNS}
        row.update(night=r.night, reference=os.path.relpath(r.reference, base),
                   test=";".join(os.path.relpath(p, base) for p in r.test))
        table.append(row)
    ref = np.array([_num(t.get(f"{index}_reference")) for t in table])
    tst = np.array([_num(t.get(f"{index}_test")) for t in table])
    missing = int(np.sum(~(np.isfinite(ref) & np.isfinite(tst))))
    sums = {k: int(sum(a.summary()[k] for a in agreements)) for k in ("tp", "fp", "fn")}
    pooled = 2 * sums["tp"] / (2 * sums["tp"] + sums["fp"] + sums["fn"]) if any(sums.values()) else math.nan
    summary: dict[str, Any] = {
        "n_nights": len(rows),
        "n_nights_without_index": missing,
        "index": index,
        "tolerance_s": float(tolerance),
        "bland_altman": bland_altman(ref, tst),
        "icc": {**icc_agreement(np.column_stack([ref, tst])), "form": ICC_FORM},
        "spearman": spearman(ref, tst),
        "cutoffs": [cutoff_agreement(ref, tst, c) for c in cuts],
        "lm_agreement": {**sums, "f1": pooled,
                         "f1_left_median": _median([_num(t["f1_left"]) for t in table]),
                         "f1_right_median": _median([_num(t["f1_right"]) for t in table])},
        "criteria": crit.describe(),
        "version": __version__,
    }
    result = CohortAgreement(nights=table, summary=summary, agreements=agreements)
    if out_dir is not None:
        result.save(out_dir)
    return result
