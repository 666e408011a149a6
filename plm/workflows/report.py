"""PNG and self-contained HTML reports of nights, of batches and of studies (``plm report``).

The figures come from :mod:`plm.plots` and the labels from
:mod:`plm.model.labels`; this module writes them, with the measures as
tables, into pages a clinician reads at a glance: who and when first, then
what to know before comparing the index, a short table of the headline
measures, the figure, and, folded away, every measure, every criteria
parameter and the list of leg movements. Pages load nothing from elsewhere
(the PNG is inline) and the same night gives the same bytes.
"""
from __future__ import annotations

import base64
import html
import json
import math
import os
from pathlib import Path
from typing import Any, Sequence

from .._util import write_file
from ..criteria import Criteria, field_descriptions
from ..errors import InputError
from ..io.summary import read_night_outputs
from ..model.labels import format_measure, headline_rows, hours_word, measure_label, measure_rows, night_notes, \
    source_files
from ..plots import format_number, night_figure, night_title, png_bytes, study_figure, study_rows
from .night_scoring import score_nights
from .reading import ReadOptions

__all__ = ["night_report", "study_report", "batch_report", "report_paths", "load_study", "is_batch_folder"]

_CSS = (
    "body{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:1150px;padding:0 1em;color:#222}"
    "h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.15em;margin:1.2em 0 .4em}"
    ".files{font-family:monospace;font-size:95%;margin:.2em 0}.meta{color:#555;margin:.2em 0 1em}"
    ".notes{background:#fff4e5;border-left:4px solid #e08214;padding:.5em 1em;margin:1em 0}"
    ".notes ul{margin:.3em 0;padding-left:1.2em}"
    "table{border-collapse:collapse;margin:.5em 0 1em}td,th{border:1px solid #ccc;padding:3px 8px;"
    "text-align:left;font-size:92%;vertical-align:top}th{background:#eee}"
    "td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
    "table.headline td{font-size:100%}table.headline td.num{font-weight:bold}table.headline td:first-child{white-space:nowrap}"
    "tr.plm td{background:#fbe9e7}tr.unscored td{color:#888}"
    "details{margin:.6em 0}summary{cursor:pointer;font-weight:bold;padding:.2em 0}"
    "table.overview td{white-space:nowrap}table.overview td:last-child{white-space:normal;font-size:85%;color:#444;min-width:22em}"
    "table.overview td.num{font-weight:bold}"
    "img{max-width:100%;height:auto}a{color:#1f5fa8}"
)


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]], cls: str = "", numeric: Sequence[int] = (),
           row_classes: Sequence[str] | None = None) -> str:
    """An HTML table; cells are escaped unless given as ``("html", text)``."""
    def cell(i: int, c: Any) -> str:
        text = c[1] if isinstance(c, tuple) and c and c[0] == "html" else html.escape(str(c))
        return f"<td{klass('num' if i in numeric else '')}>{text}</td>"

    def klass(name: str) -> str:
        return f' class="{name}"' if name else ""

    out = [f"<table{klass(cls)}><thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header)
           + "</tr></thead><tbody>"]
    for n, r in enumerate(rows):
        out.append(f"<tr{klass(row_classes[n] if row_classes else '')}>"
                   + "".join(cell(i, c) for i, c in enumerate(r)) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def _details(summary: str, body: str, open_: bool = False) -> str:
    return f"<details{' open' if open_ else ''}><summary>{html.escape(summary)}</summary>\n{body}\n</details>"


def _page(title: str, body: Sequence[str]) -> str:
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title>", f"<style>{_CSS}</style>", "</head><body>", *body,
        "</body></html>",
    ]) + "\n"


