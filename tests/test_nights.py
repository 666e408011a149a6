"""Splitting multi-night recordings: dates, DST, lights tables, rest periods."""
import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plm.errors import InputError
from plm.nights import epoch_activity, read_lights_table, rest_periods, split_nights
from plm.model import Channel, Recording

CET = dt.timezone(dt.timedelta(hours=1))
CEST = dt.timezone(dt.timedelta(hours=2))
CHANNELS = (Channel("left_vm", "g", "accel", side="left"), Channel("right_vm", "g", "accel", side="right"))


def flat_recording(start, hours, sfreq=1.0, timezone="Europe/Berlin"):
    n = int(round(hours * 3600 * sfreq))
    return Recording(data=np.zeros((2, n), dtype=np.float32), sfreq=sfreq, channels=CHANNELS,
                     start_time=start, timezone=timezone, source="week.csv")


def week_recording(start=dt.datetime(2026, 3, 1, 20, 0, tzinfo=CET), hours=158.0, sfreq=4.0, seed=1):
    """Seven nights of ankle activity at 4 Hz (no DST change: 1-8 March).

    Day (outside 22:30-06:30 local): sustained activity, sample noise 0.2 g.
    Night (22:30-06:30): sensor noise 0.01 g plus a 2 s, 0.5 g leg movement
    every 30 s from 00:00 to 02:00 (a PLM series) on both legs.
    """
    n = int(round(hours * 3600 * sfreq))
    t = np.arange(n) / sfreq
    local_h = ((start.hour + start.minute / 60) + t / 3600.0) % 24.0
    night = (local_h >= 22.5) | (local_h < 6.5)
    rng = np.random.default_rng(seed)
    sd = np.where(night, 0.01, 0.2)
    data = rng.normal(0, 1, size=(2, n)) * sd
    burst = (local_h < 2.0) & ((t % 30.0) < 2.0)
    data[:, burst] += 0.5
    return Recording(data=data, sfreq=sfreq, channels=CHANNELS, start_time=start, timezone="Europe/Berlin",
                     source="week.csv")


# ------------------------------------------------------------------ noon to noon
def test_seven_nights_noon_to_noon_dates_and_starts():
    rec = week_recording()
    nights = split_nights(rec)
    # Starts Sun 1 March 20:00, lasts 158 h -> ends Sun 8 March 10:00: the
    # nights of 1..7 March; the first window runs from the first sample to
    # noon on 2 March (16 h), the others noon to noon (24 h), the last ends
    # at the last sample (22 h).
    assert [n.meta["night"] for n in nights] == [f"2026-03-0{d}" for d in range(1, 8)]
    assert [n.meta["night_index"] for n in nights] == list(range(7))
    assert all(n.meta["n_nights"] == 7 for n in nights)
    assert nights[0].start_time.isoformat() == "2026-03-01T20:00:00+01:00"
    for k in range(1, 7):
        assert nights[k].start_time.isoformat() == f"2026-03-0{k + 1}T12:00:00+01:00"
    assert [n.duration / 3600 for n in nights] == [16.0] + [24.0] * 5 + [22.0]
    assert sum(n.n_samples for n in nights) == rec.n_samples
    # Views, not copies.
    assert all(np.shares_memory(n.data, rec.data) for n in nights)
    assert all(n.meta["notes"] == [] for n in nights)


def test_partial_first_and_last_days_are_dropped_with_a_note():
    # 11:00 on 1 March to 13:30 on 8 March: 1 h before the first noon and
    # 1.5 h after the last noon are partial windows with < 2 h of data.
    rec = flat_recording(dt.datetime(2026, 3, 1, 11, 0, tzinfo=CET), 7 * 24 + 2.5)
    nights = split_nights(rec)
    assert [n.meta["night"] for n in nights] == [f"2026-03-0{d}" for d in range(1, 8)]
    assert nights[0].start_time.isoformat() == "2026-03-01T12:00:00+01:00"
    assert all(n.duration == 24 * 3600 for n in nights)
    assert len(nights[0].meta["notes"]) == 1 and "dropped 1.00 h" in nights[0].meta["notes"][0]
    assert "2026-03-01T11:00:00+01:00" in nights[0].meta["notes"][0]
    assert len(nights[-1].meta["notes"]) == 1 and "dropped 1.50 h" in nights[-1].meta["notes"][-1]


