"""Plausibility bounds (plm/plausibility.py, docs/bad_input.md): files that are well formed but
describe what no leg or recorder produces give a one-line refusal or a named warning that the
summary keeps, never a silently wrong index.

Every hostile file is generated here (in tmp_path) from the sample generator's nights, whose
true counts are known; each test asserts the error or warning text, the index and what is
left on disk.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import sys
import warnings
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

import plm
from plm import Channel, Recording
from plm.cli import main
from plm.errors import InputError
from plm.io.accel_csv import write_accel_csv
from plm.io.hdf5 import write_recording

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sample_recordings"))
generate = pytest.importorskip("generate")

START = dt.datetime(2024, 3, 1, 22, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))


def sha(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def run(capsys, *argv) -> tuple[int, list[dict], list[str], list[str]]:
    """Exit status, JSON summaries, ``plm: warning:`` lines and ``plm: error:`` lines of one CLI run."""
    code = main([str(a) for a in argv])
    cap = capsys.readouterr()
    assert "Traceback" not in cap.err and "internal error" not in cap.err, cap.err
    summaries = [json.loads(line) for line in cap.out.splitlines() if line.startswith("{")]
    lines = cap.err.splitlines()
    return (code, summaries, [ln for ln in lines if ln.startswith("plm: warning: ")],
            [ln for ln in lines if ln.startswith("plm: error: ")])


def refused(capsys, *argv) -> str:
    code, summaries, _, errors = run(capsys, *argv)
    assert code == 1 and not summaries and len(errors) == 1, errors
    return errors[0]


# ------------------------------------------------------------------ nights with known truth
@pytest.fixture(scope="module")
def accel_night():
    """Half an hour of two-ankle accelerometry in g: 24 true PLMs (48.0 /h)."""
    rec, truth = generate.make_accel_night(hours=0.5, seed=5)
    ref = plm.score(rec, "pamrl")
    assert (ref.n_plm, ref.plm_index) == (truth.expected["n_plm"], 48.0)
    return rec, ref


@pytest.fixture(scope="module")
def emg_night():
    """Half an hour of two-leg EMG at 256 Hz: 19 true PLMs (38.0 /h)."""
    rec, truth = generate.make_emg_night(hours=0.5, seed=1, sfreq=256.0)
    ref = plm.score(rec)
    assert (ref.n_plm, ref.plm_index) == (truth.expected["n_plm"], 38.0)
    return rec, ref, truth


def ankle_files(tmp_path: Path, rec: Recording, *, values_unit: str, label: str) -> list[Path]:
    """Both ankles as plm accelerometer CSV with values in ``values_unit`` under a ``label`` header."""
    out = []
    for side in rec.sides:
        p = tmp_path / f"night_{side}.csv"
        write_accel_csv(p, rec, side=side, units=values_unit)
        text = p.read_text().replace(f"# units: {values_unit}\n", f"# units: {label}\n")
        p.write_text(text)
        out.append(p)
    return out


def without_notes(summary: dict) -> dict:
    return {k: v for k, v in summary.items() if k not in ("notes", "source", "excluded_hours")}


# ------------------------------------------------------------------ gravity
@pytest.mark.parametrize("values_unit, label, factor, mixup", [
    ("g", "m/s^2", 9.80665, "data in g labelled m/s^2"),
    ("mg", "g", 0.001, "data in mg labelled g"),
    ("m/s^2", "g", 0.101972, "data in m/s^2 labelled g"),
])
def test_accel_unit_mixup_is_converted_with_a_named_warning(capsys, tmp_path, accel_night, values_unit, label,
                                                            factor, mixup):
    rec, ref = accel_night
    files = ankle_files(tmp_path, rec, values_unit=values_unit, label=label)
    before = [sha(p) for p in files]
    code, (s,), warns, _ = run(capsys, "score", *files, "--criteria", "pamrl", "--json")
    assert code == 0
    expected = f"the values look like {mixup}: multiplied by {factor:g}"
    assert [w for w in warns if "gravity" in w] == [
        w for w in warns if expected in w and ("left leg" in w or "right leg" in w)]
    assert len([w for w in warns if expected in w]) == 2
    assert (s["plm_index"], s["n_plm"], s["n_lm"]) == (48.0, ref.n_plm, ref.n_lm)
    assert sum(expected in n for n in s["notes"]) == 2
    assert [sha(p) for p in files] == before


def test_gravity_no_unit_explains_is_refused(capsys, tmp_path, accel_night):
    rec, _ = accel_night
    files = ankle_files(tmp_path, rec.replace(data=rec.data * 3.0), values_unit="g", label="g")
    err = refused(capsys, "score", *files, "--json")
    assert err.startswith(f"plm: error: {files[0]}: left leg: the accelerometer reads 3 g at rest (median magnitude "
                          "over still stretches); gravity is 1 g (accepted 0.7-1.3 g): the unit is wrong or the "
                          "device is not calibrated")


def test_recording_handed_to_score_is_checked_and_left_alone(accel_night):
    rec, ref = accel_night
    data = rec.data * 9.80665  # m/s^2 in a Recording that says g
    kept = data.copy()
    with pytest.warns(UserWarning, match="data in m/s\\^2 labelled g: multiplied by 0.101972"):
        res = plm.score(rec.replace(data=data), "pamrl")
    assert (res.plm_index, res.n_lm) == (48.0, ref.n_lm)
    assert np.array_equal(data, kept)  # the caller's array is not changed
    assert any("labelled g" in n for n in res.summary()["notes"])


def test_hdf5_accelerometer_in_wrong_unit_is_converted_once(tmp_path, accel_night):
    rec, ref = accel_night
    p = write_recording(tmp_path / "night.h5", rec.replace(data=rec.data / 9.80665))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = plm.score(p, "pamrl")
    gravity = [str(w.message) for w in caught if "gravity" in str(w.message)]
    assert len(gravity) == 2 and all("multiplied by 9.80665" in g for g in gravity)  # one per leg, not per check
    assert (res.plm_index, res.n_lm) == (48.0, ref.n_lm)


def test_actigraph_csv_in_mg_is_converted(tmp_path, accel_night):
    from test_io_raw_actigraph_csv import actilife_text

    rec, _ = accel_night
    left = rec.data[rec.picks("left")] * 1000.0
    p = tmp_path / "night_L.csv"
    p.write_text(actilife_text(left, rate=40, timestamps=False))
    with pytest.warns(UserWarning, match="left leg: the accelerometer reads 1e\\+03 g at rest .* data in mg "
                                         "labelled g: multiplied by 0.001"):
        out = plm.read(p)
    assert np.allclose(out.data, rec.data[rec.picks("left")], atol=1e-6)


def test_gravity_free_signal_is_not_judged(accel_night):
    rec, _ = accel_night
    moving = rec.data - np.nanmean(rec.data, axis=1, keepdims=True)  # gravity removed (high-passed export)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plm.score(rec.replace(data=moving), "pamrl")
    assert not [w for w in caught if "gravity" in str(w.message)]


def test_single_axis_beyond_one_g_is_refused(accel_night):
    rec, _ = accel_night
    z = [i for i, c in enumerate(rec.channels) if c.axis == "z"]
    one = Recording(rec.data[z] * 1000.0, rec.sfreq, tuple(rec.channels[i] for i in z), rec.start_time)
    # the z axis at rest, in the "g" the file claims (1000 x its value in g): what the message reports
    at_rest = round(1000.0 * float(np.median(np.abs(rec.data[z[0]]))))
    with pytest.raises(InputError, match=f"^left leg: the accelerometer reads {at_rest} g at rest .*: the unit "
                                         "is wrong \\(fix the file's unit label\\)$"):
        plm.score(one, "pamrl")


# ------------------------------------------------------------------ sampling rate
def resampled(rec: Recording, hz: int) -> Recording:
    from scipy.signal import resample_poly

    f = Fraction(hz, int(rec.sfreq))
    return rec.replace(data=resample_poly(rec.data, f.numerator, f.denominator, axis=1), sfreq=float(hz))


@pytest.mark.parametrize("hz", [32, 64])
def test_emg_below_100_hz_is_refused(capsys, tmp_path, emg_night, hz):
    from plm.io.edf import write_edf

    rec, _, _ = emg_night
    p = write_edf(tmp_path / f"emg_{hz}.edf", resampled(rec, hz))
    out = tmp_path / "out"
    err = refused(capsys, "score", p, "--out", out)
    assert err == (f"plm: error: {p}: channel 'Leg L': EMG sampling rate {hz} Hz is too low to detect leg movements "
                   "(at least 100 Hz; the WASM standard asks for 200 Hz or more)")
    assert not out.exists()


def test_emg_between_100_and_200_hz_is_scored_with_a_warning(capsys, tmp_path, emg_night):
    from plm.io.edf import write_edf

    rec, ref, truth = emg_night
    p = write_edf(tmp_path / "emg_150.edf", resampled(rec, 150))
    code, (s,), warns, _ = run(capsys, "score", p, "--json")
    note = ("EMG sampled at 150 Hz, below the 200 Hz the WASM standard asks for: the 10-100 Hz EMG band is cut at "
            "75 Hz and small movements may be missed")
    assert code == 0 and warns == [f"plm: warning: {p}: {note}"]
    assert s["notes"] == [note]
    assert (s["n_plm"], s["plm_index"]) == (truth.expected["n_plm"], 38.0)


def test_hdf5_with_sfreq_2_is_refused_not_split_into_nights(capsys, tmp_path, emg_night):
    import h5py

    rec, _, _ = emg_night
    p = write_recording(tmp_path / "slow.h5", rec)
    with h5py.File(p, "a") as f:
        f["recording"].attrs["sfreq"] = 2.0
    err = refused(capsys, "score", p, "--json")
    assert err == (f"plm: error: {p}: EMG sampling rate 2 Hz is too low to detect leg movements (at least 100 Hz; "
                   "the WASM standard asks for 200 Hz or more)")


@pytest.mark.parametrize("modality, hz, fragment", [
    ("emg", 50.0, "EMG sampling rate 50 Hz is too low"),
    ("accel", 5.0, "accelerometer sampling rate 5 Hz is too low to detect leg movements (at least 10 Hz)"),
    ("emg", 1e9, "EMG sampling rate 1e+09 Hz is implausibly high (above 20000 Hz)"),
])
def test_recording_rate_bounds(modality, hz, fragment):
    chans = (Channel("a", "uV" if modality == "emg" else "g", modality, side="left", axis=None if modality == "emg"
                     else "x"),)
    rec = Recording(np.ones((1, 4000)), hz, chans, START, source="r")
    with pytest.raises(InputError, match=fragment.replace("(", "\\(").replace(")", "\\)").replace("+", "\\+")):
        plm.score(rec)


def test_recording_longer_than_60_days_is_refused():
    chans = (Channel("a", "g", "accel", side="left", axis="x"),)
    rec = Recording(np.ones((1, 10_000)), 10.0, chans, START, source="r").replace(sfreq=10.0 / 1000)
    with pytest.raises(InputError, match="sampling rate 0.01 Hz is too low"):
        plm.score(rec)
    from plm.plausibility import check_size

    with pytest.raises(InputError, match="make 61 days; a recording lasts at most 60 days"):
        check_size("r", 3, int(61 * 86400 * 40), 40.0)


# ------------------------------------------------------------------ EDF scaling fields
def _edf_field(path: Path, field: str, value: str) -> None:
    """Set one per-signal header field of every signal (physical/digital minimum/maximum)."""
    offsets = {"pmin": 104, "pmax": 112, "dmin": 120, "dmax": 128}  # in units of n_signals, after 256 bytes
    raw = bytearray(path.read_bytes())
    ns = int(raw[252:256])
    base = 256 + offsets[field] * ns
    for i in range(ns):
        raw[base + 8 * i: base + 8 * i + 8] = value.ljust(8).encode()
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize("fields, value, problem", [
    (("dmin", "dmax"), "32767", "digital minimum and maximum are both 32767; the header cannot scale the samples "
                                "to physical units (a damaged header)"),
    (("pmin", "pmax"), "3200", "physical minimum and maximum are both 3200; every sample would read the same value "
                               "(a damaged header)"),
])
def test_edf_equal_scaling_limits_are_refused(capsys, tmp_path, emg_night, fields, value, problem):
    from plm.io.edf import write_edf

    p = write_edf(tmp_path / "night.edf", emg_night[0])
    for f in fields:
        _edf_field(p, f, value)
    before = sha(p)
    assert refused(capsys, "score", p) == f"plm: error: {p}: channel 'Leg L': {problem}"
    assert sha(p) == before


# ------------------------------------------------------------------ one signal per leg
def test_hdf5_two_channels_marked_left_is_refused(capsys, tmp_path, emg_night):
    import h5py

    p = write_recording(tmp_path / "dup.h5", emg_night[0])
    with h5py.File(p, "a") as f:
        del f["recording/channels/side"]
        f["recording/channels"].create_dataset("side", data=np.array([b"left", b"left"]))
    assert refused(capsys, "score", p) == (
        f"plm: error: {p}: channels 'Leg L' and 'Leg R' are both marked as the left leg's EMG; plm scores one signal "
        "per leg (one channel per accelerometer axis): drop one or correct its side")


def test_recording_with_two_left_x_axes_is_refused(accel_night):
    rec, _ = accel_night
    chans = list(rec.channels)
    chans[1] = dataclasses.replace(chans[1], axis="x")  # left_y now says x
    with pytest.raises(InputError, match="channels 'left_x' and 'left_y' are both marked as the left leg's "
                                         "accelerometer x axis"):
        plm.score(rec.replace(channels=tuple(chans)))


# ------------------------------------------------------------------ non-finite and absurd samples
def test_absurd_sample_in_csv_is_a_reported_gap(capsys, tmp_path, accel_night):
    rec, ref = accel_night
    files = ankle_files(tmp_path, rec, values_unit="g", label="g")
    lines = files[0].read_text().splitlines()
    i = lines.index("x,y,z") + 1 + 20_000
    lines[i] = "1e30,0,1"
    files[0].write_text("\n".join(lines) + "\n")
    code, (s,), warns, _ = run(capsys, "score", *files, "--criteria", "pamrl", "--json")
    note = ("1 sample(s) beyond +-100 g, not a leg signal ('left_x' 1) are treated as missing samples (gaps) and "
            "excluded from analysis time")
    assert code == 0 and f"plm: warning: {files[0]}: {note}" in warns
    assert note in s["notes"]
    assert (s["n_lm"], s["n_plm"]) == (ref.n_lm, ref.n_plm)
    # the JSON holds hours to 7 decimals (0.36 ms) and indices to 0.01 (docs/formats_export.md)
    assert s["excluded_hours"] == round(1 / 40 / 3600, 7)
    assert s["plm_index"] == round(ref.n_plm / (0.5 - 1 / 40 / 3600), 2)


def test_inf_in_hdf5_is_a_reported_gap_without_numpy_warnings(tmp_path, emg_night):
    rec, ref, _ = emg_night
    data = rec.data.copy()
    data[0, 1000] = np.inf
    data[1, 5000:5003] = -np.inf
    p = write_recording(tmp_path / "inf.h5", rec.replace(data=data))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = plm.score(p)
    messages = [str(w.message) for w in caught]
    assert not [w for w in caught if not issubclass(w.category, UserWarning) or "encountered" in str(w.message)]
    assert (f"{p}: 4 sample(s) infinite ('Leg L' 1, 'Leg R' 3) are treated as missing samples (gaps) and excluded "
            "from analysis time") in messages
    assert (res.n_lm, res.n_plm) == (ref.n_lm, ref.n_plm)


def test_user_recording_with_inf_is_not_changed(emg_night):
    rec, ref, _ = emg_night
    data = rec.data.copy()
    data[0, 1000] = np.inf
    with pytest.warns(UserWarning, match="1 sample\\(s\\) infinite"):
        res = plm.score(rec.replace(data=data))
    assert np.isinf(data[0, 1000])
    assert res.n_plm == ref.n_plm


def test_mostly_absurd_samples_mean_a_wrong_unit(accel_night):
    rec, _ = accel_night
    data = rec.data.copy()
    data[0, ::10] = 500.0  # 10 % of one axis: raw counts, not glitches
    with pytest.raises(InputError, match="left leg: 3.33% of the samples lie beyond \\+-100 g: the data are not in g"):
        plm.score(rec.replace(data=data))


# ------------------------------------------------------------------ dates
def test_start_year_9999_is_refused(capsys, tmp_path, accel_night):
    rec, _ = accel_night
    p, _ = ankle_files(tmp_path, rec, values_unit="g", label="g")
    p.write_text(p.read_text().replace("# start: 2026-03-01T22:30:00+01:00", "# start: 9999-12-31T22:30:00+01:00"))
    assert refused(capsys, "score", p) == (f"plm: error: {p}: start time 9999-12-31T22:30:00+01:00 is not a "
                                           "plausible recording date; expected a year from 1900 to 2100")


def test_event_file_start_year_9999_is_refused(capsys, tmp_path):
    p = tmp_path / "lms.tsv"
    p.write_text("# start_time: 9999-03-01T22:30:00+01:00\n# duration_s: 3600\nonset\tduration\ttype\n"
                 "100\t1.5\tlm_left\n")
    assert refused(capsys, "score", p) == (f"plm: error: {p}: start time 9999-03-01T22:30:00+01:00 is not a "
                                           "plausible recording date; expected a year from 1900 to 2100")


# ------------------------------------------------------------------ one leg
ONE_LEG = ("only the {} leg was recorded: the PLM index counts one leg's movements and is not comparable with "
           "two-leg nights")


def test_one_ankle_night_says_so(capsys, tmp_path, accel_night):
    rec, _ = accel_night
    left, right = ankle_files(tmp_path, rec, values_unit="g", label="g")
    code, (one,), warns, _ = run(capsys, "score", left, "--json")
    assert code == 0 and warns == [f"plm: warning: {left}: {ONE_LEG.format('left')}"]
    assert one["n_legs"] == 1 and one["notes"] == [ONE_LEG.format("left")]
    code, (both,), warns, _ = run(capsys, "score", left, right, "--json")
    assert code == 0 and both["n_legs"] == 2 and warns == [] and "notes" not in both


def test_one_edf_channel_says_so(capsys, tmp_path, emg_night):
    from plm.io.edf import write_edf

    p = write_edf(tmp_path / "night.edf", emg_night[0])
    code, (s,), warns, _ = run(capsys, "score", p, "--channels", "Leg L,", "--json")
    assert code == 0 and warns == [f"plm: warning: {p}: {ONE_LEG.format('left')}"]
    assert (s["n_legs"], s["n_lm_right"]) == (1, 0)


# ------------------------------------------------------------------ scored events
def events_file(tmp_path: Path, truth, *, header: str = "", scale: float = 1.0, extra: str = "") -> Path:
    p = tmp_path / "lms.tsv"
    rows = "".join(f"{o:.3f}\t{d * scale:.3f}\tlm_{s}\n" for o, d, s in zip(truth.onset, truth.duration, truth.side))
    p.write_text(header + "onset\tduration\ttype\n" + rows + extra)
    return p


def test_event_durations_in_milliseconds_are_refused(capsys, tmp_path, emg_night):
    truth = emg_night[2]
    p = events_file(tmp_path, truth, header="# duration_s: 1800\n", scale=1000.0)
    median = float(np.median(np.round(truth.duration * 1000.0, 3)))
    assert refused(capsys, "score", p) == (
        f"plm: error: {p}: leg movements last {median:g} s (median of {len(truth.onset)}); they last 0.5-10 s: are "
        "the durations in milliseconds? Give them in seconds")


def test_absurd_event_duration_is_refused(capsys, tmp_path, emg_night):
    p = events_file(tmp_path, emg_night[2], extra="100\t1e9\tlm_left\n")
    n = len(emg_night[2].onset)
    assert refused(capsys, "score", p) == (
        f"plm: error: {p}: row {n + 2}: leg movement at 100.00 s lasts 1e+09 s; a leg movement lasts seconds "
        "(at most 600 s accepted)")


def test_event_past_the_end_is_refused(capsys, tmp_path, emg_night):
    p = events_file(tmp_path, emg_night[2], header="# duration_s: 1800\n", extra="1790\t60\tlm_left\n")
    n = len(emg_night[2].onset)
    assert refused(capsys, "score", p) == (
        f"plm: error: {p}: row {n + 3}: leg movement at 1790.00 s runs to 1850.00 s, past the end of the recording "
        "(1800.00 s)")


def test_event_file_without_length_names_the_assumed_span(capsys, tmp_path, emg_night):
    truth = emg_night[2]
    p = events_file(tmp_path, truth)
    end = float(np.max(np.round(truth.onset, 3) + np.round(truth.duration, 3)))
    code, (s,), warns, _ = run(capsys, "score", p, "--json")
    note = (f"the file gives no recording length: the recording is taken to end with the last event, {end:.1f} s "
            f"({end / 3600:.2f} h) after its start, and the PLM index is per hour of that span")
    assert code == 0 and warns == [f"plm: warning: {p}: {note}"] and s["notes"] == [note]
    assert (s["duration_source"], s["denominator"]) == ("last_event", "recording")
    assert s["hours_denominator"] == round(end / 3600, 7)  # written to 0.36 ms and 0.01 /h
    assert s["plm_index"] == round(truth.expected["n_plm"] / (end / 3600), 2)

    stated = events_file(tmp_path, truth, header="# duration_s: 1800\n")
    code, (s,), warns, _ = run(capsys, "score", stated, "--json")
    assert code == 0 and warns == [] and s["duration_source"] == "file" and s["plm_index"] == 38.0


def test_recording_summary_says_length_is_the_signals(emg_night):
    s = plm.score(emg_night[0]).summary()
    assert (s["duration_source"], s["n_legs"], s["duration_s"]) == ("signal", 2, 1800.0)
