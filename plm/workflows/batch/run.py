"""``plm batch``: score many recordings, resume an interrupted run, write the nightly table.

:func:`run_batch` finds the recordings (:mod:`.discovery`), scores every one
that is not already done (:func:`score_group`, the same function in every
worker, see :mod:`.executors`), keeps a record per recording so that
``resume`` can skip it next time, and writes ``nightly_indices.csv`` and
``failures.csv`` (:mod:`.tables`).
"""
from __future__ import annotations

import json
import os
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from ..._util import csv_text, json_safe, write_file
from ..._version import __version__
from ...criteria import Criteria
from ...errors import InputError, PlmError, one_line
from .discovery import NightGroup, collect_inputs, group_files, read_batch_manifest
from .executors import run_tasks
from ..night_scoring import score_nights
from ..reading import ReadOptions
from .tables import measure_columns, night_rows

__all__ = ["run_batch", "BatchReport", "score_group", "score_groups", "RECORD_NAME", "NIGHTS_DIR"]

#: Name of the per-group record that ``--resume`` relies on.
RECORD_NAME = "plm_batch.json"
NIGHTS_DIR = "nights"


def _file_stamp(path: str) -> dict[str, Any]:
    st = os.stat(path)
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _write_outputs(results: list, folder: Path, export: Sequence[str]) -> None:
    """Per-night outputs (events TSV, summary JSON, extra formats) of a group's nights."""
    from ...io.export import write_night_outputs

    for res in results:
        write_night_outputs(res, folder, extra_formats=list(export))


def score_group(task: dict[str, Any]) -> dict[str, Any]:
    """Score one group and write its outputs; never raises.

    Runs in worker processes (or Dask workers), so it takes and returns
    plain picklable data.

    Parameters
    ----------
    task : dict
        ``id``, ``paths``, ``criteria`` and optionally ``error``,
        ``read_options`` (a :class:`~plm.workflows.reading.ReadOptions`;
        default: not strict), ``threads``, ``out_dir`` (no outputs written
        when absent), ``root``, ``export``.

    Returns
    -------
    dict
        ``{"id", "paths", "nights", "error", "cpu_seconds", "warnings"}`` with
        the night summaries and the text of every warning raised while
        scoring (a worker process cannot show them as the ``plm`` command
        does; :func:`run_batch` warns them again in the calling process).
    """
    out = {"id": task["id"], "paths": list(task["paths"]), "nights": [], "error": None, "cpu_seconds": 0.0,
           "warnings": []}
    cpu0 = time.process_time()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _score_group(task, out)
    out["warnings"] = list(dict.fromkeys(str(w.message) for w in caught))
    out["cpu_seconds"] = time.process_time() - cpu0
    return out


def _score_group(task: dict[str, Any], out: dict[str, Any]) -> None:
    """The work of :func:`score_group`: fill ``out`` with the nights or the error."""
    try:
        if task.get("error"):
            raise InputError(None, task["error"])
        stamps = [_file_stamp(p) for p in task["paths"]]
        results = score_nights(task["paths"], task["criteria"], read_options=_read_options(task),
                               threads=task.get("threads"))
        if not results:
            raise InputError(task["paths"][0], "holds no night to score")
        # JSON round trip: the table is built from exactly what the record holds.
        nights = json.loads(json.dumps([json_safe(r.summary()) for r in results], allow_nan=False))
        if task.get("out_dir"):
            folder = Path(task["out_dir"]) / NIGHTS_DIR / task["id"]
            _write_outputs(results, folder, task.get("export", ()))
            record = {
                "id": task["id"],
                "inputs": [dict(path=os.path.relpath(p, task["root"]), **s) for p, s in zip(task["paths"], stamps)],
                "criteria_hash": task["criteria"].hash,
                "options": _read_options(task).record(),
                "version": __version__,
                "nights": nights,
            }
            write_file(folder / RECORD_NAME, json.dumps(record, indent=1, sort_keys=True) + "\n")
        out["nights"] = nights
    except (PlmError, OSError) as exc:
        out["error"] = one_line(exc)
    except Exception as exc:  # a bug in a reader/scorer must not stop the batch
        out["error"] = f"internal error ({type(exc).__name__}: {one_line(exc)})"


def _read_options(task: dict[str, Any]) -> ReadOptions:
    return task.get("read_options") or ReadOptions(strict=False)


