"""Exports of a NightResult: write, read back, compare.

The result is built by hand so that every expected label, onset and value is
known without running a detector or scorer:

    recording: 2 EMG legs ("Leg L", "Leg R"), 100 Hz, 600.5 s, start
               2026-03-01 22:30:00+01:00 (Europe/Berlin winter time)
    per-leg LMs (events):   left 10, 40, 70, 100 s (1.0 s each)
                            right 41.0 (2.0 s), right 300 (1.5 s);
                            right 200 (0.3 s) too short: lm_id -1, no LM
    merged LMs (lms):       id 0: 10 s, id 1: 40-43 s (left 40 + right 41,
                            bilateral), id 2: 70, id 3: 100, id 4: 300
    PLM series: ids 0-3 (4 LMs, IMIs 30 s), id 4 isolated -> n_plm = 4
"""
import csv
import datetime as dt
import json
import math
import warnings

import numpy as np
import pytest

import plm
from plm import criteria
from plm.errors import InputError
from plm.model import Channel, NightResult, Recording
from plm.io import edf_plus, export

BERLIN_WINTER = dt.timezone(dt.timedelta(hours=1))
START = dt.datetime(2026, 3, 1, 22, 30, 0, tzinfo=BERLIN_WINTER)

EV_ONSET = [10.0, 40.0, 41.0, 70.0, 100.0, 200.0, 300.0]
EV_DUR = [1.0, 1.0, 2.0, 1.0, 1.0, 0.3, 1.5]
EV_SIDE = ["left", "left", "right", "left", "left", "right", "right"]
EV_ID = [0, 1, 1, 2, 3, -1, 4]  # the 0.3 s movement at 200 s is too short: not scored
LMS_ONSET = [10.0, 40.0, 70.0, 100.0, 300.0]
LMS_DUR = [1.0, 3.0, 1.0, 1.0, 1.5]
LMS_PLM = [True, True, True, True, False]


def make_recording(sfreq=100.0, duration=600.5, nan_span=None):
    n = int(round(duration * sfreq))
    rng = np.random.default_rng(0)
    data = rng.normal(0, 2.0, size=(2, n))
    for onset, dur, side in zip(EV_ONSET, EV_DUR, EV_SIDE):
        row = 0 if side == "left" else 1
        i0, i1 = int(onset * sfreq), int((onset + dur) * sfreq)
        data[row, i0:i1] += 40.0
    if nan_span is not None:
        data[:, int(nan_span[0] * sfreq):int(nan_span[1] * sfreq)] = np.nan
    chans = (Channel("Leg L", "uV", "emg", side="left"), Channel("Leg R", "uV", "emg", side="right"))
    return Recording(data=data, sfreq=sfreq, channels=chans, start_time=START, timezone="Europe/Berlin",
                     device="PSG", source="/data/night1.edf")


def make_result(recording=None, measures=None):
    events = ({
        "onset": EV_ONSET, "duration": EV_DUR, "side": EV_SIDE,
        "trial_type": [f"lm_{s}" for s in EV_SIDE], "lm_id": EV_ID,
        "is_clm": [i >= 0 for i in EV_ID], "is_clmr": [False] * 7,
        "is_plm": [i >= 0 and LMS_PLM[i] for i in EV_ID], "series": [1, 1, 1, 1, 1, -1, 0],
        "stage": ["N2"] * 7,
    })
    lms = ({
        "onset": LMS_ONSET, "duration": LMS_DUR, "sides": ["left", "bilateral", "left", "left", "right"],
        "lm_id": [0, 1, 2, 3, 4], "imi": [np.nan, 30.0, 30.0, 30.0, 200.0],
        "is_clm": [True] * 5, "is_plm": LMS_PLM, "series": [1, 1, 1, 1, 0],
    })
    m = {
        "plm_index": 24.0, "plms_index": 26.666666666666668, "plmw_index": float("nan"),
        "n_lm_left": 4, "n_lm_right": 2, "n_lm": 5, "n_clm": 5, "n_plm": 4, "n_series": 1,
        "periodicity_index": 0.75, "hours_denominator": 0.16666666666666666, "denominator": "recording",
        "excluded_hours": 0.0, "imi_histogram": [0, 3, 0, 1],
    }
    if measures:
        m.update(measures)
    return NightResult(measures=m, events=events, lms=lms, criteria=criteria.get("wasm2016"),
                       start_time=START, source="/data/night1.edf", recording=recording)


