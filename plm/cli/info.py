"""``plm info``: what is in a recording or event file."""
from __future__ import annotations

import argparse
import inspect
import warnings
from typing import Any, Sequence

__all__ = ["SUBCOMMANDS", "describe_file", "read_raw_with_options", "add_reader_options"]


def add_reader_options(p: argparse.ArgumentParser) -> None:
    """Options that reach the raw-file readers (shared by info and convert)."""
    p.add_argument("--format", default="auto", help="force the input format (default: detected)")
    p.add_argument("--channels", default=None, metavar="LEFT,RIGHT",
                   help="EDF leg channel labels (default: found by common labels)")
    p.add_argument("--tz", default=None, metavar="ZONE",
                   help="time zone of files without a UTC offset (EDF, ActiLife CSV): IANA name or +01:00")
    p.add_argument("--side", default=None, choices=["left", "right"],
                   help="leg of a single-ankle file that does not say (ActiLife CSV)")


def _reader_kwargs(fmt: str, options: dict[str, Any]) -> dict[str, Any]:
    from ..io import RAW_FORMATS, _load, _resolve

    _, reader = _load(_resolve(fmt, RAW_FORMATS, None))
    accepted = inspect.signature(reader).parameters
    return {k: v for k, v in options.items() if v is not None and k in accepted}


def read_raw_with_options(paths: Sequence[str], format: str = "auto", strict: bool = True, **options: Any):
    """Read one night from ``paths`` passing each reader only the options it takes.

    ``options`` are ``channels``, ``tz``, ``side`` (None = not given). With
    ``strict``, an option that no reader of these files accepts is an error
    rather than silently ignored.
    """
    from ..errors import InputError
    from ..io import detect_format, read
    from ..io.combine import combine_recordings

    given = {k: v for k, v in options.items() if v is not None}
    recs, used = [], set()
    for p in paths:
        fmt = detect_format(p, kind="raw")[1] if format == "auto" else format
        kw = _reader_kwargs(fmt, given)
        used |= set(kw)
        recs.append(read(p, format=fmt, **kw))
    unused = sorted(set(given) - used)
    if unused and strict:
        raise InputError(None, f"option(s) {', '.join('--' + u for u in unused)} do not apply to these files")
    return recs[0] if len(recs) == 1 else combine_recordings(recs)


def _count_nights(recording) -> int:
    try:
        from ..nights import split_nights
    except ImportError:  # multi-night splitting not available in this version
        return 1
    return len(split_nights(recording))


def describe_file(path: str, format: str = "auto", **options: Any) -> dict[str, Any]:
    """Facts about one file as a JSON-ready dict (what ``plm info`` prints)."""
    from ..io import detect_format, read_events

    kind, fmt = detect_format(path) if format == "auto" else (_kind(format), format)
    info: dict[str, Any] = {"path": str(path), "kind": kind, "format": fmt}
    if kind == "events":
        lms = read_events(path, format=fmt)
        info.update(
            n_lm=len(lms),
            n_lm_left=int((lms.side == "left").sum()),
            n_lm_right=int((lms.side == "right").sum()),
            start_time=None if lms.start_time is None else lms.start_time.isoformat(),
            duration_s=lms.duration_s,
            staging=None if lms.hypnogram is None else f"{len(lms.hypnogram)} epochs of {lms.hypnogram.epoch_length:g} s",
        )
        return info
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        rec = read_raw_with_options([path], format=fmt, strict=False, **options)
    info.update(
        device=rec.device,
        start_time=rec.start_time.isoformat(),
        timezone=rec.timezone,
        duration_s=rec.duration,
        n_samples=rec.n_samples,
        sfreq=rec.sfreq,
        modality=rec.modality,
        channels=[
            {"name": c.name, "unit": c.unit, "modality": c.modality, "side": c.side, "axis": c.axis,
             "sfreq": rec.sfreq}
            for c in rec.channels
        ],
        leg_channels={s: [rec.channels[i].name for i in rec.picks(s)] for s in rec.sides},
        staging=None if rec.hypnogram is None else f"{len(rec.hypnogram)} epochs of {rec.hypnogram.epoch_length:g} s",
        missing_samples=int(_count_nan(rec.data)),
        nights=_count_nights(rec),
        warnings=list(rec.warnings),
    )
    if fmt == "hdf5":
        from ..io.hdf5 import read_results

        info["results"] = [
            {"key": key, "criteria": res.criteria.name, "criteria_hash": res.criteria.hash,
             "plm_index": res.measures.get("plm_index"), "n_plm": res.measures.get("n_plm"),
             "plm_version": res.version}
            for key, res in read_results(path).items()
        ]
    if fmt == "edf":
        from ..io.edf import read_edf_header

        hdr = read_edf_header(path)
        info["file_channels"] = [
            {"name": lab, "unit": u, "sfreq": fs}
            for lab, u, fs in zip(hdr.labels, hdr.units, hdr.sfreqs)
            if lab not in ("EDF Annotations", "BDF Annotations")
        ]
        info["edf_kind"] = hdr.kind
    return info


