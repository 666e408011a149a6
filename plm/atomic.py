"""Atomic file output: write to a temporary file, then rename.

Every writer in ``plm`` goes through :func:`atomic_write` (file objects) or
:func:`atomic_path` (libraries that want a file name, e.g. h5py, edfio,
``mne.export``). A reader of the target path therefore sees either the old
file or the complete new one, never a partly written output; a writer that
fails leaves nothing behind.

The temporary file lives in the target's folder (``os.replace`` is only
atomic within one file system), is flushed and ``fsync``-ed before the
rename, and gets the usual permissions (``0o666`` minus the umask) instead of
the ``0o600`` of :func:`tempfile.mkstemp`.
"""
from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from pathlib import Path
from typing import IO, Iterator

from .errors import InputError

__all__ = ["atomic_write", "atomic_path"]


def _current_umask() -> int:
    # os.umask can only be read by setting it; set it straight back.
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _check_target(path: Path) -> Path:
    """Return the folder of ``path``; InputError when it cannot take the file."""
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise InputError(path, "is a folder; expected an output file name")
    if not folder.exists():
        raise InputError(folder, "output folder does not exist")
    if not folder.is_dir():
        raise InputError(folder, "is not a folder; cannot write output into it")
    return folder


def _make_temp(path: Path, folder: Path) -> tuple[int, Path]:
    # Keep the real extension last: some writers (mne.export) pick the format
    # from it. The leading dot hides the file from casual listings.
    stem, suffix = path.stem, path.suffix
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{stem}.", suffix=f".tmp{suffix}", dir=folder)
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise InputError(folder, "output folder is not writable; choose another folder or fix its permissions") from None
        raise InputError(folder, f"cannot create an output file here ({exc.strerror or exc})") from None
    return fd, Path(tmp)


def _finish(tmp: Path, path: Path) -> None:
    os.chmod(tmp, 0o666 & ~_current_umask())
    os.replace(tmp, path)
    # Make the rename itself durable where the platform allows it.
    with contextlib.suppress(OSError, AttributeError):
        dfd = os.open(path.parent if str(path.parent) else ".", os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


def _discard(tmp: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "w", *, encoding: str = "utf-8",
                 newline: str | None = None) -> Iterator[IO]:
    """Open ``path`` for writing so that it appears only when complete.

    Parameters
    ----------
    path : path-like
        Final file name. Its folder must exist and be writable.
    mode : {"w", "wb"}
        Text or binary.
    encoding : str
        Text encoding (text mode only).
    newline : str or None
        As for :func:`open` (text mode only); ``""`` for the csv module.

    Yields
    ------
    file object
        Write to it inside the ``with`` block. On normal exit the data are
        flushed, fsync-ed and renamed onto ``path`` (replacing an existing
        file); on an exception the temporary file is removed and ``path`` is
        left untouched.

    Raises
    ------
    InputError
        When the folder is missing or not writable, or ``path`` is a folder.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_write mode must be 'w' or 'wb', got {mode!r}")
    path = Path(path)
    folder = _check_target(path)
    fd, tmp = _make_temp(path, folder)
    try:
        if mode == "w":
            fh = os.fdopen(fd, "w", encoding=encoding, newline=newline)
        else:
            fh = os.fdopen(fd, "wb")
    except BaseException:
        os.close(fd)
        _discard(tmp)
        raise
    try:
        with fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        _finish(tmp, path)
    except BaseException:
        _discard(tmp)
        raise


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Give a temporary file name that is renamed onto ``path`` on success.

    For writers that open the file themselves (h5py, edfio,
    :func:`mne.export.export_raw`). The temporary name is in the same folder
    and ends with the same extension as ``path``; it exists (empty) when
    yielded, so pass ``overwrite=True`` where a writer asks.

    Parameters
    ----------
    path : path-like
        Final file name.

    Yields
    ------
    pathlib.Path
        Where to write. After the ``with`` block it is fsync-ed and renamed
        onto ``path``; on an exception it is removed.

    Raises
    ------
    InputError
        When the folder is missing or not writable, or ``path`` is a folder.
    """
    path = Path(path)
    folder = _check_target(path)
    fd, tmp = _make_temp(path, folder)
    os.close(fd)
    try:
        yield tmp
        if not tmp.exists():
            raise OSError(errno.ENOENT, "writer did not create its output", str(tmp))
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        _finish(tmp, path)
    except BaseException:
        _discard(tmp)
        raise