def _image(png: bytes, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'


def _notes_box(notes: Sequence[str]) -> str:
    if not notes:
        return ""
    return ('<div class="notes"><strong>Read before comparing this night</strong><ul>'
            + "".join(f"<li>{html.escape(n)}</li>" for n in notes) + "</ul></div>")


# ------------------------------------------------------------------ night
def _clock(start, seconds: float) -> str:
    """Clock time of ``seconds`` after ``start``, to 0.1 s (``22:31:00.1``)."""
    import datetime as _dt

    t = start + _dt.timedelta(seconds=float(seconds))
    return f"{t:%H:%M:%S}.{t.microsecond // 100000}"


def _event_rows(result) -> tuple[list[str], list[list[str]], list[str]]:
    """The per-LM event list: header, one row per monolateral LM, and a CSS class per row.

    Columns: number, onset as clock time (when the start is known) and in s
    from the start, duration, leg, CLM, PLM, series, sleep stage (staged
    nights) and flags (bilateral, respiratory-related, arousal, or why the
    LM was not scored).

    Parameters
    ----------
    result : NightResult

    Returns
    -------
    (list of str, list of list of str, list of str)
    """
    ev = result.events
    staged = result.hypnogram is not None
    clock = result.start_time is not None
    header = ["#"] + (["onset (clock)"] if clock else []) + ["onset, s", "duration, s", "leg", "CLM", "PLM", "series"]
    header += ["stage"] if staged else []
    header += ["flags"]
    n = len(ev)

    def col(name, default):
        return ev[name].to_numpy() if name in ev.columns else [default] * n

    onset, duration, side = col("onset", 0.0), col("duration", 0.0), col("side", "")
    is_clm, is_plm, series = col("is_clm", False), col("is_plm", False), col("series", -1)
    lm_id = ev["lm_id"].to_numpy() if "lm_id" in ev.columns else range(n)
    clmr, arousal = col("is_clmr", False), col("arousal", False)
    reason, stage = col("reason", ""), col("stage", "")
    longest = float(getattr(result.criteria, "lm_max_duration", math.inf))
    ids = [int(i) for i in lm_id]
    shared = {i for i in ids if i >= 0 and ids.count(i) > 1} if n < 20000 else set()
    rows, classes = [], []
    for k in range(n):
        flags = []
        if ids[k] in shared:
            flags.append("bilateral")
        if bool(clmr[k]):
            flags.append("respiratory-related")
        if bool(arousal[k]):
            flags.append("arousal")
        why = str(reason[k]) if reason[k] is not None else ""
        if why and why != "nan":
            flags.append(f"not scored: {why.replace('_', ' ')}")
        elif ids[k] >= 0 and not bool(is_clm[k]):
            flags.append(f"not a CLM (longer than {longest:g} s)" if float(duration[k]) > longest else "not a CLM")
        row = [str(k + 1)] + ([_clock(result.start_time, onset[k])] if clock else [])
        row += [f"{float(onset[k]):.3f}", f"{float(duration[k]):.3f}", str(side[k]), "yes" if bool(is_clm[k]) else "",
                "yes" if bool(is_plm[k]) else "", str(int(series[k])) if int(series[k]) >= 1 else ""]
        if staged:
            row.append(str(stage[k]))
        row.append(", ".join(flags))
        rows.append(row)
        classes.append("plm" if bool(is_plm[k]) else "unscored" if ids[k] < 0 else "")
    return header, rows, classes


def _code_spans(text: str) -> tuple[str, str]:
    """Escaped text with its ``code`` spans (the docstrings' backticks) as ``<code>``."""
    parts = html.escape(text).replace("``", "`").split("`")
    return ("html", "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts)))


def _criteria_table(crit: dict[str, Any]) -> str:
    meaning = field_descriptions()
    rows = [[k, json.dumps(v), _code_spans(meaning.get(k, ""))] for k, v in (crit.get("params") or {}).items()]
    return _table(["parameter", "value", "meaning"], rows)


def _night_page(result, png: bytes, files: Sequence[str] | None = None) -> str:
    """The HTML page of one night (see :func:`night_report`)."""
    summary = result.summary()
    files = list(files) if files is not None else source_files(result.source)
    crit = summary.get("criteria") or {}
    title = f"PLM night report: {night_title(result, files)}"
    start = result.start_time
    meta = []
    if result.night:
        meta.append(f"night of {result.night}")
    if start is not None:
        meta.append(f"start {start.isoformat(sep=' ', timespec='seconds')}")
    meta.append(f"criteria {crit.get('name', '')} [{crit.get('hash', '')}]")
    meta.append(f"plm {summary.get('version', '')}")
    head = headline_rows(summary)
    header, events, classes = _event_rows(result)
    numeric = [i for i, h in enumerate(header) if h in ("#", "onset, s", "duration, s", "series")]
    measures = measure_rows(summary)
    body = [
        "<h1>PLM night report</h1>",
        "".join(f'<p class="files">{html.escape(f)}</p>' for f in files) or '<p class="files">night</p>',
        f'<p class="meta">{html.escape(" · ".join(meta))}</p>',
        _notes_box(night_notes(summary)),
        "<h2>Measures</h2>",
        # the criteria are named in the line under the files
        _table(["measure", "value", ""], [r for r in head if r[0] != "criteria"], cls="headline", numeric=(1,)),
        _image(png, title),
        _details(f"All measures ({len(measures)})", _table(["measure", "value", "key"], measures, numeric=(1,))),
        _details(f"Criteria {crit.get('name', '')} [{crit.get('hash', '')}]: all {len(crit.get('params') or {})} "
                 "parameters", _criteria_table(crit)),
        _details(f"Event list: {len(events)} leg movements, one row per leg (PLMs shaded)",
                 _table(header, events, numeric=numeric, row_classes=classes)),
    ]
    return _page(title, [b for b in body if b])


def night_report(result, out_dir: str | os.PathLike, name: str | None = None,
                 files: Sequence[str] | None = None) -> tuple[Path, Path]:
    """Write ``<name>_report.png`` and a self-contained ``<name>_report.html``.

    Parameters
    ----------
    result : NightResult
    out_dir : path-like
    name : str, optional
        File name stem; default from the result's source.
    files : sequence of str, optional
        Every file of the night, named in the title; default: those the
        result's source names.

    Returns
    -------
    (Path, Path)
        The PNG and the HTML page: the files and start, notes (one leg, an
        assumed recording length, every warning), the short measures table,
        the figure (PNG inline), then in collapsible sections every measure,
        every criteria parameter and the per-LM event list.
    """
    out = Path(out_dir)
    name = name or (Path(str(result.source)).stem or "night")
    png = png_bytes(night_figure(result, files))
    png_path, html_path = out / f"{name}_report.png", out / f"{name}_report.html"
    write_file(png_path, png)
    write_file(html_path, _night_page(result, png, files))
    return png_path, html_path


# ------------------------------------------------------------------ study
def study_report(study_result, out_dir: str | os.PathLike) -> tuple[Path, Path]:
    """Write ``study_report.png`` and a self-contained ``study_report.html``.

    Returns
    -------
    (Path, Path)
    """
    out = Path(out_dir)
    png = png_bytes(study_figure(study_result))
    # the page has the summary as a table of its own: its figure is the plot alone
    plot_png = png_bytes(study_figure(study_result, table=False))
    s = study_result.summary
    columns = [str(c) for c in study_result.subjects.columns]
    records = study_result.subjects.to_dict("records")
    subj_rows = [[_cellfmt(r.get(c)) for c in columns] for r in records]
    meta = (f"{s.get('n_subjects', 0)} subjects, {s.get('first_visit', '')} vs {s.get('last_visit', '')}; "
            f"index: {measure_label(s.get('index', ''))}")
    body = [
        "<h1>PLM study report</h1>",
        f'<p class="meta">{html.escape(meta)}</p>',
        "<h2>Summary</h2>",
        _table(["", "value"], study_rows(s), numeric=(1,)),
        _image(plot_png, "before/after plot, one line per subject"),
        _details(f"Subjects ({len(subj_rows)})", _table(
            [_column_label(c) for c in columns], subj_rows,
            numeric=tuple(i for i, c in enumerate(columns) if c not in ("subject", "response")))),
    ]
    png_path, html_path = out / "study_report.png", out / "study_report.html"
    write_file(png_path, png)
    write_file(html_path, _page("plm study report", body))
    return png_path, html_path


def _column_label(column: str) -> str:
    """Header of a ``subjects.csv`` column: ``baseline_index`` -> ``baseline: mean, /h`` and the like."""
    fixed = {"change": "change, /h", "pct_change": "change, %"}
    if column in fixed:
        return fixed[column]
    for suffix, text in (("_index", "mean, /h"), ("_median", "median, /h"), ("_nights", "nights")):
        if column.endswith(suffix):
            return f"{column[: -len(suffix)]}: {text}"
    return column.replace("_", " ")


def _cellfmt(v) -> str:
    if isinstance(v, float):
        return format_number(v, ".1f")
    return "" if v is None else str(v)


def load_study(folder: str | os.PathLike):
    """A :class:`~plm.workflows.study.StudyResult` from the ``subjects.csv`` and ``summary.json`` of ``plm study``."""
    import pandas as pd

    from .study import StudyResult

    d = Path(folder)
    try:
        summary = json.loads((d / "summary.json").read_text(encoding="utf-8"))
        subjects = pd.read_csv(d / "subjects.csv", dtype=str, keep_default_na=False)
    except (OSError, ValueError) as exc:
        raise InputError(d, f"not a plm study output folder ({exc}); expected summary.json and subjects.csv")
    for c in subjects.columns:
        if c not in ("subject", "response"):
            subjects[c] = pd.to_numeric(subjects[c], errors="coerce")  # empty cell: NaN
    visits = list(summary.get("visits", {}))
    return StudyResult(subjects=subjects, summary=summary, nights=pd.DataFrame(), visits=visits,
                       index=summary.get("index", ""))


# ------------------------------------------------------------------ batch
def is_batch_folder(path: str | os.PathLike) -> bool:
    """True for a ``plm batch`` output folder (``nightly_indices.csv`` and ``nights/``)."""
    p = Path(path)
    return p.is_dir() and (p / "nightly_indices.csv").is_file() and (p / "nights").is_dir()


def _page_name(recording_id: str, n: int, n_nights: int) -> str:
    return recording_id.replace("/", "_") + (f"_night{n}" if n_nights > 1 else "")


def batch_report(folder: str | os.PathLike, out_dir: str | os.PathLike) -> list[Path]:
    """Night pages for every night of a ``plm batch`` folder, and ``batch_report.html`` linking them.

    The nights are read back from their outputs (``nights/<id>/*_summary.json``
    and the events TSV beside each), not scored again, so the pages show the
    batch's own numbers. The overview lists every night (headline indices,
    hours, legs, notes, a link to its page) and every input that failed.

    Parameters
    ----------
    folder : path-like
        A ``plm batch`` output folder.
    out_dir : path-like

    Returns
    -------
    list of Path
        The overview page first, then the night pages.
    """
    folder, out = Path(folder), Path(out_dir)
    rows = _csv_rows(folder / "nightly_indices.csv")
    failures = _csv_rows(folder / "failures.csv") if (folder / "failures.csv").is_file() else []
    ids = list(dict.fromkeys(r["recording_id"] for r in rows))
    written: list[Path] = []
    table: list[list[Any]] = []
    for rid in ids:
        summaries = sorted((folder / "nights" / rid).glob("*_summary.json"))
        results = sorted((read_night_outputs(p) for p in summaries), key=lambda r: (str(r.night or ""), r.source))
        n_rows = sum(1 for r in rows if r["recording_id"] == rid)
        if len(results) != n_rows:
            raise InputError(folder / "nights" / rid, f"holds {len(results)} night summaries but nightly_indices.csv "
                                                      f"lists {n_rows} nights for {rid!r}")
        for n, res in enumerate(results, start=1):
            name = _page_name(rid, n, len(results))
            page = night_report(res, out, name)[1]
            written.append(page)
            table.append(_overview_row(rid, res, os.path.relpath(page, out)))
    header = ["recording", "night", "start", "PLMS index (sleep)", "PLM index (recording or time in bed)", "PLMs",
              "hours", "legs", "notes"]
    n_nights = len(table)
    body = [
        "<h1>PLM batch report</h1>",
        f'<p class="files">{html.escape(str(folder))}</p>',
        f'<p class="meta">{n_nights} night{"" if n_nights == 1 else "s"} from {len(ids)} recording'
        f'{"" if len(ids) == 1 else "s"}; {len(failures)} input{"" if len(failures) == 1 else "s"} failed</p>',
        "<h2>Nights</h2>",
        _table(header, table, cls="overview", numeric=(3, 4, 5)),
        "<p>PLMS index: PLMs in sleep per hour of sleep (staged nights). PLM index: every PLM per hour of "
        "recording, or of time in bed when lights were given; on unstaged nights it is the only index. "
        "The two are different numbers and are not compared with each other.</p>",
    ]
    if failures:
        body += ["<h2>Failed inputs</h2>", _table(["input", "error"], [[f["path"], f["error"]] for f in failures])]
    overview = out / "batch_report.html"
    write_file(overview, _page(f"plm batch report: {folder.name}", body))
    return [overview, *written]


def _csv_rows(path: Path) -> list[dict[str, str]]:
    """Rows of a table plm wrote (``nightly_indices.csv``, ``failures.csv``); header only gives none."""
    import csv

    try:
        with open(path, newline="", encoding="utf-8") as fh:
            return list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(path, f"cannot be read as a plm batch table ({exc})") from None


def _overview_row(recording_id: str, result, link: str) -> list[Any]:
    s = result.summary()
    staged = s.get("denominator") == "tst"
    # results of older versions have no plm_index_tib; unstaged, plm_index is that number
    tib = s.get("plm_index_tib", None if staged else s.get("plm_index"))
    hours = f"{format_measure('time_in_bed_hours', s.get('time_in_bed_hours'))} {hours_word(s)}"
    if staged:
        hours = f"{format_measure('tst_hours', s.get('tst_hours'))} sleep, {hours}"
    start = result.start_time
    legs = s.get("n_legs")
    notes = night_notes(s)
    return [
        ("html", f'<a href="{html.escape(link)}">{html.escape(recording_id)}</a>'),
        s.get("night") or "", "" if start is None else f"{start:%H:%M}",
        format_measure("plms_index", s.get("plms_index")) if staged else "-",
        format_measure("plm_index_tib", tib),
        format_measure("n_plm", s.get("n_plm")),
        hours,
        "-" if legs is None else ("1 (one leg)" if legs == 1 else str(legs)),
        ("html", "<br>".join(html.escape(n) for n in notes)),
    ]


# ------------------------------------------------------------------ plm report
def report_paths(paths: Sequence[str | os.PathLike], out_dir: str | os.PathLike,
                 criteria: str | Criteria = "wasm2016", read_options: ReadOptions | None = None) -> list[Path]:
    """Reports for study and batch folders and for recordings/event files (``plm report``).

    A folder holding ``summary.json`` and ``subjects.csv`` gives the study
    report; a ``plm batch`` output folder gives its night pages and the
    overview linking them (:func:`batch_report`); other inputs are grouped
    and scored as in ``plm batch`` and give one night report each.

    Parameters
    ----------
    paths : sequence of path-like
        Study or batch output folders, recordings, event files, folders of them, glob patterns.
    out_dir : path-like
    criteria : str or Criteria
        For the recordings and event files (study and batch folders keep their own).
    read_options : ReadOptions, optional
        As for ``plm batch`` (default ``ReadOptions(strict=False)``).

    Returns
    -------
    list of Path
        The HTML pages written.
    """
    from .batch import collect_inputs, group_files

    out = Path(out_dir)
    written: list[Path] = []
    other = []
    for p in paths:
        q = Path(p)
        if q.is_dir() and (q / "summary.json").exists() and (q / "subjects.csv").exists():
            written.append(study_report(load_study(q), out)[1])
        elif is_batch_folder(q):
            written.extend(batch_report(q, out))
        else:
            other.append(p)
    if other:
        files, root, problems = collect_inputs(other, skip=out)
        if problems:
            raise InputError(problems[0][0], problems[0][1])
        for g in group_files(files, root):
            if g.error:
                raise InputError(g.paths[0], g.error)
            results = score_nights(g.paths, criteria, read_options=read_options or ReadOptions(strict=False))
            for n, res in enumerate(results, start=1):
                name = _page_name(g.id, n, len(results))
                written.append(night_report(res, out, name, files=list(g.paths))[1])
    return written
