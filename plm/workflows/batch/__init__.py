"""``plm batch``: many recordings scored into one nightly table.

Split by job: :mod:`.discovery` (which files are the nights), :mod:`.run`
(scoring, resume records, the run as a whole), :mod:`.executors` (local
processes or Dask) and :mod:`.tables` (``nightly_indices.csv``). The names
users need are here.
"""
from __future__ import annotations

from .discovery import NightGroup, collect_inputs, group_files, read_batch_manifest, split_side
from .run import BatchReport, run_batch, score_groups

__all__ = [
    "run_batch",
    "BatchReport",
    "NightGroup",
    "collect_inputs",
    "group_files",
    "read_batch_manifest",
    "split_side",
    "score_groups",
]
