"""The output folder of a batch: what is in it, one batch at a time, one set of settings.

``DIR/.plm_batch.lock`` keeps a second batch out while one runs
(:func:`batch_lock`); ``DIR/batch_settings.json`` records the criteria the
folder's nights were scored with, and a batch with other criteria is refused
(:func:`claim_settings`), so the table and the per-night files of a folder
always agree. :func:`is_batch_output_folder` lets the input
search leave batch outputs alone.
"""
from __future__ import annotations

import contextlib
import errno
import json
import os
import socket
import warnings
from pathlib import Path
from typing import Any, Iterator

from ..._util import write_file
from ...atomic import output_error
from ...errors import InputError

try:  # POSIX: a lock the kernel drops when its holder dies, however it dies
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

__all__ = ["NIGHTS_DIR", "RECORD_NAME", "NIGHTLY_CSV", "FAILURES_CSV", "SETTINGS_NAME", "LOCK_NAME", "OUTPUT_NAMES",
           "is_batch_output_folder", "batch_lock", "claim_settings"]

#: Per-night outputs: ``DIR/nights/<recording id>/``.
NIGHTS_DIR = "nights"
#: Name of the per-group record that ``--resume`` relies on.
RECORD_NAME = "plm_batch.json"
NIGHTLY_CSV = "nightly_indices.csv"
FAILURES_CSV = "failures.csv"
SETTINGS_NAME = "batch_settings.json"
LOCK_NAME = ".plm_batch.lock"
#: What a batch writes into its folder; never an input of another batch.
OUTPUT_NAMES = frozenset({NIGHTS_DIR, NIGHTLY_CSV, FAILURES_CSV, SETTINGS_NAME})


def is_batch_output_folder(folder: Path) -> bool:
    """True for a folder a batch wrote into (it holds ``batch_settings.json`` or ``nightly_indices.csv``)."""
    return (folder / SETTINGS_NAME).is_file() or (folder / NIGHTLY_CSV).is_file()


def _pid_alive(pid: int) -> bool:
    if os.name != "posix":  # pragma: no cover - cannot tell: assume it runs
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def _owner(fd: int) -> dict[str, Any]:
    os.lseek(fd, 0, os.SEEK_SET)
    try:
        owner = json.loads(os.read(fd, 4096).decode("utf-8") or "{}")
    except ValueError:
        return {}
    return owner if isinstance(owner, dict) else {}


def _held_by_other(fd: int, owner: dict[str, Any]) -> bool:
    """True when the batch that wrote ``owner`` still runs."""
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                return True
            raise
        return False
    pid = owner.get("pid")
    return isinstance(pid, int) and owner.get("host") == socket.gethostname() and _pid_alive(pid)


@contextlib.contextmanager
def batch_lock(out: Path) -> Iterator[Path]:
    """Hold ``out/.plm_batch.lock`` while the block runs.

    The lock file names its owner (pid, host). It is held with ``flock``, so
    a batch that was killed leaves a stale file, not a held lock: the next
    batch takes it over with a warning.

    Parameters
    ----------
    out : Path
        The batch output folder (exists).

    Yields
    ------
    Path
        The lock file.

    Raises
    ------
    InputError
        Another batch that still runs holds the lock.
    """
    path = out / LOCK_NAME
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise (output_error(path, exc) or exc) from None
        try:
            owner = _owner(fd)
            if _held_by_other(fd, owner):
                raise InputError(path, f"another plm batch (pid {owner.get('pid', '?')}) is writing into this "
                                       "folder; wait for it to end or choose another --out")
            try:
                same = os.fstat(fd).st_ino == os.stat(path).st_ino
            except FileNotFoundError:
                same = False
        except BaseException:
            os.close(fd)
            raise
        if same:
            break
        os.close(fd)  # the previous owner removed the file while we opened it: take a fresh one
    try:
        if owner.get("pid") is not None:
            warnings.warn(f"{path}: took over the stale lock of plm batch pid {owner.get('pid')} (no longer running)",
                          stacklevel=3)
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname()}).encode("utf-8"))
        yield path
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)
        os.close(fd)


def claim_settings(out: Path, settings: dict[str, Any]) -> None:
    """Record the batch settings in ``out``, or refuse a folder scored with other criteria.

    Parameters
    ----------
    out : Path
        The batch output folder (exists, locked).
    settings : dict
        JSON values; ``criteria_hash`` must match the one recorded (other
        reading options are allowed: each night's record names its own, and
        ``--resume`` scores a night again when they change).

    Raises
    ------
    InputError
        The folder holds nights scored with other criteria.
    """
    path = out / SETTINGS_NAME
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        old = None
    except (OSError, ValueError) as exc:
        raise InputError(path, f"cannot be read as batch settings ({exc}); remove it or choose another --out") from None
    if isinstance(old, dict) and old.get("criteria_hash") != settings["criteria_hash"]:
        raise InputError(out, f"holds a batch scored with other settings (criteria {old.get('criteria_name')} "
                              f"(hash {old.get('criteria_hash')}) there, {settings['criteria_name']} "
                              f"(hash {settings['criteria_hash']}) now); a table must match its night files: "
                              "use a fresh --out")
    if old != settings:
        write_file(path, json.dumps(settings, indent=1, sort_keys=True) + "\n")
