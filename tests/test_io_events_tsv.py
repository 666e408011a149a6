"""Events TSV: round trips, hand-made edge cases, the shared G21945 file."""
from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest

import plm
from plm.criteria import get as get_criteria
from plm.errors import InputError
from plm.model import Hypnogram, LegMovements, NightResult, ScoredEvents
from plm.io import detect_format
from plm.io.events_tsv import read_events_tsv, sniff, write_events_tsv

from _reference_nights import reference_file

CET = dt.timezone(dt.timedelta(hours=2))


def _night() -> LegMovements:
    return LegMovements(
        onset=[100.0, 100.25, 130.5, 161.125, 20000.0],
        duration=[1.5, 2.0, 0.75, 3.0, 12.5],
        side=["left", "right", "left", "right", "left"],
        start_time=dt.datetime(2024, 3, 30, 23, 10, 5, 250000, tzinfo=CET),
        duration_s=28800.0,
        lights_off=60.0,
        lights_on=28500.0,
        hypnogram=Hypnogram(["W", "N1", "N2", "?", "N3", "R", "N2"], onset=30.0),
        respiratory=ScoredEvents([140.0, 300.0, 400.0], [12.0, 20.5, 11.0], ["apnea", "hypopnea", "rera"]),
        arousals=ScoredEvents([101.0, 5000.0], [3.0, 15.0], ["arousal", "arousal"]),
    )


def _assert_same_night(a: LegMovements, b: LegMovements) -> None:
    np.testing.assert_array_equal(a.onset, b.onset)
    np.testing.assert_array_equal(a.duration, b.duration)
    np.testing.assert_array_equal(a.side, b.side)
    np.testing.assert_array_equal(a.hypnogram.stages, b.hypnogram.stages)
    assert a.hypnogram.onset == b.hypnogram.onset and a.hypnogram.epoch_length == b.hypnogram.epoch_length
    for x, y in ((a.respiratory, b.respiratory), (a.arousals, b.arousals)):
        np.testing.assert_array_equal(x.onset, y.onset)
        np.testing.assert_array_equal(x.duration, y.duration)
        np.testing.assert_array_equal(x.label, y.label)
    assert (a.lights_off, a.lights_on, a.duration_s) == (b.lights_off, b.lights_on, b.duration_s)
    assert a.start_time == b.start_time


def test_round_trip_leg_movements(tmp_path):
    night = _night()
    path = tmp_path / "night.tsv"
    write_events_tsv(path, night)
    back = read_events_tsv(path)
    _assert_same_night(night, back)
    assert back.start_time.utcoffset() == dt.timedelta(hours=2)
    # read_events auto-detects the format
    assert detect_format(path, kind="events") == ("events", "events-tsv")
    _assert_same_night(night, plm.read_events(path))


def test_round_trip_night_result_keeps_scorer_columns(tmp_path):
    night = _night()
    # A hand-made NightResult: 5 per-leg LMs; the first two (100.0 L, 100.25 R) form one bilateral LM.
    events = ({
        "onset": night.onset, "duration": night.duration, "side": night.side,
        "lm_id": [0, 0, 1, 2, 3], "is_clm": [True, True, True, True, False],
        "is_plm": [True, True, False, False, False], "series": [1, 1, -1, -1, -1],
    })
    result = NightResult(measures={"n_lm": 4}, events=events, lms={}, criteria=get_criteria("wasm2016"),
                         start_time=night.start_time, hypnogram=night.hypnogram,
                         extra={"respiratory": night.respiratory, "arousals": night.arousals,
                                "duration_s": night.duration_s, "lights_off": night.lights_off,
                                "lights_on": night.lights_on})
    path = tmp_path / "res.tsv"
    write_events_tsv(path, result)
    lines = path.read_text().splitlines()
    assert not [ln for ln in lines if ln.startswith("#")]
    assert lines[0].split("\t") == ["onset", "duration", "trial_type", "value", "side", "lm_id", "is_clm", "is_plm",
                                    "series"]
    lm_rows = [ln.split("\t") for ln in lines[1:] if ln.split("\t")[2].startswith("lm_")]
    assert [r[2] for r in lm_rows] == ["lm_left", "lm_right", "lm_left", "lm_right", "lm_left"]
    assert [r[4] for r in lm_rows] == ["left", "right", "left", "right", "left"]
    assert lm_rows[0][5:] == ["0", "1", "1", "1"] and lm_rows[4][5:] == ["3", "0", "0", "-1"]
    stage_rows = [ln.split("\t") for ln in lines[1:] if ln.split("\t")[2] == "sleep_stage"]
    assert [r[3] for r in stage_rows] == ["W", "N1", "N2", "?", "N3", "R", "N2"]
    _assert_same_night(night, read_events_tsv(path))


