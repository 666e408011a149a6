"""Periodicity index, IMI histograms, duration statistics and counts (hand-worked)."""
import json

import numpy as np
import pytest

from plm.model import SUMMARY_KEYS
from plm.scoring.measures import (
    IMI_HISTOGRAM_EDGES,
    LN_IMI_HISTOGRAM_EDGES,
    imi_histogram,
    ln_imi_histogram,
    periodicity_index,
)
from score_helpers import periodic, score


def test_periodicity_index_worked_sequence():
    # LMs at 0, 20, 40, 60, 65, 85: intervals 20, 20, 20, 5, 20.
    # In 10..90: yes, yes, yes, no, yes. Flanked on both sides by in-range
    # intervals: only the 2nd (20 between 20 and 20); the 1st has no
    # predecessor, the 3rd is followed by 5, the 5th has no successor.
    # PI = 1 / 5 = 0.2.
    r = score(periodic([0, 20, 40, 60, 65, 85]))
    assert r.periodicity_index == pytest.approx(0.2)
    # PLM/CLM: 0..60 is a series of 4; 65 (after IMI 5) starts a run 65, 85 of 2
    assert (r.n_clm, r.n_plm) == (6, 4)
    assert r.plm_clm_ratio == pytest.approx(4 / 6)


def test_periodicity_index_function_edges():
    assert periodicity_index(np.array([])) is None
    assert periodicity_index(np.array([20.0, 20.0])) == 0.0  # nobody has two neighbours
    assert periodicity_index(np.array([20.0] * 5)) == pytest.approx(3 / 5)
    # 10 and 90 are in range (inclusive); 9.99 is not
    assert periodicity_index(np.array([10.0, 90.0, 10.0])) == pytest.approx(1 / 3)
    assert periodicity_index(np.array([10.0, 90.0, 9.99])) == 0.0
    # undefined intervals count in the denominator, never in range
    assert periodicity_index(np.array([20.0, 20.0, 20.0, np.nan])) == pytest.approx(1 / 4)


def test_imi_histogram_bins():
    # 2 s bins [0,2), [2,4), ... [88,90]; 45 bins; > 90 s left out
    assert len(IMI_HISTOGRAM_EDGES) == 46 and IMI_HISTOGRAM_EDGES[-1] == 90.0
    h = imi_histogram(np.array([0.0, 1.99, 2.0, 5.0, 20.0, 21.9, 89.0, 90.0, 90.01, np.nan]))
    assert h[0] == 2  # 0.0, 1.99
    assert h[1] == 1  # 2.0
    assert h[2] == 1  # 5.0
    assert h[10] == 2  # 20.0, 21.9
    assert h[44] == 2  # 89.0 and 90.0 (last bin closed)
    assert h.sum() == 8  # 90.01 and NaN are not counted


def test_ln_imi_histogram_bins():
    # 0.1 bins of ln(IMI) from -1.0 to 6.0: 70 bins
    assert len(LN_IMI_HISTOGRAM_EDGES) == 71
    assert LN_IMI_HISTOGRAM_EDGES[0] == -1.0 and LN_IMI_HISTOGRAM_EDGES[-1] == 6.0
    # ln 5 = 1.609 -> bin [1.6, 1.7) = index 26; ln 20 = 2.996 -> [2.9, 3.0) = index 39
    h = ln_imi_histogram(np.array([5.0, 20.0, 20.0, np.nan, 0.0]))
    assert h[26] == 1 and h[39] == 2 and h.sum() == 3


def test_histograms_in_result_use_defined_imis():
    # IMIs 20, 20, 20, 5, 20 (all between CLMs) -> [4,6) 1, [20,22) 4
    r = score(periodic([0, 20, 40, 60, 65, 85]))
    h = np.array(r.imi_histogram)
    assert h[2] == 1 and h[10] == 4 and h.sum() == 5
    assert r.imi_histogram_edges[:3] == [0.0, 2.0, 4.0]
    assert sum(r.ln_imi_histogram) == 5


