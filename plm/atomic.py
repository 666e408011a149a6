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

from .errors import InputError, OutputError
from .interrupt import raise_if_interrupted

__all__ = ["atomic_write", "atomic_path", "check_output_folder", "free_bytes", "check_free_space", "output_error",
           "MIN_FREE_BYTES", "FULL_DISK_ERRNOS"]

#: Free space below which an output file system counts as full before a large
#: write (HDF5) is started.
MIN_FREE_BYTES = 1 << 20
_NO_SPACE = "no space left on device"
_WRITE_ERRORS = {errno.ENOSPC: _NO_SPACE, errno.EDQUOT: "disk quota exceeded", errno.EFBIG: "file too large"}
#: Errors after which no other file fits on the output file system either.
FULL_DISK_ERRNOS = (errno.ENOSPC, errno.EDQUOT)


def free_bytes(folder: str | os.PathLike) -> int:
    """Bytes an unprivileged writer may still use on the file system of ``folder``."""
    try:
        st = os.statvfs(folder)
    except (OSError, AttributeError):  # pragma: no cover - no statvfs (Windows): do not refuse
        return 1 << 62
    return int(st.f_bavail) * int(st.f_frsize)


def check_free_space(path: str | os.PathLike, need: int = MIN_FREE_BYTES) -> None:
    """Refuse to start writing ``path`` when its file system has less than ``need`` bytes free.

    Raises
    ------
    OutputError
        ``<path>: no space left on device``.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if folder.is_dir() and free_bytes(folder) < need:
        raise OutputError(path, _NO_SPACE, errno.ENOSPC)


def _write_error(path: Path, exc: OSError) -> OutputError:
    """A write that failed for lack of space (or quota) as a one-line error naming the output file."""
    return OutputError(path, _WRITE_ERRORS[exc.errno], exc.errno)


def output_error(path: str | os.PathLike, exc: OSError) -> OutputError | None:
    """``exc`` as ``<path>: no space left on device`` (or quota, file size) when it is one of those, else None.

    For writers outside :func:`atomic_write` (creating an output folder, ...).
    """
    return _write_error(Path(path), exc) if exc.errno in _WRITE_ERRORS else None


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
        if exc.errno in _WRITE_ERRORS:
            raise _write_error(path, exc) from None
        raise InputError(folder, f"cannot create an output file here ({exc.strerror or exc})") from None
    return fd, Path(tmp)


def check_output_folder(folder: str | os.PathLike) -> None:
    """Refuse an output folder that cannot take files, before any work is done.

    The folder, or the nearest existing folder above it (where it will be
    created), must be a folder in which a file can be created, on a file
    system with space left. Nothing is left behind.

    Parameters
    ----------
    folder : path-like

    Raises
    ------
    InputError
        Naming the folder (or the file in its way).
    OutputError
        Its file system is full.
    """
    target = Path(folder)
    probe = target
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    if not probe.is_dir():
        raise InputError(probe, "is a file; expected an output folder" if probe == target
                         else f"is a file, so the output folder {target} cannot be created under it")
    fd, tmp = _make_temp(probe / "plm-probe", probe)
    os.close(fd)
    _discard(tmp)
    if free_bytes(probe) < MIN_FREE_BYTES:
        raise OutputError(target, _NO_SPACE, errno.ENOSPC)


def _finish(tmp: Path, path: Path) -> None:
    # Ctrl-C may have been swallowed on the way (raised inside a finalizer, which
    # Python reports and ignores): never let an interrupted run publish a file.
    raise_if_interrupted()
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
    except OSError as exc:
        _discard(tmp)
        if exc.errno in _WRITE_ERRORS:
            raise _write_error(path, exc) from None
        raise
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
    except OSError as exc:
        _discard(tmp)
        if exc.errno in _WRITE_ERRORS:
            raise _write_error(path, exc) from None
        raise
    except BaseException:
        _discard(tmp)
        raise
