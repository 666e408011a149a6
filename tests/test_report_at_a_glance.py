"""Reports a clinician reads at a glance (issue 15, item 6): labels with units, a short table first,
the rest folded away, a per-LM event list, integer histogram ticks, a study legend that covers
nothing, every file in the title, batch folders, and pages that load nothing and do not change."""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import plm  # noqa: E402
from cohort import write_night_tsv  # noqa: E402
from plm import criteria  # noqa: E402
from plm._util import json_safe, tidy  # noqa: E402
from plm.model.labels import ONE_LEG_NOTE  # noqa: E402
from score_helpers import periodic, score  # noqa: E402
from test_report import hand_night  # noqa: E402

SAMPLES = Path(__file__).resolve().parents[1] / "sample_recordings"


def _page(result, tmp_path, **kw) -> str:
    from plm.workflows.report import night_report

    return night_report(result, tmp_path, **kw)[1].read_text(encoding="utf-8")


def test_night_page_short_table_first_then_figure_then_folded_details(tmp_path):
    page = _page(hand_night(), tmp_path)
    order = [page.index(s) for s in ('<table class="headline">', "<img ", "<details><summary>All measures (",
                                     "<details><summary>Criteria wasm2016 [", "<details><summary>Event list: 126 ")]
    assert order == sorted(order)
    assert ("<title>PLM night report: P01_night1.tsv, night of 2024-03-01, start 22:30 (UTC+01:00)</title>"
            in page)
    headline = page[page.index('<table class="headline">'):page.index("<img ")]
    assert ('<tr><td>PLMS index (sleep)</td><td class="num">15.0 /h</td>'
            "<td>PLMs in sleep per hour of total sleep time (8.00 h)</td></tr>") in headline
    assert '<tr><td>PLMs</td><td class="num">120</td><td>in 15 periodic series</td></tr>' in headline
    assert "plm_index" not in headline and "_" not in re.sub(r"<[^>]+>", "", headline)  # no code names
    # the full tables keep the key beside the label, and every criteria field with its meaning
    assert '<tr><td>PLM index (= PLMS index, sleep)</td><td class="num">15.0 /h</td><td>plm_index</td></tr>' in page
    assert "<tr><td>imi_min</td><td>10.0</td><td>Inclusive bounds of the intermovement interval" in page


def test_night_page_event_list(tmp_path):
    page = _page(hand_night(), tmp_path)
    events = page[page.index("<details><summary>Event list"):]
    assert events.count('<tr class="plm">') == 120  # one shaded row per PLM
    assert events.count("<tr>") == 6 + 1  # the 6 other LMs and the header row
    # first LM: 60 s after 22:30:00, 1.5 s, left leg, CLM and PLM of series 1
    assert ('<tr class="plm"><td class="num">1</td><td>22:31:00.0</td><td class="num">60.000</td>'
            '<td class="num">1.500</td><td>left</td><td>yes</td><td>yes</td><td class="num">1</td><td></td>'
            "<td></td></tr>") in events
    # a scored night: bilateral pairs and unscored LMs say so
    res = score(periodic([100, 120, 140, 160]) + [(100.2, 1.0, "right"), (500.0, 0.2, "left")])
    rows = _page(res, tmp_path / "b").split("<details><summary>Event list")[1]
    assert rows.count("<td>bilateral</td>") == 2
    assert '<tr class="unscored"><td class="num">6</td><td class="num">500.000</td><td class="num">0.200</td>' \
           '<td>left</td><td></td><td></td><td class="num"></td><td>not scored: too short</td></tr>' in rows


def test_title_names_every_file_of_the_night():
    from plm.plots import night_figure, night_title

    res = score(periodic([100, 120, 140, 160]), source="in/P07_left.csv.gz; in/P07_right.csv.gz")
    assert night_title(res) == "P07_left.csv.gz + P07_right.csv.gz"
    assert night_title(res, ["a/x.edf", "b/hypnogram.txt"]) == "x.edf + hypnogram.txt"
    fig = night_figure(res)
    assert fig.get_suptitle() == "P07_left.csv.gz + P07_right.csv.gz"


def test_imi_histogram_has_whole_number_ticks():
    from plm.plots import plot_imi_histogram

    res = score(periodic([100, 120, 140]))  # two IMIs of 20 s: default ticks would be 0.25 apart
    ax = plot_imi_histogram(res)
    lo, hi = ax.get_ylim()
    ticks = [t for t in ax.get_yticks() if lo <= t <= hi]
    assert ticks and all(float(t).is_integer() for t in ticks)
    heights = [p.get_height() for p in ax.containers[0]]
    assert len(heights) == 46 and heights[10] == 2 and sum(heights) == 2


def test_one_leg_night_report_says_it_is_not_comparable(tmp_path):
    with pytest.warns(UserWarning, match="only the left leg was recorded"):
        res = plm.score(plm.read(SAMPLES / "pamrl_left.csv.gz"))
    assert res.measures["n_legs"] == 1
    page = _page(res, tmp_path)
    box = page[page.index('<div class="notes">'):page.index("</div>")]
    assert box.count("<li>") == 1 and f"<li>{ONE_LEG_NOTE.replace(chr(39), '&#x27;')}</li>" in box
    assert ('<tr><td>legs recorded</td><td class="num">1</td><td>not comparable with two-leg nights</td></tr>'
            in page)


