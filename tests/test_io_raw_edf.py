"""EDF/BDF leg EMG: label matching, explicit channels, units, rates, staging, round trip, bad input."""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

edfio = pytest.importorskip("edfio")

import plm  # noqa: E402
from plm.errors import InputError  # noqa: E402
from plm.io import detect_format  # noqa: E402
from plm.io.edf import (  # noqa: E402
    annotation_context,
    find_leg_channels,
    leg_side_of_label,
    read_edf,
    write_edf,
)
from plm.model import Channel, Recording  # noqa: E402

T0 = dt.datetime(2026, 3, 1, 22, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))


def sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def emg(n, seed=0, scale=3.0):
    return np.random.default_rng(seed).normal(0, scale, n)


def make_edf(path, signals, start=dt.datetime(2026, 3, 1, 22, 30), annotations=None, bdf=False):
    """signals: list of (label, data, sfreq, unit)."""
    cls, sig_cls = (edfio.Bdf, edfio.BdfSignal) if bdf else (edfio.Edf, edfio.EdfSignal)
    sigs = []
    for label, x, fs, unit in signals:
        lo, hi = float(np.min(x)), float(np.max(x))
        kw = {} if bdf else {}
        sigs.append(sig_cls(np.asarray(x, float), fs, label=label, physical_dimension=unit,
                            physical_range=(lo, hi) if hi > lo else (lo - 1, lo + 1), **kw))
    ann = None if annotations is None else [edfio.EdfAnnotation(o, d, t) for o, d, t in annotations]
    f = cls(sigs, starttime=start.time(), recording=edfio.Recording(startdate=start.date()), annotations=ann)
    f.write(path)
    return Path(path)


LEFT_RIGHT_LABELS = [
    ("Leg L", "Leg R"), ("LAT", "RAT"), ("L-Leg", "R-Leg"), ("EMG Tib L", "EMG Tib R"), ("LLEG", "RLEG"),
    ("Left Leg", "Right Leg"), ("LegL", "LegR"), ("TIB L", "TIB R"), ("Tibialis L", "Tibialis R"),
    ("EMG.Tibialis-Leg.Left", "EMG.Tibialis-Leg.Right"), ("LAT1-LAT2", "RAT1-RAT2"), ("L Tibialis", "R Tib Ant"),
]


@pytest.mark.parametrize("left, right", LEFT_RIGHT_LABELS)
def test_leg_labels(left, right):
    assert leg_side_of_label(left) == "left"
    assert leg_side_of_label(right) == "right"
    labels = ["C3-M2", "EMG Chin", "ECG", left, "Chin1-Chin2", right, "EOG L", "Flow"]
    assert find_leg_channels(labels) == {"left": [left], "right": [right]}


@pytest.mark.parametrize("label", ["EMG Chin", "Chin1-Chin2", "ECG", "EOG L", "Arm L", "C3-M2", "LOC", "EMG1", "SaO2"])
def test_not_leg_labels(label):
    assert leg_side_of_label(label) is None


def test_label_special_cases():
    assert find_leg_channels(["Legs", "ECG"]) == {"both": ["Legs"]}
    assert find_leg_channels(["LAT1", "LAT2", "RAT1", "RAT2"]) == {"left": ["LAT1", "LAT2"], "right": ["RAT1", "RAT2"]}
    with pytest.raises(InputError, match="several left-leg channels"):
        find_leg_channels(["Leg L", "LLEG", "Leg R"])
    with pytest.raises(InputError, match="no leg EMG channel found among 'C3-M2', 'ECG'"):
        find_leg_channels(["C3-M2", "ECG", "EDF Annotations"])
    with pytest.raises(InputError, match="without a side"):
        find_leg_channels(["Leg 1", "Leg 2"])


