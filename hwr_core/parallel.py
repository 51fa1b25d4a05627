"""Reading many files on several cores at once, each result handed on in its turn.

A read is about half C code that lets other threads run (OpenCV, numpy, onnxruntime) and half
Python that holds the interpreter's lock (beam search, above all). Two files read side by side in
threads therefore overlap well: on the 2-core development machine, val lines of IAM, Cinnamon and
VNOnDB and Kaggle's name crops read 1.2-1.9x as fast two at a time, VNOnDB's single words 0.9-1.25x
(three runs of `benchmarks/batch_jobs.py`). More threads than cores cannot help, and beyond a few
the Python parts queue for the lock while each file in flight holds its image: `default_jobs`
stops at `MAX_JOBS`.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

MAX_JOBS = 4  # files read at once by default, at most (see the module's note)
_AHEAD = 2  # items queued per thread ahead of the one handed on next


def default_jobs() -> int:
    """Files to read at once: one per core, at most `MAX_JOBS`."""
    return max(1, min(MAX_JOBS, os.cpu_count() or 1))


def in_order(
    work: Callable[[T], R],
    items: Iterable[T],
    jobs: int = 1,
    should_stop: Callable[[], bool] | None = None,
) -> Iterator[R]:
    """`work(item)` for every item, yielded in the items' order, `jobs` of them running at once
    (1: one after the other, in the calling thread). At most 2 x `jobs` items are queued ahead of
    the one yielded next, so a long list is not all read into memory before it is used.

    `should_stop` is asked before each item is queued: once it says True nothing more is queued or
    started, the items already running are finished and handed on (in order), and the iterator
    ends. Closing the iterator early starts nothing more either. `work` should report its own failures
    in its result: an exception it raises ends the iteration.
    """
    stopped = should_stop or (lambda: False)
    if jobs <= 1:
        for item in items:
            if stopped():
                return
            yield work(item)
        return
    pending: deque[Future[R]] = deque()
    remaining = iter(items)
    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="hwr-read") as pool:
        try:
            while True:
                while not stopped() and len(pending) < _AHEAD * jobs:
                    item = next(remaining, _END)
                    if item is _END:
                        break
                    pending.append(pool.submit(work, item))  # type: ignore[arg-type]
                if stopped():
                    # the pool starts items in turn: those running are the first few pending
                    running = [future for future in pending if not future.cancel()]
                    pending.clear()
                    for future in running:
                        yield future.result()
                    return
                if not pending:
                    return
                yield pending.popleft().result()
        finally:
            for future in pending:  # closed early: what has not started never starts
                future.cancel()


_END = object()
