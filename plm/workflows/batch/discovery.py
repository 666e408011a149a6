"""Which files are the nights of a batch: inputs expanded, files grouped per recording.

:func:`collect_inputs` expands files, folders (recursively) and glob patterns;
:func:`group_files` puts the files of one night (left and right ankle)
together by a side token in their names (``docs/batch.md``);
:func:`read_batch_manifest` reads the same grouping from a CSV.
"""
from __future__ import annotations

import glob as _glob
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from ..._util import read_csv_rows
from ...errors import InputError
from ...io.registry import split_extension

__all__ = ["NightGroup", "split_side", "collect_inputs", "group_files", "read_batch_manifest"]

# A side token is a whole token of the file stem (tokens are separated by
# "_", "-", "." or spaces): left, right, L or R, any case.
_SIDE_RE = re.compile(r"(?:(?<=[_\-. ])|^)(left|right|l|r)(?=[_\-. ]|$)", re.IGNORECASE)
_SIDE_NAMES = {"left": "left", "l": "left", "right": "right", "r": "right"}
_GLOB_CHARS = re.compile(r"[*?\[]")



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


def _is_hidden(name: str) -> bool:
    return name.startswith(".") or name.startswith("~")


# Documentation, code and pictures that sit beside recordings in a study
# folder; no recording or event format plm reads uses these extensions.
_NOT_INPUT_EXTENSIONS = frozenset({".md", ".rst", ".py", ".pyc", ".ipynb", ".png", ".jpg", ".jpeg", ".pdf", ".html"})


def _is_input_candidate(name: str) -> bool:
    return not _is_hidden(name) and split_extension(name)[1] not in _NOT_INPUT_EXTENSIONS


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
    stems = {(f.parent, split_extension(f)[0]) for f in files if f.suffix.lower() != ".json"}
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
        stem, ext = split_extension(f)
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
        groups.append(NightGroup(unique_id(_rel_id(f.parent / split_extension(f)[0], root)), (str(f),)))
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
    rows = read_csv_rows(mpath, required=("path",))
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
