"""Training off the UI thread: a `TrainingWorker` iterates `Trainer.fit()` in a QThread and re-emits its events.

The worker follows the spyder worker pattern: `sig_`-prefixed signals, results travel in the
signals (the UI never reads worker attributes), and `sig_done` is always emitted in a `finally`.
Stop and pause are `threading.Event`s read by the trainer's `should_stop` callback between
batches, so they are safe to set from the UI thread. `TrainingController` owns the thread.

`FunctionRunner` runs one callable in a thread (e.g. the training tab's "Check data").
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, Signal, Slot

from hwr_core.config import TrainConfig
from hwr_core.data.builder import TrainingSetup, build_training
from hwr_core.data.records import Record
from hwr_core.errors import HwrError
from hwr_core.training import (
    CHECKPOINT_NAME,
    BatchEnd,
    CheckpointSaved,
    EpochEnd,
    Trainer,
    TrainingFinished,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainingRequest:
    """Everything a run needs, as plain picklable values (the form's snapshot at Start)."""

    data: list[str]  # spec strings: [kind:]PATH[?split=..&weight=..]
    val: list[str] | None  # None: the val split of each tsv source; []: no validation
    cfg: TrainConfig
    out_dir: str
    init: str | None = None  # model file to fine-tune, None: from scratch
    variant: str = "small"
    height: int = 32
    extend_charset: bool = False
    resume: bool = False  # continue from out_dir's last checkpoint when there is one
    extra_records: tuple[Record, ...] = field(default=())
    torch_threads: int = 0  # CPU threads for torch during the run; 0: all cores but one


def build_setup(request: TrainingRequest) -> TrainingSetup:
    """The request's model, mixture and validation set (reads label files: call off the UI thread)."""
    return build_training(
        data=request.data,
        val=request.val,
        cfg=request.cfg,
        init=request.init,
        variant=request.variant,
        height=request.height,
        extend_charset=request.extend_charset,
        resume_dir=Path(request.out_dir) if request.resume else None,
        extra_records=request.extra_records,
    )


def training_threads(requested: int = 0) -> int:
    """0 -> all usable cores but one: the UI thread keeps a core, and torch's workers are not
    oversubscribed (on a busy 2-core machine 2 threads ran a tiny model ~5x slower than 1)."""
    if requested > 0:
        return requested
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, cores - 1)


def one_line(exc: BaseException) -> str:
    """An exception as one line for a status bar."""
    text = " ".join(str(exc).split())
    if isinstance(exc, HwrError):
        return text or type(exc).__name__
    return (
        f"unexpected error ({type(exc).__name__}): {text}"
        if text
        else f"unexpected error: {type(exc).__name__}"
    )


