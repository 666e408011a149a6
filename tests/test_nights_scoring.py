"""Seven generated nights end to end: split, detect, score, one result per night.

A 158 h two-ankle recording (one axis per ankle, 10 Hz, float32) in
Europe/Berlin from Wed 25 March 2026 20:00 CET to Wed 1 April 11:00 CEST,
crossing the spring-forward change of Sun 29 March (02:00 CET -> 03:00 CEST).

Ground truth per night k = 0..6 (night dates 25..31 March):
- a PLM series of n_k = 10 + 5k left-leg movements (2 s, 0.5 g, 2 Hz) every
  25 s from 01:00 local time: IMIs 25 s, so all n_k are PLMs (series >= 4);
- one isolated right-leg movement at 04:00 local (an LM, not a PLM);
- night 4 (29 March) has a 2 h gap (NaN on both legs) from 15:00 local;
- night 5 (30 March) has 3 h of non-wear (both sensors flat: constant,
  no noise) from 14:00 local.
Noon-to-noon windows: night 0 from the first sample (16 h), night 3 (28->29
March) 23 h, night 6 to the last sample (31 March 12:00 to 1 April 11:00
CEST: 23 h), the others 24 h (16 + 24 + 24 + 23 + 24 + 24 + 23 = 158). Without
staging or lights the denominator is the recording time less excluded
time, so PLM index_k = n_k / (window_k - excluded_k).
"""
import datetime as dt
import json
import warnings
from zoneinfo import ZoneInfo

import numpy as np
import pytest

import plm
from plm.nights import split_nights
from plm.model import Channel, Recording

try:  # the detector lives on another branch until it is merged
    from plm.detect import pipeline as _pipeline  # noqa: F401
    HAVE_DETECTOR = True
except ImportError:
    HAVE_DETECTOR = False

needs_detector = pytest.mark.skipif(not HAVE_DETECTOR, reason="leg-movement detector not available yet")

