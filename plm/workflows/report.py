"""PNG and self-contained HTML reports of nights and of studies.

Needs matplotlib (``pip install 'plm[report]'``); it is imported inside the
functions and always with the non-interactive Agg backend, so reports work on
servers without a display.
"""
from __future__ import annotations

import base64
import html
import io
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from ..errors import InputError, MissingDependencyError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ..model.result import NightResult

__all__ = ["night_figure", "plot_raster", "plot_hypnogram", "plot_imi_histogram", "night_report", "study_figure",
           "study_report", "report_paths", "load_study"]

_PLM_COLOR = "#b2182b"
_LM_COLOR = "#7f7f7f"
_SERIES_COLOR = "#fdb863"
_STAGE_LEVEL = {"W": 4, "R": 3, "N1": 2, "N2": 1, "N3": 0}


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise MissingDependencyError("reports", "matplotlib", "report") from None
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _col(table, name, default=None, dtype=None):
    if table is None or name not in table:
        return default
    return np.asarray(table[name], dtype=dtype)


def _night_length(result) -> float:
    """Seconds the raster spans: recording, staging or last LM, whichever is longest."""
    ends = [0.0]
    rec = getattr(result, "recording", None)
    if rec is not None:
        ends.append(float(rec.duration))
    if result.hypnogram is not None:
        ends.append(float(result.hypnogram.end))
    ev = result.events
    if ev is not None and "onset" in ev and ev.n_rows:
        ends.append(float(np.max(ev["onset"] + ev["duration"])))
    hours = result.measures.get("hours_denominator")
    if isinstance(hours, (int, float)) and math.isfinite(hours):
        ends.append(float(hours) * 3600.0)
    return max(ends)


def _imis(result) -> np.ndarray:
    """Intermovement intervals of the night, s (from the scorer's LM table)."""
    imi = _col(result.lms, "imi", dtype=float)
    if imi is None:  # older results: consecutive CLM onsets
        ev = result.events
        onset = _col(ev, "onset", np.zeros(0), float)
        is_clm = _col(ev, "is_clm", np.ones(onset.size, bool), bool)
        imi = np.diff(np.sort(onset[is_clm]))
    return imi[np.isfinite(imi)]


def _scalar_measures(summary: dict[str, Any]) -> list[tuple[str, str]]:
    rows = []
    for k, v in summary.items():
        if k in ("criteria", "source", "start_time") or isinstance(v, (list, dict)):
            continue
        if isinstance(v, float):
            text = "-" if not math.isfinite(v) else f"{v:.2f}"
        else:
            text = "-" if v is None else str(v)
        rows.append((k, text))
    crit = summary.get("criteria") or {}
    rows.append(("criteria", f"{crit.get('name', '')} [{crit.get('hash', '')}]"))
    return rows


def night_figure(result: NightResult) -> Figure:
    """Matplotlib figure of one night.

    Panels: the leg-movement raster (one row per hour, left leg above right,
    PLMs in red, periodic series shaded), the hypnogram when staging exists,
    the IMI histogram (2 s bins, 0-90 s, and beyond) and the measures table.

    Parameters
    ----------
    result : NightResult

    Returns
    -------
    matplotlib.figure.Figure
    """
    plt = _pyplot()
    length = _night_length(result)
    n_hours = max(1, int(math.ceil(length / 3600.0 - 1e-9)))
    has_hyp = result.hypnogram is not None and len(result.hypnogram) > 0
    heights = [max(2.5, 0.42 * n_hours)] + ([1.1] if has_hyp else []) + [3.2]
    fig = plt.figure(figsize=(11, sum(heights) + 1.2), dpi=100)
    grid = fig.add_gridspec(len(heights), 2, height_ratios=heights, width_ratios=[1.2, 1], hspace=0.45,
                            wspace=0.25)
    summary = result.summary()
    start = result.start_time
    title = f"{Path(str(result.source)).name or 'night'}"
    if start is not None:
        title += f"  -  start {start.isoformat(timespec='minutes')}"
    fig.suptitle(title, fontsize=12, x=0.01, ha="left")

    plot_raster(result, ax=fig.add_subplot(grid[0, :]), n_hours=n_hours)
    panel = 1
    if has_hyp:
        plot_hypnogram(result, ax=fig.add_subplot(grid[panel, :]), n_hours=n_hours)
        panel += 1
    plot_imi_histogram(result, ax=fig.add_subplot(grid[panel, 0]))

    axt = fig.add_subplot(grid[panel, 1])
    axt.axis("off")
    rows = _scalar_measures(summary)
    keep = [r for r in rows if r[0] in _TABLE_KEYS] or rows[:14]
    tab = axt.table(cellText=[[k, v] for k, v in keep], colLabels=["measure", "value"], bbox=[0, 0, 1, 1],
                    cellLoc="left", colWidths=[0.42, 0.58])
    tab.auto_set_font_size(False)
    tab.set_fontsize(8.5)
    return fig


