"""Association measures are None when the events were never scored, 0 when none were found."""
import numpy as np

from plm import LegMovements, ScoredEvents
from plm.scoring import score_events


def _series_night(**context):
    # 5 left CLMs of 1 s at a 20 s IMI: one series of 5 PLMs
    onset = np.arange(5) * 20.0 + 100.0
    return LegMovements(onset=onset, duration=np.ones(5), side=["left"] * 5, duration_s=3600.0, **context)


def test_missing_event_lists_give_none():
    m = score_events(_series_night(), "wasm2016").measures
    assert m["n_plm"] == 5
    assert m["n_plm_arousal"] is None and m["plm_arousal_index"] is None
    assert m["n_clmr"] is None and m["n_plmnr"] is None and m["plmnr_index"] is None


def test_empty_event_lists_give_zero():
    m = score_events(_series_night(respiratory=ScoredEvents.empty(), arousals=ScoredEvents.empty()),
                     "wasm2016").measures
    assert m["n_plm_arousal"] == 0 and m["plm_arousal_index"] == 0.0
    assert m["n_clmr"] == 0 and m["n_plmnr"] == 5
    # 5 PLMnr in 1 h of recording
    assert m["plmnr_index"] == 5.0