def test_partial_day_counts_data_not_gaps():
    # First window is 3 h long but 2 h of it are NaN: 1 h of data -> dropped.
    rec = flat_recording(dt.datetime(2026, 3, 1, 9, 0, tzinfo=CET), 3 + 24, sfreq=1.0)
    rec.data[:, : 2 * 3600] = np.nan
    nights = split_nights(rec)
    assert [n.meta["night"] for n in nights] == ["2026-03-01"]
    assert "dropped 1.00 h" in nights[0].meta["notes"][0]


def test_single_short_night_is_kept_whole():
    rec = flat_recording(dt.datetime(2026, 3, 1, 23, 0, tzinfo=CET), 1.5)
    (night,) = split_nights(rec)
    assert night.n_samples == rec.n_samples and night.meta["night"] == "2026-03-01"
    assert night.meta["n_nights"] == 1


# ------------------------------------------------------------------ DST
def test_spring_forward_night_is_23_hours_with_right_offsets():
    # Europe/Berlin: clocks go 02:00 CET -> 03:00 CEST on Sunday 29 March 2026.
    rec = flat_recording(dt.datetime(2026, 3, 27, 20, 0, tzinfo=CET), 110.0)  # to 1 April 11:00 CEST
    nights = split_nights(rec)
    starts = [n.start_time.isoformat() for n in nights]
    assert starts == ["2026-03-27T20:00:00+01:00", "2026-03-28T12:00:00+01:00", "2026-03-29T12:00:00+02:00",
                      "2026-03-30T12:00:00+02:00", "2026-03-31T12:00:00+02:00"]
    assert [n.meta["night"] for n in nights] == ["2026-03-27", "2026-03-28", "2026-03-29", "2026-03-30",
                                                 "2026-03-31"]
    # noon 28 March (CET) to noon 29 March (CEST) is 23 h of real time
    assert nights[1].duration == 23 * 3600
    assert nights[2].duration == 24 * 3600
    # Start times are fixed offsets: adding seconds stays exact.
    assert nights[1].start_time + dt.timedelta(hours=23) == nights[2].start_time
    assert nights[2].meta["night_window"] == ["2026-03-29T12:00:00+02:00", "2026-03-30T12:00:00+02:00"]


def test_fall_back_night_is_25_hours_with_right_offsets():
    # Clocks go 03:00 CEST -> 02:00 CET on Sunday 25 October 2026.
    rec = flat_recording(dt.datetime(2026, 10, 23, 21, 0, tzinfo=CEST), 88.0)  # to 27 Oct 12:00 CET
    nights = split_nights(rec)
    starts = [n.start_time.isoformat() for n in nights]
    assert starts == ["2026-10-23T21:00:00+02:00", "2026-10-24T12:00:00+02:00", "2026-10-25T12:00:00+01:00",
                      "2026-10-26T12:00:00+01:00"]
    assert nights[1].duration == 25 * 3600
    assert [n.duration / 3600 for n in nights] == [15.0, 25.0, 24.0, 24.0]


def test_without_iana_zone_the_fixed_offset_is_used():
    # Same spring recording but only the start offset is known: windows stay
    # 24 h at 12:00+01:00 (documented: give the time zone to follow DST).
    rec = flat_recording(dt.datetime(2026, 3, 27, 20, 0, tzinfo=CET), 110.0, timezone=None)
    nights = split_nights(rec)
    assert [n.start_time.isoformat() for n in nights][1:3] == ["2026-03-28T12:00:00+01:00",
                                                               "2026-03-29T12:00:00+01:00"]
    assert nights[1].duration == 24 * 3600


def test_unknown_time_zone_is_an_input_error():
    rec = flat_recording(dt.datetime(2026, 3, 27, 20, 0, tzinfo=CET), 10.0, timezone="Mars/Olympus")
    with pytest.raises(InputError, match="unknown time zone"):
        split_nights(rec)


