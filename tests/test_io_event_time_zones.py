"""Event files with local clock times take `tz=` exactly as raw readers do."""
import datetime as dt

import pytest

import plm
from plm.errors import InputError


def _lm_list(path, first="2026-03-29T01:30:00.000", second="2026-03-29T01:31:00.000"):
    path.write_text(f"Start\tType\tDuration\n{first}\tleft-LM\t1.0\n{second}\tright-LM\t2.0\n")
    return path


@pytest.mark.parametrize("tz, offset", [("+01:00", 60), ("UTC+01:00", 60), ("UTC", 0), ("Europe/Berlin", 60)])
def test_tz_forms_accepted_by_raw_readers_work_for_event_files(tmp_path, tz, offset):
    lms = plm.read_events(_lm_list(tmp_path / "lm.txt"), tz=tz)
    assert lms.start_time.utcoffset() == dt.timedelta(minutes=offset)
    assert lms.start_time.replace(tzinfo=None) == dt.datetime(2026, 3, 29, 1, 30)


@pytest.mark.parametrize("tz", ["+25:00", "Mars/Olympus"])
def test_impossible_tz_is_an_input_error_naming_the_file(tmp_path, tz):
    path = _lm_list(tmp_path / "lm.txt")
    with pytest.raises(InputError, match="lm.txt"):
        plm.read_events(path, tz=tz)


def test_clock_time_in_a_dst_gap_is_refused(tmp_path):
    # 02:30 on 2026-03-29 does not exist in Berlin (clocks jump 02:00 -> 03:00)
    path = _lm_list(tmp_path / "lm.txt", first="2026-03-29T02:30:00.000", second="2026-03-29T02:31:00.000")
    with pytest.raises(InputError, match="daylight-saving gap"):
        plm.read_events(path, tz="Europe/Berlin")
