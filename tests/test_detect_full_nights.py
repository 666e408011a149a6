"""Full 8 h nights (about 20 s: skipped unless selected with ``pytest -m slow``)."""
import pytest

import plm.criteria
from generated_nights import generator
from plm.detect import detect
from plm.scoring import score_events


@pytest.mark.slow
@pytest.mark.parametrize("kind,impairments,sfreq", [
    ("accel", ("noise", "quantisation", "gravity_drift"), 40.0),
    ("emg", ("drift", "mains", "pops", "cardiac"), 512.0),
])
def test_eight_hour_night(kind, impairments, sfreq, request):
    if "slow" not in (request.config.getoption("markexpr") or "") or "not slow" in request.config.getoption("markexpr"):
        pytest.skip("8 h nights: run with -m slow")
    gen = generator()
    rec, truth = gen.make_night(kind, 8.0, 99, impairments, sfreq)
    crit = plm.criteria.get("pamrl" if kind == "accel" else "wasm2016")
    lms = detect(rec, crit)
    for side in ("left", "right"):
        assert gen.lm_f1(truth.leg(side)[0], lms.onset[lms.side == side])[0] >= 0.95
    n_plm = score_events(lms, crit).summary()["n_plm"]
    assert abs(n_plm - truth.expected["n_plm"]) <= 0.05 * truth.expected["n_plm"]
