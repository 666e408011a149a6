"""MNE in and out: annotations that fit MNE's reading of the scored file, a Raw read as its file, Recording.to_mne()."""
from __future__ import annotations

import datetime as dt
import json
import warnings
from pathlib import Path

import mne
import numpy as np
import pytest

import plm
from plm.cli import main
from plm.cli.common import json_line
from plm.errors import InputError
from plm.model import Channel, Recording

SAMPLES = Path(__file__).resolve().parents[1] / "sample_recordings"
PSG = SAMPLES / "psg_emg.edf"  # written by plm: local clock 22:30 with utc_offset=+01:00 in the recording field
edfio = pytest.importorskip("edfio")


def _raw(path) -> mne.io.BaseRaw:
    return mne.io.read_raw_edf(path, verbose="error")


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def _plain_edf(tmp_path) -> Path:
    """The sample night as a plain EDF (another system's): the clock 22:30, no UTC offset anywhere."""
    rec = plm.read(PSG)
    sigs = [edfio.EdfSignal(row, rec.sfreq, label=name, physical_dimension="uV")
            for row, name in zip(rec.data, rec.ch_names)]
    path = tmp_path / "plain.edf"
    edfio.Edf(sigs, starttime=dt.time(22, 30), recording=edfio.Recording(startdate=dt.date(2026, 3, 1))).write(path)
    return path


def _check_every_annotation_survives(raw: mne.io.BaseRaw, result) -> None:
    ann = result.to_annotations()
    scored = result.events[result.events["lm_id"] >= 0].sort_values("onset", kind="stable")
    assert len(ann) == len(scored) > 20
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # MNE warns when it drops annotations outside the data
        raw.set_annotations(ann)
    assert len(raw.annotations) == len(ann)
    # each at the sample of its LM (the Raw starts at the file's first sample)
    want = np.round(scored["onset"].to_numpy() * raw.info["sfreq"]).astype(int)
    np.testing.assert_array_equal(raw.time_as_index(raw.annotations.onset, use_rounding=True), want)
    labels = [("PLM " if p else "LM ") + s for s, p in zip(scored["side"], scored["is_plm"])]
    assert list(raw.annotations.description) == labels
    assert all(set(c) <= set(raw.ch_names) for c in raw.annotations.ch_names)


def test_annotations_fit_the_scored_file_with_a_utc_offset():
    # issue 15: 0 of 26 survived (plm's orig_time was true UTC, MNE's meas_date the clock labelled UTC)
    result = plm.score(PSG)
    assert result.start_time.isoformat() == "2026-03-01T22:30:00+01:00"
    raw = _raw(PSG)
    assert raw.info["meas_date"] == dt.datetime(2026, 3, 1, 22, 30, tzinfo=dt.timezone.utc)
    _check_every_annotation_survives(raw, result)
    assert len(raw.annotations) == 26


def test_annotations_fit_a_file_without_offset_and_with_tz(tmp_path, capsys):
    path = _plain_edf(tmp_path)
    as_utc = _quiet(plm.score, path)  # no offset: the clock is taken as UTC (with a warning)
    assert as_utc.start_time.isoformat() == "2026-03-01T22:30:00+00:00"
    _check_every_annotation_survives(_raw(path), as_utc)
    in_berlin = plm.score(path, read_options=plm.ReadOptions(tz="Europe/Berlin"))
    assert in_berlin.start_time.isoformat() == "2026-03-01T22:30:00+01:00"
    _check_every_annotation_survives(_raw(path), in_berlin)
    # the CLI with --tz: the exported scored EDF+ carries them at the same samples
    out = tmp_path / "out"
    assert main(["score", str(path), "--tz", "America/New_York", "--out", str(out), "--export", "edf"]) == 0
    capsys.readouterr()
    scored = _raw(out / "plain_scored.edf")
    lm_ann = [d for d in scored.annotations.description if d.startswith(("LM", "PLM"))]
    ny = plm.score(path, read_options=plm.ReadOptions(tz="America/New_York"))
    assert ny.start_time.utcoffset() == dt.timedelta(hours=-5)
    assert len(lm_ann) == len(ny.to_annotations())
    _check_every_annotation_survives(_raw(out / "plain_scored.edf"), ny)


