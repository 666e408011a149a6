"""Split a multi-night recording into nights.

A PAM-RL-style ankle accelerometer is worn for several consecutive nights
and days; scoring needs one result per night. :func:`split_nights` cuts the
recording into views (:meth:`Recording.crop`, no copy) by one of three
rules: noon to noon in the recording's local time (default), a table of
lights-off/lights-on times, or detected rest periods. Rules, daylight-saving
handling and dropped partial days: ``docs/nights.md``.
"""
from __future__ import annotations

import csv
import datetime as _dt
import os
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from .errors import InputError
from ._util import check_option
from .model import Hypnogram, Recording
from .model.context import NIGHT_START_HOUR, night_date

__all__ = ["split_nights", "read_lights_table", "rest_periods", "NIGHT_METHODS"]

NIGHT_METHODS = ("noon", "table", "rest")


# ----------------------------------------------------------------- time zones
def _zone(recording: Recording) -> _dt.tzinfo:
    """The recording's time zone: IANA zone when known, else the fixed UTC
    offset of its start time."""
    if recording.timezone:
        try:
            return ZoneInfo(recording.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InputError(recording.source or None,
                             f"unknown time zone {recording.timezone!r}; expected an IANA name such as "
                             "'Europe/Berlin'") from None
    return _dt.timezone(recording.start_time.utcoffset())


def _fixed(t: _dt.datetime, zone: _dt.tzinfo) -> _dt.datetime:
    """``t`` in ``zone``, with the offset in force then frozen as a fixed offset.

    Fixed offsets keep later arithmetic (``start_time + timedelta``) exact:
    adding to a ZoneInfo-aware datetime adds wall-clock time, which is off by
    an hour across a daylight-saving change.
    """
    local = t.astimezone(zone)
    return local.replace(tzinfo=_dt.timezone(local.utcoffset()))


def _local_noon(d: _dt.date, zone: _dt.tzinfo) -> _dt.datetime:
    # Built from the calendar date, not by adding 24 h, so that a night
    # spanning a daylight-saving change lasts 23 or 25 h of real time.
    return _dt.datetime(d.year, d.month, d.day, NIGHT_START_HOUR, tzinfo=zone)


# ----------------------------------------------------------------- main entry
def split_nights(recording: Recording, method: str = "noon", table: Any = None, *,
                 min_hours: float = 2.0, min_rest_hours: float = 3.0) -> list[Recording]:
    """Cut a recording into one :class:`Recording` per night.

    Parameters
    ----------
    recording : Recording
    method : {"noon", "table", "rest"}
        ``"noon"``: windows from local noon to the next local noon (the
        recording's IANA ``timezone`` when known, so a daylight-saving change
        gives a 23 h or 25 h window; else the fixed UTC offset of
        ``start_time``). ``"table"``: one night per row of ``table``, whose
        lights-off/on times become each night's ``lights_off``/``lights_on``.
        ``"rest"``: one night per detected rest period (long low-activity
        stretch, see :func:`rest_periods`), which also sets lights off/on.
        Giving ``table`` implies ``"table"``.
    table : path-like or sequence of mappings, optional
        Lights table (see :func:`read_lights_table`).
    min_hours : float
        With ``"noon"``, a partial first or last window with less recorded
        data than this (hours; NaN gaps do not count) is dropped, and a note
        saying so is added to the neighbouring night.
    min_rest_hours : float
        With ``"rest"``, the shortest rest period that counts as a night.

    Returns
    -------
    list of Recording
        Views into ``recording``, in time order. Each has ``start_time`` at
        its first sample with the UTC offset in force then, and ``meta``
        keys ``night`` (ISO date of the evening), ``night_index``,
        ``n_nights``, ``night_method``, ``night_window`` (start and stop,
        ISO) and ``notes`` (list of str).
    """
    if table is not None and method == "noon":
        method = "table"
    check_option("night-splitting method", method, NIGHT_METHODS)
    zone = _zone(recording)
    if method == "noon":
        windows = _noon_windows(recording, zone, min_hours)
    elif method == "table":
        if table is None:
            raise InputError(None, "method='table' needs a lights table (table=...)")
        windows = _table_windows(recording, zone, table)
    else:
        windows = _rest_windows(recording, zone, min_rest_hours)
    return _make_nights(recording, zone, windows, method)


# A window: dict(i0, i1 (samples), night (date), lights_off, lights_on (s from
# recording start or None), notes (list of str)).


def _noon_windows(rec: Recording, zone, min_hours: float) -> list[dict]:
    sf, n = rec.sfreq, rec.n_samples
    start = rec.start_time
    end = start + _dt.timedelta(seconds=rec.duration)
    d = night_date(start, zone)
    dates, bounds = [], []
    while True:
        noon = _local_noon(d, zone)
        if noon >= end:
            break
        dates.append(d)
        bounds.append((noon - start).total_seconds())
        d = d + _dt.timedelta(days=1)
    bounds.append((_local_noon(d, zone) - start).total_seconds())
    idx = np.clip(np.ceil(np.asarray(bounds) * sf - 1e-6), 0, n).astype(np.int64)
    windows = [dict(i0=int(a), i1=int(b), night=dt_, notes=[]) for a, b, dt_ in zip(idx[:-1], idx[1:], dates)
               if b > a]
    if len(windows) == 1:
        return windows
    hours = [_data_hours(rec, w["i0"], w["i1"]) for w in windows]
    if max(hours) < min_hours:
        # Nothing that looks like a night: keep the recording whole.
        w = dict(i0=0, i1=n, night=windows[0]["night"], notes=[
            f"recording holds less than {min_hours:g} h of data in every noon-to-noon window; not split"])
        return [w]
    for pos, nb in ((0, 1), (-1, -2)):
        if len(windows) > 1 and hours[pos] < min_hours:
            w = windows[pos]
            note = (f"dropped {hours[pos]:.2f} h of data from {_iso(rec, w['i0'], zone)} to "
                    f"{_iso(rec, w['i1'], zone)} (partial {'first' if pos == 0 else 'last'} window with "
                    f"less than {min_hours:g} h of data)")
            windows[nb]["notes"].append(note)
            windows.pop(pos)
            hours.pop(pos)
    return windows


def _data_hours(rec: Recording, i0: int, i1: int) -> float:
    """Hours of samples in [i0, i1) where at least one channel has a value."""
    block = rec.data[:, i0:i1]
    if block.dtype.kind != "f":
        return (i1 - i0) / rec.sfreq / 3600.0
    missing = np.isnan(block).all(axis=0)
    return float((i1 - i0) - np.count_nonzero(missing)) / rec.sfreq / 3600.0


def _iso(rec: Recording, i: int, zone) -> str:
    return _fixed(rec.start_time + _dt.timedelta(seconds=i / rec.sfreq), zone).isoformat(timespec="seconds")


def _make_nights(rec: Recording, zone, windows: list[dict], method: str) -> list[Recording]:
    sf = rec.sfreq
    out = []
    for k, w in enumerate(windows):
        i0, i1 = w["i0"], w["i1"]
        night = rec.crop(i0 / sf, i1 / sf)
        dur = (i1 - i0) / sf
        t0 = i0 / sf
        if "lights_off" in w:
            off, on = w["lights_off"], w["lights_on"]
            off = None if off is None else off - t0
            on = None if on is None else on - t0
        else:
            # Lights carried by the whole recording only belong to the night
            # they fall in.
            off, on = night.lights_off, night.lights_on
            off = off if off is not None and 0 <= off <= dur else None
            on = on if on is not None and 0 <= on <= dur else None
        context = night.context.replace(
            start_time=_fixed(night.start_time, zone), lights_off=off, lights_on=on,
            hypnogram=_trim_hypnogram(night.hypnogram, dur), night=w["night"].isoformat(), night_index=k,
            n_nights=len(windows), night_method=method, night_window=(_iso(rec, i0, zone), _iso(rec, i1, zone)),
            notes=rec.context.notes + tuple(w["notes"]))
        out.append(night.replace(context=context))
    return out


def _trim_hypnogram(hyp: Hypnogram | None, duration: float) -> Hypnogram | None:
    """Keep the epochs that overlap ``[0, duration)`` (a night's own staging).

    A hypnogram spanning several nights would otherwise give every night the
    sleep time of all of them.
    """
    if hyp is None or not len(hyp):
        return hyp
    starts = hyp.onset + np.arange(len(hyp)) * hyp.epoch_length
    idx = np.flatnonzero((starts + hyp.epoch_length > 0) & (starts < duration))
    if not idx.size:
        return None
    return Hypnogram(hyp.stages[idx[0]: idx[-1] + 1], hyp.epoch_length, onset=float(starts[idx[0]]))


# ----------------------------------------------------------------- lights table
def read_lights_table(table: Any, zone: _dt.tzinfo | None = None) -> list[dict]:
    """Read a lights-off/lights-on table.

    Parameters
    ----------
    table : path-like or sequence of mappings
        A CSV file (comma, semicolon or tab separated; ``#`` comment lines
        allowed) with a header naming the columns ``lights_off`` and
        ``lights_on`` (ISO 8601 date-times) and optionally ``night`` or
        ``date`` (ISO date of the evening), or the same as a list of dicts.
    zone : tzinfo, optional
        Time zone for date-times written without a UTC offset. Without it
        such times are refused.

    Returns
    -------
    list of dict
        ``{"night": date or None, "lights_off": datetime, "lights_on":
        datetime}`` (timezone-aware), in the table's order.
    """
    src = None
    if isinstance(table, (str, os.PathLike)):
        src = Path(table)
        try:
            text = src.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise InputError(src, f"cannot read lights table ({exc.strerror or exc})") from None
        lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
        if not lines:
            raise InputError(src, "lights table is empty; expected a header with lights_off,lights_on")
        try:
            dialect = csv.Sniffer().sniff(lines[0], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        rows = list(csv.DictReader(lines, dialect=dialect))
        header = [h.strip().lower() for h in (csv.DictReader(lines, dialect=dialect).fieldnames or [])]
    else:
        rows = [dict(r) for r in table]
        header = sorted({str(k).strip().lower() for r in rows for k in r})
    where = src if src is not None else "lights table"
    missing = [c for c in ("lights_off", "lights_on") if c not in header]
    if missing:
        raise InputError(where, f"lights table lacks column(s) {missing}; expected night,lights_off,lights_on")
    if not rows:
        raise InputError(where, "lights table has no rows")
    out = []
    for line_no, row in enumerate(rows, start=2):
        row = {str(k).strip().lower(): v for k, v in row.items() if k is not None}
        rec: dict[str, Any] = {}
        for col in ("lights_off", "lights_on"):
            rec[col] = _parse_time(row.get(col), zone, where, line_no, col)
        label = row.get("night") or row.get("date")
        rec["night"] = None
        if label not in (None, ""):
            try:
                rec["night"] = label if isinstance(label, _dt.date) else _dt.date.fromisoformat(str(label).strip())
            except ValueError:
                raise InputError(where, f"row {line_no}: night {label!r} is not an ISO date (YYYY-MM-DD)") from None
        if rec["lights_on"] <= rec["lights_off"]:
            raise InputError(where, f"row {line_no}: lights_on {rec['lights_on'].isoformat()} is not after "
                                    f"lights_off {rec['lights_off'].isoformat()}")
        out.append(rec)
    for a, b in zip(out[:-1], out[1:]):
        if b["lights_off"] < a["lights_on"]:
            raise InputError(where, f"nights overlap or are out of order: lights_off {b['lights_off'].isoformat()} "
                                    f"before the previous lights_on {a['lights_on'].isoformat()}")
    return out


def _parse_time(value, zone, where, line_no, col) -> _dt.datetime:
    if isinstance(value, _dt.datetime):
        t = value
    else:
        text = "" if value is None else str(value).strip()
        if not text:
            raise InputError(where, f"row {line_no}: {col} is empty")
        try:
            t = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise InputError(where, f"row {line_no}: {col} {text!r} is not an ISO 8601 date-time "
                                    "(e.g. 2026-03-01T22:45:00+01:00)") from None
    if t.tzinfo is None or t.utcoffset() is None:
        if zone is None:
            raise InputError(where, f"row {line_no}: {col} has no UTC offset and the recording's time zone "
                                    "is unknown")
        t = t.replace(tzinfo=zone)
        if isinstance(zone, ZoneInfo):
            # Reject wall-clock times that do not exist (spring-forward gap).
            back = t.astimezone(_dt.timezone.utc).astimezone(zone)
            if back.replace(tzinfo=None) != t.replace(tzinfo=None):
                raise InputError(where, f"row {line_no}: {col} {t.replace(tzinfo=None).isoformat()} does not "
                                        f"exist in {zone.key} (daylight-saving change); give the UTC offset")
    return t


def _table_windows(rec: Recording, zone, table) -> list[dict]:
    rows = read_lights_table(table, zone)
    where = table if isinstance(table, (str, os.PathLike)) else "lights table"
    start, dur, sf, n = rec.start_time, rec.duration, rec.sfreq, rec.n_samples
    offs = np.array([(r["lights_off"] - start).total_seconds() for r in rows])
    ons = np.array([(r["lights_on"] - start).total_seconds() for r in rows])
    outside = (ons <= 0) | (offs >= dur)
    if outside.any():
        i = int(np.flatnonzero(outside)[0])
        raise InputError(where, f"night with lights_off {rows[i]['lights_off'].isoformat()} lies outside the "
                                f"recording ({start.isoformat()} + {dur / 3600:.2f} h)")
    # Each night's window reaches halfway to its neighbours' lights times, so
    # the detector sees some signal before lights off and after lights on.
    mids = (ons[:-1] + offs[1:]) / 2.0
    bounds = np.concatenate(([0.0], mids, [dur]))
    idx = np.clip(np.ceil(bounds * sf - 1e-6), 0, n).astype(np.int64)
    windows = []
    for k, r in enumerate(rows):
        notes = []
        off, on = float(offs[k]), float(ons[k])
        if off < 0:
            notes.append(f"lights_off {r['lights_off'].isoformat()} is before the recording starts; "
                         "analysis starts at the first sample")
            off = 0.0
        if on > dur:
            notes.append(f"lights_on {r['lights_on'].isoformat()} is after the recording ends; "
                         "analysis stops at the last sample")
            on = dur
        night = r["night"] or night_date(r["lights_off"], zone)
        windows.append(dict(i0=int(idx[k]), i1=int(idx[k + 1]), night=night, lights_off=off, lights_on=on,
                            notes=notes))
    return windows


# ----------------------------------------------------------------- rest periods
def _otsu(values: np.ndarray, bins: int = 256) -> float:
    """Otsu's threshold: the split that maximises between-class variance."""
    hist, edges = np.histogram(values, bins=bins)
    centers = (edges[:-1] + edges[1:]) / 2
    w0 = np.cumsum(hist)
    w1 = w0[-1] - w0
    s0 = np.cumsum(hist * centers)
    m0 = np.divide(s0, w0, out=np.zeros_like(s0, dtype=float), where=w0 > 0)
    m1 = np.divide(s0[-1] - s0, w1, out=np.zeros_like(s0, dtype=float), where=w1 > 0)
    between = w0 * w1 * (m0 - m1) ** 2
    return float(edges[int(np.argmax(between)) + 1])


def epoch_activity(recording: Recording, epoch_s: float = 60.0) -> np.ndarray:
    """Leg activity per epoch: median absolute sample-to-sample change,
    summed over the leg channels (NaN where an epoch has no data).

    First differences remove gravity and slow posture or baseline drift; the
    median over an epoch ignores brief leg movements (PLMs occupy a small
    part of a minute) but not sustained activity such as walking.
    """
    spe = max(2, int(round(epoch_s * recording.sfreq)))
    n_ep = recording.n_samples // spe
    if n_ep == 0:
        return np.zeros(0)
    rows = [i for i, c in enumerate(recording.channels) if c.side is not None] or list(range(len(recording.channels)))
    total = np.zeros(n_ep)
    seen = np.zeros(n_ep, dtype=bool)
    # One channel and a few hours at a time keep the float64 temporaries
    # small (a week of 40 Hz data is never copied whole).
    step = max(1, int(4 * 3600 / epoch_s))
    for i in rows:
        for e0 in range(0, n_ep, step):
            e1 = min(n_ep, e0 + step)
            x = np.asarray(recording.data[i, e0 * spe: e1 * spe], dtype=np.float64).reshape(e1 - e0, spe)
            med = np.median(np.abs(np.diff(x, axis=1)), axis=1)
            ok = np.isfinite(med)
            total[e0:e1][ok] += med[ok]
            seen[e0:e1] |= ok
    total[~seen] = np.nan
    return total


def rest_periods(recording: Recording, *, epoch_s: float = 60.0, bridge_min: float = 30.0,
                 min_rest_hours: float = 3.0, min_contrast: float = 3.0) -> np.ndarray:
    """Long low-activity periods (candidate nights), in seconds from start.

    Epochs (``epoch_s``) with activity (:func:`epoch_activity`) below Otsu's
    threshold on log activity are quiet, provided the mean activity of the
    active epochs is at least ``min_contrast`` times that of the quiet ones
    (geometric means; otherwise there is no rest/activity contrast and no
    period is returned); quiet runs separated by at most
    ``bridge_min`` minutes of activity or missing data (awakenings, a trip
    to the bathroom) are joined; runs of at least ``min_rest_hours`` count.

    Parameters
    ----------
    recording : Recording
    epoch_s : float
        Epoch length of the activity count, s.
    bridge_min : float
        Longest activity or missing stretch inside one rest period, min.
    min_rest_hours : float
        Shortest rest period kept, h.
    min_contrast : float
        Least ratio of active to quiet mean activity for any rest to be found.

    Returns
    -------
    ndarray, shape (n, 2)
        Start and stop of each rest period, seconds from the first sample.
    """
    act = epoch_activity(recording, epoch_s)
    finite = np.isfinite(act)
    if finite.sum() < 3:
        return np.zeros((0, 2))
    log_act = np.log10(act[finite] + 1e-12)
    if np.ptp(log_act) == 0:
        return np.zeros((0, 2))
    thr = _otsu(log_act)
    lo, hi = log_act[log_act < thr], log_act[log_act >= thr]
    # Otsu splits any distribution; only a clear gap between resting and
    # active levels (a factor of min_contrast in the class means) means rest.
    if not len(lo) or not len(hi) or hi.mean() - lo.mean() < np.log10(min_contrast):
        return np.zeros((0, 2))
    quiet = np.zeros(len(act), dtype=bool)
    quiet[finite] = log_act < thr
    padded = np.concatenate(([False], quiet, [False]))
    edges = np.flatnonzero(np.diff(padded.astype(np.int8))).reshape(-1, 2)
    if not len(edges):
        return np.zeros((0, 2))
    gaps = edges[1:, 0] - edges[:-1, 1]
    new_group = np.concatenate(([True], gaps > bridge_min * 60.0 / epoch_s))
    starts = edges[new_group, 0]
    stops = np.maximum.reduceat(edges[:, 1], np.flatnonzero(new_group))
    keep = (stops - starts) * epoch_s >= min_rest_hours * 3600.0
    spe = int(round(epoch_s * recording.sfreq)) / recording.sfreq
    return np.column_stack([starts[keep] * spe, stops[keep] * spe]).astype(float)


def _rest_windows(rec: Recording, zone, min_rest_hours: float) -> list[dict]:
    periods = rest_periods(rec, min_rest_hours=min_rest_hours)
    if not len(periods):
        raise InputError(rec.source or None, f"no rest period of at least {min_rest_hours:g} h found; "
                                             "split noon to noon or give a lights table instead")
    start = rec.start_time
    dates = [night_date(start + _dt.timedelta(seconds=float(a)), zone) for a, _ in periods]
    # One rest period per night: the longest when a night has several (a nap
    # is not the night).
    lengths = periods[:, 1] - periods[:, 0]
    chosen: dict[_dt.date, int] = {}
    for k, d in enumerate(dates):
        if d not in chosen or lengths[k] > lengths[chosen[d]]:
            chosen[d] = k
    order = sorted(chosen.values())
    per = periods[order]
    mids = (per[:-1, 1] + per[1:, 0]) / 2.0
    bounds = np.concatenate(([0.0], mids, [rec.duration]))
    idx = np.clip(np.ceil(bounds * rec.sfreq - 1e-6), 0, rec.n_samples).astype(np.int64)
    windows = []
    for k, j in enumerate(order):
        others = [f"{(b - a) / 3600:.2f} h quiet period from {_iso(rec, int(a * rec.sfreq), zone)} not used "
                  "(shorter than the night's main rest period)"
                  for i, (a, b) in enumerate(periods) if dates[i] == dates[j] and i != j]
        windows.append(dict(i0=int(idx[k]), i1=int(idx[k + 1]), night=dates[j], lights_off=float(per[k, 0]),
                            lights_on=float(per[k, 1]), notes=[
                                "lights off/on estimated from the rest period (method='rest')"] + others))
    return windows
