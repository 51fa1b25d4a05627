"""Recognition off the UI thread, where the latest request wins.

The UI submits on every debounced change; older requests still queued are skipped by the worker
(it checks a shared, locked "latest id" before starting), and results that arrive after a newer
submit are dropped by the controller. So the screen only ever shows the newest input's result.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from hwr_core.canvas_ink import Point, reading_renders
from hwr_core.errors import HwrError
from hwr_core.recognizer import Recognizer

from .worker_thread import WorkerThreadOwner

logger = logging.getLogger(__name__)


class LatestRequest:
    """The newest submitted request id, shared between the UI thread and the worker thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._id = 0

    def next(self) -> int:
        with self._lock:
            self._id += 1
            return self._id

    def get(self) -> int:
        with self._lock:
            return self._id

    def is_current(self, request_id: int) -> bool:
        with self._lock:
            return request_id == self._id


class RecognitionWorker(QObject):
    """Lives in a QThread; runs `Recognizer.recognize` (always with stages) for current requests."""

    sig_result = Signal(int, object)  # request id, RecognitionResult
    sig_error = Signal(int, str)  # request id, one-line message
    sig_prepared = Signal()

    def __init__(self, latest: LatestRequest) -> None:
        super().__init__()
        self._latest = latest

    def _stale(self, request_id: int) -> bool:
        if self._latest.is_current(request_id):
            return False
        logger.debug("skipping superseded recognition request %d", request_id)
        return True

    @Slot(int, object, object, bool, object)
    def recognize(
        self,
        request_id: int,
        image: np.ndarray,
        recognizer: Recognizer,
        upright: bool = False,
        strokes: list[list[Point]] | None = None,
    ) -> None:
        """Read an image of one or more lines (`Recognizer.recognize_page`; `upright`: turned first
        where its writing lies on its side or upside down, `recognize_upright`; a drawing, `image`
        being its `strokes` drawn with the reading pen: drawn with other pens too where that
        reading is unsure, the surest reading kept, `recognize_drawn`), keeping every line's
        evidence; a newer request arriving between lines ends it unread."""
        if self._stale(request_id):
            return

        def should_stop() -> bool:
            return self._stale(request_id)

        start = time.perf_counter()
        try:
            if strokes is not None:
                renders = reading_renders(strokes, first=image)
                result = recognizer.recognize_drawn(renders, keep_stages=True, should_stop=should_stop)
            else:
                read = recognizer.recognize_upright if upright else recognizer.recognize_page
                result = read(image, keep_stages=True, should_stop=should_stop)
        except Exception as exc:  # noqa: BLE001 - any failure must reach the UI as a message
            self._fail(request_id, exc)
            return
        if result is not None:
            elapsed = (time.perf_counter() - start) * 1000
            self.sig_result.emit(request_id, dataclasses.replace(result, elapsed_ms=elapsed))

    @Slot(object)
    def prepare(self, recognizer: Recognizer) -> None:
        """Load what the first read needs (word list, character model, engine) ahead of it."""
        try:
            recognizer.prepare()
        except Exception:  # noqa: BLE001 - the first read meets the same error and reports it
            logger.debug("preparing the recognizer failed", exc_info=True)
        self.sig_prepared.emit()

    def _fail(self, request_id: int, exc: Exception) -> None:
        if isinstance(exc, HwrError):
            message = str(exc)
        else:
            logger.exception("recognition failed")
            message = f"recognition failed: {type(exc).__name__}: {exc}"
        self.sig_error.emit(request_id, message)


class RecognitionController(WorkerThreadOwner):
    """Owns the worker thread; `submit()` returns a request id; only the newest result is emitted."""

    result_ready = Signal(int, object)  # request id, RecognitionResult (only the latest request's)
    failed = Signal(int, str)  # request id, message (only the latest request's)
    busy_changed = Signal(bool)
    prepared = Signal()  # a `prepare()` finished (for tests and the curious)

    _request = Signal(int, object, object, bool, object)
    _prepare = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        latest = LatestRequest()
        worker = RecognitionWorker(latest)
        super().__init__(worker, "recognition", latest.next, parent)  # a new id: the queue is stale
        self._latest = latest
        self._answered = 0
        self._request.connect(worker.recognize)
        self._prepare.connect(worker.prepare)
        worker.sig_prepared.connect(self.prepared)
        worker.sig_result.connect(self._on_result)
        worker.sig_error.connect(self._on_error)

    @property
    def latest_id(self) -> int:
        return self._latest.get()

    def is_busy(self) -> bool:
        return self._running and self._answered < self._latest.get()

    def submit(
        self,
        image: np.ndarray,
        recognizer: Recognizer,
        upright: bool = False,
        strokes: list[list[Point]] | None = None,
    ) -> int:
        """Queue an image of one or more lines (split in the worker, not on the UI thread; turned
        upright first if need be when `upright`; a drawing's `strokes`, `image` being them drawn
        with the reading pen: see `RecognitionWorker.recognize`); supersedes every earlier request."""
        if not self._running:
            raise RuntimeError("recognition controller is shut down")
        request_id = self._latest.next()
        self._request.emit(request_id, image, recognizer, upright, strokes)
        self.busy_changed.emit(True)
        return request_id

    def prepare(self, recognizer: Recognizer) -> None:
        """Warm `recognizer` up in the worker thread; not a request: a read submitted meanwhile
        waits behind it, and `prepared` is emitted when it is done."""
        if self._running:
            self._prepare.emit(recognizer)

    def cancel(self) -> None:
        """Forget every pending request (e.g. the canvas was cleared): their results are dropped."""
        self._answered = self._latest.next()
        self.busy_changed.emit(False)

    @Slot(int, object)
    def _on_result(self, request_id: int, result: object) -> None:
        if request_id != self._latest.get():
            logger.debug("dropping result of superseded request %d", request_id)
            return
        self._answered = request_id
        self.busy_changed.emit(False)
        self.result_ready.emit(request_id, result)

    @Slot(int, str)
    def _on_error(self, request_id: int, message: str) -> None:
        if request_id != self._latest.get():
            return
        self._answered = request_id
        self.busy_changed.emit(False)
        self.failed.emit(request_id, message)
