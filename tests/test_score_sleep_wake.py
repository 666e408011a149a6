"""Staging, lights-off/on, excluded intervals and denominators (hand-worked)."""
import datetime as dt

import numpy as np
import pytest

from score_helpers import hypno, periodic, score

# 10 epochs of 30 s: W W N1 N2 N2 N3 R R W W (0..300 s)
STAGES = "W W N1 N2 N2 N3 R R W W"
# 15 LMs every 20 s from 5 s: one series of 15 PLM. Stage of each by the
# epoch of its onset (floor(t / 30)):
#   5 W, 25 W, 45 W, 65 N1, 85 N1, 105 N2, 125 N2, 145 N2, 165 N3,
#   185 R, 205 R, 225 R, 245 W, 265 W, 285 W
ONSETS = np.arange(5.0, 300.0, 20.0)


def test_plms_plmw_and_per_stage_indices():
    r = score(periodic(ONSETS), hypnogram=hypno(STAGES))
    assert (r.n_plm, r.n_plms, r.n_plmw) == (15, 9, 6)
    # TST = N1 + 2 N2 + N3 + 2 R = 6 epochs = 180 s = 0.05 h -> 9 / 0.05 = 180/h
    assert r.tst_hours == pytest.approx(0.05)
    assert r.plms_index == pytest.approx(180.0)
    # wake = 4 epochs = 120 s -> 6 / (1/30 h) = 180/h
    assert r.wake_hours == pytest.approx(120 / 3600)
    assert r.plmw_index == pytest.approx(180.0)
    # headline is PLMS per hour of TST
    assert r.denominator == "tst" and r.plm_index == pytest.approx(180.0)
    assert r.hours_denominator == pytest.approx(0.05)
    # per stage: N1 2 PLM / 30 s = 240/h; N2 3 / 60 s = 180/h; N3 1 / 30 s = 120/h; R 3 / 60 s = 180/h
    assert (r.n_plms_N1, r.n_plms_N2, r.n_plms_N3, r.n_plms_R) == (2, 3, 1, 3)
    assert r.plms_index_N1 == pytest.approx(240.0)
    assert r.plms_index_N2 == pytest.approx(180.0)
    assert r.plms_index_N3 == pytest.approx(120.0)
    assert r.plms_index_R == pytest.approx(180.0)
    assert list(r.lms["stage"][:4]) == ["W", "W", "W", "N1"]
    assert list(r.lms["in_sleep"][:4]) == [False, False, False, True]
    # time in bed without lights: the hypnogram's 300 s
    assert r.time_in_bed_hours == pytest.approx(300 / 3600)


def test_stage_at_epoch_boundary_is_the_new_epoch():
    # an LM starting exactly at 60 s belongs to epoch 2 (N1), one at 59.99 to epoch 1 (W)
    r = score([(59.99, 1.0, "left"), (80.0, 1.0, "right")], hypnogram=hypno(STAGES))
    assert list(r.lms["stage"]) == ["W", "N1"]
    r = score([(60.0, 1.0, "left")], hypnogram=hypno(STAGES, onset=0.0))
    assert r.lms["stage"][0] == "N1"


def test_lights_off_on_restrict_lms_and_hours():
    # lights off at 30 s, on at 240 s: LMs at 5, 25 (before) and 245, 265, 285
    # (from lights-on) are not scored. Left: 45..225, 10 LMs, one series.
    # Wake inside [30, 240): epoch [30, 60) only = 30 s; 1 PLMW (45) -> 120/h.
    # TST unchanged: 180 s -> 9 PLMS / 0.05 h = 180/h. Time in bed 210 s.
    r = score(periodic(ONSETS), hypnogram=hypno(STAGES), lights_off=30.0, lights_on=240.0)
    assert r.n_lm == 10 and r.n_plm == 10
    assert list(r.events["reason"]).count("outside_lights") == 5
    assert (r.n_plms, r.n_plmw) == (9, 1)
    assert r.wake_hours == pytest.approx(30 / 3600)
    assert r.plmw_index == pytest.approx(120.0)
    assert r.plms_index == pytest.approx(180.0)
    assert r.time_in_bed_hours == pytest.approx(210 / 3600)


