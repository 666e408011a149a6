"""The :class:`NightResult`: everything scored for one night."""
from __future__ import annotations

import datetime as _dt
import os
from typing import TYPE_CHECKING, Any, Callable, ClassVar

from .._version import __version__
from .context import ContextField, HoldsContext, NightContext, build_context
from .events import EVENT_COLUMNS, LM_COLUMNS, Hypnogram, event_frame

if TYPE_CHECKING:
    import mne
    import pandas as pd
    from matplotlib.axes import Axes

    from ..criteria import Criteria
    from .recording import Recording

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


class NightResult(HoldsContext):
    """Scored night: measures, per-LM events and the criteria used.

    Parameters
    ----------
    measures : dict
        Every reported measure by name (see ``docs/measures.md``); each is
        also readable as an attribute, e.g. ``result.plms_index``.
    events : pandas.DataFrame or mapping of str to array
        One row per monolateral LM, columns and dtypes of
        :data:`~plm.model.events.EVENT_COLUMNS` (``onset, duration, side,
        trial_type, lm_id, is_clm, is_clmr, respiratory, is_plm, is_plmnr,
        series, stage, in_sleep, arousal, n_merged, reason``; see
        ``docs/scoring.md``). Kept as a DataFrame.
    lms : pandas.DataFrame or mapping of str to array
        One row per scored LM after bilateral merging (``lm_id`` links the
        two tables), with ``imi`` and series membership
        (:data:`~plm.model.events.LM_COLUMNS`).
    criteria : Criteria
    start_time : datetime or None
        Wall-clock time of second 0, with UTC offset.
    source : str
    hypnogram : Hypnogram or None
    recording : Recording or None
        The raw recording when scored from signals (used by EDF+ export).
    version : str
        ``plm`` version that produced the result.
    extra : dict, optional
        Anything else to keep with the result; keys naming
        :class:`~plm.model.context.NightContext` fields go into the context.
    context : NightContext, optional
        The night's context (that of the scored LMs, held by reference);
        default: that of ``recording`` when given.

    Attributes
    ----------
    events : pandas.DataFrame
        ``len(result.events)`` is the number of monolateral LMs;
        ``events[events["is_plm"]]`` the PLMs.
    lms : pandas.DataFrame
    context : NightContext
        Lights, staging, respiratory events, arousals, excluded time, the
        night's date and every note and warning of reading, night
        splitting, detection and scoring.
    """

    _FIELDS = ("measures", "events", "lms", "criteria", "recording", "version")
    _FACTS_ARG = "extra"
    # save, to_annotations, plot_*: wired in by plm/__init__.py (HoldsContext.delegate)
    _DELEGATES: ClassVar[dict[str, Callable[..., Any]]] = {}

    start_time = ContextField("Wall-clock time of second 0, with UTC offset, or None.")
    source = ContextField("Where the night came from.")
    warnings = ContextField("What reading, detection and scoring warned about (tuple of str).")

    def __init__(
        self,
        measures: dict[str, Any],
        events: pd.DataFrame | dict[str, Any] | None,
        lms: pd.DataFrame | dict[str, Any] | None,
        criteria: Criteria,
        start_time: _dt.datetime | None = None,
        source: str | None = None,
        hypnogram: Hypnogram | None = None,
        recording: Recording | None = None,
        version: str = __version__,
        extra: dict[str, Any] | None = None,
        *,
        context: NightContext | None = None,
    ) -> None:
        if context is None and recording is not None:
            context = recording.context
        context, facts = build_context(context, dict(start_time=start_time, source=source, hypnogram=hypnogram),
                                       extra)
        self._set(measures=measures, events=event_frame(events, EVENT_COLUMNS), lms=event_frame(lms, LM_COLUMNS),
                  criteria=criteria, recording=recording, version=version, _facts=facts, context=context)

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails: expose measures by name.
        measures = self.__dict__.get("measures", {})
        if name in measures:
            return measures[name]
        raise AttributeError(f"NightResult has no attribute or measure {name!r}")

    @property
    def hypnogram(self) -> Hypnogram | None:
        """The night's staging, or None when it has none (or an empty one)."""
        hyp = self.context.hypnogram
        return hyp if hyp is not None and len(hyp) else None

    @property
    def night(self) -> str | None:
        """ISO date of the evening the night starts (:attr:`NightContext.night_date`), or None."""
        return self.context.night_date

    @property
    def extra(self) -> dict[str, Any]:
        """What was kept with the result, with the context's facts (``warnings``, ``night``, ``notes``, ...)."""
        return self._fact_view()

    def summary(self) -> dict[str, Any]:
        """Nightly measures plus criteria and version, JSON-serialisable.

        Returns
        -------
        dict
            Has at least the keys of :data:`SUMMARY_KEYS`; ``criteria`` is
            ``{"name", "hash", "params"}``. Histograms are lists; every other
            measure is a number, string or None.
        """
        night = self.night
        out: dict[str, Any] = {
            "source": self.source,
            "start_time": None if self.start_time is None else self.start_time.isoformat(),
            "night": night,
        }
        out.update(self.measures)
        if night:  # the night's own date wins over one stored with older measures
            out["night"] = night
        # What was excluded or assumed (night splitting, the reader's, the
        # detector's and the scorer's warnings), so that a summary alone says it.
        notes = list(self.context.notes) + list(self.context.warnings)
        if notes:
            out["notes"] = notes
        # What the detector used on each leg (resting noise, effective thresholds),
        # when the LMs were detected from signals.
        if self.context.detection:
            out["detection"] = self.context.detection
        out["criteria"] = self.criteria.describe()
        out["version"] = self.version
        return out

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
        self._job("save")(self, path, format=format)

    def to_annotations(self) -> mne.Annotations:
        """The LMs and PLMs as MNE annotations.

        Returns
        -------
        mne.Annotations
            One annotation per LM and per PLM, with per-leg channel names.
        """
        return self._job("to_annotations")(self)

    # YASA-style plots of one night; the drawing is plm.plots' (one
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
        return self._job("plot_raster")(self, ax=ax)

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
        return self._job("plot_imi_histogram")(self, ax=ax)

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
        return self._job("plot_hypnogram")(self, ax=ax)

    def __repr__(self) -> str:
        m = self.measures
        index = m.get("plm_index")
        index_text = "n/a" if index is None else f"{index:.1f}/h"
        return (
            f"<NightResult {self.source!r}: {m.get('n_lm', '?')} LM, {m.get('n_plm', '?')} PLM, "
            f"PLM index {index_text} ({m.get('denominator', '?')}), "
            f"criteria {self.criteria.name} {self.criteria.hash}>"
        )