# ---------------------------------------------------------------- annotations
def test_to_annotations_labels_onsets_channels_and_orig_time():
    ann = make_result(make_recording()).to_annotations()
    # One per scored per-leg LM: the left LMs at 10-100 s and the right LM at
    # 41 s (bilateral with left 40) belong to the PLM series -> "PLM <leg>";
    # right 300 s is isolated -> "LM right"; right 200 s (0.3 s) is not scored.
    assert list(ann.description) == ["PLM left", "PLM left", "PLM right", "PLM left", "PLM left", "LM right"]
    np.testing.assert_allclose(ann.onset, [10, 40, 41, 70, 100, 300])
    np.testing.assert_allclose(ann.duration, [1, 1, 2, 1, 1, 1.5])
    assert ann.ch_names[0] == ("Leg L",)
    assert ann.ch_names[2] == ("Leg R",)
    # the clock time of second 0 labelled UTC, as mne.io.read_raw_edf gives an EDF's start
    assert ann.orig_time == START.replace(tzinfo=dt.timezone.utc) != START
    # counts per leg equal the summary's per-leg LM counts (4 left, 2 right
    # in this hand-made summary: the right 0.3 s row is not an LM)
    assert sum(d.endswith("left") for d in ann.description) == 4


def test_annotations_without_recording_name_no_channels():
    # scored from events: no channel names, so they fit any Raw of the night (MNE refuses unknown names)
    ann = edf_plus.result_to_annotations(make_result())
    assert ann.ch_names[0] == () and ann.ch_names[-1] == ()
    assert sum(d.startswith("PLM") for d in ann.description) == 5


def test_accelerometer_channels_per_leg_are_all_axes():
    acc = Recording(data=np.zeros((6, 400)), sfreq=4.0, start_time=START, channels=tuple(
        Channel(f"{s}_{a}", "g", "accel", side=s, axis=a) for s in ("left", "right") for a in "xyz"))
    ann = make_result(acc).to_annotations()
    assert ann.ch_names[0] == ("left_x", "left_y", "left_z")
    assert ann.ch_names[2] == ("right_x", "right_y", "right_z")


# ---------------------------------------------------------------- JSON / CSV
def test_json_summary_round_trip(tmp_path):
    res = make_result()
    path = tmp_path / "s.json"
    res.save(path)
    back = json.loads(path.read_text())
    assert back["plm_index"] == 24.0
    assert back["plmw_index"] is None  # NaN is not JSON: null
    assert back["imi_histogram"] == [0, 3, 0, 1]
    assert back["start_time"] == "2026-03-01T22:30:00+01:00"
    assert back["night"] == "2026-03-01"
    assert back["criteria"]["hash"] == criteria.get("wasm2016").hash
    assert back["excluded_hours"] == 0.0
    # byte-identical when written twice
    path2 = tmp_path / "s2.json"
    res.save(path2)
    assert path.read_bytes() == path2.read_bytes()


def test_csv_one_row_stable_columns_and_rounded_floats(tmp_path):
    path = tmp_path / "m.csv"
    make_result().save(path)
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    assert len(rows) == 2
    header, values = rows
    assert header[:3] == ["source", "night", "start_time"]
    assert header[3:3 + 12] == [k for k in plm.model.result.SUMMARY_KEYS if k not in ("criteria", "version")]
    assert header[-3:] == ["criteria_name", "criteria_hash", "version"]
    assert "imi_histogram" not in header  # not a scalar
    row = dict(zip(header, values))
    assert row["plms_index"] == "26.67"  # 26.666666666666668 rounded to 0.01, as every index is written
    assert row["plmw_index"] == ""  # NaN -> empty cell
    assert row["n_plm"] == "4" and row["denominator"] == "recording"
    assert row["night"] == "2026-03-01" and row["criteria_name"] == "wasm2016"
    # A night with extra measures in another order still has the same leading columns.
    path2 = tmp_path / "m2.csv"
    make_result(measures={"zz_extra": 1.0, "aa_extra": 2.0}).save(path2)
    header2 = next(csv.reader(open(path2, newline="")))
    assert header2[:15] == header[:15]
    assert header2.index("aa_extra") < header2.index("excluded_hours") < header2.index("zz_extra")


