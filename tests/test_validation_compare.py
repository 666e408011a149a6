"""plm compare: LM matching, per-leg agreement, epoch kappa, cohort statistics, CLI.

Known answers are worked by hand in each test (counts, errors, kappa,
Bland-Altman, ICC), or come from an independent matcher written here
(augmenting paths, not the assignment solver plm uses).
"""
from __future__ import annotations

import csv
import datetime as dt
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import plm
from plm._util import rounded, tidy
from plm.cli import main
from plm.model import LegMovements
from plm.scoring.agreement import compare_nights, match_onsets
from plm.scoring.method_comparison import bland_altman, cohen_kappa, cutoff_agreement, icc_agreement, spearman

from generated_nights import SAMPLES

START = dt.datetime(2026, 3, 1, 22, 0, tzinfo=dt.timezone.utc)


def _max_matching(ref, test, tol):
    """Size of a maximum one-to-one matching (Kuhn's augmenting paths), |r - t| <= tol."""
    adj = [[j for j, t in enumerate(test) if abs(r - t) <= tol + 1e-9] for r in ref]
    owner = [-1] * len(test)

    def augment(i, seen):
        for j in adj[i]:
            if j not in seen:
                seen.add(j)
                if owner[j] < 0 or augment(owner[j], seen):
                    owner[j] = i
                    return True
        return False

    return sum(augment(i, set()) for i in range(len(ref)))


# ------------------------------------------------------------ matching
def test_matching_finds_the_most_pairs_where_nearest_first_would_not():
    # r0's nearest test onset is t0 (0.40 < 0.45), but t0 is r1's only partner:
    # the maximum matching pairs r0-t1 and r1-t0.
    ri, ti = match_onsets(np.array([0.0, 0.8]), np.array([0.4, -0.45]), 0.5)
    assert list(zip(ri, ti)) == [(0, 1), (1, 0)]


def test_matching_prefers_the_smaller_total_error_among_maximum_matchings():
    # both pairings have two pairs; 0.2 + 0.05 beats 0.35 + 0.1
    ri, ti = match_onsets(np.array([0.0, 0.3]), np.array([0.2, 0.35]), 0.5)
    assert list(zip(ri, ti)) == [(0, 0), (1, 1)]


def test_matching_tolerance_is_inclusive_and_one_to_one():
    ri, ti = match_onsets(np.array([10.0, 20.0, 30.0]), np.array([10.5, 10.4, 19.4, 30.5]), 0.5)
    # 10.0 takes 10.4 (smaller error), 10.5 is left over; 19.4 is 0.6 away; 30.5 is exactly 0.5 away
    assert list(zip(ri.tolist(), ti.tolist())) == [(0, 1), (2, 3)]
    assert match_onsets(np.zeros(0), np.array([1.0]), 0.5)[0].size == 0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 30), max_size=25), st.lists(st.floats(0, 30), max_size=25),
       st.sampled_from([0.0, 0.3, 0.5, 2.0]))
def test_matching_size_equals_an_independent_maximum_matching(ref, test, tol):
    ri, ti = match_onsets(np.array(ref), np.array(test), tol)
    assert ri.size == _max_matching(ref, test, tol)
    assert len(set(ri.tolist())) == ri.size and len(set(ti.tolist())) == ti.size
    assert np.all(np.abs(np.array(ref)[ri] - np.array(test)[ti]) <= tol + 1e-6)


# ------------------------------------------------------------ one night
def _night(onsets_left, onsets_right, dur_left=1.0, dur_right=1.0, start=START, length=1800.0):
    on = np.r_[onsets_left, onsets_right]
    du = np.r_[np.full(len(onsets_left), dur_left), np.full(len(onsets_right), dur_right)]
    side = ["left"] * len(onsets_left) + ["right"] * len(onsets_right)
    return LegMovements(onset=on, duration=du, side=side, start_time=start, duration_s=length, source="hand")