def test_reads_only_leg_channels_at_their_rate(tmp_path):
    # EEG at 512 Hz and ECG at 200 Hz must neither be loaded nor force the legs to another rate.
    fs = 256
    x_l, x_r = emg(fs * 60, 1), emg(fs * 60, 2)
    p = make_edf(tmp_path / "psg.edf", [
        ("C3-M2", emg(512 * 60, 3), 512, "uV"), ("Leg L", x_l, fs, "uV"), ("ECG", emg(200 * 60, 4), 200, "mV"),
        ("Leg R", x_r, fs, "uV"),
    ])
    before = sha(p)
    with pytest.warns(UserWarning, match="taken as UTC"):
        rec = plm.read(p)
    assert sha(p) == before
    assert detect_format(p) == ("raw", "edf")
    assert rec.sfreq == 256.0 and rec.n_samples == fs * 60
    assert rec.ch_names == ["Leg L", "Leg R"]
    assert [(c.side, c.modality, c.unit) for c in rec.channels] == [("left", "emg", "uV"), ("right", "emg", "uV")]
    lsb = (x_l.max() - x_l.min()) / 65535  # 16-bit quantisation step
    np.testing.assert_allclose(rec.data[0], x_l, atol=lsb)
    np.testing.assert_allclose(rec.data[1], x_r, atol=(x_r.max() - x_r.min()) / 65535)
    assert rec.start_time == dt.datetime(2026, 3, 1, 22, 30, tzinfo=dt.timezone.utc)
    assert any("UTC" in w for w in rec.meta["warnings"])


def test_explicit_channels_and_missing_channel(tmp_path):
    fs = 200
    p = make_edf(tmp_path / "odd.edf", [("EMG1", emg(fs * 10, 1), fs, "uV"), ("EMG2", emg(fs * 10, 2), fs, "uV"),
                                         ("Chin", emg(fs * 10, 3), fs, "uV")])
    with pytest.raises(InputError, match=re.escape(str(p)) + ".*no leg EMG channel.*--channels"):
        read_edf(p, tz="UTC")
    rec = read_edf(p, channels="emg2, EMG1", tz="UTC")  # case-insensitive, spaces ignored
    assert rec.ch_names == ["EMG2", "EMG1"] and rec.sides == ["left", "right"]
    rec = read_edf(p, channels="EMG1,", tz="UTC")
    assert rec.sides == ["left"] and rec.ch_names == ["EMG1"]
    with pytest.raises(InputError, match=re.escape(str(p)) + r".*channel 'Leg R' \(right leg\) not in the file; "
                                                              r"channels are 'EMG1', 'EMG2', 'Chin'"):
        read_edf(p, channels="EMG1,Leg R", tz="UTC")
    with pytest.raises(InputError, match="LEFT,RIGHT"):
        read_edf(p, channels="EMG1", tz="UTC")
    # derivation of two referential electrodes
    rec = read_edf(p, channels="EMG1-EMG2,", tz="UTC")
    ref = read_edf(p, channels="EMG1,EMG2", tz="UTC")
    np.testing.assert_allclose(rec.data[0], ref.data[0] - ref.data[1])
    assert rec.ch_names == ["EMG1-EMG2"]


def test_cli_channels_option(tmp_path, capsys):
    from plm.cli import main

    p = make_edf(tmp_path / "odd.edf", [("EMG1", emg(2000, 1), 200, "uV"), ("EMG2", emg(2000, 2), 200, "uV")])
    code = main(["info", str(p), "--channels", "EMG1,Nope"])
    err = capsys.readouterr().err
    assert code == 1 and "odd.edf" in err and "'Nope'" in err and "Traceback" not in err


def test_referential_pair_is_derived(tmp_path):
    fs = 256
    a, b, c, d = (emg(fs * 10, s) for s in range(4))
    p = make_edf(tmp_path / "ref.edf", [("LAT1", a, fs, "uV"), ("LAT2", b, fs, "uV"), ("RAT1", c, fs, "uV"),
                                        ("RAT2", d, fs, "uV")])
    rec = read_edf(p, tz="UTC")
    assert rec.ch_names == ["LAT1-LAT2", "RAT1-RAT2"]
    np.testing.assert_allclose(rec.data[0], a - b, atol=2 * (a.max() - a.min()) / 65535 + 2 * (b.max() - b.min()) / 65535)


