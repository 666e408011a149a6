"""plm.threads: results in order, errors as without threads."""
import threading

import pytest

from plm.threads import available_cpus, map_in_threads


def test_available_cpus_is_a_positive_count():
    assert available_cpus() >= 1


@pytest.mark.parametrize("threads", [None, 1, 2, 5])
def test_results_come_back_in_item_order(threads):
    assert map_in_threads(lambda v: v * v, range(7), threads) == [0, 1, 4, 9, 16, 25, 36]


def test_one_thread_runs_in_the_calling_thread():
    caller = threading.get_ident()
    assert map_in_threads(lambda _: threading.get_ident(), [1, 2, 3], threads=1) == [caller] * 3


def test_two_threads_really_run_two_items_at_once():
    # each call waits until the other has started: one thread would wait forever (timeout -> False)
    barrier = threading.Barrier(2, timeout=5)

    def meet(_):
        barrier.wait()
        return True

    assert map_in_threads(meet, ["left", "right"], threads=2) == [True, True]


def test_the_first_failing_item_in_order_is_raised():
    def fail_on(v):
        if v in (1, 3):
            raise ValueError(f"item {v}")
        return v

    with pytest.raises(ValueError, match="item 1"):
        map_in_threads(fail_on, range(5), threads=2)
