"""One workflow for the Python API and every command: the same nights, and the same reading options everywhere.

A 40 h two-ankle recording (10 Hz, one axis per ankle) in Europe/Berlin from
Sat 28 Feb 2026 20:00 CET to Mon 2 March 12:00: noon-to-noon windows of 16 h
(night of 28 Feb) and 24 h (night of 1 March). Each night has a series of
n = 6 (then 9) left-leg kicks 25 s apart from 01:00 local time (all PLMs)
and one isolated right-leg kick at 04:00; no staging or lights, so the
PLM index is n / window hours.
"""
from __future__ import annotations

import csv
import datetime as dt
import json
import warnings
from zoneinfo import ZoneInfo

import numpy as np
import pytest

import plm
from plm.cli import main
from plm.errors import InputError
from plm.io.hdf5 import write_recording
from plm.model import Channel, Recording

BERLIN = ZoneInfo("Europe/Berlin")
START = dt.datetime(2026, 2, 28, 20, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
SFREQ = 10.0
N_PLM = [6, 9]
WINDOW_H = [16.0, 24.0]
KICK = 0.5 * np.sin(2 * np.pi * 2.0 * np.arange(int(2 * SFREQ)) / SFREQ)  # 2 s at 2 Hz


def _at(local: dt.datetime) -> int:
    return int(round((local.replace(tzinfo=BERLIN) - START).total_seconds() * SFREQ))


@pytest.fixture(scope="module")
def two_nights():
    n = int(sum(WINDOW_H) * 3600 * SFREQ)
    data = 0.9 + 0.01 * np.random.default_rng(3).standard_normal((2, n))
    for k, day in enumerate((dt.datetime(2026, 3, 1), dt.datetime(2026, 3, 2))):
        for j in range(N_PLM[k]):
            i = _at(day.replace(hour=1)) + int(25 * SFREQ) * j
            data[0, i:i + KICK.size] += KICK
        i = _at(day.replace(hour=4))
        data[1, i:i + KICK.size] += KICK
    chans = (Channel("left_x", "g", "accel", side="left", axis="x"),
             Channel("right_x", "g", "accel", side="right", axis="x"))
    return Recording(data=data, sfreq=SFREQ, channels=chans, start_time=START, timezone="Europe/Berlin",
                     source="two_nights.h5")


@pytest.fixture(scope="module")
def two_nights_h5(two_nights, tmp_path_factory):
    path = tmp_path_factory.mktemp("two") / "two_nights.h5"
    write_recording(path, two_nights)
    return path


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def test_plm_score_refuses_two_nights_and_names_score_nights(two_nights):
    with pytest.raises(InputError, match=r"two_nights.h5: holds 2 nights \(2026-02-28, 2026-03-01\).*plm.score_nights"):
        _quiet(plm.score, two_nights, "pamrl")


def test_api_and_cli_give_the_same_nights(two_nights, two_nights_h5, capsys):
    from plm.cli.common import json_line

    by_object = _quiet(plm.score_nights, two_nights, "pamrl")
    by_path = _quiet(plm.score_nights, two_nights_h5, "pamrl")
    assert main(["score", str(two_nights_h5), "--criteria", "pamrl", "--json"]) == 0
    by_cli = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [json.loads(json_line(r.summary())) for r in by_path] == by_cli
    # the recording object gives the same nights and numbers (only its source text differs)
    for a, b in zip(by_object, by_cli):
        assert {**json.loads(json_line(a.summary())), "source": b["source"]} == b
    # ground truth: the noon-to-noon nights of the issue (16 h + 24 h), every kick of a series a PLM
    assert [s["night"] for s in by_cli] == ["2026-02-28", "2026-03-01"]
    assert [s["hours_denominator"] for s in by_cli] == pytest.approx(WINDOW_H)
    assert [(s["n_lm_left"], s["n_lm_right"], s["n_plm"]) for s in by_cli] == [(n, 1, n) for n in N_PLM]
    assert [r.plm_index for r in by_path] == pytest.approx([n / h for n, h in zip(N_PLM, WINDOW_H)])
    assert [s["plm_index"] for s in by_cli] == [round(r.plm_index, 2) for r in by_path]  # written to 0.01


def test_a_night_split_off_is_one_night_for_plm_score(two_nights):
    from plm.nights import split_nights

    nights = split_nights(two_nights)
    results = [_quiet(plm.score, n, "pamrl") for n in nights]
    assert [r.summary()["night"] for r in results] == ["2026-02-28", "2026-03-01"]
    assert [r.n_plm for r in results] == N_PLM


# ------------------------------------------------ reading options everywhere
def _ankle_csv(path, start: dt.datetime, n_kicks: int = 4) -> None:
    """An ActiLife raw CSV (local clock, no leg in the file name) with ``n_kicks`` kicks 25 s apart on x."""
    from test_io_raw_actigraph_csv import actilife_text

    rate = 30
    x = 0.01 * np.random.default_rng(5).standard_normal((3, 600 * rate))
    x[0] += 0.9
    kick = 0.5 * np.sin(2 * np.pi * 2.0 * np.arange(2 * rate) / rate)
    for j in range(n_kicks):
        i = (200 + 25 * j) * rate
        x[0, i:i + kick.size] += kick
    path.write_text(actilife_text(np.round(x, 3), rate=rate, start=start))


def _rows(csv_path):
    with open(csv_path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_batch_takes_tz_and_side(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    _ankle_csv(folder / "ankle.csv", dt.datetime(2026, 3, 1, 22, 30))
    common = ["batch", str(folder), "--criteria", "pamrl", "--jobs", "1", "--no-progress"]
    # ActiLife files do not say which leg: without --side the night fails
    assert main([*common, "--out", str(tmp_path / "o0")]) == 1
    assert "which leg" in _rows(tmp_path / "o0" / "failures.csv")[0]["error"]
    capsys.readouterr()
    assert main([*common, "--out", str(tmp_path / "o1"), "--side", "right", "--tz", "Europe/Berlin"]) == 0
    (row,) = _rows(tmp_path / "o1" / "nightly_indices.csv")
    assert row["start_time"] == "2026-03-01T22:30:00+01:00"
    assert (row["n_lm_left"], row["n_lm_right"], row["n_plm"]) == ("0", "4", "4")
    # the local clock read as UTC without --tz; the leg follows --side
    assert main([*common, "--out", str(tmp_path / "o2"), "--side", "left"]) == 0
    (row,) = _rows(tmp_path / "o2" / "nightly_indices.csv")
    assert row["start_time"] == "2026-03-01T22:30:00+00:00"
    assert (row["n_lm_left"], row["n_lm_right"]) == ("4", "0")


def test_batch_resume_keeps_the_reading_options_apart(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    _ankle_csv(folder / "ankle.csv", dt.datetime(2026, 3, 1, 22, 30))
    common = ["batch", str(folder), "--out", str(tmp_path / "o"), "--criteria", "pamrl", "--jobs", "1",
              "--no-progress", "--side", "left", "--resume"]
    assert main(common) == 0
    assert main(common) == 0 and "1 night from 1 recording, 1 resumed in" in capsys.readouterr().out
    # another time zone changes the start time: the night is scored again, not resumed
    assert main([*common, "--tz", "Europe/Berlin"]) == 0 and "resumed" not in capsys.readouterr().out
    (row,) = _rows(tmp_path / "o" / "nightly_indices.csv")
    assert row["start_time"].endswith("+01:00")


def test_study_and_report_take_the_reading_options(tmp_path, capsys):
    for visit in ("v1", "v2"):
        _ankle_csv(tmp_path / f"s1_{visit}.csv", dt.datetime(2026, 3, 1, 22, 30), n_kicks=4 if visit == "v1" else 0)
        _ankle_csv(tmp_path / f"s2_{visit}.csv", dt.datetime(2026, 3, 1, 22, 30), n_kicks=5 if visit == "v1" else 4)
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("subject,visit,night,path\n" + "".join(
        f"{s},{v},1,{s}_{v}.csv\n" for s in ("s1", "s2") for v in ("v1", "v2")))
    study = ["study", str(manifest), "--out", str(tmp_path / "st"), "--criteria", "pamrl", "--index", "plm_index"]
    assert main(study) == 1 and "which leg" in capsys.readouterr().err
    assert main([*study, "--side", "left", "--tz", "Europe/Berlin"]) == 0
    nights = _rows(tmp_path / "st" / "nights.csv")
    # 600 s recordings: 4 PLMs -> 24 /h, 5 -> 30 /h, none -> 0
    assert [float(r["plm_index"]) for r in nights] == pytest.approx([24.0, 0.0, 30.0, 24.0])
    report = ["report", str(tmp_path / "s1_v1.csv"), "--out", str(tmp_path / "rep"), "--criteria", "pamrl"]
    assert main(report) == 1 and "which leg" in capsys.readouterr().err
    assert main([*report, "--side", "left", "--tz", "Europe/Berlin"]) == 0
    html = (tmp_path / "rep" / "s1_v1_report.html").read_text(encoding="utf-8")
    assert '<td>LMs, left leg</td><td class="num">4</td><td>n_lm_left</td>' in html
    assert '<td>LMs, right leg</td><td class="num">0</td><td>n_lm_right</td>' in html


def test_plm_score_refuses_an_option_no_reader_takes_but_batch_applies_it_where_it_fits(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    _ankle_csv(folder / "ankle.csv", dt.datetime(2026, 3, 1, 22, 30))
    (folder / "lms.tsv").write_text("onset\tduration\ttype\n10\t1\tlm_left\n")
    assert main(["score", str(folder / "lms.tsv"), "--side", "left"]) == 1
    assert "option(s) side do not apply to events-tsv files" in capsys.readouterr().err
    assert main(["batch", str(folder), "--out", str(tmp_path / "o"), "--side", "left", "--jobs", "1",
                 "--no-progress"]) == 0
    assert [r["recording_id"] for r in _rows(tmp_path / "o" / "nightly_indices.csv")] == ["ankle", "lms"]
