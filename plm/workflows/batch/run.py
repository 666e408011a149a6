"""``plm batch``: score many recordings, resume an interrupted run, write the nightly table.

:func:`run_batch` finds the recordings (:mod:`.discovery`), scores every one
that is not already done (:func:`score_group`, the same function in every
worker, see :mod:`.executors`), keeps a record per recording so that
``resume`` can skip it next time, and writes ``nightly_indices.csv`` and
``failures.csv`` (:mod:`.tables`).
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from ..._util import check_option, csv_text, json_safe, write_file
from ...atomic import FULL_DISK_ERRNOS, check_output_folder, output_error
from ..._version import __version__
from ...criteria import Criteria
from ...errors import InputError, OutputError, PlmError, one_line
from ...interrupt import stop_on_sigterm
from ...io.registry import export_name, output_suffixes
from .discovery import NightGroup, collect_inputs, group_files, read_batch_manifest
from .executors import run_tasks
from ..night_scoring import score_nights
from ..reading import ReadOptions
from .outdir import FAILURES_CSV, NIGHTLY_CSV, NIGHTS_DIR, OUTPUT_NAMES, RECORD_NAME, batch_lock, claim_settings
from .tables import measure_columns, night_rows

__all__ = ["run_batch", "BatchReport", "score_group", "score_groups", "file_stamp", "RECORD_NAME", "NIGHTS_DIR",
           "VERIFY_MODES", "DEFAULT_TIMEOUT"]

#: How ``--resume`` tells an unchanged input file (:func:`file_stamp`).
VERIFY_MODES = ("fast", "full")
#: Default wall-clock limit per night, s: far beyond any real night (about 1 s), short of a lost day.
DEFAULT_TIMEOUT = 3600.0
_END_BYTES = 1 << 20
# Nights a full disk kept from being started: not failures of theirs, so an earlier run's outputs stay.
_NOT_SCORED = "not scored: the batch stopped when the disk was full"
_OUTPUT_SUFFIXES = output_suffixes()


def file_stamp(path: str | os.PathLike, verify: str = "fast") -> dict[str, Any]:
    """What ``--resume`` compares to tell that an input file is unchanged.

    Parameters
    ----------
    path : path-like
    verify : {"fast", "full"}
        ``fast``: size, modification time and the SHA-256 of the first and
        last MiB (the whole file when it is smaller than 2 MiB); ``full``:
        also the SHA-256 of the whole file.

    Returns
    -------
    dict
        ``size``, ``mtime_ns``, ``sha256_ends`` and, with ``full``, ``sha256``.
    """
    st = os.stat(path)
    stamp: dict[str, Any] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns}
    ends = hashlib.sha256()
    with open(path, "rb") as fh:
        ends.update(fh.read(_END_BYTES))
        if st.st_size > _END_BYTES:
            fh.seek(max(_END_BYTES, st.st_size - _END_BYTES))
            ends.update(fh.read(_END_BYTES))
        stamp["sha256_ends"] = ends.hexdigest()
        if verify == "full":
            fh.seek(0)
            whole = hashlib.sha256()
            for block in iter(lambda: fh.read(_END_BYTES), b""):
                whole.update(block)
            stamp["sha256"] = whole.hexdigest()
    return stamp


def _write_outputs(results: list, folder: Path, export: Sequence[str]) -> list[Path]:
    """Per-night outputs (events TSV, summary JSON, extra formats) of a group's nights."""
    from ...io.export import write_night_outputs

    written: list[Path] = []
    for res in results:
        written.extend(write_night_outputs(res, folder, extra_formats=list(export)))
    return written


