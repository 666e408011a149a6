"""Chunked detection equals whole-signal detection exactly (issue 5, point 5)."""
import math
import tracemalloc

import numpy as np
import pytest

import plm.criteria
from generated_nights import night
from plm.detect.pipeline import detect_recording

# gap / non-wear nights: the detector warns about excluded time (tested in test_detect_quality)
pytestmark = pytest.mark.filterwarnings("ignore:.*excluded from analysis time:UserWarning")


@pytest.mark.parametrize("kind,impairments", [
    ("emg", ("drift", "mains", "pops", "cardiac", "gap", "nonwear")),
    ("accel", ("noise", "quantisation", "gravity_drift", "gap", "nonwear")),
])
def test_chunked_equals_whole(kind, impairments):
    rec, _ = night(kind, 1.5, 31, impairments)
    crit = plm.criteria.get("pamrl" if kind == "accel" else "wasm2016")
    before = rec.data.copy()
    whole = detect_recording(rec, crit, chunk_seconds=math.inf)
    assert len(whole) > 20
    for chunk in (150.0, 437.3):
        part = detect_recording(rec, crit, chunk_seconds=chunk)
        # identical sample indices -> identical float seconds
        assert np.array_equal(part.onset, whole.onset)
        assert np.array_equal(part.duration, whole.duration)
        assert np.array_equal(part.side, whole.side)
        assert np.array_equal(part.excluded, whole.excluded)
        np.testing.assert_allclose(part.amplitude, whole.amplitude, rtol=1e-9, atol=1e-9)
    # detection never writes into the recording (NaN gaps included)
    np.testing.assert_array_equal(rec.data, before)


def test_chunked_detection_memory_is_a_fraction_of_the_signal():
    """Peak extra memory in chunks stays well below one float64 copy of the signal."""
    rec, _ = night("emg", 1.0, 32, ("mains",))
    raw_bytes = rec.data.nbytes
    crit = plm.criteria.get("wasm2016")
    tracemalloc.start()
    detect_recording(rec, crit, chunk_seconds=300.0)
    _, peak_chunked = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    tracemalloc.start()
    detect_recording(rec, crit, chunk_seconds=math.inf)
    _, peak_whole = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # boolean masks and run edges (~11 bytes per sample of one leg) + one chunk of work arrays,
    # below one float64 copy of the signal; whole-signal mode needs several copies
    assert peak_chunked < 0.8 * raw_bytes
    assert peak_whole > 2 * peak_chunked


@pytest.mark.parametrize("kind,impairments", [
    ("emg", ("mains", "cardiac", "gap", "nonwear")),
    ("accel", ("noise", "gap", "nonwear")),
])
def test_legs_in_threads_equal_legs_one_after_the_other(kind, impairments):
    import warnings

    rec, _ = night(kind, 1.0, 33, impairments)
    crit = plm.criteria.get("pamrl" if kind == "accel" else "wasm2016")
    filters_before = list(warnings.filters)
    serial = detect_recording(rec, crit, chunk_seconds=300.0, threads=1)
    threaded = detect_recording(rec, crit, chunk_seconds=300.0, threads=2)
    assert set(serial.side) == {"left", "right"} and len(serial) > 10
    for name in ("onset", "duration", "side", "amplitude", "excluded"):
        assert np.array_equal(getattr(threaded, name), getattr(serial, name)), name
    assert threaded.metadata == serial.metadata     # the same notes, in leg order
    # the gap blocks' NaN statistics run in both threads: no warning filter may be left changed
    assert list(warnings.filters) == filters_before


def test_an_error_in_one_leg_thread_reaches_the_caller():
    from plm.errors import InputError

    rec, _ = night("emg", 0.5, 34, ())
    data = rec.data.copy()
    data[1] = np.nan                                  # right leg: nothing but missing samples
    bad = rec.replace(data=data)
    with pytest.raises(InputError, match="right leg: every sample is missing"):
        detect_recording(bad, plm.criteria.get("wasm2016"), threads=2)
