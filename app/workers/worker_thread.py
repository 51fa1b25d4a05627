"""A worker that lives in its own QThread for as long as its owner does.

The recognition controller and the Batch tab's reader both own one: the thread starts at once, and
`shutdown()` (also run at the application's exit, and as a last resort when the owner is destroyed
without it) makes the worker skip what is still queued, then quits the thread and waits for it: a
QThread destroyed while running aborts the process.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QObject, QThread, Slot


def _stop_thread(thread: QThread, skip_queued: Callable[[], object]) -> None:
    """The last resort: the owner is being destroyed (no `self` to use), the thread may still run."""
    try:
        if thread.isRunning():
            skip_queued()
            thread.quit()
            thread.wait()
    except RuntimeError:  # the C++ thread is already gone
        pass


class WorkerThreadOwner(QObject):
    """Moves `worker` to a new thread named `name` and starts it. `skip_queued` makes the worker skip
    every request still queued; it must not hold the owner (it may run while the owner is destroyed)."""

    def __init__(
        self, worker: QObject, name: str, skip_queued: Callable[[], object], parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._skip_queued = skip_queued
        self._thread = QThread(self)
        self._thread.setObjectName(name)
        self._worker = worker
        worker.moveToThread(self._thread)  # cross-thread connections are queued: its slots run there
        self._thread.finished.connect(worker.deleteLater)
        self._thread.start()
        self._running = True
        self.destroyed.connect(functools.partial(_stop_thread, self._thread, skip_queued))
        app = QCoreApplication.instance()
        if app is not None:  # safety net: a running QThread must not be destroyed at exit
            app.aboutToQuit.connect(self.shutdown)

    def is_running(self) -> bool:
        return self._running and self._thread.isRunning()

    @Slot()
    def shutdown(self) -> None:
        """Skip what is queued, stop the thread and wait for it (the request being served finishes
        first). Idempotent."""
        if not self._running:
            return
        self._running = False
        self._skip_queued()
        self._thread.quit()
        self._thread.wait()
        app = QCoreApplication.instance()
        if app is not None:
            try:
                app.aboutToQuit.disconnect(self.shutdown)
            except (RuntimeError, TypeError):
                pass
