"""Score many recordings: local processes by default, Dask for clusters.

:func:`run_batch` expands the inputs (files, folders, globs or a manifest),
groups the files of one night (left/right ankle files) by the naming rule in
``docs/batch.md``, scores every group in parallel and writes

- per-night outputs under ``DIR/nights/<recording id>/``,
- ``DIR/nightly_indices.csv``: one row per night, sorted by recording id and
  night,
- ``DIR/failures.csv``: one row per input that could not be scored.

Every group is scored independently by the same pure function, and the
tables are built from the per-group records after all groups finished, so
the tables are byte-identical whatever the number of jobs or the executor.
"""
from __future__ import annotations

import csv
import datetime as _dt
import glob as _glob
import io
import json
import math
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from .._version import __version__
from ..criteria import Criteria
from ..errors import InputError, MissingDependencyError, PlmError

__all__ = [
    "run_batch",
    "BatchReport",
    "NightGroup",
    "collect_inputs",
    "group_files",
    "read_batch_manifest",
    "split_side",
    "night_date",
    "score_groups",
]

#: Name of the per-group record that ``--resume`` relies on.
RECORD_NAME = "plm_batch.json"
NIGHTS_DIR = "nights"

# A side token is a whole token of the file stem (tokens are separated by
# "_", "-", "." or spaces): left, right, L or R, any case.
_SIDE_RE = re.compile(r"(?:(?<=[_\-. ])|^)(left|right|l|r)(?=[_\-. ]|$)", re.IGNORECASE)
_SIDE_NAMES = {"left": "left", "l": "left", "right": "right", "r": "right"}
_GLOB_CHARS = re.compile(r"[*?\[]")


# ------------------------------------------------------------------ inputs
@dataclass(frozen=True)
class NightGroup:
    """The files of one recording (e.g. left and right ankle of one night).

    Attributes
    ----------
    id : str
        Recording id: the path of the group, relative to the common root of
        the inputs, without extension and side token (``P01/visit1_night2``).
    paths : tuple of str
        The files, left before right.
    error : str or None
        Set when the group cannot be scored as given (e.g. two left files).
    """

    id: str
    paths: tuple[str, ...]
    error: str | None = None


def split_side(stem: str) -> tuple[str, str | None]:
    """Remove the side token from a file stem.

    The last whole token ``left``, ``right``, ``L`` or ``R`` (any case;
    tokens separated by ``_``, ``-``, ``.`` or space) names the leg.

    Parameters
    ----------
    stem : str
        File name without extension.

    Returns
    -------
    key : str
        The stem without the token and one adjoining separator.
    side : {"left", "right"} or None

    Examples
    --------
    >>> split_side("P01_night1_left")
    ('P01_night1', 'left')
    >>> split_side("P01-R-visit2")
    ('P01-visit2', 'right')
    >>> split_side("P01_night1")
    ('P01_night1', None)
    """
    matches = list(_SIDE_RE.finditer(stem))
    if not matches:
        return stem, None
    m = matches[-1]
    start, end = m.span()
    if start > 0:  # drop the separator before the token
        start -= 1
    elif end < len(stem):  # token first: drop the separator after it
        end += 1
    return stem[:start] + stem[end:], _SIDE_NAMES[m.group(1).lower()]


_COMPRESSION = (".gz", ".bz2", ".xz", ".zip", ".zst")


def split_ext(path: Path) -> tuple[str, str]:
    """``(stem, extension)``; a compression suffix keeps the one before it (``a.csv.gz``)."""
    name = path.name
    suffixes = path.suffixes
    n = 2 if len(suffixes) >= 2 and suffixes[-1].lower() in _COMPRESSION else 1 if suffixes else 0
    ext = "".join(suffixes[-n:]) if n else ""
    return name[: len(name) - len(ext)], ext.lower()


def _is_hidden(name: str) -> bool:
    return name.startswith(".") or name.startswith("~")


# Documentation, code and pictures that sit beside recordings in a study
# folder; no recording or event format plm reads uses these extensions.
_NOT_INPUT_EXTENSIONS = frozenset({".md", ".rst", ".py", ".pyc", ".ipynb", ".png", ".jpg", ".jpeg", ".pdf", ".html"})


def _is_input_candidate(name: str) -> bool:
    return not _is_hidden(name) and split_ext(Path(name))[1] not in _NOT_INPUT_EXTENSIONS


def _walk(folder: Path, skip: Path | None) -> list[Path]:
    """Files under ``folder``, recursively; hidden files, documentation/code files and ``skip`` left out."""
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        here = Path(dirpath)
        dirnames[:] = sorted(
            d for d in dirnames if not _is_hidden(d) and (skip is None or (here / d).resolve() != skip)
        )
        found.extend(here / f for f in sorted(filenames) if _is_input_candidate(f))
    return _drop_sidecars(found)


