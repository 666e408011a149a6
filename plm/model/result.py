"""The :class:`NightResult`: everything scored for one night."""
from __future__ import annotations

import datetime as _dt
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._version import __version__
from ..criteria import Criteria
from .events import EventTable, Hypnogram

if TYPE_CHECKING:
    import mne
    from matplotlib.axes import Axes

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
        night = self.night_info()
        out["night"] = night.get("night")
        out.update(self.measures)
        # The night splitter's date (e.g. from a lights table) wins over one
        # derived from the start time.
        if night.get("night"):
            out["night"] = night["night"]
        # What was excluded or assumed (night splitting, the scorer's and the
        # reader's warnings), so that a summary alone says it.
        notes = list(night.get("notes") or []) + list(self.extra.get("warnings") or [])
        if notes:
            out["notes"] = notes
        out["criteria"] = self.criteria.describe()
        out["version"] = self.version
        return out

    def night_info(self) -> dict[str, Any]:
        """Night date (``night``, ISO date), ``night_index``, ``n_nights``, ``notes``.

        Set by :func:`plm.nights.split_nights` in each night's recording
        ``meta`` (or given in ``extra``). Otherwise the night date follows
        from ``start_time``: the local date of the noon opening the
        noon-to-noon window that holds the first sample.

        Returns
        -------
        dict
            Those of the four keys that are known (empty without a start
            time or night metadata).
        """
        keys = ("night", "night_index", "n_nights", "notes")
        meta = getattr(self.recording, "meta", None) or {}
        info = {k: meta[k] for k in keys if k in meta}
        info.update({k: self.extra[k] for k in keys if k in (self.extra or {})})
        if "night" not in info and self.measures.get("night"):
            info["night"] = self.measures["night"]
        if "night" not in info and self.start_time is not None:
            info["night"] = (self.start_time - _dt.timedelta(hours=12)).date().isoformat()
        return info

    def save(self, path: str | os.PathLike, format: str | None = None) -> None:
        """Write the result; the format follows the extension unless given.

        Parameters
        ----------
        path : str or os.PathLike
            Output file; written to a temporary name, then renamed.
        format : str or None
            ``tsv``, ``json``, ``csv``, ``edf``, ``edf-annotations``, ``xml``
            or ``h5`` (see ``docs/formats_export.md``); default: from the
            extension of ``path``.
        """
        from ..io.export import save_result

        save_result(self, path, format=format)

    def to_annotations(self) -> mne.Annotations:
        """The LMs and PLMs as MNE annotations.

        Returns
        -------
        mne.Annotations
            One annotation per LM and per PLM, with per-leg channel names.
        """
        from ..io.export import result_to_annotations

        return result_to_annotations(self)

    # YASA-style plots of one night; the drawing lives in plm.plots (one
    # implementation for these and for the PNG/HTML reports).
    def plot_raster(self, ax: Axes | None = None) -> Axes:
        """Leg-movement raster: one row per hour, left leg above right, PLMs in red.

        Parameters
        ----------
        ax : matplotlib.axes.Axes or None
            Where to draw; a new figure when None.

        Returns
        -------
        matplotlib.axes.Axes
            One bar per row of :attr:`events`; periodic series shaded.
        """
        from ..plots import plot_raster

        return plot_raster(self, ax=ax)

    def plot_imi_histogram(self, ax: Axes | None = None) -> Axes:
        """Histogram of intermovement intervals (2 s bins to 90 s, last bar > 90 s).

        Parameters
        ----------
        ax : matplotlib.axes.Axes or None
            Where to draw; a new figure when None.

        Returns
        -------
        matplotlib.axes.Axes
        """
        from ..plots import plot_imi_histogram

        return plot_imi_histogram(self, ax=ax)

    def plot_hypnogram(self, ax: Axes | None = None) -> Axes:
        """Hypnogram of the night's sleep staging (REM marked in red).

        Parameters
        ----------
        ax : matplotlib.axes.Axes or None
            Where to draw; a new figure when None.

        Returns
        -------
        matplotlib.axes.Axes

        Raises
        ------
        InputError
            When the night has no staging (``hypnogram`` is None).
        """
        from ..plots import plot_hypnogram

        return plot_hypnogram(self, ax=ax)

    def __repr__(self) -> str:
        m = self.measures
        index = m.get("plm_index")
        index_text = "n/a" if index is None else f"{index:.1f}/h"
        return (
            f"<NightResult {self.source!r}: {m.get('n_lm', '?')} LM, {m.get('n_plm', '?')} PLM, "
            f"PLM index {index_text} ({m.get('denominator', '?')}), "
            f"criteria {self.criteria.name} {self.criteria.hash}>"
        )