# ------------------------------------------------------------------ lights table
def test_lights_table_sets_lights_and_handles_dst(tmp_path):
    rec = flat_recording(dt.datetime(2026, 3, 27, 20, 0, tzinfo=CET), 110.0)
    table = tmp_path / "lights.csv"
    table.write_text(
        "# lights diary\n"
        "night,lights_off,lights_on\n"
        "2026-03-27,2026-03-27T22:30:00,2026-03-28T06:30:00\n"
        "2026-03-28,2026-03-28T23:00:00,2026-03-29T07:00:00\n"  # naive: 07:00 is CEST
        "2026-03-29,2026-03-29T22:00:00+02:00,2026-03-30T06:00:00+02:00\n"
    )
    nights = split_nights(rec, table=table)
    assert [n.meta["night"] for n in nights] == ["2026-03-27", "2026-03-28", "2026-03-29"]
    # Night 0 starts at the first sample: lights off 2.5 h later.
    assert nights[0].lights_off == 2.5 * 3600 and nights[0].lights_on == 10.5 * 3600
    # Night 1 window starts midway between 06:30 CET on 28th and 23:00 CET:
    # 14:45 CET -> lights off 8.25 h later; 23:00 CET to 07:00 CEST is 7 h.
    assert nights[1].start_time.isoformat() == "2026-03-28T14:45:00+01:00"
    assert nights[1].lights_off == 8.25 * 3600
    assert nights[1].lights_on - nights[1].lights_off == 7 * 3600
    # Night 2: midway between 07:00 CEST and 22:00 CEST = 14:30 CEST.
    assert nights[2].start_time.isoformat() == "2026-03-29T14:30:00+02:00"
    assert nights[2].lights_off == 7.5 * 3600
    assert nights[2].start_time + dt.timedelta(seconds=nights[2].n_samples) == rec.start_time + dt.timedelta(
        seconds=rec.duration)


def test_lights_table_errors_name_the_file(tmp_path):
    rec = flat_recording(dt.datetime(2026, 3, 1, 20, 0, tzinfo=CET), 20.0)
    bad = tmp_path / "bad.csv"
    bad.write_text("night,lights_off\n2026-03-01,2026-03-01T22:00:00+01:00\n")
    with pytest.raises(InputError, match="lacks column") as ei:
        split_nights(rec, table=bad)
    assert str(bad) in str(ei.value)
    bad.write_text("lights_off,lights_on\n2026-03-01T22:00:00+01:00,2026-03-01T21:00:00+01:00\n")
    with pytest.raises(InputError, match="not after"):
        split_nights(rec, table=bad)
    bad.write_text("lights_off,lights_on\n2026-03-05T22:00:00+01:00,2026-03-06T06:00:00+01:00\n")
    with pytest.raises(InputError, match="outside the recording"):
        split_nights(rec, table=bad)
    bad.write_text("lights_off,lights_on\nyesterday,2026-03-02T06:00:00+01:00\n")
    with pytest.raises(InputError, match="row 2: lights_off 'yesterday' is not an ISO 8601"):
        split_nights(rec, table=bad)
    # 02:30 on 29 March does not exist in Berlin
    with pytest.raises(InputError, match="does not exist"):
        read_lights_table([{"lights_off": "2026-03-29T02:30:00", "lights_on": "2026-03-29T08:00:00"}],
                          zone=ZoneInfo("Europe/Berlin"))


# ------------------------------------------------------------------ rest periods
def test_rest_periods_find_the_seven_nights():
    rec = week_recording()
    periods = rest_periods(rec)
    # Quiet 22:30-06:30 each night; the first starts 2.5 h after the start.
    assert len(periods) == 7
    expected_off = 2.5 * 3600 + np.arange(7) * 86400
    np.testing.assert_allclose(periods[:, 0], expected_off, atol=120)
    np.testing.assert_allclose(periods[:, 1] - periods[:, 0], 8 * 3600, atol=240)
    nights = split_nights(rec, method="rest")
    assert [n.meta["night"] for n in nights] == [f"2026-03-0{d}" for d in range(1, 8)]
    for k, n in enumerate(nights):
        off_clock = n.start_time + dt.timedelta(seconds=n.lights_off)
        assert abs((off_clock - dt.datetime(2026, 3, 1 + k, 22, 30, tzinfo=CET)).total_seconds()) <= 120
    assert sum(n.n_samples for n in nights) == rec.n_samples


def test_epoch_activity_ignores_brief_movements_and_gaps():
    rec = week_recording(hours=30.0)
    act = epoch_activity(rec)
    # minute 0 is 20:00 (day), minute 4*60+30 = 00:30 (night, PLM bursts)
    assert act[0] > 10 * act[4 * 60 + 30]
    rec.data[:, :240] = np.nan  # first minute missing on both legs
    assert np.isnan(epoch_activity(rec)[0])


