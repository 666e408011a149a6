"""Detector accuracy on generated nights with known ground truth.

Criterion (issue 3): LM event F1 per leg >= 0.95 with onsets within 0.5 s, and
the PLM count within 5 % of the count known by design, for accelerometer and
EMG nights, clean and with each impairment.
"""
import numpy as np
import pytest

import plm.criteria
from generated_nights import generator, night
from plm.detect import detect
from plm.scoring import score_events

CASES = [
    ("accel", (), 1.0),
    ("accel", ("noise", "quantisation", "gravity_drift"), 1.0),
    ("accel", ("noise", "quantisation", "gravity_drift"), 2.0),
    ("emg", (), 1.0),
    ("emg", ("drift",), 2.0),
    ("emg", ("mains",), 2.0),
    ("emg", ("pops",), 2.0),
    ("emg", ("cardiac",), 1.0),
    ("emg", ("cardiac",), 2.0),
    ("emg", ("drift", "mains", "pops", "cardiac"), 1.0),
    ("emg", ("drift", "mains", "cardiac", "gap", "nonwear"), 2.0),
    ("accel", ("noise", "quantisation", "gravity_drift", "gap", "nonwear"), 1.0),
]

# gap / non-wear nights: the detector warns about excluded time (tested in test_detect_quality)
pytestmark = pytest.mark.filterwarnings("ignore:.*excluded from analysis time:UserWarning")


def _crit(kind):
    return plm.criteria.get("pamrl" if kind == "accel" else "wasm2016")


@pytest.mark.parametrize("kind,impairments,severity", CASES,
                         ids=[f"{k}-{'+'.join(i) or 'clean'}-x{s:g}" for k, i, s in CASES])
def test_lm_f1_and_plm_count(kind, impairments, severity):
    rec, truth = night(kind, 1.5, 21, impairments, severity)
    crit = _crit(kind)
    lms = detect(rec, crit)
    gen = generator()
    for side in ("left", "right"):
        f1, tp, fp, fn = gen.lm_f1(truth.leg(side)[0], lms.onset[lms.side == side], tol=0.5)
        assert f1 >= 0.95, (side, tp, fp, fn)
    expected = truth.expected["n_plm"]
    assert expected >= 20          # the night really has periodic series
    n_plm = score_events(lms, crit).summary()["n_plm"]
    assert abs(n_plm - expected) <= 0.05 * expected


@pytest.mark.parametrize("kind", ["accel", "emg"])
def test_too_short_bursts_are_not_detected_and_long_ones_are_one_lm(kind):
    rec, truth = night(kind, 1.5, 21, ())
    lms = detect(rec, _crit(kind))
    for t0, d, side in zip(truth.short_onset, truth.short_duration, truth.short_side):
        near = (lms.side == side) & (np.abs(lms.onset - t0) < 2.0)
        assert not near.any(), (t0, d)
    long_ = truth.kind == "long"
    assert long_.any()
    for t0, d, side in zip(truth.onset[long_], truth.duration[long_], truth.side[long_]):
        hit = (lms.side == side) & (np.abs(lms.onset - t0) < 0.5)
        assert hit.sum() == 1
        assert lms.duration[hit][0] == pytest.approx(d, abs=0.5)


@pytest.mark.parametrize("sfreq", [200.0, 512.0, 1000.0])
def test_emg_at_other_sampling_rates(sfreq):
    """The decision grid (every k-th sample) and the capped band work at common PSG rates."""
    gen = generator()
    rec, truth = gen.make_night("emg", 0.75, 23, ("drift", "mains", "pops", "cardiac"), sfreq)
    lms = detect(rec, _crit("emg"))
    for side in ("left", "right"):
        f1 = gen.lm_f1(truth.leg(side)[0], lms.onset[lms.side == side])[0]
        assert f1 >= 0.95, side
    n_plm = score_events(lms, _crit("emg")).summary()["n_plm"]
    assert abs(n_plm - truth.expected["n_plm"]) <= 0.05 * truth.expected["n_plm"]
