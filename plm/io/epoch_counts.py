"""Files of activity counts per epoch, recognised only to refuse them clearly.

ActiLife ``.agd`` (SQLite) and epoch CSV exports, Philips Actiwatch
``.awd`` and Actiware CSV exports hold counts summed over epochs of 1 s or
more. Leg movements last 0.5-10 s and are detected from raw acceleration
(at least 10 Hz), so these files cannot be scored: format detection calls
:func:`refuse_epoch_counts` before giving up, which says so in one line
instead of "unknown format" (they are not a format one can choose).
ActiLife epoch CSVs with the usual title line are refused by
:mod:`plm.io.actigraph_csv`.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from ._rawfiles import epoch_counts_error, text_head

__all__ = ["refuse_epoch_counts"]

_AWD_DATE = re.compile(rb"^\s*\d{1,2}-[A-Za-z]{3}-\d{4}\s*$")


def _what(path: str | os.PathLike, head: bytes) -> str | None:
    suffix = Path(path).suffix.lower()
    text = text_head(head)
    first = text.lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0]
    if head.startswith(b"SQLite format 3\x00") and (suffix == ".agd" or b"capsense" in head or b"settings" in head):
        return "ActiLife .agd file"
    if first.startswith(b"----") and b"Data Table File Created By" in first:
        return "ActiLife epoch data table export"
    if b"Actiware" in first:
        return "Actiware (Actiwatch) export"
    lines = text.splitlines()
    if suffix == ".awd" and len(lines) > 3 and _AWD_DATE.match(lines[1]):
        return "Actiwatch .awd file"
    return None


def refuse_epoch_counts(path: str | os.PathLike, head: bytes) -> None:
    """Raise the one-line :class:`~plm.errors.InputError` for an epoch-count file; return otherwise.

    Parameters
    ----------
    path : path-like
    head : bytes
        The first 64 KiB of the file.
    """
    what = _what(path, head)
    if what is not None:
        raise epoch_counts_error(path, what)