def test_rest_without_quiet_period_is_an_input_error():
    rng = np.random.default_rng(0)
    rec = Recording(data=rng.normal(0, 0.2, (2, 4 * 3600 * 5)), sfreq=4.0, channels=CHANNELS,
                    start_time=dt.datetime(2026, 3, 1, 8, 0, tzinfo=CET), source="busy.csv")
    with pytest.raises(InputError, match="no rest period"):
        split_nights(rec, method="rest")
    with pytest.raises(InputError, match="unknown night-splitting method"):
        split_nights(rec, method="sunset")


def test_each_night_keeps_only_its_own_staging():
    from plm.model import Hypnogram

    # 2 nights (20:00 on 1 March to 10:00 on 3 March = 38 h), hypnogram of
    # 30 s epochs over all of it: epoch i is "N2" on the first night and "R"
    # on the second. Night 0 = first 16 h = 1920 epochs, night 1 = 22 h.
    rec = flat_recording(dt.datetime(2026, 3, 1, 20, 0, tzinfo=CET), 38.0)
    stages = np.array(["N2"] * 1920 + ["R"] * (38 * 120 - 1920))
    nights = split_nights(rec.replace(hypnogram=Hypnogram(stages)))
    assert [len(n.hypnogram) for n in nights] == [1920, 22 * 120]
    assert set(nights[0].hypnogram.stages) == {"N2"} and set(nights[1].hypnogram.stages) == {"R"}
    assert nights[1].hypnogram.onset == 0.0
    assert nights[1].hypnogram.seconds_in(["R"]) == 22 * 3600


# ------------------------------------------------------------------ properties

ZONES = ["Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "Pacific/Chatham",
         "America/Sao_Paulo", "UTC"]


@settings(max_examples=60, deadline=None)
@given(zone=st.sampled_from(ZONES),
       start_min=st.integers(0, 366 * 24 * 60),
       hours=st.integers(1, 24 * 9))
def test_noon_split_partitions_and_starts_at_local_noon(zone, start_min, hours):
    tz = ZoneInfo(zone)
    utc = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(minutes=start_min)
    local = utc.astimezone(tz)
    start = local.replace(tzinfo=dt.timezone(local.utcoffset()))
    rec = flat_recording(start, hours, sfreq=1 / 60, timezone=zone)  # one sample a minute
    nights = split_nights(rec)
    assert nights
    # contiguous, in order, no overlap; dropped samples only at the ends
    first_i = round((nights[0].start_time - start).total_seconds() / 60)
    last_i = first_i
    for n in nights:
        assert round((n.start_time - start).total_seconds() / 60) == last_i
        last_i += n.n_samples
    dropped = first_i + (rec.n_samples - last_i)
    if len(nights) > 1 or dropped:
        assert all(len(n.meta["notes"]) <= 2 for n in nights)
    assert dropped == 0 or any("dropped" in note for n in nights for note in n.meta["notes"])
    for k, n in enumerate(nights):
        # offset in force at the night's first sample, as the zone says
        assert n.start_time.utcoffset() == n.start_time.astimezone(tz).utcoffset()
        wall = n.start_time.astimezone(tz)
        if k > 0 or first_i > 0:
            assert (wall.hour, wall.minute) == (12, 0)
        if 0 < k < len(nights) - 1:
            # a whole window: from one local noon to the next (23-25 h real time)
            nxt = nights[k + 1].start_time
            assert (nxt - n.start_time).total_seconds() == n.duration
            assert 23 * 3600 <= n.duration <= 25 * 3600
        assert n.meta["night"] == (wall.date() if wall.hour >= 12 else wall.date() - dt.timedelta(days=1)).isoformat()


def test_epoch_activity_in_chunks_equals_direct_computation():
    rec = week_recording(hours=13.0)  # 780 epochs: 4 h chunks of 240 epochs + a rest
    spe = 240  # 60 s at 4 Hz
    x = rec.data[:, : 780 * spe].reshape(2, 780, spe)
    direct = np.median(np.abs(np.diff(x, axis=2)), axis=2).sum(axis=0)
    np.testing.assert_array_equal(epoch_activity(rec), direct)
