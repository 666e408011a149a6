"""Multi-night and before/after-treatment outcomes of a study.

:func:`study` reads a manifest (``subject, visit, night, path``), scores each
night (or reads its per-night summary JSON), averages the nights of each
visit per subject and compares the last visit with the first: paired t-test,
Wilcoxon signed-rank test, mean change with its 95 % confidence interval,
responder categories, and night-to-night reliability when a visit has
several nights. The statistics are small pure functions of arrays
(:func:`paired_change`, :func:`classify_response`, :func:`within_subject_sd`,
:func:`icc_oneway`). Formulas and sources: ``docs/study.md``.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from .._util import csv_text, json_text, read_csv_rows, write_file
from .._version import __version__
from ..criteria import Criteria
from ..errors import InputError
from .reading import ReadOptions

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "study",
    "StudyResult",
    "DEFAULT_THRESHOLDS",
    "read_study_manifest",
    "paired_change",
    "classify_response",
    "within_subject_sd",
    "icc_oneway",
    "ICC_FORM",
]

#: Responder thresholds (Cho 2013 style categories; see docs/study.md).
#: ``complete``: index below ``complete_below`` (/h) at the last visit;
#: ``moderate``: otherwise a reduction of at least ``moderate_reduction_pct`` %
#: from the first visit; ``none``: neither.
DEFAULT_THRESHOLDS: dict[str, float] = {"complete_below": 5.0, "moderate_reduction_pct": 50.0}
RESPONSES = ("complete", "moderate", "none")
ICC_FORM = "ICC(1,1): one-way random effects, single night (Shrout & Fleiss 1979; McGraw & Wong 1996)"


# ------------------------------------------------------------ statistics
def paired_change(first: Sequence[float], last: Sequence[float]) -> dict[str, Any]:
    """Change from the first to the last visit, with tests.

    Pairs where either value is missing (NaN) are left out.

    Parameters
    ----------
    first, last : array-like of float
        Per-subject index at the first and last visit.

    Returns
    -------
    dict
        ``n`` (pairs used), ``mean_change`` (mean of last - first),
        ``sd_change`` (SD, ddof=1), ``ci95_change`` ([low, high]: mean
        +/- t(0.975, n-1) * SD / sqrt(n)), ``p_ttest`` (paired t-test,
        two-sided), ``p_wilcoxon`` (Wilcoxon signed-rank, two-sided, zero
        differences dropped); NaN where undefined (n < 2, all differences 0).
    """
    from scipy import stats

    a = np.asarray(first, dtype=float)
    b = np.asarray(last, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"first and last differ in length ({a.size} vs {b.size})")
    keep = np.isfinite(a) & np.isfinite(b)
    d = b[keep] - a[keep]
    n = int(d.size)
    out: dict[str, Any] = {"n": n, "mean_change": math.nan, "sd_change": math.nan,
                           "ci95_change": [math.nan, math.nan], "p_ttest": math.nan, "p_wilcoxon": math.nan}
    if n == 0:
        return out
    mean = float(np.mean(d))
    out["mean_change"] = mean
    if n < 2:
        return out
    sd = float(np.std(d, ddof=1))
    half = float(stats.t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
    out["sd_change"] = sd
    out["ci95_change"] = [mean - half, mean + half]
    if sd > 0:
        out["p_ttest"] = float(stats.ttest_rel(b[keep], a[keep]).pvalue)
    if np.any(d != 0):
        out["p_wilcoxon"] = float(stats.wilcoxon(d).pvalue)
    return out


def classify_response(
    first: Sequence[float], last: Sequence[float], thresholds: Mapping[str, float] | None = None
) -> np.ndarray:
    """Responder category per subject.

    Parameters
    ----------
    first, last : array-like of float
        Index at the first and last visit, /h.
    thresholds : mapping, optional
        ``complete_below`` and ``moderate_reduction_pct``; defaults in
        :data:`DEFAULT_THRESHOLDS`.

    Returns
    -------
    ndarray of str
        ``"complete"`` when ``last < complete_below``; else ``"moderate"`` when
        ``100 * (first - last) / first >= moderate_reduction_pct``; else
        ``"none"``; ``""`` when either value is missing.
    """
    th = _thresholds(thresholds)
    a = np.asarray(first, dtype=float)
    b = np.asarray(last, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        reduction = np.where(a > 0, 100.0 * (a - b) / a, -np.inf)
    out = np.full(a.shape, "none", dtype="<U8")
    out[reduction >= th["moderate_reduction_pct"]] = "moderate"
    out[b < th["complete_below"]] = "complete"
    out[~(np.isfinite(a) & np.isfinite(b))] = ""
    return out


def _thresholds(thresholds: Mapping[str, float] | None) -> dict[str, float]:
    th = dict(DEFAULT_THRESHOLDS)
    if thresholds:
        unknown = sorted(set(thresholds) - set(th))
        if unknown:
            raise InputError("thresholds", f"unknown threshold(s) {unknown}; known: {sorted(th)}")
        th.update({k: float(v) for k, v in thresholds.items()})
    return th


def _group_codes(groups: Sequence[Any]) -> tuple[np.ndarray, int]:
    _, codes = np.unique(np.asarray(groups, dtype=str), return_inverse=True)
    return codes.reshape(-1), int(codes.max()) + 1 if codes.size else 0


def _repeated(values: Sequence[float], groups: Sequence[Any]):
    """Finite values of groups that have at least two of them."""
    x = np.asarray(values, dtype=float).reshape(-1)
    g = np.asarray(groups, dtype=str).reshape(-1)
    if x.shape != g.shape:
        raise ValueError("values and groups differ in length")
    keep = np.isfinite(x)
    x, g = x[keep], g[keep]
    codes, n_groups = _group_codes(g)
    counts = np.bincount(codes, minlength=n_groups)
    keep = counts[codes] >= 2
    x, g = x[keep], g[keep]
    codes, n_groups = _group_codes(g)
    return x, codes, n_groups


def within_subject_sd(values: Sequence[float], groups: Sequence[Any]) -> float:
    """Within-subject SD of repeated measurements (Bland & Altman 1996).

    ``sqrt(sum_i sum_j (x_ij - mean_i)**2 / sum_i (n_i - 1))``: the square root
    of the pooled within-group variance, over groups with >= 2 values.

    Parameters
    ----------
    values : array-like of float
        One value per night.
    groups : array-like
        Group label per night (subject, or subject and visit).

    Returns
    -------
    float
        NaN when no group has two values.
    """
    x, codes, k = _repeated(values, groups)
    if k == 0:
        return math.nan
    n = np.bincount(codes, minlength=k)
    means = np.bincount(codes, weights=x, minlength=k) / n
    ss_within = float(np.sum((x - means[codes]) ** 2))
    return math.sqrt(ss_within / float(np.sum(n - 1)))


def icc_oneway(values: Sequence[float], groups: Sequence[Any]) -> float:
    """ICC(1,1): one-way random-effects intraclass correlation, single measure.

    ``(MSB - MSW) / (MSB + (k0 - 1) * MSW)`` from a one-way ANOVA with groups
    as targets (Shrout & Fleiss 1979, case 1), where ``k0`` is the number of
    measurements per group, or for unequal group sizes
    ``(N - sum n_i**2 / N) / (g - 1)`` (Snedecor & Cochran). Groups with fewer
    than two values are left out.

    Parameters
    ----------
    values : array-like of float
    groups : array-like
        Group label per value (here: subject, for the nights of one visit).

    Returns
    -------
    float
        NaN with fewer than two groups or no variance at all.
    """
    x, codes, g = _repeated(values, groups)
    if g < 2:
        return math.nan
    n = np.bincount(codes, minlength=g).astype(float)
    big_n = float(n.sum())
    means = np.bincount(codes, weights=x, minlength=g) / n
    grand = float(x.mean())
    msb = float(np.sum(n * (means - grand) ** 2)) / (g - 1)
    msw = float(np.sum((x - means[codes]) ** 2)) / (big_n - g)
    k0 = (big_n - float(np.sum(n**2)) / big_n) / (g - 1)
    denom = msb + (k0 - 1.0) * msw
    return (msb - msw) / denom if denom > 0 else math.nan


# -------------------------------------------------------------- manifest
@dataclass(frozen=True)
class ManifestRow:
    """One night of a study manifest."""

    subject: str
    visit: str
    night: str
    paths: tuple[str, ...]
    line: int


def read_study_manifest(path: str | os.PathLike) -> list[ManifestRow]:
    """Read a study manifest CSV with columns ``subject, visit, night, path``.

    ``path`` is relative to the manifest's folder; several files of one
    night (left and right ankle) are separated by ``;``. A path may also be
    a per-night ``*_summary.json`` written by ``plm score --out`` or
    ``plm batch``.

    Parameters
    ----------
    path : path-like
        The manifest (comma, semicolon or tab separated, with a header).

    Returns
    -------
    list of ManifestRow
        One per row, in file order, with absolute file paths.
    """
    mpath = Path(path)
    rows = read_csv_rows(mpath, required=("subject", "visit", "night", "path"))
    base = mpath.resolve().parent
    out = []
    seen: dict[tuple[str, str, str], int] = {}
    for line, r in enumerate(rows, start=2):
        for col in ("subject", "visit", "night", "path"):
            if not r[col]:
                raise InputError(mpath, f"line {line}: empty {col}")
        key = (r["subject"], r["visit"], r["night"])
        if key in seen:
            raise InputError(mpath, f"line {line}: subject {key[0]!r} visit {key[1]!r} night {key[2]!r} "
                                    f"is already on line {seen[key]}")
        seen[key] = line
        paths = tuple(str((base / p.strip()).resolve()) for p in r["path"].split(";") if p.strip())
        out.append(ManifestRow(r["subject"], r["visit"], r["night"], paths, line))
    return out


def _summary_from_json(path: str) -> dict[str, Any] | None:
    """The summary in a per-night ``*_summary.json``, or None for other files."""
    if not path.lower().endswith(".json"):
        return None
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except (OSError, ValueError):
        return None
    if isinstance(doc, dict) and "plm_index" in doc and "criteria" in doc:
        return doc
    return None


def _night_summaries(rows: Sequence[ManifestRow], criteria, jobs: int, progress: bool, manifest,
                     read_options: ReadOptions) -> list[dict]:
    from .. import criteria as _criteria
    from .batch import score_groups

    crit = _criteria.get(criteria)
    summaries: list[dict | None] = [None] * len(rows)
    tasks, where = [], []
    for i, r in enumerate(rows):
        s = _summary_from_json(r.paths[0]) if len(r.paths) == 1 else None
        if s is not None:
            summaries[i] = s
        else:
            tasks.append({"id": f"line{r.line}", "paths": list(r.paths), "criteria": crit,
                          "read_options": read_options})
            where.append(i)
    bar = None
    if progress and tasks:
        try:
            from tqdm import tqdm

            bar = tqdm(total=len(tasks), unit="night", desc="plm study")
        except ImportError:
            bar = None
    try:
        outcomes = score_groups(tasks, jobs=jobs, on_done=(lambda _o: bar.update(1)) if bar else None)
    finally:
        if bar is not None:
            bar.close()
    for i, o in zip(where, outcomes):
        r = rows[i]
        if o["error"]:
            raise InputError(manifest, f"line {r.line} (subject {r.subject}, visit {r.visit}): {o['error']}")
        if len(o["nights"]) != 1:
            raise InputError(manifest, f"line {r.line}: {';'.join(r.paths)} holds {len(o['nights'])} nights; "
                                       "list one night per row")
        summaries[i] = o["nights"][0]
    return summaries  # type: ignore[return-value]


# ---------------------------------------------------------------- result
@dataclass
class StudyResult:
    """Study outcome tables.

    Attributes
    ----------
    subjects : pandas.DataFrame
        ``subjects.csv``: one row per subject, columns ``subject``, then
        ``<visit>_index, <visit>_median, <visit>_nights`` per visit, ``change,
        pct_change, response`` (full precision; the file is rounded).
    summary : dict
        Content of ``summary.json``.
    nights : pandas.DataFrame
        ``nights.csv``: one row per manifest night, ``subject, visit, night,
        path`` and the index.
    visits : list of str
        Visits in manifest order.
    index : str
        ``"plms_index"`` or ``"plm_index"``.
    """

    subjects: pd.DataFrame
    summary: dict[str, Any]
    nights: pd.DataFrame
    visits: list[str]
    index: str

    def save(self, out_dir: str | os.PathLike) -> tuple[Path, Path]:
        """Write ``subjects.csv``, ``summary.json`` and ``nights.csv`` into ``out_dir``.

        Parameters
        ----------
        out_dir : path-like
            Created if missing; files are written atomically.

        Returns
        -------
        tuple of Path
            ``subjects.csv`` and ``summary.json``.
        """
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        subjects = out / "subjects.csv"
        summary = out / "summary.json"
        write_file(subjects, csv_text(self.subjects))
        write_file(out / "nights.csv", csv_text(self.nights))
        write_file(summary, json_text(self.summary))
        return subjects, summary

    def __repr__(self) -> str:
        s = self.summary
        return (f"<StudyResult {s['n_subjects']} subjects, visits {self.visits}, {self.index}: "
                f"mean change {s['mean_change']:.2f}/h, p={s['p_ttest']:.3g} (t) / {s['p_wilcoxon']:.3g} (W)>")


def _num(v: Any) -> float:
    return math.nan if v is None else float(v)


def _stats(values: np.ndarray) -> dict[str, Any]:
    v = values[np.isfinite(values)]
    return {
        "n": int(v.size),
        "mean": float(np.mean(v)) if v.size else math.nan,
        "sd": float(np.std(v, ddof=1)) if v.size > 1 else math.nan,
        "median": float(np.median(v)) if v.size else math.nan,
    }


def study(
    manifest: str | os.PathLike,
    out_dir: str | os.PathLike | None = None,
    thresholds: Mapping[str, float] | None = None,
    criteria: str | Criteria = "wasm2016",
    *,
    index: str = "auto",
    jobs: int = 1,
    progress: bool = False,
    read_options: ReadOptions | None = None,
) -> StudyResult:
    """Per-subject and group outcomes of a multi-night, multi-visit study.

    Parameters
    ----------
    manifest : path-like
        CSV with columns ``subject, visit, night, path`` (see
        :func:`read_study_manifest`). Visits are ordered as they first appear;
        the change is last visit minus first visit.
    out_dir : path-like, optional
        Write ``subjects.csv``, ``summary.json`` and ``nights.csv`` here.
    thresholds : mapping, optional
        Responder thresholds, see :data:`DEFAULT_THRESHOLDS`.
    criteria : str or Criteria
        Criteria to score recordings and event files with (per-night summary
        JSON files keep the criteria they were scored with; all nights must
        share one criteria hash).
    index : {"auto", "plms_index", "plm_index"}
        Nightly index to use; ``auto`` takes ``plms_index`` when every night
        has staging, else ``plm_index`` (per hour in bed).
    jobs : int
        Parallel scoring processes.
    progress : bool
        Show a progress bar while scoring.
    read_options : ReadOptions, optional
        How the recordings are read and cut into nights (each manifest row
        must be one night), as for ``plm score``; default:
        ``ReadOptions(strict=False)``.

    Returns
    -------
    StudyResult
    """
    th = _thresholds(thresholds)
    rows = read_study_manifest(manifest)
    visits = list(dict.fromkeys(r.visit for r in rows))
    if len(visits) < 2:
        raise InputError(manifest, f"needs at least two visits to compare, found {visits}")
    summaries = _night_summaries(rows, criteria, jobs, progress, manifest, read_options or ReadOptions(strict=False))
    hashes = sorted({(s.get("criteria") or {}).get("hash", "") for s in summaries})
    if len(hashes) > 1:
        raise InputError(manifest, f"nights were scored with different criteria (hashes {hashes}); "
                                   "rescore them with one criteria set")
    if index == "auto":
        index = "plms_index" if all(s.get("plms_index") is not None for s in summaries) else "plm_index"
    elif index not in ("plms_index", "plm_index", "plmw_index"):
        raise InputError("index", f"unknown index {index!r}; choose plms_index, plm_index or auto")
    values = np.array([_num(s.get(index)) for s in summaries])
    if np.all(~np.isfinite(values)):
        raise InputError(manifest, f"no night has a {index}")

    subjects = list(dict.fromkeys(r.subject for r in rows))
    subj_ix = {s: i for i, s in enumerate(subjects)}
    visit_ix = {v: j for j, v in enumerate(visits)}
    per_cell: dict[tuple[int, int], list[float]] = {}
    for r, v in zip(rows, values):
        per_cell.setdefault((subj_ix[r.subject], visit_ix[r.visit]), []).append(v)
    n_s, n_v = len(subjects), len(visits)
    mean = np.full((n_s, n_v), np.nan)
    median = np.full((n_s, n_v), np.nan)
    count = np.zeros((n_s, n_v), dtype=int)
    for (i, j), vals in per_cell.items():
        arr = np.asarray(vals)
        arr = arr[np.isfinite(arr)]
        count[i, j] = arr.size
        if arr.size:
            mean[i, j] = float(np.mean(arr))
            median[i, j] = float(np.median(arr))
    first, last = mean[:, 0], mean[:, -1]
    change = last - first
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(first > 0, 100.0 * change / first, np.nan)
    response = classify_response(first, last, th)

    columns = ["subject"]
    for v in visits:
        columns += [f"{v}_index", f"{v}_median", f"{v}_nights"]
    columns += ["change", "pct_change", "response"]
    table = []
    for i, s in enumerate(subjects):
        row: dict[str, Any] = {"subject": s}
        for j, v in enumerate(visits):
            row[f"{v}_index"] = float(mean[i, j])
            row[f"{v}_median"] = float(median[i, j])
            row[f"{v}_nights"] = int(count[i, j])
        row.update(change=float(change[i]), pct_change=float(pct[i]), response=str(response[i]))
        table.append(row)

    tests = paired_change(first, last)
    classified = [r for r in response if r]
    responders = {c: int(sum(1 for r in classified if r == c)) for c in RESPONSES}
    summary: dict[str, Any] = {
        "n_subjects": n_s,
        "n_paired": tests["n"],
        "index": index,
        "first_visit": visits[0],
        "last_visit": visits[-1],
        "visits": {v: _stats(mean[:, j]) for j, v in enumerate(visits)},
        "mean_change": tests["mean_change"],
        "sd_change": tests["sd_change"],
        "ci95_change": tests["ci95_change"],
        "p_ttest": tests["p_ttest"],
        "p_wilcoxon": tests["p_wilcoxon"],
        "responders": responders,
        "responders_pct": {c: (100.0 * k / len(classified) if classified else math.nan)
                           for c, k in responders.items()},
        "thresholds": th,
    }
    if np.any(count >= 2):
        subj_of = np.array([r.subject for r in rows])
        visit_of = np.array([r.visit for r in rows])
        wsd: dict[str, float] = {}
        icc: dict[str, float] = {}
        for v in visits:
            sel = visit_of == v
            if np.any(count[:, visit_ix[v]] >= 2):
                wsd[v] = within_subject_sd(values[sel], subj_of[sel])
                icc[v] = icc_oneway(values[sel], subj_of[sel])
        # Pooled over visits on subject x visit cells: the treatment effect
        # sits between cells, so it does not inflate the within-subject SD.
        wsd["pooled"] = within_subject_sd(values, np.char.add(np.char.add(subj_of, "\x1f"), visit_of))
        summary["within_subject_sd"] = wsd
        summary["icc"] = icc
        summary["icc_form"] = ICC_FORM
    summary["criteria"] = (summaries[0].get("criteria") or {}) if summaries else {}
    summary["version"] = __version__
    nights = [
        {"subject": r.subject, "visit": r.visit, "night": r.night,
         "path": ";".join(os.path.relpath(p, Path(manifest).resolve().parent) for p in r.paths),
         index: float(v)}
        for r, v in zip(rows, values)
    ]
    import pandas as pd

    result = StudyResult(subjects=pd.DataFrame(table, columns=columns), summary=summary,
                         nights=pd.DataFrame(nights, columns=["subject", "visit", "night", "path", index]),
                         visits=visits, index=index)
    if out_dir is not None:
        result.save(out_dir)
    return result