def _axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    """``ax``, or the axes of a new figure when None."""
    if ax is None:
        ax = _pyplot().figure(figsize=figsize).add_subplot()
    return ax


def plot_raster(result: NightResult, ax: Axes | None = None, n_hours: int | None = None) -> Axes:
    """Leg-movement raster of one night: one row per hour.

    Within each row the left leg's LMs are drawn above the right leg's; PLMs
    in red, other LMs in grey, periodic series shaded. One bar per row of
    ``result.events`` (one per monolateral LM).

    Parameters
    ----------
    result : NightResult
    ax : matplotlib.axes.Axes or None
        Where to draw; a new figure when None.
    n_hours : int or None
        Rows to draw; default: enough to cover the night.

    Returns
    -------
    matplotlib.axes.Axes
    """
    plt = _pyplot()
    if n_hours is None:
        n_hours = max(1, int(math.ceil(_night_length(result) / 3600.0 - 1e-9)))
    ax = _axes(ax, (11, max(2.5, 0.42 * n_hours)))
    summary = result.measures
    start = result.start_time
    ev = result.events
    onset = _col(ev, "onset", np.zeros(0), float)
    dur = _col(ev, "duration", np.zeros(onset.size), float)
    side = _col(ev, "side", np.full(onset.size, "left"), str)
    is_plm = _col(ev, "is_plm", np.zeros(onset.size, bool), bool)
    series = _col(ev, "series", None)
    row = np.floor(onset / 3600.0)
    minute = (onset - row * 3600.0) / 60.0
    width = np.maximum(dur / 60.0, 0.12)  # keep sub-second LMs visible
    if series is not None and is_plm.any():
        sid = np.asarray(series)[is_plm]
        on, off = onset[is_plm], (onset + dur)[is_plm]
        for s in np.unique(sid):
            a, b = float(on[sid == s].min()), float(off[sid == s].max())
            t = a
            while t < b:  # a series may cross an hour boundary
                h = math.floor(t / 3600.0)
                e = min(b, (h + 1) * 3600.0)
                ax.add_patch(plt.Rectangle(((t - h * 3600) / 60.0, h - 0.45), (e - t) / 60.0, 0.9,
                                           color=_SERIES_COLOR, alpha=0.45, lw=0, zorder=0))
                t = e
    for leg, y0 in (("left", -0.4), ("right", 0.02)):
        for plm_flag, color in ((False, _LM_COLOR), (True, _PLM_COLOR)):
            sel = (side == leg) & (is_plm == plm_flag)
            if sel.any():
                for r in np.unique(row[sel]):
                    m = sel & (row == r)
                    ax.broken_barh(list(zip(minute[m], width[m])), (r + y0, 0.38), color=color, zorder=2)
    ax.set_xlim(0, 60)
    ax.set_ylim(n_hours - 0.5, -0.5)
    ax.set_yticks(range(n_hours))
    if start is not None:
        import datetime as _dt

        ax.set_yticklabels([(start + _dt.timedelta(hours=h)).strftime("%H:%M") for h in range(n_hours)])
        ax.set_ylabel("hour starting at")
    else:
        ax.set_yticklabels([f"{h} h" for h in range(n_hours)])
        ax.set_ylabel("hour of recording")
    ax.set_xlabel("minute within the hour (upper tick row: left leg, lower: right leg)")
    ax.set_title(f"Leg movements: {summary.get('n_lm', '?')} LM, {summary.get('n_plm', '?')} PLM "
                 f"in {summary.get('n_series', '?')} series (red: PLM, grey: other LM, shaded: series)",
                 fontsize=10, loc="left")
    ax.grid(axis="x", alpha=0.3)

    return ax