def _load_record(out_dir: Path, group: NightGroup, crit_hash: str, root: Path, options: dict) -> list | None:
    """Summaries of a group scored before with the same criteria, options, version and files."""
    path = out_dir / NIGHTS_DIR / group.id / RECORD_NAME
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    try:
        wanted = [dict(path=os.path.relpath(p, root), **_file_stamp(p)) for p in group.paths]
    except OSError:
        return None
    if (
        record.get("criteria_hash") != crit_hash
        or record.get("options") != options
        or record.get("version") != __version__
        or record.get("inputs") != wanted
    ):
        return None
    return record.get("nights")


#: Modules the process workers import before they start: the scoring stack (~1.5 s once, not per night).
_PRELOAD = ("plm.workflows.night_scoring", "plm.io", "plm.io.edf", "plm.io.accel_csv",
            "plm.io.events_tsv", "plm.io.export", "plm.nights", "plm.detect.pipeline", "plm.scoring.night")


def _lost(task: dict[str, Any], message: str) -> dict[str, Any]:
    return {"id": task["id"], "paths": list(task["paths"]), "nights": [], "error": message}


def score_groups(
    tasks: Sequence[dict[str, Any]],
    jobs: int = 1,
    executor: str = "process",
    scheduler: str | None = None,
    on_done: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Run :func:`score_group` over ``tasks`` (see :func:`.executors.run_tasks`); outcomes in task order.

    Parameters
    ----------
    tasks : sequence of dict
        As for :func:`score_group`.
    jobs : int
        Worker processes (``executor="process"``); 1 runs in this process.
    executor : {"process", "dask"}
    scheduler : str, optional
        Dask scheduler address; without it a local Dask cluster is started.
    on_done : callable, optional
        Called with each outcome as it completes (progress display).

    Returns
    -------
    list of dict
    """
    return run_tasks(score_group, tasks, jobs, executor, scheduler, on_done, lost=_lost, preload=_PRELOAD)


# ------------------------------------------------------------------ main
@dataclass
class BatchReport:
    """What a batch run did.

    Attributes
    ----------
    out_dir : Path
    rows : list of dict
        The rows of ``nightly_indices.csv``.
    failures : list of (str, str)
        ``(path, error message)`` of every input that failed.
    n_groups : int
        Recordings (file groups) found.
    n_ok : int
        Recordings that gave nights (scored now or resumed) without an error.
    n_scored, n_resumed : int
        Groups scored in this run / reused from an earlier run (``resume``).
    seconds : float
        Wall-clock time of the run.
    cpu_seconds : float
        CPU time the scoring took, summed over workers (all threads).
    """

    out_dir: Path
    rows: list[dict[str, Any]] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)
    n_groups: int = 0
    n_ok: int = 0
    n_scored: int = 0
    n_resumed: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when no input failed."""
        return not self.failures

    @property
    def n_nights(self) -> int:
        return len(self.rows)

    @property
    def nightly_csv(self) -> Path:
        return self.out_dir / "nightly_indices.csv"

    @property
    def failures_csv(self) -> Path:
        return self.out_dir / "failures.csv"

    def __repr__(self) -> str:
        return (
            f"<BatchReport {self.out_dir}: {self.n_nights} nights from {self.n_groups} recordings "
            f"({self.n_resumed} resumed), {len(self.failures)} failed, {self.seconds:.1f} s>"
        )


def run_batch(
    inputs: Sequence[str | os.PathLike],
    out_dir: str | os.PathLike,
    criteria: str | Criteria = "wasm2016",
    jobs: int | None = None,
    resume: bool = False,
    executor: str = "process",
    scheduler: str | None = None,
    progress: bool = True,
    *,
    manifest: str | os.PathLike | None = None,
    read_options: ReadOptions | None = None,
    export: Sequence[str] = (),
) -> BatchReport:
    """Score many recordings and write the nightly table.

    Parameters
    ----------
    inputs : sequence of path-like
        Files, folders (searched recursively) and glob patterns. Left/right
        files of one night are grouped by the naming rule (see
        :func:`group_files`).
    out_dir : path-like
        Output folder (created).
    criteria : str or Criteria
    jobs : int, optional
        Parallel workers; default: the CPUs available. 1 runs in this process.
    resume : bool
        Skip recordings already scored into ``out_dir`` with the same
        criteria hash, plm version and unchanged input files.
    executor : {"process", "dask"}
    scheduler : str, optional
        Dask scheduler address (``tcp://host:8786``); with ``executor="dask"``
        and no address, a local Dask cluster with ``jobs`` workers is used.
    progress : bool
        Show a tqdm progress bar on stderr.
    manifest : path-like, optional
        A CSV with a ``path`` column (and optional ``id``) listing the inputs,
        in addition to ``inputs``.
    read_options : ReadOptions, optional
        Reading options (``tz``, ``side``, ``channels``, ``format``) and how
        multi-night recordings are cut (``nights``), as for ``plm score``;
        default: ``ReadOptions(strict=False)`` (an option is given to the
        files whose reader takes it).
    export : sequence of str
        Extra per-night formats for ``plm.io.export.write_night_outputs``.

    Returns
    -------
    BatchReport
    """
    from ... import criteria as _criteria

    t0 = time.perf_counter()
    crit = _criteria.get(criteria)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files, root, problems = collect_inputs(inputs, skip=out) if inputs else ([], None, [])
    groups: list[NightGroup] = []
    if manifest is not None:
        mgroups, mroot = read_batch_manifest(manifest)
        groups.extend(mgroups)
        root = root or mroot
    if files:
        groups.extend(group_files(files, root))
    if root is None:
        root = Path.cwd()
    seen: set[str] = set()
    for g in groups:
        if g.id in seen:
            raise InputError(manifest, f"recording id {g.id!r} is listed twice")
        seen.add(g.id)
    groups.sort(key=lambda g: g.id)
    from ...threads import available_cpus

    n_jobs = available_cpus() if jobs is None else max(1, int(jobs))

    read_options = read_options or ReadOptions(strict=False)
    options = read_options.record()
    outcomes: dict[str, dict[str, Any]] = {}
    pending: list[NightGroup] = []
    for g in groups:
        done = _load_record(out, g, crit.hash, root, options) if resume and g.error is None else None
        if done is not None:
            outcomes[g.id] = {"id": g.id, "paths": list(g.paths), "nights": done, "error": None}
        else:
            pending.append(g)
    report = BatchReport(out_dir=out, n_groups=len(groups), n_resumed=len(outcomes), n_scored=len(pending))

    tasks = [
        dict(id=g.id, paths=list(g.paths), error=g.error, criteria=crit, out_dir=str(out.resolve()),
             root=str(root), read_options=read_options, export=list(export),
             # workers side by side already use the cores: one leg after the other in each
             threads=1 if (executor == "dask" or (n_jobs > 1 and len(pending) > 1)) else None)
        for g in pending
    ]
    bar = _progress_bar(len(tasks), progress)
    failed = [0]

    def on_done(outcome: dict[str, Any]) -> None:
        # Warned here, in the calling process, as the night completes: the
        # plm command shows them as its one-line `plm: warning:`, Python
        # callers get ordinary UserWarnings, whatever process scored the night.
        for text in outcome.get("warnings", ()):
            warnings.warn(text, UserWarning, stacklevel=2)
        if outcome["error"]:
            failed[0] += 1
        if bar is not None:
            bar.set_postfix_str(f"failed={failed[0]}", refresh=False)
            bar.update(1)

    try:
        for outcome in score_groups(tasks, n_jobs, executor, scheduler, on_done):
            outcomes[outcome["id"]] = outcome
            report.cpu_seconds += outcome.get("cpu_seconds", 0.0)
    finally:
        if bar is not None:
            bar.close()

    rows: list[dict[str, Any]] = []
    failures: list[tuple[str, str]] = list(problems)
    for g in groups:
        o = outcomes[g.id]
        rel = [os.path.relpath(p, root) for p in g.paths]
        if o["error"]:
            failures.append((";".join(rel), o["error"]))
            stale = out / NIGHTS_DIR / g.id / RECORD_NAME
            if stale.exists():  # an old success must not be resumed past a failure
                stale.unlink()
        else:
            report.n_ok += 1
            rows.extend(night_rows(g.id, [Path(r).as_posix() for r in rel], o["nights"]))
    rows.sort(key=lambda r: (r["recording_id"], r["night"], r["night_number"]))
    failures.sort()
    write_file(report.nightly_csv, csv_text(measure_columns(rows), rows))
    write_file(report.failures_csv, csv_text(("path", "error"), [dict(path=p, error=e) for p, e in failures]))
    report.rows = rows
    report.failures = failures
    report.seconds = time.perf_counter() - t0
    return report


def _progress_bar(total: int, enabled: bool):
    if not enabled or total == 0:
        return None
    try:
        from tqdm import tqdm
    except ImportError:  # progress display is a nicety, not a requirement
        return None
    return tqdm(total=total, unit="night", desc="plm batch", dynamic_ncols=True, postfix="failed=0")
