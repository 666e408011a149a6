"""Which files are the nights of a batch: inputs expanded, files grouped per recording.

:func:`collect_inputs` expands files, folders (recursively) and glob patterns;
:func:`group_files` puts the files of one night (left and right ankle)
together by a side token in their names (``docs/batch.md``);
:func:`read_batch_manifest` reads the same grouping from a CSV.
"""
from __future__ import annotations

import errno
import glob as _glob
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from ..._util import read_csv_rows
from ...errors import InputError
from ...io.registry import split_extension
from .outdir import OUTPUT_NAMES, is_batch_output_folder

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


class _Search:
    """One search of the inputs: what to leave out, and what could not be followed.

    Paths are absolute but not resolved, so a file reached through a
    symbolic link keeps the link's own path (its recording id). What is left
    out is decided on the resolved path, so a link cannot lead back into it.
    """

    def __init__(self, skip: Sequence[str | os.PathLike]) -> None:
        self.skip = [os.path.realpath(p) for p in skip]
        self.marked: dict[str, bool] = {}
        # (path, message, found): found paths are shown relative to the root, inputs as given
        self.problems: list[tuple[str, str, bool]] = []

    def _output_owner(self, real: str) -> str | None:
        """The folder of the batch whose outputs (``DIR/nights``, ``DIR/nightly_indices.csv``, ...) hold ``real``."""
        path = Path(real)
        for child, parent in zip([path, *path.parents], path.parents):
            key = str(parent)
            if key not in self.marked:
                self.marked[key] = is_batch_output_folder(parent)
            if self.marked[key] and child.name in OUTPUT_NAMES:
                return key
        return None

    def excluded(self, path: Path, real_top: str) -> bool:
        """True for what ``skip`` names and for the outputs of a batch whose folder lies inside ``real_top``.

        ``real_top`` is the resolved folder searched (or the folder a pattern starts in).
        """
        real = os.path.realpath(path)
        if any(_inside(real, s) for s in self.skip):
            return True
        owner = self._output_owner(real)
        return owner is not None and owner != real_top and _inside(owner, real_top)

    def problem(self, path: str | Path, message: str, given: str | None = None) -> None:
        self.problems.append((given or str(path), message, given is None))

    def stat_of(self, path: Path, given: str | None = None) -> os.stat_result | None:
        """``os.stat`` (links followed); None with a problem recorded when the path cannot be used."""
        try:
            return os.stat(path)
        except OSError as exc:
            self.problem(path, _stat_problem(path, exc), given)
            return None

    def walk(self, top: Path) -> list[Path]:
        """Input files under ``top``, recursively, following symbolic links to folders.

        Left out: hidden files and folders, documentation and code files, what
        :meth:`excluded` says, and links that lead back to a folder on their
        own path (a loop; recorded as a problem). Files that are not regular
        files (named pipes, devices) are recorded as problems, not read.
        """
        found: list[Path] = []
        real_top = os.path.realpath(top)
        top_st = os.stat(top)
        stack = [(top, frozenset({(top_st.st_dev, top_st.st_ino)}))]
        while stack:
            folder, above = stack.pop()
            try:
                names = sorted(os.listdir(folder))
            except OSError as exc:
                self.problem(folder, f"cannot list this folder ({exc.strerror or exc})")
                continue
            subfolders = []
            for name in names:
                if _is_hidden(name):
                    continue
                path = folder / name
                st = self.stat_of(path)
                if st is None or self.excluded(path, real_top):
                    continue
                if stat.S_ISDIR(st.st_mode):
                    key = (st.st_dev, st.st_ino)
                    if key in above:
                        self.problem(path, f"symbolic link loop: leads back to {os.path.realpath(path)}, a folder "
                                           "on its own path; not followed")
                        continue
                    subfolders.append((path, above | {key}))
                elif _is_input_candidate(name) and self.regular(path, st):
                    found.append(path)
            stack.extend(reversed(subfolders))
        return _drop_sidecars(found)

    def glob(self, pattern: str, base: Path) -> list[Path]:
        """Files a glob pattern matches; a folder matched gives the files in it.

        ``**`` (any depth) is matched on the files :meth:`walk` finds, so that
        it follows symbolic links to folders as a folder search does, without
        going round a loop (:func:`glob.glob` goes round until the path is too
        long).
        """
        parts = pattern.replace(os.sep, "/").split("/")
        deep = None
        if "**" in parts:
            k = parts.index("**")
            deep = _pattern_regex(parts[k:])
            pattern = "/".join(parts[:k]) or "."
        hits = []
        real_base = os.path.realpath(base)
        for m in sorted(_glob.glob(pattern)):
            mp = Path(os.path.abspath(m))
            if _is_hidden(mp.name) or self.excluded(mp, real_base):
                continue
            st = self.stat_of(mp)
            if st is None:
                continue
            if stat.S_ISDIR(st.st_mode):
                found = self.walk(mp)
                hits.extend(found if deep is None else [f for f in found if deep.fullmatch(f.relative_to(mp).as_posix())])
            elif deep is None and self.regular(mp, st):
                hits.append(mp)
        return hits

    def regular(self, path: Path, st: os.stat_result, given: str | None = None) -> bool:
        """True for a regular file; a named pipe, socket or device is recorded as a problem (reading it could block)."""
        if stat.S_ISREG(st.st_mode):
            return True
        kind = "a named pipe" if stat.S_ISFIFO(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode) else "a device"
        self.problem(path, f"is {kind}, not a regular file; not read", given)
        return False


