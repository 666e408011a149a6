"""Scoring criteria: frozen presets with JSON round-trip and a stable hash.

A :class:`Criteria` holds every number and choice that affects a result, from
detection thresholds to the series rules, so that an index can be reproduced
from the criteria JSON recorded beside it. Sources for each preset are in
``docs/criteria.md``.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, fields
from typing import Any

from ._util import did_you_mean
from .errors import CriteriaError

__all__ = ["Criteria", "get", "names", "PRESETS", "parse_overrides", "field_descriptions"]

# Allowed values of the enumerated fields; checked in Criteria.__post_init__.
_CHOICES: dict[str, tuple[str, ...]] = {
    "bilateral_rule": ("offset_gap", "onset_difference"),
    "imi_reference": ("onset", "offset"),
    "short_imi": ("new_series", "no_new_series"),
    "respiratory_anchor": ("end", "event"),
    "respiratory_action": ("flag", "exclude"),
    "mains_hz": ("auto", "50", "60", "none"),
}


@dataclass(frozen=True)
class Criteria:
    """Every parameter of leg-movement detection and PLM scoring.

    Times are in seconds, EMG amplitudes in microvolts above the resting
    level, accelerations in g. Use :func:`get` for a preset and
    :meth:`replace` to change fields; instances are immutable.

    Parameters
    ----------
    name : str
        Preset name this criteria set came from (``"custom"`` suffix is not
        added automatically; the hash tells changed sets apart).
    lm_min_duration : float
        Shortest LM, s (both standards: 0.5).
    lm_max_duration : float
        Longest monolateral LM that can be a candidate LM (CLM), s (10).
    same_leg_merge_gap : float
        Same-leg LMs separated by less than this (offset to onset) merge, s.
    bilateral_rule : {"offset_gap", "onset_difference"}
        WASM 2016 merges left/right LMs that overlap or are < ``bilateral_gap``
        apart offset-to-onset; AASM merges LMs whose onsets differ by
        < ``bilateral_gap``.
    bilateral_gap : float
        Threshold of ``bilateral_rule``, s (WASM 0.5, AASM 5.0).
    bilateral_max_duration : float
        Longest bilateral LM that can be a CLM, s (WASM 2016: 15).
    bilateral_max_lms : int
        Most monolateral LMs a bilateral CLM may contain (WASM 2016: 4).
    long_lm_inheritance : bool
        A bilateral LM containing a monolateral LM longer than
        ``lm_max_duration`` is not a CLM (PLMScoRe behaviour).
    long_lm_breaks : bool
        A monolateral LM longer than ``lm_max_duration`` stays an LM that is
        not a CLM and breaks series (WASM 2016). False: it is not an LM at all
        and is ignored (AASM, WASM 2006: LMs last 0.5-10 s).
    long_lm_merge : bool
        A monolateral LM longer than ``lm_max_duration`` takes part in
        bilateral merging (PLMScoRe). False: it stays a single non-CLM LM
        (MATPLM behaviour); only matters when ``long_lm_breaks`` is true.
    imi_min, imi_max : float
        Inclusive bounds of the intermovement interval within a series, s.
    imi_reference : {"onset", "offset"}
        IMI measured onset-to-onset (standard) or offset-to-onset.
    min_series_length : int
        Fewest consecutive CLMs that make a periodic series (4).
    short_imi : {"new_series", "no_new_series"}
        After an IMI < ``imi_min`` the running series ends; the later CLM may
        start a new series (``new_series``, PLMScoRe) or may not.
    respiratory_window : tuple of float
        (before, after) margins, s, around the respiratory anchor.
    respiratory_anchor : {"end", "event"}
        WASM 2016 measures the window around the event's end; AASM around the
        whole event (start - before to end + after).
    respiratory_action : {"flag", "exclude"}
        WASM 2016 flags respiratory-related CLMs (CLMr); AASM does not score
        such LMs at all.
    arousal_gap : float
        An LM and an arousal are associated when they overlap or are less than
        this apart, s.
    emg_onset_uv, emg_offset_uv : float
        EMG onset/offset thresholds above the resting level, uV (8 / 2).
    emg_offset_duration : float
        Offset is the start of a period at least this long at or below the
        offset threshold, s (0.5).
    emg_found_fraction : float
        A stretch of EMG activity is a movement when its spike-free envelope
        reaches this fraction of the way from the offset to the onset level
        above rest (0.667: +6 uV with 8 and 2 uV); the onset is then taken on
        the unopened envelope at ``emg_onset_uv``.
    morphology_window : float
        Window length of the morphology rule (Skeba 2016), s; 0 disables it.
    morphology_uv : float
        Median rectified EMG above resting level needed within the window, uV.
    emg_band : tuple of float
        EMG band-pass edges, Hz (capped below Nyquist at run time).
    mains_hz : {"auto", "50", "60", "none"}
        Mains notch frequency; ``auto`` picks the stronger of 50/60 Hz.
    emg_smoothing : float
        Window of the moving RMS envelope, s.
    baseline_window : float
        Window of the resting-level (noise floor) estimate, s.
    baseline_percentile : float
        Percentile of the envelope in each window taken as the resting level.
    accel_onset_g, accel_offset_g : float
        Absolute floors of the accelerometer onset and offset thresholds on
        the movement size (deviation from the posture beyond the resting
        noise), g; 0.022 g is a tilt of about 1.3 degrees.
    accel_onset_noise, accel_offset_noise : float
        Accelerometer onset and offset thresholds as multiples of the
        recording's resting noise level (``accel_noise_percentile`` of the
        deviation envelope, about the RMS of the noise vector, recomputed
        over ``accel_noise_window``); the larger of floor and multiple
        applies.
    accel_noise_percentile : float
        Percentile of the deviation envelope in each ``accel_noise_window``
        taken as the accelerometer's resting noise level.
    accel_noise_window : float
        Sliding window of the accelerometer's resting noise level, s (long
        enough that dense series of held tilts stay a minority of it).
    accel_posture_window : float
        Length of the posture medians before and after each moment, s: a
        tilt held for up to about this long stays one movement, a new
        posture is taken up within half of it.
    accel_bridge_gap : float
        Drop-outs shorter than this inside a movement are bridged, s.
    accel_smoothing : float
        Window of the moving RMS of the deviation from the posture, s (at
        least 12 squared noise samples: 4 samples on 3 axes).
    emg_spike_width : float
        EMG envelope bumps narrower than this are removed as spikes (QRS,
        pops) by a grey-scale opening, s; capped at 0.8 x ``lm_min_duration``.
    emg_dip_width : float
        Dips of the EMG envelope narrower than this, s, are filled (a
        grey-scale closing) before the spike rejection, so that a movement
        made of short sub-bursts is not taken for heart beats; 0 disables.
    emg_pop_min_uv : float
        Electrode pop: a filtered EMG sample above this, uV, and above
        ``emg_pop_ratio`` x (envelope + 1 uV) is blanked.
    emg_pop_ratio : float
        Electrode pop: ratio of a filtered sample to the envelope (+1 uV)
        above which it cannot be muscle activity.
    emg_pop_blank : tuple of float
        (before, after) an electrode pop that is blanked, s.
    emg_feature_rate : float
        Approximate rate of the EMG decision grid, Hz (the RMS envelope is
        decimated to it by an integer factor; sets onset/offset resolution).
    detect_block : float
        Block length of the EMG resting-level block means and of the block
        maxima from which LM peak amplitudes are taken, s.
    max_filter_edge : float
        Highest usable filter edge as a fraction of the sampling rate; band
        edges at or above it are dropped.
    quality_block : float
        Block length of the flatness and non-wear statistics, s.
    flat_std_g : float
        Accelerometer block standard deviation at or below which a channel is
        flat, g.
    flat_std_uv : float
        EMG block standard deviation at or below which a channel is flat, uV.
    flat_min_duration : float
        Shortest stretch with every channel of a leg flat that is non-wear, s.
    nonwear_window : float
        Accelerometer non-wear window (van Hees 2013: 60 min), s; 0 disables
        the rule (the flat rule still applies).
    nonwear_sd_g : float
        Non-wear: every quality block's standard deviation of an axis stays
        below this in the window, g (van Hees 2013: 13 mg).
    nonwear_range_g : float
        Non-wear: range of an axis' quality-block means in the window stays
        below this, g (van Hees 2011/2013 value range: 50 mg).
    nonwear_min_axes : int
        Non-wear: fewest axes (of 3) meeting both conditions (van Hees: 2).
    clip_min_duration : float
        Shortest stretch pinned at a channel's extreme value that is
        clipped, s.
    clip_min_mad : float
        An extreme value is a rail only when it lies more than this many
        median absolute deviations from the channel's median.
    filter_order : int
        Order of each Butterworth band edge of the EMG band-pass; applied
        forward and backward, so the attenuation is doubled.
    notch_q : float
        Quality factor of the mains notch (-3 dB width = mains frequency / Q).
    mains_auto_ratio : float
        With ``mains_hz="auto"`` a 50/60 Hz line is notched when its power is
        at least this many times the neighbouring spectrum.
    """

    name: str = "wasm2016"
    # --- LM and bilateral rules
    lm_min_duration: float = 0.5
    lm_max_duration: float = 10.0
    same_leg_merge_gap: float = 0.5
    bilateral_rule: str = "offset_gap"
    bilateral_gap: float = 0.5
    bilateral_max_duration: float = 15.0
    bilateral_max_lms: int = 4
    long_lm_inheritance: bool = True
    long_lm_breaks: bool = True
    long_lm_merge: bool = True
    # --- series
    imi_min: float = 10.0
    imi_max: float = 90.0
    imi_reference: str = "onset"
    min_series_length: int = 4
    short_imi: str = "new_series"
    # --- associations
    respiratory_window: tuple[float, float] = (2.0, 10.25)
    respiratory_anchor: str = "end"
    respiratory_action: str = "flag"
    arousal_gap: float = 0.5
    # --- EMG detection
    emg_onset_uv: float = 8.0
    emg_offset_uv: float = 2.0
    emg_offset_duration: float = 0.5
    emg_found_fraction: float = 0.667
    morphology_window: float = 0.5
    morphology_uv: float = 2.0
    emg_band: tuple[float, float] = (10.0, 100.0)
    mains_hz: str = "auto"
    emg_smoothing: float = 0.1
    baseline_window: float = 60.0
    baseline_percentile: float = 10.0
    # --- accelerometer detection
    accel_onset_g: float = 0.022
    accel_offset_g: float = 0.011
    accel_onset_noise: float = 2.5
    accel_offset_noise: float = 1.5
    accel_noise_percentile: float = 30.0
    accel_noise_window: float = 300.0
    accel_posture_window: float = 60.0
    accel_bridge_gap: float = 0.5
    accel_smoothing: float = 0.25
    # --- detection internals that change results (docs/detection.md)
    emg_spike_width: float = 0.4
    emg_dip_width: float = 0.08
    emg_pop_min_uv: float = 300.0
    emg_pop_ratio: float = 20.0
    emg_pop_blank: tuple[float, float] = (0.1, 0.3)
    emg_feature_rate: float = 100.0
    detect_block: float = 0.5
    max_filter_edge: float = 0.45
    # --- signal quality: flat signal, non-wear, clipping
    quality_block: float = 10.0
    flat_std_g: float = 1e-3
    flat_std_uv: float = 0.05
    flat_min_duration: float = 1800.0
    nonwear_window: float = 3600.0
    nonwear_sd_g: float = 0.013
    nonwear_range_g: float = 0.05
    nonwear_min_axes: int = 2
    clip_min_duration: float = 1.0
    clip_min_mad: float = 10.0
    # --- filters
    filter_order: int = 2
    notch_q: float = 25.0
    mains_auto_ratio: float = 5.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in _CHOICES and value not in _CHOICES[f.name]:
                raise CriteriaError(
                    f"criteria field {f.name!r} must be one of {list(_CHOICES[f.name])}, got {value!r}"
                )
            if f.type in ("float", "int") and not isinstance(value, bool):
                if not isinstance(value, (int, float)) or value != value or value < 0:
                    raise CriteriaError(
                        f"criteria field {f.name!r} must be a non-negative number, got {value!r}"
                    )
                if f.type == "float" and not isinstance(value, float):
                    # 12 and 12.0 score alike, so they must hash alike (the
                    # hash is taken over JSON, where they differ).
                    object.__setattr__(self, f.name, float(value))
            if f.type == "tuple[float, float]":
                if (
                    not isinstance(value, tuple)
                    or len(value) != 2
                    or not all(isinstance(v, (int, float)) and v >= 0 for v in value)
                ):
                    raise CriteriaError(
                        f"criteria field {f.name!r} must be two non-negative numbers, got {value!r}"
                    )
        if self.lm_min_duration > self.lm_max_duration:
            raise CriteriaError("lm_min_duration must not exceed lm_max_duration")
        if self.imi_min > self.imi_max:
            raise CriteriaError("imi_min must not exceed imi_max")
        if self.min_series_length < 2:
            raise CriteriaError("min_series_length must be at least 2")
        if self.accel_offset_g > self.accel_onset_g:
            raise CriteriaError("accel_offset_g must not exceed accel_onset_g")
        if self.accel_offset_noise > self.accel_onset_noise:
            raise CriteriaError("accel_offset_noise must not exceed accel_onset_noise")
        if self.emg_offset_uv > self.emg_onset_uv:
            raise CriteriaError("emg_offset_uv must not exceed emg_onset_uv")
        if self.emg_found_fraction > 1:
            raise CriteriaError(f"emg_found_fraction must lie in [0, 1], got {self.emg_found_fraction!r}")
        for name in ("emg_feature_rate", "detect_block", "quality_block", "emg_pop_ratio", "filter_order", "notch_q",
                     "accel_posture_window"):
            if getattr(self, name) <= 0:
                raise CriteriaError(f"criteria field {name!r} must be positive, got {getattr(self, name)!r}")
        if not 0 < self.max_filter_edge <= 0.5:
            raise CriteriaError(f"max_filter_edge is a fraction of the sampling rate in (0, 0.5], got {self.max_filter_edge!r}")
        if not isinstance(self.filter_order, int) or isinstance(self.filter_order, bool) or self.filter_order > 8:
            raise CriteriaError(f"filter_order must be an integer from 1 to 8, got {self.filter_order!r}")
        if self.nonwear_min_axes not in (1, 2, 3):
            raise CriteriaError(f"nonwear_min_axes must be 1, 2 or 3, got {self.nonwear_min_axes!r}")
        if 0 < self.nonwear_window < self.quality_block:
            raise CriteriaError("nonwear_window must be 0 (off) or at least quality_block")

    # ------------------------------------------------------------------ API
    def replace(self, **changes: Any) -> "Criteria":
        """Return a copy with some fields changed (values are validated).

        Parameters
        ----------
        **changes
            Field names and new values; strings are converted to the field's
            type (as from ``--set key=value``).

        Returns
        -------
        Criteria
            A new object; its :attr:`hash` differs when a value does.

        Raises
        ------
        CriteriaError
            Unknown field or invalid value.
        """
        unknown = sorted(set(changes) - set(_FIELD_TYPES))
        if unknown:
            raise CriteriaError(_unknown_field(unknown[0]))
        return dataclasses.replace(self, **{k: _coerce(k, v) for k, v in changes.items()})

    def to_dict(self) -> dict[str, Any]:
        """Every field as plain JSON-compatible values.

        Returns
        -------
        dict
            Field name to value, in field order; tuples become lists.
        """
        return {f.name: _jsonable(getattr(self, f.name)) for f in fields(self)}

    def to_json(self, indent: int | None = None) -> str:
        """JSON text with keys in field order.

        Parameters
        ----------
        indent : int or None
            As for :func:`json.dumps`.

        Returns
        -------
        str
        """
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Criteria":
        """Inverse of :meth:`to_dict` (or of :meth:`describe`); unknown keys are an error.

        The ``{"name", "hash", "params"}`` record of :meth:`describe` (what
        ``plm criteria NAME`` prints and every summary holds) is accepted too;
        its ``params`` are used and the hash is recomputed from them. Such a
        record may also hold a ``calibration`` entry (what ``plm calibrate``
        fitted it on); it is provenance and does not change the criteria.

        Parameters
        ----------
        data : dict
            Field values (missing fields take the ``wasm2016`` defaults).

        Returns
        -------
        Criteria
        """
        if not isinstance(data, dict):
            raise CriteriaError(f"criteria must be a JSON object, got {type(data).__name__}")
        if isinstance(data.get("params"), dict) and set(data) <= {"name", "hash", "params", "calibration"}:
            data = {**({"name": data["name"]} if "name" in data else {}), **data["params"]}
        return cls().replace(**data)

    @classmethod
    def from_json(cls, text: str) -> "Criteria":
        """Inverse of :meth:`to_json` (also reads what :meth:`describe` gives as JSON).

        Parameters
        ----------
        text : str
            A JSON object.

        Returns
        -------
        Criteria
        """
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CriteriaError(f"criteria JSON is not valid: {exc}") from None
        return cls.from_dict(data)

    @property
    def hash(self) -> str:
        """First 12 hex digits of the SHA-256 of the parameters (name excluded).

        Two criteria sets that score identically have the same hash whatever
        they are called; the hash is stable across Python sessions and
        versions because it is taken over canonical JSON.
        """
        params = self.to_dict()
        params.pop("name")
        canon = json.dumps(params, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canon.encode()).hexdigest()[:12]

    def describe(self) -> dict[str, Any]:
        """The record written beside every result.

        Returns
        -------
        dict
            ``{"name": str, "hash": str, "params": dict}`` (``params`` as
            :meth:`to_dict`).
        """
        return {"name": self.name, "hash": self.hash, "params": self.to_dict()}


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


_FIELD_TYPES = {f.name: f.type for f in fields(Criteria)}


def _coerce(name: str, value: Any) -> Any:
    """Convert strings (from ``--set key=value``) and lists (from JSON) to field types."""
    kind = _FIELD_TYPES.get(name)
    try:
        if kind == "float":
            return float(value) if isinstance(value, str) else value
        if kind == "int":
            return int(value) if isinstance(value, str) else value
        if kind == "bool":
            if isinstance(value, str):
                low = value.strip().lower()
                if low in ("true", "1", "yes", "on"):
                    return True
                if low in ("false", "0", "no", "off"):
                    return False
                raise ValueError(value)
            return value
        if kind == "tuple[float, float]":
            if isinstance(value, str):
                value = [v for v in value.replace("(", "").replace(")", "").split(",") if v.strip()]
            return tuple(float(v) for v in value)
    except (TypeError, ValueError):
        raise CriteriaError(f"criteria field {name!r}: cannot use value {value!r} ({kind} expected)") from None
    return value


def _unknown_field(key: str) -> str:
    return f"unknown criteria field {key!r}{did_you_mean(key, _FIELD_TYPES)}; `plm criteria --fields` lists the fields"


def parse_overrides(items: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """Parse ``key=value`` strings (the CLI's ``--set``) into a dict of changes.

    Parameters
    ----------
    items : sequence of str
        ``"key=value"`` strings; keys must be criteria fields.

    Returns
    -------
    dict
        Field name to value text (converted to the field type by
        :meth:`Criteria.replace`).
    """
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise CriteriaError(f"--set expects key=value, got {item!r}")
        if key not in _FIELD_TYPES:
            raise CriteriaError(_unknown_field(key))
        out[key] = value.strip()
    return out


def field_descriptions() -> dict[str, str]:
    """One-line description of every field, from the ``Criteria`` docstring.

    The numpydoc Parameters section of :class:`Criteria` is the single
    source: an entry ``a, b : type`` describes both fields; the first
    sentence of its text is the description.

    Returns
    -------
    dict
        Field name to description, in field order (``""`` for a field the
        docstring does not describe).
    """
    import inspect
    import re

    doc = inspect.cleandoc(Criteria.__doc__ or "")
    section = doc.split("Parameters\n----------\n", 1)[-1]
    found: dict[str, str] = {}
    names_now: list[str] = []
    text: list[str] = []

    def flush() -> None:
        if names_now:
            joined = " ".join(text).strip()
            first = re.split(r"(?<=\.)\s+(?=[A-Z(`])", joined, maxsplit=1)[0] if joined else ""
            for nm in names_now:
                found[nm] = first
    for line in section.splitlines():
        head = re.match(r"^([a-z_][a-z0-9_]*(?:\s*,\s*[a-z_][a-z0-9_]*)*)\s*:", line)
        if head and not line.startswith(" "):
            flush()
            names_now = [n.strip() for n in head.group(1).split(",")]
            text = []
        elif line.strip():
            text.append(line.strip())
    flush()
    return {f.name: found.get(f.name, "").replace("``", "`") for f in fields(Criteria)}


# ---------------------------------------------------------------- presets
_WASM2016 = Criteria()

#: Stand-in for "no limit" in count/duration fields (JSON has no infinity).
NO_LIMIT_LMS = 2**31 - 1
NO_LIMIT_S = 1e9

# WASM 2006 (Zucconi et al. 2006): LMs last 0.5-10 s (longer ones are
# not LMs); LMs of the two legs with onsets < 5 s apart count as one;
# IMI 5-90 s; LMs within 0.5 s of the end of an apnea/hypopnea are not
# counted; no morphology rule (Skeba 2016 came later). See docs/criteria.md.
_WASM2006 = _WASM2016.replace(
    name="wasm2006",
    bilateral_rule="onset_difference",
    bilateral_gap=5.0,
    bilateral_max_duration=NO_LIMIT_S,
    bilateral_max_lms=NO_LIMIT_LMS,
    long_lm_inheritance=False,
    long_lm_breaks=False,
    imi_min=5.0,
    respiratory_window=(0.5, 0.5),
    respiratory_anchor="end",
    respiratory_action="exclude",
    morphology_window=0.0,
)

# AASM manual v2.x (Berry et al. 2018): the WASM 2006 rules (LMs 0.5-10 s,
# onsets < 5 s apart on the two legs count as one LM, IMI 5-90 s) except
# that LMs from 0.5 s before the START to 0.5 s after the END of a
# respiratory event are not scored (WASM 2006: around the end only).
_AASM = _WASM2006.replace(name="aasm", respiratory_anchor="event")

PRESETS: dict[str, Criteria] = {
    "wasm2016": _WASM2016,
    "wasm2006": _WASM2006,
    "aasm": _AASM,
    # PAM-RL-style ankle accelerometer: the WASM 2016 duration and series
    # rules on LMs detected from the deviation of the foot from its posture
    # (thresholds relative to the recording's noise, docs/detection.md).
    "pamrl": _WASM2016.replace(name="pamrl"),
}
# AASM 2007 manual (Iber et al. 2007): the same numbers for every field here
# (its explicit 8 uV minimum amplitude equals the onset threshold).
PRESETS["aasm2007"] = PRESETS["aasm"].replace(name="aasm2007")

def names() -> list[str]:
    """Names of the presets, default first.

    Returns
    -------
    list of str
    """
    return list(PRESETS)


def get(name: "str | Criteria" = "wasm2016", **changes: Any) -> Criteria:
    """Return a preset by name, optionally with fields changed.

    Parameters
    ----------
    name : str or Criteria
        Preset name (see :func:`names`), or a ``Criteria`` returned as is.
    **changes
        Field overrides, validated as in :meth:`Criteria.replace`.

    Returns
    -------
    Criteria
    """
    if isinstance(name, Criteria):
        crit = name
    else:
        key = str(name).strip().lower()
        if key not in PRESETS:
            # No aliases: "wasm" alone could be either WASM standard (2006 or 2016), whose
            # IMI minimum and bilateral rule differ; the suggestion names both.
            raise CriteriaError(f"unknown criteria {name!r}{did_you_mean(key, names())}; "
                                f"choose one of {', '.join(names())} or a criteria JSON file")
        crit = PRESETS[key]
    return crit.replace(**changes) if changes else crit
