"""Property tests of the scorer on random event lists (hypothesis)."""
import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import plm
from plm.model import Hypnogram, LegMovements, ScoredEvents

# Times on a 0.01 s grid: boundary cases (IMI exactly 10 s, gaps exactly
# 0.5 s) occur often, and a shift by a multiple of 0.01 s must not move them
# across a boundary.
_cs = st.integers(min_value=0, max_value=200_000)  # 0..2000 s in centiseconds
_dur = st.integers(min_value=1, max_value=1_600)  # 0.01..16 s
_event = st.tuples(_cs, _dur, st.sampled_from(["left", "right"]))
_span = st.tuples(_cs, st.integers(min_value=0, max_value=3_000))


@st.composite
def _train(draw):
    # a periodic train (IMI 5..95 s, often near the 10/90 s bounds) so that
    # series and their breaks are common
    start = draw(_cs)
    imi = draw(st.one_of(st.sampled_from([999, 1000, 1001, 8999, 9000, 9001]), st.integers(500, 9500)))
    n = draw(st.integers(min_value=2, max_value=12))
    return [(start + k * imi, draw(_dur), draw(st.sampled_from(["left", "right"]))) for k in range(n)]


@st.composite
def nights(draw):
    ev = draw(st.lists(_event, max_size=25)) + sum(draw(st.lists(_train(), max_size=3)), [])
    on = np.array([e[0] for e in ev], float) / 100
    du = np.array([e[1] for e in ev], float) / 100
    sd = np.array([e[2] for e in ev], dtype="<U5")
    res = draw(st.lists(_span, max_size=5))
    aro = draw(st.lists(_span, max_size=5))
    ctx = {"duration_s": 4000.0}
    if draw(st.booleans()):
        ctx["hypnogram"] = Hypnogram(np.array(draw(st.lists(st.sampled_from(["W", "N1", "N2", "N3", "R", "?"]),
                                                              min_size=1, max_size=120))), 30.0, 0.0)
    if draw(st.booleans()):
        ctx["lights_off"] = draw(_cs) / 100
        ctx["lights_on"] = ctx["lights_off"] + 300.0
    if draw(st.booleans()):
        a = draw(_cs) / 100
        ctx["excluded"] = np.array([[a, a + draw(_dur) / 100]])
    ctx["respiratory"] = ScoredEvents(np.array([r[0] for r in res], float) / 100,
                                      np.array([r[1] for r in res], float) / 100, np.full(len(res), "apnea"))
    ctx["arousals"] = ScoredEvents(np.array([r[0] for r in aro], float) / 100,
                                   np.array([r[1] for r in aro], float) / 100, np.full(len(aro), "arousal"))
    crit = draw(st.sampled_from(["wasm2016", "aasm", "wasm2006"]))
    overrides = draw(st.sampled_from([{}, {"short_imi": "no_new_series"}, {"imi_reference": "offset"},
                                      {"long_lm_inheritance": False}, {"long_lm_merge": False}]))
    return LegMovements(on, du, sd, **ctx), plm.criteria.get(crit, **overrides)


def _same(a, b, shift=0.0):
    """Measures equal up to float rounding (times differ by rounding after a shift)."""
    assert a.keys() == b.keys()
    for k in a:
        x, y = a[k], b[k]
        if k in ("lights_off", "lights_on") and x is not None:
            x = x + shift
        if isinstance(x, float) and isinstance(y, float):
            assert math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-6), (k, x, y)
        else:
            assert x == y, (k, x, y)


def _tables_same(t1, t2, time_cols=("onset",), shift=0.0):
    assert list(t1.columns) == list(t2.columns)
    for c in t1.columns:
        x, y = t1[c].to_numpy(), t2[c].to_numpy()
        if c in time_cols:
            np.testing.assert_allclose(x, y - shift, atol=1e-6)
        elif x.dtype.kind == "f":
            np.testing.assert_allclose(x, y, atol=1e-6)
        else:
            assert list(x) == list(y), c


SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(nights())
def test_counts_are_consistent_and_series_long_enough(case):
    lms, crit = case
    r = plm.score(lms, criteria=crit)
    repr(r)
    m = r.measures
    assert 0 <= m["n_plm"] <= m["n_clm"] <= m["n_lm"]
    assert m["n_plmnr"] <= m["n_clm"] and m["n_clmr"] <= m["n_clm"]
    assert m["n_lm"] <= m["n_lm_left"] + m["n_lm_right"]
    t = {c: r.lms[c].to_numpy() for c in r.lms.columns}
    assert np.all(t["is_clm"][t["is_plm"]])
    assert np.all(t["is_clm"][t["is_clmr"]])
    assert not np.any(t["is_plmnr"] & (t["is_clmr"] | ~t["is_clm"]))
    if not t["is_clmr"].any():
        # only CLMr leave the PLMnr sequence (a respiratory non-CLM stays and
        # breaks series), so without them PLMnr is PLM, LM by LM
        assert list(t["is_plmnr"]) == list(t["is_plm"])
    series = t["series"][t["series"] >= 1]
    if series.size:
        assert np.bincount(series)[1:].min() >= crit.min_series_length
        assert m["n_series"] == len(np.unique(series))
        # every IMI inside a series (after its first member) is within the bounds
        inner = (t["series"] >= 1) & np.r_[False, t["series"][1:] == t["series"][:-1]]
        assert np.all(t["imi"][inner] >= crit.imi_min - 1e-6)
        assert np.all(t["imi"][inner] <= crit.imi_max + 1e-6)
    assert sum(m["imi_histogram"]) <= max(m["n_clm"] - 1, 0)
    if m["plm_index"] is not None:
        assert m["plm_index"] >= 0


@SETTINGS
@given(nights(), st.randoms(use_true_random=False))
def test_input_row_order_does_not_matter(case, rnd):
    lms, crit = case
    perm = list(range(len(lms)))
    rnd.shuffle(perm)
    perm = np.array(perm, dtype=np.int64)
    shuffled = LegMovements(lms.onset[perm], lms.duration[perm], lms.side[perm],
                            **{k: getattr(lms, k) for k in ("duration_s", "lights_off", "lights_on", "hypnogram",
                                                            "respiratory", "arousals", "excluded")})
    a, b = plm.score(lms, criteria=crit), plm.score(shuffled, criteria=crit)
    _same(a.measures, b.measures)
    _tables_same(a.lms, b.lms)
    _tables_same(a.events, b.events)


@SETTINGS
@given(nights(), st.integers(min_value=-500_000, max_value=500_000))
def test_shifting_all_times_changes_nothing(case, shift_cs):
    lms, crit = case
    shift = shift_cs / 100
    a = plm.score(lms, criteria=crit)
    b = plm.score(lms.shift(shift), criteria=crit)
    _same(a.measures, b.measures, shift)
    _tables_same(a.lms, b.lms, shift=shift)
    _tables_same(a.events, b.events, shift=shift)