def _inside(path: str, folder: str) -> bool:
    """True for ``folder`` itself and anything in it (resolved paths)."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _pattern_regex(parts: Sequence[str]) -> re.Pattern:
    """A regular expression for relative paths (``/``-separated) that match glob pattern components.

    ``**`` is any number of folders (any path when last); ``*``, ``?`` and
    ``[...]`` match within one name, as in :mod:`glob`.
    """
    out = []
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if part == "**":
            out.append(".*" if last else "(?:[^/]+/)*")
        else:
            out.append(_name_regex(part) + ("" if last else "/"))
    return re.compile("".join(out))


def _name_regex(part: str) -> str:
    res, i = [], 0
    while i < len(part):
        c = part[i]
        j = part.find("]", i + 2) if c == "[" else -1  # a "]" right after "[" (or "[!") is part of the set
        if c == "*":
            res.append("[^/]*")
        elif c == "?":
            res.append("[^/]")
        elif j > 0:
            body = part[i + 1:j]
            res.append("[" + ("^" + body[1:] if body.startswith("!") else body).replace("\\", "\\\\") + "]")
            i = j
        else:
            res.append(re.escape(c))
        i += 1
    return "".join(res)


def _stat_problem(path: Path, exc: OSError) -> str:
    if os.path.islink(path):
        if exc.errno == errno.ELOOP:
            return "symbolic link loop (the links lead back to themselves); not followed"
        if exc.errno == errno.ENOENT:
            return f"broken symbolic link: its target {os.readlink(path)} does not exist"
    return f"cannot be read ({exc.strerror or exc})"


def _drop_sidecars(files: list[Path]) -> list[Path]:
    # A JSON beside a data file of the same stem is its sidecar (e.g. the
    # start time of an events TSV), not a night of its own.
    stems = {(f.parent, split_extension(f)[0]) for f in files if f.suffix.lower() != ".json"}
    return [f for f in files if not (f.suffix.lower() == ".json" and (f.parent, f.stem) in stems)]


def collect_inputs(
    inputs: Sequence[str | os.PathLike], skip: str | os.PathLike | Sequence[str | os.PathLike] | None = None
) -> tuple[list[Path], Path, list[tuple[str, str]]]:
    """Expand files, folders (recursively, following symbolic links) and glob patterns.

    Parameters
    ----------
    inputs : sequence of path-like or str
    skip : path-like or sequence of path-like, optional
        Files and folders that folder searches and patterns never take or
        enter (an output folder, a batch's own outputs). They also leave out
        the outputs of any batch whose folder lies inside the folder searched
        (the ``nights`` folder and the tables of a folder holding
        ``batch_settings.json`` or ``nightly_indices.csv``); a batch folder
        named as the input, or a folder inside its outputs, is read.

    Returns
    -------
    files : list of Path
        Absolute paths (symbolic links not resolved: a file reached through
        a link keeps the link's path), each once, in sorted order.
    root : Path
        Common folder of all inputs; recording ids are relative to it.
    problems : list of (input, message)
        Inputs that matched nothing, broken links, link loops and files that
        are not regular files (found paths relative to ``root``).
    """
    search = _Search([] if skip is None else [skip] if isinstance(skip, (str, os.PathLike)) else list(skip))
    files: list[Path] = []
    roots: list[Path] = []
    for item in inputs:
        text = os.fspath(item)
        p = Path(os.path.abspath(text))
        if os.path.lexists(p):
            st = search.stat_of(p, text)
            if st is None:
                roots.append(p.parent)
            elif stat.S_ISDIR(st.st_mode):
                roots.append(p)
                files.extend(search.walk(p))
            else:
                roots.append(p.parent)
                if search.regular(p, st, text):
                    files.append(p)
        elif _GLOB_CHARS.search(text):
            prefix = Path(os.path.abspath(_GLOB_CHARS.split(text, 1)[0] or "."))
            base = prefix if text.endswith(("/", os.sep)) or prefix.is_dir() else prefix.parent
            roots.append(base)
            hits = search.glob(text, base)
            if not hits:
                search.problem(text, "no file matches this pattern", text)
            files.extend(_drop_sidecars(hits))
        else:
            search.problem(text, "no such file or folder", text)
    unique = sorted(set(files))
    root = Path(os.path.commonpath(roots)) if roots else Path.cwd()
    problems = [(_rel_id(Path(where), root) if found else where, msg) for where, msg, found in search.problems]
    return unique, root, list(dict.fromkeys(problems))


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