def _clear_outputs(folder: Path, keep: Sequence[str] = ()) -> None:
    """Remove what a batch wrote for a night group (outputs, record, unfinished temporary files), but ``keep``.

    Only files directly in ``folder``: a sub-folder holds the outputs of
    another recording id (``P01`` and ``P01/visit2``).
    """
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        ours = name == RECORD_NAME or name.endswith(_OUTPUT_SUFFIXES) or (name.startswith(".") and ".tmp" in name)
        if ours and name not in keep and (folder / name).is_file():
            with contextlib.suppress(OSError):
                (folder / name).unlink()


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
        when absent), ``root``, ``export`` (export format names), ``verify``
        (see :func:`file_stamp`).

    Returns
    -------
    dict
        ``{"id", "paths", "nights", "error", "cpu_seconds", "warnings"}`` with
        the night summaries and the text of every warning raised while
        scoring (a worker process cannot show them as the ``plm`` command
        does; :func:`run_batch` warns them again in the calling process),
        and ``full_disk`` (path, problem, errno) when the outputs did not
        fit on the disk.
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
    folder = Path(task["out_dir"]) / NIGHTS_DIR / task["id"] if task.get("out_dir") else None
    try:
        if task.get("error"):
            raise InputError(None, task["error"])
        stamps = [file_stamp(p, task.get("verify", "fast")) for p in task["paths"]]
        results = score_nights(task["paths"], task["criteria"], read_options=_read_options(task),
                               threads=task.get("threads"))
        if not results:
            raise InputError(task["paths"][0], "holds no night to score")
        # JSON round trip: the table is built from exactly what the record holds.
        nights = json.loads(json.dumps([json_safe(r.summary()) for r in results], allow_nan=False))
        if folder is not None:
            written = sorted(p.name for p in _write_outputs(results, folder, task.get("export", ())))
            _clear_outputs(folder, keep=written)  # e.g. a night the recording no longer has
            record = {
                "id": task["id"],
                "inputs": [dict(path=os.path.relpath(p, task["root"]), **s) for p, s in zip(task["paths"], stamps)],
                "criteria_hash": task["criteria"].hash,
                "options": _read_options(task).record(),
                "version": __version__,
                "export": sorted(set(task.get("export", ()))),
                "outputs": written,
                "nights": nights,
            }
            # written last: a night counts as done (for --resume) only when all its outputs are there
            write_file(folder / RECORD_NAME, json.dumps(record, indent=1, sort_keys=True) + "\n")
        out["nights"] = nights
    except (PlmError, OSError) as exc:
        out["error"] = one_line(exc)
        if isinstance(exc, OSError) and exc.errno in FULL_DISK_ERRNOS:
            # no other night fits either: the run stops (see run_batch)
            full = exc if isinstance(exc, OutputError) else output_error(exc.filename or folder or ".", exc)
            out["error"] = one_line(full)
            out["full_disk"] = {"path": full.filename, "problem": full.strerror, "errno": full.errno}
    except Exception as exc:  # a bug in a reader/scorer must not stop the batch
        out["error"] = f"internal error ({type(exc).__name__}: {one_line(exc)})"


def _read_options(task: dict[str, Any]) -> ReadOptions:
    return task.get("read_options") or ReadOptions(strict=False)


