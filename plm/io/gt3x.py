"""ActiGraph ``.gt3x`` / ``.agdc`` decoding, as ActiLife exports them.

Facts used (ActiGraph's format description, github.com/actigraph/GT3X-File-Format
and NHANES-GT3X-File-Format; ActiGraph's reader pygt3x for the record types
ACTIVITY3 and EVENT that the description leaves out):

* A ``.gt3x`` is a zip. New format: ``info.txt`` and ``log.bin``, a chain of
  records ``1E, type, uint32 time (device clock, whole seconds), uint16
  size, payload, checksum`` (1's complement of the XOR of header and
  payload). Old format (GT3X+ "NEO"/"MRA" with firmware 2.5.0 or earlier):
  ``info.txt`` and ``activity.bin``, one continuous stream of samples.
* One activity record is one second: ACTIVITY (0x00) 12-bit two's
  complement samples in YXZ order, ACTIVITY2 (0x1A) int16 XYZ, ACTIVITY3
  (0x1B) 12-bit XYZ. A 1-byte activity payload is written when the device
  is connected to USB; it holds no samples.
* EVENT (0x03) payload 0x08 / 0x09: the device enters / leaves idle-sleep
  mode. While asleep it stores no samples.
* Counts per g: the PARAMETERS record's ACCEL_SCALE, else ``Acceleration
  Scale`` in info.txt, else 341 for the old format and GT3X+ (NEO, MRA)
  and 256 for later devices. ``calibration.json`` with ``isCalibrated:
  false`` and method 2 holds per-rate offsets and a sensitivity matrix
  (ActiGraph "CalibrationV2"); ActiLife applies it.

What ActiLife's raw export does, checked on the real files in the test
folder (see ``docs/formats_raw.md``): one row per sample from the info.txt
``Start Date`` to its ``Last Sample Time``; seconds without an activity
record are filled by holding the last sample, except after a USB record,
where ActiLife writes 0 g. plm holds the last sample where the device said
it was asleep (from the second after its last record before the 0x08 event
to the 0x09 event, and to the last log record when it never woke) and marks
those samples in :attr:`DeviceData.held`; every other second without
samples, and the docked time after a USB record, is missing (NaN), because
0 g is no measurement.

Decoding is vectorised: one Python step per log record to find the record
boundaries (one record per second of recording), numpy for checksums,
unpacking and placement. Peak memory is the file's ``log.bin`` plus about
the float64 result.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import re
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from ._device import DeviceData, check_span, parse_utc_offset, runs_of

__all__ = ["read_gt3x", "is_gt3x"]

_TICKS_1970 = 621355968000000000  # .NET ticks (100 ns since 0001-01-01) at 1970-01-01
_SEP = 0x1E
_ACTIVITY, _EVENT, _PARAMETERS, _ACTIVITY2, _ACTIVITY3 = 0x00, 0x03, 0x15, 0x1A, 0x1B
_ISM_ENTER, _ISM_EXIT = 0x08, 0x09
# Seconds a device may go without an activity record before logging that it fell asleep:
# the real files show 1-2; a longer silence before the 0x08 event is a gap, not sleep.
_ISM_LEAD_S = 10
_CHUNK_RECORDS = 16384  # records unpacked at a time (bounds the scratch memory)


def is_gt3x(head: bytes, suffix: str) -> bool:
    """True for a zip that looks like an ActiGraph file (``.gt3x``/``.agdc``, or log.bin/info.txt inside)."""
    if head[:4] != b"PK\x03\x04":
        return False
    return suffix in (".gt3x", ".agdc") or b"log.bin" in head or b"info.txt" in head or b"activity.bin" in head


def read_gt3x(path: str | os.PathLike, dtype: Any = np.float64) -> DeviceData:
    """Decode an ActiGraph ``.gt3x`` or ``.agdc`` file.

    Parameters
    ----------
    path : path-like
    dtype : numpy dtype
        Type of the returned samples.

    Returns
    -------
    DeviceData
        Acceleration in g at the device's rate from ``Start Date`` to
        ``Last Sample Time``, calibration applied, idle-sleep stretches held
        (``held``), other missing seconds NaN.
    """
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            if "info.txt" not in names:
                raise InputError(path, "the .gt3x archive has no info.txt; is it an ActiGraph file?")
            info = _parse_info(z.read("info.txt"))
            calibration = json.loads(z.read("calibration.json").decode("utf-8-sig")) \
                if "calibration.json" in names else None
            if "log.bin" in names:
                log = z.read("log.bin")
                old = False
            elif "activity.bin" in names:
                log = z.read("activity.bin")
                old = True
            else:
                raise InputError(path, "the .gt3x archive holds neither log.bin nor activity.bin; "
                                       "it has no acceleration data")
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
        raise InputError(path, f"cannot decode the file (damaged zip archive: {' '.join(str(exc).split())[:160]})") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise InputError(path, "calibration.json in the archive is not valid JSON") from None
    if calibration is not None and not isinstance(calibration, dict):
        raise InputError(path, "calibration.json in the archive is not a JSON object")

    rate = _number(info.get("Sample Rate"))
    start_ticks = _integer(info.get("Start Date"))
    if start_ticks is None or start_ticks <= _TICKS_1970:
        raise InputError(path, f"info.txt Start Date {info.get('Start Date')!r} is not a date (.NET ticks)")
    notes: list[str] = []
    if old:
        if not rate:
            raise InputError(path, "info.txt has no Sample Rate")
        fs = float(rate)
        check_span(path, (len(log) * 2 // 9) / fs)
        counts = _unpack12(np.frombuffer(log, np.uint8)[None, :], len(log) * 2 // 9)[0][:, [1, 0, 2]]
        scale = _scale(info, None, old=True)
        data = np.empty((3, counts.shape[0]), dtype=dtype)
        np.divide(counts.T, scale, out=data, casting="unsafe")
        start = _ticks_to_datetime(start_ticks)
        held = np.zeros((0, 2), np.int64)
        dropped = 0
    else:
        data, fs, start, held, dropped = _decode_log(path, log, info, rate, start_ticks, calibration, dtype, notes)
    if data.shape[1] == 0:
        raise InputError(path, "the file holds no acceleration samples")

    meta = {f"info.{k}": v for k, v in info.items()}
    if calibration is not None:
        meta["calibration"] = "applied (method 2)" if _needs_calibration(calibration) else "already applied by the device"
    serial = info.get("Serial Number", "")
    device = " ".join(x for x in ("ActiGraph", info.get("Device Type", ""), serial) if x)
    location = " ".join(x for x in (info.get("Side", ""), info.get("Limb", "")) if x) or None
    return DeviceData(data=data, sfreq=fs, start=start, kind="gt3x", device=device, metadata=meta,
                      location=location, utc_offset=parse_utc_offset(info.get("TimeZone")), held=held,
                      dropped=dropped, notes=notes)


# ------------------------------------------------------------------ info.txt
def _parse_info(raw: bytes) -> dict[str, str]:
    out = {}
    for line in raw.decode("utf-8-sig", errors="replace").splitlines():
        key, sep, value = line.partition(":")
        if sep:
            out[key.strip()] = value.strip()
    return out


def _number(text) -> float | None:
    try:
        v = float(str(text).replace(",", "."))
    except (TypeError, ValueError):
        return None
    return v if np.isfinite(v) and v > 0 else None


def _integer(text) -> int | None:
    try:
        return int(str(text).strip())
    except (TypeError, ValueError):
        return None


def _ticks_to_datetime(ticks: int) -> _dt.datetime:
    return _dt.datetime(1970, 1, 1) + _dt.timedelta(microseconds=(ticks - _TICKS_1970) // 10)


def _scale(info: dict[str, str], param_scale: float | None, old: bool) -> float:
    if param_scale:
        return param_scale
    v = _number(info.get("Acceleration Scale"))
    if v:
        return v
    serial = info.get("Serial Number", "").upper()
    return 341.0 if old or serial.startswith(("NEO", "MRA")) else 256.0


# ------------------------------------------------------------------ log.bin
def _walk(log: bytes) -> tuple[np.ndarray, bool]:
    """(positions of the records' separators, whether the log ends inside a record).

    One step per record (a record holds one second of samples). Zero bytes
    between records occur in valid files and are skipped.
    """
    pos = []
    n = len(log)
    i = 0
    unpack = struct.Struct("<H").unpack_from
    cut = False
    while i + 8 <= n:
        if log[i] != _SEP:
            j = log.find(b"\x1e", i)
            if j < 0:
                break
            i = j
            continue
        size = unpack(log, i + 6)[0]
        if i + 9 + size > n:
            cut = True
            break
        pos.append(i)
        i += 9 + size
    return np.asarray(pos, dtype=np.int64), cut


def _decode_log(path, log: bytes, info, rate, start_ticks, calibration, dtype, notes):
    buf = np.frombuffer(log, np.uint8)
    pos, cut = _walk(log)
    if cut:
        notes.append("log.bin ends inside a record (the file was cut off); read up to the last whole record")
    if pos.size == 0:
        raise InputError(path, "log.bin holds no records")
    typ = buf[pos + 1]
    ts = (buf[pos + 2].astype(np.int64) | buf[pos + 3].astype(np.int64) << 8
          | buf[pos + 4].astype(np.int64) << 16 | buf[pos + 5].astype(np.int64) << 24)
    size = buf[pos + 6].astype(np.int64) | buf[pos + 7].astype(np.int64) << 8
    end = pos + 8 + size                       # index of each record's checksum byte
    xor = np.bitwise_xor.reduceat(buf, np.column_stack([pos, end]).reshape(-1))[::2]
    good = (~xor & 0xFF).astype(np.uint8) == buf[end]
    n_bad = int(np.count_nonzero(~good))
    if n_bad:
        notes.append(f"{n_bad} log record(s) with a wrong checksum were skipped (their seconds are missing)")

    params = _parameters(buf, pos[good & (typ == _PARAMETERS)], size[good & (typ == _PARAMETERS)])
    fs = float(params.get((1, 10)) or rate or 0)
    if not fs:
        raise InputError(path, "neither info.txt nor log.bin gives the sample rate")
    if rate and params.get((1, 10)) and float(rate) != fs:
        notes.append(f"info.txt says {rate:g} Hz but the device parameters say {fs:g} Hz; {fs:g} Hz was used")
    rate_i = int(round(fs))
    scale = _scale(info, params.get((0, 55)), old=False)
    cal = _calibration(path, calibration, rate_i)
    if cal is None and scale == 1.0:
        raise InputError(path, "samples are raw counts (Acceleration Scale 1) and the file has no calibration "
                               "to convert them to g")

    is_act = good & np.isin(typ, (_ACTIVITY, _ACTIVITY2, _ACTIVITY3))
    usb = is_act & (size == 1)
    act = is_act & (size > 1)
    if not act.any():
        raise InputError(path, "the file holds no acceleration samples")

    t0 = (start_ticks - _TICKS_1970) // 10_000_000
    last_s = _integer(info.get("Last Sample Time"))
    t_first = int(ts[act].min())
    t0 = min(t0, t_first)
    t_end = int(ts[act].max()) + 1
    check_span(path, t_end - t0)
    if last_s and last_s > _TICKS_1970:
        last = (last_s - _TICKS_1970) // 10_000_000
        if last - t_end > 86400:
            notes.append("info.txt Last Sample Time is more than a day after the last record; the recording "
                         "ends at the last record")
        else:
            t_end = max(t_end, last)
    n_sec = t_end - t0
    n = n_sec * rate_i
    data = np.full((3, n), np.nan, dtype=dtype)

    # --- samples, record by record in chunks (vectorised within a chunk)
    have = np.zeros(n_sec, dtype=bool)
    idx_act = np.flatnonzero(act)
    sec = ts[idx_act] - t0
    dup = sec.size - np.unique(sec).size
    if dup:
        notes.append(f"{dup} activity record(s) repeat an earlier second (device clock set while "
                     "recording?); the later record was kept")
    for a in range(0, idx_act.size, _CHUNK_RECORDS):
        chunk = idx_act[a:a + _CHUNK_RECORDS]
        for t in np.unique(typ[chunk]):
            for s in np.unique(size[chunk][typ[chunk] == t]):
                rec = chunk[(typ[chunk] == t) & (size[chunk] == s)]
                counts = _unpack_records(buf, pos[rec] + 8, int(s), int(t))   # (r, m, 3) XYZ counts
                m = min(counts.shape[1], rate_i)
                counts = counts[:, :m]
                g = _to_g(counts.reshape(-1, 3), scale, cal).reshape(len(rec), m, 3)
                base = (ts[rec] - t0) * rate_i
                cols = (base[:, None] + np.arange(m)).reshape(-1)
                data[:, cols] = g.reshape(-1, 3).T
                have[ts[rec] - t0] = True

    held = _idle_sleep(buf, pos, typ, ts, size, good, usb, have, t0, notes)
    held_samples = held * rate_i
    _hold(data, held_samples, have, rate_i)
    missing = ~have
    missing[_mask_of(held, n_sec)] = False
    if missing.any():
        notes.append(f"{int(np.count_nonzero(missing))} s without samples (device docked, stopped or data lost) "
                     "are missing (NaN)")
    if held.size:
        notes.append(f"idle-sleep mode: {int((held[:, 1] - held[:, 0]).sum())} s in {len(held)} stretch(es) "
                     "hold the last sample, as ActiLife fills them; they count as worn, still time")
    return data, fs, _dt.datetime(1970, 1, 1) + _dt.timedelta(seconds=int(t0)), held_samples, dup * rate_i


def _mask_of(iv: np.ndarray, n: int) -> np.ndarray:
    """Boolean mask of length ``n`` that is True inside the intervals ``iv`` (k, 2)."""
    mark = np.zeros(n + 1, dtype=np.int64)
    np.add.at(mark, iv[:, 0], 1)
    np.add.at(mark, iv[:, 1], -1)
    return np.cumsum(mark[:-1]) > 0


def _parameters(buf, pos, size) -> dict[tuple[int, int], float]:
    """(address, identifier) -> value of the PARAMETERS record(s); floats decoded where documented."""
    out: dict[tuple[int, int], float] = {}
    floats = {(0, 49), (0, 50), (0, 51), (0, 55), (0, 57), (0, 58)}
    for p, s in zip(pos, size):  # one record per file, normally
        pairs = np.frombuffer(buf[p + 8:p + 8 + (s // 8) * 8].tobytes(), dtype=[("a", "<u2"), ("i", "<u2"), ("v", "<u4")])
        for a, i, v in pairs:
            key = (int(a), int(i))
            out[key] = _ssp(int(v)) if key in floats else float(v)
    return out


def _ssp(v: int) -> float:
    """ActiGraph's float encoding: 24-bit two's-complement fraction of 2**23, 8-bit two's-complement exponent."""
    if v in (0x007FFFFF, 0x00800000):
        return float("inf") if v == 0x007FFFFF else float("-inf")
    exp = (v >> 24) & 0xFF
    exp = exp - 256 if exp & 0x80 else exp
    frac = v & 0xFFFFFF
    frac = frac - (1 << 24) if frac & 0x800000 else frac
    return frac / 8388608.0 * 2.0 ** exp


def _unpack12(payload: np.ndarray, m: int) -> np.ndarray:
    """12-bit two's-complement values, most significant nibble first, 3 per sample.

    ``payload`` (records, bytes) uint8 -> (records, m, 3) int16 in stored order.
    """
    r = payload.shape[0]
    nib = np.empty((r, payload.shape[1] * 2), dtype=np.int16)
    nib[:, 0::2] = payload >> 4
    nib[:, 1::2] = payload & 0x0F
    v = nib[:, : m * 9].reshape(r, m * 3, 3)
    v = (v[..., 0] << 8) | (v[..., 1] << 4) | v[..., 2]
    return np.where(v >= 2048, v - 4096, v).astype(np.int16).reshape(r, m, 3)


def _unpack_records(buf, starts, size: int, typ: int) -> np.ndarray:
    """Samples of equal-size activity records as (records, samples, 3) int16 counts in XYZ order."""
    payload = buf[starts[:, None] + np.arange(size)]
    if typ == _ACTIVITY2:
        m = size // 6
        return payload[:, : m * 6].copy().view("<i2").reshape(len(starts), m, 3)
    v = _unpack12(payload, size * 2 // 9)
    return v[:, :, [1, 0, 2]] if typ == _ACTIVITY else v


# ------------------------------------------------------------------ calibration
def _needs_calibration(cal: dict) -> bool:
    return not cal.get("isCalibrated", True)


def _calibration(path, cal: dict | None, rate: int):
    """(offset (3,), matrix (3, 3)) of ActiGraph CalibrationV2 when the samples still need it, else None."""
    if cal is None or not _needs_calibration(cal):
        return None
    method = cal.get("calibrationMethod")
    if method != 2:
        raise InputError(path, f"calibration.json: calibration method {method!r} is not supported (plm knows 2)")
    try:
        off = np.array([float(cal[f"offset{a}_{rate}"]) for a in "XYZ"])
        sxx, syy, szz = (float(cal[f"sensitivity{a}{a}_{rate}"]) for a in "XYZ")
        sxy, sxz, syz = (float(cal[f"sensitivity{k}_{rate}"]) for k in ("XY", "XZ", "YZ"))
    except (KeyError, TypeError, ValueError):
        raise InputError(path, f"calibration.json has no calibration for {rate} Hz") from None

    def cross(s):  # off-diagonal sensitivities are stored as hundredths above a 250 LSB/g baseline
        return 1.0 / (s * 0.01 + 250.0) - 0.004

    mat = np.array([[1.0 / (sxx * 0.01), cross(sxy), cross(sxz)],
                    [cross(sxy), 1.0 / (syy * 0.01), cross(syz)],
                    [cross(sxz), cross(syz), 1.0 / (szz * 0.01)]])
    return off, mat


def _to_g(counts: np.ndarray, scale: float, cal) -> np.ndarray:
    """(m, 3) counts to g."""
    if cal is None:
        return counts / scale
    off, mat = cal
    return (counts - off) @ mat.T


# ------------------------------------------------------------------ idle sleep
def _idle_sleep(buf, pos, typ, ts, size, good, usb, have, t0, notes) -> np.ndarray:
    """Seconds ``[start, stop)`` (from ``t0``) the device spent in idle-sleep mode without samples.

    A state per second from the last event at or before it: a second with
    samples (awake), 0x09 (awake), 0x08 (asleep), a USB record (docked). A
    second without samples is held when the device is asleep then, or when
    it fell asleep at most :data:`_ISM_LEAD_S` s later without a sample in
    between (the 0x08 event is logged after the last record). Sleep lasts
    at most until the last record of the log, which proves the device ran.
    """
    n_sec = have.size
    ev = good & (typ == _EVENT) & (size == 1)
    code_of = np.zeros(pos.size, dtype=np.int8)
    code_of[ev & (buf[pos + 8] == _ISM_ENTER)] = 2
    code_of[ev & (buf[pos + 8] == _ISM_EXIT)] = 1
    code_of[usb] = 3
    sel = np.flatnonzero(code_of)
    if not (code_of == 2).any():
        return np.zeros((0, 2), np.int64)
    sec = ts[sel] - t0
    inside = (sec >= 0) & (sec < n_sec)
    sel, sec = sel[inside], sec[inside]
    state_at = np.zeros(n_sec, dtype=np.int8)  # 0: no event yet
    # the last event of a second decides it (file order); a second with samples is awake
    last = np.unique(sec[::-1], return_index=True)[1]
    last_i = sel[::-1][last]
    state_at[sec[::-1][last]] = code_of[last_i]
    state_at[have & (state_at != 2)] = 1
    marked = np.flatnonzero(state_at)
    if not marked.size:
        return np.zeros((0, 2), np.int64)
    fill = np.full(n_sec, -1, dtype=np.int64)
    fill[marked] = marked
    fill = np.maximum.accumulate(fill)
    state = np.where(fill >= 0, state_at[np.maximum(fill, 0)], 0)
    asleep = (state == 2) & ~have
    # lead-in: seconds after the last sample and at most _ISM_LEAD_S before an 0x08 event
    # (in the same second as the event's other records or earlier), with no sample in between
    ahead = np.arange(n_sec)
    nxt_enter = _next_true(np.isin(ahead, sec[code_of[sel] == 2]))
    nxt_have = _next_true(have)
    lead = ~have & (state != 2) & (state != 3) & (nxt_enter - ahead <= _ISM_LEAD_S) & (nxt_enter <= nxt_have)
    asleep |= lead
    # the device must have run: not past the last record of the log
    last_alive = int(ts[good].max()) - t0 + 1
    asleep[max(last_alive, 0):] = False
    # held needs a sample to hold
    first_have = int(np.argmax(have)) if have.any() else n_sec
    asleep[:first_have] = False
    return runs_of(asleep)


def _next_true(mask: np.ndarray) -> np.ndarray:
    """For each index, the first index at or after it where ``mask`` is True (``mask.size`` if none)."""
    n = mask.size
    nxt = np.where(mask, np.arange(n), n)
    return np.minimum.accumulate(nxt[::-1])[::-1]


def _hold(data: np.ndarray, held: np.ndarray, have: np.ndarray, rate: int) -> None:
    """Fill each held interval with the last real sample before it (one step per stretch)."""
    last_have = np.maximum.accumulate(np.where(have, np.arange(have.size), -1))
    for a, b in held:
        s = last_have[a // rate - 1] if a >= rate else -1
        if s < 0:
            continue
        block = data[0, s * rate:(s + 1) * rate]
        j = s * rate + int(np.flatnonzero(~np.isnan(block))[-1])
        data[:, a:b] = data[:, j:j + 1]
