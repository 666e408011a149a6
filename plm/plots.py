"""Matplotlib plots of a night and of a study (the viz layer).

Needs matplotlib (``pip install 'plm[report]'``); it is imported inside the
functions and always with the non-interactive Agg backend, so plots work on
servers without a display. :mod:`plm.workflows.report` puts these figures in
PNG and HTML reports; ``NightResult.plot_*`` draw them into any axes.
"""
from __future__ import annotations

import io
import math
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from .errors import InputError, MissingDependencyError
from .model.labels import headline_rows, measure_label, source_files
from .scoring.method_comparison import paired_values

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from .model import NightResult

__all__ = ["night_figure", "plot_raster", "plot_hypnogram", "plot_imi_histogram", "study_figure", "png_bytes",
           "study_rows", "format_number", "as_float", "night_title", "bland_altman_figure", "agreement_scatter_figure"]

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
    if ev is not None and "onset" in ev and len(ev):
        ends.append(float(np.max(ev["onset"] + ev["duration"])))
    hours = result.measures.get("hours_denominator")
    if isinstance(hours, (int, float)) and math.isfinite(hours):
        ends.append(float(hours) * 3600.0)
    return max(ends)


def _recording_end(result) -> float | None:
    """End of the recording, s from its start: the signal's length, else the summary's ``duration_s``."""
    rec = getattr(result, "recording", None)
    if rec is not None:
        return float(rec.duration)
    d = result.measures.get("duration_s")
    return float(d) if isinstance(d, (int, float)) and math.isfinite(d) and d > 0 else None


def _imi_counts(result) -> tuple[np.ndarray, int | None]:
    """Counts of the night's IMIs in 2 s bins over 0-90 s and the number above 90 s.

    From the scorer's LM table (``lms["imi"]``); a night read back from its
    output files has no LM table, and then the counts are the summary's
    ``imi_histogram`` and the number above 90 s is unknown (None).
    """
    imi = _col(result.lms, "imi", dtype=float)
    if imi is None:
        counts = np.asarray(result.measures.get("imi_histogram") or np.zeros(45), dtype=float)
        return counts, None
    imi = imi[np.isfinite(imi)]
    counts, _ = np.histogram(imi[imi <= 90], bins=np.arange(0, 92, 2.0))
    return counts.astype(float), int((imi > 90).sum())


def night_title(result: NightResult, files: Sequence[str] | None = None) -> str:
    """``"a.edf + b.edf, night of 2026-03-01, start 22:30 (+01:00)"``: every file of the night by name, and when.

    Parameters
    ----------
    result : NightResult
    files : sequence of str, optional
        The night's files; default: those its source names.

    Returns
    -------
    str
    """
    names = [Path(f).name for f in (files if files is not None else source_files(result.source))]
    title = " + ".join(names) or "night"
    if result.night:
        title += f", night of {result.night}"
    start = result.start_time
    if start is not None:
        title += f", start {start:%H:%M}"
        if start.utcoffset() is not None:
            title += f" (UTC{start.isoformat()[-6:]})"
    return title