def _drop_sidecars(files: list[Path]) -> list[Path]:
    # A JSON beside a data file of the same stem is its sidecar (e.g. the
    # start time of an events TSV), not a night of its own.
    stems = {(f.parent, split_ext(f)[0]) for f in files if f.suffix.lower() != ".json"}
    return [f for f in files if not (f.suffix.lower() == ".json" and (f.parent, f.stem) in stems)]


def collect_inputs(
    inputs: Sequence[str | os.PathLike], skip: str | os.PathLike | None = None
) -> tuple[list[Path], Path, list[tuple[str, str]]]:
    """Expand files, folders (recursively) and glob patterns.

    Parameters
    ----------
    inputs : sequence of path-like or str
    skip : path-like, optional
        A folder never to descend into (the output folder).

    Returns
    -------
    files : list of Path
        Absolute paths, each once, in sorted order.
    root : Path
        Common folder of all inputs; recording ids are relative to it.
    problems : list of (input, message)
        Inputs that matched nothing.
    """
    skip_dir = None if skip is None else Path(skip).resolve()
    files: list[Path] = []
    roots: list[Path] = []
    problems: list[tuple[str, str]] = []
    for item in inputs:
        text = os.fspath(item)
        p = Path(text)
        if p.is_dir():
            roots.append(p.resolve())
            files.extend(f.resolve() for f in _walk(p, skip_dir))
        elif p.exists():
            roots.append(p.resolve().parent)
            files.append(p.resolve())
        elif _GLOB_CHARS.search(text):
            matches = sorted(_glob.glob(text, recursive=True))
            prefix = Path(_GLOB_CHARS.split(text, 1)[0] or ".")
            roots.append((prefix if text.endswith(("/", os.sep)) or prefix.is_dir() else prefix.parent).resolve())
            hits = []
            for m in matches:
                mp = Path(m)
                if mp.is_dir():
                    hits.extend(_walk(mp, skip_dir))
                elif not _is_hidden(mp.name):
                    hits.append(mp)
            if not hits:
                problems.append((text, "no file matches this pattern"))
            files.extend(f.resolve() for f in _drop_sidecars(hits))
        else:
            problems.append((text, "no such file or folder"))
    unique = sorted(set(files))
    root = Path(os.path.commonpath(roots)) if roots else Path.cwd()
    return unique, root, problems


