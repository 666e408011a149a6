"""Same-leg merging, duration limits, bilateral merging and CLM rules (hand-worked)."""
import pytest

from score_helpers import score


# ---------------------------------------------------------------- same leg
def test_same_leg_gap_049_merges_before_min_duration():
    # L [0, 0.3] and L [0.79, 1.09]: offset-to-onset gap 0.49 s < 0.5 -> one LM
    # [0, 1.09] lasting 1.09 s (>= 0.5, so it is an LM although both parts are short)
    r = score([(0.0, 0.3, "left"), (0.79, 0.3, "left")])
    assert r.n_lm == 1 and r.n_lm_left == 1
    assert r.events["duration"][0] == pytest.approx(1.09)
    assert r.events["n_merged"][0] == 2
    assert r.n_clm == 1


def test_same_leg_gap_exactly_05_does_not_merge_and_both_are_too_short():
    # L [0, 0.3] and L [0.8, 1.1]: gap exactly 0.5 s is not < 0.5 -> two LMs of
    # 0.3 s each, both below the 0.5 s minimum -> nothing scored
    r = score([(0.0, 0.3, "left"), (0.8, 0.3, "left")])
    assert r.n_lm == 0 and r.n_lm_left == 0
    assert list(r.events["reason"]) == ["too_short", "too_short"]
    assert list(r.events["lm_id"]) == [-1, -1]


def test_same_leg_overlap_and_running_offset():
    # L [0, 5], L [1, 2] (inside), L [5.3, 6]: the third starts 0.3 s after the
    # running offset 5 (not after 2) -> all one LM [0, 6]
    r = score([(0.0, 5.0, "left"), (1.0, 1.0, "left"), (5.3, 0.7, "left")])
    assert r.n_lm == 1
    assert r.lms["duration"][0] == pytest.approx(6.0)
    assert len(r.events) == 1 and r.events["n_merged"][0] == 3


def test_legs_are_merged_separately():
    # L [0,1] and R [1.2, 2.2]: different legs, so no same-leg merge; they are
    # bilateral (gap 0.2 < 0.5) -> 1 left, 1 right, 1 bilateral LM
    r = score([(0.0, 1.0, "left"), (1.2, 1.0, "right")])
    assert (r.n_lm_left, r.n_lm_right, r.n_lm, r.n_lm_bilateral) == (1, 1, 1, 1)
    assert len(r.events) == 2


# ---------------------------------------------------------------- durations
@pytest.mark.parametrize(
    "dur, n_lm, n_clm",
    [
        (0.49, 0, 0),  # below 0.5 s: not an LM
        (0.5, 1, 1),  # exactly 0.5 s: an LM and a CLM (inclusive)
        (10.0, 1, 1),  # exactly 10 s: still a CLM (non-CLM only when > 10 s)
        (10.01, 1, 0),  # > 10 s: WASM 2016 keeps it as an LM that is not a CLM
    ],
)
def test_monolateral_duration_bounds_wasm2016(dur, n_lm, n_clm):
    r = score([(100.0, dur, "left")])
    assert (r.n_lm, r.n_clm) == (n_lm, n_clm)


def test_long_lm_is_not_an_lm_under_aasm():
    # AASM: LMs last 0.5-10 s, a 10.01 s movement is not an LM at all
    r = score([(100.0, 10.01, "left")], criteria="aasm")
    assert r.n_lm == 0
    assert r.events["reason"][0] == "too_long"
    r = score([(100.0, 10.0, "left")], criteria="aasm")
    assert (r.n_lm, r.n_clm) == (1, 1)


# ---------------------------------------------------------------- bilateral (WASM 2016)
def test_bilateral_offset_gap_049_vs_05():
    # L [0,1], R [1.49, 2.49]: gap 0.49 < 0.5 -> one bilateral LM [0, 2.49]
    r = score([(0.0, 1.0, "left"), (1.49, 1.0, "right")])
    assert (r.n_lm, r.n_lm_bilateral) == (1, 1)
    assert r.lms["sides"][0] == "bilateral" and r.lms["n_parts"][0] == 2
    assert r.lms["duration"][0] == pytest.approx(2.49)
    assert list(r.events["lm_id"]) == [0, 0]
    # gap exactly 0.5 -> two monolateral LMs
    r = score([(0.0, 1.0, "left"), (1.5, 1.0, "right")])
    assert (r.n_lm, r.n_lm_bilateral) == (2, 0)
    assert list(r.lms["sides"]) == ["left", "right"]


def test_bilateral_overlap_and_group_offset_is_latest_offset():
    # L [0, 2], R [1, 3]: overlapping -> bilateral [0, 3]
    r = score([(0.0, 2.0, "left"), (1.0, 2.0, "right")])
    assert r.n_lm == 1 and r.lms["duration"][0] == pytest.approx(3.0)


@pytest.mark.parametrize("r_dur, is_clm", [(8.0, True), (8.01, False)])
def test_bilateral_max_duration_15(r_dur, is_clm):
    # L [0, 8], R [7, 7 + r_dur]: bilateral [0, 15] (15 s: CLM, inclusive) or
    # [0, 15.01] (> 15 s: not a CLM); each part is <= 10 s
    r = score([(0.0, 8.0, "left"), (7.0, r_dur, "right")])
    assert r.n_lm == 1
    assert bool(r.lms["is_clm"][0]) is is_clm


