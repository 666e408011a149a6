"""NSRR XML and EDF+ annotations: hand-made files, writer round trips, bad input."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

import plm
from plm.criteria import get as get_criteria
from plm.errors import InputError
from plm.model import Hypnogram, LegMovements, NightResult, ScoredEvents
from plm.io import detect_format
from plm.io.edf_annotations import classify, read_edf_annotations, sniff as sniff_edf, write_edf_annotations
from plm.io.nsrr_xml import read_nsrr_xml, sniff as sniff_xml, write_nsrr_xml

CET = dt.timezone(dt.timedelta(hours=1))


def _night() -> LegMovements:
    return LegMovements(
        onset=[100.0, 100.25, 130.5, 161.125, 20000.0],
        duration=[1.5, 2.0, 0.75, 3.0, 12.5],
        side=["left", "right", "left", "right", "left"],
        start_time=dt.datetime(2024, 1, 30, 23, 10, 5, 250000, tzinfo=CET),
        duration_s=28800.0,
        lights_off=60.0,
        lights_on=28500.0,
        hypnogram=Hypnogram(["W", "W", "N1", "N2", "?", "N3", "R", "N2"], onset=30.0),
        respiratory=ScoredEvents([140.0, 300.0, 400.0], [12.0, 20.5, 11.0], ["apnea", "hypopnea", "rera"]),
        arousals=ScoredEvents([101.0, 5000.0], [3.0, 15.0], ["arousal", "arousal"]),
    )


def _result(night: LegMovements) -> NightResult:
    events = ({"onset": night.onset, "duration": night.duration, "side": night.side,
                         "lm_id": [0, 0, 1, 2, 3], "is_clm": [1, 1, 1, 1, 0], "is_plm": [1, 1, 0, 0, 0]})
    return NightResult(measures={}, events=events, lms={}, criteria=get_criteria("aasm"),
                       start_time=night.start_time, hypnogram=night.hypnogram,
                       extra={"respiratory": night.respiratory, "arousals": night.arousals,
                              "duration_s": night.duration_s, "lights_off": night.lights_off,
                              "lights_on": night.lights_on})


def _ms(x) -> np.ndarray:
    """Times rounded to the ms as decimal text does (the events TSV writes them so)."""
    return np.array([float(f"{v:.3f}") for v in np.asarray(x, float)])


def _in_ms(a: LegMovements) -> LegMovements:
    """``a`` with every time rounded to the ms."""
    return a.replace(onset=_ms(a.onset), duration=_ms(a.duration),
                     respiratory=ScoredEvents(_ms(a.respiratory.onset), _ms(a.respiratory.duration),
                                              a.respiratory.label),
                     arousals=ScoredEvents(_ms(a.arousals.onset), _ms(a.arousals.duration), a.arousals.label))


def _same(a: LegMovements, b: LegMovements, atol: float = 0.0) -> None:
    np.testing.assert_allclose(b.onset, a.onset, atol=atol, rtol=0)
    np.testing.assert_allclose(b.duration, a.duration, atol=atol, rtol=0)
    np.testing.assert_array_equal(b.side, a.side)
    np.testing.assert_array_equal(b.hypnogram.stages, a.hypnogram.stages)
    assert b.hypnogram.onset == a.hypnogram.onset
    for x, y in ((a.respiratory, b.respiratory), (a.arousals, b.arousals)):
        np.testing.assert_allclose(y.onset, x.onset, atol=atol, rtol=0)
        np.testing.assert_allclose(y.duration, x.duration, atol=atol, rtol=0)
        np.testing.assert_array_equal(y.label, x.label)
    assert (b.lights_off, b.lights_on, b.duration_s) == (a.lights_off, a.lights_on, a.duration_s)


# -------------------------------------------------------------------- NSRR
@pytest.mark.parametrize("make", [lambda n: n, _result])
def test_nsrr_round_trip(tmp_path, make):
    night = _night()
    path = tmp_path / "night.xml"
    write_nsrr_xml(path, make(night))
    assert detect_format(path, kind="events") == ("events", "nsrr-xml")
    back = plm.read_events(path)
    _same(night, back)
    assert back.start_time is None and back.metadata["start_clock_time"] == "23:10:05"
    text = path.read_text()
    # consecutive W epochs are one 60 s stage event (NSRR merges runs)
    assert "<EventConcept>Wake|0</EventConcept><Start>30.0</Start><Duration>60.0</Duration>" in text
    if make is _result:  # the two PLM-flagged LMs carry the PLM concept
        assert text.count("Periodic leg movement - left|PLM (Left)") == 1
        assert text.count("Periodic leg movement - right|PLM (Right)") == 1
        assert text.count("Limb movement - left|Limb Movement (Left)") == 2


NSRR = """<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<PSGAnnotation>
<SoftwareVersion>Compumedics</SoftwareVersion>
<EpochLength>30</EpochLength>
<ScoredEvents>
<ScoredEvent><EventType/><EventConcept>Recording Start Time</EventConcept><Start>0</Start>
<Duration>300.0</Duration><ClockTime>00.00.00 22.02.22</ClockTime></ScoredEvent>
<ScoredEvent><EventType>Stages|Stages</EventType><EventConcept>Wake|0</EventConcept><Start>0.0</Start>
<Duration>60.0</Duration></ScoredEvent>
<ScoredEvent><EventType>Stages|Stages</EventType><EventConcept>Stage 4 sleep|4</EventConcept><Start>60.0</Start>
<Duration>30.0</Duration></ScoredEvent>
<ScoredEvent><EventType>Stages|Stages</EventType><EventConcept>REM sleep|5</EventConcept><Start>120.0</Start>
<Duration>30.0</Duration></ScoredEvent>
<ScoredEvent><EventType>Limb Movement|Limb Movement</EventType>
<EventConcept>Limb movement - left|Limb Movement (Left)</EventConcept><Start>65.2</Start><Duration>1.8</Duration>
<SignalLocation>L Leg</SignalLocation></ScoredEvent>
<ScoredEvent><EventType>Limb Movement|Limb Movement</EventType>
<EventConcept>Periodic leg movement - right|PLM (Right)</EventConcept><Start>90.0</Start><Duration>2.0</Duration>
</ScoredEvent>
<ScoredEvent><EventType>Respiratory|Respiratory</EventType><EventConcept>Obstructive apnea|Obstructive Apnea</EventConcept>
<Start>100</Start><Duration>15</Duration></ScoredEvent>
<ScoredEvent><EventType>Arousals|Arousals</EventType><EventConcept>Arousal|Arousal ()</EventConcept>
<Start>118</Start><Duration>4</Duration></ScoredEvent>
<ScoredEvent><EventType>Respiratory|Respiratory</EventType><EventConcept>SpO2 desaturation|SpO2 desaturation</EventConcept>
<Start>110</Start><Duration>20</Duration></ScoredEvent>
</ScoredEvents>
</PSGAnnotation>
"""


def test_nsrr_hand_made(tmp_path):
    path = tmp_path / "shhs.xml"
    path.write_text(NSRR)
    lm = read_nsrr_xml(path)
    np.testing.assert_allclose(lm.onset, [65.2, 90.0])
    assert lm.side.tolist() == ["left", "right"]
    # W run of 60 s = 2 epochs; stage 4 -> N3; 90-120 s has no stage -> unscored
    np.testing.assert_array_equal(lm.hypnogram.stages, ["W", "W", "N3", "?", "R"])
    assert lm.respiratory.label.tolist() == ["apnea"] and lm.arousals.onset.tolist() == [118.0]
    assert lm.metadata["ignored"] == {"SpO2 desaturation|SpO2 desaturation": 1}
    assert lm.duration_s == 300.0 and lm.metadata["start_clock_time"] == "22:02:22"


def test_profusion_sleep_stages_list(tmp_path):
    path = tmp_path / "prof.xml"
    path.write_text("<CMPStudyConfig><EpochLength>30</EpochLength><ScoredEvents>"
                    "<ScoredEvent><Name>Limb Movement (Left)</Name><Start>31</Start><Duration>2</Duration>"
                    "<Input>LEFT LEG</Input></ScoredEvent></ScoredEvents>"
                    "<SleepStages><SleepStage>0</SleepStage><SleepStage>2</SleepStage><SleepStage>5</SleepStage>"
                    "<SleepStage>9</SleepStage></SleepStages></CMPStudyConfig>")
    lm = plm.read_events(path)
    assert lm.side.tolist() == ["left"]
    np.testing.assert_array_equal(lm.hypnogram.stages, ["W", "N2", "R", "?"])


@pytest.mark.parametrize("body, message", [
    ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><PSGAnnotation/>', "DTD or entity"),
    ("<PSGAnnotation><ScoredEvents><ScoredEvent><EventConcept>Arousal", "not well-formed"),
    ("<Annotations/>", "root element is <Annotations>"),
    ("<PSGAnnotation><ScoredEvents><ScoredEvent><EventConcept>Hypopnea|Hypopnea</EventConcept><Start>5</Start>"
     "<Duration>-3</Duration></ScoredEvent></ScoredEvents></PSGAnnotation>", "negative duration"),
    ("<PSGAnnotation><ScoredEvents><ScoredEvent><EventConcept>Recording Start Time</EventConcept><Start>0</Start>"
     "<Duration>100</Duration></ScoredEvent><ScoredEvent><EventConcept>Limb movement - left|Limb Movement (Left)"
     "</EventConcept><Start>250</Start><Duration>1</Duration></ScoredEvent></ScoredEvents></PSGAnnotation>",
     "outside the recording"),
    ("<PSGAnnotation><ScoredEvents><ScoredEvent><EventConcept>Arousal|Arousal ()</EventConcept>"
     "<Duration>3</Duration></ScoredEvent></ScoredEvents></PSGAnnotation>", "has no <Start>"),
    ("<PSGAnnotation><ScoredEvents><ScoredEvent><EventConcept>Limb Movement (Left)</EventConcept><Start>1</Start>"
     "</ScoredEvent><ScoredEvent><EventConcept>Limb Movement</EventConcept><Start>40</Start></ScoredEvent>"
     "</ScoredEvents></PSGAnnotation>", "without a side"),
])
def test_nsrr_bad(tmp_path, body, message):
    path = tmp_path / "bad.xml"
    path.write_text(body)
    with pytest.raises(InputError, match=message) as info:
        read_nsrr_xml(path)
    assert str(path) in str(info.value)


def test_xml_sniff():
    assert sniff_xml("a.xml", b'<?xml version="1.0"?>\n<PSGAnnotation>')
    assert not sniff_xml("a.xml", b"<html>")
    assert not sniff_xml("a.xml", b"\xff\xfe\x00")


# --------------------------------------------------------------------- EDF
@pytest.mark.parametrize("make", [lambda n: n, _result])
def test_edf_round_trip(tmp_path, make):
    pytest.importorskip("edfio")
    night = _night()
    path = tmp_path / "night.edf"
    write_edf_annotations(path, make(night))
    assert detect_format(path, kind="events") == ("events", "edf-annotations")
    back = read_edf_annotations(path, tz="+01:00")
    _same(night, back, atol=1e-6)
    assert back.start_time == night.start_time  # sub-second start kept via the time-keeping annotation
    assert read_edf_annotations(path).start_time is None  # EDF has no UTC offset
    import mne

    desc = mne.read_annotations(path).description.tolist()
    if make is _result:
        assert desc.count("PLM left") == 1 and desc.count("PLM right") == 1 and desc.count("LM left") == 2
    assert desc.count("Sleep stage W") == 2 and "Recording end" in desc


def _edf_with(tmp_path, anns, **kw):
    edfio = pytest.importorskip("edfio")
    path = tmp_path / "hand.edf"
    edfio.Edf(signals=[], annotations=[edfio.EdfAnnotation(*a) for a in anns], **kw).write(path)
    return path


def test_edf_hand_made_labels(tmp_path):
    path = _edf_with(tmp_path, [
        (0.0, 30.0, "Sleep stage 1"), (30.0, 30.0, "Sleep stage 4"), (60.0, 30.0, "Sleep stage R"),
        (5.0, 1.0, "Leg Movement (Left)"), (6.0, 2.0, "Limb movement - right"), (40.0, 1.0, "LM_R"),
        (50.0, 10.0, "Obstructive Apnea"), (70.0, 3.0, "Arousal"), (80.0, 1.0, "Body position: supine"),
    ])
    lm = read_edf_annotations(path)
    np.testing.assert_allclose(lm.onset, [5.0, 6.0, 40.0])
    assert lm.side.tolist() == ["left", "right", "right"]
    np.testing.assert_array_equal(lm.hypnogram.stages, ["N1", "N3", "R"])
    assert lm.respiratory.label.tolist() == ["apnea"] and len(lm.arousals) == 1
    assert lm.metadata["ignored"] == {"Body position: supine": 1}


def test_edf_events_after_recording_end(tmp_path):
    path = _edf_with(tmp_path, [(5.0, 1.0, "LM left"), (100.0, None, "Recording end"), (150.0, 1.0, "LM right")])
    with pytest.raises(InputError, match="outside the recording"):
        read_edf_annotations(path)


def test_edf_bad_files(tmp_path):
    plain = tmp_path / "plain.edf"
    plain.write_bytes(b"0" + b" " * 255)
    with pytest.raises(InputError, match="bad header|plain EDF"):
        read_edf_annotations(plain)
    truncated = tmp_path / "trunc.edf"
    good = _edf_with(tmp_path, [(5.0, 1.0, "LM left")])
    truncated.write_bytes(good.read_bytes()[:300])
    with pytest.raises(InputError) as info:
        read_edf_annotations(truncated)
    assert str(truncated) in str(info.value)


@pytest.mark.parametrize("label, expected", [
    ("LM left", ("lm", "left")), ("Leg Movement (Left)", ("lm", "left")), ("Limb movement - left", ("lm", "left")),
    ("PLM right", ("lm", "right")), ("LM", ("lm", "")), ("Sleep stage W", ("stage", "W")),
    ("Sleep stage N2", ("stage", "N2")), ("Sleep stage 4", ("stage", "N3")), ("Sleep stage ?", ("stage", "?")),
    ("Sleep stage R", ("stage", "R")), ("Arousal (ASDA)", ("arousal", "arousal")), ("RERA", ("respiratory", "rera")),
    ("Central Apnea", ("respiratory", "apnea")), ("Hypopnea", ("respiratory", "hypopnea")),
    ("Lights off", ("lights_off", "")), ("1", None), ("Sleep stage N", None), ("Snore", None),
])
def test_edf_label_mapping(label, expected):
    assert classify(label) == expected


def test_edf_sniff(tmp_path):
    path = _edf_with(tmp_path, [(5.0, 1.0, "LM left")])
    assert sniff_edf(path, path.read_bytes()[:65536])
    assert not sniff_edf("x.edf", b"0" + b" " * 300)


@pytest.mark.parametrize("reader", [read_nsrr_xml, read_edf_annotations])
def test_empty_files(tmp_path, reader):
    path = tmp_path / "empty.bin"
    path.write_bytes(b"")
    with pytest.raises(InputError, match="empty") as info:
        reader(path)
    assert str(path) in str(info.value)


def _random_night(rng: np.random.Generator) -> LegMovements:
    """A random night whose times are whole microseconds (what EDF+ text onsets can hold exactly)."""
    n_ep = int(rng.integers(1, 200))
    n_lm = int(rng.integers(0, 80))
    span = n_ep * 30.0

    def times(n):
        return np.round(rng.uniform(0, span - 20, n), 6)

    resp_on, ar_on = times(int(rng.integers(0, 10))), times(int(rng.integers(0, 10)))
    return LegMovements(
        onset=times(n_lm), duration=np.round(rng.uniform(0, 15, n_lm), 6),
        side=rng.choice(["left", "right"], n_lm),
        start_time=dt.datetime(2021, 5, 1, 22, 0, tzinfo=dt.timezone.utc), duration_s=span,
        hypnogram=Hypnogram(rng.choice(["W", "N1", "N2", "N3", "R", "?"], n_ep)),
        respiratory=ScoredEvents(resp_on, np.round(rng.uniform(10, 40, resp_on.size), 6),
                                 rng.choice(["apnea", "hypopnea", "rera"], resp_on.size)),
        arousals=ScoredEvents(ar_on, np.round(rng.uniform(3, 15, ar_on.size), 6), ["arousal"] * ar_on.size),
    )


@pytest.mark.parametrize("seed", range(5))
def test_random_nights_round_trip_through_every_writer(tmp_path, seed):
    from plm.io.events_tsv import read_events_tsv, write_events_tsv

    night = _random_night(np.random.default_rng(seed))
    write_events_tsv(tmp_path / "n.tsv", night)
    _same(_in_ms(night), read_events_tsv(tmp_path / "n.tsv"))  # the TSV writes times to the ms
    write_nsrr_xml(tmp_path / "n.xml", night)
    _same(_in_ms(night), read_nsrr_xml(tmp_path / "n.xml"))  # the XML writes times to the ms
    if pytest.importorskip("edfio"):
        write_edf_annotations(tmp_path / "n.edf", night)
        _same(night, read_edf_annotations(tmp_path / "n.edf"), atol=1e-6)
