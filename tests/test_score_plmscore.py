"""The examples of docs/scoring.md "Agreement with PLMScoRe": what plm gives on each (hand-worked).

PLMScoRe's answers are in the docs; these tests pin plm's side of each
difference so that the documented numbers stay true.
"""
import numpy as np

from score_helpers import arousals, hypno, periodic, score


def test_same_onset_same_leg_lms_merge_on_the_leg():
    # left [100, 102] and [100, 101] overlap -> one left LM [100, 102]; left
    # [103, 104] starts 1 s after it -> separate. Bilateral sweep (< 0.5 s after
    # the running offset): L 100-102, R 101 (< 102.5) -> 103, L 103 (< 103.5) ->
    # 104, R 104 (< 104.5) -> 105: 4 parts, 5 s <= 15 s -> a CLM. (PLMScoRe keeps
    # the two LMs at 100 apart: 5 parts -> not a CLM.)
    r = score([(100.0, 2.0, "left"), (100.0, 1.0, "left"), (101.0, 2.0, "right"),
               (103.0, 1.0, "left"), (104.0, 1.0, "right")])
    assert (r.n_lm_left, r.n_lm_right, r.n_lm, r.n_lm_bilateral, r.n_clm) == (2, 2, 1, 1, 1)
    assert list(r.lms["n_parts"]) == [4] and list(r.lms["duration"]) == [5.0]
    assert list(r.events["n_merged"]) == [2, 1, 1, 1]


def test_plm_in_unscored_epoch_is_neither_plms_nor_plmw():
    # epochs N2 [0, 30), N2 [30, 60), ? [60, 90), N2 [90, 120); LMs at 20, 40,
    # 70, 100 (IMIs 20, 30, 30) -> one series of 4. Stages N2, N2, ?, N2 ->
    # PLMS 3, PLMW 0; the PLM at 70 counts in n_plm only.
    r = score(periodic([20, 40, 70, 100]), hypnogram=hypno("N2 N2 ? N2"), duration_s=120.0)
    assert (r.n_plm, r.n_plms, r.n_plmw) == (4, 3, 0)
    assert list(r.lms["stage"]) == ["N2", "N2", "?", "N2"]


def test_arousal_exactly_half_a_second_after_a_plm_is_not_associated():
    # series 100, 120, 140, 160; the arousal starts at 121.5, exactly 0.5 s after
    # the LM [120, 121] ends -> not "< 0.5 s" -> no PLM with arousal
    r = score(periodic([100, 120, 140, 160]), arousals=arousals((121.5, 3.0)))
    assert (r.n_plm, r.n_plm_arousal) == (4, 0)


def test_ten_second_imi_that_rounds_below_ten_still_links():
    # in double precision 20.4 - 10.4 = 9.999999999999998: within the 1 us
    # tolerance of 10 s, so the IMIs are 10, 10, 10 -> a series of 4
    onsets = [0.4, 10.4, 20.4, 30.4]
    assert onsets[2] - onsets[1] < 10.0  # the raw difference is below the bound
    r = score(periodic(onsets))
    assert r.n_plm == 4


def test_series_does_not_span_an_excluded_interval():
    # LMs 0, 20, 40, 60 with [25, 35] excluded: the IMI from 20 to 40 spans
    # unseen time -> undefined; runs 0, 20 and 40, 60 -> PLM 0
    r = score(periodic([0, 20, 40, 60]), excluded=np.array([[25.0, 35.0]]))
    assert r.n_plm == 0
    imi = r.lms["imi"]
    assert np.isnan(imi[0]) and np.isnan(imi[2]) and list(imi[[1, 3]]) == [20.0, 20.0]
