"""Time and peak memory of plm's .gt3x and .cwa decoders on generated day-long files.

Each file is decoded in a fresh process; the peak RSS growth during the decode is given relative to
the float64 result (3 x n samples). Beside plm: the *floor* (unzip or read the bytes, view them as
int16, convert to float64 g: the least work any decoder does) and, for .cwa, actfast (Rust);
``--pygt3x`` adds ActiGraph's reader on the .gt3x (slow: a Python step per record and per event).

Usage: python bench/read_device_files.py [--hours 24] [--pygt3x]
"""
from __future__ import annotations

import argparse
import datetime as dt
import struct
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

START = dt.datetime(2026, 3, 1, 22, 0)
FS = 100


def write_gt3x(path: Path, hours: float, rng) -> int:
    """ACTIVITY2 records (int16 x/y/z, one per second) with idle sleep 20 of every 30 min."""
    n_s = int(hours * 3600)
    t0 = int((START - dt.datetime(1970, 1, 1)).total_seconds())
    sec = np.arange(n_s)
    asleep = (sec % 1800) >= 600
    data_s = sec[~asleep]
    counts = np.clip(rng.normal(0, 60, (data_s.size, FS, 3)) + [0, 0, 256], -32768, 32767).astype("<i2")
    # fixed-size records: header (1E, type, time, size) + 600 payload bytes + checksum, built as one array
    rec = np.zeros((data_s.size, 9 + 6 * FS), dtype=np.uint8)
    rec[:, 0], rec[:, 1] = 0x1E, 0x1A
    rec[:, 2:6] = (t0 + data_s).astype("<u4").view(np.uint8).reshape(-1, 4)
    rec[:, 6:8] = np.frombuffer(struct.pack("<H", 6 * FS), np.uint8)
    rec[:, 8:-1] = counts.reshape(data_s.size, -1).view(np.uint8)
    rec[:, -1] = ~np.bitwise_xor.reduce(rec[:, :-1], axis=1)
    # idle-sleep events where sleep starts (0x08) and ends (0x09), put at the right place in time
    enter = sec[asleep & ~np.r_[False, asleep[:-1]]]
    leave = sec[~asleep & np.r_[False, asleep[:-1]]]
    events = []
    for code, secs in ((8, enter), (9, leave)):
        ev = np.zeros((secs.size, 10), dtype=np.uint8)
        ev[:, 0], ev[:, 1], ev[:, 6], ev[:, 8] = 0x1E, 0x03, 1, code
        ev[:, 2:6] = (t0 + secs).astype("<u4").view(np.uint8).reshape(-1, 4)
        ev[:, -1] = ~np.bitwise_xor.reduce(ev[:, :-1], axis=1)
        events.append((secs, ev))
    chunks = [(int(s), r.tobytes()) for s, r in zip(data_s, rec)]
    # an event goes before the activity record of its second
    chunks += [(int(s) - 0.5, r.tobytes()) for secs, ev in events for s, r in zip(secs, ev)]
    chunks.sort(key=lambda c: c[0])
    ticks = lambda d: int((d - dt.datetime(1, 1, 1)).total_seconds()) * 10_000_000  # noqa: E731
    info = ["Serial Number: TAS1H00000001", "Device Type: Link", "Firmware: 1.7.2", f"Sample Rate: {FS}",
            f"Start Date: {ticks(START)}", f"Last Sample Time: {ticks(START + dt.timedelta(seconds=n_s))}",
            "Acceleration Scale: 256.0", "TimeZone: 01:00:00", "Limb: Ankle", "Side: Left"]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("info.txt", "\r\n".join(info) + "\r\n")
        z.writestr("log.bin", b"".join(c for _, c in chunks))
    return n_s * FS