def _chain(n):
    # alternating legs, each 1 s, starting every 0.8 s: each overlaps the next
    # (other leg) by 0.2 s; same-leg neighbours are 0.6 s apart (>= 0.5, no
    # same-leg merge)
    return [(0.8 * i, 1.0, "left" if i % 2 == 0 else "right") for i in range(n)]


def test_bilateral_of_4_parts_is_clm_5_parts_is_not():
    r4 = score(_chain(4))
    assert r4.n_lm == 1 and r4.lms["n_parts"][0] == 4
    assert r4.lms["duration"][0] == pytest.approx(3.4)
    assert r4.n_clm == 1
    r5 = score(_chain(5))
    assert r5.n_lm == 1 and r5.lms["n_parts"][0] == 5
    assert r5.n_clm == 0  # 4.2 s long but made of 5 monolateral LMs


def test_long_lm_inheritance_both_ways():
    # L [0, 10.5] (a non-CLM by itself) and R [10, 11]: bilateral [0, 11],
    # 11 s <= 15 and 2 parts. Inheritance on (default): the long part makes
    # it a non-CLM. Off: it is judged by its own duration -> CLM.
    ev = [(0.0, 10.5, "left"), (10.0, 1.0, "right")]
    assert score(ev).n_clm == 0
    assert score(ev, overrides={"long_lm_inheritance": False}).n_clm == 1


# ---------------------------------------------------------------- AASM / WASM 2006 onset rule
def test_aasm_onsets_less_than_5s_apart_are_one_lm():
    # L [0,1], R [4.9, 5.9]: onsets 4.9 s apart < 5 -> one LM under AASM;
    # under WASM 2016 the offset-to-onset gap is 3.9 s >= 0.5 -> two LMs
    ev = [(0.0, 1.0, "left"), (4.9, 1.0, "right")]
    assert score(ev, criteria="aasm").n_lm == 1
    assert score(ev, criteria="aasm").n_lm_bilateral == 1
    assert score(ev).n_lm == 2
    # onsets exactly 5 s apart: two LMs under AASM too
    assert score([(0.0, 1.0, "left"), (5.0, 1.0, "right")], criteria="aasm").n_lm == 2


def test_aasm_overlap_with_onsets_far_apart_is_two_lms():
    # L [0, 8], R [6, 7]: overlapping (WASM 2016: one bilateral LM) but the
    # onsets are 6 s apart (AASM: two LMs)
    ev = [(0.0, 8.0, "left"), (6.0, 1.0, "right")]
    assert score(ev).n_lm == 1
    assert score(ev, criteria="aasm").n_lm == 2


def test_aasm_same_leg_lms_are_not_merged_by_onset_rule():
    # L [0,1], L [2,3]: same leg, gap 1 s -> two LMs under AASM
    assert score([(0.0, 1.0, "left"), (2.0, 1.0, "left")], criteria="aasm").n_lm == 2


def test_bilateral_disagreement_changes_plm_count():
    # Each left LM at 0, 20, 40, 60 is followed 3 s later by a right LM
    # (onset-to-onset 3 s, gap 2 s).
    # WASM 2016: 8 separate LMs, IMIs 3, 17, 3, 17, ...: every IMI of 3 s ends
    # the run, runs have 2 CLMs -> no PLM.
    # AASM: 4 bilateral LMs at 0, 20, 40, 60, IMI 20 -> one series of 4 PLM.
    ev = []
    for t in (0, 20, 40, 60):
        ev += [(t, 1.0, "left"), (t + 3.0, 1.0, "right")]
    w = score(ev)
    a = score(ev, criteria="aasm")
    assert (w.n_lm, w.n_clm, w.n_plm) == (8, 8, 0)
    assert (a.n_lm, a.n_lm_bilateral, a.n_plm) == (4, 4, 4)


def test_long_lm_merge_option():
    # R [0, 10.5] (long) and L [5, 8] overlapping it.
    # Default (PLMScoRe): one bilateral LM [0, 10.5] holding a long part -> not a CLM.
    # long_lm_merge=False (MATPLM): the long LM stays alone (a non-CLM) and
    # L [5, 8] is a monolateral CLM -> 2 LMs, 1 CLM.
    ev = [(0.0, 10.5, "right"), (5.0, 3.0, "left")]
    r = score(ev)
    assert (r.n_lm, r.n_clm, r.n_lm_bilateral) == (1, 0, 1)
    r = score(ev, overrides={"long_lm_merge": False})
    assert (r.n_lm, r.n_clm, r.n_lm_bilateral) == (2, 1, 0)
    assert list(r.lms["sides"]) == ["right", "left"]
    assert list(r.lms["is_clm"]) == [False, True]
    # the long LM still breaks a series: CLMs 0..40 then long at 50, then 70..130;
    # the IMI into the CLM right after it (70) is undefined -> runs of 3 and 4
    ev = periodic_left([0, 20, 40]) + [(50.0, 12.0, "right")] + periodic_left([70, 90, 110, 130])
    r = score(ev, overrides={"long_lm_merge": False})
    assert (r.n_lm, r.n_clm, r.n_plm) == (8, 7, 4)


def periodic_left(onsets):
    return [(float(t), 1.0, "left") for t in onsets]