BERLIN = ZoneInfo("Europe/Berlin")
START = dt.datetime(2026, 3, 25, 20, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
HOURS = 158.0
SFREQ = 10.0
N_PLM = [10 + 5 * k for k in range(7)]
WINDOW_H = [16.0, 24.0, 24.0, 23.0, 24.0, 24.0, 23.0]
GAP_NIGHT, GAP_H = 4, 2.0
EXCLUDED_H = [0.0, 0.0, 0.0, 0.0, GAP_H, 3.0, 0.0]


def _seconds(local: dt.datetime) -> float:
    return (local.replace(tzinfo=BERLIN) - START).total_seconds()


def make_week() -> Recording:
    n = int(HOURS * 3600 * SFREQ)
    rng = np.random.default_rng(7)
    data = (0.9 + 0.01 * rng.standard_normal((2, n))).astype(np.float32)
    burst = (0.5 * np.sin(2 * np.pi * 2.0 * np.arange(int(2 * SFREQ)) / SFREQ)).astype(np.float32)
    for k in range(7):
        day = dt.datetime(2026, 3, 26 + k) if k < 6 else dt.datetime(2026, 4, 1)
        first = _seconds(day.replace(hour=1))
        for j in range(N_PLM[k]):
            i0 = int(round((first + 25.0 * j) * SFREQ))
            data[0, i0:i0 + burst.size] += burst
        i0 = int(round(_seconds(day.replace(hour=4)) * SFREQ))
        data[1, i0:i0 + burst.size] += burst
    g0 = int(round(_seconds(dt.datetime(2026, 3, 29, 15)) * SFREQ))
    data[:, g0:g0 + int(GAP_H * 3600 * SFREQ)] = np.nan
    f0 = int(round(_seconds(dt.datetime(2026, 3, 30, 14)) * SFREQ))
    data[:, f0:f0 + int(3 * 3600 * SFREQ)] = np.float32(0.9)
    chans = (Channel("left_x", "g", "accel", side="left", axis="x"),
             Channel("right_x", "g", "accel", side="right", axis="x"))
    return Recording(data=data, sfreq=SFREQ, channels=chans, start_time=START, timezone="Europe/Berlin",
                     device="PAM-RL (synthetic)", source="week.h5")


@pytest.fixture(scope="module")
def week():
    return make_week()


@pytest.fixture(scope="module")
def week_h5(week, tmp_path_factory):
    from plm.io.hdf5 import write_recording

    path = tmp_path_factory.mktemp("week") / "week.h5"
    write_recording(path, week)
    return path


def test_week_splits_into_seven_dated_nights_across_dst(week):
    nights = split_nights(week)
    assert [n.meta["night"] for n in nights] == [f"2026-03-{d}" for d in range(25, 32)]
    assert [n.duration / 3600 for n in nights] == WINDOW_H
    offsets = [n.start_time.utcoffset() / dt.timedelta(hours=1) for n in nights]
    # nights 0-3 start in CET; from noon on 29 March on, CEST
    assert offsets == [1, 1, 1, 1, 2, 2, 2]


@needs_detector
def test_week_per_night_indices(week):
    results = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for night in split_nights(week):
            results.append(plm.score(night, "pamrl"))
    for k, res in enumerate(results):
        s = res.summary()
        excluded = EXCLUDED_H[k]
        assert s["night"] == f"2026-03-{25 + k}"
        assert s["n_lm_left"] == N_PLM[k] and s["n_lm_right"] == 1
        assert s["n_plm"] == N_PLM[k]
        assert s["excluded_hours"] == pytest.approx(excluded, abs=0.01)
        assert s["hours_denominator"] == pytest.approx(WINDOW_H[k] - excluded, abs=0.01)
        assert s["plm_index"] == pytest.approx(N_PLM[k] / (WINDOW_H[k] - excluded), rel=1e-3)


@needs_detector
def test_plm_score_prints_one_json_line_per_night_and_dated_files(week_h5, tmp_path, capsys):
    from plm.cli import main

    path = week_h5
    out = tmp_path / "out"
    rc = main(["score", str(path), "--criteria", "pamrl", "--json", "--out", str(out), "--export", "csv",
               "--export", "edf"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    lines = [json.loads(ln) for ln in captured.out.splitlines() if ln.strip()]
    assert [d["night"] for d in lines] == [f"2026-03-{d}" for d in range(25, 32)]
    assert [d["n_plm"] for d in lines] == N_PLM
    assert lines[4]["start_time"] == "2026-03-29T12:00:00+02:00"
    assert lines[3]["start_time"] == "2026-03-28T12:00:00+01:00"
    assert [d["excluded_hours"] for d in lines] == pytest.approx(EXCLUDED_H, abs=0.01)
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(f"week_2026-03-{d}_{kind}" for d in range(25, 32)
                           for kind in ("events.tsv", "events.json", "summary.json", "summary.csv", "scored.edf"))
    # the DST night's EDF+: local start, its offset, the night's PLMs
    import edfio
    import mne

    edf = out / "week_2026-03-29_scored.edf"
    header = edfio.read_edf(edf, lazy_load_data=True)
    assert (header.startdate, header.starttime) == (dt.date(2026, 3, 29), dt.time(12, 0))
    assert "utc_offset=+02:00" in header.local_recording_identification
    assert [s.physical_dimension for s in header.signals] == ["g", "g"]
    desc = list(mne.read_annotations(edf).description)
    assert desc.count("PLM left") == N_PLM[4] and desc.count("LM right") == 1
    assert desc.count("plm gap") == 1  # the 2 h gap


@needs_detector
def test_plm_score_with_lights_table(week_h5, tmp_path, capsys):
    # Lights off 23:00, on 07:00 local every night (naive times: Europe/Berlin,
    # so the night of 28 March has 7 h in bed, the others 8 h). All PLMs
    # (from 01:00) and the right LM (04:00) fall in bed time.
    from plm.cli import main

    rows = ["night,lights_off,lights_on"]
    for k in range(7):
        d0 = dt.date(2026, 3, 25) + dt.timedelta(days=k)
        rows.append(f"{d0},{d0}T23:00:00,{d0 + dt.timedelta(days=1)}T07:00:00")
    table = tmp_path / "lights.csv"
    table.write_text("\n".join(rows) + "\n")
    rc = main(["score", str(week_h5), "--criteria", "pamrl", "--json", "--lights", str(table)])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    lines = [json.loads(ln) for ln in captured.out.splitlines() if ln.strip()]
    assert [d["night"] for d in lines] == [f"2026-03-{d}" for d in range(25, 32)]
    in_bed = [8, 8, 8, 7, 8, 8, 8]
    assert [d["hours_denominator"] for d in lines] == pytest.approx(in_bed, abs=0.01)
    assert [d["n_plm"] for d in lines] == N_PLM
    # indices are written to 0.01
    assert [d["plm_index"] for d in lines] == [round(n / h, 2) for n, h in zip(N_PLM, in_bed)]


def test_human_summary_shows_start_offset_excluded_time_and_notes():
    from plm.cli.score import format_summary

    text = format_summary({
        "source": "week.h5", "night": "2026-03-29", "start_time": "2026-03-29T12:00:00+02:00",
        "criteria": {"name": "pamrl", "hash": "abc"}, "version": "0.1", "denominator": "recording",
        "hours_denominator": 22.0, "excluded_hours": 2.0, "n_lm": 3, "n_lm_left": 2, "n_lm_right": 1,
        "notes": ["dropped 1.00 h of data from ..."]})
    lines = text.splitlines()
    assert lines[0] == "week.h5  (night of 2026-03-29)"
    assert lines[1] == "  start                           2026-03-29T12:00:00+02:00"
    assert lines[2] == "  PLM index (recording)           -       all PLMs per hour of recording (22.00 h); no sleep staging, so no PLMS index"
    assert lines[7] == "  excluded time (gaps, non-wear)  2.00 h  left out of every denominator"
    assert lines[-1] == "  note                            dropped 1.00 h of data from ..."
