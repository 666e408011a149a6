"""Writers of small ActiGraph .gt3x, GENEActiv .bin and Axivity .cwa files for the tests.

The .gt3x writer follows ActiGraph's published format description
(github.com/actigraph/GT3X-File-Format: zip with info.txt and log.bin;
log records 0x1E, type, uint32 time, uint16 size, payload, 1's-complement
XOR checksum; ACTIVITY = 12-bit YXZ samples; PARAMETERS = 8-byte key/value
pairs with SSP-encoded floats); the others are described at each writer.
"""
from __future__ import annotations

import datetime as dt
import struct
import zipfile
from pathlib import Path

import numpy as np

START = dt.datetime(2026, 3, 1, 22, 30)


def _ticks(d: dt.datetime) -> int:  # .NET ticks: 100 ns since 0001-01-01
    return int((d - dt.datetime(1, 1, 1)).total_seconds()) * 10_000_000


def _record(typ: int, ts: int, payload: bytes) -> bytes:
    head = struct.pack("<BBIH", 0x1E, typ, ts, len(payload))
    c = 0
    for b in head + payload:
        c ^= b
    return head + payload + bytes([(~c) & 0xFF])


def _pack12(vals: np.ndarray) -> bytes:
    v = (np.asarray(vals, dtype=np.int64) & 0xFFF).reshape(-1)
    if v.size % 2:
        v = np.append(v, 0)
    a, b = v[0::2], v[1::2]
    return np.stack([a >> 4, ((a & 0xF) << 4) | (b >> 8), b & 0xFF], axis=1).astype(np.uint8).tobytes()


def _ssp(f: float) -> int:
    """ActiGraph SSP float: 24-bit two's-complement fraction, 8-bit exponent."""
    m, e = np.frexp(f)  # f = m * 2**e with 0.5 <= |m| < 1
    code = int(m * 2 ** 23) & 0xFFFFFF
    return code | ((int(e) & 0xFF) << 24)


def write_gt3x(path: Path, counts: np.ndarray, fs: int = 30, scale: float = 256.0, params: bool = True,
               skip_seconds=(), timezone: str | None = "01:00:00", sleep=None) -> Path:
    """counts: (n, 3) int x, y, z; one ACTIVITY record per second.

    ``sleep=(a, b)``: idle-sleep mode from second ``a`` to ``b``: EVENT records 0x08 at ``a`` and
    0x09 at ``b``, no ACTIVITY records in between (the EVENT payloads as ActiGraph's pygt3x reads them).
    """
    ts0 = int((START - dt.datetime(1970, 1, 1)).total_seconds())
    log = b""
    if params:
        pairs = [(0, 55, _ssp(scale)), (1, 10, fs)]  # ACCEL_SCALE, SAMPLE_RATE
        log += _record(0x15, ts0, b"".join(struct.pack("<HHI", a, i, v) for a, i, v in pairs))
    n_s = counts.shape[0] // fs
    for s in range(n_s):
        if sleep and s == sleep[0]:
            log += _record(0x03, ts0 + s, b"\x08")
        if sleep and s == sleep[1]:
            log += _record(0x03, ts0 + s, b"\x09")
        if s in skip_seconds or (sleep and sleep[0] <= s < sleep[1]):
            continue
        blk = counts[s * fs:(s + 1) * fs]
        log += _record(0x00, ts0 + s, _pack12(blk[:, [1, 0, 2]]))
    info = [f"Serial Number: NEO1F18120001", "Device Type: GT3XPlus", "Firmware: 3.2.1", f"Sample Rate: {fs}",
            f"Start Date: {_ticks(START)}", f"Last Sample Time: {_ticks(START + dt.timedelta(seconds=n_s))}",
            f"Acceleration Scale: {scale}"]
    if timezone:
        info.append(f"TimeZone: {timezone}")
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("info.txt", "\r\n".join(info) + "\r\n")
        z.writestr("log.bin", log)
    return path


