"""A stand-in for ``plm.workflows.batch.run.score_group`` that holds chosen nights, for tests of dying workers.

A night whose first file name contains ``hold`` writes its worker's pid to
``<out>.pids/<pid>`` and then sleeps (a hang, or a worker waiting to be
killed); every other night is scored as usual. Worker processes unpickle
:func:`score_or_hold` by name, so this module must be importable from
``tests/`` (it is, for pytest and for the subprocesses the tests start).
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import plm.workflows.batch.run as batch_run

HOLD = "hold"
_score_group = batch_run.score_group


def pid_folder(out_dir: str | os.PathLike) -> Path:
    """Where the held workers of a batch into ``out_dir`` leave their pids."""
    return Path(f"{os.fspath(out_dir)}.pids")


def score_or_hold(task: dict) -> dict:
    if HOLD in Path(task["paths"][0]).name:
        folder = pid_folder(task["out_dir"])
        folder.mkdir(exist_ok=True)
        (folder / str(os.getpid())).write_text(task["id"])
        time.sleep(600)
    return _score_group(task)


def hold_nights() -> None:
    """Make batches of this process use :func:`score_or_hold`."""
    batch_run.score_group = score_or_hold
