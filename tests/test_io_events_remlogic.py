"""RemLogic Event Export and Start/Type/Duration LM lists: hand-made files and the shared nights."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

import plm
from plm.errors import InputError
from plm.io import detect_format
from plm.io.lm_list import read_lm_list
from plm.io.remlogic import read_remlogic, read_remlogic_hypnogram, sniff

from _reference_nights import reference_file

HEADER = (
    "RemLogic Event Export\nPatient:\tX\nPatient ID:\tX_1\nRecording Date:\t8/13/2013\n\n"
    "Events Included:\nAPNEA-OBSTRUCTIVE\nAROUSAL-SPONT\nPLM-LM\nSLEEP-S2\n\n"
)

# Clock times only, across midnight; the header date is the first day.
MIDNIGHT = HEADER + (
    "Sleep Stage\tPosition\tTime [hh:mm:ss]\tEvent\tDuration[s]\tLocation\n"
    "SLEEP-S2\tSupine\t23:59:00\tSLEEP-S2\t30\tEKG\n"
    "SLEEP-S4\tSupine\t23:59:30\tSLEEP-S4\t30\tEKG\n"
    "SLEEP-S4\tSupine\t23:59:50\tPLM-LM\t2.5\tEMG.Tibialis-Leg.Left\n"
    "SLEEP-REM\tSupine\t00:00:00\tSLEEP-REM\t30\tEKG\n"
    "SLEEP-REM\tSupine\t00:00:05.5\tLM\t1.25\tLeg R\n"
    "SLEEP-REM\tSupine\t00:00:10\tAPNEA-OBSTRUCTIVE\t12\tResp.Pressure-Cannula.Nasal\n"
    "SLEEP-REM\tSupine\t00:00:25\tAROUSAL-SPONT\t3\tEEG-O2\n"
    "SLEEP-UNSCORED\tSupine\t00:00:30\tSLEEP-UNSCORED\t30\tEKG\n"
    "SLEEP-UNSCORED\tSupine\t00:00:40\tDESAT\t10\tSpO2\n"
)


def test_midnight_rollover_and_mapping(tmp_path):
    path = tmp_path / "export.txt"
    path.write_text(MIDNIGHT)
    assert detect_format(path, kind="events") == ("events", "remlogic")
    lm = read_remlogic(path)
    # second 0 = 23:59:00; 23:59:50 -> 50 s; 00:00:05.5 (next day) -> 65.5 s
    np.testing.assert_allclose(lm.onset, [50.0, 65.5])
    np.testing.assert_array_equal(lm.side, ["left", "right"])
    np.testing.assert_allclose(lm.duration, [2.5, 1.25])
    # epochs 23:59:00 S2, 23:59:30 S4 -> N3, 00:00:00 REM, 00:00:30 unscored
    np.testing.assert_array_equal(lm.hypnogram.stages, ["N2", "N3", "R", "?"])
    np.testing.assert_allclose(lm.respiratory.onset, [70.0])
    assert lm.respiratory.label.tolist() == ["apnea"]
    np.testing.assert_allclose(lm.arousals.onset, [85.0])
    assert lm.metadata["ignored"] == {"DESAT": 1}
    assert lm.metadata["start_clock_time"] == "2013-08-13T23:59:00"
    assert lm.start_time is None
    # the recording ends with the last used row: the unscored epoch 90-120 s
    # (ignored rows such as DESAT, 100-110 s, do not count)
    assert lm.duration_s == 120.0
    aware = read_remlogic(path, tz="America/New_York")
    assert aware.start_time == dt.datetime(2013, 8, 14, 3, 59, tzinfo=dt.timezone.utc)


def test_date_and_time_columns(tmp_path):
    path = tmp_path / "dated.txt"
    path.write_text(
        "RemLogic Event Export\nPatient:\tY\n\n"
        "Date\tTime [hh:mm:ss.xxx]\tEvent\tDuration[s]\tLocation\n"
        "13.08.2013\t23:59:58.000\tLM-LEFT\t1.0\t\n"
        "14.08.2013\t00:00:03.250\tPLM-LM\t0.75\tEMG.Tibialis-Leg.Right\n"
        "14.08.2013\t00:01:00.000\tLIGHTS-ON\t0\t\n"
    )
    lm = read_remlogic(path)
    np.testing.assert_allclose(lm.onset, [0.0, 5.25])
    np.testing.assert_array_equal(lm.side, ["left", "right"])
    assert lm.lights_on == 62.0
    assert lm.metadata["start_clock_time"] == "2013-08-13T23:59:58"
    # no AROUSAL/APNEA in the export: not scored (None), not "none found"
    assert lm.respiratory is None and lm.arousals is None


def test_unknown_side(tmp_path):
    mixed = tmp_path / "mixed.txt"
    mixed.write_text(HEADER + "Time [hh:mm:ss]\tEvent\tDuration[s]\tLocation\n"
                     "22:00:00\tLM\t1\tLeg L\n22:00:30\tLM\t1\tLegs\n")
    with pytest.raises(InputError, match="row 14: leg movement without a side"):
        read_remlogic(mixed)
    assert read_remlogic(mixed, unknown_side="right").side.tolist() == ["left", "right"]
    assert read_remlogic(mixed, unknown_side="drop").side.tolist() == ["left"]
    none = tmp_path / "none.txt"
    none.write_text(HEADER + "Time [hh:mm:ss]\tEvent\tDuration[s]\tLocation\n"
                    "22:00:00\tLM\t1\tLegs\n22:00:30\tLM\t1\tLegs\n")
    lm = read_remlogic(none)
    assert lm.side.tolist() == ["left", "left"] and lm.metadata["side_assumed"] == "left"
    assert "no bilateral merging" in lm.metadata["note"]


@pytest.mark.parametrize("table, message", [
    ("Time [hh:mm:ss]\tEvent\tLocation\n22:00:00\tLM\tLeg L\n", "lacks column"),
    ("Time [hh:mm:ss]\tEvent\tDuration[s]\n22:00:00\tLM-LEFT\n", "row 13 has 2 fields"),
    ("Time [hh:mm:ss]\tEvent\tDuration[s]\n22:00:00\tLM-LEFT\t-2\n", "negative duration"),
    ("Time [hh:mm:ss]\tEvent\tDuration[s]\n25:00:00\tLM-LEFT\t2\n", "is not hh:mm:ss"),
    ("Time [hh:mm:ss]\tEvent\tDuration[s]\n22:00:00\tLM-LEFT\tfive\n", "duration 'five' is not a number"),
    ("Time [hh:mm:ss]\tEvent\tDuration[s]\n", "holds no events"),
    ("Time [hh:mm:ss]\tEvent\tDuration[s]\n22:00:00\tSLEEP-S2\t30\n22:00:40\tSLEEP-S2\t30\n", "off the 30 s epoch"),
])
def test_bad_exports(tmp_path, table, message):
    path = tmp_path / "bad.txt"
    path.write_text(HEADER + table)
    with pytest.raises(InputError, match=message) as info:
        read_remlogic(path)
    assert str(path) in str(info.value)


def test_no_table(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text(HEADER)
    with pytest.raises(InputError, match="no event table"):
        read_remlogic(path)


def test_separate_hypnogram_from_another_night_is_refused(tmp_path):
    lms = tmp_path / "lms.txt"
    lms.write_text("Start\tType\tDuration\n2020-01-01T23:00:00\tleft-LM\t1\n2020-01-01T23:00:30\tright-LM\t1\n")
    hyp = tmp_path / "hyp.txt"
    hyp.write_text(HEADER + "Time [hh:mm:ss.xxx]\tEvent\tDuration[s]\n"
                   "2020-01-03T22:00:00.000000\tSLEEP-S0\t30.00\n2020-01-03T22:00:30.000000\tSLEEP-S1\t30.00\n")
    with pytest.raises(InputError, match="do not overlap"):
        read_lm_list(lms, hypnogram=hyp)


def test_lm_list_hand_made(tmp_path):
    path = tmp_path / "lms.txt"
    path.write_text(
        "Start\tType\tDuration\n"
        "2013-07-26T23:59:59.500\tcandidate-LM\t3\n"   # the program's own rows: counted, not scored
        "2013-07-27T00:00:00.000\tleft-LM\t1.5\n"
        "2013-07-27T00:00:00.250\tright-LM\t0.8\n"
        "2013-07-27T00:00:30.000\tperiodic-LM\t2\n"
    )
    assert detect_format(path, kind="events") == ("events", "lm-list")
    lm = read_lm_list(path)
    # second 0 = earliest row of any type (23:59:59.5); end = 00:00:32 -> 32.5 s
    np.testing.assert_allclose(lm.onset, [0.5, 0.75])
    np.testing.assert_array_equal(lm.side, ["left", "right"])
    assert lm.duration_s == 32.5
    assert lm.metadata["ignored"] == {"candidate-LM": 1, "periodic-LM": 1}
    assert lm.hypnogram is None and lm.respiratory is None and lm.arousals is None


def test_lm_list_with_utc_offset(tmp_path):
    path = tmp_path / "lms.txt"
    path.write_text("Start\tType\tDuration\n2013-07-26T01:00:00+02:00\tleft-LM\t1\n")
    assert read_lm_list(path).start_time == dt.datetime(2013, 7, 25, 23, 0, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize("body, message", [
    ("Start\tType\tDuration\nyesterday\tleft-LM\t1\n", "not an ISO 8601"),
    ("Start\tType\tDuration\n2013-07-26T01:00:00\tleft-LM\n", "row 2 has 2 fields"),
    ("Start\tType\tDuration\n2013-07-26T01:00:00\tleft-LM\t-1\n", "negative duration"),
    ("Start\tType\tDuration\n2013-07-26T01:00:00+02:00\tleft-LM\t1\n2013-07-26T01:00:09\tleft-LM\t1\n", "mix"),
])
def test_lm_list_bad(tmp_path, body, message):
    path = tmp_path / "bad.txt"
    path.write_text(body)
    with pytest.raises(InputError, match=message):
        read_lm_list(path)


def test_sniff_is_cheap_and_safe():
    assert sniff("a.txt", b"RemLogic Event Export\r\nPatient:\tX\r\n")
    assert not sniff("a.txt", b"Start\tType\tDuration\n")
    assert not sniff("a.txt", b"\x00\x01\x02")


# ---------------------------------------------------------------- real files
def test_reference_g21945_remlogic():
    path = reference_file("G21945_V1N1", "remlogic_events.txt")
    lm = plm.read_events(path)
    # README: 122 PLM-LM; `awk -F'\t' '{print $2, $4}'`: 81 on Leg.Left, 41 on Leg.Right
    assert len(lm) == 122
    assert (np.sum(lm.side == "left"), np.sum(lm.side == "right")) == (81, 41)
    # 959 SLEEP-* rows of 30 s; 6 APNEA-*, 105 HYPOPNEA, 135 AROUSAL-*; 109 DESAT, 6 RESP-MOVEMENT-STOP ignored
    assert len(lm.hypnogram) == 959
    assert np.sum(lm.respiratory.label == "apnea") == 6 and np.sum(lm.respiratory.label == "hypopnea") == 105
    assert len(lm.arousals) == 135
    assert lm.metadata["ignored"] == {"DESAT": 109, "RESP-MOVEMENT-STOP": 6}
    # 117 of the 122 LM durations are RemLogic's 5.00 s placeholder
    assert np.sum(lm.duration == 5.0) == 117
    # the shared events.tsv is the same night converted: same LMs, stages and events
    tsv = plm.read_events(path.parent / "events.tsv")
    np.testing.assert_array_equal(lm.onset, tsv.onset)
    np.testing.assert_array_equal(lm.hypnogram.stages, tsv.hypnogram.stages)
    np.testing.assert_array_equal(lm.arousals.onset, tsv.arousals.onset)


def test_reference_g16605_separate_exports():
    lm_path = reference_file("G16605_V1N2", "lm_events_matplm.txt")
    folder = lm_path.parent
    lm = plm.read_events(lm_path, hypnogram=folder / "remlogic_hypnogram.txt",
                         arousals=folder / "remlogic_arousals.txt", respiratory=folder / "remlogic_resp.txt")
    # README: 133 detected LMs (61 left-LM, 72 right-LM), 960 epochs, 58 arousals, no respiratory rows
    assert len(lm) == 133 and np.sum(lm.side == "left") == 61
    assert len(lm.hypnogram) == 960 and lm.hypnogram.onset == 0.0 and lm.duration_s == 960 * 30
    stages, counts = np.unique(lm.hypnogram.stages, return_counts=True)
    assert dict(zip(stages.tolist(), counts.tolist())) == {"W": 94, "N1": 49, "N2": 427, "N3": 156, "R": 234}
    assert len(lm.arousals) == 58
    assert lm.respiratory is not None and len(lm.respiratory) == 0  # exported, none scored
    # hypnogram starts 21:50:22, first LM 21:50:26.666
    assert lm.metadata["start_clock_time"] == "2015-07-09T21:50:22"
    assert lm.onset[0] == pytest.approx(4.666)
    assert len(read_remlogic_hypnogram(folder / "remlogic_hypnogram.txt")) == 960


def test_reference_matplm_night():
    path = reference_file("night_2013-07-26", "lm_events_matplm.txt")
    lm = plm.read_events(path)
    assert (np.sum(lm.side == "left"), np.sum(lm.side == "right")) == (389, 585)
    assert lm.metadata["ignored"] == {"candidate-LM": 682, "periodic-LM": 552}
    # first row 01:03:20.150, last row 08:55:06.380 + 0.71 s
    assert lm.metadata["start_clock_time"] == "2013-07-26T01:03:20.150000"
    assert lm.duration_s == pytest.approx((8 * 3600 + 55 * 60 + 7.09) - (3600 + 3 * 60 + 20.15))


def test_lm_list_wrong_header(tmp_path):
    path = tmp_path / "lms.txt"
    path.write_text("Onset\tKind\tLength\n2013-07-26T01:00:00\tleft-LM\t1\n")
    with pytest.raises(InputError, match="expected 'Start<TAB>Type<TAB>Duration'") as info:
        read_lm_list(path)
    assert str(path) in str(info.value)
