"""Leg EMG from EDF, EDF+ and BDF files (PSG recordings).

Only the leg channels are loaded (MNE's ``include=``), so unrelated channels
at other sampling rates are never read nor resampled. How leg channels are
found, how units are checked and how EDF+ sleep stages are read is
documented in ``docs/formats_raw.md``.
"""
from __future__ import annotations

import datetime as _dt
import math
import os
import re
import warnings
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..errors import InputError, MissingDependencyError
from ..model import Channel, Recording
from ..plausibility import MAX_EMG_HZ, check_rate  # MAX_EMG_HZ re-exported; the bounds live in plm.plausibility
from ..threads import map_in_threads
from ._rawfiles import local_start
from ..atomic import atomic_path

__all__ = [
    "read_edf",
    "write_edf",
    "sniff",
    "find_leg_channels",
    "leg_side_of_label",
    "read_edf_header",
    "annotation_context",
    "MAX_EMG_HZ",
]

#: Plausible robust amplitude (median absolute deviation) of leg EMG in uV; outside it the unit label is suspect.
EMG_MAD_RANGE_UV = (0.05, 5000.0)
_TO_UV = {"uv": 1.0, "µv": 1.0, "μv": 1.0, "mv": 1e3, "v": 1e6, "nv": 1e-3}
_ANNOT_LABELS = ("EDF Annotations", "BDF Annotations")

# Label vocabulary (lower-case tokens after splitting, see _tokens).
_LEFT_WORDS = {"l", "left", "lt", "li", "sin"}
_RIGHT_WORDS = {"r", "right", "rt", "re", "dx", "dex"}
_LEG_WORDS = {"leg", "legs", "tib", "tibia", "tibial", "tibialis", "ta", "at", "plm", "lm", "limb", "anttib"}
_LEFT_FUSED = {"lleg", "lat", "plml", "ltib", "lta", "legl", "tibl", "leftleg", "lefttib", "leglt", "ltleg"}
_RIGHT_FUSED = {"rleg", "rat", "plmr", "rtib", "rta", "legr", "tibr", "rightleg", "righttib", "legrt", "rtleg"}
# Tokens that mark a channel as something else even when a leg word is present.
_NOT_LEG = {"chin", "arm", "arms", "ecg", "ekg", "eog", "eeg", "eye", "resp", "flow", "spo2", "sao2", "fdp",
            "biceps", "deltoid", "masseter", "ment", "submental", "thor", "abd", "pos", "position", "snore"}


def sniff(path: str | os.PathLike, head: bytes) -> bool:
    """True for EDF/EDF+/BDF files with at least one signal that is not annotations."""
    if head[:8] == b"0       ":
        pass
    elif head[:8] != b"\xffBIOSEMI":
        return False
    try:
        ns = int(head[252:256].decode("ascii").strip())
        labels = [head[256 + 16 * i: 256 + 16 * (i + 1)].decode("latin-1").strip() for i in range(ns)]
    except (ValueError, UnicodeDecodeError):
        return False
    return ns > 0 and any(lab not in _ANNOT_LABELS for lab in labels)


# --------------------------------------------------------------------- header
@dataclass(frozen=True)
class EdfHeader:
    """The parts of an EDF/BDF header plm needs (all signals, including annotations)."""

    kind: str  # "EDF", "EDF+C", "EDF+D", "BDF", "BDF+C", ...
    labels: list[str]
    units: list[str]
    sfreqs: list[float]
    n_records: int
    record_duration: float
    start: _dt.datetime  # naive wall-clock time from the header
    recording_id: str
    bytes_per_sample: int
    header_bytes: int
    samples_per_record: list[int]
    physical_range: list[tuple[float, float]] = ()
    digital_range: list[tuple[int, int]] = ()

    @property
    def duration(self) -> float:
        return self.n_records * self.record_duration


