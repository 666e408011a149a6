"""combine_recordings: one night from several files."""
from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pytest

import plm
from plm.errors import InputError
from plm.model import Channel, Hypnogram, Recording
from plm.io.accel_csv import write_accel_csv
from plm.io.combine import combine_recordings

T0 = dt.datetime(2026, 3, 1, 22, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))


def accel(side, n, start=T0, sfreq=40.0, source="", value=0.0, **kw):
    ch = tuple(Channel(f"{side}_{a}", "g", "accel", side=side, axis=a) for a in "xyz")
    return Recording(np.full((3, n), value), sfreq, ch, start, source=source or f"{side}.csv", **kw)


def test_aligned_by_start_time_with_nan_padding():
    # right starts 1.5 s later (60 samples at 40 Hz) and is shorter
    left = accel("left", 400, value=1.0)
    right = accel("right", 200, start=T0 + dt.timedelta(seconds=1.5), value=2.0)
    rec = combine_recordings([right, left])  # order of the files does not matter for timing
    assert rec.start_time == T0
    assert rec.n_samples == 400
    assert rec.sides == ["left", "right"]
    r = rec.picks("right")
    l_ = rec.picks("left")
    assert np.isnan(rec.data[r, :60]).all() and (rec.data[r, 60:260] == 2.0).all() and np.isnan(rec.data[r, 260:]).all()
    assert (rec.data[l_] == 1.0).all()
    assert rec.meta["start_offsets_s"] == [1.5, 0.0]
    assert rec.meta["alignment_error_s"] == 0.0


def test_offsets_in_other_timezone_representation():
    # same instant written with a different UTC offset aligns exactly
    left = accel("left", 100)
    right = accel("right", 100, start=T0.astimezone(dt.timezone.utc))
    rec = combine_recordings([left, right])
    assert rec.n_samples == 100 and not np.isnan(rec.data).any()


def test_subsample_offset_rounded_and_reported():
    left = accel("left", 100)
    right = accel("right", 100, start=T0 + dt.timedelta(milliseconds=10))  # 0.4 sample at 40 Hz
    rec = combine_recordings([left, right])
    assert rec.meta["alignment_error_s"] == pytest.approx(0.010)
    assert rec.n_samples == 100


def test_different_rates_error():
    with pytest.raises(InputError, match=re.escape("right.csv") + ".*25 Hz differs from 40 Hz of left.csv"):
        combine_recordings([accel("left", 100), accel("right", 100, sfreq=25.0)])


def test_duplicate_sides_name_both_files():
    with pytest.raises(InputError, match="b.csv: records the left leg, as does a.csv"):
        combine_recordings([accel("left", 100, source="a.csv"), accel("left", 100, source="b.csv")])


def test_no_overlap_error():
    with pytest.raises(InputError, match="do not overlap"):
        combine_recordings([accel("left", 100), accel("right", 100, start=T0 + dt.timedelta(hours=30))])


def test_mixed_modalities_error():
    emg = Recording(np.zeros((1, 100)), 40.0, (Channel("Leg R", "uV", "emg", side="right"),), T0, source="r.edf")
    with pytest.raises(InputError, match="different leg-signal kinds"):
        combine_recordings([accel("left", 100), emg])


def test_hypnogram_reference_moves_to_new_start():
    left = accel("left", 400)
    # right starts 5 s later and carries staging starting at its own second 0
    right = accel("right", 400, start=T0 + dt.timedelta(seconds=5), hypnogram=Hypnogram(["W", "N2"]), lights_off=1.0)
    rec = combine_recordings([left, right])
    assert rec.hypnogram.onset == 5.0 and rec.lights_off == 6.0


def test_plm_read_list_of_files(tmp_path):
    x = np.zeros((3, 80))
    write_accel_csv(tmp_path / "l.csv", x, 40, T0, side="left")
    write_accel_csv(tmp_path / "r.csv", x + 1, 40, T0, side="right")
    rec = plm.read([tmp_path / "l.csv", tmp_path / "r.csv"])
    assert rec.sides == ["left", "right"] and rec.data.shape == (6, 80)
    assert str(tmp_path / "l.csv") in rec.source and str(tmp_path / "r.csv") in rec.source
    write_accel_csv(tmp_path / "l2.csv", x, 40, T0, side="left")
    with pytest.raises(InputError, match="l2.csv: records the left leg, as does .*l.csv"):
        plm.read([tmp_path / "l.csv", tmp_path / "l2.csv"])


def test_reader_option_that_does_not_apply_is_a_clear_error(tmp_path, capsys):
    p = write_accel_csv(tmp_path / "l.csv", np.zeros((3, 40)), 40, T0, side="left")
    with pytest.raises(InputError, match=re.escape(str(p)) + ": option.*channels do not apply to accel-csv files"):
        plm.read(p, channels="Leg L,Leg R")
    assert plm.read(p, channels=None).sides == ["left"]  # None = not given
    from plm.cli import main

    assert main(["score", str(p), "--channels", "A,B"]) == 1
    err = capsys.readouterr().err
    assert "do not apply to accel-csv files" in err and "internal error" not in err