HAND = (
    "# start_time: 2013-08-13T22:50:57\n"
    "onset\tduration\ttype\tvalue\tside\n"
    "0\t30\tsleep_stage\tN2\tn/a\n"
    "30\t60\tsleep_stage\tN4\tn/a\n"          # a 60 s row fills two epochs; N4 -> N3
    "120\t30\tsleep_stage\tREM\tn/a\n"       # epoch 90-120 s has no row -> unscored
    "35.5\t2.5\tlm_left\tn/a\tn/a\n"
    "40\t1\tlm\tn/a\tright\n"                 # generic lm row with a side column
    "50\t20\tapnea_obstructive\tn/a\tn/a\n"
    "70\t3\tarousal\tn/a\tn/a\n"
    "80\t1\tbody_position\tsupine\tn/a\n"     # not ours: ignored, counted
    "81\t1\tbody_position\tleft\tn/a\n"
)


def test_hand_made_file(tmp_path):
    path = tmp_path / "hand.tsv"
    path.write_text(HAND)
    lm = read_events_tsv(path)
    np.testing.assert_array_equal(lm.onset, [35.5, 40.0])
    np.testing.assert_array_equal(lm.side, ["left", "right"])
    # epochs: 0 N2, 30 N3, 60 N3, 90 ?, 120 R
    np.testing.assert_array_equal(lm.hypnogram.stages, ["N2", "N3", "N3", "?", "R"])
    np.testing.assert_array_equal(lm.respiratory.label, ["apnea"])
    assert len(lm.arousals) == 1
    assert lm.metadata["ignored"] == {"body_position": 2}
    # naive start time: no start_time unless a zone is given, clock time kept
    assert lm.start_time is None and lm.metadata["start_clock_time"] == "2013-08-13T22:50:57"
    # recording end = latest row end (epoch 120-150 s)
    assert lm.duration_s == 150.0
    lm_tz = read_events_tsv(path, tz="Europe/Rome")
    assert lm_tz.start_time.utcoffset() == dt.timedelta(hours=2)  # CEST in August


@pytest.mark.parametrize("body, message", [
    ("onset\tduration\ttype\n10\t-1\tlm_left\n", "negative duration"),
    ("onset\tduration\n10\t1\n", "lacks column"),
    ("onset\tduration\ttype\tvalue\n10\t1\tlm_left\tn/a\n20\t1\n", "row 3 has 2 fields"),
    ("onset\tduration\ttype\n1o\t1\tlm_left\n", "onset '1o' is not a number"),
    ("onset\tduration\ttype\tvalue\n0\t30\tsleep_stage\tN5\n", "sleep stage value 'N5'"),
    ("# duration_s: 100\nonset\tduration\ttype\n150\t1\tlm_left\n", "outside the recording"),
    ("# duration_s: 100\nonset\tduration\ttype\n-3\t1\tlm_right\n", "outside the recording"),
    ("onset\tduration\ttype\tside\n10\t1\tlm\tleft\n20\t1\tlm\tn/a\n", "without a side"),
    ("# only a comment\n", "no header row"),
    ("\n\n", "empty"),
    ("# start_time: yesterday\nonset\tduration\ttype\n", "not an ISO 8601"),
])
def test_bad_files_raise_input_error_naming_file(tmp_path, body, message):
    path = tmp_path / "bad.tsv"
    path.write_text(body)
    with pytest.raises(InputError, match=message) as info:
        read_events_tsv(path)
    assert str(path) in str(info.value)


