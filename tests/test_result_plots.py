"""NightResult.plot_* on a scored bundled sample night (matplotlib Agg)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import plm  # noqa: E402
from plm.errors import InputError, MissingDependencyError  # noqa: E402
from plm.model import Hypnogram  # noqa: E402

SAMPLE = Path(__file__).resolve().parents[1] / "sample_recordings" / "psg_emg.edf"

# 30 min night = 60 epochs of 30 s: 4 W, 30 N2, 16 R, 10 N2.
STAGES = ["W"] * 4 + ["N2"] * 30 + ["R"] * 16 + ["N2"] * 10


@pytest.fixture(scope="module")
def result():
    return plm.score(plm.read(SAMPLE), hypnogram=Hypnogram(np.array(STAGES)))


def _n_bars(ax) -> int:
    from matplotlib.collections import PolyCollection

    return sum(len(c.get_paths()) for c in ax.collections if isinstance(c, PolyCollection))


def test_raster_has_one_bar_per_lm(result):
    import matplotlib.pyplot as plt
    from matplotlib.axes import Axes

    ax = result.plot_raster()
    assert isinstance(ax, Axes)
    # The sample's truth has 12 left and 14 right LMs (psg_emg_truth.json);
    # each monolateral LM is one row of result.events and one bar.
    assert len(result.events) == result.n_lm_left + result.n_lm_right
    assert _n_bars(ax) == len(result.events)
    # PLMs in red: as many red bars as events flagged is_plm.
    from matplotlib.colors import to_hex

    red = sum(len(c.get_paths()) for c in ax.collections if to_hex(c.get_facecolor()[0]) == "#b2182b")
    assert red == int(np.sum(result.events["is_plm"]))
    # 30 min night: a single hour row.
    assert ax.get_yticks().tolist() == [0]
    plt.close(ax.figure)


def test_raster_draws_into_given_axes(result):
    import matplotlib.pyplot as plt

    fig, (a1, a2) = plt.subplots(1, 2)
    assert result.plot_raster(ax=a2) is a2
    assert _n_bars(a1) == 0 and _n_bars(a2) == len(result.events)
    plt.close(fig)


def test_imi_histogram_bars_equal_bins_and_counts_equal_imis(result):
    import matplotlib.pyplot as plt

    ax = result.plot_imi_histogram()
    bars = ax.containers[0]
    # Edges 0, 2, ..., 90 (45 bins of 2 s) plus one bin 90-100 for longer IMIs.
    assert len(bars) == 46
    heights = np.array([b.get_height() for b in bars])
    imi = np.asarray(result.lms["imi"], float)
    imi = imi[np.isfinite(imi)]
    assert heights.sum() == imi.size
    # The last bar counts the IMIs >= 90 s; the first 45 the rest, bin by bin.
    assert heights[-1] == np.sum(imi >= 90)
    np.testing.assert_array_equal(heights[:-1], np.histogram(imi[imi < 90], bins=np.arange(0, 92, 2.0))[0])
    plt.close(ax.figure)


def test_hypnogram_marks_each_rem_epoch(result):
    import matplotlib.pyplot as plt
    from matplotlib.patches import StepPatch

    ax = result.plot_hypnogram()
    assert sum(isinstance(p, StepPatch) for p in ax.patches) == 1
    assert len(ax.lines) == STAGES.count("R")  # one red segment per REM epoch
    assert [t.get_text() for t in ax.get_yticklabels()] == ["N3", "N2", "N1", "R", "W"]
    plt.close(ax.figure)


def test_hypnogram_without_staging_is_an_input_error():
    res = plm.score(plm.read(SAMPLE))
    with pytest.raises(InputError, match="no sleep staging"):
        res.plot_hypnogram()


def test_missing_matplotlib_names_the_report_extra(result, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    with pytest.raises(MissingDependencyError, match=r"plm\[report\]"):
        result.plot_imi_histogram()