def write_geneactiv_bin(path: Path, counts: np.ndarray, fs: int = 100, per_page: int = 300, gain: int = 25548,
                        offset: int = 0, time_zone: str | None = "GMT +01:00") -> Path:
    """A GENEActiv .bin: a 59-line text header, then 10-line pages whose last line is hex data.

    Each sample is 48 bits: x, y, z as 12-bit two's complement, 10-bit light, button, 1 spare bit;
    calibrated g = (count * 100 - offset) / gain (facts from the actfast reader's decoding).
    """
    config = ["Configuration Info", f"Measurement Frequency:{fs} Hz", "Measurement Period:168 Hours",
              "Start Time:2026-03-01 22:30:00:000"]
    if time_zone:
        config.append(f"Time Zone:{time_zone}")
    header = (["Device Identity", "Device Unique Serial Code:012345", "Device Type:GENEActiv",
               "Device Model:1.1", ""] + config + [""] +
              ["Calibration Data", f"x gain:{gain}", f"x offset:{offset}", f"y gain:{gain}", f"y offset:{offset}",
               f"z gain:{gain}", f"z offset:{offset}", "Volts:300", "Lux:800", "",
               "Memory Status", f"Number of Pages:{len(counts) // per_page}", ""])
    header += [""] * (59 - len(header))
    lines = list(header)
    for k in range(len(counts) // per_page):
        blk = counts[k * per_page:(k + 1) * per_page].astype(np.int64) & 0xFFF
        words = (blk[:, 0] << 36) | (blk[:, 1] << 24) | (blk[:, 2] << 12)
        t = START + dt.timedelta(seconds=k * per_page / fs)
        lines += ["Recorded Data", "Device Unique Serial Code:012345", f"Sequence Number:{k}",
                  f"Page Time:{t:%Y-%m-%d %H:%M:%S}:{t.microsecond // 1000:03d}", "Unassigned:",
                  "Temperature:25.0", "Battery voltage:4.0", "Device Status:Recording",
                  f"Measurement Frequency:{fs}.0", "".join(f"{int(w):012X}" for w in words)]
    path.write_text("\r\n".join(lines) + "\r\n")
    return path


def write_cwa(path: Path, counts: np.ndarray, rate_byte: int = 0x4A, fs: int = 100, per: int = 80,
              skip_sectors=()) -> Path:
    """An Axivity .cwa: a 1024-byte "MD" header, then 512-byte "AX" sectors of 80 unpacked int16 x/y/z samples.

    Layout facts from the OpenMovement AX3 technical description (as decoded by actfast): packed
    local timestamp (year-2000, month, day, hour, minute, second bit fields) for sample `shift`
    (offset 26); rate byte 0x4A = 100 Hz, 8 g; numAxesBPS 0x32 = 3 axes of 16 bits; scale code 0 =
    1/256 g; the 256 little-endian words of a sector sum to 0 mod 2**16.
    """
    def packed(d):
        return (d.year - 2000) << 26 | d.month << 22 | d.day << 17 | d.hour << 12 | d.minute << 6 | d.second

    out = bytearray(1024)
    out[0:2] = b"MD"
    struct.pack_into("<H", out, 2, 1020)
    out[36] = rate_byte
    for k in range(len(counts) // per):
        if k in skip_sectors:
            continue
        sec = bytearray(512)
        sec[0:2] = b"AX"
        struct.pack_into("<H", sec, 2, 508)
        t_k = k * per / fs
        whole = int(np.ceil(t_k))
        struct.pack_into("<I", sec, 14, packed(START + dt.timedelta(seconds=whole)))
        sec[24], sec[25] = rate_byte, 0x32
        struct.pack_into("<hH", sec, 26, int(round((whole - t_k) * fs)), per)
        sec[30:30 + per * 6] = counts[k * per:(k + 1) * per].astype("<i2").tobytes()
        struct.pack_into("<H", sec, 510, (-int(np.frombuffer(bytes(sec[:510]), "<u2").sum())) & 0xFFFF)
        out += sec
    path.write_bytes(bytes(out))
    return path