def test_empty_table_is_a_night_without_lms(tmp_path):
    path = tmp_path / "none.tsv"
    path.write_text("# duration_s: 3600\nonset\tduration\ttype\n")
    lm = read_events_tsv(path)
    assert len(lm) == 0 and lm.duration_s == 3600.0 and lm.hypnogram is None


def test_sidecar_json_carries_start_time(tmp_path):
    (tmp_path / "s.tsv").write_text("onset\tduration\ttype\n5\t1\tlm_left\n")
    (tmp_path / "s.json").write_text('{"start_time": "2020-01-02T22:00:00-05:00", "duration_s": 600}')
    lm = read_events_tsv(tmp_path / "s.tsv")
    assert lm.start_time == dt.datetime(2020, 1, 3, 3, 0, tzinfo=dt.timezone.utc)
    assert lm.duration_s == 600.0


def test_sniff():
    assert sniff("x.tsv", b"# c\nonset\tduration\ttype\n1\t2\tlm_left\n")
    assert not sniff("x.tsv", b"Start\tType\tDuration\n")
    assert not sniff("x.tsv", b"\xff\xfe\x00garbage")


def test_reference_g21945_events_tsv():
    path = reference_file("G21945_V1N1", "events.tsv")
    lm = read_events_tsv(path)
    # counts from the file: `cut -f3 events.tsv | sort | uniq -c`
    assert (np.sum(lm.side == "left"), np.sum(lm.side == "right")) == (81, 41)
    assert len(lm.hypnogram) == 959 and lm.hypnogram.onset == 0.0
    assert np.sum(lm.respiratory.label == "apnea") == 6 and np.sum(lm.respiratory.label == "hypopnea") == 105
    assert len(lm.arousals) == 135
    # stage counts: W 31, N1 48, N2 348, N3 242, R 290 (`cut -f4`)
    stages, counts = np.unique(lm.hypnogram.stages, return_counts=True)
    assert dict(zip(stages.tolist(), counts.tolist())) == {"W": 31, "N1": 48, "N2": 348, "N3": 242, "R": 290}


def test_clock_time_without_offset_survives_a_round_trip(tmp_path):
    night = _night().replace(start_time=None, metadata={"start_clock_time": "2013-08-13T22:50:57"})
    path = tmp_path / "n.tsv"
    write_events_tsv(path, night)
    back = read_events_tsv(path)
    assert back.start_time is None and back.metadata["start_clock_time"] == "2013-08-13T22:50:57"


def test_writer_is_atomic_and_checks_the_folder(tmp_path):
    path = tmp_path / "out.tsv"
    write_events_tsv(path, _night())
    write_events_tsv(path, _night())  # replaces the file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json", "out.tsv"]  # no temporary left behind
    with pytest.raises(InputError, match="does not exist"):
        write_events_tsv(tmp_path / "missing" / "out.tsv", _night())


# ------------------------------------------------------------ BIDS events files
def test_pandas_reads_the_file_without_options(tmp_path):
    import pandas as pd

    night = _night()
    path = tmp_path / "night_events.tsv"
    write_events_tsv(path, night)
    df = pd.read_csv(path, sep="\t")
    assert list(df.columns) == ["onset", "duration", "trial_type", "value", "side"]
    lms = df[df["trial_type"].str.startswith("lm_")]
    assert len(lms) == len(night) and list(lms["onset"]) == list(night.onset)
    assert list(lms["side"]) == list(night.side)
    # n/a is pandas' missing value: LM rows have no value, stage rows no side
    assert lms["value"].isna().all() and df[df["trial_type"] == "sleep_stage"]["side"].isna().all()
    assert list(df["onset"]) == sorted(df["onset"])


