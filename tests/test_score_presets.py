"""Preset numbers as documented in docs/criteria.md (each checked against its source there)."""
import pytest

from plm import criteria


def test_wasm2016_numbers():
    c = criteria.get("wasm2016")
    assert (c.lm_min_duration, c.lm_max_duration, c.same_leg_merge_gap) == (0.5, 10.0, 0.5)
    assert (c.bilateral_rule, c.bilateral_gap, c.bilateral_max_duration, c.bilateral_max_lms) == (
        "offset_gap", 0.5, 15.0, 4)
    assert c.long_lm_inheritance and c.long_lm_breaks
    assert (c.imi_min, c.imi_max, c.imi_reference, c.min_series_length, c.short_imi) == (
        10.0, 90.0, "onset", 4, "new_series")
    assert (c.respiratory_window, c.respiratory_anchor, c.respiratory_action) == ((2.0, 10.25), "end", "flag")
    assert c.arousal_gap == 0.5 and c.morphology_window == 0.5


@pytest.mark.parametrize("name", ["aasm", "aasm2007", "wasm2006"])
def test_older_rules_share_lm_and_series_numbers(name):
    c = criteria.get(name)
    assert (c.lm_min_duration, c.lm_max_duration) == (0.5, 10.0)
    assert (c.bilateral_rule, c.bilateral_gap) == ("onset_difference", 5.0)
    assert c.bilateral_max_duration >= 1e9 and c.bilateral_max_lms >= 2**31 - 1  # no limit
    assert not c.long_lm_breaks  # > 10 s is not an LM
    assert (c.imi_min, c.imi_max, c.min_series_length) == (5.0, 90.0, 4)
    assert c.respiratory_window == (0.5, 0.5) and c.respiratory_action == "exclude"
    assert c.morphology_window == 0.0


def test_respiratory_anchor_differs_between_aasm_and_wasm2006():
    assert criteria.get("aasm").respiratory_anchor == "event"
    assert criteria.get("aasm2007").respiratory_anchor == "event"
    assert criteria.get("wasm2006").respiratory_anchor == "end"


def test_aasm2007_scores_like_aasm():
    assert criteria.get("aasm2007").hash == criteria.get("aasm").hash
