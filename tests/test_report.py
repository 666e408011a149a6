"""Night and study reports: figure content, self-contained HTML, determinism."""
from __future__ import annotations

import base64
import datetime as dt
import re
import sys

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from cohort import night_onsets, write_cohort  # noqa: E402
from plm import criteria  # noqa: E402
from plm.errors import MissingDependencyError  # noqa: E402
from plm.model import Hypnogram, NightResult  # noqa: E402


def hand_night(staging=True) -> NightResult:
    """120 PLMs in 15 series of 8 (left leg), 5 isolated left LMs, 1 right LM at 3 h."""
    per, iso = night_onsets(120, 5)
    onset = np.concatenate([per, iso, [3.0 * 3600 + 5]])
    side = np.array(["left"] * (len(per) + len(iso)) + ["right"])
    is_plm = np.r_[np.ones(len(per), bool), np.zeros(len(iso) + 1, bool)]
    series = np.r_[np.repeat(np.arange(1, 16), 8), -np.ones(len(iso) + 1, int)]
    order = np.argsort(onset)
    ev = (dict(onset=onset[order], duration=np.full(onset.size, 1.5), side=side[order],
                         is_plm=is_plm[order], is_clm=np.ones(onset.size, bool), series=series[order]))
    lms = (dict(onset=onset[order], imi=np.r_[np.nan, np.diff(onset[order])]))
    hyp = Hypnogram(np.array(["W"] * 20 + ["N2"] * 600 + ["R"] * 140 + ["N2"] * 200)) if staging else None
    m = dict(plm_index=15.0, plms_index=15.0 if staging else None, plmw_index=0.0, n_lm_left=125, n_lm_right=1,
             n_lm=126, n_clm=126, n_plm=120, n_series=15, periodicity_index=0.9, hours_denominator=8.0,
             denominator="tst" if staging else "recording", time_in_bed_hours=8.0, plm_index_tib=15.0,
             tst_hours=8.0 if staging else None, wake_hours=0.0 if staging else None)
    return NightResult(measures=m, events=ev, lms=lms, criteria=criteria.get("wasm2016"),
                       start_time=dt.datetime(2024, 3, 1, 22, 30, tzinfo=dt.timezone(dt.timedelta(hours=1))),
                       source="P01_night1.tsv", hypnogram=hyp)


def _bars(ax, color_hex):
    from matplotlib.collections import PolyCollection
    from matplotlib.colors import to_hex

    n = 0
    for c in ax.collections:
        if isinstance(c, PolyCollection) and to_hex(c.get_facecolor()[0]) == color_hex:
            n += len(c.get_paths())
    return n


def test_night_figure_draws_every_lm_and_series():
    import matplotlib.pyplot as plt
    from plm.plots import night_figure

    fig = night_figure(hand_night())
    raster, hyp, imi_ax, table_ax = fig.axes
    assert _bars(raster, "#b2182b") == 120  # every PLM is a red bar
    assert _bars(raster, "#7f7f7f") == 6  # 5 isolated + 1 right-leg LM in grey
    # One shaded span per series and hour row it touches (a series crossing an hour is split).
    per, _ = night_onsets(120, 5)
    starts, ends = per[::8], per[7::8] + 1.5
    pieces = int(np.sum(np.floor(ends / 3600) - np.floor(starts / 3600) + 1))
    assert pieces > 15  # this night has a series across the first hour boundary
    assert len(raster.patches) == pieces
    # IMI histogram: 126 LMs give 125 IMIs; 15 series x 7 IMIs of 20 s fall in the
    # 20-22 s bin, the other 20 (between series and isolated LMs) are > 90 s.
    heights = np.array([p.get_height() for p in imi_ax.containers[0]])
    assert heights[10] == 105 and heights[-1] == 20 and heights.sum() == 125
    assert [t.get_text() for t in hyp.get_yticklabels()] == ["N3", "N2", "N1", "R", "W"]
    plt.close(fig)
    fig = night_figure(hand_night(staging=False))
    assert len(fig.axes) == 3  # no hypnogram panel without staging
    plt.close(fig)


def test_night_report_png_html_self_contained_and_deterministic(tmp_path):
    from plm.workflows.report import night_report

    png, html = night_report(hand_night(), tmp_path)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    page = html.read_text()
    embedded = re.search(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page).group(1)
    assert base64.b64decode(embedded) == data
    assert '<td>PLMS index (sleep)</td><td class="num">15.0 /h</td>' in page
    assert criteria.get("wasm2016").hash in page
    assert "http" not in page.replace("http-equiv", "")  # nothing loaded from elsewhere
    png2, _ = night_report(hand_night(), tmp_path / "again")
    assert png2.read_bytes() == data


def test_study_report_paired_plot(tmp_path):
    import matplotlib.pyplot as plt

    import plm
    from plm.plots import study_figure
    from plm.workflows.report import load_study, study_report

    manifest, counts = write_cohort(tmp_path / "c", kind="json", n_subjects=9, nights=2,
                                    criteria=criteria.get("wasm2016"))
    res = plm.study(manifest, out_dir=tmp_path / "s")
    fig = study_figure(res)
    lines = [ln for ln in fig.axes[0].lines if ln.get_marker() == "o" and len(ln.get_xdata()) == 2]
    assert len(lines) == 9  # one before/after line per subject
    firsts = sorted(float(ln.get_ydata()[0]) for ln in lines)
    assert firsts == pytest.approx(sorted(counts["baseline"].mean(axis=1) / 8.0))
    plt.close(fig)
    _, html = study_report(load_study(tmp_path / "s"), tmp_path / "r")
    page = html.read_text()
    assert page.count("<tr>") >= 9 + 1 and "P09" in page and "p, paired t-test" in page


def test_report_cli_on_study_folder(tmp_path, capsys):
    import plm
    from plm.cli import main

    manifest, _ = write_cohort(tmp_path / "c", kind="json", n_subjects=4, nights=1,
                               criteria=criteria.get("wasm2016"))
    plm.study(manifest, out_dir=tmp_path / "s")
    assert main(["report", str(tmp_path / "s"), "--out", str(tmp_path / "r")]) == 0
    assert (tmp_path / "r" / "study_report.png").exists()
    assert "study_report.html" in capsys.readouterr().out


def test_missing_matplotlib_is_a_clear_error(monkeypatch):
    from plm.plots import night_figure

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(MissingDependencyError, match=r"plm\[report\]"):
        night_figure(hand_night())


@pytest.mark.skipif(not all(__import__("importlib").util.find_spec(m) for m in ("plm.scoring.night", "plm.io.events_tsv")),
                    reason="needs the scorer and the events-TSV reader")
def test_report_cli_scores_a_night_file(tmp_path, capsys):
    from cohort import write_night_tsv
    from plm.cli import main

    night = tmp_path / "S1_night1.tsv"
    write_night_tsv(night, 96)  # 12 series of 8 PLMs at 20 s, 3 isolated LMs, 8 h N2
    assert main(["report", str(night), "--out", str(tmp_path / "r")]) == 0
    page = (tmp_path / "r" / "S1_night1_report.html").read_text()
    assert '<td>PLMs</td><td class="num">96</td>' in page
    assert '<td>PLMS index (sleep)</td><td class="num">12.0 /h</td>' in page
    assert (tmp_path / "r" / "S1_night1_report.png").stat().st_size > 20000