def night_figure(result: NightResult, files: Sequence[str] | None = None) -> Figure:
    """Matplotlib figure of one night.

    Panels: the leg-movement raster (one row per hour, left leg above right,
    PLMs in red, periodic series shaded), the hypnogram when staging exists,
    the IMI histogram (2 s bins, 0-90 s, and beyond) and the short measures
    table (:func:`plm.model.labels.headline_rows`). The title names every
    file of the night.

    Parameters
    ----------
    result : NightResult
    files : sequence of str, optional
        The night's files for the title; default: those its source names.

    Returns
    -------
    matplotlib.figure.Figure
    """
    plt = _pyplot()
    length = _night_length(result)
    n_hours = max(1, int(math.ceil(length / 3600.0 - 1e-9)))
    has_hyp = result.hypnogram is not None and len(result.hypnogram) > 0
    heights = [max(2.5, 0.42 * n_hours)] + ([1.1] if has_hyp else []) + [3.2]
    fig = plt.figure(figsize=(11, sum(heights) + 1.2), dpi=100, layout="constrained")
    grid = fig.add_gridspec(len(heights), 2, height_ratios=heights, width_ratios=[1.2, 1])
    fig.get_layout_engine().set(hspace=0.04, wspace=0.06)
    summary = result.summary()
    fig.suptitle("\n".join(textwrap.wrap(night_title(result, files), 120)), fontsize=12, x=0.01, ha="left")

    plot_raster(result, ax=fig.add_subplot(grid[0, :]), n_hours=n_hours)
    panel = 1
    if has_hyp:
        plot_hypnogram(result, ax=fig.add_subplot(grid[panel, :]), n_hours=n_hours)
        panel += 1
    plot_imi_histogram(result, ax=fig.add_subplot(grid[panel, 0]))

    axt = fig.add_subplot(grid[panel, 1])
    axt.axis("off")
    rows = [[label, value] for label, value, _ in headline_rows(summary) if label != "criteria"]
    crit = result.criteria
    rows += [["criteria", f"{crit.name} [{crit.hash}]"], ["plm version", str(result.version)]]
    tab = axt.table(cellText=rows, colLabels=["measure", "value"], bbox=[0, 0, 1, 1], cellLoc="left",
                    colWidths=[0.44, 0.56])
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
    end = _recording_end(result)
    if end is not None and end < n_hours * 3600.0:
        # after the end of the recording: not "no movements" but "not recorded"
        h = int(end // 3600)
        x0 = (end - h * 3600.0) / 60.0
        ax.add_patch(plt.Rectangle((x0, h - 0.5), 60.0 - x0, 1.0, facecolor="#e8e8e8", lw=0, zorder=0))
        if 60.0 - x0 >= 12.0:
            ax.text((x0 + 60.0) / 2, h, "not recorded", ha="center", va="center", fontsize=8, color="#777777")
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
    one_leg = ""
    if summary.get("n_legs") == 1:
        recorded = [s for s in ("left", "right") if summary.get(f"n_lm_{s}")]
        one_leg = f"; {recorded[0]} leg only" if len(recorded) == 1 else "; one leg only"
    ax.set_title(f"Leg movements: {summary.get('n_lm', '?')} LM, {summary.get('n_plm', '?')} PLM "
                 f"in {summary.get('n_series', '?')} series{one_leg} (red: PLM, grey: other LM, shaded: series)",
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
        Its first container holds the 46 bars (45 bins of 2 s, one > 90 s;
        45 for a night read back from its output files, which do not keep
        the IMIs above 90 s). The count axis has whole-number ticks.
    """
    axi = _axes(ax, (6, 3.2))
    from matplotlib.ticker import MaxNLocator

    counts, above = _imi_counts(result)
    edges = np.arange(0, 92, 2.0)
    heights = counts if above is None else np.append(counts, above)
    lefts = edges[:-1] if above is None else np.append(edges[:-1], 90.0)
    widths = np.append(np.diff(edges), 10.0)[: heights.size]
    axi.bar(lefts, heights, width=widths, align="edge", color="#4575b4", edgecolor="white")
    lo = getattr(result.criteria, "imi_min", 10.0)
    hi = getattr(result.criteria, "imi_max", 90.0)
    axi.axvspan(lo, hi, color=_SERIES_COLOR, alpha=0.2, lw=0)
    axi.set_xlim(0, 100 if above is not None else 90)
    axi.set_xticks([0, 20, 40, 60, 80, 95] if above is not None else [0, 20, 40, 60, 80])
    if above is not None:
        axi.set_xticklabels(["0", "20", "40", "60", "80", "> 90"])
    axi.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts: whole numbers only
    axi.set_ylim(0, max(1.0, float(heights.max(initial=0)) * 1.08))
    axi.set_xlabel("intermovement interval, s (2 s bins; last bar > 90 s)" if above is not None
                   else "intermovement interval, s (2 s bins; IMIs > 90 s not stored)")
    axi.set_ylabel("number of IMIs")
    n = int(heights.sum())
    axi.set_title(f"IMI histogram (n = {n}; shaded: series range {lo:g}-{hi:g} s)", fontsize=10, loc="left")
    return axi


def png_bytes(fig: Figure) -> bytes:
    """The figure as PNG bytes (the figure is closed)."""
    plt = _pyplot()
    buf = io.BytesIO()
    # Fixed metadata: the same night gives byte-identical PNGs.
    fig.savefig(buf, format="png", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


# ------------------------------------------------------------------ study
def study_figure(study_result, table: bool = True) -> Figure:
    """Before/after paired plot (one line per subject, first to last visit) and a summary table.

    The legend sits below the plot, where it covers no subject's line, and
    the responder threshold line is labelled where it is drawn.

    Parameters
    ----------
    study_result : StudyResult
    table : bool
        Draw the summary table beside the plot (False: the plot alone).

    Returns
    -------
    matplotlib.figure.Figure
    """
    plt = _pyplot()
    s = study_result.summary
    visits = study_result.visits
    first, last = visits[0], visits[-1]
    subjects = study_result.subjects.to_dict("records")
    a = np.array([as_float(r.get(f"{first}_index")) for r in subjects])
    b = np.array([as_float(r.get(f"{last}_index")) for r in subjects])
    resp = [r.get("response", "") for r in subjects]
    colors = {"complete": "#1a9850", "moderate": "#fdae61", "none": "#d73027", "": "#999999"}
    if table:
        fig, (ax, axt) = plt.subplots(1, 2, figsize=(11, 6.0), dpi=100, gridspec_kw={"width_ratios": [1, 1.1]},
                                      layout="constrained")
    else:
        fig, ax = plt.subplots(figsize=(6.5, 6.0), dpi=100, layout="constrained")
    for x0, x1, c in zip(a, b, resp):
        if np.isfinite(x0) and np.isfinite(x1):
            ax.plot([0, 1], [x0, x1], "-o", color=colors.get(c, "#999"), alpha=0.7, ms=4, lw=1)
    for x, v in ((0, first), (1, last)):
        st = s["visits"][v]
        ax.errorbar([x + (0.08 if x else -0.08)], [st["mean"]], yerr=[[st["sd"] or 0]], fmt="s", color="k",
                    ms=8, capsize=5, zorder=5)
    for c, col in colors.items():
        if c:
            ax.plot([], [], "-o", color=col, label=f"{'no' if c == 'none' else c} response ({s['responders'].get(c, 0)})")
    ax.plot([], [], "s", color="k", label="visit mean +/- SD")
    threshold = s["thresholds"]["complete_below"]
    ax.axhline(threshold, color="#1a9850", ls=":", lw=1.2, label=f"complete response: below {threshold:g} /h")
    # the line is named where it is drawn too, at the left edge, left of every point
    ax.annotate(f"{threshold:g} /h", (-0.29, threshold), xytext=(0, 2), textcoords="offset points", fontsize=8,
                color="#1a9850", va="bottom", ha="left")
    ax.set_xticks([0, 1])
    ax.set_xticklabels([first, last])
    ax.set_xlim(-0.3, 1.3)
    ax.set_ylim(bottom=0)
    ax.set_ylabel(f"{measure_label(s['index'])}, /h (mean of each visit's nights)")
    ax.set_title(f"{s['n_subjects']} subjects: {first} vs {last}", fontsize=11, loc="left")
    # below the axes, where it covers no point
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(0.0, -0.07), ncol=2, frameon=False)
    if not table:
        return fig
    axt.axis("off")
    tab = axt.table(cellText=study_rows(s), colLabels=["", "value"], bbox=[0, 0, 1, 1], cellLoc="left",
                    colWidths=[0.5, 0.5])
    tab.auto_set_font_size(False)
    tab.set_fontsize(9)
    return fig


# ------------------------------------------------------------- validation
def _index_label(index: str) -> str:
    return f"{measure_label(index)}, /h"


def bland_altman_figure(reference: np.ndarray, test: np.ndarray, stats: dict[str, Any],
                        index: str = "plm_index") -> Figure:
    """Bland-Altman plot: difference (test - reference) against the mean of the two, per night.

    Parameters
    ----------
    reference, test : array of float
        One index per night.
    stats : dict
        From :func:`plm.scoring.method_comparison.bland_altman` (bias and
        limits drawn as lines, with their 95 % confidence bands).
    index : str
        Name of the index, for the axis labels.

    Returns
    -------
    matplotlib.figure.Figure
    """
    plt = _pyplot()
    a, b = paired_values(reference, test)
    mean, diff = 0.5 * (a + b), b - a
    fig, ax = plt.subplots(figsize=(7, 5), dpi=100)
    ax.scatter(mean, diff, s=28, color="#2166ac", alpha=0.8, edgecolor="white", linewidth=0.5, zorder=3)
    ax.axhline(0.0, color="#999999", lw=0.8)
    bias, lo, hi = stats.get("bias"), stats.get("loa_low"), stats.get("loa_high")
    half = stats.get("loa_ci95_halfwidth")
    ci = stats.get("bias_ci95") or [math.nan, math.nan]
    for value, text, style in ((bias, "bias", "-"), (lo, "-1.96 SD", "--"), (hi, "+1.96 SD", "--")):
        if value is None or not math.isfinite(value):
            continue
        ax.axhline(value, color=_PLM_COLOR, ls=style, lw=1.2)
        ax.annotate(f"{text} {value:+.1f}", xy=(1.0, value), xycoords=("axes fraction", "data"),
                    xytext=(-4, 3), textcoords="offset points", ha="right", va="bottom", fontsize=8,
                    color=_PLM_COLOR)
    if all(v is not None and math.isfinite(v) for v in ci):
        ax.axhspan(ci[0], ci[1], color=_PLM_COLOR, alpha=0.10, lw=0)
    if half is not None and math.isfinite(half):
        for value in (lo, hi):
            ax.axhspan(value - half, value + half, color=_PLM_COLOR, alpha=0.06, lw=0)
    label = _index_label(index)
    ax.set_xlabel(f"mean of reference and test, {label}")
    ax.set_ylabel(f"test - reference, {label}")
    ax.set_title(f"Bland-Altman, {a.size} nights (shaded: 95% CI)", fontsize=11, loc="left")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def agreement_scatter_figure(reference: np.ndarray, test: np.ndarray, index: str = "plm_index",
                             cutoffs: tuple[float, ...] = (), text: str = "") -> Figure:
    """Test against reference index per night, with the line of identity and the cut-offs.

    Parameters
    ----------
    reference, test : array of float
        One index per night.
    index : str
        Name of the index, for the axis labels.
    cutoffs : tuple of float
        Drawn as dotted lines on both axes.
    text : str
        Shown in the upper left corner (e.g. ICC and Spearman r).

    Returns
    -------
    matplotlib.figure.Figure
    """
    plt = _pyplot()
    a, b = paired_values(reference, test)
    fig, ax = plt.subplots(figsize=(5.8, 5.5), dpi=100)
    top = float(max(np.max(a, initial=0.0), np.max(b, initial=0.0), *cutoffs, 1.0)) * 1.08
    ax.plot([0, top], [0, top], color="#999999", lw=0.8, label="identity")
    for c in cutoffs:
        ax.axvline(c, color="#1a9850", ls=":", lw=1)
        ax.axhline(c, color="#1a9850", ls=":", lw=1)
    ax.scatter(a, b, s=28, color="#2166ac", alpha=0.8, edgecolor="white", linewidth=0.5, zorder=3)
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    ax.set_aspect("equal")
    label = _index_label(index)
    ax.set_xlabel(f"reference {label}")
    ax.set_ylabel(f"test {label}")
    if text:
        ax.text(0.03, 0.97, text, transform=ax.transAxes, va="top", ha="left", fontsize=9,
                bbox={"facecolor": "white", "edgecolor": "#cccccc", "alpha": 0.9})
    ax.set_title(f"{a.size} nights" + (f"; cut-offs {', '.join(f'{c:g}' for c in cutoffs)} /h" if cutoffs else ""),
                 fontsize=11, loc="left")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def as_float(v: Any) -> float:
    """``float(v)``, NaN when ``v`` is not a number (table cells read back from CSV)."""
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def format_number(v: Any, spec: str = ".2f") -> str:
    """``v`` formatted with ``spec``; ``-`` for None, NaN and infinities."""
    return "-" if v is None or (isinstance(v, float) and not math.isfinite(v)) else format(v, spec)


def study_rows(s: dict[str, Any]) -> list[list[str]]:
    """``[label, value]`` rows of a study summary, as the figure and the HTML report show them."""
    rows = [["subjects (paired)", f"{s['n_subjects']} ({s['n_paired']})"], ["index", measure_label(s["index"])]]
    for v, st in s["visits"].items():
        rows.append([f"{v}: mean (SD)", f"{format_number(st['mean'], '.1f')} ({format_number(st['sd'], '.1f')})"])
        rows.append([f"{v}: median", format_number(st["median"], ".1f")])
    lo, hi = s["ci95_change"]
    rows += [["mean change (95% CI)", f"{format_number(s['mean_change'], '.1f')} ({format_number(lo, '.1f')} to {format_number(hi, '.1f')})"],
             ["p, paired t-test", format_number(s["p_ttest"], ".3g")], ["p, Wilcoxon", format_number(s["p_wilcoxon"], ".3g")]]
    for c, k in s["responders"].items():
        rows.append([f"response {c}", f"{k} ({format_number(s['responders_pct'][c], '.0f')}%)"])
    for v, x in (s.get("icc") or {}).items():
        rows.append([f"ICC(1,1) {v}", format_number(x)])
    for v, x in (s.get("within_subject_sd") or {}).items():
        rows.append([f"within-subject SD {v}", format_number(x)])
    return rows


