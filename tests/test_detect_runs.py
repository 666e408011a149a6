"""Run finding shared by the detectors: hand-worked masks."""
import numpy as np

from plm.detect.runs import bridge_runs, find_runs, first_index_in, keep_long_runs, runs, runs_to_mask


def test_find_runs_hand_example():
    #            0  1  2  3  4  5  6  7  8  9
    m = np.array([1, 1, 0, 0, 1, 0, 1, 1, 1, 0], bool)
    s, e = find_runs(m)
    assert s.tolist() == [0, 4, 6]
    assert e.tolist() == [2, 5, 9]


def test_find_runs_edges_and_empty():
    assert [x.tolist() for x in find_runs(np.ones(4, bool))] == [[0], [4]]
    assert [x.tolist() for x in find_runs(np.zeros(4, bool))] == [[], []]
    assert [x.tolist() for x in find_runs(np.zeros(0, bool))] == [[], []]


def test_bridge_and_min_length():
    # runs [0,2) [4,5) [6,9): gaps 2 and 1
    s, e = np.array([0, 4, 6]), np.array([2, 5, 9])
    # gaps < 2 bridged: only the 1-sample gap between [4,5) and [6,9)
    bs, be = bridge_runs(s, e, 2)
    assert bs.tolist() == [0, 4] and be.tolist() == [2, 9]
    # gaps < 3 bridged: everything joins
    bs, be = bridge_runs(s, e, 3)
    assert bs.tolist() == [0] and be.tolist() == [9]
    ks, ke = keep_long_runs(s, e, 3)
    assert ks.tolist() == [6] and ke.tolist() == [9]


def test_runs_bridges_before_dropping_short():
    m = np.array([1, 0, 1, 0, 0, 0, 1, 0], bool)
    # bridge gaps < 2: [0,3) from [0,1)+[2,3); then min length 3 keeps it, drops [6,7)
    s, e = runs(m, min_length=3, bridge=2)
    assert s.tolist() == [0] and e.tolist() == [3]


def test_runs_to_mask_round_trip():
    rng = np.random.default_rng(0)
    m = rng.random(500) < 0.3
    assert np.array_equal(runs_to_mask(*find_runs(m), len(m)), m)


def test_first_index_in():
    idx = np.array([3, 7, 8, 20])
    lo = np.array([0, 4, 9, 21, 8])
    hi = np.array([3, 8, 20, 30, 9])
    # [0,3): none; [4,8): 7; [9,20): none (20 excluded); [21,30): none; [8,9): 8
    assert first_index_in(idx, lo, hi).tolist() == [-1, 7, -1, -1, 8]
    assert first_index_in(np.zeros(0, int), lo, hi).tolist() == [-1] * 5


def _runs_reference(mask, min_length, bridge):
    """Plain-Python runs, bridging and minimum length: the definition."""
    out, i, n = [], 0, len(mask)
    while i < n:
        if mask[i]:
            j = i
            while j < n and mask[j]:
                j += 1
            out.append([i, j])
            i = j
        else:
            i += 1
    merged = []
    for s, e in out:
        if merged and s - merged[-1][1] < bridge:
            merged[-1][1] = e
        else:
            merged.append([s, e])
    return [r for r in merged if r[1] - r[0] >= min_length]


from hypothesis import given, strategies as st  # noqa: E402


@given(st.lists(st.booleans(), max_size=200), st.integers(0, 6), st.integers(0, 6))
def test_runs_match_the_definition(bits, min_length, bridge):
    s, e = runs(np.array(bits, bool), min_length=min_length, bridge=bridge)
    assert np.column_stack([s, e]).reshape(-1, 2).tolist() == _runs_reference(bits, min_length, bridge)
