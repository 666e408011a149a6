"""File helpers shared by the raw-signal readers and writers.

Gzip-transparent reading, a partial decompression of a file head for
``sniff()``, numeric-table parsing with line-accurate error messages,
start-time and sampling-rate checks, the leg of a one-ankle device (``side=``
or the file name) and its local clock placed in a time zone (``tz=``).
Output files go through
:mod:`plm.atomic`.
"""
from __future__ import annotations

import datetime as _dt
import gc
import gzip
import io
import math
import os
import re
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError

GZIP_MAGIC = b"\x1f\x8b"
#: Longest line a text recording may have (header or data row; real ones are
#: under 200 bytes). A longer one is refused as soon as it is seen, instead of
#: being read into memory whole (a 3 GB file without a newline).
MAX_LINE_BYTES = 1 << 16


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


def read_file(path: str | os.PathLike, size: int = -1) -> bytes:
    """The first ``size`` bytes of a file (all of it by default); an unreadable file is an InputError."""
    try:
        with open(path, "rb") as fh:
            return fh.read(size)
    except OSError as exc:
        raise InputError(path, f"cannot be read ({exc.strerror})") from None


def read_bytes(path: str | os.PathLike) -> bytes:
    """Whole file content, decompressed when it is gzip (by magic bytes)."""
    p = Path(path)
    raw = read_file(p)
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


