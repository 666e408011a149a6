"""GENEActiv ``.bin`` decoding through actfast, placed by each page's own time.

A GENEActiv ``.bin`` is text: a header (``Device Identity``, ...,
``Calibration Data``, ``Memory Status``) and then pages of 300 samples, each
with its own ``Page Time`` and ``Measurement Frequency`` and one line of
hex-encoded 48-bit samples (12-bit x, y, z, light, button). actfast (the
``accel`` extra) decodes the samples, applies the header's calibration
(``(count * 100 - offset) / gain``) and times every sample as page time
plus its index over the page's frequency; this matches the GENEActiv
software's CSV export that scikit-digital-health keeps as its test truth
(checked in the tests, 5e-5 g: the CSV's rounding). plm puts the samples
on a grid at the header's rate by their times, so each page sits where its
page time says; a page that starts late leaves a short gap (NaN).

A recording copied before the download finished ends before the header's
page count; it is read up to the last full page, with a warning. The
original GENEA (``GENEA/1.00`` header, 2010) is a different format and is
refused.
"""
from __future__ import annotations

import datetime as _dt
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError, MissingDependencyError
from ._device import DeviceData, check_span, parse_utc_offset

__all__ = ["read_geneactiv", "is_geneactiv", "is_genea"]

_PAGE = 300  # samples per page in every GENEActiv file


def is_geneactiv(head: bytes) -> bool:
    """True for a GENEActiv ``.bin`` (text header starting ``Device Identity``)."""
    return head.startswith(b"Device Identity")


def is_genea(head: bytes) -> bool:
    """True for an original GENEA file (``GENEA/1.00`` header)."""
    return head.startswith(b"GENEA/")


def read_geneactiv(path: str | os.PathLike, dtype: Any = np.float64) -> DeviceData:
    """Decode a GENEActiv ``.bin`` file.

    Parameters
    ----------
    path : path-like
    dtype : numpy dtype
        Type of the returned samples.

    Returns
    -------
    DeviceData
        Calibrated x, y, z in g on a grid at the header's rate, each page at
        its page time; a partial last page is dropped.
    """
    path = Path(path)
    try:
        import actfast
    except ImportError:
        raise MissingDependencyError("reading GENEActiv .bin files", "actfast", "accel") from None
    try:
        result = actfast.read(str(path))
    except (ValueError, OSError) as exc:
        raise InputError(path, f"cannot decode the file ({' '.join(str(exc).split())[:200]})") from None
    header = {f"{cat}.{k}": str(v).replace("\x00", "").strip()
              for cat, d in result.get("metadata", {}).items() for k, v in d.items()}
    series = result.get("timeseries", {})
    hf = series.get("high_frequency", {})
    t_ns = np.asarray(hf.get("datetime", np.zeros(0, np.int64)), dtype=np.int64)
    acc = np.asarray(hf.get("acceleration", np.zeros((0, 3), np.float32))).reshape(-1, 3)
    pages = int(np.asarray(series.get("low_frequency", {}).get("datetime", np.zeros(0))).size)
    notes: list[str] = []
    if t_ns.size == 0:
        raise InputError(path, "the file holds no complete page of samples")
    full = min(pages, t_ns.size // _PAGE)
    stated = _int(header.get("Memory Status.Number of Pages"))
    if full * _PAGE < t_ns.size:
        notes.append(f"the last page is incomplete (file cut off); read up to page {full} of "
                     f"{stated if stated else pages}")
        t_ns, acc = t_ns[:full * _PAGE], acc[:full * _PAGE]
    elif stated and stated > pages:
        notes.append(f"the header lists {stated} pages but the file ends after page {pages} "
                     "(copied before the download finished?); read up to the last full page")
    if full == 0:
        raise InputError(path, "the file holds no complete page of samples")

    fs = _rate(header.get("Configuration Info.Measurement Frequency"))
    if fs is None:
        raise InputError(path, "header has no Measurement Frequency")
    fs = _page_rate(t_ns, fs)
    step = np.diff(t_ns)
    if (step <= 0).any():
        i = int(np.flatnonzero(step <= 0)[0]) + 1
        raise InputError(path, f"page {i // _PAGE}: page time goes back; page times must increase")
    check_span(path, (t_ns[-1] - t_ns[0]) / 1e9)
    idx = np.rint((t_ns - t_ns[0]) * (fs / 1e9)).astype(np.int64)
    n = int(idx[-1]) + 1
    data = np.full((3, n), np.nan, dtype=dtype)
    data[:, idx] = acc.T  # a later sample on the same grid slot wins
    n_dup = int(np.count_nonzero(np.diff(idx) == 0))
    n_gap = n - (idx.size - n_dup)
    if n_gap or n_dup:
        notes.append(f"page times leave {n_gap} grid slot(s) empty (NaN) and {n_dup} sample(s) on an occupied "
                     f"slot (dropped) on the {fs:g} Hz grid")
    start = _dt.datetime(1970, 1, 1) + _dt.timedelta(microseconds=int(t_ns[0]) // 1000)
    serial = header.get("Device Identity.Device Unique Serial Code", "")
    model = header.get("Device Identity.Device Model", "")
    device = " ".join(x for x in ("GENEActiv", model, serial) if x)
    return DeviceData(data=data, sfreq=fs, start=start, kind="bin", device=device, metadata=header,
                      location=header.get("Subject Info.Device Location Code") or None,
                      utc_offset=parse_utc_offset(header.get("Configuration Info.Time Zone")), dropped=n_dup,
                      notes=notes)


def _int(text) -> int | None:
    m = re.search(r"\d+", str(text or ""))
    return int(m.group(0)) if m else None


def _page_rate(t_ns: np.ndarray, label: float) -> float:
    """The rate the page times imply when the header's is a rounded label (85.7 Hz is 600/7 Hz).

    Pages hold 300 samples; when the median page step gives a rate within
    0.1 % of the label (the label's rounding), that rate is the device's.
    """
    if t_ns.size < 2 * _PAGE:
        return label
    step = float(np.median(np.diff(t_ns[::_PAGE]))) / 1e9
    rate = _PAGE / step if step > 0 else label
    return rate if abs(rate - label) <= 1e-3 * label else label


def _rate(text) -> float | None:
    m = re.search(r"[0-9]+(?:\.[0-9]+)?", str(text or ""))
    return float(m.group(0)) if m and float(m.group(0)) > 0 else None
