"""The vectorised scorer against a plain-loop reference of the WASM 2016 rules.

The reference below is written independently of ``plm.score``, as a direct
reading of SCORING_RULES sections 3, 4, 5 and 8, in integer centiseconds so
that every boundary is exact. Both must agree LM by LM on random nights.
"""
import numpy as np
import pytest

import plm
from plm.model import LegMovements, ScoredEvents


def reference_wasm2016(on, du, side, resp_end, short_imi="new_series"):
    """Per merged LM (onset order): (onset, offset, is_clm, is_clmr, is_plm, is_plmnr, respiratory). Times in cs."""
    # same-leg merge: overlap or gap < 50 cs
    legs = []
    for s in ("left", "right"):
        ev = sorted((o, o + d) for o, d, x in zip(on, du, side) if x == s)
        cur = None
        for o, f in ev:
            if cur is not None and o < cur[1] + 50:
                cur[1] = max(cur[1], f)
            else:
                if cur is not None:
                    legs.append((cur[0], cur[1], s))
                cur = [o, f]
        if cur is not None:
            legs.append((cur[0], cur[1], s))
    legs = sorted(l for l in legs if l[1] - l[0] >= 50)
    # bilateral sweep
    lms = []
    i = 0
    while i < len(legs):
        o, f = legs[i][0], legs[i][1]
        parts = [legs[i]]
        j = i + 1
        while j < len(legs) and legs[j][0] < f + 50:
            f = max(f, legs[j][1])
            parts.append(legs[j])
            j += 1
        longest = max(p[1] - p[0] for p in parts)
        if len(parts) == 1:
            clm = f - o <= 1000
        else:
            clm = f - o <= 1500 and len(parts) <= 4 and longest <= 1000
        resp = any(not (f < e - 200 or o > e + 1025) for e in resp_end)
        lms.append([o, f, clm, resp])
        i = j

    def plm_flags(seq):
        # seq: list of (onset, is_clm); returns flags per element
        flags = [False] * len(seq)
        run = []

        def close():
            if len(run) >= 4:
                for k in run:
                    flags[k] = True

        for k, (o, clm) in enumerate(seq):
            if not clm:
                close()
                run = []
                continue
            if run and 1000 <= o - seq[run[-1]][0] <= 9000 and seq[k - 1][1] and run[-1] == k - 1:
                run.append(k)
                continue
            short = k > 0 and seq[k - 1][1] and o - seq[k - 1][0] < 1000
            close()
            run = [] if (short and short_imi == "no_new_series") else [k]
        close()
        return flags

    plm_all = plm_flags([(l[0], l[2]) for l in lms])
    # PLMnr: only respiratory-related CLMs leave; a non-CLM stays and breaks the series
    keep = [k for k, l in enumerate(lms) if not (l[2] and l[3])]
    sub = plm_flags([(lms[k][0], lms[k][2]) for k in keep])
    plmnr = [False] * len(lms)
    for k, f in zip(keep, sub):
        plmnr[k] = f
    return [(l[0], l[1], l[2], l[2] and l[3], p, q, l[3]) for l, p, q in zip(lms, plm_all, plmnr)]


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("short_imi", ["new_series", "no_new_series"])
@pytest.mark.parametrize("resp_at_lms", [False, True])
def test_agrees_with_loop_reference(seed, short_imi, resp_at_lms):
    rng = np.random.default_rng(seed)
    # a night of trains with IMIs around the bounds plus random LMs (centiseconds)
    on, du, side = [], [], []
    t = 0
    while t < 2_000_000:
        n = rng.integers(1, 16)
        imi = int(rng.choice([900, 999, 1000, 1001, 2000, 5000, 8999, 9000, 9001, 12000]))
        for _ in range(n):
            on.append(t)
            du.append(int(rng.choice([30, 49, 50, 51, 200, 999, 1000, 1001, 1400])))
            side.append(rng.choice(["left", "right"]))
            if rng.random() < 0.15:  # companion on the other leg, sometimes overlapping
                on.append(t + int(rng.integers(-100, 300)))
                du.append(int(rng.integers(20, 900)))
                side.append("left" if side[-1] == "right" else "right")
            t += imi
        t += int(rng.integers(0, 20000))
    resp_end = [int(x) for x in rng.integers(0, 2_000_000, 40)]
    if resp_at_lms:
        # apnea ends from 11 s before to 3 s after the offset of chosen LMs (long
        # ones included), so that respiratory CLMs and non-CLMs sit inside trains
        # and windows start or end right at LM boundaries
        pick = rng.choice(len(on), 60)
        resp_end += [on[k] + du[k] + int(rng.integers(-1100, 301)) for k in pick]
    resp_end = sorted(resp_end)
    ref = reference_wasm2016(on, du, side, resp_end, short_imi)

    respiratory = ScoredEvents(np.array(resp_end, float) / 100 - 15.0, np.full(len(resp_end), 15.0),
                               np.full(len(resp_end), "apnea"))
    lms = LegMovements(np.array(on, float) / 100, np.array(du, float) / 100, np.array(side), duration_s=25_000.0,
                       respiratory=respiratory)
    r = plm.score(lms, criteria="wasm2016", short_imi=short_imi)
    t = r.lms
    assert len(t) == len(ref)
    np.testing.assert_allclose(t["onset"], [x[0] / 100 for x in ref], atol=1e-6)
    np.testing.assert_allclose(t["onset"] + t["duration"], [x[1] / 100 for x in ref], atol=1e-6)
    assert list(t["is_clm"]) == [x[2] for x in ref]
    assert list(t["is_clmr"]) == [x[3] for x in ref]
    assert list(t["is_plm"]) == [x[4] for x in ref]
    assert list(t["is_plmnr"]) == [x[5] for x in ref]
    assert list(t["respiratory"]) == [x[6] for x in ref]
    assert r.n_plm > 0 and r.n_clmr > 0 and r.n_lm_bilateral > 0  # the night exercises every rule
    assert (t["respiratory"] & ~t["is_clm"]).any()  # respiratory non-CLMs, which stay in the PLMnr sequence