def test_score_of_a_raw_equals_score_of_its_file():
    by_file = plm.score(plm.read(PSG))
    by_raw = plm.score(_raw(PSG))
    a, b = json.loads(json_line(by_file.summary())), json.loads(json_line(by_raw.summary()))
    assert a.pop("source") == str(PSG) and b.pop("source") == str(PSG.resolve())
    assert a == b  # start time with its offset, every measure, notes
    assert by_raw.events.equals(by_file.events)
    rec_raw, rec_file = plm.read(_raw(PSG)), plm.read(PSG)
    np.testing.assert_array_equal(rec_raw.data, rec_file.data)
    assert rec_raw.ch_names == rec_file.ch_names == ["Leg L", "Leg R"]
    assert [c.unit for c in rec_raw.channels] == ["uV", "uV"]


def test_raw_options_and_a_cropped_raw():
    raw = _raw(PSG)
    one = _quiet(plm.read, raw, channels="Leg R,")  # one leg, by label
    assert one.sides == ["left"] and one.ch_names == ["Leg R"]
    berlin = plm.read(raw, tz="Europe/Berlin")
    assert berlin.start_time.isoformat() == "2026-03-01T22:30:00+01:00"
    with pytest.raises(InputError, match="side"):
        plm.read(raw, side="left")
    cropped = _raw(PSG).crop(600.0, 1500.0)
    rec = plm.read(cropped)
    assert rec.start_time == plm.read(PSG).start_time + dt.timedelta(seconds=600)
    assert rec.duration == pytest.approx(900.0, abs=1 / 256)
    res = plm.score(cropped)
    full = plm.score(PSG).events
    inside = full[(full["onset"] >= 600) & (full["onset"] + full["duration"] <= 1500)]
    np.testing.assert_allclose(res.events["onset"] + 600, inside["onset"], atol=1 / 256)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cropped.set_annotations(res.to_annotations())
    assert len(cropped.annotations) == len(res.to_annotations())


def test_raw_problems_are_input_errors():
    raw = _raw(PSG)
    raw.set_meas_date(None)
    with pytest.raises(InputError, match="no measurement date"):
        plm.read(raw)
    info = mne.create_info(["Leg L", "Leg R"], 100.0, ["misc", "misc"])
    for ch in info["chs"]:
        ch["unit"] = mne.io.constants.FIFF.FIFF_UNIT_NONE
    odd = mne.io.RawArray(np.zeros((2, 1000)), info, verbose="error")
    odd.set_meas_date(dt.datetime(2026, 3, 1, 22, 30, tzinfo=dt.timezone.utc))
    with pytest.raises(InputError, match="not a voltage"):
        plm.read(odd)
    with pytest.raises(InputError, match="leg"):
        plm.read(mne.io.RawArray(np.zeros((1, 100)), mne.create_info(["Fz"], 100.0, ["eeg"]), verbose="error"))


def test_recording_to_mne_and_back():
    rec = plm.read(PSG)
    raw = rec.to_mne()
    assert isinstance(raw, mne.io.RawArray)
    assert raw.get_channel_types() == ["emg", "emg"] and raw.ch_names == rec.ch_names
    assert raw.info["sfreq"] == rec.sfreq
    assert [ch["unit"] for ch in raw.info["chs"]] == [mne.io.constants.FIFF.FIFF_UNIT_V] * 2
    np.testing.assert_allclose(raw.get_data(units="uV"), rec.data, rtol=1e-12)
    assert raw.info["meas_date"] == dt.datetime(2026, 3, 1, 22, 30, tzinfo=dt.timezone.utc)
    back = plm.read(raw)
    assert back.start_time == rec.start_time and back.start_time.utcoffset() == dt.timedelta(hours=1)
    np.testing.assert_allclose(back.data, rec.data, rtol=1e-12)
    res = plm.score(rec)
    _check_every_annotation_survives(raw, res)
    # accelerometry: g on misc channels, unit "none" (MNE has none for it)
    acc = Recording(np.ones((2, 50)), 10.0, (Channel("left_x", "g", "accel", side="left", axis="x"),
                                             Channel("right_x", "g", "accel", side="right", axis="x")),
                    start_time=dt.datetime(2026, 3, 1, 22, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5))))
    araw = acc.to_mne()
    assert araw.get_channel_types() == ["misc", "misc"] and np.all(araw.get_data() == 1.0)
    assert [ch["unit"] for ch in araw.info["chs"]] == [mne.io.constants.FIFF.FIFF_UNIT_NONE] * 2
    assert araw.info["meas_date"] == dt.datetime(2026, 3, 1, 22, 0, tzinfo=dt.timezone.utc)
