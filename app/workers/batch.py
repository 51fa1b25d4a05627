"""The Batch tab's reading off the UI thread: files are read in a QThread, several at once (one per
core, `hwr_core.parallel`), and each reading is sent back in the order queued; Stop ends every queued
job before its next file (the files being read when it comes are finished and sent back).
A searchable PDF of what was read is written there too (every image loaded and encoded: seconds).

Only a small summary of each reading crosses back (`hwr_core.batch.FileSummary`): a page's stages
and per-timestep probabilities would cost megabytes a file, and a batch can hold hundreds.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Sequence

from PySide6.QtCore import QObject, Signal, SignalInstance, Slot

from hwr_core.batch import FileSummary, file_error, file_line_samples, read_files
from hwr_core.errors import HwrError
from hwr_core.layout_export import PageLines
from hwr_core.parallel import default_jobs, in_order
from hwr_core.pdf_export import write_searchable_pdf
from hwr_core.recognizer import Recognizer

from .worker_thread import WorkerThreadOwner

logger = logging.getLogger(__name__)

EVERY_JOB = 1 << 62  # stop_upto(EVERY_JOB) stops every job queued, ever


class _StopMark:
    """Jobs up to this id are stopped; set from the UI thread, read by the worker between files."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._upto = 0

    def stop_upto(self, job: int) -> None:
        with self._lock:
            self._upto = max(self._upto, job)

    def stopped(self, job: int) -> bool:
        with self._lock:
            return job <= self._upto


class BatchWorker(QObject):
    """Lives in a QThread; reads a job's files in order."""

    sig_read = Signal(int, object)  # row key, FileSummary
    sig_samples = Signal(int, object)  # row key, [(line image, text)] or the reason there are none (str)
    sig_job_done = Signal(int)  # job id (ran to the end or was stopped)
    sig_pdf_written = Signal(str, str)  # the PDF's path, why it was not written ("": it was)

    def __init__(self, stop: _StopMark, jobs: int) -> None:
        super().__init__()
        self._stop = stop
        self._jobs = jobs  # files read at once (`hwr_core.parallel`)

    @Slot(int, object, object)
    def run(self, job: int, items: Sequence[tuple[int, str, int, bool]], recognizer: Recognizer) -> None:
        """Each (key, path, degrees to turn it clockwise, whether to turn it further upright if it
        lies on its side or upside down): the file's reading."""
        reader = recognizer.with_jobs(1)  # the cores go to the files, not to one file's lines

        def read(item: tuple[int, str, int, bool]) -> tuple[int, FileSummary]:
            key, path, rotate, upright = item
            (reading,) = read_files(reader, [path], rotate=rotate, upright=upright)
            return key, FileSummary.of(reading)  # summed up in the reading thread, as it is read

        try:
            stopped = functools.partial(self._stop.stopped, job)
            for key, summary in in_order(read, items, self._jobs, stopped):
                self.sig_read.emit(key, summary)
        finally:
            self.sig_job_done.emit(job)

    @Slot(int, object, object)
    def line_samples(
        self, job: int, items: Sequence[tuple[int, str, str, int]], recognizer: Recognizer
    ) -> None:
        """Each (key, path, text, turn): the file's lines paired with the text's (`file_line_samples`),
        several files at once as they are read."""
        reader = recognizer.with_jobs(1)  # the cores go to the files, not to one file's lines

        def pair(item: tuple[int, str, str, int]) -> tuple[int, object]:
            key, path, text, rotate = item
            try:
                return key, file_line_samples(reader, path, text, rotate=rotate)
            except HwrError as exc:
                return key, file_error(path, exc)
            except Exception as exc:  # noqa: BLE001 - one odd file must not end the others
                logger.exception("pairing the lines of %s failed", path)
                return key, f"{path}: {type(exc).__name__}: {exc}"

        try:
            stopped = functools.partial(self._stop.stopped, job)
            for key, samples in in_order(pair, items, self._jobs, stopped):
                self.sig_samples.emit(key, samples)
        finally:
            self.sig_job_done.emit(job)

    @Slot(int, object, object)
    def write_pdf(self, job: int, pages: Sequence[PageLines], path: str) -> None:
        """The pages, each file's image with its reading over it, as one searchable PDF at `path`."""
        try:
            if self._stop.stopped(job):
                return
            try:
                write_searchable_pdf(pages, path)
            except OSError as exc:
                self.sig_pdf_written.emit(path, f"cannot write it: {exc.strerror or exc}")
            except HwrError as exc:  # an image gone or changed since it was read
                self.sig_pdf_written.emit(path, str(exc))
            else:
                self.sig_pdf_written.emit(path, "")
        finally:
            self.sig_job_done.emit(job)


