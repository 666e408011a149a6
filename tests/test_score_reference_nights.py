"""Scoring a real night (shared reference data) and comparing with MATPLM's own CLM/PLM.

``night_2013-07-26/lm_events_matplm.txt`` holds one real night's left/right
LMs detected by MATPLM together with MATPLM's candidate-LM and periodic-LM
results. MATPLM keeps a monolateral LM > 10 s out of bilateral merging (our
``long_lm_merge=False``); with that option our CLMs must be exactly its CLMs,
and every MATPLM PLM must be one of ours. Skipped when the shared data is absent.
"""
import datetime as dt
import warnings
from pathlib import Path

import numpy as np
import pytest

import plm
from plm.model import LegMovements


def _shared() -> Path | None:
    for base in (Path(__file__).resolve().parents[2] / "shared", Path("/work/shared")):
        if (base / "data" / "reference_nights").is_dir():
            return base / "data" / "reference_nights"
    return None


def _read_matplm(path: Path):
    lines = path.read_text().splitlines()[1:]
    rows = [line.split("\t") for line in lines if line.strip()]
    t = [dt.datetime.fromisoformat(r[0]) for r in rows]
    t0 = min(t)
    onset = np.array([(x - t0).total_seconds() for x in t])
    kind = np.array([r[1] for r in rows])
    dur = np.array([float(r[2]) for r in rows])
    return onset, kind, dur


@pytest.fixture(scope="module")
def matplm_night():
    base = _shared()
    path = None if base is None else base / "night_2013-07-26" / "lm_events_matplm.txt"
    if path is None or not path.is_file():
        pytest.skip("shared reference nights not available")
    onset, kind, dur = _read_matplm(path)
    legs = np.isin(kind, ["left-LM", "right-LM"])
    lms = LegMovements(onset[legs], dur[legs], np.where(kind[legs] == "left-LM", "left", "right"),
                       duration_s=float(np.max(onset + dur)), source=str(path))
    return lms, onset, kind


def _onsets(x):
    return set(np.round(x, 2).tolist())


def test_clms_equal_matplm_and_plms_contain_matplm(matplm_night):
    lms, onset, kind = matplm_night
    r = plm.score(lms, criteria="wasm2016", long_lm_merge=False)
    ours_clm = _onsets(r.lms["onset"][r.lms["is_clm"]])
    ours_plm = _onsets(r.lms["onset"][r.lms["is_plm"]])
    their_clm = _onsets(onset[kind == "candidate-LM"])
    their_plm = _onsets(onset[kind == "periodic-LM"])
    assert len(their_clm) == 682 and len(their_plm) == 552  # the file's own counts
    assert ours_clm == their_clm
    assert their_plm <= ours_plm
    # MATPLM also drops the first CLM(s) after a long LM from series; that
    # accounts for the few PLMs we have in addition (3 on this night)
    assert len(ours_plm - their_plm) <= 5


def test_default_wasm2016_scores_the_night(matplm_night):
    lms, _, _ = matplm_night
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = plm.score(lms)
    assert r.n_lm_left == 389 and r.n_lm_right == 585  # no LM of the file is lost
    assert 0 < r.n_plm <= r.n_clm <= r.n_lm
    assert r.denominator == "recording"


def test_docs_table_is_what_the_bench_prints(capsys):
    # docs/reference_nights.md shows the bench's output; a scorer change that moves a figure must
    # update the page, or this fails (it once went stale: CLMr 0 shown where the bench prints "-")
    if _shared() is None:
        pytest.skip("shared reference nights not present")
    import sys

    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root / "bench"))
    try:
        import score_reference_nights
    finally:
        sys.path.pop(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert score_reference_nights.main(["--shared", str(_shared().parents[1])]) == 0
    printed = [line for line in capsys.readouterr().out.splitlines() if line.startswith("|")]
    page = (root / "docs" / "reference_nights.md").read_text(encoding="utf-8").splitlines()
    missing = [line for line in printed if line not in page]
    assert len(printed) > 12 and not missing, missing