def test_duration_statistics_by_side_and_counts():
    # left LMs 1, 2, 6 s (isolated), right 3 s isolated, plus a bilateral pair
    # L [500, 501] + R [500.5, 502.5] -> bilateral 2.5 s.
    # left durations: 1, 2, 6, 1 -> mean 2.5, median 1.5; right: 3, 2 -> 2.5, 2.5
    ev = [(0.0, 1.0, "left"), (100.0, 2.0, "left"), (200.0, 6.0, "left"), (300.0, 3.0, "right"),
          (500.0, 1.0, "left"), (500.5, 2.0, "right")]
    r = score(ev)
    assert (r.n_lm_left, r.n_lm_right, r.n_lm, r.n_lm_bilateral) == (4, 2, 5, 1)
    assert r.lm_duration_mean_left == pytest.approx(2.5)
    assert r.lm_duration_median_left == pytest.approx(1.5)
    assert r.lm_duration_mean_right == pytest.approx(2.5)
    assert r.lm_duration_median_right == pytest.approx(2.5)
    assert r.lm_duration_mean_bilateral == pytest.approx(2.5)
    assert score([]).lm_duration_mean_left is None


def test_summary_has_contract_keys_and_is_json():
    r = score(periodic([0, 20, 40, 60]))
    s = r.summary()
    for key in SUMMARY_KEYS:
        assert key in s
    for key in ("n_lm_bilateral", "n_clmr", "n_plmnr", "plmnr_index", "n_plms", "n_plmw",
                "mean_series_length", "median_series_length", "plm_clm_ratio", "time_in_bed_hours",
                "tst_hours", "wake_hours", "excluded_hours", "plms_index_N1", "plms_index_N2",
                "plms_index_N3", "plms_index_R", "n_plm_arousal", "plm_arousal_index",
                "imi_histogram", "imi_histogram_edges", "ln_imi_histogram", "ln_imi_histogram_edges",
                "night", "lm_duration_mean_left", "lm_duration_median_right"):
        assert key in s
    back = json.loads(json.dumps(s, allow_nan=False))
    assert back["n_plm"] == 4


def test_event_tables_columns():
    r = score([(0.0, 0.3, "left")] + periodic([10, 30, 50, 70]))
    for col in ("onset", "duration", "side", "trial_type", "lm_id", "is_clm", "is_clmr", "is_plm",
                "series", "stage", "in_sleep", "arousal", "reason"):
        assert col in r.events.columns
    for col in ("lm_id", "onset", "duration", "sides", "n_parts", "is_clm", "is_clmr", "is_plm",
                "is_plmnr", "series", "imi", "stage", "arousal"):
        assert col in r.lms.columns
    assert list(r.events["trial_type"]) == ["lm_left"] * 5
    assert list(r.events["lm_id"]) == [-1, 0, 1, 2, 3]
    assert list(r.events["reason"]) == ["too_short", "", "", "", ""]
    assert list(r.events["series"]) == [-1, 1, 1, 1, 1]


def test_histogram_edges_tolerate_rounding():
    # 10 - 1e-12 is 10 s on paper: it counts in [10, 12), like 10.0 itself;
    # 90 + 1e-12 counts in the last bin; ln(1 - 1e-12) counts in [0.0, 0.1)
    h = imi_histogram(np.array([10.0 - 1e-12, 10.0, 90.0 + 1e-12]))
    assert h[5] == 2 and h[44] == 1
    h = ln_imi_histogram(np.array([1.0 - 1e-12, 1.0]))
    assert h[10] == 2


def test_periodicity_index_keeps_10_90_under_aasm():
    # LMs 0, 7, 14, 21, 28: intervals of 7 s are in AASM's 5..90 (a series of
    # 5 PLM) but not in Ferri's 10..90 -> PI 0 under both presets
    r = score(periodic([0, 7, 14, 21, 28]), criteria="aasm")
    assert r.n_plm == 5
    assert r.periodicity_index == 0.0
