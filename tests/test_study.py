"""Study outcomes: per-subject table and group statistics against independent computations."""
from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest
from scipy import stats

import plm
from cohort import HOURS, write_cohort
from plm import criteria
from plm.errors import InputError
from plm.workflows.study import classify_response, icc_oneway, paired_change, within_subject_sd


# ----------------------------------------------------- hand-worked cases
def test_icc_hand_worked():
    # Three subjects, two nights each: (1, 2), (3, 4), (5, 6).
    # Subject means 1.5, 3.5, 5.5; grand mean 3.5.
    # MSB = 2 * ((-2)^2 + 0 + 2^2) / (3 - 1) = 8; MSW = 6 * 0.25 / (6 - 3) = 0.5.
    # ICC(1,1) = (8 - 0.5) / (8 + (2 - 1) * 0.5) = 7.5 / 8.5.
    assert icc_oneway([1, 2, 3, 4, 5, 6], ["a", "a", "b", "b", "c", "c"]) == pytest.approx(7.5 / 8.5)
    # Within-subject SD: each subject's variance is 0.5 -> sqrt(0.5).
    assert within_subject_sd([1, 2, 3, 4, 5, 6], ["a", "a", "b", "b", "c", "c"]) == pytest.approx(math.sqrt(0.5))


def test_icc_unbalanced_and_single_nights_left_out():
    # "d" has one night and is left out; "a" has 3 nights (1, 2, 3), "b" 2 nights (7, 9).
    # N = 5, g = 2; means 2 and 8, grand = 22 / 5 = 4.4.
    # MSB = (3 * 2.4^2 + 2 * 3.6^2) / 1 = 17.28 + 25.92 = 43.2
    # MSW = ((1 + 0 + 1) + (1 + 1)) / (5 - 2) = 4 / 3
    # k0 = (5 - (9 + 4) / 5) / 1 = 2.4
    # ICC = (43.2 - 4/3) / (43.2 + 1.4 * 4/3)
    x = [1, 2, 3, 7, 9, 100]
    g = ["a", "a", "a", "b", "b", "d"]
    assert icc_oneway(x, g) == pytest.approx((43.2 - 4 / 3) / (43.2 + 1.4 * 4 / 3))
    assert within_subject_sd(x, g) == pytest.approx(math.sqrt(4 / 3))
    assert math.isnan(icc_oneway([1, 2], ["a", "a"]))  # one subject: undefined


def test_classify_response_boundaries():
    first = [30, 30, 30, 30, 0, 4, np.nan]
    last = [4.9, 15, 15.1, 5, 0, 6, 3]
    # 4.9 < 5 complete; 15 is exactly -50 % moderate; 15.1 is -49.7 % none;
    # 5 is not < 5 but -83 % -> moderate; 0 -> 0 is below 5 -> complete;
    # 4 -> 6 is a rise -> none; missing first -> "".
    assert list(classify_response(first, last)) == ["complete", "moderate", "none", "moderate", "complete",
                                                    "none", ""]
    assert list(classify_response([30], [8], {"complete_below": 10})) == ["complete"]


def test_paired_change_small_example():
    # d = [1, 0, 2, 5]: mean 2, SD sqrt(((1)+(4)+(0)+(9))/3) = sqrt(14/3).
    out = paired_change([1, 2, 3, 4], [2, 2, 5, 9])
    assert out["mean_change"] == 2.0
    assert out["sd_change"] == pytest.approx(math.sqrt(14 / 3))
    half = stats.t.ppf(0.975, 3) * math.sqrt(14 / 3) / 2
    assert out["ci95_change"] == pytest.approx([2 - half, 2 + half])
    # t = 2 / (sqrt(14/3) / 2) with 3 df
    assert out["p_ttest"] == pytest.approx(2 * stats.t.sf(2 / (math.sqrt(14 / 3) / 2), 3))
    # Wilcoxon drops the zero: ranks of 1, 2, 5 are all positive -> exact two-sided p = 2/8.
    assert out["p_wilcoxon"] == pytest.approx(0.25)


