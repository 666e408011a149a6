"""The :class:`NightResult`: everything scored for one night."""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any

from ._version import __version__
from .criteria import Criteria
from .events import EventTable, Hypnogram

__all__ = ["NightResult", "SUMMARY_KEYS"]

#: Keys every ``summary()`` has (the JSON contract in docs/DESIGN).
SUMMARY_KEYS = (
    "plm_index",
    "plms_index",
    "plmw_index",
    "n_lm_left",
    "n_lm_right",
    "n_lm",
    "n_clm",
    "n_plm",
    "n_series",
    "periodicity_index",
    "hours_denominator",
    "denominator",
    "criteria",
    "version",
)


@dataclass(frozen=True, eq=False)
class NightResult:
    """Scored night: measures, per-LM events and the criteria used.

    Attributes
    ----------
    measures : dict
        Every reported measure by name (see ``docs/measures.md``); each is
        also readable as an attribute, e.g. ``result.plms_index``.
    events : EventTable
        One row per monolateral LM: ``onset, duration, side, lm_id, is_clm,
        is_clmr, is_plm, series, stage, arousal`` (see ``docs/formats.md``).
    lms : EventTable
        One row per scored LM after bilateral merging (``lm_id`` links the
        two tables), with ``imi`` and series membership.
    criteria : Criteria
    start_time : datetime or None
        Wall-clock time of second 0, with UTC offset.
    source : str
    hypnogram : Hypnogram or None
    recording : Recording or None
        The raw recording when scored from signals (used by EDF+ export).
    version : str
        ``plm`` version that produced the result.
    """

    measures: dict[str, Any]
    events: EventTable
    lms: EventTable
    criteria: Criteria
    start_time: _dt.datetime | None = None
    source: str = ""
    hypnogram: Hypnogram | None = None
    recording: Any = None
    version: str = __version__
    extra: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails: expose measures by name.
        measures = self.__dict__.get("measures", {})
        if name in measures:
            return measures[name]
        raise AttributeError(f"NightResult has no attribute or measure {name!r}")

    def summary(self) -> dict[str, Any]:
        """Nightly measures plus criteria and version, JSON-serialisable.

        Returns
        -------
        dict
            Has at least the keys of :data:`SUMMARY_KEYS`; ``criteria`` is
            ``{"name", "hash", "params"}``. Histograms are lists; every other
            measure is a number, string or None.
        """
        out: dict[str, Any] = {
            "source": self.source,
            "start_time": None if self.start_time is None else self.start_time.isoformat(),
        }
        out.update(self.measures)
        if self.extra.get("warnings"):
            # what was excluded or assumed, so a summary alone says it
            out["warnings"] = list(self.extra["warnings"])
        out["criteria"] = self.criteria.describe()
        out["version"] = self.version
        return out

    def save(self, path, format: str | None = None) -> None:
        """Write the result; the format follows the extension unless given.

        See ``plm.io.export`` for the formats (``.tsv``, ``.json``, ``.csv``,
        ``.edf``, ``.xml``, ``.h5``).
        """
        from .io.export import save_result

        save_result(self, path, format=format)

    def to_annotations(self):
        """The LMs and PLMs as :class:`mne.Annotations` with per-leg channel names."""
        from .io.export import result_to_annotations

        return result_to_annotations(self)

    def __repr__(self) -> str:
        m = self.measures
        return (
            f"<NightResult {self.source!r}: {m.get('n_lm', '?')} LM, {m.get('n_plm', '?')} PLM, "
            f"PLM index {m.get('plm_index', float('nan')):.1f}/h ({m.get('denominator', '?')}), "
            f"criteria {self.criteria.name} {self.criteria.hash}>"
        )