# ---------------------------------------------------------------- EDF+
def _read_raw_edf(path):
    import mne

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return mne.io.read_raw_edf(path, preload=True, verbose="error")


def test_edf_plus_signals_and_annotations_round_trip(tmp_path):
    import mne

    rec = make_recording()
    res = make_result(rec)
    path = tmp_path / "night1_scored.edf"
    res.save(path)
    raw = _read_raw_edf(path)
    assert raw.ch_names == ["Leg L", "Leg R"]
    assert raw.info["sfreq"] == 100.0
    # 600.5 s is padded to whole 1 s data records: 601 s.
    assert raw.n_times == 60100
    got = raw.get_data()[:, :rec.n_samples] * 1e6  # MNE gives volts for uV channels
    span = rec.data.max(axis=1) - rec.data.min(axis=1)
    # 16-bit quantisation: error at most one step of the physical range.
    assert np.all(np.abs(got - rec.data).max(axis=1) <= span / 65535 * 1.01)
    # Header start = local wall-clock time (EDF+), which MNE reports as if UTC.
    assert raw.info["meas_date"].replace(tzinfo=None) == START.replace(tzinfo=None)

    for ann in (raw.annotations, mne.read_annotations(path)):
        desc = list(ann.description)
        # the criteria and version travel as an annotation at second 0
        assert desc[0] == f"Scoring criteria: wasm2016 {criteria.get('wasm2016').hash}, plm {plm.__version__}"
        assert ann.onset[0] == 0.0
        lm_like = [(d, round(float(o), 3)) for d, o in zip(desc[1:], ann.onset[1:]) if d != "plm gap"]
        assert lm_like == [("PLM left", 10.0), ("PLM left", 40.0), ("PLM right", 41.0), ("PLM left", 70.0),
                           ("PLM left", 100.0), ("LM right", 300.0)]
        assert "plm gap" not in desc  # no gaps in this recording


def test_edf_plus_marks_nan_gaps_and_keeps_units(tmp_path):
    import edfio

    rec = make_recording(duration=120.0, nan_span=(50.0, 62.5))
    path = tmp_path / "gap.edf"
    make_result(rec).save(path)
    edf = edfio.read_edf(path)
    assert [s.physical_dimension for s in edf.signals] == ["uV", "uV"]
    assert "utc_offset=+01:00" in edf.local_recording_identification
    gaps = [(a.onset, a.duration) for a in edf.annotations if a.text == "plm gap"]
    assert gaps == [(50.0, 12.5)]
    x = edf.signals[0].data
    step = (edf.signals[0].physical_max - edf.signals[0].physical_min) / 65535
    # the gap holds 0 (to one quantisation step), the data around it do not
    assert np.all(np.abs(x[5000:6250]) <= step)
    finite = rec.data[0][np.isfinite(rec.data[0])]
    np.testing.assert_allclose(x[:5000], finite[:5000], atol=step)
    # plm's own reader turns the marked gap back into NaN
    back = plm.read(path, format="edf")
    assert np.isnan(back.data[:, 5000:6250]).all() and not np.isnan(back.data[:, :5000]).any()


def test_edf_accelerometer_in_g(tmp_path):
    import edfio

    t = np.arange(4 * 300) / 4.0
    data = np.vstack([np.sin(t), np.cos(t), np.full_like(t, 0.98)] * 2)
    acc = Recording(data=data, sfreq=4.0, start_time=START, channels=tuple(
        Channel(f"{s}_{a}", "g", "accel", side=s, axis=a) for s in ("left", "right") for a in "xyz"))
    path = tmp_path / "acc.edf"
    export.save_result(make_result(acc), path)
    edf = edfio.read_edf(path)
    assert [s.physical_dimension for s in edf.signals] == ["g"] * 6
    np.testing.assert_allclose(edf.signals[1].data, np.cos(t), atol=2.1 / 65535)
    # constant channel: physical range widened so it stays representable
    np.testing.assert_allclose(edf.signals[2].data, 0.98, atol=1e-4)


def test_edf_unstorable_rate_is_refused_without_output(tmp_path):
    rec = make_recording(sfreq=255.9999, duration=10.0)
    with pytest.raises(InputError, match="cannot be written to EDF"):
        make_result(rec).save(tmp_path / "x.edf")
    assert list(tmp_path.iterdir()) == []