# ------------------------------------------------------------- cohort
def _expected(counts):
    """Per-subject and group values computed directly from the known counts."""
    idx = {v: c / HOURS for v, c in counts.items()}
    base, follow = idx["baseline"].mean(axis=1), idx["followup"].mean(axis=1)
    return idx, base, follow


def _two_decimals(text: str, want: float) -> None:
    """A file cell is ``want`` rounded to 0.01 (indices and changes are written so)."""
    assert len(text.partition(".")[2]) <= 2, text
    assert abs(float(text) - want) <= 0.005 + 1e-9, (text, want)


def _check_study(res, out, counts):
    idx, base, follow = _expected(counts)
    n = len(base)
    columns = ["subject", "baseline_index", "baseline_median", "baseline_nights",
               "followup_index", "followup_median", "followup_nights", "change", "pct_change", "response"]
    # The Python table, at full precision
    t = res.subjects
    assert list(t.columns) == columns and list(t["subject"]) == [f"P{i + 1:02d}" for i in range(n)]
    np.testing.assert_allclose(t["baseline_index"], base, rtol=0, atol=1e-12)
    np.testing.assert_allclose(t["followup_index"], follow, rtol=0, atol=1e-12)
    np.testing.assert_allclose(t["baseline_median"], np.median(idx["baseline"], axis=1), rtol=0, atol=1e-12)
    np.testing.assert_allclose(t["change"], follow - base, rtol=0, atol=1e-12)
    np.testing.assert_allclose(t["pct_change"], 100 * (follow - base) / base, rtol=1e-12)
    assert list(t["baseline_nights"]) == [3] * n and list(t["followup_nights"]) == [3] * n
    want = ["complete" if f < 5 else "moderate" if (b - f) / b >= 0.5 else "none" for b, f in zip(base, follow)]
    assert list(t["response"]) == want
    # The file: the same table, indices and changes rounded to 0.01
    rows = list(csv.DictReader(open(out / "subjects.csv", newline="")))
    assert list(rows[0]) == columns and [r["subject"] for r in rows] == list(t["subject"])
    for i, r in enumerate(rows):
        _two_decimals(r["baseline_index"], base[i])
        _two_decimals(r["followup_index"], follow[i])
        _two_decimals(r["baseline_median"], np.median(idx["baseline"][i]))
        _two_decimals(r["change"], follow[i] - base[i])
        _two_decimals(r["pct_change"], 100 * (follow[i] - base[i]) / base[i])
        assert r["baseline_nights"] == "3" and r["followup_nights"] == "3"
        assert r["response"] == want[i]

    # summary.json is res.summary with rounded numbers; the values are checked at full precision
    s = json.loads((out / "summary.json").read_text())
    for key in ("mean_change", "sd_change"):
        _two_decimals(str(s[key]), res.summary[key])
    assert s["p_ttest"] == pytest.approx(res.summary["p_ttest"], rel=1e-11)
    assert s["icc"].keys() == res.summary["icc"].keys()
    s = res.summary
    assert s["n_subjects"] == n and s["index"] == "plms_index"
    assert s["visits"]["baseline"]["mean"] == pytest.approx(base.mean())
    assert s["visits"]["baseline"]["sd"] == pytest.approx(np.std(base, ddof=1))
    assert s["visits"]["followup"]["median"] == pytest.approx(np.median(follow))
    d = follow - base
    assert s["mean_change"] == pytest.approx(d.mean())
    lo, hi = stats.t.interval(0.95, n - 1, loc=d.mean(), scale=stats.sem(d))
    assert s["ci95_change"] == pytest.approx([lo, hi])
    assert s["p_ttest"] == pytest.approx(stats.ttest_rel(follow, base).pvalue)
    assert s["p_wilcoxon"] == pytest.approx(stats.wilcoxon(follow, base).pvalue)
    cats = ["complete" if f < 5 else "moderate" if (b - f) / b >= 0.5 else "none" for b, f in zip(base, follow)]
    assert s["responders"] == {c: cats.count(c) for c in ("complete", "moderate", "none")}
    assert s["responders_pct"]["none"] == pytest.approx(100 * cats.count("none") / n)
    # Night-to-night reliability, by a separate route: for 3 nights per
    # subject, ICC(1,1) = (MSB - MSW) / (MSB + 2 MSW) from the ANOVA sums.
    for visit in ("baseline", "followup"):
        x = idx[visit]
        msw = ((x - x.mean(axis=1, keepdims=True)) ** 2).sum() / (n * 2)
        msb = 3 * ((x.mean(axis=1) - x.mean()) ** 2).sum() / (n - 1)
        assert s["icc"][visit] == pytest.approx((msb - msw) / (msb + 2 * msw))
        assert s["within_subject_sd"][visit] == pytest.approx(np.sqrt(np.var(x, axis=1, ddof=1).mean()))
    both = np.concatenate([idx["baseline"], idx["followup"]])
    assert s["within_subject_sd"]["pooled"] == pytest.approx(np.sqrt(np.var(both, axis=1, ddof=1).mean()))
    assert "ICC(1,1)" in s["icc_form"]
    assert list(res.subjects["response"]) == cats