def test_single_bipolar_legs_channel(tmp_path):
    p = make_edf(tmp_path / "legs.edf", [("Legs", emg(2560, 1), 256, "uV"), ("ECG", emg(2560, 2), 256, "mV")])
    with pytest.warns(UserWarning, match="both legs"):
        rec = read_edf(p, tz="UTC")
    assert rec.sides == ["left"] and rec.ch_names == ["Legs"]
    assert any("both legs" in w for w in rec.meta["warnings"])


@pytest.mark.parametrize("unit, factor", [("uV", 1.0), ("mV", 1e3), ("V", 1e6), ("µV", 1.0), ("nV", 1e-3)])
def test_header_units_converted_to_uv(tmp_path, unit, factor):
    # 3 uV EMG written in `unit`: values are 3 / factor in the file
    x = emg(2560, 5)
    file_unit = "uV" if unit == "µV" else unit
    p = make_edf(tmp_path / "u.edf", [("Leg L", x / factor, 256, file_unit), ("Leg R", x / factor, 256, file_unit)])
    if unit == "µV":  # Latin-1 micro sign, as some PSG systems write it (edfio only writes ASCII)
        blob = p.read_bytes()
        ns = int(blob[252:256])
        dims = 256 + ns * (16 + 80)
        blob = blob[:dims] + b"\xb5V      " * 2 + blob[dims + 16:]
        p.write_bytes(blob)
    rec = read_edf(p, tz="UTC")
    np.testing.assert_allclose(rec.data[0], x, atol=(x.max() - x.min()) / 65535 * 1.01)
    assert "warnings" not in rec.meta


@pytest.mark.parametrize("stored, factor", [("mV", 1e3), ("V", 1e6)])
def test_mislabelled_units_detected_by_amplitude(tmp_path, stored, factor):
    # EMG of about 3 uV stored as mV (or V) numbers but labelled uV: MAD 0.002 "uV" is implausible.
    x = emg(25600, 6)
    p = make_edf(tmp_path / "bad_unit.edf", [("Leg L", x / factor, 256, "uV"), ("Leg R", x / factor, 256, "uV")])
    with pytest.warns(UserWarning, match=f"look like {stored}"):
        rec = read_edf(p, tz="UTC")
    np.testing.assert_allclose(rec.data[0], x, atol=(x.max() - x.min()) / 65535 * 1.01)
    assert any(f"multiplied by {factor:g}" in w for w in rec.meta["warnings"])
    with pytest.raises(InputError, match=re.escape(str(p)) + ".*implausible for leg EMG"):
        read_edf(p, tz="UTC", units="error")
    raw = read_edf(p, tz="UTC", units="ignore")
    np.testing.assert_allclose(raw.data[0], x / factor, atol=(x.max() - x.min()) / factor / 65535 * 1.01)


def test_uv_labelled_as_v_is_converted_down(tmp_path):
    x = emg(25600, 7)  # numbers of uV, labelled V: MNE would give 3e6 uV
    p = make_edf(tmp_path / "v.edf", [("Leg L", x, 256, "V"), ("Leg R", x, 256, "V")])
    with pytest.warns(UserWarning, match="labelled V"):
        rec = read_edf(p, tz="UTC")
    np.testing.assert_allclose(rec.data[0], x, atol=(x.max() - x.min()) / 65535 * 1.01)


def test_different_leg_rates_resampled_down(tmp_path):
    # left at 512 Hz, right at 256 Hz: left is resampled to 256 Hz (a 10 Hz sine survives unchanged)
    t512 = np.arange(512 * 20) / 512
    t256 = np.arange(256 * 20) / 256
    p = make_edf(tmp_path / "rates.edf", [("Leg L", 50 * np.sin(2 * np.pi * 10 * t512), 512, "uV"),
                                          ("Leg R", 50 * np.sin(2 * np.pi * 10 * t256), 256, "uV")])
    with pytest.warns(UserWarning, match="resampled from 512 Hz to 256 Hz"):
        rec = read_edf(p, tz="UTC")
    assert rec.sfreq == 256 and rec.n_samples == 256 * 20
    mid = slice(256, -256)  # away from filter edges
    np.testing.assert_allclose(rec.data[0, mid], 50 * np.sin(2 * np.pi * 10 * t256[mid]), atol=0.5)
    with pytest.raises(InputError, match="different sampling rates"):
        read_edf(p, tz="UTC", resample=False)


