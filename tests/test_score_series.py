"""IMI, periodic series and the series-breaking rules (hand-worked)."""
import numpy as np
import pytest

from score_helpers import periodic, score


def test_four_clms_make_a_series_three_do_not():
    # onsets 0, 20, 40, 60: IMIs 20 s, all in 10..90 -> 4 consecutive CLMs -> 4 PLM
    r = score(periodic([0, 20, 40, 60]))
    assert (r.n_clm, r.n_plm, r.n_series) == (4, 4, 1)
    assert list(r.lms["series"]) == [1, 1, 1, 1]
    # three: a run of 3 < 4 -> no PLM
    r = score(periodic([0, 20, 40]))
    assert (r.n_clm, r.n_plm, r.n_series) == (3, 0, 0)
    assert list(r.lms["series"]) == [-1, -1, -1]


@pytest.mark.parametrize(
    "imi, n_plm",
    [(10.0, 4), (9.99, 0), (90.0, 4), (90.01, 0), (50.0, 4)],
)
def test_imi_bounds_are_inclusive(imi, n_plm):
    # four CLMs spaced by `imi`: a series only when 10 <= imi <= 90
    r = score(periodic(100.0 + imi * np.arange(4)))
    assert r.n_plm == n_plm


def test_imi_boundary_survives_float_rounding():
    # onsets 0.1, 10.1, 20.1, 30.1: in floating point 10.1 - 0.1 is not exactly
    # 10, but the IMI is 10 s -> a series of 4
    r = score(periodic([0.1, 10.1, 20.1, 30.1]))
    assert r.n_plm == 4


def test_imi_column_is_from_previous_lm_and_undefined_around_non_clm():
    # CLMs at 0, 20, 40; a 11 s LM (non-CLM) at 60; CLMs at 80, 100, 120, 140.
    # IMI into 60 and out of 60 (at 80) are undefined; the first LM has none.
    ev = periodic([0, 20, 40]) + [(60.0, 11.0, "left")] + periodic([80, 100, 120, 140])
    r = score(ev)
    imi = r.lms["imi"]
    assert np.isnan(imi[0]) and np.isnan(imi[3]) and np.isnan(imi[4])
    assert list(imi[[1, 2, 5, 6, 7]]) == [20.0, 20.0, 20.0, 20.0, 20.0]
    # the run 0, 20, 40 has 3 CLMs (broken by the non-CLM) -> not a series;
    # 80..140 is a series of 4 -> 4 PLM of 7 CLM and 8 LM
    assert (r.n_lm, r.n_clm, r.n_plm, r.n_series) == (8, 7, 4, 1)
    assert list(r.lms["is_plm"]) == [False] * 4 + [True] * 4


def test_non_clm_breaks_under_wasm2016_but_aasm_ignores_long_lm():
    # same night under AASM: the 11 s movement is not an LM, so 0, 20, 40, 80,
    # 100, 120, 140 are one sequence with IMIs 20, 20, 40, 20, 20, 20 -> 7 PLM
    ev = periodic([0, 20, 40]) + [(60.0, 11.0, "left")] + periodic([80, 100, 120, 140])
    r = score(ev, criteria="aasm")
    assert (r.n_lm, r.n_plm, r.n_series) == (7, 7, 1)


def test_bilateral_non_clm_breaks_series():
    # CLMs at 0, 20, 40, 60, 80 except that at 40 five alternating-leg parts
    # make a bilateral LM of 5 parts (non-CLM): runs 0, 20 and 60, 80 -> no PLM
    chain = [(40.0 + 0.8 * i, 1.0, "left" if i % 2 == 0 else "right") for i in range(5)]
    r = score(periodic([0, 20]) + chain + periodic([60, 80]))
    assert (r.n_lm, r.n_clm, r.n_plm) == (5, 4, 0)


def test_short_imi_new_series_vs_no_new_series():
    # onsets 0, 20, 40, 45, 65, 85, 105: IMIs 20, 20, 5, 20, 20, 20.
    # The IMI of 5 s (< 10) ends the run 0, 20, 40 (3 CLMs, no series).
    # new_series (default, PLMScoRe): 45 starts a new run 45, 65, 85, 105 -> 4 PLM.
    # no_new_series: 45 may not start a series -> run 65, 85, 105 = 3 -> 0 PLM.
    ev = periodic([0, 20, 40, 45, 65, 85, 105])
    r = score(ev)
    assert (r.n_clm, r.n_plm) == (7, 4)
    assert list(r.lms["is_plm"]) == [False, False, False, True, True, True, True]
    r = score(ev, overrides={"short_imi": "no_new_series"})
    assert r.n_plm == 0
    # with one more CLM at 125 the no_new_series run 65..125 has 4 members
    r = score(ev + periodic([125]), overrides={"short_imi": "no_new_series"})
    assert r.n_plm == 4
    assert list(r.lms["is_plm"]) == [False] * 4 + [True] * 4


def test_imi_between_5_and_10_disagrees_between_aasm_and_wasm2016():
    # same night: the IMI of 5 s is inside AASM's 5..90 range -> all 7 LMs are
    # one series under AASM; WASM 2016 gives 4 (see test above)
    ev = periodic([0, 20, 40, 45, 65, 85, 105])
    assert score(ev, criteria="aasm").n_plm == 7
    assert score(ev, criteria="wasm2006").n_plm == 7
    # an IMI of 4.9 s is short for AASM as well: 0, 20, 40 | 44.9, 64.9, 84.9, 104.9 -> 4
    ev = periodic([0, 20, 40, 44.9, 64.9, 84.9, 104.9])
    assert score(ev, criteria="aasm").n_plm == 4


def test_offset_onset_imi_option():
    # 5 s LMs at 0, 14, 28, 42: onset-to-onset IMI 14 -> series of 4;
    # offset-to-onset IMI 14 - 5 = 9 < 10 -> no series
    ev = periodic([0, 14, 28, 42], duration=5.0)
    assert score(ev).n_plm == 4
    r = score(ev, overrides={"imi_reference": "offset"})
    assert r.n_plm == 0
    assert r.lms["imi"][1] == pytest.approx(9.0)
    # at 0, 15, 30, 45 the offset-to-onset IMI is exactly 10 -> series of 4
    assert score(periodic([0, 15, 30, 45], duration=5.0), overrides={"imi_reference": "offset"}).n_plm == 4


def test_two_series_and_series_lengths():
    # 0..60 (4 CLMs), a gap of 100 s (> 90 ends the run), 160..260 (6 CLMs)
    r = score(periodic([0, 20, 40, 60, 160, 180, 200, 220, 240, 260]))
    assert (r.n_plm, r.n_series) == (10, 2)
    assert list(r.lms["series"]) == [1] * 4 + [2] * 6
    assert r.mean_series_length == 5.0 and r.median_series_length == 5.0
    # PLMScoRe's "periodicity index" PLM/CLM
    assert r.plm_clm_ratio == 1.0


def test_min_series_length_field():
    ev = periodic([0, 20, 40])
    assert score(ev).n_plm == 0
    assert score(ev, overrides={"min_series_length": 3}).n_plm == 3
