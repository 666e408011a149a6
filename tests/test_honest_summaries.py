"""Summaries a person cannot misread: every index labelled with the hours it is per (issue 15, item 4).

Hand-worked night: 1 h staged recording, the first 20 min wake, then 40 min N2.
Six left-leg LMs 20 s apart in wake (60-160 s) and ten in N2 (1500-1680 s) form
two series: 16 PLMs, 10 of them in sleep. PLMS index = 10 / (40/60 h) = 15.0 /h,
PLMW index = 6 / (20/60 h) = 18.0 /h, and every PLM per hour of recording =
16 / 1 h = 16.0 /h: three different numbers, each under its own label.
"""
from __future__ import annotations

import pytest

from plm.cli.score import format_summary
from plm.model.labels import ONE_LEG_NOTE, format_measure, headline_rows, measure_rows, night_notes, source_files
from score_helpers import hypno, periodic, score

WAKE = periodic(60 + 20 * i for i in range(6))
SLEEP = periodic(1500 + 20 * i for i in range(10))


def staged_night(**context):
    return score(WAKE + SLEEP, hypnogram=hypno(" ".join(["W"] * 40 + ["N2"] * 80)), source="night.tsv", **context)


def test_staged_summary_heads_with_plms_index_and_shows_plm_index_per_recording_hour():
    res = staged_night()
    m = res.measures
    assert m["plms_index"] == pytest.approx(15.0) and m["plm_index"] == pytest.approx(15.0)
    assert m["plmw_index"] == pytest.approx(18.0)
    assert m["plm_index_tib"] == pytest.approx(16.0)  # every PLM per hour of the staged hour
    lines = format_summary(res.summary()).splitlines()
    assert lines[0] == "night.tsv"
    assert lines[1] == "  PLMS index (sleep)     15.0 /h  PLMs in sleep per hour of total sleep time (0.67 h)"
    assert lines[2] == ("  PLM index (recording)  16.0 /h  all PLMs, sleep and wake, per hour of recording (1.00 h, "
                        "the span of the staging)")
    assert lines[3] == "  PLMW index (wake)      18.0 /h  PLMs in wake per hour of wake (0.33 h)"
    assert lines[4] == "  PLMs                   16       in 2 periodic series"
    assert lines[-1] == "  criteria               wasm2016 [b6b677597772], plm " + res.version


def test_staged_with_lights_says_time_in_bed():
    # lights off at 0, on at 3000 s: in bed 50 min, the sleep series ends at 1681 s
    res = staged_night(lights_off=0.0, lights_on=3000.0)
    assert res.measures["plm_index_tib"] == pytest.approx(16 / (3000 / 3600))
    rows = headline_rows(res.summary())
    assert rows[1] == ("PLM index (time in bed)", "19.2 /h",
                       "all PLMs, sleep and wake, per hour in bed, lights off to on (0.83 h)")


def test_unstaged_summary_names_its_denominator():
    res = score(WAKE + SLEEP, source="ankle.csv")  # 1 h recording, no staging
    assert res.measures["plm_index"] == res.measures["plm_index_tib"] == pytest.approx(16.0)
    lines = format_summary(res.summary()).splitlines()
    assert lines[1] == ("  PLM index (recording)  16.0 /h  all PLMs per hour of recording (1.00 h); "
                        "no sleep staging, so no PLMS index")
    assert not any("PLMS" in ln for ln in lines[2:])  # no "-" PLMS/PLMW lines to misread
    res = score(WAKE + SLEEP, lights_off=0.0, lights_on=2700.0)
    assert headline_rows(res.summary())[0] == (
        "PLM index (time in bed)", "21.3 /h",
        "all PLMs per hour in bed, lights off to on (0.75 h); no sleep staging, so no PLMS index")


def test_one_leg_and_assumed_span_are_shown():
    s = score(WAKE + SLEEP, source="left.tsv").summary()
    s.update(n_legs=1, duration_source="last_event", duration_s=1681.0, hours_denominator=1681 / 3600,
             notes=["left.tsv: only the left leg was recorded"])
    lines = format_summary(s).splitlines()
    assert lines[1].endswith("all PLMs per hour of recording (0.47 h, assumed); no sleep staging, so no PLMS index")
    assert "  legs recorded          1        not comparable with two-leg nights" in lines
    assert lines[-1] == "  note                   left.tsv: only the left leg was recorded"
    assert night_notes(s) == [
        ONE_LEG_NOTE,
        "Recording length assumed: 0.47 h, the end of the last event; the input gives no recording length, "
        "so the index may be too high.",
        "left.tsv: only the left leg was recorded",
    ]
    two = dict(s, n_legs=2, duration_source="file")
    assert night_notes(two) == ["left.tsv: only the left leg was recorded"]


def test_measure_labels_and_units():
    assert format_measure("plm_index", 42.0) == "42.0 /h"
    assert format_measure("hours_denominator", 2.5) == "2.50 h"
    assert format_measure("duration_s", 9000.0) == "2.50 h"
    assert format_measure("n_plm", 111) == "111"
    assert format_measure("periodicity_index", 0.7083) == "0.71"
    assert format_measure("imi_mean", 66.72265625) == "66.7 s"
    assert format_measure("plms_index", None) == "-" and format_measure("plms_index", float("nan")) == "-"
    assert format_measure("denominator", "tst") == "total sleep time"
    rows = {key: (label, text) for label, text, key in measure_rows(staged_night().summary())}
    assert rows["plm_index"] == ("PLM index (= PLMS index, sleep)", "15.0 /h")
    assert rows["plms_index_N2"] == ("PLMS index in N2", "15.0 /h")
    assert rows["lm_duration_mean_left"] == ("LM duration, mean, left leg", "1.00 s")
    assert rows["n_not_scored_too_short"] == ("LMs not scored: too short", "0")
    assert "imi_histogram" not in rows and "criteria" not in rows
    assert source_files("a/left.csv; b/right.csv") == ["a/left.csv", "b/right.csv"]