def test_staging_events_and_lights_from_edf_plus(tmp_path):
    fs = 100
    n = fs * 150
    ann = [(0, 30, "Sleep stage W"), (30, 60, "Sleep stage 2"), (90, 30, "Sleep stage R"), (5, 0, "Lights off"),
           (40, 12, "Obstructive Apnea"), (70, 3, "Arousal"), (80, 1.5, "LM left"), (140, 0, "Lights on")]
    p = make_edf(tmp_path / "staged.edf", [("Leg L", emg(n, 1), fs, "uV"), ("Leg R", emg(n, 2), fs, "uV")],
                 annotations=ann)
    rec = read_edf(p, tz="Europe/Berlin")
    assert list(rec.hypnogram.stages) == ["W", "N2", "N2", "R"]
    assert rec.hypnogram.epoch_length == 30 and rec.hypnogram.onset == 0
    assert list(rec.respiratory.label) == ["apnea"] and rec.respiratory.onset[0] == 40
    assert list(rec.arousals.onset) == [70.0]
    assert (rec.lights_off, rec.lights_on) == (5.0, 140.0)
    assert rec.meta["lm_annotations"] == 1  # the lab's scored LM is counted, not used as signal
    assert rec.start_time.utcoffset() == dt.timedelta(hours=1) and rec.timezone == "Europe/Berlin"


def test_annotation_context_stage_labels_and_gaps():
    labels = ["Sleep stage W", "Sleep stage 1", "Sleep stage N2", "Sleep stage 3", "Sleep stage 4", "Sleep stage R",
              "Sleep stage ?", "Stage 2", "SLEEP-S2", "SLEEP-REM", "REM", "Wake", "N3"]
    ctx = annotation_context("x.edf", np.arange(len(labels)) * 30.0, np.full(len(labels), 30.0), labels)
    assert list(ctx["hypnogram"].stages) == ["W", "N1", "N2", "N3", "N3", "R", "?", "N2", "N2", "R", "R", "W", "N3"]
    assert annotation_context("x.edf", [0.0], [1.0], ["2"]) == {"n_lm_annotations": 0}  # bare digit: not a stage
    # onsets 60, 90 (dur 90 = 3 epochs), a gap, then 240: epochs from 60 s, unscored in the gap
    h = annotation_context("x.edf", [60, 90, 240], [30, 90, 30], ["Sleep stage W", "Sleep stage 2", "Sleep stage R"])
    assert h["hypnogram"].onset == 60 and h["hypnogram"].epoch_length == 30
    assert list(h["hypnogram"].stages) == ["W", "N2", "N2", "N2", "?", "?", "R"]


