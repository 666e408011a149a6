"""ActiGraph ActiLife raw CSV export (GT3X+, wGT3X-BT, ...), one ankle per file.

ActiLife writes a 10-line header, then an optional column-header line and
one row per sample in g::

    ------------ Data File Created By ActiGraph GT3X+ ActiLife v6.13.3 Firmware v2.5.0 date format M/d/yyyy at 30 Hz  Filter Normal -----------
    Serial Number: CLE2B2013XXXX
    Start Time 22:30:00
    Start Date 3/1/2026
    Epoch Period (hh:mm:ss) 00:00:00
    Download Time 08:10:00
    Download Date 3/2/2026
    Current Memory Address: 0
    Current Battery Voltage: 4.21     Mode = 12
    --------------------------------------------------
    Timestamp,Accelerometer X,Accelerometer Y,Accelerometer Z      (Timestamp optional)
    3/1/2026 22:30:00.000,0.012,-0.301,0.950

Two things the file does not say, and how plm decides them (see
``docs/formats_raw.md``):

* **Leg**: ``side=`` argument, else the file name (a ``left``/``right`` word
  or an ``L``/``R``/``LT``/``RT`` token between ``_ - . `` or spaces, e.g.
  ``P01_L.csv``, ``p01-right-ankle.csv``), else an error.
* **UTC offset**: the clock times are local device time without an offset.
  ``tz=`` (IANA name such as ``"Europe/Berlin"``, a fixed offset such as
  ``"+01:00"``, or a :class:`datetime.tzinfo`) places them; without it the
  clock is taken as UTC, a :class:`UserWarning` is issued and the
  assumption is recorded in ``Recording.meta["warnings"]``.
"""
from __future__ import annotations

import datetime as _dt
import os
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from ..model import Channel, Recording
from ._rawfiles import (TextSource, check_sfreq, check_signal, epoch_counts_error, local_start, parse_tz, pick_side,
                        read_numeric_table, side_from_filename, text_head)
from .accel_csv import MAX_ACCEL_HZ

__all__ = ["read_actigraph_csv", "sniff", "side_from_filename", "parse_tz"]

TITLE_MARK = "Data File Created By ActiGraph"
N_HEADER_LINES = 10
_RATE_RE = re.compile(r"\bat\s+([0-9]+(?:\.[0-9]+)?)\s*Hz", re.IGNORECASE)
_DATEFMT_RE = re.compile(r"date format\s+(\S+)", re.IGNORECASE)


def sniff(path: str | os.PathLike, head: bytes) -> bool:
    """True for an ActiLife CSV export (its dashed title line)."""
    first = text_head(head).lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0]
    return first.startswith(b"----") and TITLE_MARK.encode() in first


def _strptime_format(actilife: str) -> str:
    """ActiLife's .NET date pattern (``M/d/yyyy``, ``dd.MM.yyyy``) as strptime format."""
    out = actilife
    for token, code in (("yyyy", "%Y"), ("MM", "%m"), ("dd", "%d"), ("M", "%m"), ("d", "%d")):
        out = re.sub(rf"(?<![%A-Za-z]){token}(?![A-Za-z])", code, out)
    return out


