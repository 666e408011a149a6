"""The native ``plm`` HDF5 container: a recording and its scored results.

Layout (documented for other tools in ``docs/hdf5.md``)::

    /                      attrs: plm_format="plm-hdf5", plm_format_version=1, plm_version
    /recording             attrs: sfreq, start_time (ISO 8601 with UTC offset), timezone,
                                  device, source, meta (JSON), lights_off, lights_on (if known)
    /recording/data        (n_channels, n_samples), chunked, gzip + shuffle; attrs: units
    /recording/channels/   name, unit, modality, side, axis (string datasets, one entry per row)
    /recording/hypnogram/  stages (strings); attrs: epoch_length, onset
    /recording/respiratory/, /recording/arousals/   onset, duration, label
    /results/<criteria hash>/          attrs: criteria (JSON), criteria_name, criteria_hash,
                                              plm_version, start_time, source
    /results/<criteria hash>/events/   one dataset per column of NightResult.events
    /results/<criteria hash>/lms/      one dataset per column of NightResult.lms
    /results/<criteria hash>/summary   scalar string: NightResult.summary() as strict JSON
    /results/<criteria hash>/hypnogram/  as under /recording, when the result has staging

Several nights scored with one criteria set go to
``/results/<criteria hash>/<night label>/`` with the same members.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import json
import math
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from .._version import __version__
from ..errors import InputError, PlmError
from ..model import Channel, Hypnogram, Recording, ScoredEvents
from ..model.context import CONTEXT_FIELDS
from ..atomic import atomic_path, check_free_space
from ..interrupt import deferred_sigint
from ..plausibility import MAX_CHANNELS, check_rate, check_size

__all__ = ["write_recording", "read_hdf5", "holds_recording", "write_result", "read_results", "sniff", "FORMAT_NAME",
           "FORMAT_VERSION"]

FORMAT_NAME = "plm-hdf5"
FORMAT_VERSION = 2
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
_CHUNK_SAMPLES = 1 << 16

#: HDF5 1.8 file structures or later: the superblock, object headers and chunk
#: indexes carry checksums that libhdf5 verifies on reading, and the signal
#: chunks carry Fletcher-32 checksums. A damaged file is then refused with an
#: error instead of being parsed: older, unchecked structures made libhdf5 hang
#: or crash on some corrupted files (found by tests/test_fuzz_readers.py).
LIBVER = ("v108", "latest")


def sniff(path: str | os.PathLike, head: bytes) -> bool:
    """True for an HDF5 file (signature at byte 0, or after a 512-byte user block)."""
    return head[:8] == HDF5_MAGIC or any(head[o:o + 8] == HDF5_MAGIC for o in (512, 1024, 2048, 4096, 8192))


def _h5py():
    import h5py  # core dependency; imported lazily to keep `import plm` light

    return h5py


def _write_strings(group, name: str, values) -> None:
    group.create_dataset(name, data=_fixed_text(np.ravel(np.asarray(values, dtype=object))))


def _fixed_text(values) -> np.ndarray:
    """UTF-8 strings as a fixed-length HDF5 string array.

    Fixed-length strings live in the dataset or attribute itself, covered by
    the object header's checksum; variable-length ones live in the global
    heap, which has none, and a damaged heap made libhdf5 hang or crash.
    """
    h5py = _h5py()
    enc = [str(v).encode("utf-8") for v in np.asarray(values, dtype=object).reshape(-1)]
    width = max([1] + [len(b) for b in enc])
    arr = np.array(enc, dtype=f"S{width}").reshape(np.shape(values))
    return arr.astype(h5py.string_dtype("utf-8", width))


def _set_text(attrs, name: str, value: str) -> None:
    """Store ``value`` as a fixed-length UTF-8 string attribute (see :func:`_fixed_text`)."""
    arr = _fixed_text(str(value))
    attrs.create(name, arr, dtype=arr.dtype)


def _read_strings(ds) -> np.ndarray:
    vals = ds.asstr()[()] if ds.shape != () else [ds.asstr()[()]]
    return np.asarray([str(v) for v in vals], dtype=str)


def _write_table(group, table) -> None:
    """Store a DataFrame of per-LM columns, one dataset per column."""
    columns = [str(c) for c in table.columns]
    _set_text(group.attrs, "columns", json.dumps(columns))
    for col in columns:
        arr = table[col].to_numpy()
        if arr.dtype.kind in "USO":
            _write_strings(group, col, arr)
        else:
            group.create_dataset(col, data=arr)
        _set_text(group[col].attrs, "dtype", arr.dtype.str)


def _read_table(group) -> dict[str, np.ndarray]:
    """The columns of a stored table (the result makes a DataFrame of them)."""
    cols = json.loads(group.attrs["columns"]) if "columns" in group.attrs else sorted(group.keys())
    out = {}
    for col in cols:
        ds = group[col]
        dt = np.dtype(_attr_str(ds, "dtype") or ds.dtype.str)
        if dt.kind in "USO":
            vals = _read_strings(ds)
            out[col] = vals.astype(dt) if dt.kind == "U" else vals
        else:
            out[col] = np.asarray(ds[()], dtype=dt)
    if "type" in out and "trial_type" not in out:  # written before plm named the column as BIDS does
        out = {("trial_type" if k == "type" else k): v for k, v in out.items()}
    return out


def _write_events(group, ev: ScoredEvents) -> None:
    group.create_dataset("onset", data=ev.onset)
    group.create_dataset("duration", data=ev.duration)
    _write_strings(group, "label", ev.label)


def _write_hypnogram(group, hyp: Hypnogram) -> None:
    _write_strings(group, "stages", hyp.stages)
    group.attrs["epoch_length"] = hyp.epoch_length
    group.attrs["onset"] = hyp.onset


def _read_hypnogram(group) -> Hypnogram:
    stages = group["stages"]
    if stages.size > _MAX_ROWS:
        raise ValueError(f"hypnogram holds {stages.size} epochs")
    return Hypnogram(_read_strings(stages), float(group.attrs["epoch_length"]), float(group.attrs["onset"]))


def _json_default(obj):
    if hasattr(obj, "item"):
        return obj.item()
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if isinstance(obj, (_dt.datetime, _dt.date)):
        return obj.isoformat()
    return str(obj)


class _WriteGuard:
    """The output file as h5py sees it (``driver="fileobj"``): a write never fails.

    When the disk fills up in the middle of a write, libhdf5 2.0 crashes the
    interpreter while closing the file (segmentation fault, after hundreds of
    lines of error stack). Here a failed write is remembered and reported to
    HDF5 as done, so the library finishes and closes normally; the file is
    then discarded and the remembered error raised (:meth:`check`).
    """

    def __init__(self, path: Path) -> None:
        self._fh = open(path, "r+b", buffering=0)  # unbuffered: an error belongs to the write that caused it
        self.error: OSError | None = None

    def _failed(self, exc: OSError) -> None:
        if self.error is None:
            self.error = exc

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._fh.seek(offset, whence)

    def tell(self) -> int:
        return self._fh.tell()

    def read(self, size: int = -1) -> bytes:
        return self._fh.read(size)

    def readinto(self, buffer) -> int:
        return self._fh.readinto(buffer)

    def write(self, data) -> int:
        view = memoryview(data).cast("B")
        size = view.nbytes
        pos = self._fh.tell()
        if self.error is None:
            try:
                while view.nbytes:
                    view = view[self._fh.write(view):]
                return size
            except OSError as exc:
                self._failed(exc)
        self._fh.seek(pos + size)  # as if written: HDF5 must not see the failure
        return size

    def truncate(self, size: int | None = None) -> int:
        try:
            return self._fh.truncate(size)
        except OSError as exc:
            self._failed(exc)
            return self._fh.tell() if size is None else size

    def flush(self) -> None:
        return None  # unbuffered; durability is atomic_path's fsync

    def close(self) -> None:
        self._fh.close()

    def check(self) -> None:
        """Raise the first write error (ENOSPC becomes ``<path>: no space left on device`` in atomic_path)."""
        if self.error is not None:
            raise self.error


@contextlib.contextmanager
def _writable_file(tmp: Path, mode: str):
    """An h5py file on ``tmp``; failed writes and Ctrl-C are raised only after HDF5 closed it (:class:`_WriteGuard`)."""
    h5py = _h5py()
    guard = _WriteGuard(tmp)
    try:
        # Ctrl-C inside a write callback would also be a failed write: it waits until the file is closed.
        with deferred_sigint(), h5py.File(guard, mode, **({"libver": LIBVER} if mode == "w" else {})) as f:
            yield f
    finally:
        guard.close()
    guard.check()


def write_recording(path: str | os.PathLike, recording: Recording, compression: int = 4) -> Path:
    """Write a recording to a new ``plm`` HDF5 file (replacing any file there).

    Parameters
    ----------
    path : path-like
        Output ``.h5`` file; written under a temporary name, then renamed.
    recording : Recording
    compression : int
        gzip level 0-9 (4 is a good size/speed balance for leg signals).

    Returns
    -------
    Path
    """
    path = Path(path)
    check_free_space(path)
    with atomic_path(path) as tmp, _writable_file(tmp, "w") as f:
        _set_text(f.attrs, "plm_format", FORMAT_NAME)
        f.attrs["plm_format_version"] = FORMAT_VERSION
        _set_text(f.attrs, "plm_version", __version__)
        _fill_recording(f.create_group("recording"), recording, compression)
    return path


def _fill_recording(g, rec: Recording, compression: int) -> None:
    g.attrs["sfreq"] = float(rec.sfreq)
    _set_text(g.attrs, "start_time", rec.start_time.isoformat())
    _set_text(g.attrs, "timezone", rec.timezone or "")
    _set_text(g.attrs, "device", rec.device or "")
    _set_text(g.attrs, "source", rec.source or "")
    _set_text(g.attrs, "meta", json.dumps(rec.meta, default=_json_default))
    for name in ("lights_off", "lights_on"):
        value = getattr(rec, name)
        if value is not None:
            g.attrs[name] = float(value)
    data = np.asarray(rec.data)
    chunks = (1, int(min(max(data.shape[1], 1), _CHUNK_SAMPLES))) if data.size else None
    ds = g.create_dataset(
        "data", data=data, chunks=chunks, compression="gzip" if chunks else None,
        compression_opts=compression if chunks else None, shuffle=bool(chunks), fletcher32=bool(chunks),
    )
    _set_text(ds.attrs, "units", json.dumps([c.unit for c in rec.channels]))
    ch = g.create_group("channels")
    for field in ("name", "unit", "modality", "side", "axis"):
        _write_strings(ch, field, [getattr(c, field) or "" for c in rec.channels])
    if rec.hypnogram is not None:
        _write_hypnogram(g.create_group("hypnogram"), rec.hypnogram)
    for name in ("respiratory", "arousals"):
        ev = getattr(rec, name)
        if ev is not None:
            _write_events(g.create_group(name), ev)


def _open(path: Path):
    """Open an HDF5 file for reading, refusing one that reaches outside itself."""
    h5py = _h5py()
    try:
        f = h5py.File(path, "r")
    except (OSError, ValueError) as exc:
        raise InputError(path, f"cannot open as HDF5 ({' '.join(str(exc).split())})") from None
    try:
        _check_self_contained(path, f)
    except BaseException:
        f.close()
        raise
    return f


#: Objects examined before a file is refused as too large to be a plm file.
_MAX_OBJECTS = 100_000


def _check_self_contained(path: Path, f) -> None:
    """Refuse HDF5 features that read other files.

    External links open another HDF5 file, external storage reads a
    dataset's bytes from any named file, and virtual datasets map data from
    other files: a crafted file would make plm read an arbitrary local file
    as signal. plm never writes them. Soft links stay inside the file (a path
    through an external link is caught at that link). Every object reachable
    by hard links is examined (h5py's visit follows hard links only, each
    object once), without opening any link target.
    """
    h5py = _h5py()
    count = 0

    def links(group, prefix: str) -> str | None:
        for key in group:
            link = group.get(key, getlink=True)
            if isinstance(link, h5py.ExternalLink):
                return f"{prefix}/{key} is an external link to {link.filename!r}"
        return None

    def visit(name: str, obj) -> str | None:
        nonlocal count
        count += 1
        if count > _MAX_OBJECTS:
            return f"more than {_MAX_OBJECTS} objects; not a plm file"
        if isinstance(obj, h5py.Dataset):
            if obj.is_virtual:
                return f"/{name} is a virtual dataset (its data come from other files)"
            if obj.external:
                return f"/{name} keeps its data in external file(s) {[e[0] for e in obj.external]}"
            return None
        return links(obj, f"/{name}")

    with _damaged_file_errors(path):
        problem = links(f, "") or f.visititems(visit)
    if problem:
        raise InputError(path, f"HDF5 file reaches outside itself: {problem}; plm reads self-contained files only "
                               "(recreate it with `plm convert`)")


@contextlib.contextmanager
def _damaged_file_errors(path: Path):
    """Turn h5py's errors on a damaged file into one InputError naming it.

    A corrupted or truncated HDF5 file fails deep inside h5py with OSError,
    RuntimeError, KeyError, ... at whatever object the damage hits.
    """
    try:
        yield
    except PlmError:
        raise
    except (OSError, RuntimeError, KeyError, ValueError, TypeError, IndexError, AttributeError) as exc:
        raise InputError(path, f"HDF5 file is damaged or incomplete ({' '.join(str(exc).split())[:200]})") from None


def _check_plm(path: Path, f) -> None:
    fmt = f.attrs.get("plm_format")
    if isinstance(fmt, bytes):
        fmt = fmt.decode()
    if fmt != FORMAT_NAME:
        raise InputError(path, "HDF5 file was not written by plm (no plm_format attribute); convert it with `plm convert`")
    version = int(f.attrs.get("plm_format_version", 0))
    if version > FORMAT_VERSION:
        raise InputError(path, f"plm HDF5 format version {version} is newer than this plm reads ({FORMAT_VERSION}); update plm")


def holds_recording(path: str | os.PathLike) -> bool:
    """True when a ``plm`` HDF5 file holds a recording (False: scored results only).

    Parameters
    ----------
    path : path-like

    Returns
    -------
    bool
    """
    path = Path(path)
    with _damaged_file_errors(path), _open(path) as f:
        _check_plm(path, f)
        return "recording" in f


def read_hdf5(path: str | os.PathLike) -> Recording:
    """Read the recording of a ``plm`` HDF5 file.

    Parameters
    ----------
    path : path-like

    Returns
    -------
    Recording
        Identical signals, rate, channel roles, start time, time zone, staging
        and events to the recording that was written.
    """
    path = Path(path)
    with _damaged_file_errors(path), _open(path) as f:
        _check_plm(path, f)
        if "recording" not in f:
            raise InputError(path, "plm HDF5 file holds no /recording, only scored results (`plm info` lists them)")
        g = f["recording"]
        try:
            ch = g["channels"]
            fields = {k: _read_strings(_bounded(path, ch[k], MAX_CHANNELS, f"channels/{k}"))
                      for k in ("name", "unit", "modality", "side", "axis")}
            channels = tuple(
                Channel(str(n), str(u), str(m), side=str(s) or None, axis=str(a) or None)
                for n, u, m, s, a in zip(fields["name"], fields["unit"], fields["modality"], fields["side"], fields["axis"])
            )
            start = _dt.datetime.fromisoformat(_attr_str(g, "start_time"))
            sfreq = float(g.attrs["sfreq"])
            # rate and size before the signal is allocated (a damaged or crafted shape could ask for terabytes)
            kinds = {c.modality for c in channels if c.side is not None}
            check_rate(path, sfreq, kinds.pop() if len(kinds) == 1 else "other")
            data = _read_signal(path, g["data"], len(channels), sfreq)
            meta = _checked_meta(path, json.loads(_attr_str(g, "meta") or "{}"))
            hyp = _read_hypnogram(g["hypnogram"]) if "hypnogram" in g else None
            events = {}
            for name in ("respiratory", "arousals"):
                if name in g:
                    e = g[name]
                    events[name] = ScoredEvents(*(_bounded(path, e[k], _MAX_ROWS, f"{name}/{k}")[()] for k in
                                                  ("onset", "duration")), _read_strings(e["label"]))
            lights = {k: float(g.attrs[k]) for k in ("lights_off", "lights_on") if k in g.attrs}
            tz = _attr_str(g, "timezone") or None
            device = _attr_str(g, "device")
        except InputError:
            raise
        except KeyError as exc:
            raise InputError(path, f"plm HDF5 recording is incomplete (missing {exc.args[0]!r})") from None
        except ValueError as exc:
            raise InputError(path, f"plm HDF5 recording is invalid ({exc})") from None
    meta.setdefault("format", "hdf5")
    with _damaged_file_errors(path):
        return Recording(
            data=data, sfreq=sfreq, channels=channels, start_time=start, hypnogram=hyp, timezone=tz,
            device=device, source=str(path), meta=meta, **events, **lights,
        )


#: Most rows an event or staging table of one recording may have.
_MAX_ROWS = 1_000_000


def _bounded(path: Path, ds, limit: int, what: str):
    """``ds`` when it holds at most ``limit`` values; checked before reading it."""
    if ds.size > limit or ds.size * ds.dtype.itemsize > limit * 1024:
        raise InputError(path, f"{what} holds {ds.size} values of {ds.dtype.itemsize} bytes; at most {limit} "
                               "short values expected (damaged file?)")
    return ds


#: Types of the night facts a recording's ``meta`` may carry (the other context fields are stored apart).
_META_TYPES = {"warnings": "texts", "notes": "texts", "night": str, "night_method": str, "start_clock_time": str,
               "night_index": int, "n_nights": int, "night_window": "texts"}


def _checked_meta(path: Path, meta: Any) -> dict:
    """The ``meta`` attribute, refused when it is not what plm writes (a JSON object of reader facts)."""
    def bad(what: str) -> InputError:
        return InputError(path, f"/recording attribute 'meta' {what}; the file was not written by plm or is damaged")

    if not isinstance(meta, dict):
        raise bad("is not a JSON object")
    for key in set(meta) & set(CONTEXT_FIELDS):
        kind, value = _META_TYPES.get(key), meta[key]
        if kind is None:
            raise bad(f"holds {key!r}, which plm stores elsewhere")
        ok = (isinstance(value, list) and all(isinstance(v, str) for v in value)) if kind == "texts" else (
            value is None or (isinstance(value, kind) and not isinstance(value, bool)))
        if not ok:
            raise bad(f"key {key!r} holds {type(value).__name__} {str(value)[:40]!r}")
    return meta


def _read_signal(path: Path, ds, n_channels: int, sfreq: float) -> np.ndarray:
    """The signal array, after checking its type and shape without reading it."""
    if ds.dtype.kind not in "fiu":
        what = {"S": "text", "U": "text", "O": "text or objects", "b": "true/false values",
                "c": "complex numbers", "V": "compound records"}.get(ds.dtype.kind, f"{ds.dtype} values")
        raise InputError(path, f"/recording/data holds {what}; expected real numbers (a signal)")
    if ds.ndim != 2 or ds.shape[0] != n_channels:
        raise InputError(path, f"/recording/data has shape {ds.shape}; expected ({n_channels}, n_samples) for "
                               f"{n_channels} channels")
    check_size(path, ds.shape[0], ds.shape[1], sfreq, itemsize=ds.dtype.itemsize)
    return ds[()]


def _attr_str(g, name: str) -> str:
    v = g.attrs.get(name, "")
    return v.decode() if isinstance(v, bytes) else str(v)


def _strict(obj):
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): _strict(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_strict(v) for v in obj]
    if hasattr(obj, "item") and callable(obj.item):
        return _strict(obj.item())
    return obj


def write_result(path: str | os.PathLike, result, night: str | None = None) -> Path:
    """Store a scored night under ``/results/<criteria hash>/`` of an HDF5 file.

    The file is created when missing; an existing ``plm`` file (e.g. one
    made by :func:`write_recording`) keeps its recording and other results.
    A result with the same criteria hash (and ``night``) is replaced. The
    update is made on a copy that replaces the file only when complete.

    Parameters
    ----------
    path : path-like
    result : NightResult
    night : str, optional
        Label of the night (e.g. ``"2026-03-01"``) when one file holds several
        nights scored with the same criteria: stored under
        ``/results/<hash>/<night>/``.

    Returns
    -------
    Path
    """
    path = Path(path)
    crit = result.criteria
    key = f"results/{crit.hash}" + (f"/{night}" if night else "")
    check_free_space(path)
    with atomic_path(path) as tmp:
        if path.exists():
            with _open(path) as f:
                _check_plm(path, f)
            shutil.copyfile(path, tmp)
            mode = "a"
        else:
            mode = "w"
        with _writable_file(tmp, mode) as f:
            _set_text(f.attrs, "plm_format", FORMAT_NAME)
            f.attrs["plm_format_version"] = FORMAT_VERSION
            if "plm_version" not in f.attrs:
                _set_text(f.attrs, "plm_version", __version__)
            if key in f:
                del f[key]
            g = f.require_group(key)
            _set_text(g.attrs, "criteria", crit.to_json())
            _set_text(g.attrs, "criteria_name", crit.name)
            _set_text(g.attrs, "criteria_hash", crit.hash)
            _set_text(g.attrs, "plm_version", result.version)
            _set_text(g.attrs, "start_time", "" if result.start_time is None else result.start_time.isoformat())
            _set_text(g.attrs, "source", result.source or "")
            _write_table(g.create_group("events"), result.events)
            _write_table(g.create_group("lms"), result.lms)
            g.create_dataset("summary", data=_fixed_text(json.dumps(_strict(result.summary()), allow_nan=False)))
            # Exact measures (NaN kept) so a read-back result equals the one written.
            _set_text(g.attrs, "measures", json.dumps(result.measures, default=_json_default))
            _set_text(g.attrs, "extra", json.dumps(result.extra, default=_json_default))
            if result.hypnogram is not None:
                _write_hypnogram(g.create_group("hypnogram"), result.hypnogram)
    return path


def read_results(path: str | os.PathLike) -> dict[str, Any]:
    """Read every scored result stored in a ``plm`` HDF5 file.

    Returns
    -------
    dict
        ``"<criteria hash>"`` (or ``"<criteria hash>/<night>"``) to
        :class:`~plm.model.result.NightResult`, in file order.
    """
    from ..criteria import Criteria
    from ..model import NightResult

    path = Path(path)
    out: dict[str, Any] = {}
    with _damaged_file_errors(path), _open(path) as f:
        _check_plm(path, f)
        if "results" not in f:
            return out
        groups = []
        for h, g in f["results"].items():
            if "summary" in g:
                groups.append((h, g))
            for n, sub in g.items():
                if hasattr(sub, "keys") and "summary" in sub:
                    groups.append((f"{h}/{n}", sub))
        for key, g in groups:
            try:
                crit = Criteria.from_json(_attr_str(g, "criteria"))
                start = _attr_str(g, "start_time")
                measures, extra = json.loads(_attr_str(g, "measures")), json.loads(_attr_str(g, "extra") or "{}")
                if not isinstance(measures, dict) or not isinstance(extra, dict):
                    raise ValueError("measures and extra must be JSON objects")
                # The night's length and lights are part of the measures; the
                # rest of the context that writers need is stored as "extra".
                context = {k: measures.get(k) for k in ("duration_s", "lights_off", "lights_on")}
                out[key] = NightResult(
                    measures=measures,
                    events=_read_table(g["events"]),
                    lms=_read_table(g["lms"]),
                    criteria=crit,
                    start_time=_dt.datetime.fromisoformat(start) if start else None,
                    source=_attr_str(g, "source"),
                    hypnogram=_read_hypnogram(g["hypnogram"]) if "hypnogram" in g else None,
                    version=_attr_str(g, "plm_version"),
                    extra={**context, **extra},
                )
            except (KeyError, ValueError) as exc:
                raise InputError(path, f"result {key} is incomplete or invalid ({exc})") from None
    return out
