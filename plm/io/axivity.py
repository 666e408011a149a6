"""Axivity AX3 / AX6 ``.cwa`` decoding with per-block timing, resampled to a uniform grid.

Layout (OpenMovement's ``cwa.h`` description, as used by OmGui, GGIRread
and actipy): a 1024-byte ``MD`` header, then 512-byte ``AX`` data blocks
whose 256 little-endian words sum to 0 (mod 2**16). Each block holds
``sampleCount`` samples (120 packed 3x10-bit + exponent, 80 int16 x/y/z, or
40 int16 gyro x/y/z + accel x/y/z for the AX6), a whole-second device-clock
timestamp, the index of the sample it refers to (``timestampOffset``) and,
when the top bit of ``deviceFractional`` is set, a 15-bit fraction of that
second (the offset was then shifted by the fraction at the nominal rate,
which is undone). Rate code ``r``: ``3200 / 2**(15 - (r & 15))`` Hz, range
``16 >> (r >> 6)`` g. Unpacked accelerations are in units of
``1 / 2**(8 + n)`` g with ``n`` the top 3 bits of the light word (AX3:
1/256 g); packed ones in 1/256 g.

The real rate differs from the nominal one (a device set to 100 Hz may
sample at 98.9 Hz), so, as GGIRread and actipy do, sample times come from
the block timestamps: a block's samples are spread evenly from its first
sample time to the next block's (the nominal rate for a block without a
consecutive successor), and the signal is put on a uniform grid at the
nominal rate by linear interpolation. Blocks that are damaged (checksum,
header, impossible fields) or missing (a jump in the sequence number or in
time) leave a gap: grid points in their time are NaN, nothing else is.

Blocks are decoded in chunks (vectorised within a chunk); memory beyond the
float64 result is the file's bytes plus one chunk of samples and times.
"""
from __future__ import annotations

import datetime as _dt
import os
import urllib.parse
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from ._device import DeviceData, check_span

__all__ = ["read_cwa", "is_cwa"]

_HEADER = 1024
_BLOCK = 512
_CHUNK_BLOCKS = 16384  # about 2 M samples decoded at a time
# A consecutive block that starts within this factor of the nominal block duration continues
# the signal; outside it (device paused, clock set) the blocks are separated by a gap.
_MAX_STRETCH = 1.5


def is_cwa(head: bytes, suffix: str) -> bool:
    """True for an Axivity file: ``MD`` header (and the .cwa suffix or a data block at 1024)."""
    return head[:2] == b"MD" and (suffix == ".cwa" or head[1024:1026] == b"AX")


def _u16(b: np.ndarray, off: int) -> np.ndarray:
    return b[:, off].astype(np.int64) | (b[:, off + 1].astype(np.int64) << 8)


def _u32(b: np.ndarray, off: int) -> np.ndarray:
    return _u16(b, off) | (_u16(b, off + 2) << 16)