def read_actigraph_csv(
    path: str | os.PathLike,
    side: str | None = None,
    tz: Any = None,
    dtype: Any = np.float64,
) -> Recording:
    """Read an ActiGraph ActiLife raw CSV export of one ankle.

    Parameters
    ----------
    path : path-like
        ``.csv`` (or gzip-compressed) ActiLife raw export.
    side : {"left", "right"}, optional
        Leg of the device; default: from the file name (see
        :func:`side_from_filename`).
    tz : str or tzinfo, optional
        Time zone of the device clock (IANA name or ``"+01:00"``). Default:
        UTC, with a warning recorded in ``meta["warnings"]``.
    dtype : numpy dtype
        Sample type (float64 default).

    Returns
    -------
    Recording
        Three ``accel`` channels ``<side>_x/_y/_z`` in g.
    """
    path = Path(path)
    with TextSource(path) as src:
        lines: list[str] = []
        for _ in range(N_HEADER_LINES + 1):
            line = src.readline()
            if line is None:
                break
            lines.append(line)
        if not lines or TITLE_MARK not in lines[0]:
            raise InputError(path, f"first line is not an ActiLife title line ('... {TITLE_MARK} ...')")
        if len(lines) < N_HEADER_LINES or not lines[N_HEADER_LINES - 1].strip().startswith("---"):
            raise InputError(path, f"ActiLife header must have {N_HEADER_LINES} lines ending in a dashed line")
        header = lines[:N_HEADER_LINES]
        fields = _header_fields(path, header[1:N_HEADER_LINES - 1])
        epoch = fields.get("Epoch Period (hh:mm:ss)", "00:00:00").strip().rstrip(",").strip()
        if epoch not in ("00:00:00", "0:00:00"):
            raise epoch_counts_error(path, f"ActiLife epoch export (epoch {epoch})")

        m = _RATE_RE.search(header[0])
        if not m:
            raise InputError(path, "title line has no sampling rate ('at NN Hz')")
        sfreq = check_sfreq(path, m.group(1), MAX_ACCEL_HZ, what="sampling rate")
        m = _DATEFMT_RE.search(header[0])
        date_fmt = _strptime_format(m.group(1)) if m else "%m/%d/%Y"

        for key in ("Start Time", "Start Date"):
            if key not in fields:
                raise InputError(path, f"header is missing the '{key}' line")
        try:
            naive = _dt.datetime.strptime(f"{fields['Start Date'].strip()} {fields['Start Time'].strip()}",
                                          f"{date_fmt} %H:%M:%S")
        except ValueError:
            raise InputError(
                path, f"start '{fields['Start Date']} {fields['Start Time']}' does not match the date format "
                f"{date_fmt} %H:%M:%S"
            ) from None

        meta_warnings: list[str] = []
        if tz is None:
            msg = "ActiLife CSV has no UTC offset; the device clock was taken as UTC (pass tz= to set it)"
            meta_warnings.append(msg)
            warnings.warn(f"{path}: {msg}", UserWarning, stacklevel=2)
        start, tz_name = local_start(naive, _dt.timezone.utc if tz is None else tz, path)

        leg = pick_side(path, side)

        # Column header line (optional in ActiLife exports).
        col_line = lines[N_HEADER_LINES] if len(lines) > N_HEADER_LINES else ""
        first_line_no = N_HEADER_LINES + 1
        if col_line and not _looks_numeric_row(col_line):
            cols = [c.strip().lower() for c in col_line.split(",")]
            first_line_no += 1
        else:
            cols = None
            if col_line:
                src.unread_line()
        has_ts, order = _column_layout(path, cols, col_line)
        n_cols = 3 + int(has_ts)
        checker = _TimestampChecker(path, naive, sfreq, date_fmt, first_line_no) if has_ts else None
        data = read_numeric_table(src, n_cols, first_line_no, "timestamp,x,y,z" if has_ts else "x,y,z",
                                  dtype=dtype, text_first=has_ts, on_text=checker)
    if order != [0, 1, 2]:
        data = np.ascontiguousarray(data[order])
    check_signal(path, data)
    if checker is not None:
        checker.finish(data.shape[1])
    n_zero = _zero_runs_to_nan(data, sfreq)
    if n_zero:
        msg = (f"{n_zero} rows of exactly 0 g on all axes in runs of 1 s or more (ActiLife writes them where the "
               "device stored no samples, e.g. while docked) are missing (NaN)")
        meta_warnings.append(msg)
        warnings.warn(f"{path}: {msg}", UserWarning, stacklevel=2)

    serial = fields.get("Serial Number", "").strip()
    m_model = re.search(r"ActiGraph\s+(\S+)", header[0])
    device = "ActiGraph " + (m_model.group(1) if m_model else "") + (f" {serial}" if serial else "")
    meta: dict[str, Any] = {
        "format": "actigraph-csv",
        "title": header[0].strip("- "),
        "serial_number": serial,
        "side_from": "argument" if side is not None else "file name",
    }
    if meta_warnings:
        meta["warnings"] = meta_warnings
    channels = tuple(Channel(f"{leg}_{ax}", "g", "accel", side=leg, axis=ax) for ax in "xyz")
    return Recording(
        data=data,
        sfreq=sfreq,
        channels=channels,
        start_time=start,
        timezone=tz_name,
        device=device.strip(),
        source=str(path),
        meta=meta,
    )


def _zero_runs_to_nan(data: np.ndarray, sfreq: float) -> int:
    """Set runs of at least 1 s of 0, 0, 0 rows to NaN in place; return how many rows.

    A real accelerometer at rest reads 1 g; 0 g on every axis for a second
    is no measurement (ActiLife's fill after a USB connection).
    """
    zero = (data == 0).all(axis=0)
    if not zero.any():
        return 0
    edges = np.flatnonzero(np.diff(np.r_[0, zero.view(np.int8), 0])).reshape(-1, 2)
    edges = edges[(edges[:, 1] - edges[:, 0]) >= max(1, int(round(sfreq)))]
    for a, b in edges:  # one step per run
        data[:, a:b] = np.nan
    return int((edges[:, 1] - edges[:, 0]).sum())


