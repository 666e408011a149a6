"""Binary accelerometer files: ActiGraph ``.gt3x``, Axivity ``.cwa``, GENEActiv ``.bin``.

Read through `actfast <https://github.com/childmindresearch/actfast>`_ (the
optional extra ``plm[accel]``); see ``docs/formats_raw.md`` for why actfast
and for the rules below.

* The samples are put on a regular grid at the device's nominal rate:
  missing samples (e.g. ActiGraph idle-sleep mode, device pauses) become NaN
  gaps and the counts are recorded in ``meta["regrid"]``.
* Devices store local clock time. The UTC offset comes from ``tz=``, else
  from the file (ActiGraph ``TimeZone``, GENEActiv ``Time Zone``), else UTC is
  assumed with a warning in ``meta["warnings"]``.
* The leg comes from ``side=``, else from the file name (as for ActiLife CSV).
* ActiGraph files without a PARAMETERS record (older firmware) or with
  ACTIVITY2 records are not decoded correctly by actfast 1.x (default scale
  and rate, or no samples): they are read with ``pygt3x`` when it is
  installed, else refused with a message saying so.
"""
from __future__ import annotations

import datetime as _dt
import os
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError, MissingDependencyError
from ..model import Channel, Recording
from ._rawfiles import check_sfreq, local_start, pick_side
from .accel_csv import MAX_ACCEL_HZ

__all__ = ["read_binary_accel", "sniff"]

_MAX_SPAN_S = 60 * 86400.0  # longer than any wear protocol: a corrupt timestamp, not a recording


def sniff(path: str | os.PathLike, head: bytes) -> bool:
    """True for .gt3x (zip with log.bin/info.txt), .cwa (Axivity "MD" header) and GENEActiv .bin."""
    suffix = Path(path).suffix.lower()
    if head[:4] == b"PK\x03\x04" and (b"log.bin" in head or b"info.txt" in head or suffix == ".gt3x"):
        return True
    if head[:2] == b"MD" and suffix == ".cwa":
        return True
    return head.startswith(b"Device Identity")


def _kind(path: Path, head: bytes) -> str:
    if head[:4] == b"PK\x03\x04":
        return "gt3x"
    if head[:2] == b"MD":
        return "cwa"
    return "bin"