def test_assumed_recording_length_is_stated(tmp_path):
    night = tmp_path / "lms.tsv"
    night.write_text("onset\tduration\ttype\n" + "".join(f"{t}\t1\tlm_left\n" for t in (10, 30, 50, 70)))
    with pytest.warns(UserWarning, match="the file gives no recording length"):
        res = plm.score(plm.read_events(night))
    assert res.measures["duration_source"] == "last_event"
    page = _page(res, tmp_path / "r")
    assert ("<li>Recording length assumed: 0.02 h, the end of the last event; the input gives no recording length, "
            "so the index may be too high.</li>") in page
    assert "all PLMs per hour of recording (0.02 h, assumed); no sleep staging, so no PLMS index" in page


def test_study_legend_covers_no_point_and_the_threshold_is_labelled(tmp_path):
    from cohort import write_cohort
    from plm.plots import study_figure

    manifest, _ = write_cohort(tmp_path / "c", kind="json", n_subjects=9, nights=1, criteria=criteria.get("wasm2016"))
    fig = study_figure(plm.study(manifest, out_dir=tmp_path / "s"))
    ax = fig.axes[0]
    fig.canvas.draw()
    box = ax.get_legend().get_window_extent()
    points = np.vstack([ax.transData.transform(np.column_stack([ln.get_xdata(), ln.get_ydata()]))
                        for ln in ax.lines if len(ln.get_xdata()) and ln.get_marker() in ("o", "s")])
    inside = (points[:, 0] >= box.x0) & (points[:, 0] <= box.x1) & (points[:, 1] >= box.y0) & (points[:, 1] <= box.y1)
    assert not inside.any()
    assert box.y1 <= ax.get_window_extent().y0  # below the plot
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "complete response: below 5 /h" in labels
    assert any(t.get_text() == "5 /h" and t.xy[1] == 5.0 for t in ax.texts)


def _batch(tmp_path):
    from plm.workflows.batch import run_batch

    folder = tmp_path / "in"
    folder.mkdir()
    for name, n_plm in (("P1_night1", 96), ("P2_night1", 40)):
        write_night_tsv(folder / f"{name}.tsv", n_plm)
    (folder / "P3_night1.tsv").write_text("onset\tduration\n")  # no type column: fails
    run_batch([folder], tmp_path / "batch", jobs=1, progress=False)
    return tmp_path / "batch"


def test_report_of_a_batch_folder(tmp_path, capsys):
    from plm.cli import main

    batch = _batch(tmp_path)
    assert main(["report", str(batch), "--out", str(tmp_path / "r")]) == 0
    printed = capsys.readouterr().out.split()
    assert [Path(p).name for p in printed] == ["batch_report.html", "P1_night1_report.html", "P2_night1_report.html"]
    overview = (tmp_path / "r" / "batch_report.html").read_text(encoding="utf-8")
    assert "2 nights from 2 recordings; 1 input failed" in overview
    # 96 PLMs in 8 h of N2: PLMS index 12.0 /h, linked to its page
    assert ('<tr><td><a href="P1_night1_report.html">P1_night1</a></td><td></td><td></td><td class="num">12.0 /h</td>'
            '<td class="num">12.0 /h</td><td class="num">96</td><td>8.00 h sleep, 8.00 h recording</td>'
            "<td>-</td><td></td></tr>") in overview
    assert '<a href="P2_night1_report.html">P2_night1</a>' in overview and "P3_night1.tsv" in overview
    night = (tmp_path / "r" / "P2_night1_report.html").read_text(encoding="utf-8")
    assert '<td>PLMS index (sleep)</td><td class="num">5.0 /h</td>' in night  # 40 / 8 h, the batch's number
    assert "http" not in overview + night
    # IMIs above 90 s are not in the batch outputs: the page says so rather than drawing a wrong bar
    assert main(["report", str(batch), "--out", str(tmp_path / "again")]) == 0
    for name in ("batch_report.html", "P1_night1_report.html", "P1_night1_report.png"):
        assert (tmp_path / "r" / name).read_bytes() == (tmp_path / "again" / name).read_bytes()


def test_night_read_back_from_its_outputs_equals_the_scored_one(tmp_path):
    from plm.io.export import write_night_outputs
    from plm.io.summary import read_night_outputs

    night = tmp_path / "S1_night1.tsv"
    write_night_tsv(night, 96)
    res = plm.score(plm.read_events(night))
    write_night_outputs(res, tmp_path / "out")
    back = read_night_outputs(tmp_path / "out" / "S1_night1_summary.json")
    # the summary file holds the numbers rounded as every text output (plm._util.tidy)
    assert json.dumps(json_safe(back.summary()), sort_keys=True) == json.dumps(tidy(res.summary()), sort_keys=True)
    a, b = res.events, back.events
    for col in ("onset", "duration", "side", "lm_id", "is_clm", "is_plm", "series", "stage", "reason"):
        assert a[col].tolist() == b[col].tolist(), col
    assert back.hypnogram is not None and back.hypnogram.stages.tolist() == res.hypnogram.stages.tolist()
