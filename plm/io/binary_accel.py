"""Binary accelerometer files: ActiGraph ``.gt3x``/``.agdc``, Axivity ``.cwa``, GENEActiv ``.bin``.

Each file is decoded as the vendor's software decodes it (see
``docs/formats_raw.md`` for the checks against the vendor exports):

* ActiGraph: :mod:`plm.io.gt3x` (plm's own vectorised decoder; the
  libraries do not match ActiLife, see that module), idle-sleep stretches
  held as ActiLife holds them and marked ``meta["idle_sleep"]``;
* Axivity: :mod:`plm.io.axivity` (plm's own decoder), sample times from
  the block timestamps, resampled to a uniform grid;
* GENEActiv: :mod:`plm.io.geneactiv` (actfast, the ``accel`` extra).

Then, the same for all three:

* **Leg**: ``side=``, else the side in the file's body location
  (ActiGraph ``Side``/``Limb``, Axivity OmGui "body location", GENEActiv
  ``Device Location Code``), else the file name (as for ActiLife CSV).
* **Body site**: when the file names one other than the ankle (wrist,
  waist, back, ...), a warning says PLM scoring assumes ankle placement.
* **UTC offset**: devices keep local clock time. ``tz=``, else the file's
  own offset (ActiGraph ``TimeZone``, GENEActiv ``Time Zone``), else UTC
  with a warning.
"""
from __future__ import annotations

import datetime as _dt
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from ..model import Channel, Recording
from ..model.recording import HELD_META_KEY
from ._device import DeviceData, parse_body_site
from ._rawfiles import check_sfreq, local_start, pick_side, side_from_filename
from .accel_csv import MAX_ACCEL_HZ
from .axivity import is_cwa, read_cwa
from .geneactiv import is_genea, is_geneactiv, read_geneactiv
from .gt3x import is_gt3x, read_gt3x

__all__ = ["read_binary_accel", "sniff"]

_KIND_NAMES = {"gt3x": ".gt3x", "cwa": ".cwa", "bin": "GENEActiv .bin"}
_LOCATION_FIELD = {"gt3x": "info.txt Side/Limb", "cwa": "the OmGui body location (_p)",
                   "bin": "Device Location Code"}


def sniff(path: str | os.PathLike, head: bytes) -> bool:
    """True for .gt3x/.agdc (zip), .cwa (Axivity "MD" header), GENEActiv and GENEA .bin."""
    suffix = Path(path).suffix.lower()
    return is_gt3x(head, suffix) or is_cwa(head, suffix) or is_geneactiv(head) or is_genea(head)


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
        ``.gt3x``/``.agdc``, ``.cwa`` or GENEActiv ``.bin``.
    side : {"left", "right"}, optional
        Leg; default from the file's body location, else the file name
        (``*_L.gt3x``, ``left_ankle.cwa``).
    tz : str or tzinfo, optional
        Time zone of the device clock (IANA name or ``"+01:00"``); default
        the file's own UTC offset, else UTC.
    dtype : numpy dtype

    Returns
    -------
    Recording
        Three ``accel`` channels in g on a regular time grid.
    """
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(2048)
    except OSError as exc:
        raise InputError(path, f"cannot be read ({exc.strerror})") from None
    if is_genea(head):
        raise InputError(path, "original GENEA file (GENEA/1.00 header, before GENEActiv): this format is not "
                               "supported; export raw data in g to CSV with the vendor's software")
    if head[:4] == b"PK\x03\x04":
        dev = read_gt3x(path, dtype=dtype)
    elif head[:2] == b"MD":
        dev = read_cwa(path, dtype=dtype)
    else:
        dev = read_geneactiv(path, dtype=dtype)
    sfreq = check_sfreq(path, dev.sfreq, MAX_ACCEL_HZ, what="sampling rate")
    notes = list(dev.notes)
    leg, side_from = _leg(path, side, dev, notes)

    if tz is not None:
        start, tz_name = local_start(dev.start, tz, path)
    else:
        tz_name = None
        offset = dev.utc_offset
        if offset is None:
            offset = _dt.timedelta(0)
            notes.append("the file's clock has no UTC offset; it was taken as UTC (pass tz= / --tz to set it)")
        start = dev.start.replace(tzinfo=_dt.timezone(offset))

    meta: dict[str, Any] = {"format": f"binary-accel ({dev.kind})", "device_metadata": dev.metadata,
                            "body_location": dev.location, "side_from": side_from,
                            "regrid": {"missing": int(np.count_nonzero(np.isnan(dev.data[0]))), "dropped": dev.dropped}}
    if dev.held.size:
        t0 = start.timestamp()
        meta[HELD_META_KEY] = {leg: (t0 + dev.held / sfreq).tolist()}
        meta["idle_sleep_samples"] = int((dev.held[:, 1] - dev.held[:, 0]).sum())
    if notes:
        meta["warnings"] = notes
        for m in notes:
            warnings.warn(f"{path}: {m}", UserWarning, stacklevel=2)
    channels = tuple(Channel(f"{leg}_{ax}", "g", "accel", side=leg, axis=ax) for ax in "xyz")
    return Recording(data=dev.data, sfreq=sfreq, channels=channels, start_time=start, timezone=tz_name,
                     device=dev.device, source=str(path), meta=meta)


def _leg(path: Path, side: str | None, dev: DeviceData, notes: list[str]) -> tuple[str, str]:
    """(leg, where it came from); body-site warnings go to ``notes``."""
    site = parse_body_site(dev.location)
    what = _KIND_NAMES[dev.kind]
    if site is not None and site.site is not None and not site.is_ankle:
        notes.append(f"the file says the device was worn at the {site.text!r}; PLM scoring assumes ankle "
                     "placement, so movements of that body part are counted as leg movements")
    elif site is not None and site.site is None:
        notes.append(f"body location {site.text!r} in the file is not one plm knows; the leg was not taken from it")
    if side is not None:
        leg = pick_side(path, side)
        if site is not None and site.side is not None and site.side != leg:
            notes.append(f"side={side!r} overrides the file's body location {site.text!r}")
        return leg, "argument"
    if site is not None and site.side is not None:
        named = side_from_filename(path)
        if named is not None and named != site.side:
            notes.append(f"the file name says {named} but the file's body location says {site.text!r}; "
                         f"the file's {site.side} was used")
        return site.side, "file"
    if site is None:
        says = f"this {what} has no body location ({_LOCATION_FIELD[dev.kind]} is empty)"
    else:
        says = f"this {what} says {site.text!r} ({_LOCATION_FIELD[dev.kind]}) but not which side"
    return pick_side(path, None, file_says=says), "file name"