def test_study_from_summary_json_cohort(tmp_path):
    crit = criteria.get("wasm2016")
    manifest, counts = write_cohort(tmp_path / "cohort", kind="json", criteria=crit)
    out = tmp_path / "study"
    res = plm.study(manifest, out_dir=out)
    _check_study(res, out, counts)


def test_study_cli_from_summary_json(tmp_path, capsys):
    from plm.cli import main

    manifest, counts = write_cohort(tmp_path / "cohort", kind="json", n_subjects=6, nights=2,
                                    criteria=criteria.get("wasm2016"))
    assert main(["study", str(manifest), "--out", str(tmp_path / "o"), "--complete-below", "8", "--report"]) == 0
    s = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert s["thresholds"]["complete_below"] == 8.0 and s["n_subjects"] == 6
    base = counts["baseline"].mean(axis=1) / HOURS
    follow = counts["followup"].mean(axis=1) / HOURS
    n_complete = int(np.sum(follow < 8))
    assert s["responders"]["complete"] == n_complete
    out = capsys.readouterr().out
    assert f"complete {n_complete} " in out and "6 subjects" in out
    assert (tmp_path / "o" / "study_report.html").exists()
    assert np.isfinite(base).all()


def test_study_manifest_errors(tmp_path):
    bad = tmp_path / "m.csv"
    bad.write_text("subject,visit,path\nP1,a,x.tsv\n")
    with pytest.raises(InputError, match="lacks column"):
        plm.study(bad)
    one_visit = tmp_path / "one.csv"
    one_visit.write_text("subject,visit,night,path\nP1,a,1,x.tsv\n")
    with pytest.raises(InputError, match="two visits"):
        plm.study(one_visit)
    dup = tmp_path / "dup.csv"
    dup.write_text("subject,visit,night,path\nP1,a,1,x.tsv\nP1,a,1,y.tsv\nP1,b,1,z.tsv\n")
    with pytest.raises(InputError, match="already on line 2"):
        plm.study(dup)


def _scoring_available() -> bool:
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in ("plm.scoring.night", "plm.io.events_tsv"))


@pytest.mark.skipif(not _scoring_available(), reason="needs the scorer and the events-TSV reader")
def test_study_from_event_tsv_cohort(tmp_path):
    # 25 subjects x 2 visits x 3 nights of events TSV, scored by plm itself.
    manifest, counts = write_cohort(tmp_path / "cohort", kind="tsv")
    out = tmp_path / "study"
    res = plm.study(manifest, out_dir=out, jobs=2)
    _check_study(res, out, counts)