def _header_fields(path, lines: list[str]) -> dict[str, str]:
    fields: dict[str, str] = {}
    known = ("Serial Number:", "Start Time", "Start Date", "Epoch Period (hh:mm:ss)", "Download Time",
             "Download Date", "Current Memory Address:", "Current Battery Voltage:")
    for line in lines:
        s = line.strip()
        for key in known:
            if s.startswith(key):
                value = s[len(key):]
                if key == "Current Battery Voltage:" and "Mode" in value:
                    value, mode = value.split("Mode", 1)
                    fields["Mode"] = mode.strip(" =")
                fields[key.rstrip(":")] = value.strip()
    return fields


def _looks_numeric_row(line: str) -> bool:
    last = line.split(",")[-1].strip()
    try:
        float(last)
    except ValueError:
        return False
    return True


def _column_layout(path, cols: list[str] | None, first_row: str) -> tuple[bool, list[int]]:
    """(timestamp column present, order of the x, y, z columns among the numeric ones)."""
    if cols is None:
        if not first_row:
            raise InputError(path, "no data rows after the ActiLife header")
        n = len(first_row.split(","))
        if n in (3, 4):
            return n == 4, [0, 1, 2]
        raise InputError(path, f"line 11: {n} columns; expected x,y,z with an optional leading timestamp")
    has_ts = cols[0] in ("timestamp", "date", "datetime", "time")
    axes = cols[1:] if has_ts else cols
    want = ["accelerometer x", "accelerometer y", "accelerometer z"]
    if sorted(axes) != want:
        raise InputError(
            path, f"line 11: columns {','.join(cols)}; expected [Timestamp,]Accelerometer X,Accelerometer Y,Accelerometer Z"
        )
    return has_ts, [axes.index(w) for w in want]


class _TimestampChecker:
    """Timestamps must start at the header start and advance by one sample per row.

    Called chunk by chunk by the table parser, with every row. ActiLife rounds timestamps to 1 ms, so a
    deviation up to half a sample (at least 1.5 ms) from the grid is accepted.
    """

    def __init__(self, path, start: _dt.datetime, sfreq: float, date_fmt: str, first_line: int) -> None:
        self.path, self.start, self.sfreq, self.first_line = path, start, sfreq, first_line
        self.formats = (f"{date_fmt} %H:%M:%S.%f", f"{date_fmt} %H:%M:%S")
        self.date_fmt = date_fmt
        self.prev: tuple[float, int, str] | None = None
        self.tol = max(0.0015, 0.5 / sfreq)

    def __call__(self, stamps: np.ndarray, rows: np.ndarray) -> None:
        sec = self._seconds(stamps)
        if self.prev is not None:
            sec = np.concatenate([[self.prev[0]], sec])
            rows = np.concatenate([[self.prev[1]], rows])
            stamps = np.concatenate([[self.prev[2]], stamps])
        step = np.diff(sec)
        if step.size and (step <= 0).any():
            i = int(np.flatnonzero(step <= 0)[0]) + 1
            what = "repeats" if step[i - 1] == 0 else "goes back in time"
            raise InputError(self.path, f"line {self.first_line + rows[i]}: timestamp {stamps[i]} {what}; "
                             "timestamps must increase")
        err = sec - rows / self.sfreq
        off = np.abs(err) > self.tol
        if off.any():
            i = int(np.argmax(off))
            raise InputError(
                self.path, f"line {self.first_line + rows[i]}: timestamp {stamps[i]} is {err[i]:+.3f} s off the "
                f"{self.sfreq:g} Hz sample grid from the header start; samples are missing or the rate is wrong"
            )
        self.prev = (float(sec[-1]), int(rows[-1]), str(stamps[-1]))

    def _seconds(self, stamps: np.ndarray) -> np.ndarray:
        import pandas as pd

        for fmt in self.formats:
            try:
                t = pd.to_datetime(pd.Series(stamps), format=fmt)
            except ValueError:
                continue
            return (t - pd.Timestamp(self.start)).dt.total_seconds().to_numpy()
        raise InputError(self.path, f"timestamps do not match the date format {self.date_fmt} HH:MM:SS[.fff]")

    def finish(self, n_rows: int) -> None:
        if self.prev is None or self.prev[1] != n_rows - 1:
            raise InputError(self.path, "timestamp column could not be checked to the last row")
