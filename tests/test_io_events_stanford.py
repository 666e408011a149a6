"""Stanford .SCO/.STA pairs: hand-made files and the SEV tutorial night."""
from __future__ import annotations

import numpy as np
import pytest

import plm
from plm.errors import InputError
from plm.io import detect_format
from plm.io.stanford import read_stanford, sniff

from _reference_nights import reference_file

# 200 Hz, 30 s epochs: 6000 samples per epoch. CRLF line ends, as SEV writes them.
SCO = "\r\n".join([
    "\t\t\t\t\t\t\t\t",
    "2\t6400\t\t406\tLM \t5\t22:00:32\t\t",        # 32.0 s, epoch 2
    "2\t8000\t\t405\tLMA \t4\t22:00:40\t\t",       # 40.0 s, LM with arousal
    "3\t12100\t3000\t202\tHypopnea \t15\t22:01:00\t94.5\t",  # 60.5 s, 15 s
    "3\t12200\t2000\t301\tSaO2\t33\t22:01:01\t93.3\t3.4",    # ignored
    "4\t18000\t\t406\tLM \t5\t22:01:30\t\t",       # 90.0 s
]) + "\r\n"
# bare-CR line ends; epochs 1-4: W, N2, S4 -> N3, REM
STA = "1\t0\r2\t2\r3\t4\r4\t5"


def _pair(tmp_path, sco=SCO, sta=STA):
    (tmp_path / "night.SCO").write_bytes(sco.encode())
    if sta is not None:
        (tmp_path / "night.STA").write_bytes(sta.encode())
    return tmp_path / "night.SCO"


def test_hand_made_pair(tmp_path):
    path = _pair(tmp_path)
    assert detect_format(path, kind="events") == ("events", "stanford-sco")
    lm = read_stanford(path)
    np.testing.assert_allclose(lm.onset, [32.0, 40.0, 90.0])
    # no duration in the file: the documented 0.5 s assumption
    np.testing.assert_allclose(lm.duration, [0.5, 0.5, 0.5])
    # no side: one combined channel on the left leg, flagged
    assert lm.side.tolist() == ["left"] * 3 and lm.metadata["side_assumed"] == "left"
    assert lm.metadata["n_lm_with_arousal"] == 1 and lm.metadata["lm_duration_assumed"] == 3
    assert lm.respiratory.label.tolist() == ["hypopnea"]
    np.testing.assert_allclose([lm.respiratory.onset[0], lm.respiratory.duration[0]], [60.5, 15.0])
    assert lm.arousals is None  # LMA says "with arousal" but lists no arousal events
    assert lm.metadata["ignored"] == {"SaO2": 1}
    np.testing.assert_array_equal(lm.hypnogram.stages, ["W", "N2", "N3", "R"])
    assert lm.duration_s == 120.0
    # clock 22:00:32 at 32.0 s -> sample 0 at 22:00:00
    assert lm.metadata["start_clock_time"] == "22:00:00"
    # reading the .STA finds the .SCO
    np.testing.assert_array_equal(read_stanford(tmp_path / "night.STA").onset, lm.onset)


def test_options(tmp_path):
    path = _pair(tmp_path)
    lm = read_stanford(path, lm_duration=2.0, side="right", lma_as_arousal=True)
    np.testing.assert_allclose(lm.duration, [2.0, 2.0, 2.0])
    assert lm.side.tolist() == ["right"] * 3
    np.testing.assert_allclose(lm.arousals.onset, [40.0])  # one arousal over the LMA


def test_without_sta(tmp_path):
    lm = read_stanford(_pair(tmp_path, sta=None))
    assert lm.hypnogram is None
    assert lm.duration_s == 90.5  # last LM end: the recording length is unknown


@pytest.mark.parametrize("sco, sta, message", [
    (SCO.replace("2\t6400", "1\t6400"), STA, "not in epoch 1 at 200 Hz"),
    (SCO + "5\t24000\r\n", STA, "has 2 fields"),
    (SCO.replace("3000\t202", "-3000\t202"), STA, "negative duration"),
    (SCO + "9\t48000\t\t406\tLM \t5\t22:04:00\t\t\r\n", STA, "outside the recording"),
    (SCO, "1\t0\r2\t8", "stage code 8"),
    (SCO, "1\t0\r1\t2", "epoch 1 is listed more than once"),
    ("\t\t\t\t\r\n", STA, "file is empty"),
])
def test_bad_pairs(tmp_path, sco, sta, message):
    path = _pair(tmp_path, sco, sta)
    with pytest.raises(InputError, match=message) as info:
        read_stanford(path)
    assert str(tmp_path) in str(info.value)


def test_sta_without_sco(tmp_path):
    (tmp_path / "x.sta").write_text("1 0\n")
    with pytest.raises(InputError, match="no .SCO"):
        read_stanford(tmp_path / "x.sta")


def test_sniff():
    assert sniff("a.SCO", b"\t\t\r\n64\t381894\t\t406\tLM \t5\r\n")
    assert not sniff("a.txt", b"64\t381894\t\t406\tLM \t5\r\n")
    assert not sniff("a.sco", b"RemLogic Event Export\n")


def test_reference_sev_tutorial():
    path = reference_file("sev_tutorial", "SEV_Tutorial.SCO")
    lm = plm.read_events(path)
    # README / file: 25 LMA (405) + 10 LM (406); 1 Obs Apnea, 2 Hypopnea, 3 SaO2 rows
    assert len(lm) == 35 and lm.metadata["n_lm_with_arousal"] == 25
    assert sorted(lm.respiratory.label.tolist()) == ["apnea", "hypopnea", "hypopnea"]
    assert lm.metadata["ignored"] == {"SaO2": 3}
    # first LM: epoch 64, sample 381894 / 200 Hz
    assert lm.onset[0] == pytest.approx(1909.47)
    # .STA: 1000 epochs: 226 W, 97 N1, 488 N2, 131 R, 58 unscored (code 7)
    stages, counts = np.unique(lm.hypnogram.stages, return_counts=True)
    assert dict(zip(stages.tolist(), counts.tolist())) == {"?": 58, "N1": 97, "N2": 488, "R": 131, "W": 226}
    assert lm.duration_s == 30000.0
    # clock column: sample 0 is about 22:09:14 (clock times are rounded to seconds)
    assert lm.metadata["start_clock_time"] == "22:09:14"
