"""Respiratory and arousal association rules (hand-worked)."""
import pytest

from score_helpers import arousals, periodic, resp, score

# One apnea from 100 s to 120 s. WASM 2016 window around its END:
# [120 - 2.0, 120 + 10.25] = [118, 130.25]. AASM window around the whole
# event: [100 - 0.5, 120 + 0.5] = [99.5, 120.5].
APNEA = resp((100.0, 20.0))


@pytest.mark.parametrize(
    "onset, dur, related",
    [
        (116.0, 1.99, False),  # ends at 117.99, 0.01 s before the window
        (116.0, 2.0, True),  # ends exactly at 118: touching counts (closed window)
        (130.25, 1.0, True),  # starts exactly at 130.25
        (130.26, 1.0, False),  # starts 0.01 s after the window
        (110.0, 1.0, False),  # in the middle of the apnea: not near its end
        (112.0, 30.0, True),  # spans the whole window (a non-CLM, flagged all the same)
    ],
)
def test_wasm2016_respiratory_window_is_end_anchored(onset, dur, related):
    r = score([(onset, dur, "left")], respiratory=APNEA)
    assert r.n_lm == 1  # WASM 2016 flags, never removes
    assert bool(r.lms["respiratory"][0]) is related
    clm = bool(r.lms["is_clm"][0])
    assert bool(r.lms["is_clmr"][0]) is (related and clm)
    assert r.n_clmr == int(related and clm)


def test_clmr_counts_in_plm_but_not_in_plmnr():
    # CLMs at 100, 120, 140, 160 (IMI 20): the one at 120 ([120, 121]) lies in
    # [118, 130.25] -> CLMr. PLM with it: a series of 4. PLMnr: the sequence
    # without it is 100, 140, 160 (3 CLMs) -> 0.
    r = score(periodic([100, 120, 140, 160]), respiratory=APNEA)
    assert (r.n_clm, r.n_clmr, r.n_plm, r.n_plmnr) == (4, 1, 4, 0)
    assert list(r.lms["is_clmr"]) == [False, True, False, False]
    assert r.plmnr_index == 0.0 and r.plm_index == 4.0  # per hour of a 1 h recording
    # with one more CLM at 180 the PLMnr sequence 100, 140, 160, 180 has IMIs
    # 40, 20, 20 -> a series of 4 PLMnr; PLM is 5
    r = score(periodic([100, 120, 140, 160, 180]), respiratory=APNEA)
    assert (r.n_plm, r.n_plmnr) == (5, 4)
    assert list(r.lms["is_plmnr"]) == [True, False, True, True, True]


@pytest.mark.parametrize(
    "onset, dur, excluded",
    [
        (98.0, 1.49, False),  # ends at 99.49, 0.01 s before the AASM window
        (98.0, 1.5, True),  # ends exactly at 99.5
        (110.0, 1.0, True),  # during the apnea
        (120.5, 1.0, True),  # starts exactly 0.5 s after the apnea
        (120.51, 1.0, False),
        (125.0, 1.0, False),  # would be respiratory under WASM 2016, not under AASM
    ],
)
def test_aasm_respiratory_lms_are_not_scored(onset, dur, excluded):
    r = score([(onset, dur, "left")], criteria="aasm", respiratory=APNEA)
    assert r.n_lm == int(not excluded)
    assert r.events["reason"][0] == ("respiratory_excluded" if excluded else "")
    assert r.n_clmr == 0


def test_aasm_excluded_lm_does_not_break_a_series():
    # LMs 0, 20, 40, 50, 70 with an apnea [48, 60]: the LM at 50 is not scored
    # (AASM), leaving 0, 20, 40, 70 with IMIs 20, 20, 30 -> 4 PLM.
    r = score(periodic([0, 20, 40, 50, 70]), criteria="aasm", respiratory=resp((48.0, 12.0)))
    assert (r.n_lm, r.n_plm) == (4, 4)
    assert list(r.events["lm_id"]) == [0, 1, 2, -1, 3]


# Arousal association: LM [100, 101]
@pytest.mark.parametrize(
    "arousal, associated",
    [
        ((101.49, 3.0), True),  # starts 0.49 s after the LM ends
        ((101.5, 3.0), False),  # exactly 0.5 s: not < 0.5
        ((95.0, 4.51), True),  # ends at 99.51, 0.49 s before the LM
        ((95.0, 4.5), False),  # ends at 99.5, exactly 0.5 s before
        ((100.5, 3.0), True),  # overlaps
        ((99.0, 5.0), True),  # contains the LM
    ],
)
def test_arousal_association(arousal, associated):
    r = score([(100.0, 1.0, "left")], arousals=arousals(arousal))
    assert bool(r.lms["arousal"][0]) is associated
    assert bool(r.events["arousal"][0]) is associated


def test_plm_arousal_count_and_index():
    # series 100, 120, 140, 160 plus an isolated LM at 400; arousals right after
    # the LMs at 120 (gap 0.2) and 400 (overlap): only the PLM counts -> 1 PLM
    # with arousal, 1 per hour of the 1 h recording
    r = score(periodic([100, 120, 140, 160, 400]), arousals=arousals((121.2, 3.0), (400.5, 3.0)))
    assert r.n_plm == 4
    assert list(r.lms["arousal"]) == [False, True, False, False, True]
    assert r.n_plm_arousal == 1 and r.plm_arousal_index == 1.0