SERIES_A = [100.0, 120.0, 140.0, 160.0]
SERIES_B = [1000.0, 1020.0, 1040.0, 1060.0]


def test_hand_made_pair_gives_known_counts_errors_and_kappa():
    ref = plm.score(_night(SERIES_A + SERIES_B, [500.0]))
    # left: series A found with onset errors +0.2 +0.3 -0.4 0.0 and 1.5 s durations, series B missed;
    # right: 500 found 0.1 s late, one extra LM at 800
    test = plm.score(_night([100.2, 120.3, 139.6, 160.0], [500.1, 800.0], dur_left=1.5))
    s = compare_nights(ref, test, 0.5).summary()
    assert (s["tp_left"], s["fp_left"], s["fn_left"]) == (4, 0, 4)
    assert (s["tp_right"], s["fp_right"], s["fn_right"]) == (1, 1, 0)
    assert s["sensitivity_left"] == 0.5 and s["ppv_left"] == 1.0
    assert s["f1_left"] == pytest.approx(2 * 4 / (2 * 4 + 0 + 4))
    assert s["sensitivity_right"] == 1.0 and s["ppv_right"] == 0.5
    assert s["f1_right"] == pytest.approx(2 / 3)
    assert (s["tp"], s["fp"], s["fn"]) == (5, 1, 4)
    # onset errors 0.2 0.3 -0.4 0.0 0.1 -> median 0.1; |errors| sorted 0 .1 .2 .3 .4 -> median 0.2,
    # 95th percentile (linear) 0.3 + 0.8 * 0.1
    assert s["onset_error_median_s"] == pytest.approx(0.1)
    assert s["onset_abs_error_median_s"] == pytest.approx(0.2)
    assert s["onset_abs_error_p95_s"] == pytest.approx(0.38)
    # offset errors: left onset error + 0.5 (1.5 s vs 1 s) = .7 .8 .1 .5, right .1 -> median 0.5
    assert s["offset_error_median_s"] == pytest.approx(0.5)
    # PLMs: 8 in the reference, 4 in the test, over 0.5 h
    assert (s["n_plm_reference"], s["n_plm_test"], s["n_plm_difference"]) == (8, 4, -4)
    assert s["plm_index_reference"] == pytest.approx(16.0) and s["plm_index_test"] == pytest.approx(8.0)
    assert s["plm_index_difference"] == pytest.approx(-8.0)
    # 60 epochs; PLM in epochs 3,4,5,33,34,35 (reference) and 3,4,5 (test):
    # p_o = 57/60, p_e = (6*3 + 54*57) / 60**2 -> kappa = (3420 - 3096) / (3600 - 3096)
    assert s["n_epochs"] == 60
    assert (s["n_epochs_plm_reference"], s["n_epochs_plm_test"], s["n_epochs_plm_both"]) == (6, 3, 3)
    assert s["epoch_kappa"] == pytest.approx(324 / 504)
    assert s["aligned_by"] == "start_time" and s["compared_hours"] == pytest.approx(0.5)


def test_match_table_lists_every_lm_once_with_its_status():
    ref = plm.score(_night(SERIES_A + SERIES_B, [500.0]))
    test = plm.score(_night([100.2, 120.3, 139.6, 160.0], [500.1, 800.0], dur_left=1.5))
    table = compare_nights(ref, test).matches
    assert list(table["status"]).count("match") == 5
    assert list(table["status"]).count("missed") == 4 and list(table["status"]).count("extra") == 1
    assert len(table) == 10
    assert table["reference_onset"].dropna().tolist() == sorted(table["reference_onset"].dropna().tolist())
    row = table[table["status"] == "extra"].iloc[0]
    assert row["side"] == "right" and row["test_onset"] == 800.0 and math.isnan(row["reference_onset"])
    hit = table[(table["status"] == "match") & (table["side"] == "left")]
    assert hit["onset_error_s"].round(6).tolist() == [0.2, 0.3, -0.4, 0.0]