def read_binary_accel(
    path: str | os.PathLike,
    side: str | None = None,
    tz: Any = None,
    dtype: Any = np.float64,
) -> Recording:
    """Read a raw binary accelerometer file of one ankle.

    Parameters
    ----------
    path : path-like
        ``.gt3x``, ``.cwa`` or GENEActiv ``.bin``.
    side : {"left", "right"}, optional
        Leg; default from the file name (``*_L.gt3x``, ``left_ankle.cwa``).
    tz : str or tzinfo, optional
        Time zone of the device clock (IANA name or ``"+01:00"``).
    dtype : numpy dtype

    Returns
    -------
    Recording
        Three ``accel`` channels in g on a regular time grid.
    """
    path = Path(path)
    with open(path, "rb") as fh:
        head = fh.read(64)
    kind = _kind(path, head)
    leg = pick_side(path, side)
    notes: list[str] = []
    t_ns, acc, meta_src, sfreq_meta = _read_actfast(path, kind, notes)
    if t_ns.size == 0:
        raise InputError(path, "the file holds no raw acceleration samples")
    step = np.diff(t_ns)
    if (step <= 0).any():
        i = int(np.flatnonzero(step <= 0)[0]) + 1
        what = "repeats" if step[i - 1] == 0 else "goes back in time"
        raise InputError(path, f"sample {i}: timestamp {what}; timestamps must increase")
    sfreq = sfreq_meta if sfreq_meta else 1e9 / float(np.median(step))
    sfreq = check_sfreq(path, sfreq, MAX_ACCEL_HZ, what="sampling rate")
    span = (t_ns[-1] - t_ns[0]) / 1e9
    if span > _MAX_SPAN_S:
        raise InputError(path, f"timestamps span {span / 86400:.0f} days; the file's clock data are corrupt")
    idx = np.rint((t_ns - t_ns[0]) * (sfreq / 1e9)).astype(np.int64)
    n = int(idx[-1]) + 1
    data = np.full((3, n), np.nan, dtype=dtype)
    data[:, idx] = acc.T  # repeated grid slots: the later sample wins
    # timestamps increase, so idx never decreases: repeats are equal neighbours
    n_dup = int(np.count_nonzero(np.diff(idx) == 0))
    n_gap = int(n - (idx.size - n_dup))
    if n_gap or n_dup:
        notes.append(f"{n_gap} missing samples set to NaN and {n_dup} extra samples dropped "
                     f"when placing the data on the {sfreq:g} Hz grid")

    naive = _dt.datetime(1970, 1, 1) + _dt.timedelta(microseconds=int(t_ns[0]) // 1000)
    if tz is not None:
        start, tz_name = local_start(naive, tz, path)
    else:
        tz_name = None
        offset = _file_utc_offset(meta_src)
        if offset is None:
            offset = _dt.timezone.utc
            notes.append("the file's clock has no UTC offset; it was taken as UTC (pass tz= to set it)")
        start = naive.replace(tzinfo=offset)

    meta: dict[str, Any] = {"format": f"binary-accel ({kind})", "device_metadata": meta_src,
                            "regrid": {"missing": n_gap, "dropped": n_dup}}
    if notes:
        meta["warnings"] = notes
        for m in notes:
            warnings.warn(f"{path}: {m}", UserWarning, stacklevel=2)
    channels = tuple(Channel(f"{leg}_{ax}", "g", "accel", side=leg, axis=ax) for ax in "xyz")
    return Recording(data=data, sfreq=sfreq, channels=channels, start_time=start, timezone=tz_name,
                     device=_device_name(kind, meta_src), source=str(path), meta=meta)


def _read_actfast(path: Path, kind: str, notes: list[str]):
    """(timestamps ns, acceleration (n, 3) in g, flat metadata, nominal rate or None)."""
    try:
        import actfast
    except ImportError:
        if kind == "gt3x":
            fallback = _read_pygt3x(path, notes, missing_actfast=True)
            if fallback is not None:
                return fallback
        raise MissingDependencyError(f"reading {path.suffix or kind} files", "actfast", "accel") from None
    try:
        result = actfast.read(str(path))
    except (ValueError, OSError) as exc:
        raise InputError(path, f"cannot decode the file ({' '.join(str(exc).split())[:200]})") from None
    meta = {f"{cat}.{k}": v for cat, d in result.get("metadata", {}).items() for k, v in d.items()}
    # The table is "acceleration" for .gt3x/.cwa and "high_frequency" for GENEActiv .bin.
    tables = result.get("timeseries", {})
    series = next((t for t in tables.values() if "acceleration" in t), {})
    t_ns = np.asarray(series.get("datetime", np.zeros(0, np.int64)), dtype=np.int64)
    acc = np.asarray(series.get("acceleration", np.zeros((0, 3), np.float32))).reshape(-1, 3)
    if kind == "gt3x":
        has_params = any(k.startswith("device_feature_enabled.") for k in meta)
        if not has_params or t_ns.size == 0:
            why = ("no PARAMETERS record (older firmware): actfast would assume 30 Hz and a wrong scale"
                   if has_params is False else "no ACTIVITY records actfast can decode (ACTIVITY2 format?)")
            fallback = _read_pygt3x(path, notes)
            if fallback is not None:
                notes.append(f"read with pygt3x: {why}")
                return fallback
            raise InputError(path, f".gt3x has {why}; install pygt3x to read it (pip install pygt3x)")
    rate = _nominal_rate(meta)
    return t_ns, acc, meta, rate


def _read_pygt3x(path: Path, notes: list[str], missing_actfast: bool = False):
    try:
        from pygt3x.reader import FileReader
    except ImportError:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with FileReader(str(path)) as reader:
                frame = reader.to_pandas()
                info = {f"info.{k}": str(v) for k, v in vars(reader.info).items()}
    except Exception as exc:  # noqa: BLE001 - pygt3x raises assorted errors on bad files
        raise InputError(path, f"cannot decode the .gt3x file ({' '.join(str(exc).split())[:200]})") from None
    if "IdleSleepMode" in frame:
        # pygt3x fills idle-sleep periods by repeating the last sample; they are gaps for plm
        frame = frame[~frame["IdleSleepMode"].astype(bool)]
    t_s = frame.index.to_numpy(dtype=np.float64)
    t_ns = np.rint(t_s * 1e9).astype(np.int64)
    acc = frame[["X", "Y", "Z"]].to_numpy(dtype=np.float64)
    rate = _nominal_rate(info)
    if missing_actfast:
        notes.append("read with pygt3x (actfast not installed)")
    return t_ns, acc, info, rate


def _nominal_rate(meta: dict[str, str]) -> float | None:
    for key, value in meta.items():
        k = key.lower()
        if k.endswith(("sample rate", "sample_rate", "sample_rate_hz", "measurement frequency")):
            m = re.search(r"[0-9]+(?:\.[0-9]+)?", str(value))
            if m and float(m.group(0)) > 0:
                return float(m.group(0))
    return None


def _file_utc_offset(meta: dict[str, str]) -> _dt.timezone | None:
    for key, value in meta.items():
        k = key.lower().replace(" ", "").replace("_", "")
        if k.endswith("timezone"):
            m = re.search(r"([+-]?)(\d{1,2}):(\d{2})", str(value))
            if m:
                sign = -1 if m.group(1) == "-" else 1
                delta = _dt.timedelta(hours=int(m.group(2)), minutes=int(m.group(3)))
                if delta <= _dt.timedelta(hours=14):
                    return _dt.timezone(sign * delta)
    return None


def _device_name(kind: str, meta: dict[str, str]) -> str:
    brand = {"gt3x": "ActiGraph", "cwa": "Axivity", "bin": "GENEActiv"}[kind]
    model = next((v for k, v in meta.items() if k.lower().endswith("device type")), "")
    serial = next((v for k, v in meta.items() if "serial" in k.lower()), "")
    return " ".join(x for x in (brand, model, serial) if x)