def _count_nan(data) -> int:
    import numpy as np

    # row by row keeps the temporary boolean array small for long recordings
    return sum(int(np.isnan(row).sum()) for row in data)


def _kind(fmt: str) -> str:
    from ..workflows.night_scoring import _kind_of_format

    return _kind_of_format(fmt)


def format_info(info: dict[str, Any]) -> str:
    """Human-readable block for one file."""
    lines = [info["path"], f"  format        {info['format']} ({info['kind']})"]
    if info["kind"] == "events":
        lines += [
            f"  start         {info.get('start_time') or 'unknown'}",
            f"  leg movements {info['n_lm']} (left {info['n_lm_left']}, right {info['n_lm_right']})",
            f"  staging       {info.get('staging') or 'none'}",
        ]
        return "\n".join(lines)
    h = info["duration_s"] / 3600
    tz = f" ({info['timezone']})" if info.get("timezone") else ""
    lines += [
        f"  device        {info['device'] or '-'}",
        f"  start         {info['start_time']}{tz}",
        f"  duration      {h:.2f} h ({info['n_samples']} samples at {info['sfreq']:g} Hz)",
        f"  leg signal    {info['modality']}",
        "  channels",
    ]
    for c in info["channels"]:
        role = " ".join(x for x in (c["side"], c["axis"]) if x)
        lines.append(f"    {c['name']:<24} {c['unit'] or '-':<4} {c['modality']:<6} {role}")
    if "file_channels" in info:
        lines.append(f"  all channels in the file ({info['edf_kind']})")
        for c in info["file_channels"]:
            lines.append(f"    {c['name']:<24} {c['unit'] or '-':<4} {c['sfreq']:g} Hz")
    legs = "; ".join(f"{s}: {', '.join(n)}" for s, n in info["leg_channels"].items()) or "none"
    lines += [
        f"  leg channels  {legs}",
        f"  staging       {info.get('staging') or 'none'}",
        f"  missing       {info['missing_samples']} samples (NaN)",
        f"  nights        {info['nights']}",
    ]
    for r in info.get("results", []):
        idx = "-" if r["plm_index"] is None else f"{r['plm_index']:.1f}/h"
        lines.append(f"  stored result {r['key']}: {r['criteria']}, PLM index {idx}, {r['n_plm']} PLM "
                     f"(plm {r['plm_version']})")
    for w in info.get("warnings", []):
        lines.append(f"  warning       {w}")
    return "\n".join(lines)


def _add_info(sub) -> None:
    p = sub.add_parser("info", help="show channels, rate, duration, start time and legs of files",
                       description="Describe recordings and event files without scoring them.")
    p.add_argument("paths", nargs="+", metavar="PATH", help="recording or event file(s); left and right ankle files of one night together")
    add_reader_options(p)
    p.add_argument("--json", action="store_true", help="one JSON object per file, one per line")
    p.set_defaults(func=_cmd_info)


def _cmd_info(args: argparse.Namespace) -> int:
    from . import json_line

    for i, path in enumerate(args.paths):
        info = describe_file(path, format=args.format, channels=args.channels, tz=args.tz, side=args.side)
        if args.json:
            print(json_line(info))
        else:
            if i:
                print()
            print(format_info(info))
    return 0


SUBCOMMANDS = [_add_info]