def test_test_is_put_on_the_reference_clock_by_start_times():
    ref = plm.score(_night(SERIES_A, [500.0]))
    # the test device started 60 s later: the same movements come 60 s earlier on its own axis
    late = plm.score(_night([t - 60 for t in SERIES_A], [440.0], start=START + dt.timedelta(seconds=60)))
    s = compare_nights(ref, late).summary()
    assert s["test_offset_s"] == 60.0 and s["f1"] == 1.0
    # only the common 1740 s are compared
    assert s["compared_hours"] == pytest.approx(1740 / 3600)


def test_scorings_that_share_no_time_compare_nothing_and_say_so():
    ref = plm.score(_night(SERIES_A, []))
    other_day = plm.score(_night(SERIES_A, [], start=START + dt.timedelta(days=1)))
    s = compare_nights(ref, other_day).summary()
    assert s["compared_hours"] == 0 and s["tp"] == 0 and s["n_lm_outside_reference"] == 4
    assert any("no time in common" in n for n in s["notes"])


def test_round_trip_a_night_compared_with_itself():
    a = plm.compare(SAMPLES / "psg_emg.edf", SAMPLES / "psg_emg.edf")
    s = a.summary()
    assert s["f1_left"] == 1.0 and s["f1_right"] == 1.0
    assert s["plm_index_difference"] == 0 and s["onset_abs_error_p95_s"] == 0 and s["epoch_kappa"] == 1.0


def test_f1_per_leg_equals_an_independent_matching_on_the_accelerometer_sample():
    truth = SAMPLES / "pamrl_truth.tsv"
    files = [SAMPLES / "pamrl_left.csv.gz", SAMPLES / "pamrl_right.csv.gz"]
    a = plm.compare(truth, files, criteria="pamrl")
    s = a.summary()
    ref_lms = plm.read_events(truth)
    test = plm.score(plm.read([str(f) for f in files]), "pamrl").events
    for side in ("left", "right"):
        r = ref_lms.onset[ref_lms.side == side]
        t = np.asarray(test["onset"])[np.asarray(test["side"]) == side]
        tp = _max_matching(list(r), list(t), 0.5)
        assert s[f"f1_{side}"] == pytest.approx(2 * tp / (len(r) + len(t)), abs=0.01)
        assert s[f"tp_{side}"] == tp


# ------------------------------------------------------------ statistics
def test_bland_altman_icc_spearman_cutoff_by_hand():
    ref, test = [8.0, 20.0, 4.0, 30.0], [10.0, 18.0, 4.0, 36.0]
    ba = bland_altman(ref, test)
    # d = 2, -2, 0, 6: mean 1.5; SD = sqrt((0.5^2 + 3.5^2 + 1.5^2 + 4.5^2) / 3) = sqrt(35 / 3)
    sd = math.sqrt(35 / 3)
    assert ba["bias"] == pytest.approx(1.5) and ba["sd"] == pytest.approx(sd)
    assert ba["loa_low"] == pytest.approx(1.5 - 1.96 * sd) and ba["loa_high"] == pytest.approx(1.5 + 1.96 * sd)
    # t(0.975, 3) = 3.182446
    assert ba["bias_ci95"][1] == pytest.approx(1.5 + 3.182446 * sd / 2, rel=1e-6)
    # two-way ANOVA by hand: grand mean 16.25, row means 9 19 4 33, column means 15.5 17
    # SSR = 2 * 490.75 = 981.5, SSC = 4 * 1.125 = 4.5, SST = 1003.5, SSE = 17.5
    msr, msc, mse = 981.5 / 3, 4.5, 17.5 / 3
    icc = icc_agreement(np.column_stack([ref, test]))
    assert (icc["msr"], icc["msc"], icc["mse"]) == pytest.approx((msr, msc, mse))
    assert icc["icc"] == pytest.approx((msr - mse) / (msr + mse + 2 * (msc - mse) / 4))
    assert icc["icc"] == pytest.approx(0.966901, abs=1e-6)
    assert spearman(ref, test)["r"] == pytest.approx(1.0)
    # cut-off 9: reference positive on nights 2 and 4, test on 1, 2 and 4
    c = cutoff_agreement(ref, test, 9)
    assert (c["tp"], c["fn"], c["fp"], c["tn"]) == (2, 0, 1, 1)
    assert c["sensitivity"] == 1.0 and c["specificity"] == 0.5
    # p_o = 3/4, p_e = 0.5 * 0.75 + 0.5 * 0.25 = 0.5 -> kappa 0.5
    assert c["kappa"] == pytest.approx(0.5)


