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


# Issue 17. The night as onset/duration/type rows:
#   30 1 lm_right | 50 1 lm_right | 70 1 lm_right | 75 20 apnea | 90 D lm_left
#   110 1 lm_right | 130 1 lm_right
# The apnea ends at 95: WASM 2016 window [95 - 2.0, 95 + 10.25] = [93, 105.25].
# No bilateral merging: the left LM starts 19 s after the offset at 71 and
# ends 8 s before the onset at 110 (both >= 0.5 s).
RIGHT = periodic([30, 50, 70, 110, 130], side="right")
ISSUE_APNEA = resp((75.0, 20.0))
FAR_APNEA = resp((150.0, 20.0))  # ends at 170: window [168, 180.25] touches no LM


def test_respiratory_non_clm_stays_in_the_plmnr_sequence_and_breaks_it():
    # D = 12: [90, 102] touches [93, 105.25] -> respiratory; 12 > 10 s -> not a
    # CLM, so not a CLMr. PLM: 30, 50, 70 (IMIs 20, 20) | non-CLM at 90 ends the
    # run | 110, 130 (IMI into 110 undefined): runs of 3 and 2 -> PLM 0.
    # PLMnr: only CLMr leave the sequence; there is none, so it is the same
    # sequence and the 12 s LM still ends the run -> PLMnr 0. (Dropping the LM
    # as well would leave 30, 50, 70, 110, 130 with IMIs 20, 20, 40, 20 -> 5.)
    r = score(RIGHT + [(90.0, 12.0, "left")], respiratory=ISSUE_APNEA)
    assert (r.n_lm, r.n_clm, r.n_clmr, r.n_plm, r.n_plmnr) == (6, 5, 0, 0, 0)
    assert list(r.lms["respiratory"]) == [False, False, False, True, False, False]
    assert list(r.lms["series_nr"]) == [-1] * 6
    assert r.plmnr_index == 0.0


def test_respiratory_clm_leaves_the_plmnr_sequence():
    # D = 9: [90, 99] touches [93, 105.25] and lasts <= 10 s -> a CLMr. PLM: six
    # CLMs 30..130, every IMI 20 -> one series of 6. PLMnr: without the CLMr,
    # 30, 50, 70, 110, 130 with IMIs 20, 20, 40, 20 (all 10..90) -> a series of 5.
    r = score(RIGHT + [(90.0, 9.0, "left")], respiratory=ISSUE_APNEA)
    assert (r.n_lm, r.n_clm, r.n_clmr, r.n_plm, r.n_plmnr) == (6, 6, 1, 6, 5)
    assert list(r.lms["is_plmnr"]) == [True, True, True, False, True, True]
    assert list(r.lms["series_nr"]) == [1, 1, 1, -1, 1, 1]
    assert r.plmnr_index == 5.0  # per hour of the 1 h recording


def test_long_lm_outside_respiratory_windows_breaks_both_sequences():
    # D = 12 with the apnea moved to 150-170: nothing is respiratory, the 12 s
    # LM is a non-CLM in both sequences -> runs of 3 and 2 -> PLM 0, PLMnr 0.
    r = score(RIGHT + [(90.0, 12.0, "left")], respiratory=FAR_APNEA)
    assert (r.n_clm, r.n_clmr, r.n_plm, r.n_plmnr) == (5, 0, 0, 0)
    assert not r.lms["respiratory"].any()


@pytest.mark.parametrize(
    "criteria, dur, plm_plmnr, reason",
    [
        # pamrl scores with the wasm2016 fields: the same answers
        ("pamrl", 12.0, (0, 0), ""),
        ("pamrl", 9.0, (6, 5), ""),
        # AASM/WASM 2006: a 12 s movement is not an LM (too_long) and does not
        # break series; 30, 50, 70, 110, 130 (IMIs 20, 20, 40, 20) -> 5 PLM.
        ("aasm", 12.0, (5, 5), "too_long"),
        ("wasm2006", 12.0, (5, 5), "too_long"),
        # 9 s: [90, 99] is within 0.5 s of the apnea (AASM [74.5, 95.5], WASM
        # 2006 around the end [94.5, 95.5]) -> not scored at all, so PLM and
        # PLMnr are found on the same LMs -> 5 and 5.
        ("aasm", 9.0, (5, 5), "respiratory_excluded"),
        ("wasm2006", 9.0, (5, 5), "respiratory_excluded"),
    ],
)
def test_issue_night_under_other_presets(criteria, dur, plm_plmnr, reason):
    r = score(RIGHT + [(90.0, dur, "left")], criteria=criteria, respiratory=ISSUE_APNEA)
    assert (r.n_plm, r.n_plmnr) == plm_plmnr
    assert r.events["reason"][3] == reason  # the left LM at 90 (rows in onset order)
    assert r.n_clmr == (1 if (criteria == "pamrl" and dur == 9.0) else 0)


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