def plot_hypnogram(result: NightResult, ax: Axes | None = None, n_hours: int | None = None) -> Axes:
    """Hypnogram of one night (W, R, N1, N2, N3; REM marked in red).

    Parameters
    ----------
    result : NightResult
        Must have staging (``result.hypnogram``).
    ax : matplotlib.axes.Axes or None
        Where to draw; a new figure when None.
    n_hours : int or None
        Hours the x axis spans; default: enough to cover the night.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    InputError
        When the night has no sleep staging.
    """
    hyp = result.hypnogram
    if hyp is None or len(hyp) == 0:
        raise InputError(result.source or None, "no sleep staging in this night; a hypnogram needs a staged "
                                               "recording or event file")
    if n_hours is None:
        n_hours = max(1, int(math.ceil(_night_length(result) / 3600.0 - 1e-9)))
    axh = _axes(ax, (11, 2.0))
    t = (hyp.onset + np.arange(len(hyp) + 1) * hyp.epoch_length) / 3600.0
    level = np.array([_STAGE_LEVEL.get(s, np.nan) for s in hyp.stages], dtype=float)
    axh.stairs(level, t, baseline=None, color="k", lw=1)
    rem = np.flatnonzero(hyp.stages == "R")
    for i in rem:
        axh.plot([t[i], t[i + 1]], [3, 3], color=_PLM_COLOR, lw=3, solid_capstyle="butt")
    axh.set_yticks([0, 1, 2, 3, 4])
    axh.set_yticklabels(["N3", "N2", "N1", "R", "W"])
    axh.set_xlim(0, n_hours)
    axh.set_ylim(-0.5, 4.5)
    axh.set_xlabel("hours from recording start")
    axh.set_title("Hypnogram", fontsize=10, loc="left")
    return axh


def plot_imi_histogram(result: NightResult, ax: Axes | None = None) -> Axes:
    """Histogram of the night's intermovement intervals (2 s bins, 0-90 s, last bar > 90 s).

    The IMIs are those of the scorer's LM table (onset to onset of
    consecutive LMs); the criteria's IMI range is shaded.

    Parameters
    ----------
    result : NightResult
    ax : matplotlib.axes.Axes or None
        Where to draw; a new figure when None.

    Returns
    -------
    matplotlib.axes.Axes
        Its first container holds the 46 bars (45 bins of 2 s, one > 90 s).
    """
    axi = _axes(ax, (6, 3.2))
    imi = _imis(result)
    bins = np.arange(0, 92, 2.0)
    axi.hist(np.clip(imi, 0, 91), bins=np.append(bins, 100), color="#4575b4", edgecolor="white")
    lo = getattr(result.criteria, "imi_min", 10.0)
    hi = getattr(result.criteria, "imi_max", 90.0)
    axi.axvspan(lo, hi, color=_SERIES_COLOR, alpha=0.2, lw=0)
    axi.set_xlim(0, 100)
    axi.set_xlabel("intermovement interval, s (2 s bins; last bar > 90 s)")
    axi.set_ylabel("count")
    axi.set_title(f"IMI histogram (n = {imi.size}; shaded: {lo:g}-{hi:g} s)", fontsize=10, loc="left")
    return axi


_TABLE_KEYS = (
    "plm_index", "plms_index", "plmw_index", "n_lm_left", "n_lm_right", "n_lm", "n_clm", "n_plm", "n_series",
    "periodicity_index", "hours_denominator", "denominator", "criteria", "version",
)


def _png_bytes(fig) -> bytes:
    plt = _pyplot()
    buf = io.BytesIO()
    # Fixed metadata: the same night gives byte-identical PNGs.
    fig.savefig(buf, format="png", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def _atomic_write(path: Path, data: bytes) -> None:
    from ..atomic import atomic_write

    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, "wb") as fh:
        fh.write(data)


