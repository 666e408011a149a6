"""File helpers shared by the raw-signal readers and writers.

Gzip-transparent reading, a partial decompression of a file head for
``sniff()``, numeric-table parsing with line-accurate error messages,
start-time and sampling-rate checks. Output files go through
:mod:`plm.io.atomic`.
"""
from __future__ import annotations

import datetime as _dt
import gzip
import io
import math
import os
import zlib
from pathlib import Path

import numpy as np

from ..errors import InputError

GZIP_MAGIC = b"\x1f\x8b"


def is_gzip(head: bytes) -> bool:
    """True when ``head`` starts with the gzip magic bytes."""
    return head[:2] == GZIP_MAGIC


def text_head(head: bytes) -> bytes:
    """The (decompressed when gzip) start of a file, for ``sniff()``."""
    if not is_gzip(head):
        return head
    try:
        # A raw zlib decompressor accepts a truncated stream, unlike gzip.decompress.
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 65536)
    except zlib.error:
        return b""


def read_bytes(path: str | os.PathLike) -> bytes:
    """Whole file content, decompressed when it is gzip (by magic bytes)."""
    p = Path(path)
    try:
        with open(p, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise InputError(p, f"cannot be read ({exc.strerror})") from None
    if not raw:
        raise InputError(p, "file is empty")
    if not is_gzip(raw):
        return raw
    try:
        return gzip.decompress(raw)
    except EOFError:
        raise InputError(p, "gzip data is truncated (the file was cut off; copy it again)") from None
    except (OSError, zlib.error) as exc:
        raise InputError(p, f"gzip data is corrupt ({exc})") from None


def parse_numeric_rows(
    path: str | os.PathLike,
    body: bytes,
    n_cols: int,
    first_line: int,
    columns: str,
    dtype=np.float64,
    text_first: bool = False,
):
    """Parse comma-separated numeric rows into an array of shape (n_rows, n_cols).

    Uses pandas' C parser when pandas is installed (about 5x faster than
    :func:`numpy.loadtxt`), else :func:`numpy.loadtxt`; both round decimal
    text correctly, so the result does not depend on which one ran. ``nan``
    marks a missing sample. On a parse error the offending line is located
    and reported by its line number in the file (``first_line`` is the file
    line number of the first body line).

    With ``text_first`` the first of the ``n_cols`` columns is text (e.g. a
    timestamp): it is returned as an array of str (or None without pandas,
    when only the first and last value are kept as a 2-element array) beside
    the numeric columns, i.e. the result is ``(numbers, first_column)``.
    """
    if not body.strip():
        raise InputError(path, f"no data rows after the '{columns}' header line")
    data = None
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - depends on environment
        pd = None
    first_col = None
    n_num = n_cols - 1 if text_first else n_cols
    try:
        if pd is not None:
            dtypes = {i: np.float64 for i in range(n_cols)}
            if text_first:
                dtypes[0] = str
            frame = pd.read_csv(
                io.BytesIO(body),
                header=None,
                names=list(range(n_cols)),
                dtype=dtypes,
                keep_default_na=False,
                na_values={i: ["nan", "NaN", "NAN"] for i in range(int(text_first), n_cols)},
                skip_blank_lines=True,
                engine="c",
            )
            if text_first:
                first_col = frame[0].to_numpy(dtype=str)
                if (first_col == "").any() or frame.shape[1] != n_cols:
                    raise ValueError("empty first column")
            data = frame.iloc[:, int(text_first):].to_numpy(dtype=dtype)
        elif text_first:
            data = np.loadtxt(
                io.BytesIO(body), delimiter=",", dtype=dtype, ndmin=2, comments=None, usecols=range(1, n_cols)
            )
            lines = body.strip().splitlines()
            first_col = np.array([lines[0].split(b",")[0].decode(), lines[-1].split(b",")[0].decode()])
            # usecols hides extra columns: check the count on the first and last line at least
            if any(len(ln.split(b",")) != n_cols for ln in (lines[0], lines[-1])):
                raise ValueError("column count")
        else:
            data = np.loadtxt(io.BytesIO(body), delimiter=",", dtype=dtype, ndmin=2, comments=None)
    except Exception as exc:  # noqa: BLE001 - pandas.errors.ParserError and numpy's ValueError alike
        _raise_bad_row(path, body, n_cols, first_line, columns, exc, text_first)
    if data.ndim != 2 or data.shape[1] != n_num:
        _raise_bad_row(path, body, n_cols, first_line, columns, None, text_first)
    if data.shape[0] == 0:
        raise InputError(path, f"no data rows after the '{columns}' header line")
    bad = ~np.isfinite(data) & ~np.isnan(data)
    if bad.any():
        row = int(np.flatnonzero(bad.any(axis=1))[0])
        raise InputError(path, f"infinite value in data row {row + 1}; expected finite numbers or nan for a gap")
    return (data, first_col) if text_first else data


def _raise_bad_row(path, body: bytes, n_cols: int, first_line: int, columns: str, exc, text_first=False) -> None:
    # Error path only: find the first bad line so the user can fix it.
    text = body.decode("utf-8", errors="replace").splitlines()
    for i, line in enumerate(text):
        if not line.strip():
            continue
        if "\ufffd" in line:
            raise InputError(path, f"line {first_line + i}: bytes that are not UTF-8 text; is the file damaged?")
        fields = line.split(",")
        if len(fields) != n_cols:
            raise InputError(
                path,
                f"line {first_line + i}: {len(fields)} column(s), expected {n_cols} ({columns}): {line[:60]!r}",
            )
        if text_first and not fields[0].strip():
            raise InputError(path, f"line {first_line + i}: empty first column; expected a value ({columns})")
        for f in fields[int(text_first):]:
            try:
                float(f)
            except ValueError:
                raise InputError(
                    path, f"line {first_line + i}: non-numeric value {f.strip()[:30]!r}; expected numbers ({columns})"
                ) from None
    raise InputError(path, f"cannot parse the data rows ({exc})")


def parse_start_time(path, text: str, key: str = "start") -> _dt.datetime:
    """ISO 8601 date-time that must carry a UTC offset."""
    value = text.strip()
    try:
        t = _dt.datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    except ValueError:
        raise InputError(
            path, f"{key}: {value!r} is not an ISO 8601 date-time; expected e.g. 2026-03-01T22:30:00+01:00"
        ) from None
    if t.tzinfo is None or t.utcoffset() is None:
        raise InputError(
            path, f"{key}: {value!r} has no UTC offset; expected e.g. 2026-03-01T22:30:00+01:00"
        )
    return t


def check_timezone(path, name: str, start: _dt.datetime | None = None) -> str:
    """Validate an IANA zone name and, given ``start``, that its offset matches."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    name = name.strip()
    try:
        zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(path, f"timezone: {name!r} is not an IANA time-zone name (e.g. Europe/Berlin)") from None
    if start is not None:
        local = start.astimezone(zone)
        if local.utcoffset() != start.utcoffset():
            raise InputError(
                path,
                f"timezone {name} has UTC offset {_fmt_offset(local.utcoffset())} at the start time, "
                f"but the start time says {_fmt_offset(start.utcoffset())}",
            )
    return name


def _fmt_offset(td: _dt.timedelta) -> str:
    minutes = int(td.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def check_sfreq(path, value, max_hz: float, what: str = "sampling_rate_hz") -> float:
    """A sampling rate that is a finite number in (0, max_hz]."""
    try:
        sfreq = float(str(value).strip())
    except ValueError:
        raise InputError(path, f"{what}: {value!r} is not a number of Hz") from None
    if not math.isfinite(sfreq) or sfreq <= 0:
        raise InputError(path, f"{what}: {value!r}; expected a positive number of Hz")
    if sfreq > max_hz:
        raise InputError(path, f"{what}: {sfreq:g} Hz is implausibly high (above {max_hz:g} Hz)")
    return sfreq


def check_signal(path, data: np.ndarray) -> None:
    """Refuse signals without a single valid sample."""
    if data.size == 0:
        raise InputError(path, "no samples")
    if np.isnan(data).all():
        raise InputError(path, "every sample is missing (nan); there is no signal to score")