def test_sidecar_describes_every_column_and_the_night(tmp_path):
    res = plm.score(_night())
    path = tmp_path / "night_events.tsv"
    res.save(path)
    header = path.read_text().splitlines()[0].split("\t")
    meta = json.loads((tmp_path / "night_events.json").read_text())
    for col in header:
        assert meta[col]["Description"], col
    assert meta["onset"]["Units"] == "s" and meta["duration"]["Units"] == "s"
    assert set(meta["trial_type"]["Levels"]) == {"lm_left", "lm_right", "sleep_stage", "apnea", "hypopnea",
                                                 "rera", "arousal", "lights_off", "lights_on"}
    assert meta["side"]["Levels"] == {"left": "left leg", "right": "right leg"}
    assert meta["is_plm"]["Levels"] == {"1": "yes", "0": "no"}
    assert set(meta["reason"]["Levels"]) >= {"too_short", "outside_lights"}
    assert meta["start_time"] == "2024-03-30T23:10:05.250000+02:00"
    assert meta["duration_s"] == 28800.0 and meta["epoch_length"] == 30.0
    crit = get_criteria("wasm2016")
    assert meta["criteria"] == json.loads(json.dumps(crit.describe())) and meta["criteria"]["hash"] == crit.hash
    assert meta["plm_version"] == plm.__version__
    # the TSV's own columns are those of result.events (plus BIDS value)
    assert header == ["onset", "duration", "trial_type", "value"] + [c for c in res.events.columns
                                                                     if c not in ("onset", "duration", "trial_type")]


# What plm 0.1 wrote: '#' lines before the header, `type`, scorer columns.
OLD_FORMAT = (
    "# plm events TSV; onset and duration in s from the recording start (docs/formats.md)\n"
    "# start_time: 2024-03-30T23:10:05.250000+02:00\n"
    "# duration_s: 28800.0\n"
    "# epoch_length: 30.0\n"
    "# source: night.edf\n"
    "# criteria: wasm2016 ba953d1020a5\n"
    "# plm_version: 0.1.0\n"
    "onset\tduration\ttype\tvalue\tlm_id\tis_clm\tis_plm\tseries\n"
    "30.0\t30.0\tsleep_stage\tW\tn/a\tn/a\tn/a\tn/a\n"
    "60.0\t30.0\tsleep_stage\tN2\tn/a\tn/a\tn/a\tn/a\n"
    "65.5\t1.25\tlm_left\tn/a\t0\t1\t0\t-1\n"
    "70.0\t0.0\tlights_off\tn/a\tn/a\tn/a\tn/a\tn/a\n"
    "80.0\t2.0\tlm_right\tn/a\t1\t1\t0\t-1\n"
)


def test_old_files_with_comment_lines_still_read(tmp_path):
    path = tmp_path / "old_events.tsv"
    path.write_text(OLD_FORMAT)
    lm = plm.read_events(path)
    np.testing.assert_array_equal(lm.onset, [65.5, 80.0])
    np.testing.assert_array_equal(lm.duration, [1.25, 2.0])
    np.testing.assert_array_equal(lm.side, ["left", "right"])
    assert lm.start_time == _night().start_time and lm.start_time.utcoffset() == dt.timedelta(hours=2)
    assert lm.duration_s == 28800.0 and lm.lights_off == 70.0
    np.testing.assert_array_equal(lm.hypnogram.stages, ["W", "N2"])
    assert lm.hypnogram.onset == 30.0
    # written again, it is a BIDS file: header on line 1, the facts in the sidecar, same night
    new = tmp_path / "new_events.tsv"
    write_events_tsv(new, lm)
    assert new.read_text().startswith("onset\tduration\ttrial_type\tvalue\tside\n")
    _assert_same_night(lm, read_events_tsv(new))


def test_trial_type_and_type_both_read(tmp_path):
    for col in ("type", "trial_type"):
        path = tmp_path / f"{col}.tsv"
        path.write_text(f"onset\tduration\t{col}\n5\t1\tlm_left\n9\t1\tlm_right\n")
        np.testing.assert_array_equal(read_events_tsv(path).side, ["left", "right"])


def test_times_are_written_to_the_ms(tmp_path):
    night = LegMovements([1214.90234375, 1300.0], [2.075000000000003, 0.5], ["left", "right"], duration_s=3600.0)
    path = tmp_path / "n.tsv"
    write_events_tsv(path, night)
    rows = [ln.split("\t")[:2] for ln in path.read_text().splitlines()[1:]]
    assert rows == [["1214.902", "2.075"], ["1300.0", "0.5"]]