def _html_page(title: str, png: bytes, tables: Sequence[tuple[str, list[str], list[list[str]]]]) -> str:
    parts = [
        "<!DOCTYPE html>", "<html lang=\"en\"><head><meta charset=\"utf-8\">",
        f"<title>{html.escape(title)}</title>",
        "<style>body{font-family:sans-serif;margin:1.5em;max-width:1150px}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:2px 8px;"
        "text-align:left;font-size:90%}th{background:#eee}img{max-width:100%}</style>",
        "</head><body>", f"<h1>{html.escape(title)}</h1>",
        f"<img alt=\"{html.escape(title)}\" src=\"data:image/png;base64,{base64.b64encode(png).decode()}\">",
    ]
    for caption, header, rows in tables:
        parts.append(f"<h2>{html.escape(caption)}</h2><table><tr>"
                     + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr>")
        for r in rows:
            parts.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def night_report(result, out_dir: str | os.PathLike, name: str | None = None) -> tuple[Path, Path]:
    """Write ``<name>_report.png`` and a self-contained ``<name>_report.html``.

    Parameters
    ----------
    result : NightResult
    out_dir : path-like
    name : str, optional
        File name stem; default from the result's source.

    Returns
    -------
    (Path, Path)
        The PNG and the HTML page (PNG embedded as base64, plus every scalar
        measure and the criteria parameters as tables).
    """
    out = Path(out_dir)
    name = name or (Path(str(result.source)).stem or "night")
    png = _png_bytes(night_figure(result))
    summary = result.summary()
    crit = summary.get("criteria") or {}
    tables = [("Measures", ["measure", "value"], [list(r) for r in _scalar_measures(summary)]),
              (f"Criteria {crit.get('name', '')} [{crit.get('hash', '')}]", ["parameter", "value"],
               [[k, str(v)] for k, v in (crit.get("params") or {}).items()])]
    png_path, html_path = out / f"{name}_report.png", out / f"{name}_report.html"
    _atomic_write(png_path, png)
    _atomic_write(html_path, _html_page(f"plm night report: {name}", png, tables).encode("utf-8"))
    return png_path, html_path


# ------------------------------------------------------------------ study
def study_figure(study_result):
    """Before/after paired plot (one line per subject, first to last visit) and a summary table.

    Parameters
    ----------
    study_result : StudyResult

    Returns
    -------
    matplotlib.figure.Figure
    """
    plt = _pyplot()
    s = study_result.summary
    visits = study_result.visits
    first, last = visits[0], visits[-1]
    a = np.array([_f(r.get(f"{first}_index")) for r in study_result.subjects])
    b = np.array([_f(r.get(f"{last}_index")) for r in study_result.subjects])
    resp = [r.get("response", "") for r in study_result.subjects]
    colors = {"complete": "#1a9850", "moderate": "#fdae61", "none": "#d73027", "": "#999999"}
    fig, (ax, axt) = plt.subplots(1, 2, figsize=(11, 5.5), dpi=100, gridspec_kw={"width_ratios": [1, 1.1]})
    for x0, x1, c in zip(a, b, resp):
        if np.isfinite(x0) and np.isfinite(x1):
            ax.plot([0, 1], [x0, x1], "-o", color=colors.get(c, "#999"), alpha=0.7, ms=4, lw=1)
    for x, v in ((0, first), (1, last)):
        st = s["visits"][v]
        ax.errorbar([x + (0.08 if x else -0.08)], [st["mean"]], yerr=[[st["sd"] or 0]], fmt="s", color="k",
                    ms=8, capsize=5, zorder=5)
    for c, col in colors.items():
        if c:
            ax.plot([], [], "-o", color=col, label=f"{c} ({s['responders'].get(c, 0)})")
    ax.plot([], [], "s", color="k", label="mean +/- SD")
    ax.axhline(s["thresholds"]["complete_below"], color="#1a9850", ls=":", lw=1)
    ax.set_xticks([0, 1])
    ax.set_xticklabels([first, last])
    ax.set_xlim(-0.3, 1.3)
    ax.set_ylabel(f"{s['index'].replace('_', ' ')} (/h), mean of each visit's nights")
    ax.set_title(f"{s['n_subjects']} subjects: {first} vs {last}", fontsize=11, loc="left")
    ax.legend(fontsize=8, loc="upper right")
    axt.axis("off")
    tab = axt.table(cellText=_study_rows(s), colLabels=["", "value"], bbox=[0, 0, 1, 1], cellLoc="left",
                    colWidths=[0.5, 0.5])
    tab.auto_set_font_size(False)
    tab.set_fontsize(9)
    fig.tight_layout()
    return fig


def _f(v) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def _fmt(v, spec=".2f") -> str:
    return "-" if v is None or (isinstance(v, float) and not math.isfinite(v)) else format(v, spec)


def _study_rows(s: dict[str, Any]) -> list[list[str]]:
    rows = [["subjects (paired)", f"{s['n_subjects']} ({s['n_paired']})"], ["index", s["index"]]]
    for v, st in s["visits"].items():
        rows.append([f"{v}: mean (SD)", f"{_fmt(st['mean'], '.1f')} ({_fmt(st['sd'], '.1f')})"])
        rows.append([f"{v}: median", _fmt(st["median"], ".1f")])
    lo, hi = s["ci95_change"]
    rows += [["mean change (95% CI)", f"{_fmt(s['mean_change'], '.1f')} ({_fmt(lo, '.1f')} to {_fmt(hi, '.1f')})"],
             ["p, paired t-test", _fmt(s["p_ttest"], ".3g")], ["p, Wilcoxon", _fmt(s["p_wilcoxon"], ".3g")]]
    for c, k in s["responders"].items():
        rows.append([f"response {c}", f"{k} ({_fmt(s['responders_pct'][c], '.0f')}%)"])
    for v, x in (s.get("icc") or {}).items():
        rows.append([f"ICC(1,1) {v}", _fmt(x)])
    for v, x in (s.get("within_subject_sd") or {}).items():
        rows.append([f"within-subject SD {v}", _fmt(x)])
    return rows


def study_report(study_result, out_dir: str | os.PathLike) -> tuple[Path, Path]:
    """Write ``study_report.png`` and a self-contained ``study_report.html``.

    Returns
    -------
    (Path, Path)
    """
    out = Path(out_dir)
    png = _png_bytes(study_figure(study_result))
    subj_rows = [[_cellfmt(r.get(c)) for c in study_result.subject_columns] for r in study_result.subjects]
    tables = [("Summary", ["", "value"], _study_rows(study_result.summary)),
              ("Subjects", list(study_result.subject_columns), subj_rows)]
    png_path, html_path = out / "study_report.png", out / "study_report.html"
    _atomic_write(png_path, png)
    _atomic_write(html_path, _html_page("plm study report", png, tables).encode("utf-8"))
    return png_path, html_path


def _cellfmt(v) -> str:
    if isinstance(v, float):
        return _fmt(v)
    return "" if v is None else str(v)


def load_study(folder: str | os.PathLike):
    """A :class:`~plm.workflows.study.StudyResult` from the ``subjects.csv`` and ``summary.json`` of ``plm study``."""
    import csv
    import json

    from .study import StudyResult

    d = Path(folder)
    try:
        summary = json.loads((d / "summary.json").read_text(encoding="utf-8"))
        with open(d / "subjects.csv", newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            subjects = list(reader)
            columns = list(reader.fieldnames or [])
    except (OSError, ValueError) as exc:
        raise InputError(d, f"not a plm study output folder ({exc}); expected summary.json and subjects.csv")
    visits = list(summary.get("visits", {}))
    for r in subjects:
        for k in list(r):
            if k not in ("subject", "response"):
                r[k] = _f(r[k]) if r[k] != "" else math.nan
    return StudyResult(subjects=subjects, summary=summary, nights=[], visits=visits, index=summary.get("index", ""),
                       subject_columns=columns)


def report_paths(paths: Sequence[str | os.PathLike], out_dir: str | os.PathLike, criteria="wasm2016") -> list[Path]:
    """Reports for study folders and for recordings/event files (``plm report``).

    A folder holding ``summary.json`` and ``subjects.csv`` gives the study
    report; other inputs are grouped and scored as in ``plm batch`` and give
    one night report each.

    Returns
    -------
    list of Path
        The HTML pages written.
    """
    from .batch import collect_inputs, group_files
    from .night_scoring import score_paths

    out = Path(out_dir)
    written: list[Path] = []
    other = []
    for p in paths:
        q = Path(p)
        if q.is_dir() and (q / "summary.json").exists() and (q / "subjects.csv").exists():
            written.append(study_report(load_study(q), out)[1])
        else:
            other.append(p)
    if other:
        files, root, problems = collect_inputs(other, skip=out)
        if problems:
            raise InputError(problems[0][0], problems[0][1])
        for g in group_files(files, root):
            if g.error:
                raise InputError(g.paths[0], g.error)
            results = score_paths(g.paths, criteria)
            for n, res in enumerate(results, start=1):
                name = g.id.replace("/", "_") + (f"_night{n}" if len(results) > 1 else "")
                written.append(night_report(res, out, name)[1])
    return written