def test_failing_edf_writer_leaves_no_partial_file(tmp_path, monkeypatch):
    import edfio

    def broken_write(self, target):
        with open(target, "wb") as fh:
            fh.write(b"0       partial header")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(edfio.Edf, "write", broken_write)
    with pytest.raises(OSError):
        make_result(make_recording(duration=20.0)).save(tmp_path / "x.edf")
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- dispatch
def test_unknown_extension_and_format_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="extension"):
        make_result().save(tmp_path / "x.docx")
    with pytest.raises(InputError, match="unknown export format"):
        make_result().save(tmp_path / "x.out", format="pdf")


def test_edf_without_recording_is_annotations_only_and_reads_back(tmp_path):
    import mne

    path = tmp_path / "x.edf"
    make_result().save(path)  # no recording: annotations-only EDF+
    ann = mne.read_annotations(path)
    lm = [(d, float(o)) for d, o in zip(ann.description, ann.onset) if "LM" in d]
    assert [d for d, _ in lm if d.startswith("PLM")] == ["PLM left", "PLM left", "PLM right", "PLM left",
                                                         "PLM left"]
    # EDF keeps local clock time without offset: the reader needs the zone
    back = plm.read_events(path, tz="Europe/Berlin")
    assert back.start_time == START
    # the scored per-leg LMs exactly, as in the EDF+ with signals (the
    # unscored 0.3 s movement at 200 s is not annotated)
    assert [(round(o, 3), s) for o, s in zip(back.onset, back.side)] == [
        (10.0, "left"), (40.0, "left"), (41.0, "right"), (70.0, "left"), (100.0, "left"), (300.0, "right")]


def test_edf_plus_signals_read_back_with_plm_read_keep_offset_and_zone(tmp_path):
    rec = make_recording(duration=30.0)
    path = tmp_path / "night1_scored.edf"
    make_result(rec).save(path)
    back = plm.read(path, format="edf")
    assert back.start_time == START and back.start_time.utcoffset() == dt.timedelta(hours=1)
    assert back.timezone == "Europe/Berlin"
    assert [c.side for c in back.channels] == ["left", "right"]


def test_edf_plus_with_signals_reads_back_as_the_scored_lms(tmp_path):
    path = tmp_path / "night1_scored.edf"
    make_result(make_recording()).save(path)
    back = plm.read_events(path, format="edf-annotations")
    # exactly the scored per-leg LMs (the unscored 0.3 s row is not written)
    np.testing.assert_allclose(back.onset, [10, 40, 41, 70, 100, 300])
    assert list(back.side) == ["left", "left", "right", "left", "left", "right"]
    np.testing.assert_allclose(back.duration, [1, 1, 2, 1, 1, 1.5])
    again = plm.score(back.replace(start_time=START), "wasm2016")
    assert again.n_plm == 4 and again.n_lm == 5


def test_nsrr_xml_round_trip(tmp_path):
    path = tmp_path / "night1_nsrr.xml"
    make_result().save(path)
    text = path.read_text()
    assert "PLM (Left)" in text and "Limb Movement (Right)" in text
    back = plm.read_events(path)
    # annotation exports carry the scored LMs only (lm_id >= 0): the 0.3 s
    # movement at 200 s stays in the events TSV with its reason, not here
    scored = [i for i, lm in enumerate(EV_ID) if lm >= 0]
    np.testing.assert_allclose(back.onset, [EV_ONSET[i] for i in scored])
    assert list(back.side) == [EV_SIDE[i] for i in scored]
    assert 200.0 not in back.onset


def test_output_stem_adds_night_date_only_for_multi_night():
    assert export.output_stem(make_result()) == "night1"
    rec = make_recording().replace(meta={"night": "2026-03-01", "n_nights": 7, "night_index": 0})
    assert export.output_stem(make_result(rec)) == "night1_2026-03-01"
    one = make_recording().replace(meta={"night": "2026-03-01", "n_nights": 1})
    assert export.output_stem(make_result(one)) == "night1"
    r = make_result()
    object.__setattr__(r, "source", "/x/pamrl_left.csv.gz")
    assert export.output_stem(r) == "pamrl_left"
    object.__setattr__(r, "source", "/x/pamrl_left.csv.gz; /x/pamrl_right.csv.gz")  # as combine_recordings
    assert export.output_stem(r) == "pamrl"
    object.__setattr__(r, "source", "/x/ankle1.csv; /x/other.csv")
    assert export.output_stem(r) == "ankle1"
    object.__setattr__(r, "source", "")
    assert export.output_stem(r) == "night"


