"""Reading many files at once (`hwr_core.parallel`): results in order, work side by side, bounded
look-ahead, stopping."""

import threading
import time

import pytest

from hwr_core.parallel import default_jobs, in_order

WAIT = 10.0  # seconds a barrier waits before failing the test instead of hanging it


def test_results_come_in_the_items_order_whatever_finishes_first():
    def slow_first(i: int) -> int:
        time.sleep(0.02 * (5 - i))  # the first item finishes last
        return i * i

    assert list(in_order(slow_first, range(6), jobs=3)) == [0, 1, 4, 9, 16, 25]
    assert list(in_order(slow_first, range(6), jobs=1)) == [0, 1, 4, 9, 16, 25]
    assert list(in_order(slow_first, [], jobs=3)) == []


def test_several_jobs_run_side_by_side_and_one_runs_in_the_callers_thread():
    both = threading.Barrier(2, timeout=WAIT)  # passes only when two items run at once

    def meet(i: int) -> int:
        both.wait()
        return i

    assert list(in_order(meet, range(4), jobs=2)) == [0, 1, 2, 3]
    caller = threading.get_ident()
    assert set(in_order(lambda _: threading.get_ident(), range(3), jobs=1)) == {caller}
    assert caller not in set(in_order(lambda _: threading.get_ident(), range(3), jobs=2))


def test_only_a_few_items_are_started_ahead_of_the_one_handed_on():
    started = []
    lock = threading.Lock()

    def note(i: int) -> int:
        with lock:
            started.append(i)
        return i

    results = in_order(note, range(100), jobs=2)
    assert next(results) == 0
    time.sleep(0.05)
    assert len(started) <= 5  # the one handed on and 2 per thread ahead of the next
    results.close()  # closing it early starts nothing more
    time.sleep(0.05)
    assert len(started) <= 5


@pytest.mark.parametrize("jobs", [1, 3])
def test_a_stop_starts_nothing_more_and_what_runs_is_finished_and_handed_on(jobs):
    stop = threading.Event()
    release = threading.Event()  # items from 3 on wait for it: they run when the stop comes
    started = []
    lock = threading.Lock()

    def work(i: int) -> int:
        with lock:
            started.append(i)
        if i >= 3:
            release.wait(WAIT)
        return i

    seen = []
    for result in in_order(work, range(50), jobs=jobs, should_stop=stop.is_set):
        seen.append(result)
        if result == 2:
            stop.set()
            threading.Timer(0.2, release.set).start()
    assert seen[:3] == [0, 1, 2] and seen == list(range(len(seen)))  # in order, none skipped
    assert sorted(started) == seen  # every item started was handed on ...
    assert len(seen) <= 3 + (jobs if jobs > 1 else 0)  # ... and none was started after the stop


def test_a_failure_in_the_work_ends_the_iteration_with_it():
    def fails_on_two(i: int) -> int:
        if i == 2:
            raise ValueError("two")
        return i

    results = in_order(fails_on_two, range(5), jobs=2)
    assert [next(results), next(results)] == [0, 1]
    with pytest.raises(ValueError, match="two"):
        next(results)


def test_default_jobs_is_one_per_core_up_to_four(monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert default_jobs() == 2
    monkeypatch.setattr("os.cpu_count", lambda: 16)
    assert default_jobs() == 4
    monkeypatch.setattr("os.cpu_count", lambda: None)
    assert default_jobs() == 1