def _rel_id(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:  # outside the root (cannot happen for collected inputs)
        return path.as_posix().lstrip("/")


def group_files(files: Sequence[Path], root: Path) -> list[NightGroup]:
    """Group the files of one night by the side-token naming rule.

    Files in the same folder, with the same extension and the same stem
    apart from a ``left``/``right``/``L``/``R`` token, are one night
    (``P01_night1_left.csv`` + ``P01_night1_right.csv``). Any other file is a
    night (or several nights) of its own.

    Parameters
    ----------
    files : sequence of Path
        Absolute paths.
    root : Path
        Recording ids are paths relative to this folder.

    Returns
    -------
    list of NightGroup
        Sorted by id.
    """
    buckets: dict[tuple, dict[str, list[Path]]] = {}
    singles: list[Path] = []
    for f in files:
        stem, ext = split_ext(f)
        key, side = split_side(stem)
        if side is None:
            singles.append(f)
        else:
            buckets.setdefault((f.parent, key, ext), {}).setdefault(side, []).append(f)
    groups: list[NightGroup] = []
    taken: set[str] = set()

    def unique_id(base: str) -> str:
        ident, n = base, 2
        while ident in taken:
            ident, n = f"{base}~{n}", n + 1
        taken.add(ident)
        return ident

    for f in singles:
        groups.append(NightGroup(unique_id(_rel_id(f.parent / split_ext(f)[0], root)), (str(f),)))
    for (parent, key, _), sides in sorted(buckets.items(), key=lambda kv: (str(kv[0][0]), kv[0][1], kv[0][2])):
        paths = sides.get("left", []) + sides.get("right", [])
        error = None
        for side, fs in sides.items():
            if len(fs) > 1:
                error = f"{len(fs)} files for the {side} leg of one night ({', '.join(p.name for p in fs)}); expected one"
        ident = _rel_id(parent / (key or "night"), root)
        groups.append(NightGroup(unique_id(ident), tuple(str(p) for p in paths), error))
    return sorted(groups, key=lambda g: g.id)


def read_batch_manifest(path: str | os.PathLike) -> tuple[list[NightGroup], Path]:
    """Read a batch manifest CSV: column ``path``, optional column ``id``.

    Rows with the same ``id`` are the files of one night (e.g. left and
    right ankle); without an ``id`` column the naming rule groups the files.
    Relative paths are relative to the manifest's folder.

    Parameters
    ----------
    path : path-like
        The manifest CSV.

    Returns
    -------
    groups : list of NightGroup
    root : Path
        The manifest's folder.
    """
    mpath = Path(path)
    rows = _read_csv_rows(mpath, required=("path",))
    root = mpath.resolve().parent
    if not any("id" in r for r in rows):
        files = [(root / r["path"]).resolve() for r in rows]
        return group_files(files, root), root
    by_id: dict[str, list[str]] = {}
    for i, r in enumerate(rows, start=2):
        ident = (r.get("id") or "").strip()
        if not ident:
            raise InputError(mpath, f"line {i}: empty id; every row needs an id when the id column exists")
        parts = ident.replace("\\", "/").split("/")
        if ident.startswith("/") or any(part in ("", ".", "..") for part in parts):
            raise InputError(mpath, f"line {i}: id {ident!r} must be a relative name without '.', '..' or "
                                    "empty parts (it names the output folder of the night)")
        by_id.setdefault(ident, []).append(str((root / r["path"]).resolve()))
    return [NightGroup(k, tuple(v)) for k, v in sorted(by_id.items())], root


def _read_csv_rows(path: Path, required: Sequence[str]) -> list[dict[str, str]]:
    """Rows of a small CSV with lower-cased, stripped column names."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(path, f"cannot be read as UTF-8 text ({exc})") from None
    try:
        dialect = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    lines = [row for row in reader if any(cell.strip() for cell in row)]
    if not lines:
        raise InputError(path, f"manifest is empty; expected a header with columns {list(required)}")
    header = [h.strip().lower() for h in lines[0]]
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(path, f"manifest lacks column(s) {missing}; header is {header}, expected {list(required)}")
    rows = []
    for n, line in enumerate(lines[1:], start=2):
        if len(line) != len(header):
            raise InputError(path, f"line {n} has {len(line)} fields, the header has {len(header)}")
        rows.append({h: cell.strip() for h, cell in zip(header, line)})
    if not rows:
        raise InputError(path, "manifest has a header but no rows")
    return rows


# ------------------------------------------------------------ one group
def night_date(summary: dict[str, Any]) -> str:
    """Calendar date of the evening a night began, ``YYYY-MM-DD``.

    Uses the summary's ``night`` field when the scorer sets one; otherwise
    the local start time minus 12 h (a recording that starts at 00:30 on
    2 March is the night of 1 March). Empty when the start time is unknown.

    Parameters
    ----------
    summary : dict
        A :meth:`NightResult.summary` (or its JSON).

    Returns
    -------
    str
    """
    if summary.get("night"):
        return str(summary["night"])[:10]
    start = summary.get("start_time")
    if not start:
        return ""
    try:
        t = _dt.datetime.fromisoformat(str(start))
    except ValueError:
        return ""
    return (t - _dt.timedelta(hours=12)).date().isoformat()


def _json_safe(obj: Any) -> Any:
    from ..io.export import json_safe

    return json_safe(obj)


def _atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` so that ``path`` appears only when complete (plm.atomic)."""
    from ..atomic import atomic_write

    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)


def _file_stamp(path: str) -> dict[str, Any]:
    st = os.stat(path)
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _write_outputs(results: list, folder: Path, export: Sequence[str]) -> None:
    """Per-night outputs (events TSV, summary JSON, extra formats) of a group's nights."""
    from ..io.export import write_night_outputs

    for res in results:
        write_night_outputs(res, folder, extra_formats=list(export))