def _load_record(out_dir: Path, group: NightGroup, crit_hash: str, root: Path, options: dict,
                 export: Sequence[str], verify: str) -> list | None:
    """Summaries of a group scored before with the same criteria, options, version and files, all outputs there."""
    folder = out_dir / NIGHTS_DIR / group.id
    try:
        record = json.loads((folder / RECORD_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if (
        not isinstance(record, dict)
        or record.get("criteria_hash") != crit_hash
        or record.get("options") != options
        or record.get("version") != __version__
        or not set(export) <= set(record.get("export", ()))
        or not isinstance(record.get("outputs"), list)
        or not all((folder / str(name)).is_file() for name in record["outputs"])
        or not _same_inputs(record.get("inputs"), group.paths, root, verify)
    ):
        return None
    return record.get("nights")


def _same_inputs(recorded: Any, paths: Sequence[str], root: Path, verify: str) -> bool:
    if not isinstance(recorded, list) or len(recorded) != len(paths):
        return False
    for rec, path in zip(recorded, paths):
        if not isinstance(rec, dict) or rec.get("path") != os.path.relpath(path, root):
            return False
        try:
            st = os.stat(path)
            if (rec.get("size"), rec.get("mtime_ns")) != (st.st_size, st.st_mtime_ns):
                return False  # no need to read the file
            now = file_stamp(path, verify)
        except OSError:
            return False
        if any(rec.get(k) != v for k, v in now.items()):
            return False
    return True


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
    on_done: Callable[[dict[str, Any]], str | None] | None = None,
    *,
    timeout: float | None = None,
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
        Called with each outcome as it completes (progress display); a
        message returned stops the run (see :func:`.executors.run_tasks`).
    timeout : float, optional
        Wall-clock seconds per group in a process worker.

    Returns
    -------
    list of dict
    """
    return run_tasks(score_group, tasks, jobs, executor, scheduler, on_done, lost=_lost, preload=_PRELOAD,
                     timeout=timeout)


# ------------------------------------------------------------------ main
@dataclass
class BatchReport:
    """What a batch run did.

    Attributes
    ----------
    out_dir : Path
    nights : pandas.DataFrame
        ``nightly_indices.csv``: one row per night, its columns in order
        (full precision; the file is rounded).
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
    nights: Any = None  # pandas.DataFrame, set by run_batch
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
        return 0 if self.nights is None else len(self.nights)

    @property
    def nightly_csv(self) -> Path:
        return self.out_dir / NIGHTLY_CSV

    @property
    def failures_csv(self) -> Path:
        return self.out_dir / FAILURES_CSV

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
    timeout_per_night: float | None = DEFAULT_TIMEOUT,
    verify: str = "fast",
) -> BatchReport:
    """Score many recordings and write the nightly table.

    Parameters
    ----------
    inputs : sequence of path-like
        Files, folders (searched recursively, symbolic links followed) and
        glob patterns. Left/right files of one night are grouped by the
        naming rule (see :func:`group_files`).
    out_dir : path-like
        Output folder (created). One batch at a time writes into it, and
        always with the same criteria.
    criteria : str or Criteria
    jobs : int, optional
        Parallel worker processes; default: the CPUs available.
    resume : bool
        Skip recordings already scored into ``out_dir`` with the same
        criteria hash, reading options and plm version, unchanged input files
        (see ``verify``) and all the outputs asked for (``export``) in place.
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
    timeout_per_night : float or None
        Wall-clock seconds one night group may take; a group that takes
        longer fails (its worker process is stopped). None: no limit, and
        with ``jobs=1`` the nights are scored in this process.
    verify : {"fast", "full"}
        How ``resume`` tells an unchanged input (:func:`file_stamp`).

    Returns
    -------
    BatchReport

    Raises
    ------
    InputError
        Another batch is writing into ``out_dir``, or ``out_dir`` holds
        nights scored with other criteria.
    OutputError
        The disk is full (``<path>: no space left on device``): before any
        work, or when a night's outputs no longer fit. In the latter case the
        nights not started are not scored, and the tables (when they still
        fit) list them as failures; ``resume`` goes on once there is room.
    """
    from ... import criteria as _criteria
    from ...threads import available_cpus

    t0 = time.perf_counter()
    crit = _criteria.get(criteria)
    export = sorted({export_name(f, "--export") for f in export})
    check_option("verify mode", verify, VERIFY_MODES, "--verify")
    if timeout_per_night is not None and not timeout_per_night > 0:
        raise InputError("--timeout-per-night", f"must be a positive number of seconds, got {timeout_per_night!r}")
    read_options = read_options or ReadOptions(strict=False)
    n_jobs = available_cpus() if jobs is None else max(1, int(jobs))
    out = Path(out_dir)
    check_output_folder(out)  # a full disk is refused before any work
    out.mkdir(parents=True, exist_ok=True)
    with stop_on_sigterm(), batch_lock(out):
        claim_settings(out, {"criteria_name": crit.name, "criteria_hash": crit.hash, "criteria": crit.to_dict(),
                             "options": read_options.record(), "version": __version__})
        groups, root, problems = _find_groups(inputs, manifest, skip=[out / name for name in OUTPUT_NAMES])
        report = BatchReport(out_dir=out, n_groups=len(groups))
        outcomes: dict[str, dict[str, Any]] = {}
        pending: list[NightGroup] = []
        for g in groups:
            done = (_load_record(out, g, crit.hash, root, read_options.record(), export, verify)
                    if resume and g.error is None else None)
            if done is not None:
                outcomes[g.id] = {"id": g.id, "paths": list(g.paths), "nights": done, "error": None}
            else:
                pending.append(g)
        report.n_resumed, report.n_scored = len(outcomes), len(pending)
        tasks = [
            dict(id=g.id, paths=list(g.paths), error=g.error, criteria=crit, out_dir=str(out.resolve()),
                 root=str(root), read_options=read_options, export=export, verify=verify,
                 # workers side by side already use the cores: one leg after the other in each
                 threads=1 if (executor == "dask" or (n_jobs > 1 and len(pending) > 1)) else None)
            for g in pending
        ]
        for outcome in _score_with_progress(tasks, n_jobs, executor, scheduler, timeout_per_night, progress):
            outcomes[outcome["id"]] = outcome
            report.cpu_seconds += outcome.get("cpu_seconds", 0.0)
        _write_tables(report, groups, outcomes, root, problems)
        full = next((o["full_disk"] for o in outcomes.values() if o.get("full_disk")), None)
        if full is not None:  # the tables say what was done and what was not; --resume goes on
            raise OutputError(full["path"], full["problem"], full["errno"])
    report.seconds = time.perf_counter() - t0
    return report


def _find_groups(inputs, manifest, skip) -> tuple[list[NightGroup], Path, list[tuple[str, str]]]:
    """The night groups of the inputs and the manifest, sorted by id; their root; inputs that matched nothing."""
    files, root, problems = collect_inputs(inputs, skip=skip) if inputs else ([], None, [])
    groups: list[NightGroup] = []
    if manifest is not None:
        mgroups, mroot = read_batch_manifest(manifest)
        groups.extend(mgroups)
        root = root or mroot
    if files:
        groups.extend(group_files(files, root))
    seen: set[str] = set()
    for g in groups:
        if g.id in seen:
            raise InputError(manifest, f"recording id {g.id!r} is listed twice")
        seen.add(g.id)
    groups.sort(key=lambda g: g.id)
    return groups, root or Path.cwd(), problems


def _score_with_progress(tasks, jobs, executor, scheduler, timeout, progress) -> list[dict[str, Any]]:
    bar = _progress_bar(len(tasks), progress)
    failed = [0]

    def on_done(outcome: dict[str, Any]) -> str | None:
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
        if outcome.get("full_disk"):
            return f"{_NOT_SCORED} ({outcome['error']})"
        return None

    try:
        return score_groups(tasks, jobs, executor, scheduler, on_done, timeout=timeout)
    finally:
        if bar is not None:
            bar.close()


def _write_tables(report: BatchReport, groups: Sequence[NightGroup], outcomes: dict[str, dict[str, Any]],
                  root: Path, problems: Sequence[tuple[str, str]]) -> None:
    """``failures.csv``, then ``nightly_indices.csv``: a table never stands without its list of failures."""
    out = report.out_dir
    rows: list[dict[str, Any]] = []
    failures: list[tuple[str, str]] = list(problems)
    for g in groups:
        o = outcomes[g.id]
        rel = [os.path.relpath(p, root) for p in g.paths]
        if o["error"]:
            failures.append((";".join(rel), o["error"]))
            if not o["error"].startswith(_NOT_SCORED):
                # its outputs of an earlier run are stale now, and must not be resumed past the failure
                _clear_outputs(out / NIGHTS_DIR / g.id)
        else:
            report.n_ok += 1
            rows.extend(night_rows(g.id, [Path(r).as_posix() for r in rel], o["nights"]))
    rows.sort(key=lambda r: (r["recording_id"], r["night"], r["night_number"]))
    failures.sort()
    import pandas as pd

    columns = measure_columns(rows)
    report.nights, report.failures = pd.DataFrame(rows, columns=columns), failures
    write_file(report.failures_csv, csv_text(("path", "error"), [dict(path=p, error=e) for p, e in failures]))
    try:
        # the file from the rows (a count stays 3, not 3.0, beside a night without it)
        write_file(report.nightly_csv, csv_text(columns, rows))
    except BaseException:
        # the table of an earlier run does not go with the failures just written
        with contextlib.suppress(OSError):
            report.nightly_csv.unlink()
        raise


def _progress_bar(total: int, enabled: bool):
    if not enabled or total == 0:
        return None
    try:
        from tqdm import tqdm
    except ImportError:  # progress display is a nicety, not a requirement
        return None
    return tqdm(total=total, unit="night", desc="plm batch", dynamic_ncols=True, postfix="failed=0")