class TextSource:
    """A (possibly gzip) text file read line by line, then handed to the table parser.

    Use as a context manager. :meth:`readline` reads header lines (as str);
    :attr:`fh` is the binary stream positioned at the first unread byte.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        try:
            raw = open(self.path, "rb")
        except OSError as exc:
            raise InputError(self.path, f"cannot be read ({exc.strerror})") from None
        head = raw.read(2)
        raw.seek(0)
        self.size = os.fstat(raw.fileno()).st_size
        if self.size == 0:
            raw.close()
            raise InputError(self.path, "file is empty")
        self.gzip = is_gzip(head)
        self._raw = raw
        self.fh = gzip.GzipFile(fileobj=raw, mode="rb") if self.gzip else raw
        self.lines_read = 0

    def __enter__(self) -> "TextSource":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self.gzip:
            self.fh.close()
        self._raw.close()

    def readline(self) -> str | None:
        """The next line without its line end, or None at the end of the file."""
        try:
            line = self.fh.readline(MAX_LINE_BYTES + 1)
        except EOFError:
            raise InputError(self.path, "gzip data is truncated (the file was cut off; copy it again)") from None
        except (OSError, zlib.error) as exc:
            raise InputError(self.path, f"gzip data is corrupt ({exc})") from None
        if not line:
            return None
        self.lines_read += 1
        if len(line) > MAX_LINE_BYTES:
            raise _long_line(self.path, self.lines_read)
        if self.lines_read == 1 and line.startswith(b"\xef\xbb\xbf"):
            line = line[3:]
        self._last = line
        return line.decode("utf-8", errors="replace").rstrip("\r\n")

    def unread_line(self) -> None:
        """Give the last line read back to the stream (it was data, not header)."""
        self.fh = io.BufferedReader(_Prefixed(self._last, self.fh))
        self.lines_read -= 1

    def body_size_hint(self) -> int | None:
        """Bytes left after the header (gzip: from the trailer's size field), or None."""
        if not self.gzip:
            return max(self.size - self._raw.tell(), 0)
        try:
            pos = self._raw.tell()
            self._raw.seek(-4, os.SEEK_END)
            isize = int.from_bytes(self._raw.read(4), "little")
            self._raw.seek(pos)
        except OSError:
            return None
        here = self.fh.tell()
        # ISIZE is the size modulo 2**32; a compression ratio below 1 means it wrapped
        return isize - here if isize > here and isize >= self.size else None

    def body(self) -> io.BufferedReader:
        """The rest of the file as a stream that refuses lines longer than :data:`MAX_LINE_BYTES`."""
        return io.BufferedReader(_LineLimited(self.fh, self.path, self.lines_read), buffer_size=MAX_LINE_BYTES)


def _long_line(path, line_no: int) -> InputError:
    return InputError(path, f"line {line_no} is longer than {MAX_LINE_BYTES} bytes (no line end); "
                            "this is not a text table plm reads")


class _LineLimited(io.RawIOBase):
    """A stream over ``fh`` that raises once a line grows beyond :data:`MAX_LINE_BYTES`.

    Reads are at most that long, so a line longer than the limit either
    spans reads (tracked by ``run``, the bytes since the last line end) or
    fills one read without a line end.
    """

    def __init__(self, fh, path, lines_before: int) -> None:
        self._fh = fh
        self._path = path
        self._run = 0
        self._lines = lines_before

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        data = self._fh.read(min(len(b), MAX_LINE_BYTES))
        n = len(data)
        b[:n] = data
        last = data.rfind(b"\n")
        if last < 0:
            self._run += n
        else:
            if self._run + data.find(b"\n") > MAX_LINE_BYTES:
                raise _long_line(self._path, self._lines + 1)
            self._lines += data.count(b"\n")
            self._run = n - last - 1
        if self._run > MAX_LINE_BYTES:
            raise _long_line(self._path, self._lines + 1)
        return n


class _Prefixed(io.RawIOBase):
    """A stream that yields ``prefix`` and then the rest of ``fh``."""

    def __init__(self, prefix: bytes, fh) -> None:
        self._prefix = memoryview(prefix)
        self._fh = fh

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        if self._prefix.nbytes:
            n = min(len(b), self._prefix.nbytes)
            b[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        data = self._fh.read(len(b))
        b[:len(data)] = data
        return len(data)


class _ColumnBuffer:
    """Grows a (n_cols, n) array chunk by chunk, starting from an estimate of n."""

    def __init__(self, n_cols: int, dtype, estimate: int | None) -> None:
        self.dtype = np.dtype(dtype)
        self.buf = np.empty((n_cols, max(int(estimate or 0), 1024)), dtype=self.dtype)
        self.n = 0

    def add(self, block: np.ndarray) -> None:
        k = block.shape[0]
        need = self.n + k
        if need > self.buf.shape[1]:
            grown = np.empty((self.buf.shape[0], max(need, int(self.buf.shape[1] * 1.25))), dtype=self.dtype)
            grown[:, :self.n] = self.buf[:, :self.n]
            self.buf = grown
        self.buf[:, self.n:need] = block.T
        self.n = need

    def result(self) -> np.ndarray:
        """The filled part as a C-contiguous (n_cols, n) array, compacted in place (no second copy)."""
        n, cap = self.n, self.buf.shape[1]
        k = self.buf.shape[0]
        if n == cap:
            return self.buf
        flat = self.buf.reshape(-1)
        for c in range(1, k):
            # overlapping move to the left; numpy buffers overlapping assignments
            flat[c * n:(c + 1) * n] = flat[c * cap:c * cap + n]
        del flat
        buf, self.buf = self.buf, None
        try:
            buf.resize((k * n,), refcheck=False)  # realloc: gives the slack back
        except ValueError:  # pragma: no cover - buffer not owned (should not happen)
            return np.ascontiguousarray(buf.reshape(-1)[:k * n]).reshape(k, n)
        return buf.reshape(k, n)


def read_numeric_table(
    src: TextSource,
    n_cols: int,
    first_line: int,
    columns: str,
    dtype=np.float64,
    text_first: bool = False,
    on_text=None,
    chunk_rows: int = 1 << 18,
) -> np.ndarray:
    """Parse the rest of ``src`` as comma-separated rows; return shape (n_numeric_cols, n_rows).

    Uses pandas' C parser in chunks (about 3-5x faster than
    :func:`numpy.loadtxt`, and memory stays near the size of the result); it
    rounds decimal text correctly. ``nan`` marks a missing sample. On a parse
    error the offending line is found and reported by its line number
    (``first_line`` is the file line number of the first row).

    With ``text_first`` the first column is text (a timestamp): it is passed
    chunk by chunk to ``on_text(values, rows)`` (rows = 0-based row indices).
    """
    import pandas as pd

    path = src.path
    n_num = n_cols - 1 if text_first else n_cols
    hint = src.body_size_hint()
    body_stream = src.body()
    try:
        sample = body_stream.peek(65536)[:65536]
        per_row = len(sample) / max(sample.count(b"\n"), 1) if sample else None
        out = _ColumnBuffer(n_num, dtype, hint / per_row * 1.02 + 16 if hint and per_row else None)
        dtypes = {i: np.float64 for i in range(n_cols)}
        if text_first:
            dtypes[0] = str
        reader = pd.read_csv(
            body_stream, header=None, names=list(range(n_cols)), dtype=dtypes, keep_default_na=False,
            na_values={i: ["nan", "NaN", "NAN"] for i in range(int(text_first), n_cols)},
            skip_blank_lines=True, engine="c", chunksize=chunk_rows,
        )
        with reader:
            for frame in reader:
                if frame.shape[0] == 0:
                    continue
                if text_first:
                    stamps = frame[0].to_numpy(dtype=str)
                    if (stamps == "").any():
                        raise ValueError("empty first column")
                    if on_text is not None:
                        on_text(stamps, np.arange(out.n, out.n + len(stamps)))
                block = frame.iloc[:, int(text_first):].to_numpy(dtype=dtype)
                del frame
                _check_finite(path, block, out.n)
                out.add(block)
                del block
                # pandas frames sit in reference cycles; free each chunk now, not at the next
                # full collection, so memory stays near the size of the result
                gc.collect(1)
        data = out.result()
    except InputError:
        raise
    except EOFError:
        raise InputError(path, "gzip data is truncated (the file was cut off; copy it again)") from None
    except zlib.error as exc:
        raise InputError(path, f"gzip data is corrupt ({exc})") from None
    except Exception as exc:  # noqa: BLE001 - pandas.errors.ParserError, EmptyDataError, numpy ValueError, ...
        if "No columns to parse" in str(exc) or "empty" in type(exc).__name__.lower():
            raise InputError(path, f"no data rows after the '{columns}' header line") from None
        _raise_bad_row(path, _body_again(path, src.lines_read), n_cols, first_line, columns, exc, text_first)
    if data.shape[1] == 0:
        raise InputError(path, f"no data rows after the '{columns}' header line")
    return data


def _check_finite(path, block: np.ndarray, row0: int) -> None:
    bad = np.isinf(block)
    if bad.any():
        row = int(np.flatnonzero(bad.any(axis=1))[0])
        raise InputError(path, f"infinite value in data row {row0 + row + 1}; expected finite numbers or nan for a gap")


def _body_again(path, n_header_lines: int) -> bytes:
    """Error path: the file's text after its header lines."""
    raw = read_bytes(path)
    pos = 0
    for _ in range(n_header_lines):
        nl = raw.find(b"\n", pos)
        if nl < 0:
            return b""
        pos = nl + 1
    return raw[pos:]


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
    raise InputError(path, f"cannot parse the data rows ({' '.join(str(exc).split())[:200]})")


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


# ------------------------------------------------- leg and device clock
_LEFT = {"left", "l", "lt", "links"}
_RIGHT = {"right", "r", "rt", "rechts"}


def side_from_filename(path: str | os.PathLike) -> str | None:
    """Leg named by a file name, or None.

    The stem (name without ``.csv``/``.gz``) is split at ``_``, ``-``, ``.``
    and spaces; a token ``left``/``l``/``lt`` (or ``right``/``r``/``rt``),
    case-insensitive, names the leg, as does the word ``left``/``right``
    anywhere in the stem (``leftankle``). Both legs named -> None.
    """
    name = Path(path).name.lower()
    for ext in (".gz", ".csv", ".txt"):
        if name.endswith(ext):
            name = name[: -len(ext)]
    tokens = set(re.split(r"[_\-.\s]+", name))
    left = bool(tokens & _LEFT) or "left" in name
    right = bool(tokens & _RIGHT) or "right" in name
    if left == right:
        return None
    return "left" if left else "right"


def parse_tz(value: Any, path=None) -> _dt.tzinfo:
    """A tzinfo from an IANA name, ``"UTC"``, ``"+01:00"``-style offset or tzinfo."""
    if isinstance(value, _dt.tzinfo):
        return value
    text = str(value).strip()
    m = re.fullmatch(r"(?:UTC)?([+-])(\d{1,2}):?(\d{2})?", text)
    if m:
        sign = 1 if m.group(1) == "+" else -1
        delta = _dt.timedelta(hours=int(m.group(2)), minutes=int(m.group(3) or 0))
        if delta > _dt.timedelta(hours=14):
            raise InputError(path, f"tz={text!r}: UTC offsets range from -12:00 to +14:00")
        return _dt.timezone(sign * delta)
    if text.upper() in ("UTC", "Z", "GMT"):
        return _dt.timezone.utc
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(path, f"tz={text!r} is neither an IANA time-zone name (e.g. Europe/Berlin) nor an offset like +01:00") from None


def localize_zone(naive: _dt.datetime, zone: _dt.tzinfo, path=None) -> _dt.datetime:
    """Attach ``zone`` and return a datetime with a fixed UTC offset."""
    aware = naive.replace(tzinfo=zone)
    # Round-trip through UTC: a nonexistent local time (DST gap) shows up as a changed wall clock.
    back = aware.astimezone(_dt.timezone.utc).astimezone(zone)
    if back.replace(tzinfo=None) != naive:
        raise InputError(path, f"start {naive} does not exist in {zone} (daylight-saving gap)")
    return aware.astimezone(_dt.timezone(aware.utcoffset()))


def local_start(naive: _dt.datetime, tz, path=None) -> tuple[_dt.datetime, str | None]:
    """``(start, tz_name)``: device clock time ``naive`` placed in ``tz`` (see :func:`parse_tz`),
    with the fixed UTC offset in force then, and the IANA name when ``tz`` is one (else None)."""
    zone = parse_tz(tz, path)
    return localize_zone(naive, zone, path), getattr(zone, "key", None)


def pick_side(path, side: str | None, file_says: str = "ActiLife CSV files do not say which leg") -> str:
    """Leg from ``side=`` (left/right), else from the file name, else an InputError.

    Parameters
    ----------
    path : path-like
    side : str or None
        The ``side=`` argument (CLI ``--side``).
    file_says : str
        What the file itself says about the leg, for the error message.
    """
    if side is not None:
        v = str(side).strip().lower()
        if v in _LEFT:
            return "left"
        if v in _RIGHT:
            return "right"
        raise InputError(path, f"side={side!r}; expected left or right")
    found = side_from_filename(path)
    if found is None:
        ext = "".join(Path(path).suffixes[-2:]) if Path(path).suffix.lower() == ".gz" else Path(path).suffix
        raise InputError(
            path, f"which leg? {file_says}: pass --side left or --side right (side= in Python), "
                  f"or name the file *_L{ext} / *_R{ext}"
        )
    return found


def epoch_counts_error(path, what: str) -> InputError:
    """The one-line refusal of a file of activity counts per epoch (not raw acceleration)."""
    return InputError(
        path, f"{what}: activity counts per epoch, not raw acceleration; PLM detection needs raw acceleration "
              "sampled at 10 Hz or more (read the device's raw file, e.g. .gt3x, .cwa or .bin, or a raw export)"
    )