def _score_group(task: dict[str, Any]) -> dict[str, Any]:
    """Score one group and write its outputs; never raises.

    Runs in worker processes (or Dask workers), so it takes and returns
    plain picklable data: ``task`` has ``id``, ``paths``, ``criteria`` and
    optionally ``error``, ``format``, ``channels``, ``out_dir`` (no outputs
    written when absent), ``root``, ``export``. Returns
    ``{"id", "paths", "nights", "error"}`` with the night summaries.
    """
    out = {"id": task["id"], "paths": list(task["paths"]), "nights": [], "error": None, "cpu_seconds": 0.0}
    cpu0 = time.process_time()
    try:
        if task.get("error"):
            raise InputError(None, task["error"])
        from .night_scoring import score_paths

        stamps = [_file_stamp(p) for p in task["paths"]]
        results = score_paths(task["paths"], task["criteria"], format=task.get("format", "auto"),
                              channels=task.get("channels"), nights=task.get("nights", "noon"),
                              threads=task.get("threads"))
        if not results:
            raise InputError(task["paths"][0], "holds no night to score")
        # JSON round trip: the table is built from exactly what the record holds.
        nights = json.loads(json.dumps([_json_safe(r.summary()) for r in results], allow_nan=False))
        if task.get("out_dir"):
            folder = Path(task["out_dir"]) / NIGHTS_DIR / task["id"]
            _write_outputs(results, folder, task.get("export", ()))
            record = {
                "id": task["id"],
                "inputs": [dict(path=os.path.relpath(p, task["root"]), **s) for p, s in zip(task["paths"], stamps)],
                "criteria_hash": task["criteria"].hash,
                "options": _options(task),
                "version": __version__,
                "nights": nights,
            }
            _atomic_write_text(folder / RECORD_NAME, json.dumps(record, indent=1, sort_keys=True) + "\n")
        out["nights"] = nights
    except (PlmError, OSError) as exc:
        out["error"] = _one_line(exc)
    except Exception as exc:  # a bug in a reader/scorer must not stop the batch
        out["error"] = f"internal error ({type(exc).__name__}: {_one_line(exc)})"
    out["cpu_seconds"] = time.process_time() - cpu0
    return out


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.filename}: {exc.strerror or exc}"
    return " ".join(str(exc).split())


def _options(task: dict[str, Any]) -> dict[str, Any]:
    """Reading options that change results but not the criteria hash."""
    return {"format": task.get("format", "auto"), "channels": task.get("channels"),
            "nights": task.get("nights", "noon")}


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