def read_edf_header(path: str | os.PathLike) -> EdfHeader:
    """Parse and check the fixed EDF/BDF header without reading signals.

    Raises
    ------
    InputError
        Not EDF/BDF, malformed fields, or a file shorter than its header says
        (truncated copy).
    """
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            fixed = fh.read(256)
            if len(fixed) < 256:
                raise InputError(path, "EDF header is truncated (file shorter than 256 bytes)")
            is_bdf = fixed[:8] == b"\xffBIOSEMI"
            if not is_bdf and fixed[:8] != b"0       ":
                raise InputError(path, "not an EDF/BDF file (version field is not '0' or BIOSEMI)")
            try:
                ns = int(fixed[252:256].decode("ascii").strip())
            except ValueError:
                raise InputError(path, "EDF header: number of signals is not a number") from None
            if ns <= 0:
                raise InputError(path, "EDF header says the file has no signals")
            sig = fh.read(256 * ns)
            size = os.fstat(fh.fileno()).st_size
    except OSError as exc:
        raise InputError(path, f"cannot be read ({exc.strerror})") from None
    if len(sig) < 256 * ns:
        raise InputError(path, "EDF header is truncated (signal descriptions incomplete)")

    def field(offset: int, width: int) -> list[str]:
        return [sig[offset * ns + width * i: offset * ns + width * (i + 1)].decode("latin-1").strip() for i in range(ns)]

    def num(text: str, what: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise InputError(path, f"EDF header: {what} {text!r} is not a number") from None
        if not math.isfinite(value):  # float() accepts 'nan' and 'inf'
            raise InputError(path, f"EDF header: {what} {text!r} is not a finite number")
        return value

    labels = field(0, 16)
    units = field(16 + 80, 8)
    pmin, pmax, dmin, dmax = ([num(v, what) for v in field(16 + 80 + 8 + 8 * k, 8)]
                              for k, what in enumerate(("physical minimum", "physical maximum",
                                                        "digital minimum", "digital maximum")))
    spr_text = field(16 + 80 + 8 + 8 * 4 + 80, 8)
    samples_per_record = [int(num(s, "samples per record")) for s in spr_text]
    reserved = fixed[192:236].decode("latin-1").strip()
    n_records = int(num(fixed[236:244].decode("latin-1").strip(), "number of data records"))
    record_duration = num(fixed[244:252].decode("latin-1").strip(), "data record duration")
    header_bytes = int(num(fixed[184:192].decode("latin-1").strip(), "header size"))
    bps = 3 if is_bdf else 2
    rec_bytes = sum(samples_per_record) * bps
    if header_bytes != 256 * (ns + 1):
        raise InputError(path, f"EDF header size field says {header_bytes} bytes, expected {256 * (ns + 1)} for {ns} signals")
    available = (size - header_bytes) // rec_bytes if rec_bytes else 0
    if n_records == -1:  # recording not closed properly: count what is there
        n_records = available
    if n_records <= 0:
        raise InputError(path, "EDF file holds no data records")
    if available < n_records:
        raise InputError(
            path, f"file is truncated: header says {n_records} data records, the file holds {available} "
            "(copy the file again)"
        )
    try:
        d = fixed[168:176].decode("ascii")
        t = fixed[176:184].decode("ascii")
        dd, mm, yy = (int(x) for x in d.split("."))
        hh, mi, ss = (int(x) for x in t.split("."))
        year = 1900 + yy if yy >= 85 else 2000 + yy  # EDF's 1985-2084 clipping rule
        start = _dt.datetime(year, mm, dd, hh, mi, ss)
    except ValueError:
        raise InputError(path, f"EDF header: start date/time {fixed[168:184]!r} is not dd.mm.yy hh.mm.ss") from None
    kind = ("BDF" if is_bdf else "EDF") + ("+C" if reserved.startswith("EDF+C") or reserved.startswith("BDF+C") else "")
    if reserved.startswith(("EDF+D", "BDF+D")):
        kind = kind[:3] + "+D"
    sfreqs = [s / record_duration if record_duration > 0 else 0.0 for s in samples_per_record]
    return EdfHeader(
        kind=kind, labels=labels, units=units, sfreqs=sfreqs, n_records=n_records,
        record_duration=record_duration, start=start, recording_id=fixed[88:168].decode("latin-1").strip(),
        bytes_per_sample=bps, header_bytes=header_bytes, samples_per_record=samples_per_record,
        physical_range=list(zip(pmin, pmax)), digital_range=[(int(a), int(b)) for a, b in zip(dmin, dmax)],
    )


# ------------------------------------------------------------- label matching
def _tokens(label: str) -> list[str]:
    # Split camelCase ("LegL"), letter/digit boundaries ("LAT1") and separators.
    s = re.sub(r"([a-z])([A-Z])", r"\1 \2", label)
    s = re.sub(r"([A-Za-z])(\d)|(\d)([A-Za-z])", lambda m: " ".join(g for g in m.groups() if g), s)
    return [t for t in re.split(r"[^0-9a-zA-Zµμ]+", s.lower()) if t and not t.isdigit()]


def leg_side_of_label(label: str) -> str | None:
    """``"left"``, ``"right"``, ``"both"`` or None for an EDF channel label.

    A label names a leg when it has a leg word (``leg``, ``tib``,
    ``tibialis``, ``AT``, ...) and a side word (``L``, ``left``, ``R``,
    ``right``, ...), or a fused form (``LLEG``, ``LAT``, ``RAT``, ``LegR``);
    ``"both"`` is a leg channel without a side (``Legs``, ``Leg L-R``,
    ``LAT-RAT``). Labels with chin, arm, ECG, EOG, ... words are never legs.
    """
    toks = _tokens(label)
    if not toks or set(toks) & _NOT_LEG:
        return None
    fused_l = bool(set(toks) & _LEFT_FUSED)
    fused_r = bool(set(toks) & _RIGHT_FUSED)
    leg = bool(set(toks) & _LEG_WORDS) or fused_l or fused_r
    if not leg:
        return None
    left = fused_l or bool(set(toks) & _LEFT_WORDS)
    right = fused_r or bool(set(toks) & _RIGHT_WORDS)
    if left and right:
        return "both"
    if left:
        return "left"
    if right:
        return "right"
    return "both"


def find_leg_channels(labels: Sequence[str], path=None) -> dict[str, list[str]]:
    """Leg channels among EDF labels: ``{"left": [...], "right": [...]}``.

    Each list holds one label, or two referential electrodes of one leg
    (``LAT1``, ``LAT2``) that are subtracted to give the bipolar derivation.
    A single both-legs channel (``Legs``) is returned as ``{"both": [label]}``.

    Raises
    ------
    InputError
        No leg channel, or several candidates for one leg.
    """
    found: dict[str, list[str]] = {"left": [], "right": [], "both": []}
    for lab in labels:
        if lab in _ANNOT_LABELS:
            continue
        side = leg_side_of_label(lab)
        if side:
            found[side].append(lab)
    out: dict[str, list[str]] = {}
    for side in ("left", "right"):
        cands = found[side]
        if len(cands) == 1:
            out[side] = cands
        elif len(cands) == 2 and _electrode_pair(cands):
            out[side] = sorted(cands)
        elif len(cands) > 1:
            raise InputError(
                path, f"several {side}-leg channels {cands}; choose with channels='LEFT,RIGHT' (CLI: --channels)"
            )
    if not out:
        if len(found["both"]) == 1:
            return {"both": found["both"]}
        if len(found["both"]) > 1:
            raise InputError(path, f"several leg channels without a side {found['both']}; choose with channels='LEFT,RIGHT'")
        shown = ", ".join(repr(x) for x in labels if x not in _ANNOT_LABELS)
        raise InputError(
            path, f"no leg EMG channel found among {shown}; name them with channels='LEFT,RIGHT' (CLI: --channels)"
        )
    return out


def _electrode_pair(labels: Sequence[str]) -> bool:
    a, b = sorted(labels)
    return a[:-1] == b[:-1] and a[-1:] == "1" and b[-1:] == "2"


def _resolve_explicit(path, channels, labels: Sequence[str]) -> dict[str, list[str]]:
    if isinstance(channels, dict):
        wanted = {k: v for k, v in channels.items() if v}
    else:
        parts = channels.split(",") if isinstance(channels, str) else list(channels)
        parts = [p.strip() for p in parts]
        if len(parts) != 2:
            raise InputError(path, f"channels={channels!r}: expected 'LEFT,RIGHT' (leave one empty for a single leg)")
        wanted = {side: lab for side, lab in zip(("left", "right"), parts) if lab}
    if not wanted:
        raise InputError(path, "channels= names no channel")
    by_lower = {lab.strip().lower(): lab for lab in labels}
    out = {}
    for side, lab in wanted.items():
        if side not in ("left", "right", "both"):
            raise InputError(path, f"channels: unknown leg {side!r}; use left or right")
        hit = by_lower.get(str(lab).strip().lower())
        if hit is not None:
            out[side] = [hit]
            continue
        # "A-B" names a derivation of two referential electrodes present in the file
        pieces = [p.strip().lower() for p in str(lab).split("-")]
        if len(pieces) == 2 and all(p in by_lower for p in pieces):
            out[side] = [by_lower[pieces[0]], by_lower[pieces[1]]]
            continue
        shown = ", ".join(repr(x) for x in labels if x not in _ANNOT_LABELS)
        raise InputError(path, f"channel {lab!r} ({side} leg) not in the file; channels are {shown}")
    return out


def one_channel_for_both(picks: dict[str, list[str]], notes: list[str]) -> dict[str, list[str]]:
    """Picks with a channel that records both legs scored as the left leg (and noted)."""
    if "both" not in picks:
        return picks
    notes.append(
        f"one channel {picks['both'][0]!r} records both legs: it is scored as the left leg, so left/right "
        "counts and bilateral merging do not apply"
    )
    return {"left": picks["both"], **{k: v for k, v in picks.items() if k != "both"}}


# -------------------------------------------------------------------- units
def _check_scaling(path, hdr: EdfHeader, i: int) -> None:
    """Refuse a channel whose header cannot turn its integers into physical values.

    The scale is (physical max - physical min) / (digital max - digital min):
    equal digital limits divide by zero, equal physical limits make every
    sample the same value.
    """
    if not hdr.physical_range:
        return
    (pmin, pmax), (dmin, dmax) = hdr.physical_range[i], hdr.digital_range[i]
    label = hdr.labels[i]
    if dmin == dmax:
        raise InputError(path, f"channel {label!r}: digital minimum and maximum are both {dmin}; the header cannot "
                               "scale the samples to physical units (a damaged header)")
    if pmin == pmax:
        raise InputError(path, f"channel {label!r}: physical minimum and maximum are both {pmin:g}; every sample "
                               "would read the same value (a damaged header)")


def _unit_factor(path, unit: str, label: str, notes: list[str]) -> float:
    """Factor from the file's physical unit to uV."""
    key = unit.strip().lower().replace("micro", "µ")
    if key in _TO_UV:
        return _TO_UV[key]
    notes.append(f"channel {label!r} has physical dimension {unit!r}, not a voltage; values were taken as uV")
    return 1.0


def _mne_scale(unit: str) -> float:
    # What MNE multiplied the physical values by (mne/io/edf/edf.py: uV -> 1e-6, mV -> 1e-3, else 1).
    if unit in ("\u03bcV", "\u00b5V", "\x83\xcaV", "uV"):
        return 1e-6
    if unit == "mV":
        return 1e-3
    return 1.0


def check_emg_scale(path, x: np.ndarray, label: str, on_mismatch: str, notes: list[str]) -> float:
    """Factor (1, 1e3, 1e6, 1e-3) to apply to EMG in uV whose amplitude is implausible.

    The robust amplitude (median absolute deviation over at most 100 000
    samples) of leg EMG in uV lies in :data:`EMG_MAD_RANGE_UV`. Outside it,
    the data were most likely stored in mV or V (or uV labelled as mV): the
    factor that brings the amplitude nearest 5 uV, the middle of the usual
    resting-plus-movement range, is returned and noted (``on_mismatch=
    "convert"``), or an InputError is raised (``"error"``); ``"ignore"``
    leaves the data alone. A flat channel (MAD 0) is left for the detector
    (non-wear).
    """
    if on_mismatch == "ignore":
        return 1.0
    step = max(1, x.size // 100_000)  # only the order of magnitude matters
    sub = x[::step]
    sub = sub[np.isfinite(sub)]
    if sub.size == 0:
        return 1.0
    mad = float(np.median(np.abs(sub - np.median(sub))))
    lo, hi = EMG_MAD_RANGE_UV
    if mad == 0 or lo <= mad <= hi:
        return 1.0
    candidates = [1e3, 1e6, 1e-3, 1e-6]
    best = min(candidates, key=lambda f: abs(math.log10(mad * f) - math.log10(5.0)))
    unit_guess = {1e3: "mV", 1e6: "V", 1e-3: "nV (or uV labelled mV)", 1e-6: "pV (or uV labelled V)"}[best]
    msg = (f"channel {label!r}: amplitude {mad:.3g} uV (median absolute deviation) is implausible for leg EMG "
           f"({lo:g}-{hi:g} uV); the data look like {unit_guess}")
    if on_mismatch == "error" or not (lo <= mad * best <= hi):
        raise InputError(path, msg + "; fix the unit in the file or read with units='convert'")
    notes.append(msg + f"; multiplied by {best:g}")
    return best


#: Share of samples at the amplifier's range limit above which a channel is reported as clipped.
CLIP_FRACTION = 1e-3


def _note_clipping(x: np.ndarray, label: str, hdr: EdfHeader, i: int, notes: list[str]) -> None:
    """Note a channel whose samples sit at the header's physical min/max (saturated amplifier)."""
    if not hdr.physical_range:
        return
    (lo, hi), (dlo, dhi) = hdr.physical_range[i], hdr.digital_range[i]
    if dhi <= dlo or hi == lo:
        return
    half_lsb = 0.5 * abs(hi - lo) / (dhi - dlo)
    lo, hi = min(lo, hi), max(lo, hi)
    # Two reductions per block of samples: most channels never reach either limit, and those
    # whose range is the data's own min/max reach it in a few blocks only; look inside those.
    block = 4096
    nfull = x.size // block
    # The samples come straight from the file's integers: no NaN yet (gaps are marked later).
    parts = [x[: nfull * block].reshape(nfull, block), x[nfull * block:][None, :]]
    reach = np.concatenate([(p.min(axis=1) <= lo + half_lsb) | (p.max(axis=1) >= hi - half_lsb)
                            for p in parts if p.size])
    if not reach.any():
        return
    idx = (np.flatnonzero(reach)[:, None] * block + np.arange(block)).reshape(-1)
    idx = idx[idx < x.size]
    near = x[idx]
    idx = idx[(near <= lo + half_lsb) | (near >= hi - half_lsb)]
    near = x[idx]
    idx = idx[(np.abs(near - lo) <= half_lsb) | (np.abs(near - hi) <= half_lsb)]
    # Saturation is flat: count samples in runs of >= 3 at the limit, so that files whose range is
    # simply the data's min/max (peaks touching it once) are not reported.
    if idx.size < 3:
        return
    breaks = np.flatnonzero(np.diff(idx) != 1)
    lengths = np.diff(np.r_[0, breaks + 1, idx.size])
    at_limit = int(lengths[lengths >= 3].sum())
    if at_limit > CLIP_FRACTION * x.size:
        notes.append(f"channel {label!r}: {100 * at_limit / x.size:.2g}% of samples at the recording range limit "
                     f"({lo:g} / {hi:g} {hdr.units[i]}): clipped (saturated) signal, amplitudes there are too low")


# --------------------------------------------------------------- annotations
def annotation_context(path, onsets, durations, descriptions) -> dict[str, Any]:
    """Staging, respiratory events, arousals and lights from EDF+ annotations.

    Labels are classified by :func:`plm.io.edf_annotations.classify` (the
    event reader's mapping, so an EDF+ means the same whether it is read as a
    recording or as events); stage rows become a :class:`Hypnogram` on their
    epoch grid (:func:`plm.io._scored.hypnogram_from_rows`).

    Returns
    -------
    dict
        Keyword arguments for :class:`Recording` (only those present) plus
        ``"n_lm_annotations"``: scored leg movements found (not used by the
        signal reader; read them with ``format="edf-annotations"``).
    """
    from ..model import ScoredEvents
    from ._scored import hypnogram_from_rows
    from .edf_annotations import classify

    kinds: dict[str, list[tuple[float, float, str, int]]] = {}
    for i, (onset, dur, desc) in enumerate(zip(onsets, durations, descriptions), start=1):
        if str(desc).startswith(GAP_LABEL):
            continue  # plm's own missing-sample marks, handled by read_edf
        cls = classify(str(desc))
        if cls is not None:
            kinds.setdefault(cls[0], []).append((float(onset), float(dur), cls[1], i))
    out: dict[str, Any] = {"n_lm_annotations": len(kinds.get("lm", []))}
    if "stage" in kinds:
        on, du, val, row = (np.array(v) for v in zip(*kinds["stage"]))
        out["hypnogram"] = hypnogram_from_rows(path, on.astype(float), du.astype(float), val, row.astype(int))
    for kind, field in (("respiratory", "respiratory"), ("arousal", "arousals")):
        if kind in kinds:
            on, du, val, _ = zip(*kinds[kind])
            out[field] = ScoredEvents(np.array(on), np.array(du), np.array(val))
    if "lights_off" in kinds:
        out["lights_off"] = min(r[0] for r in kinds["lights_off"])
    if "lights_on" in kinds:
        out["lights_on"] = max(r[0] for r in kinds["lights_on"])
    return out


# -------------------------------------------------------------------- reader
def _first_record_offset(path: Path, hdr: EdfHeader) -> float:
    """Seconds from the header start time to the first sample (EDF+ time-keeping TAL)."""
    if "+" not in hdr.kind:
        return 0.0
    try:
        k = next(i for i, lab in enumerate(hdr.labels) if lab in _ANNOT_LABELS)
    except StopIteration:
        return 0.0
    pos = hdr.header_bytes + sum(hdr.samples_per_record[:k]) * hdr.bytes_per_sample
    with open(path, "rb") as fh:
        fh.seek(pos)
        tal = fh.read(min(hdr.samples_per_record[k] * hdr.bytes_per_sample, 256))
    m = re.match(rb"([+-]\d+(?:\.\d*)?)\x14\x14", tal)
    if not m:
        raise InputError(path, "EDF+ first data record has no time-keeping annotation")
    return float(m.group(1))

def _tz_from_recording_id(text: str) -> tuple[_dt.tzinfo | None, str | None]:
    """UTC offset / zone that :func:`write_edf` puts in the EDF+ recording field."""
    m = re.search(r"utc_offset=([+-]\d{2}:\d{2})", text)
    if not m:
        return None, None
    sign = 1 if m.group(1)[0] == "+" else -1
    hh, mm = int(m.group(1)[1:3]), int(m.group(1)[4:6])
    zone = re.search(r"tz=(\S+)", text)
    return _dt.timezone(sign * _dt.timedelta(hours=hh, minutes=mm)), zone.group(1) if zone else None


def read_edf(
    path: str | os.PathLike,
    channels: "str | Sequence[str] | dict[str, str] | None" = None,
    tz: Any = None,
    units: str = "convert",
    resample: bool = True,
) -> Recording:
    """Read leg EMG from an EDF, EDF+ or BDF file.

    Parameters
    ----------
    path : path-like
    channels : str, sequence or dict, optional
        ``"LEFT,RIGHT"`` labels (one may be empty, e.g. ``"Leg L,"``), a
        ``[left, right]`` pair or ``{"left": ..., "right": ...}``. A label
        ``"A-B"`` not in the file but whose parts are, is derived as A - B.
        Default: found by common labels (:func:`find_leg_channels`).
    tz : str or tzinfo, optional
        Time zone of the header's clock time (IANA name or ``"+01:00"``).
        Default: the offset plm wrote into the EDF+ recording field, else UTC
        with a warning in ``meta["warnings"]``.
    units : {"convert", "error", "ignore"}
        What to do when the amplitude shows the data are not in the unit the
        header says (see :func:`check_emg_scale`).
    resample : bool
        When the leg channels have different rates, resample the faster one
        down to the slower rate (polyphase, anti-aliased) and note it;
        ``False`` raises instead.

    Returns
    -------
    Recording
        One ``emg`` channel per leg in uV; EDF+ sleep stages as
        ``hypnogram`` when present.
    """
    path = Path(path)
    if units not in ("convert", "error", "ignore"):
        raise InputError(None, f"units={units!r}; choose convert, error or ignore")
    hdr = read_edf_header(path)
    if hdr.kind.endswith("+D"):
        raise InputError(path, f"{hdr.kind} (discontinuous) files are not supported; export the recording as EDF+C")
    labels = hdr.labels
    picks = _resolve_explicit(path, channels, labels) if channels else find_leg_channels(labels, path)
    notes: list[str] = []
    picks = one_channel_for_both(picks, notes)

    idx_of = {lab: i for i, lab in enumerate(labels)}
    needed = sorted({lab for labs in picks.values() for lab in labs}, key=idx_of.get)
    dup = [lab for lab in needed if labels.count(lab) > 1]
    if dup:
        raise InputError(path, f"channel label(s) {dup} occur more than once; rename them in the file")
    rates = {lab: hdr.sfreqs[idx_of[lab]] for lab in needed}
    for lab, r in rates.items():
        # before reading: a rate no EMG can have would also make the sample count meaningless
        check_rate(path, r, "emg", channel=lab)
        _check_scaling(path, hdr, idx_of[lab])

    import mne  # a core dependency: its absence is a broken installation, not user input

    reader = mne.io.read_raw_bdf if hdr.bytes_per_sample == 3 else mne.io.read_raw_edf
    # Read channels of equal rate together; MNE would upsample mixed rates to the fastest one.
    signals: dict[str, np.ndarray] = {}
    groups: list[np.ndarray] = []
    annotations = None
    for rate in sorted(set(rates.values())):
        group = [lab for lab in needed if rates[lab] == rate]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                raw = reader(path, include=group, preload=False, stim_channel=None, infer_types=False, verbose="error")
        except Exception as exc:  # noqa: BLE001 - MNE raises many types for broken files
            raise InputError(path, f"MNE cannot read the file ({' '.join(str(exc).split())[:200]})") from None
        if annotations is None:
            annotations = raw.annotations
        if list(raw.ch_names) != group:
            raise InputError(path, f"MNE returned channels {raw.ch_names}, expected {group}")
        try:
            data = raw.get_data()  # not preloaded: read from disk straight into this one array
        except Exception as exc:  # noqa: BLE001 - MNE raises many types for broken files
            raise InputError(path, f"MNE cannot read the signals ({' '.join(str(exc).split())[:200]})") from None
        del raw
        groups.append(data)

        convert_to_uv(path, group, data, [hdr.units[idx_of[lab]] for lab in group], hdr, signals, notes)
        del data

    target = min(rates.values())
    if len(set(rates.values())) > 1:
        if not resample:
            raise InputError(path, f"leg channels have different sampling rates {rates}; read with resample=True")
        from scipy.signal import resample_poly

        for lab in needed:
            if rates[lab] != target:
                frac = Fraction(target / rates[lab]).limit_denominator(1000)
                signals[lab] = resample_poly(signals[lab], frac.numerator, frac.denominator)
                notes.append(f"channel {lab!r} resampled from {rates[lab]:g} Hz to {target:g} Hz to match the other leg")
    return leg_recording(path, picks, signals, groups, target, units, notes,
                         clock=hdr.start + _dt.timedelta(seconds=_first_record_offset(path, hdr)), tz=tz,
                         recording_id=hdr.recording_id, annotations=annotations, edf_kind=hdr.kind)


def convert_to_uv(path, labels: Sequence[str], data: np.ndarray, units: Sequence[str], hdr: EdfHeader | None,
                  signals: dict[str, np.ndarray], notes: list[str]) -> None:
    """Rows of ``data`` as MNE gives them (V) back in the file's unit, then in uV, into ``signals[label]``.

    In place, one channel per thread; ``units`` are the file's physical
    dimensions (``hdr`` gives the range for the clipping check, when known).
    """
    idx_of = {lab: i for i, lab in enumerate(hdr.labels)} if hdr is not None else {}

    def to_uv(i: int) -> list[str]:
        # one full pass per channel (and a look at its extremes): in threads, one channel each
        lab, row, row_notes = labels[i], data[i], []
        row /= _mne_scale(units[i])  # back to the file's physical unit
        if lab in idx_of:
            _note_clipping(row, lab, hdr, idx_of[lab], row_notes)
        factor = _unit_factor(path, units[i], lab, row_notes)
        if factor != 1.0:
            row *= factor
        return row_notes

    for lab, row, row_notes in zip(labels, data, map_in_threads(to_uv, range(len(labels)))):
        notes.extend(row_notes)
        signals[lab] = row


def leg_recording(path, picks: dict[str, list[str]], signals: dict[str, np.ndarray], groups: list[np.ndarray],
                  sfreq: float, units: str, notes: list[str], *, clock: _dt.datetime, tz: Any,
                  recording_id: str, annotations, edf_kind: str, source: str | None = None) -> Recording:
    """The :class:`Recording` of an EDF's (or an MNE Raw's) leg channels in uV.

    Shared by :func:`read_edf` and :func:`plm.io.mne_raw.read_mne_raw`:
    derived pairs (``A-B``), the EMG amplitude check, the start time (the
    header's clock time, placed by ``tz``, the ``utc_offset=`` plm wrote into
    the recording field, or UTC with a warning), and staging/events/gaps from
    the annotations (onsets from the first sample).
    """
    n = min(len(v) for v in signals.values())

    sides = [s_ for s_ in ("left", "right") if s_ in picks]
    leg_rows = [signals[picks[s_][0]] for s_ in sides]
    if (len(groups) == 1 and all(len(picks[s_]) == 1 for s_ in sides) and groups[0].shape == (len(sides), n)
            and all(np.shares_memory(r, groups[0][i]) for i, r in enumerate(leg_rows))):
        # common case: the one array MNE filled already holds the legs in order, use it as is
        data = groups[0]
        signals = {}
    else:
        data = np.empty((len(sides), n), dtype=np.float64)
    del leg_rows, groups
    chans = []
    for i, side in enumerate(sides):
        labs = picks[side]
        if not signals:
            pass  # already in place
        elif len(labs) == 1:
            data[i] = signals.pop(labs[0])[:n]
        else:
            np.subtract(signals[labs[0]][:n], signals[labs[1]][:n], out=data[i])
        name = labs[0] if len(labs) == 1 else f"{labs[0]}-{labs[1]}"
        factor = check_emg_scale(path, data[i], name, units, notes)
        if factor != 1.0:
            data[i] *= factor
        chans.append(Channel(name, "uV", "emg", side=side))
    del signals

    # Start time: the header clock has no UTC offset; EDF+ keeps a sub-second start in the first TAL.
    if tz is not None:
        start, tz_name = local_start(clock, tz, path)
    else:
        zone, tz_name = _tz_from_recording_id(recording_id)
        if zone is None:
            zone = _dt.timezone.utc
            notes.append("EDF start time has no UTC offset; the clock time was taken as UTC (pass tz= to set it)")
        start = clock.replace(tzinfo=zone)
    # MNE's annotation onsets are seconds from the first sample (EDF+ time-keeping already applied).
    context = (annotation_context(path, annotations.onset, annotations.duration, annotations.description)
               if annotations is not None and len(annotations) else {})
    n_lm_ann = context.pop("n_lm_annotations", 0)
    if annotations is not None and len(annotations):
        n_gap = _apply_gap_annotations(data, [c.name for c in chans], sfreq, annotations)

    meta: dict[str, Any] = {"format": "edf", "edf_kind": edf_kind, "leg_channels": {k: v for k, v in picks.items()}}
    if n_lm_ann:
        meta["lm_annotations"] = n_lm_ann
    if annotations is not None and len(annotations) and n_gap:
        meta["gap_samples_restored"] = n_gap  # 'plm gap' annotations of a file plm wrote: NaN again
    warn_notes = [m for m in notes]
    if warn_notes:
        meta["warnings"] = warn_notes
        for m in warn_notes:
            warnings.warn(f"{path}: {m}", UserWarning, stacklevel=3)
    return Recording(
        data=data,
        sfreq=sfreq,
        channels=tuple(chans),
        start_time=start,
        timezone=tz_name,
        device=_equipment(recording_id),
        source=str(path) if source is None else source,
        meta=meta,
        **context,
    )


# -------------------------------------------------------------------- writer
def write_edf(path: str | os.PathLike, recording: Recording, *, annotations=None) -> Path:
    """Write the signals of a recording as EDF (EDF+C when annotations are given).

    Parameters
    ----------
    path : path-like
    recording : Recording
    annotations : iterable of (onset, duration, text), optional
        EDF+ annotations to store (e.g. sleep stages).

    Returns
    -------
    Path

    Notes
    -----
    Needs the optional package ``edfio`` (``pip install 'plm[export]'``).
    EDF stores 16-bit integers: each channel's physical range is its
    min/max, so values are quantised to (max - min) / 65535. EDF has no
    missing-value code: NaN samples are written as 0 and each run of them is
    marked by an EDF+ annotation ``plm gap`` (or ``plm gap: <channel>``),
    which :func:`read_edf` turns back into NaN. The last data record is completed by repeating the last sample.
    The start time's UTC offset (and IANA zone) go into the EDF+ recording
    field as ``utc_offset=+01:00 tz=Europe/Berlin``, which :func:`read_edf`
    reads back.
    """
    try:
        import edfio
    except ImportError:
        raise MissingDependencyError("writing EDF", "edfio", "export") from None
    path = Path(path)
    sfreq = recording.sfreq
    frac = Fraction(sfreq).limit_denominator(1000)
    if abs(float(frac) - sfreq) > 1e-9 * sfreq:
        raise InputError(path, f"sampling rate {sfreq!r} Hz cannot be written to EDF exactly")
    record_duration = float(frac.denominator)  # smallest whole-second record holding whole samples
    spr = int(round(sfreq * record_duration))
    n = recording.n_samples
    n_pad = (-n) % spr
    data = np.asarray(recording.data, dtype=np.float64)
    gap_annotations = _gap_annotations(data, recording.ch_names, sfreq)
    if gap_annotations:
        warnings.warn(f"{path}: {int(np.isnan(data).sum())} missing (NaN) samples written as 0 and marked with "
                      f"'{GAP_LABEL}' annotations (EDF has no missing-value code)", UserWarning, stacklevel=2)
        data = np.nan_to_num(data, nan=0.0)
    if n_pad:
        data = np.pad(data, ((0, 0), (0, n_pad)), mode="edge")
    signals = []
    for ch, x in zip(recording.channels, data):
        lo, hi = float(x.min()), float(x.max())
        if hi <= lo:
            lo, hi = lo - 1.0, lo + 1.0
        signals.append(edfio.EdfSignal(x, sfreq, label=ch.name[:16], physical_dimension=ch.unit[:8],
                                       physical_range=(lo, hi)))
    st = recording.start_time
    off = st.utcoffset()
    minutes = int(off.total_seconds() // 60)
    extra = [f"utc_offset={'+' if minutes >= 0 else '-'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"]
    if recording.timezone:
        extra.append(f"tz={recording.timezone}")
    rec_id = edfio.Recording(startdate=st.date(), equipment_code=_edf_token(recording.device or "plm"),
                             additional=extra)
    ann = None
    if annotations is not None or gap_annotations:
        ann = [edfio.EdfAnnotation(float(o), float(d) if d else None, str(t))
               for o, d, t in list(annotations or []) + gap_annotations]
    edf = edfio.Edf(signals, recording=rec_id, starttime=st.time().replace(tzinfo=None),
                    data_record_duration=record_duration, annotations=ann)
    with atomic_path(path) as tmp:
        edf.write(tmp)
    return path


#: EDF+ annotation text that marks missing samples (NaN) written as 0; ``GAP_LABEL: <channel>`` for one channel.
GAP_LABEL = "plm gap"


def _gap_annotations(data: np.ndarray, names: Sequence[str], sfreq: float) -> list[tuple[float, float, str]]:
    """(onset, duration, text) of every NaN run: one for all channels when they agree, else per channel."""
    mask = np.isnan(data)
    if not mask.any():
        return []
    rows = [(mask.any(axis=0), GAP_LABEL)] if (mask == mask[:1]).all() else [
        (m, f"{GAP_LABEL}: {name}") for m, name in zip(mask, names) if m.any()]
    out = []
    for m, text in rows:
        edges = np.diff(np.concatenate([[0], m.astype(np.int8), [0]]))
        starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        out.extend((a / sfreq, (b - a) / sfreq, text) for a, b in zip(starts, stops))
    return out


def _apply_gap_annotations(data: np.ndarray, names: list[str], sfreq: float, annotations) -> int:
    """Set samples marked by ``plm gap`` annotations back to NaN; returns how many were marked."""
    n = 0
    for onset, dur, desc in zip(annotations.onset, annotations.duration, annotations.description):
        text = str(desc)
        if not text.startswith(GAP_LABEL):
            continue
        target = text[len(GAP_LABEL):].lstrip(": ").strip()
        rows = [i for i, nm in enumerate(names) if not target or nm == target]
        i0 = max(0, int(round(onset * sfreq)))
        i1 = min(data.shape[1], i0 + int(round(dur * sfreq)))
        if rows and i1 > i0:
            data[rows, i0:i1] = np.nan
            n += (i1 - i0) * len(rows)
    return n


def _equipment(recording_id: str) -> str:
    """Equipment code of an EDF+ recording field (``Startdate d-MMM-yyyy admin tech equipment ...``)."""
    parts = recording_id.split()
    if len(parts) >= 5 and parts[0] == "Startdate" and parts[4] != "X":
        return parts[4].replace("_", " ")
    return ""


def _edf_token(text: str) -> str:
    token = re.sub(r"[^\x21-\x7e]+", "_", text).strip("_")[:20]
    return token or "X"
