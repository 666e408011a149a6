"""Detection on saved recordings, run in a child process by ``bench_detection_limit.py``.

The child imports whichever ``plm`` its ``PYTHONPATH`` puts first (this
checkout, or a baseline such as a worktree of ``main``), so the same
recordings are detected by both versions. Recordings are ``.npz`` files with
``data`` (channels x samples), ``sfreq``, ``names``, ``units``,
``modalities``, ``sides`` and ``axes``.
"""
from __future__ import annotations

import datetime as _dt
import time
import warnings

import numpy as np

WARM_IMPORTS = ("numpy", "scipy.signal", "plm", "plm.detect")


def _recording(path: str):
    try:
        from plm.model import Channel, Recording
    except ImportError:  # a checkout from before the model layer
        from plm.recording import Channel, Recording

    z = np.load(path)
    channels = tuple(Channel(str(n), str(u), str(m), side=str(s), axis=(str(a) or None))
                     for n, u, m, s, a in zip(z["names"], z["units"], z["modalities"], z["sides"], z["axes"]))
    start = _dt.datetime(2026, 3, 1, 22, 30, tzinfo=_dt.timezone.utc)
    return Recording(data=z["data"], sfreq=float(z["sfreq"]), channels=channels, start_time=start, source=path)


def detect_files(paths: list[str], criteria: str) -> dict:
    """Per-leg LM onsets (s) of each recording, and the detector's levels when it reports them."""
    import plm
    from plm.detect import detect

    crit = plm.criteria.get(criteria)
    out = []
    t0 = time.perf_counter()
    for path in paths:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lms = detect(_recording(path), crit, threads=1)
        out.append({
            "onsets": {s: lms.onset[lms.side == s].tolist() for s in ("left", "right")},
            "detection": getattr(getattr(lms, "context", None), "detection", None) or lms.metadata.get("detection"),
        })
    return {"results": out, "t_detect": time.perf_counter() - t0}