# ------------------------------------------------------------ executors
def score_groups(
    tasks: Sequence[dict[str, Any]],
    jobs: int = 1,
    executor: str = "process",
    scheduler: str | None = None,
    on_done: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Run :func:`_score_group` over ``tasks``; results in task order.

    Parameters
    ----------
    tasks : sequence of dict
    jobs : int
        Worker processes (``executor="process"``); 1 runs in this process.
    executor : {"process", "dask"}
    scheduler : str, optional
        Dask scheduler address; without it a local Dask cluster is started.
    on_done : callable, optional
        Called with each outcome as it completes (progress display).
    """
    done: dict[int, dict[str, Any]] = {}

    def finish(i: int, outcome: dict[str, Any]) -> None:
        done[i] = outcome
        if on_done is not None:
            on_done(outcome)

    if executor == "dask":
        _run_dask(tasks, jobs, scheduler, finish)
    elif executor == "process":
        if jobs <= 1 or len(tasks) <= 1:
            for i, task in enumerate(tasks):
                finish(i, _score_group(task))
        else:
            _run_processes(tasks, jobs, finish)
    else:
        raise InputError("--executor", f"unknown executor {executor!r}; choose 'process' or 'dask'")
    return [done[i] for i in range(len(tasks))]


#: Modules the forkserver imports before forking workers (missing ones are skipped).
_PRELOAD = ("plm.workflows.batch", "plm.workflows.night_scoring", "plm.workflows.api", "plm.io", "plm.io.edf", "plm.io.accel_csv",
            "plm.io.events_tsv", "plm.io.export", "plm.nights", "plm.detect.pipeline", "plm.scoring.night")


_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _run_processes(tasks, jobs, finish) -> None:
    import concurrent.futures as cf
    import multiprocessing as mp
    from concurrent.futures.process import BrokenProcessPool

    # forkserver/spawn: workers start clean, whatever threads this process runs.
    methods = mp.get_all_start_methods()
    if "forkserver" in methods:
        ctx = mp.get_context("forkserver")
        # The server imports the scoring stack once (~1.5 s); workers fork from it ready to go.
        ctx.set_forkserver_preload(list(_PRELOAD))
    else:
        ctx = mp.get_context("spawn")
    # One math-library thread per worker: N workers x N BLAS/OpenMP threads
    # would oversubscribe the cores (the same policy as joblib's loky).
    saved = {k: os.environ.get(k) for k in _THREAD_VARS}
    for k in _THREAD_VARS:
        os.environ.setdefault(k, "1")
    pool = cf.ProcessPoolExecutor(max_workers=min(jobs, len(tasks)), mp_context=ctx)
    try:
        pool.submit(int).result()  # start the server and a worker while the variables are set
    except BrokenProcessPool:
        pool.shutdown(wait=False, cancel_futures=True)
        raise PlmError(
            "worker processes could not start; a Python script that calls plm.workflows.batch.run_batch must do so "
            "under `if __name__ == \"__main__\":` (multiprocessing re-imports the main script in each "
            "worker), or use jobs=1"
        ) from None
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    try:
        futures = {pool.submit(_score_group, t): i for i, t in enumerate(tasks)}
        for fut in cf.as_completed(futures):
            i = futures[fut]
            try:
                outcome = fut.result()
            except BrokenProcessPool:
                outcome = {"id": tasks[i]["id"], "paths": list(tasks[i]["paths"]), "nights": [],
                           "error": "worker process died (out of memory?) while this batch was running"}
            finish(i, outcome)
    except BaseException:
        # Ctrl-C or an error here: do not wait for the queued nights.
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _run_dask(tasks, jobs, scheduler, finish) -> None:
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise MissingDependencyError("--executor dask", "distributed", "dask") from None
    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        cluster = LocalCluster(n_workers=jobs, threads_per_worker=1)
        client = Client(cluster)
    try:
        futures = {client.submit(_score_group, t, pure=False): i for i, t in enumerate(tasks)}
        for fut in as_completed(list(futures)):
            i = futures[fut]
            try:
                outcome = fut.result()
            except Exception as exc:  # worker lost, cancelled, ...
                outcome = {"id": tasks[i]["id"], "paths": list(tasks[i]["paths"]), "nights": [],
                           "error": f"dask task failed ({type(exc).__name__}: {_one_line(exc)})"}
            finish(i, outcome)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


# --------------------------------------------------------------- tables
#: Leading columns of nightly_indices.csv; the measures follow, then criteria and version.
ID_COLUMNS = ("recording_id", "night", "night_number", "start_time", "files")
TAIL_COLUMNS = ("denominator", "criteria_name", "criteria_hash", "version")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    return str(value)


def night_rows(group_id: str, files: Sequence[str], summaries: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One table row per night summary of a group (scalar measures only)."""
    rows = []
    for n, s in enumerate(summaries, start=1):
        row: dict[str, Any] = {
            "recording_id": group_id,
            "night": night_date(s),
            "night_number": n,
            "start_time": s.get("start_time") or "",
            "files": ";".join(files),
        }
        for k, v in s.items():
            if k in ("criteria", "version", "source", "start_time", "night") or isinstance(v, (list, dict)):
                continue
            row[k] = v
        crit = s.get("criteria") or {}
        row["criteria_name"] = crit.get("name", "")
        row["criteria_hash"] = crit.get("hash", "")
        row["version"] = s.get("version", "")
        rows.append(row)
    return rows


def _measure_columns(rows: Iterable[dict[str, Any]]) -> list[str]:
    from ..model.result import SUMMARY_KEYS

    present: set[str] = set()
    for r in rows:
        present.update(r)
    fixed = set(ID_COLUMNS) | set(TAIL_COLUMNS)
    first = [k for k in SUMMARY_KEYS if k in present and k not in fixed]
    rest = sorted(present - fixed - set(first))
    return list(ID_COLUMNS) + first + rest + list(TAIL_COLUMNS)


def _csv_text(columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        w.writerow([_cell(r.get(c)) for c in columns])
    return buf.getvalue()


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
    format: str = "auto",
    channels: str | None = None,
    nights: str = "noon",
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
    format, channels, nights : optional
        As for ``plm score`` (``nights``: how multi-night recordings are cut).
    export : sequence of str
        Extra per-night formats for ``plm.io.export.write_night_outputs``.

    Returns
    -------
    BatchReport
    """
    from .. import criteria as _criteria

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
    from ..threads import available_cpus

    n_jobs = available_cpus() if jobs is None else max(1, int(jobs))

    options = _options({"format": format, "channels": channels, "nights": nights})
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
             root=str(root), format=format, channels=channels, nights=nights, export=list(export),
             # workers side by side already use the cores: one leg after the other in each
             threads=1 if (executor == "dask" or (n_jobs > 1 and len(pending) > 1)) else None)
        for g in pending
    ]
    bar = _progress_bar(len(tasks), progress)
    failed = [0]

    def on_done(outcome: dict[str, Any]) -> None:
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
            rows.extend(night_rows(g.id, [Path(r).as_posix() for r in rel], o["nights"]))
    rows.sort(key=lambda r: (r["recording_id"], r["night"], r["night_number"]))
    failures.sort()
    _atomic_write_text(report.nightly_csv, _csv_text(_measure_columns(rows), rows))
    _atomic_write_text(report.failures_csv, _csv_text(("path", "error"), [dict(path=p, error=e) for p, e in failures]))
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