def test_write_night_outputs_refuses_unknown_format_before_writing(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(InputError, match="unknown export format"):
        export.write_night_outputs(make_result(), out, extra_formats=["pdf"])
    assert not out.exists()


# ---------------------------------------------------------------- TSV / HDF5 / --out
def test_events_tsv_round_trip_through_read_events(tmp_path):
    path = tmp_path / "night1_events.tsv"
    make_result().save(path)
    lms = plm.read_events(path)
    # every per-leg row comes back (the writer keeps unscored rows too)
    np.testing.assert_allclose(lms.onset, EV_ONSET)
    np.testing.assert_allclose(lms.duration, EV_DUR)
    assert list(lms.side) == EV_SIDE
    assert lms.start_time == START
    header = path.read_text().splitlines()[0].split("\t")  # line 1, no comment lines
    assert header[:3] == ["onset", "duration", "trial_type"]
    assert {"lm_id", "is_clm", "is_plm", "series"} <= set(header)


def test_hdf5_result_layout_with_plain_h5py(tmp_path):
    import h5py

    res = make_result()
    path = tmp_path / "night1_result.h5"
    res.save(path)
    crit = criteria.get("wasm2016")
    with h5py.File(path, "r") as f:
        g = f[f"results/{crit.hash}"]
        assert g.attrs["criteria_hash"].decode() == crit.hash
        assert json.loads(g.attrs["criteria"])["imi_min"] == crit.imi_min
        summary = json.loads(g["summary"][()])
        assert summary["n_plm"] == 4 and summary["night"] == "2026-03-01"
        np.testing.assert_allclose(g["events/onset"][()], EV_ONSET)
        np.testing.assert_array_equal(g["lms/is_plm"][()], LMS_PLM)


def test_hdf5_nights_of_one_recording_share_a_file(tmp_path):
    import h5py

    path = tmp_path / "week_result.h5"
    for night in ("2026-03-01", "2026-03-02"):
        rec = make_recording(duration=20.0).replace(meta={"night": night, "n_nights": 2})
        make_result(rec).save(path)
    with h5py.File(path, "r") as f:
        assert sorted(f[f"results/{criteria.get('wasm2016').hash}"]) == ["2026-03-01", "2026-03-02"]


def test_write_night_outputs_writes_the_file_set(tmp_path):
    rec = make_recording(duration=60.0).replace(meta={"night": "2026-03-01", "n_nights": 3, "night_index": 0})
    out = tmp_path / "new" / "out"
    written = export.write_night_outputs(make_result(rec), out, extra_formats=["csv", "edf", "h5", "json"])
    names = [p.name for p in written]
    assert names == ["night1_2026-03-01_events.tsv", "night1_2026-03-01_events.json", "night1_2026-03-01_summary.json",
                     "night1_2026-03-01_summary.csv", "night1_2026-03-01_scored.edf",
                     "night1_2026-03-01_result.h5"]
    assert sorted(p.name for p in out.iterdir()) == sorted(names)  # no temporary files left
    assert json.loads((out / names[2]).read_text())["n_plm"] == 4
    # the 60 s recording holds the LMs at 10, 40 and 41 s (all in the PLM series),
    # after the criteria record at second 0
    assert list(_read_raw_edf(out / names[4]).annotations.description) == [
        f"Scoring criteria: wasm2016 {criteria.get('wasm2016').hash}, plm {plm.__version__}",
        "PLM left", "PLM left", "PLM right"]


def test_write_night_outputs_into_a_file_is_an_input_error(tmp_path):
    blocker = tmp_path / "out"
    blocker.write_text("not a folder")
    with pytest.raises(InputError, match="expected an output folder"):
        export.write_night_outputs(make_result(), blocker)


def test_cli_unknown_export_format_is_one_line_error_and_writes_nothing(tmp_path, capsys):
    from plm.cli import main

    events = tmp_path / "night1_events.tsv"
    make_result().save(events)
    out = tmp_path / "out"
    rc = main(["score", str(events), "--out", str(out), "--export", "pdf"])
    err = capsys.readouterr().err
    assert rc == 1
    assert err.count("\n") == 1 and "unknown export format 'pdf'" in err
    assert not out.exists()


def test_cli_score_events_file_writes_outputs_that_agree(tmp_path, capsys):
    from plm.cli import main

    src = tmp_path / "night1.tsv"
    make_result().save(src)
    out = tmp_path / "out"
    rc = main(["score", str(src), "--json", "--out", str(out), "--export", "csv", "--export", "edf"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    line = json.loads(captured.out.strip())
    names = sorted(p.name for p in out.iterdir())
    # scored from events: no signals, so the EDF+ is annotations only
    assert names == ["night1_annotations.edf", "night1_events.json", "night1_events.tsv", "night1_summary.csv",
                     "night1_summary.json"]
    summary = json.loads((out / "night1_summary.json").read_text())
    row = dict(zip(*csv.reader(open(out / "night1_summary.csv", newline=""))))
    for key in ("n_lm", "n_plm", "n_lm_left", "n_lm_right"):
        assert summary[key] == line[key] == int(row[key])
    assert float(row["plm_index"]) == summary["plm_index"]
    # re-scored from the exported LMs: the 0.3 s movement is dropped again,
    # 40 s (left) + 41 s (right) merge, the 4 LMs at 10-100 s form a series
    assert summary["n_lm_left"] == 4 and summary["n_lm_right"] == 2
    assert summary["n_lm"] == 5 and summary["n_plm"] == 4


def test_edf_plus_with_signals_carries_staging_and_lights(tmp_path):
    import mne

    from plm.model import Hypnogram

    rec = make_recording(duration=120.0).replace(lights_off=5.0, lights_on=115.0,
                                                 hypnogram=Hypnogram(["W", "N1", "N2", "R"], onset=0.0))
    res = make_result(rec, measures={"lights_off": 5.0, "lights_on": 115.0})  # the night's context is rec's
    path = tmp_path / "staged.edf"
    res.save(path)
    ann = mne.read_annotations(path)
    got = [(d, round(float(o), 3)) for d, o in zip(ann.description, ann.onset)
           if d.startswith(("Sleep stage", "Lights"))]
    assert got == [("Sleep stage W", 0.0), ("Lights off", 5.0), ("Sleep stage N1", 30.0),
                   ("Sleep stage N2", 60.0), ("Sleep stage R", 90.0), ("Lights on", 115.0)]
    back = plm.read_events(path, format="edf-annotations")
    assert list(back.hypnogram.stages) == ["W", "N1", "N2", "R"]
    assert back.lights_off == 5.0 and back.lights_on == 115.0


def test_cli_unwritable_output_folder_is_one_line_error(tmp_path, capsys, monkeypatch):
    import errno
    import tempfile

    from plm.cli import main

    src = tmp_path / "night1.tsv"
    make_result().save(src)
    out = tmp_path / "out"
    out.mkdir()

    def denied(*args, **kwargs):  # what a read-only folder gives (root ignores mode bits)
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", denied)
    rc = main(["score", str(src), "--out", str(out)])
    err = capsys.readouterr().err
    assert rc == 1
    assert err == f"plm: error: {out}: output folder is not writable; choose another folder or fix its permissions\n"
    assert list(out.iterdir()) == []


def test_annotation_exports_record_criteria_and_version(tmp_path):
    res = make_result()
    res.save(tmp_path / "a.edf")  # annotations-only EDF+
    import mne

    ann = mne.read_annotations(tmp_path / "a.edf")
    label = f"Scoring criteria: wasm2016 {res.criteria.hash}, plm {plm.__version__}"
    assert label in list(ann.description)
    # the record is not read back as an event
    back = plm.read_events(tmp_path / "a.edf", tz="Europe/Berlin")
    assert len(back) == 6
    res.save(tmp_path / "a.xml")
    text = (tmp_path / "a.xml").read_text()
    assert f"hash {res.criteria.hash}" in text and res.criteria.to_json().replace("--", "- -") in text
    assert len(plm.read_events(tmp_path / "a.xml")) == 6