def _packed_time(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Seconds since 1970 of packed ``YYYYYYMM MMDDDDDh hhhhmmmm mmssssss`` values, and which are valid."""
    year = ((v >> 26) & 0x3F) + 2000
    month = (v >> 22) & 0x0F
    day = (v >> 17) & 0x1F
    hour = (v >> 12) & 0x1F
    minute = (v >> 6) & 0x3F
    second = v & 0x3F
    ok = (month >= 1) & (month <= 12) & (day >= 1) & (day <= 31) & (hour < 24) & (minute < 60) & (second < 60)
    months = (year - 1970) * 12 + np.where(ok, month - 1, 0)
    days = (np.asarray(months, dtype="timedelta64[M]") + np.datetime64("1970-01", "M")).astype("datetime64[D]")
    days = days.astype(np.int64) + np.where(ok, day - 1, 0)
    return days * 86400 + hour * 3600 + minute * 60 + second, ok


def read_cwa(path: str | os.PathLike, dtype: Any = np.float64) -> DeviceData:
    """Decode an Axivity ``.cwa`` file.

    Parameters
    ----------
    path : path-like
    dtype : numpy dtype
        Type of the returned samples.

    Returns
    -------
    DeviceData
        Accelerometer x, y, z in g on a grid at the nominal rate starting at
        the first sample; NaN only in the time of missing or damaged blocks.
    """
    path = Path(path)
    raw = np.fromfile(path, dtype=np.uint8)
    if raw.size < _HEADER or raw[:2].tobytes() != b"MD":
        raise InputError(path, "not an Axivity .cwa file (no 'MD' header block)")
    hdr = raw[:_HEADER]
    meta = _header(hdr)
    nb = (raw.size - _HEADER) // _BLOCK
    notes: list[str] = []
    if (raw.size - _HEADER) % _BLOCK:
        notes.append(f"the file ends inside a data block (cut off?); {nb} whole blocks read")
    if nb == 0:
        raise InputError(path, "the file holds no data blocks")
    blocks = raw[_HEADER:_HEADER + nb * _BLOCK].reshape(nb, _BLOCK)

    checksum_ok = (blocks.view("<u2").sum(axis=1, dtype=np.uint64) & 0xFFFF) == 0
    head_ok = (blocks[:, 0] == ord("A")) & (blocks[:, 1] == ord("X")) & (_u16(blocks, 2) == 508)
    rate_code = blocks[:, 24].astype(np.int64)
    axes = blocks[:, 25].astype(np.int64) >> 4
    packing = blocks[:, 25].astype(np.int64) & 0x0F
    count = _u16(blocks, 28)
    bytes_per = np.where(packing == 0, 4, 2 * axes)
    fields_ok = ((rate_code & 0x0F) > 0) & np.isin(axes, (3, 6, 9)) & np.isin(packing, (0, 2)) \
        & (count > 0) & (count * bytes_per <= 480) & ~((packing == 0) & (axes != 3))
    secs, time_ok = _packed_time(_u32(blocks, 14))
    valid = checksum_ok & head_ok & fields_ok & time_ok
    bad = np.flatnonzero(~valid)
    if not valid.any():
        raise InputError(path, f"none of the {nb} data blocks is intact (checksum or header damaged)")
    if bad.size:
        notes.append(f"{bad.size} damaged data block(s) ({_list(bad)}) skipped; their time is missing (NaN)")

    vi = np.flatnonzero(valid)
    freq = 3200.0 / (1 << (15 - (rate_code[vi] & 0x0F))).astype(np.float64)
    nominal = float(np.median(freq))
    if (freq != nominal).any():
        raise InputError(path, f"blocks are recorded at different rates ({sorted(set(freq.tolist()))} Hz); "
                               "plm reads one rate per file")
    frac_raw = _u16(blocks[vi], 4)
    has_frac = (frac_raw & 0x8000) != 0
    frac16 = np.where(has_frac, (frac_raw & 0x7FFF) << 1, 0)
    offset = blocks[vi, 26:28].copy().view("<i2").reshape(-1).astype(np.int64)
    # with a fraction, the firmware had shifted the offset by the fraction's samples: undo it
    offset = offset + np.where(has_frac, (frac16 * int(nominal)) >> 16, 0)
    anchor_t = secs[vi] - secs[vi[0]] + frac16 / 65536.0   # time of sample `offset` of each block
    n_smp = count[vi]
    seq = _u32(blocks[vi], 10)

    # consecutive blocks continue the signal when the sequence number goes up by one and the
    # anchors imply a plausible rate; otherwise the blocks between them are missing or damaged
    dist = n_smp[:-1] - offset[:-1] + offset[1:]            # samples between consecutive anchors
    dt = np.diff(anchor_t)
    with np.errstate(divide="ignore", invalid="ignore"):
        implied = np.where(dt > 0, dist / dt, np.where(np.abs(dist) <= 1, nominal, np.inf))
    # (writers that leave the sequence number at 0 are judged by the anchors alone)
    seq_ok = np.diff(seq) == 1 if (seq != seq[0]).any() else np.ones(dist.size, dtype=bool)
    joined = seq_ok & (implied > nominal / _MAX_STRETCH) & (implied < nominal * _MAX_STRETCH)
    if not bad.size and (~joined).any():
        notes.append(f"{int(np.count_nonzero(~joined))} break(s) between data blocks (missing blocks, device "
                     "paused or clock set); their time is missing (NaN)")
    runs = _runs(n_smp, offset, anchor_t, joined, nominal)
    back = [r for r, prev in zip(runs[1:], runs[:-1]) if r.t_start < prev.t_end - 0.5 / nominal]
    if back:
        raise InputError(path, f"the data blocks' time goes back ({len(back)} time(s)); the device clock was "
                               "set during the recording")

    # grid points at whole multiples of the sample interval on the device clock (10:55:06.000,
    # .010, ...): two decodes of one recording share them, whatever blocks are lost
    t0 = np.ceil(runs[0].t_start * nominal - 1e-9) / nominal
    check_span(path, runs[-1].t_end - t0)
    n = int(np.ceil((runs[-1].t_end - t0) * nominal - 1e-9))
    out = np.full((3, n), np.nan, dtype=dtype)
    scale_code = _u16(blocks[vi], 18) >> 13
    for run in runs:       # one step per stretch without damage; chunks of blocks inside it
        for a in range(run.k0, run.k1, _CHUNK_BLOCKS):
            b = min(run.k1, a + _CHUNK_BLOCKS)
            b_ext = min(run.k1, b + 1)          # the next block's samples let interpolation cross the edge
            sel = vi[a:b_ext]
            acc = _samples(blocks[sel], axes[sel], packing[sel], count[sel], scale_code[a:b_ext])
            i = np.arange(run.sample0(a), run.sample0(b_ext))
            t = run.time(i) - t0
            g0 = int(np.ceil((run.time(run.sample0(a)) - t0) * nominal - 1e-9))
            g_stop = run.t_end if b == run.k1 else run.time(run.sample0(b))
            g1 = min(n, int(np.ceil((g_stop - t0) * nominal - 1e-9)))
            if g1 <= g0:
                continue
            tg = np.arange(g0, g1) / nominal
            for ax in range(3):   # np.interp holds the last sample up to the run's end
                out[ax, g0:g1] = np.interp(tg, t, acc[:, ax])

    device = " ".join(x for x in ("Axivity", meta["hardware"], meta["device_id"]) if x)
    start = _dt.datetime(1970, 1, 1) + _dt.timedelta(seconds=float(secs[vi[0]]) + float(t0))
    real = float(np.median([r.rate for r in runs]))
    meta["real_rate_hz"] = round(real, 3)
    if abs(real - nominal) > 0.001 * nominal:
        notes.append(f"the device sampled at {real:.2f} Hz (set to {nominal:g} Hz); resampled to {nominal:g} Hz "
                     "by linear interpolation between the block timestamps")
    location = meta.get("annotation", {}).get("_p")
    return DeviceData(data=out, sfreq=nominal, start=start, kind="cwa", device=device,
                      metadata={k: v for k, v in meta.items() if k != "annotation"} | {
                          f"annotation.{k}": v for k, v in meta.get("annotation", {}).items()},
                      location=location, notes=notes)


class _Run:
    """Consecutive intact blocks ``k0 .. k1-1`` (indices into the valid blocks) and their clock.

    Sample ``i`` (counted from the run's first sample) lies at the time
    interpolated between the blocks' anchors (sample index, timestamp),
    i.e. at the device's real rate; before the first and after the last
    anchor the nearest pair's rate extends it (the nominal rate for a run
    with one anchor).
    """

    def __init__(self, k0, k1, first_sample, anchors, times, nominal):
        self.k0, self.k1 = int(k0), int(k1)
        self._first = first_sample              # cumulative sample index of each block of the run
        # two blocks may point at the same second's sample: one anchor per index and per time
        keep = np.r_[True, (np.diff(anchors) > 0) & (np.diff(times) > 0)]
        self.a = anchors[keep].astype(np.float64)
        self.t = times[keep]
        if self.a.size >= 2:
            self.slope0 = (self.t[1] - self.t[0]) / (self.a[1] - self.a[0])
            self.slope1 = (self.t[-1] - self.t[-2]) / (self.a[-1] - self.a[-2])
            self.rate = float((self.a[-1] - self.a[0]) / (self.t[-1] - self.t[0]))
        else:
            self.slope0 = self.slope1 = 1.0 / nominal
            self.rate = nominal
        self.n = int(first_sample[-1])
        self.t_start = float(self.time(0))
        self.t_end = float(self.time(self.n))   # one sample after the last: the run's end

    def sample0(self, k: int) -> int:
        """Run sample index of block ``k``'s first sample (``k == k1``: one past the last sample)."""
        return int(self._first[k - self.k0])

    def time(self, i):
        i = np.asarray(i, dtype=np.float64)
        t = np.interp(i, self.a, self.t)
        t = np.where(i < self.a[0], self.t[0] + (i - self.a[0]) * self.slope0, t)
        return np.where(i > self.a[-1], self.t[-1] + (i - self.a[-1]) * self.slope1, t)


def _runs(n_smp, offset, anchor_t, joined, nominal) -> list[_Run]:
    """Split the valid blocks into runs at every break."""
    cuts = np.r_[0, np.flatnonzero(~joined) + 1, n_smp.size]
    out = []
    for k0, k1 in zip(cuts[:-1], cuts[1:]):    # one step per run
        first = np.r_[0, np.cumsum(n_smp[k0:k1])]
        out.append(_Run(k0, k1, first, first[:-1] + offset[k0:k1], anchor_t[k0:k1], nominal))
    return out


def _samples(b: np.ndarray, axes, packing, count, scale_code) -> np.ndarray:
    """Accelerometer samples of the blocks, concatenated: (sum(count), 3) float64 in g."""
    out = []
    for (nax, pk, cnt, sc), rows in _groups(axes, packing, count, scale_code):
        data = b[rows, 30:30 + cnt * (4 if pk == 0 else 2 * nax)]
        if pk == 0:
            v = data.copy().view("<u4").reshape(len(rows), cnt).astype(np.int64)
            e = v >> 30
            xyz = np.stack([(v >> s) & 0x3FF for s in (0, 10, 20)], axis=-1)
            xyz = np.where(xyz >= 512, xyz - 1024, xyz) << e[..., None]
            g = xyz / 256.0
        else:
            v = data.copy().view("<i2").reshape(len(rows), cnt, nax)
            acc = v[..., 3:6] if nax >= 6 else v[..., 0:3]  # AX6: gyro x/y/z, then accel x/y/z
            g = acc / float(1 << (8 + int(sc)))
        out.append((rows, g))
    total = int(count.sum())
    res = np.empty((total, 3))
    starts = np.cumsum(count) - count
    for rows, g in out:
        idx = (starts[rows][:, None] + np.arange(g.shape[1])).reshape(-1)
        res[idx] = g.reshape(-1, 3)
    return res


def _groups(*cols):
    """Row indices grouped by equal values across the columns (few groups: one per block layout)."""
    keys = np.stack([np.asarray(c, dtype=np.int64) for c in cols], axis=1)
    uniq, inv = np.unique(keys, axis=0, return_inverse=True)
    for j, key in enumerate(uniq):
        yield tuple(int(x) for x in key), np.flatnonzero(inv.reshape(-1) == j)


def _header(h: np.ndarray) -> dict:
    hw = int(h[4])
    lower = int(h[5]) | int(h[6]) << 8
    upper = int(h[11]) | int(h[12]) << 8
    upper = 0 if upper == 0xFFFF else upper
    rate = int(h[36])
    text = bytes(h[64:512]).rstrip(b"\x00\xff ").decode("latin-1", errors="replace")
    pairs = {}
    for k, v in urllib.parse.parse_qsl(text, keep_blank_values=True):
        pairs[k.strip()] = v.strip()
    return {
        "hardware": "AX6" if hw == 0x64 else "AX3",
        "device_id": str(upper * 65536 + lower),
        "session_id": str(int.from_bytes(bytes(h[7:11]), "little")),
        "firmware_revision": str(int(h[41])),
        "sample_rate_hz": f"{3200 / (1 << (15 - (rate & 15))):g}" if rate & 15 else "",
        "accelerometer_range_g": str(16 >> (rate >> 6)) if rate else "",
        "annotation": pairs,
    }


def _list(idx: np.ndarray, limit: int = 8) -> str:
    shown = ", ".join(str(int(i)) for i in idx[:limit])
    return f"blocks {shown}" + (f" and {idx.size - limit} more" if idx.size > limit else "")
