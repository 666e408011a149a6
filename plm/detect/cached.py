"""Detection under many threshold settings, with the features computed once.

Filtering, envelopes and resting levels are the expensive part of
detection and do not depend on the detection thresholds; only the
decisions made from them do. :class:`CachedDetection` runs the feature step
of each leg once, keeps the threshold-free arrays for the whole recording
(one float64 value per decision-grid sample, plus a boolean array for the
EMG morphology rule), and :meth:`CachedDetection.detect` remakes the
decisions and events for any criteria that differ only in
:data:`THRESHOLD_FIELDS`. The result equals :func:`plm.detect.detect` with
those criteria (``tests/test_validation_calibrate.py`` checks this).

Used by ``plm calibrate`` (:mod:`plm.workflows.calibrate`).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..model import LegMovements
from ..threads import map_in_threads
from . import accel as _accel
from . import emg as _emg
from .pipeline import leg_events, leg_features, leg_movements

if TYPE_CHECKING:
    from ..criteria import Criteria
    from ..model import Recording

__all__ = ["CachedDetection", "THRESHOLD_FIELDS"]

#: Criteria fields read by the threshold step of each modality only (the
#: fields :meth:`CachedDetection.detect` may change).
THRESHOLD_FIELDS: dict[str, tuple[str, ...]] = {
    "emg": ("emg_onset_uv", "emg_offset_uv"),
    "accel": ("accel_onset_g", "accel_offset_g"),
}

#: Threshold-free feature arrays kept per modality.
_KEPT = {"emg": ("excess", "morph"), "accel": ("excess",)}


def _decisions(modality: str, arrays: dict, criteria) -> dict:
    if modality == "emg":
        on, quiet = _emg.emg_decisions(arrays["excess"], criteria.emg_onset_uv, criteria.emg_offset_uv)
        return {"on": on, "quiet": quiet, "morph": arrays["morph"]}
    on, active = _accel.accel_decisions(arrays["excess"], criteria.accel_onset_g, criteria.accel_offset_g)
    return {"on": on, "active": active}


class CachedDetection:
    """The feature step of every leg of a recording, done once.

    Parameters
    ----------
    recording : Recording
        Leg EMG or ankle accelerometry.
    criteria : Criteria
        Every field but :data:`THRESHOLD_FIELDS` of the modality is fixed
        here.
    threads : int, optional
        Legs processed at the same time (as for :func:`plm.detect.detect`).
    """

    def __init__(self, recording: Recording, criteria: Criteria, *, threads: int | None = None) -> None:
        from ..errors import InputError

        modality = recording.modality
        if modality not in THRESHOLD_FIELDS:
            raise InputError(recording.source or None, f"cannot detect leg movements in {modality!r} channels")
        sides = recording.sides
        if not sides:
            raise InputError(recording.source or None, "no channel is marked as a left or right leg signal")
        self.recording = recording
        self.criteria = criteria
        self.modality = modality
        self.sides = sides
        self._legs = map_in_threads(lambda side: leg_features(recording, side, criteria, _KEPT[modality]),
                                    sides, threads)

    def detect(self, criteria: Criteria) -> LegMovements:
        """Monolateral LMs under ``criteria``, from the stored features.

        Parameters
        ----------
        criteria : Criteria
            Equal to the criteria given at construction except in the
            modality's :data:`THRESHOLD_FIELDS`.

        Returns
        -------
        LegMovements
            As :func:`plm.detect.detect` gives for ``criteria``.
        """
        base, new = self.criteria.to_dict(), criteria.to_dict()
        changed = sorted(k for k in base if k != "name" and base[k] != new[k])
        other = [k for k in changed if k not in THRESHOLD_FIELDS[self.modality]]
        if other:
            raise ValueError(f"cached detection can only change {list(THRESHOLD_FIELDS[self.modality])}; "
                             f"{other} differ from the criteria the features were computed with")
        per_leg = []
        for leg in self._legs:
            onset, offset, amplitude = leg_events(leg, _decisions(self.modality, leg.arrays, criteria), criteria)
            per_leg.append((onset, offset, amplitude, leg.quality))
        return leg_movements(self.recording, self.sides, per_leg, warn=False)

    @property
    def nbytes(self) -> int:
        """Memory held by the stored feature arrays, bytes."""
        return int(sum(a.nbytes for leg in self._legs for a in leg.arrays.values()) +
                   sum(np.asarray(leg.peaks).nbytes for leg in self._legs))