class BatchReader(WorkerThreadOwner):
    """Owns the worker thread. `read()` queues files; `file_read` brings each reading back and
    `idle` says when the queue has run out (or was stopped)."""

    file_read = Signal(int, object)  # row key, FileSummary
    samples_ready = Signal(int, object)  # row key, [(line image, text)] or why there are none (str)
    idle = Signal(bool)  # True when the last job was stopped
    pdf_written = Signal(str, str)  # the PDF's path, why it was not written ("": it was)

    _run = Signal(int, object, object)
    _line_samples = Signal(int, object, object)
    _write_pdf = Signal(int, object, object)

    def __init__(self, parent: QObject | None = None) -> None:
        stop = _StopMark()
        worker = BatchWorker(stop, default_jobs())
        super().__init__(worker, "batch-reading", functools.partial(stop.stop_upto, EVERY_JOB), parent)
        self._stop = stop
        self._last_job = 0
        self._open_jobs: set[int] = set()
        self._stopped = False
        self._run.connect(worker.run)
        self._line_samples.connect(worker.line_samples)
        self._write_pdf.connect(worker.write_pdf)
        worker.sig_pdf_written.connect(self.pdf_written)
        worker.sig_samples.connect(self.samples_ready)
        worker.sig_read.connect(self.file_read)
        worker.sig_job_done.connect(self._on_job_done)

    def is_busy(self) -> bool:
        return bool(self._open_jobs)

    def read(self, items: Sequence[tuple[int, str, int, bool]], recognizer: Recognizer) -> None:
        """Queue (row key, file path, degrees to turn it, upright: see `BatchWorker.run`), read
        after any already queued."""
        self._queue(self._run, items, recognizer)

    def line_samples(self, items: Sequence[tuple[int, str, str, int]], recognizer: Recognizer) -> None:
        """Queue (row key, file path, its text, degrees to turn it) for Teach samples: `samples_ready`
        brings each back."""
        self._queue(self._line_samples, items, recognizer)

    def write_pdf(self, pages: Sequence[PageLines], path: str) -> None:
        """Queue writing `pages` as one searchable PDF at `path`: `pdf_written` says how it went."""
        self._queue(self._write_pdf, pages, path)

    def _queue(self, job_signal: SignalInstance, items: Sequence[object], argument: object) -> None:
        """A job for the worker: `job_signal`'s slot gets (job id, items, `argument`: the recognizer,
        or the PDF's path)."""
        if not self._running:
            raise RuntimeError("batch reader is shut down")
        if not items:
            return
        self._last_job += 1
        self._open_jobs.add(self._last_job)
        self._stopped = False
        job_signal.emit(self._last_job, list(items), argument)

    def stop(self) -> None:
        """Stop every queued job before its next file (the file being read finishes first)."""
        if self._open_jobs:
            self._stopped = True
            self._stop.stop_upto(self._last_job)

    @Slot(int)
    def _on_job_done(self, job: int) -> None:
        self._open_jobs.discard(job)
        if not self._open_jobs:
            self.idle.emit(self._stopped)