def test_write_read_round_trip(tmp_path):
    fs = 256.0
    x = np.vstack([emg(int(fs) * 30 + 100, 1), emg(int(fs) * 30 + 100, 2)])  # not a whole number of records
    start = dt.datetime(2026, 7, 1, 23, 0, 0, 250000, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    rec = Recording(x, fs, (Channel("Leg L", "uV", "emg", "left"), Channel("Leg R", "uV", "emg", "right")), start,
                    timezone="Europe/Berlin", device="Test PSG")
    p = write_edf(tmp_path / "rt.edf", rec, annotations=[(0, 30, "Sleep stage W")])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the stored UTC offset means no "assumed UTC" warning
        back = read_edf(p)
    assert back.start_time == start and back.start_time.utcoffset() == dt.timedelta(hours=2)
    assert back.timezone == "Europe/Berlin" and back.device == "Test PSG"
    assert back.sfreq == fs and back.channels == rec.channels
    assert back.n_samples == 31 * 256  # last record completed by repeating the last sample
    for i in range(2):
        np.testing.assert_allclose(back.data[i, :x.shape[1]], x[i], atol=(x[i].max() - x[i].min()) / 65535)
        assert np.all(back.data[i, x.shape[1]:] == back.data[i, x.shape[1] - 1])
    assert list(back.hypnogram.stages) == ["W"]
    import mne

    raw = mne.io.read_raw_edf(p, verbose="error")
    assert raw.ch_names == ["Leg L", "Leg R"]


def test_write_accel_recording_at_12_5_hz(tmp_path):
    ch = tuple(Channel(f"left_{a}", "g", "accel", side="left", axis=a) for a in "xyz")
    x = np.random.default_rng(0).normal(0, 0.1, (3, 250))
    p = write_edf(tmp_path / "a.edf", Recording(x, 12.5, ch, T0))
    import mne

    raw = mne.io.read_raw_edf(p, verbose="error")
    assert raw.info["sfreq"] == 12.5 and raw.n_times == 250


def test_bdf(tmp_path):
    x = emg(2048 * 5, 3)
    p = make_edf(tmp_path / "b.bdf", [("Leg L", x, 2048, "uV"), ("Leg R", x, 2048, "uV")], bdf=True)
    rec = plm.read(p, tz="UTC")
    assert rec.sfreq == 2048
    np.testing.assert_allclose(rec.data[0], x, atol=(x.max() - x.min()) / (2 ** 24 - 1) * 1.01)


def test_bad_edf_files(tmp_path):
    good = make_edf(tmp_path / "good.edf", [("Leg L", emg(2560, 1), 256, "uV"), ("Leg R", emg(2560, 2), 256, "uV")])
    blob = good.read_bytes()
    cut = tmp_path / "cut.edf"
    cut.write_bytes(blob[: len(blob) - 3000])
    with pytest.raises(InputError, match=re.escape(str(cut)) + ".*truncated: header says 10 data records, the file holds"):
        plm.read(cut)
    head_only = tmp_path / "head.edf"
    head_only.write_bytes(blob[:300])
    with pytest.raises(InputError, match=re.escape(str(head_only)) + ".*truncated"):
        read_edf(head_only)
    badrate = tmp_path / "rate.edf"
    b = bytearray(blob)
    b[244:252] = b"0       "  # record duration 0 s -> sampling rate 0
    badrate.write_bytes(bytes(b))
    with pytest.raises(InputError, match=re.escape(str(badrate)) + ".*positive"):
        read_edf(badrate, tz="UTC")
    garbage = tmp_path / "garbage.edf"
    b = bytearray(blob)
    b[236:244] = b"ten     "
    garbage.write_bytes(bytes(b))
    with pytest.raises(InputError, match=re.escape(str(garbage)) + ".*number of data records 'ten'"):
        read_edf(garbage)
    dup = make_edf(tmp_path / "dup.edf", [("Leg L", emg(256, 1), 256, "uV"), ("Leg L", emg(256, 2), 256, "uV")])
    with pytest.raises(InputError, match="several left-leg|more than once"):
        read_edf(dup, tz="UTC")
    absurd = make_edf(tmp_path / "fast.edf", [("Leg L", emg(50000, 1), 50000, "uV")])
    with pytest.raises(InputError, match=re.escape(str(absurd)) + ".*implausibly high"):
        read_edf(absurd, tz="UTC")


def test_clipped_channel_reported(tmp_path):
    # 2% of the left samples are stuck at the +/-200 uV range limit of the amplifier.
    x = emg(25600, 8)
    clipped = x.copy()
    clipped[1000:1512] = 200.0
    sigs = [edfio.EdfSignal(clipped, 256, label="Leg L", physical_dimension="uV", physical_range=(-200, 200)),
            edfio.EdfSignal(x, 256, label="Leg R", physical_dimension="uV", physical_range=(-200, 200))]
    p = tmp_path / "clip.edf"
    edfio.Edf(sigs, starttime=dt.time(22, 0)).write(p)
    with pytest.warns(UserWarning, match=r"'Leg L': 2% of samples at the recording range limit"):
        rec = read_edf(p, tz="UTC")
    assert not any("Leg R" in w for w in rec.meta["warnings"])
    np.testing.assert_allclose(rec.data[0, 1000:1512], 200.0, atol=0.01)


def test_gaps_survive_the_edf_round_trip(tmp_path):
    # NaN runs (missing samples) are written as 0 plus 'plm gap' annotations and read back as NaN.
    legs = (Channel("Leg L", "uV", "emg", "left"), Channel("Leg R", "uV", "emg", "right"))
    import mne

    x = np.vstack([emg(2560, 1), emg(2560, 2)])
    x[:, 256:512] = np.nan          # both legs alike: one annotation for all channels
    with pytest.warns(UserWarning, match="512 missing"):
        p = write_edf(tmp_path / "same.edf", Recording(x, 256.0, legs, T0))
    assert list(mne.read_annotations(p).description) == ["plm gap"]
    np.testing.assert_array_equal(np.isnan(read_edf(p).data), np.isnan(x))

    x[1, 1000:1100] = np.nan        # the right leg has one more gap: annotations per channel
    with pytest.warns(UserWarning, match="612 missing"):  # 2 x 256 + 100 samples
        p = write_edf(tmp_path / "gap.edf", Recording(x, 256.0, legs, T0))
    assert sorted(mne.read_annotations(p).description) == ["plm gap: Leg L", "plm gap: Leg R", "plm gap: Leg R"]
    back = read_edf(p)
    np.testing.assert_array_equal(np.isnan(back.data), np.isnan(x))
    assert back.meta["gap_samples_restored"] == 612
    assert "lm_annotations" not in back.meta  # 'plm gap' is not a leg-movement label


def test_clipping_count_spans_search_blocks_and_the_tail(tmp_path):
    # The reader looks for range-limit samples only in 4096-sample blocks whose min or max
    # reaches the limit. Stuck stretches across a block edge (4000-4200: 200 samples), in the
    # last, partial block (25000-25300: 300) and short touches (2 samples, not counted) must
    # all be counted as a full scan would: 500 of 25600 samples = 1.95% -> "2%".
    x = emg(25600, 9)
    clipped = x.copy()
    clipped[4000:4200] = 200.0
    clipped[25000:25300] = -200.0
    clipped[[8191, 8192, 12000]] = 200.0
    sigs = [edfio.EdfSignal(clipped, 256, label="Leg L", physical_dimension="uV", physical_range=(-200, 200)),
            edfio.EdfSignal(x, 256, label="Leg R", physical_dimension="uV", physical_range=(-200, 200))]
    p = tmp_path / "clip2.edf"
    edfio.Edf(sigs, starttime=dt.time(22, 0)).write(p)
    with pytest.warns(UserWarning, match=r"'Leg L': 2% of samples at the recording range limit"):
        read_edf(p, tz="UTC")
    # The threshold is 0.1% of the samples (25.6 of 25600): 200 + 299 stuck samples (1.95%) -> "1.9%";
    # 25 stuck samples in the partial last block only -> no note, 26 -> a note ("0.1%").
    for stuck, note in (((slice(4000, 4200), slice(25000, 25299)), r"'Leg L': 1.9% of samples"),
                        ((slice(25500, 25525),), None), ((slice(25500, 25526),), r"'Leg L': 0.1% of samples")):
        y = x.copy()
        for s in stuck:
            y[s] = -200.0
        sigs[0] = edfio.EdfSignal(y, 256, label="Leg L", physical_dimension="uV", physical_range=(-200, 200))
        edfio.Edf(sigs, starttime=dt.time(22, 0)).write(p)
        if note:
            with pytest.warns(UserWarning, match=note):
                read_edf(p, tz="UTC")
        else:
            rec = read_edf(p, tz="UTC")
            assert not any("range limit" in w for w in rec.meta.get("warnings", []))
