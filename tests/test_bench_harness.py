"""The benchmark harness measures what it says: onset matching, F1 and peak memory."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import _common  # noqa: E402


def test_match_onsets_tolerance_is_inclusive_and_one_to_one():
    # 1.0-1.3 (0.3 s) matches; 5.0-5.6 and 9.6-9.0 are 0.6 s apart; 20 has no partner
    assert _common.match_onsets([1.0, 5.0, 9.6], [1.3, 5.6, 9.0, 20.0]) == 1
    # exactly 0.5 s counts
    assert _common.match_onsets([2.0], [2.5]) == 1
    # one detection cannot match two true events
    assert _common.match_onsets([3.0], [2.8, 3.2]) == 1


def test_match_onsets_finds_the_maximum_matching():
    # a greedy nearest-pair choice (1.0 with 1.1) would leave 1.4 and 0.6 unmatched
    # (0.8 s apart); the sweep pairs 1.0-0.6 and 1.4-1.1: two matches
    assert _common.match_onsets([1.0, 1.4], [0.6, 1.1]) == 2


def test_event_f1_pools_legs():
    pred = {"left": [10.0, 50.0], "right": [30.0]}
    true = {"left": [10.2, 70.0], "right": [30.4, 90.0]}
    r = _common.event_f1(pred, true)
    # tp = 2 (10.0, 30.0); 3 detected, 4 true: P = 2/3, R = 1/2, F1 = 2*2/(3+4) = 4/7
    assert (r["tp"], r["n_pred"], r["n_true"]) == (2, 3, 4)
    assert r["f1"] == pytest.approx(4 / 7)


def test_isolated_run_sees_the_memory_a_task_adds():
    m = _common.run_isolated("_selftest_tasks", "allocate", 200)
    assert m.error is None
    assert m.payload["sum"] == 200 * 2**20 // 8
    assert 190 * 2**20 <= m.rss_added <= 260 * 2**20


def test_isolated_run_reports_task_errors():
    m = _common.run_isolated("_selftest_tasks", "fail")
    assert m.error == "ValueError: on purpose"


def test_isolated_run_measures_cpu_time_apart_from_wall_time():
    busy = _common.run_isolated("_selftest_tasks", "spin", 0.4)
    idle = _common.run_isolated("_selftest_tasks", "nap", 0.4)
    assert busy.error is None and idle.error is None
    assert busy.wall >= 0.4 and idle.wall >= 0.4
    assert busy.cpu >= 0.3           # a busy thread is charged (almost) its wall time
    assert idle.cpu < 0.1            # sleeping costs wall time, not CPU time
