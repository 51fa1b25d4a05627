"""Measures how long the Qt event loop goes without running a 10 ms timer: the UI's longest stall."""

from __future__ import annotations

import gc
import time

from PySide6.QtCore import QTimer

from app.main import freeze_startup_heap


class StallProbe:
    """Start it, let the UI work, stop it; `worst` is the longest gap between two timer ticks (s)."""

    def __init__(self, interval_ms: int = 10) -> None:
        self.gaps: list[float] = []
        self.gc_pauses: list[float] = []  # full collections during the probe (s): the usual long stall
        self._gc_start = 0.0
        self._last = 0.0
        self._timer = QTimer()
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append(now - self._last)
        self._last = now

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._gc_start = time.perf_counter()
        else:
            self.gc_pauses.append(time.perf_counter() - self._gc_start)

    def start(self) -> None:
        # As the app does after startup: what exists now, here the whole test session's heap, is
        # exempt from collection, so only the work under test counts.
        freeze_startup_heap()
        gc.callbacks.append(self._on_gc)
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        gc.callbacks.remove(self._on_gc)
        gc.unfreeze()

    @property
    def worst(self) -> float:
        return max(self.gaps, default=0.0)

    def percentile(self, q: float) -> float:
        ordered = sorted(self.gaps)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0

    def summary(self) -> str:
        return (
            f"longest UI stall {self.worst * 1000:.0f} ms, p99 {self.percentile(0.99) * 1000:.0f} ms "
            f"over {len(self.gaps)} ticks; {len(self.gc_pauses)} full GCs, "
            f"longest {max(self.gc_pauses, default=0.0) * 1000:.0f} ms"
        )
