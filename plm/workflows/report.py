"""PNG and self-contained HTML reports of nights and of studies (``plm report``).

The figures come from :mod:`plm.plots`; this module writes them, with the
measures as tables, into files, loads ``plm study`` output folders and scores
the recordings a report is asked for.
"""
from __future__ import annotations

import base64
import html
import os
from pathlib import Path
from typing import Sequence

from .._util import write_file
from ..criteria import Criteria
from ..errors import InputError
from ..plots import format_number, measure_rows, night_figure, png_bytes, study_figure, study_rows
from .night_scoring import score_nights
from .reading import ReadOptions

__all__ = ["night_report", "study_report", "report_paths", "load_study"]


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
    png = png_bytes(night_figure(result))
    summary = result.summary()
    crit = summary.get("criteria") or {}
    tables = [("Measures", ["measure", "value"], [list(r) for r in measure_rows(summary)]),
              (f"Criteria {crit.get('name', '')} [{crit.get('hash', '')}]", ["parameter", "value"],
               [[k, str(v)] for k, v in (crit.get("params") or {}).items()])]
    png_path, html_path = out / f"{name}_report.png", out / f"{name}_report.html"
    write_file(png_path, png)
    write_file(html_path, _html_page(f"plm night report: {name}", png, tables))
    return png_path, html_path


def study_report(study_result, out_dir: str | os.PathLike) -> tuple[Path, Path]:
    """Write ``study_report.png`` and a self-contained ``study_report.html``.

    Returns
    -------
    (Path, Path)
    """
    out = Path(out_dir)
    png = png_bytes(study_figure(study_result))
    columns = [str(c) for c in study_result.subjects.columns]
    subj_rows = [[_cellfmt(r.get(c)) for c in columns] for r in study_result.subjects.to_dict("records")]
    tables = [("Summary", ["", "value"], study_rows(study_result.summary)),
              ("Subjects", columns, subj_rows)]
    png_path, html_path = out / "study_report.png", out / "study_report.html"
    write_file(png_path, png)
    write_file(html_path, _html_page("plm study report", png, tables))
    return png_path, html_path


def _cellfmt(v) -> str:
    if isinstance(v, float):
        return format_number(v)
    return "" if v is None else str(v)


def load_study(folder: str | os.PathLike):
    """A :class:`~plm.workflows.study.StudyResult` from the ``subjects.csv`` and ``summary.json`` of ``plm study``."""
    import json

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


def report_paths(paths: Sequence[str | os.PathLike], out_dir: str | os.PathLike,
                 criteria: str | Criteria = "wasm2016", read_options: ReadOptions | None = None) -> list[Path]:
    """Reports for study folders and for recordings/event files (``plm report``).

    A folder holding ``summary.json`` and ``subjects.csv`` gives the study
    report; other inputs are grouped and scored as in ``plm batch`` and give
    one night report each.

    Parameters
    ----------
    paths : sequence of path-like
        Study output folders, recordings, event files, folders of them, glob patterns.
    out_dir : path-like
    criteria : str or Criteria
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
                name = g.id.replace("/", "_") + (f"_night{n}" if len(results) > 1 else "")
                written.append(night_report(res, out, name)[1])
    return written