def test_excluded_interval_removed_from_lms_hours_and_series():
    # excluded [120, 150) = all of epoch 4 (N2). LMs at 125 and 145 are not
    # scored. TST = 180 - 30 = 150 s. The IMI from 105 to 165 crosses unseen
    # time -> undefined, so the sequence splits into 5..105 (6 LMs) and
    # 165..285 (7 LMs): two series, 13 PLM. PLMS: 65, 85 (N1), 105 (N2),
    # 165 (N3), 185, 205, 225 (R) = 7 -> 7 / (150/3600 h) = 168/h.
    r = score(periodic(ONSETS), hypnogram=hypno(STAGES), excluded=np.array([[120.0, 150.0]]))
    assert list(r.events["reason"]).count("excluded_interval") == 2
    assert (r.n_lm, r.n_plm, r.n_series) == (13, 13, 2)
    assert r.n_plms == 7
    assert r.tst_hours == pytest.approx(150 / 3600)
    assert r.plms_index == pytest.approx(168.0)
    assert r.plms_index_N2 == pytest.approx(1 / (30 / 3600))
    assert r.excluded_hours == pytest.approx(30 / 3600)
    assert np.isnan(r.lms["imi"][6])  # LM at 165, after the gap


def test_without_staging_lights_give_time_in_bed():
    # no hypnogram; lights 0..7200 s (2 h) minus an excluded half hour -> 1.5 h.
    # 4 PLM / 1.5 h
    r = score(periodic([100, 120, 140, 160]), lights_off=0.0, lights_on=7200.0,
              excluded=np.array([[3600.0, 5400.0]]))
    assert r.denominator == "time_in_bed"
    assert r.hours_denominator == pytest.approx(1.5)
    assert r.plm_index == pytest.approx(4 / 1.5)
    assert r.plms_index is None and r.plmw_index is None and r.plms_index_N2 is None
    assert r.n_plms is None


def test_without_staging_or_lights_the_recording_is_the_denominator():
    # 2 h recording, 4 PLM -> 2/h
    r = score(periodic([100, 120, 140, 160]), duration_s=7200.0)
    assert r.denominator == "recording"
    assert r.plm_index == pytest.approx(2.0)


def test_unknown_recording_length_uses_last_offset_and_warns():
    # duration_s None: last offset 161 s is the recording length -> 4 PLM in 161 s
    with pytest.warns(UserWarning, match="duration_s is None"):
        r = score(periodic([100, 120, 140, 160]), duration_s=None)
    assert r.hours_denominator == pytest.approx(161 / 3600)
    assert r.plm_index == pytest.approx(4 / (161 / 3600))
    assert r.extra["warnings"]


def test_zero_hours_give_none_not_an_error():
    # all-wake hypnogram: TST 0 -> PLMS index None; wake 1 h
    r = score(periodic([100, 120, 140, 160]), hypnogram=hypno(" ".join(["W"] * 120)))
    assert r.tst_hours == 0.0
    assert r.plms_index is None and r.plm_index is None and r.plms_index_R is None
    assert r.n_plmw == 4 and r.plmw_index == pytest.approx(4.0)
    # empty night, zero-length recording
    r = score([], duration_s=0.0)
    assert r.plm_index is None and r.n_lm == 0 and r.periodicity_index is None
    assert "PLM index n/a" in repr(r)


def test_night_date_is_the_evening_the_night_starts():
    tz = dt.timezone(dt.timedelta(hours=1))
    r = score([], start_time=dt.datetime(2026, 3, 1, 22, 30, tzinfo=tz))
    assert r.night == "2026-03-01"
    # a recording started after midnight belongs to the previous evening
    r = score([], start_time=dt.datetime(2026, 3, 2, 1, 0, tzinfo=tz))
    assert r.night == "2026-03-01"
    assert score([]).night is None


def test_lights_boundaries_and_single_bound():
    # lights off at 100, on at 200: an LM starting exactly at 100 is scored,
    # one starting exactly at 200 is not (window [100, 200))
    r = score([(100.0, 1.0, "left"), (200.0, 1.0, "left")], lights_off=100.0, lights_on=200.0)
    assert list(r.events["reason"]) == ["", "outside_lights"]
    assert r.time_in_bed_hours == pytest.approx(100 / 3600)
    # only lights-off given, no staging: the recording end (3700 s) closes the
    # window -> 3600 s in bed, with a warning
    with pytest.warns(UserWarning, match="only one of lights"):
        r = score(periodic([150, 170, 190, 210]), lights_off=100.0, duration_s=3700.0)
    assert r.denominator == "time_in_bed"
    assert r.hours_denominator == pytest.approx(1.0) and r.plm_index == pytest.approx(4.0)