def write_cwa(path: Path, hours: float, rng) -> int:
    """AX3 blocks of 80 int16 x/y/z samples at 100 Hz with whole-second timestamps."""
    n = int(hours * 3600 * FS) // 80 * 80
    nb = n // 80
    blocks = np.zeros((nb, 512), dtype=np.uint8)
    blocks[:, 0:2] = np.frombuffer(b"AX", np.uint8)
    blocks[:, 2:4] = np.frombuffer(struct.pack("<H", 508), np.uint8)
    blocks[:, 10:14] = np.arange(nb, dtype="<u4").view(np.uint8).reshape(-1, 4)
    t_first = np.arange(nb) * 0.8
    whole = np.ceil(t_first).astype(np.int64)
    packed = np.array([(d.year - 2000) << 26 | d.month << 22 | d.day << 17 | d.hour << 12 | d.minute << 6 | d.second
                       for d in (START + dt.timedelta(seconds=int(w)) for w in np.unique(whole))], dtype=np.int64)
    blocks[:, 14:18] = packed[np.searchsorted(np.unique(whole), whole)].astype("<u4").view(np.uint8).reshape(-1, 4)
    blocks[:, 24], blocks[:, 25] = 0x4A, 0x32
    blocks[:, 26:28] = np.rint((whole - t_first) * FS).astype("<i2").view(np.uint8).reshape(-1, 2)
    blocks[:, 28:30] = np.frombuffer(struct.pack("<H", 80), np.uint8)
    blocks[:, 30:510] = np.clip(rng.normal(0, 60, (nb, 240)) + np.tile([0, 0, 256], 80), -32768, 32767
                                ).astype("<i2").view(np.uint8)
    words = blocks[:, :510].copy().view("<u2").astype(np.int64).sum(axis=1)
    blocks[:, 510:512] = ((-words) & 0xFFFF).astype("<u2").view(np.uint8).reshape(-1, 2)
    header = bytearray(1024)
    header[0:2], header[2:4], header[36] = b"MD", struct.pack("<H", 1020), 0x4A
    path.write_bytes(bytes(header) + blocks.tobytes())
    return n


_RUN = """
import sys, time, json
def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) * 1024
what, path = sys.argv[1], sys.argv[2]
import numpy as np, zipfile
if what == "plm":
    from plm.io.binary_accel import read_binary_accel as f
    import warnings; warnings.simplefilter("ignore")
    run = lambda: f(path, side="left", tz="UTC").data
elif what == "floor-gt3x":
    def run():
        raw = np.frombuffer(zipfile.ZipFile(path).read("log.bin"), np.uint8)
        return (raw[: raw.size // 6 * 6].view("<i2").reshape(-1, 3).T / 256.0)
elif what == "floor-cwa":
    def run():
        b = np.fromfile(path, np.uint8)[1024:].reshape(-1, 512)
        return b[:, 30:510].copy().view("<i2").reshape(-1, 3).T / 256.0
elif what == "actfast":
    import actfast
    run = lambda: np.asarray(actfast.read(path)["timeseries"]["high_frequency"]["acceleration"], np.float64).T
elif what == "pygt3x":
    from pygt3x.reader import FileReader
    import warnings; warnings.simplefilter("ignore")
    def run():
        with FileReader(path) as r:
            return r.to_pandas()[["X", "Y", "Z"]].to_numpy(np.float64).T
open("/proc/self/clear_refs", "w").write("5")
base = status("VmRSS:")
t = time.perf_counter()
out = run()
el = time.perf_counter() - t
print(json.dumps({"s": el, "peak": (status("VmHWM:") - base), "n": int(out.shape[1])}))
"""


def measure(what: str, path: Path) -> dict:
    import json

    res = subprocess.run([sys.executable, "-c", _RUN, what, str(path)], capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=24.0)
    ap.add_argument("--pygt3x", action="store_true", help="also time ActiGraph's pygt3x (slow)")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as d:
        g, c = Path(d) / "day_L.gt3x", Path(d) / "day_L.cwa"
        n_g, n_c = write_gt3x(g, args.hours, rng), write_cwa(c, args.hours, rng)
        rows = [(".gt3x", "plm", measure("plm", g), n_g), (".gt3x", "floor (int16 view)", measure("floor-gt3x", g), n_g)]
        if args.pygt3x:
            rows.append((".gt3x", "pygt3x", measure("pygt3x", g), n_g))
        rows += [(".cwa", "plm", measure("plm", c), n_c), (".cwa", "floor (int16 view)", measure("floor-cwa", c), n_c)]
        try:
            import actfast  # noqa: F401

            rows.append((".cwa", "actfast", measure("actfast", c), n_c))
        except ImportError:
            pass
        sizes = {".gt3x": g.stat().st_size / 1e6, ".cwa": c.stat().st_size / 1e6}
    print(f"{args.hours:g} h at {FS} Hz (.gt3x: idle sleep 20 of every 30 min); 2 shared cores, best of 1")
    print(f"{'file':6s} {'MB':>6s} {'reader':20s} {'s':>7s} {'samples':>10s} {'peak RSS / float64 result':>26s}")
    for kind, who, m, n in rows:
        print(f"{kind:6s} {sizes[kind]:6.1f} {who:20s} {m['s']:7.2f} {m['n']:10d} {m['peak'] / (24 * n):26.2f}")


if __name__ == "__main__":
    main()