def test_icc_on_shrout_and_fleiss_table_2():
    # Shrout & Fleiss (1979) table 2: 6 targets, 4 judges; ICC(2,1) = 0.29
    x = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]], float)
    out = icc_agreement(x)
    assert out["icc"] == pytest.approx(0.29, abs=0.005)
    # McGraw & Wong's interval, as R's psych::ICC reports it for these data: 0.019 to 0.76
    assert out["ci95"][0] == pytest.approx(0.019, abs=0.001) and out["ci95"][1] == pytest.approx(0.76, abs=0.005)


def test_kappa_of_identical_constant_labels_is_undefined():
    assert math.isnan(cohen_kappa([0, 0, 0], [0, 0, 0]))
    assert cohen_kappa([1, 0, 1, 0], [1, 0, 1, 0]) == 1.0


# ------------------------------------------------------------ CLI
ISSUE_KEYS = ("f1_left", "f1_right", "sensitivity_left", "sensitivity_right", "ppv_left", "ppv_right",
              "onset_error_median_s", "plm_index_reference", "plm_index_test")


def test_cli_json_has_the_issue_keys_and_equals_the_python_api(capsys):
    ref, edf = str(SAMPLES / "psg_emg_truth.tsv"), str(SAMPLES / "psg_emg.edf")
    assert main(["compare", "--reference", ref, edf, "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    want = plm.compare(ref, edf).summary()
    for key in ISSUE_KEYS:
        assert key in got
        assert got[key] == rounded(want[key], key)  # the JSON rounds as every text output


def test_cli_text_and_single_night_outputs(tmp_path, capsys):
    ref, edf = str(SAMPLES / "psg_emg_truth.tsv"), str(SAMPLES / "psg_emg.edf")
    assert main(["compare", "--reference", ref, edf, "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "left" in out and "epoch kappa" in out and "plm_index" in out
    rows = list(csv.DictReader((tmp_path / "matches.tsv").open(), delimiter="\t"))
    assert len(rows) == 26 and {r["status"] for r in rows} == {"match"}
    assert json.loads((tmp_path / "agreement.json").read_text())["f1"] == 1.0


def test_cli_bad_input_is_one_line(tmp_path, capsys):
    assert main(["compare", str(SAMPLES / "psg_emg.edf")]) == 1
    assert capsys.readouterr().err.count("\n") == 1
    assert main(["compare", "--reference", str(tmp_path / "missing.tsv"), str(SAMPLES / "psg_emg.edf")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("plm: error:") and "missing.tsv" in err and err.count("\n") == 1


# ------------------------------------------------------------ cohort
def _events_file(path, n_plm):
    """An hour-long night: one left-leg series of ``n_plm`` LMs 20 s apart (PLM index = n_plm /h)."""
    lines = ["onset\tduration\ttype"] + [f"{60 + 20 * i:.1f}\t1.0\tlm_left" for i in range(n_plm)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path.with_name(path.name.replace(".tsv", ".json")).write_text(json.dumps({"duration_s": 3600}), encoding="utf-8")
    return path.name


def test_cohort_outputs_known_figures(tmp_path, capsys):
    ref, test = [8, 20, 4, 30], [10, 18, 4, 36]
    lines = ["night,reference,test"]
    for i, (a, b) in enumerate(zip(ref, test)):
        lines.append(f"n{i},{_events_file(tmp_path / f'n{i}_ref_events.tsv', a)},"
                     f"{_events_file(tmp_path / f'n{i}_test_events.tsv', b)}")
    (tmp_path / "m.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["compare", "--manifest", str(tmp_path / "m.csv"), "--out", str(out),
                 "--cutoff", "9", "--cutoff", "15"]) == 0
    text = capsys.readouterr().out
    assert "Bland-Altman" in text and "ICC(2,1)" in text
    nights = list(csv.DictReader((out / "nights.csv").open()))
    assert [float(r["plm_index_reference"]) for r in nights] == ref
    assert [float(r["plm_index_test"]) for r in nights] == test
    from plm.workflows.compare import compare_cohort

    api = compare_cohort(tmp_path / "m.csv", cutoffs=(9, 15)).summary
    s = json.loads((out / "agreement.json").read_text())
    # the file is the API's summary with numbers rounded as in every text output; the figures at full precision:
    assert s == json.loads(json.dumps(tidy(api)))
    s = api
    assert s["bland_altman"]["bias"] == pytest.approx(1.5)
    assert s["bland_altman"]["sd"] == pytest.approx(math.sqrt(35 / 3))
    assert s["icc"]["icc"] == pytest.approx(0.966901, abs=1e-6)
    assert s["spearman"]["r"] == pytest.approx(1.0)
    by_cut = {c["cutoff"]: c for c in s["cutoffs"]}
    assert set(by_cut) == {9.0, 15.0}
    assert (by_cut[9.0]["sensitivity"], by_cut[9.0]["specificity"], by_cut[9.0]["kappa"]) == pytest.approx((1, .5, .5))
    assert (by_cut[15.0]["sensitivity"], by_cut[15.0]["specificity"], by_cut[15.0]["kappa"]) == (1.0, 1.0, 1.0)
    for png in ("bland_altman.png", "scatter.png"):
        data = (out / png).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000


def test_cohort_round_trip_has_no_bias(tmp_path):
    lines = ["night,reference,test"]
    for i, n in enumerate([5, 12, 30]):
        name = _events_file(tmp_path / f"n{i}_events.tsv", n)
        lines.append(f"n{i},{name},{name}")
    (tmp_path / "m.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    from plm.workflows.compare import compare_cohort

    res = compare_cohort(tmp_path / "m.csv")
    assert res.summary["bland_altman"]["bias"] == 0 and res.summary["bland_altman"]["sd"] == 0
    assert res.summary["icc"]["icc"] == pytest.approx(1.0)
    assert res.summary["lm_agreement"]["f1"] == 1.0
    assert [c["cutoff"] for c in res.summary["cutoffs"]] == [5.0, 10.0, 15.0]
    assert list(res.to_dataframe()["night"]) == ["n0", "n1", "n2"]


def test_cohort_manifest_errors_name_the_line(tmp_path):
    (tmp_path / "m.csv").write_text("night,reference,test\nn1,missing.tsv,missing.tsv\n", encoding="utf-8")
    with pytest.raises(plm.InputError, match="line 2"):
        from plm.workflows.compare import compare_cohort

        compare_cohort(tmp_path / "m.csv")


def test_validation_guide_examples_run(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from test_docs_examples import ROOT, run_document

    import os

    os.symlink(ROOT / "sample_recordings", tmp_path / "sample_recordings")
    monkeypatch.chdir(tmp_path)
    ran = run_document(ROOT / "docs" / "validation.md")
    assert ran["doctest"] >= 15 and ran["plm"] >= 5 and ran["files"] == 1 and ran["outputs"] == 1, ran
    for rel in ("validation_out/nights.csv", "validation_out/agreement.json", "validation_out/bland_altman.png",
                "validation_out/scatter.png", "lab_ankle.json"):
        assert (tmp_path / rel).is_file(), rel
