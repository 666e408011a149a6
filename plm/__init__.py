"""plm: periodic leg movement scoring from leg EMG, ankle accelerometry or scored events.

Quick use::

    import plm
    result = plm.score(plm.read("night.edf"))          # or plm.read_events("events.txt")
    result.summary()["plms_index"]
    results = plm.score_nights("week.h5")               # a multi-night recording: one result per night
"""
from __future__ import annotations

from . import criteria
from ._version import __version__
from .criteria import Criteria
from .errors import CriteriaError, InputError, PlmError
from .io import read, read_events
from .io.edf_plus import result_to_annotations
from .io.export import save_result
from .io.mne_raw import recording_to_mne
from .model import Channel, Hypnogram, LegMovements, NightResult, Recording, ScoredEvents
from .plots import plot_hypnogram, plot_imi_histogram, plot_raster
from .workflows.night_scoring import score, score_nights
from .workflows.reading import ReadOptions
from .workflows.study import study
from .workflows.compare import compare
from .workflows.calibrate import calibrate

# NightResult's file and plot methods are done by io and plots, layers above
# the model: wired here, where every layer is imported, so the model imports
# none of them (docs/design.md).
NightResult.delegate(save=save_result, to_annotations=result_to_annotations, plot_raster=plot_raster,
                     plot_imi_histogram=plot_imi_histogram, plot_hypnogram=plot_hypnogram)
Recording.delegate(to_mne=recording_to_mne)

__all__ = [
    "__version__",
    "criteria",
    "Criteria",
    "CriteriaError",
    "InputError",
    "PlmError",
    "Hypnogram",
    "LegMovements",
    "ScoredEvents",
    "Channel",
    "Recording",
    "NightResult",
    "read",
    "read_events",
    "ReadOptions",
    "score",
    "score_nights",
    "study",
    "compare",
    "calibrate",
]