class TrainingWorker(QObject):
    """Builds the training setup and runs `Trainer.fit`; meant to be moved to a QThread.

    Signals (all queued to the UI thread when connected there):
    - sig_setup(list[str]): the data report lines, once the setup is built
    - sig_batch(BatchEnd), sig_epoch(EpochEnd), sig_checkpoint(CheckpointSaved)
    - then exactly one of sig_finished(TrainingFinished) (completed / early_stopping),
      sig_cancelled(TrainingFinished) (reason "stopped") or sig_failed(str) (one line)
    - sig_done(): always last
    """

    sig_setup = Signal(list)
    sig_batch = Signal(object)
    sig_epoch = Signal(object)
    sig_checkpoint = Signal(object)
    sig_finished = Signal(object)
    sig_cancelled = Signal(object)
    sig_failed = Signal(str)
    sig_done = Signal()

    def __init__(self, request: TrainingRequest, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._request = request
        self._stop = threading.Event()
        self._resume = threading.Event()
        self._resume.set()  # set = running, cleared = paused

    # -- called from the UI thread

    def request_stop(self) -> None:
        self._stop.set()
        self._resume.set()  # wake a paused run so it sees the stop at once

    def request_pause(self) -> None:
        if not self._stop.is_set():
            self._resume.clear()

    def request_resume(self) -> None:
        self._resume.set()

    # -- runs in the worker thread

    def _should_stop(self) -> bool:
        # While paused, park here: waiting on the event costs no CPU and wakes on resume or stop.
        while not self._resume.is_set() and not self._stop.is_set():
            self._resume.wait(0.1)
        return self._stop.is_set()

    @Slot()
    def run(self) -> None:
        req = self._request
        started = time.perf_counter()
        threads_before = torch.get_num_threads()
        try:
            torch.set_num_threads(training_threads(req.torch_threads))
            out_dir = Path(req.out_dir)
            setup = build_setup(req)
            self.sig_setup.emit(setup.report_lines())
            if self._should_stop():  # stopped while the data was being read: nothing to save yet
                ckpt = out_dir / CHECKPOINT_NAME
                self.sig_cancelled.emit(
                    TrainingFinished(
                        "stopped",
                        0,
                        None,
                        None,
                        ckpt if ckpt.exists() else None,
                        time.perf_counter() - started,
                    )
                )
                return
            run_info = {"command": "hwr-studio train tab", "data": setup.data_summary()}
            trainer = Trainer(
                setup.bundle, setup.train_set, setup.val_set, req.cfg, out_dir, req.resume, run_info
            )
            for ev in trainer.fit(self._should_stop):
                if isinstance(ev, BatchEnd):
                    self.sig_batch.emit(ev)
                elif isinstance(ev, EpochEnd):
                    self.sig_epoch.emit(ev)
                elif isinstance(ev, CheckpointSaved):
                    self.sig_checkpoint.emit(ev)
                elif isinstance(ev, TrainingFinished):
                    if ev.reason == "stopped":
                        self.sig_cancelled.emit(ev)
                    else:
                        self.sig_finished.emit(ev)
        except HwrError as e:
            log.info("training failed: %s", e)
            self.sig_failed.emit(one_line(e))
        except Exception as e:  # a bug, not a user error: keep the traceback in the log
            log.exception("training crashed")
            self.sig_failed.emit(one_line(e))
        finally:
            torch.set_num_threads(threads_before)
            self.sig_done.emit()


class _Relay(QObject):
    """Lives in the UI thread and hands one run's worker signals to its owner.

    Each run gets a fresh relay; the owner ignores relays other than the current one, so queued
    signals of a run that was already reaped (after `shutdown`, or a quick restart) are dropped.
    """

    def __init__(self, owner: _RelayOwner) -> None:
        super().__init__(owner)
        self._owner = owner

    def _pass(self, name: str, payload: Any = None) -> None:
        self._owner._deliver(self, name, payload)

    @Slot(list)
    def setup(self, lines: list[str]) -> None:
        self._pass("setup", lines)

    @Slot(object)
    def batch(self, ev: Any) -> None:
        self._pass("batch", ev)

    @Slot(object)
    def epoch(self, ev: Any) -> None:
        self._pass("epoch", ev)

    @Slot(object)
    def checkpoint(self, ev: Any) -> None:
        self._pass("checkpoint", ev)

    @Slot(object)
    def finished(self, ev: Any) -> None:
        self._pass("finished", ev)

    @Slot(object)
    def cancelled(self, ev: Any) -> None:
        self._pass("cancelled", ev)

    @Slot(object)
    def result(self, value: Any) -> None:
        self._pass("result", value)

    @Slot(str)
    def failed(self, message: str) -> None:
        self._pass("failed", message)

    @Slot()
    def done(self) -> None:
        self._pass("done")


class _RelayOwner(QObject):
    """Owns one QThread + worker at a time; subclasses map relay deliveries to their signals."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: QThread | None = None
        self._worker: QObject | None = None
        self._relay: _Relay | None = None

    def _launch(self, worker: QObject, name: str) -> _Relay:
        thread = QThread()
        thread.setObjectName(name)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)  # type: ignore[attr-defined]
        relay = _Relay(self)
        # Direct: quitting must not depend on the UI event loop, which may be blocked in wait().
        worker.sig_done.connect(thread.quit, Qt.ConnectionType.DirectConnection)  # type: ignore[attr-defined]
        worker.sig_done.connect(relay.done)  # type: ignore[attr-defined]
        self._thread, self._worker, self._relay = thread, worker, relay
        return relay

    def _reap(self, timeout_ms: int) -> bool:
        """Wait for the thread and drop this run's objects; False if it is still running."""
        if self._thread is None:
            return True
        if not self._thread.wait(timeout_ms):
            return False
        if self._relay is not None:
            self._relay.deleteLater()  # pending stale events die with it
        # The thread has ended, so dropping the last references deletes worker and thread safely.
        self._thread, self._worker, self._relay = None, None, None
        return True

    def _deliver(self, relay: _Relay, name: str, payload: Any) -> None:
        if relay is self._relay:
            self._on_event(name, payload)

    def _on_event(self, name: str, payload: Any) -> None:
        raise NotImplementedError


class TrainingController(_RelayOwner):
    """Starts runs in a QThread and forwards their signals (same names as `TrainingWorker`'s).

    `is_running()` turns False as soon as the final signal (finished/cancelled/failed) reaches the
    UI thread, so a handler of those signals may start the next run at once.
    """

    sig_setup = Signal(list)
    sig_batch = Signal(object)
    sig_epoch = Signal(object)
    sig_checkpoint = Signal(object)
    sig_finished = Signal(object)
    sig_cancelled = Signal(object)
    sig_failed = Signal(str)
    sig_done = Signal()
    sig_paused = Signal(bool)  # True when paused, False when resumed

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ended = True
        self._paused = False
        app = QCoreApplication.instance()
        if app is not None:
            # Safety net for an owner that forgot shutdown(): a QThread destroyed while running aborts.
            app.aboutToQuit.connect(self._on_about_to_quit)

    @Slot()
    def _on_about_to_quit(self) -> None:
        if self._thread is not None:
            self.shutdown(30_000)

    def _training_worker(self) -> TrainingWorker | None:
        return self._worker if isinstance(self._worker, TrainingWorker) else None

    def is_running(self) -> bool:
        return self._thread is not None and not self._ended

    def is_paused(self) -> bool:
        return self.is_running() and self._paused

    def start(self, request: TrainingRequest) -> None:
        """Start a run; raises RuntimeError if one is still going."""
        if self._thread is not None:
            if not self._ended:
                raise RuntimeError("a training run is already going")
            # The last run has sent its result and is only leaving run(): reap it now.
            if not self._reap(5000):
                raise RuntimeError("the previous training thread does not end")
        worker = TrainingWorker(request)
        relay = self._launch(worker, "training")
        worker.sig_setup.connect(relay.setup)
        worker.sig_batch.connect(relay.batch)
        worker.sig_epoch.connect(relay.epoch)
        worker.sig_checkpoint.connect(relay.checkpoint)
        worker.sig_finished.connect(relay.finished)
        worker.sig_cancelled.connect(relay.cancelled)
        worker.sig_failed.connect(relay.failed)
        self._ended = False
        self._paused = False
        assert self._thread is not None
        self._thread.start()

    def pause(self) -> None:
        worker = self._training_worker()
        if worker is not None and self.is_running() and not self._paused:
            worker.request_pause()
            self._paused = True
            self.sig_paused.emit(True)

    def resume(self) -> None:
        worker = self._training_worker()
        if worker is not None and self._paused:
            worker.request_resume()
            self._paused = False
            self.sig_paused.emit(False)

    def stop(self) -> None:
        """Ask the run to stop before its next batch; the trainer saves a checkpoint first."""
        worker = self._training_worker()
        if worker is not None:
            worker.request_stop()
        self._paused = False

    def wait(self, timeout_ms: int = 30_000) -> bool:
        """Block until the run's thread has ended; True if it did (or there was none)."""
        return True if self._thread is None else bool(self._thread.wait(timeout_ms))

    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        """Stop (saving a checkpoint) and wait, e.g. when the app closes; signals still queued are dropped."""
        self.stop()
        if not self._reap(timeout_ms):
            log.warning("the training thread did not end within %d ms", timeout_ms)
            return False
        self._ended = True
        return True

    def _on_event(self, name: str, payload: Any) -> None:
        if name in ("finished", "cancelled", "failed"):
            self._ended = True
            self._paused = False
        if name == "done":
            self._ended = True
            self._reap(5000)
            self.sig_done.emit()
            return
        getattr(self, f"sig_{name}").emit(payload)


class FunctionWorker(QObject):
    """Runs `fn()` once in the thread it lives in: sig_result(value) or sig_error(one line), then sig_done."""

    sig_result = Signal(object)
    sig_error = Signal(str)
    sig_done = Signal()

    def __init__(self, fn: Callable[[], Any], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._fn = fn

    @Slot()
    def run(self) -> None:
        try:
            result = self._fn()
        except HwrError as e:
            self.sig_error.emit(one_line(e))
        except Exception as e:
            log.exception("background task crashed")
            self.sig_error.emit(one_line(e))
        else:
            self.sig_result.emit(result)
        finally:
            self.sig_done.emit()


class FunctionRunner(_RelayOwner):
    """Runs one callable at a time in a QThread: sig_result(value) or sig_error(str), then sig_done."""

    sig_result = Signal(object)
    sig_error = Signal(str)
    sig_done = Signal()

    def is_running(self) -> bool:
        return self._thread is not None

    def start(self, fn: Callable[[], Any]) -> None:
        if self._thread is not None:
            raise RuntimeError("a background task is already running")
        worker = FunctionWorker(fn)
        relay = self._launch(worker, "function-worker")
        worker.sig_result.connect(relay.result)
        worker.sig_error.connect(relay.failed)
        assert self._thread is not None
        self._thread.start()

    def wait(self, timeout_ms: int = 30_000) -> bool:
        """Block until the task's thread has ended (its result is then dropped)."""
        return self._reap(timeout_ms)

    def _on_event(self, name: str, payload: Any) -> None:
        if name == "result":
            self.sig_result.emit(payload)
        elif name == "failed":
            self.sig_error.emit(payload)
        elif name == "done":
            self._reap(5000)
            self.sig_done.emit()
