"""``NightResult.events`` and ``.lms`` are pandas DataFrames with the documented columns and dtypes."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd

import plm
from plm.model import EVENT_COLUMNS, LM_COLUMNS, NightResult
from plm.criteria import get as get_criteria
from score_helpers import night, periodic


def _kind(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "bool"
    if pd.api.types.is_integer_dtype(series):
        return "int64"
    if pd.api.types.is_float_dtype(series):
        return "float64"
    return "str" if pd.api.types.is_string_dtype(series) or series.dtype == object else str(series.dtype)


def test_events_is_a_dataframe_one_row_per_lm():
    # 4 periodic left LMs (a series), 1 right LM 200 s later (not periodic), 1 too short
    r = plm.score(night(periodic([10, 30, 50, 70]) + [(270.0, 1.0, "right"), (400.0, 0.3, "left")]))
    ev = r.events
    assert isinstance(ev, pd.DataFrame) and isinstance(r.lms, pd.DataFrame)
    assert len(ev) == 6                                   # rows, not columns
    assert list(ev.columns) == list(EVENT_COLUMNS)
    plms = ev[ev["is_plm"]]
    assert list(plms["onset"]) == [10.0, 30.0, 50.0, 70.0] and set(plms["series"]) == {1}
    assert list(ev[ev["side"] == "right"]["onset"]) == [270.0]
    assert list(ev["reason"]) == ["", "", "", "", "", "too_short"]
    assert list(ev["lm_id"]) == [0, 1, 2, 3, 4, -1]
    assert list(ev.index) == list(range(6))
    for table, schema in ((ev, EVENT_COLUMNS), (r.lms, LM_COLUMNS)):
        assert {c: _kind(table[c]) for c in table.columns} == {c: col.dtype for c, col in schema.items()}
    assert ev.head(2)["onset"].tolist() == [10.0, 30.0]
    assert len(r.lms) == 5 and r.lms["imi"].isna().sum() == 1


def test_empty_night_has_every_column():
    r = plm.score(night([]))
    assert len(r.events) == 0 and list(r.events.columns) == list(EVENT_COLUMNS)
    assert len(r.events[r.events["is_plm"]]) == 0


def test_result_built_from_plain_columns_gets_the_dtypes():
    res = NightResult({}, {"onset": [1.0, 2.0], "duration": [1, 2], "side": ["left", "right"],
                           "is_plm": [1, 0], "series": [1, -1]}, None, get_criteria("wasm2016"))
    ev = res.events
    assert ev["duration"].dtype == np.float64 and ev["is_plm"].dtype == bool and ev["series"].dtype == np.int64
    assert list(ev[ev["is_plm"]]["side"]) == ["left"]
    assert list(res.lms.columns) == list(LM_COLUMNS) and len(res.lms) == 0


def test_import_plm_does_not_import_pandas():
    code = "import sys, plm; print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
