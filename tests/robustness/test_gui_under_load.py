"""The GUI under sustained load: a minute of drawing with recognition running, and a training run of
thousands of batches; and a new model's first read while the pen moves. Each measures the longest
event-loop stall, prints it, and bounds it.

HWR_LOAD_SECONDS shortens or lengthens the drawing test (default 60 s, as the robustness issue asks).
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

import pytest
import torch
from PySide6.QtCore import QPoint, QSettings, Qt, QTimer
from PySide6.QtTest import QTest
from testdata import write_word_set
from uiprobe import StallProbe

from app.active_model import ActiveModel
from app.widgets.recognize_tab import DEBOUNCE_MS, RecognizeTab
from app.widgets.train_tab import TrainTab
from app.workers.training import TrainingRequest
from hwr_core.charset import CTCCodec
from hwr_core.config import TrainConfig
from hwr_core.modelfile import new_bundle
from hwr_core.recognizer import RecognitionResult
from hwr_core.training import BatchEnd

STALL_BOUND_S = 0.25
# A model's first read builds its 8-bit engine: onnxruntime's quantizer quantizes weights row by row
# in many small numpy calls, each releasing and retaking the GIL, and the UI thread loses those
# races (CPython's GIL gives a waiting thread no turn while the holder keeps changing hands): 0.1-0.25 s
# measured on the 2-core machine. The app does it while nobody writes (the warm-up after the window
# shows or a model loads) and keeps the result (hwr_core/engine_cache.py; not here: a fresh model,
# no cache); this bound is for a writer who starts at once, and catches a freeze.
FIRST_READ_BOUND_S = 0.6
DRAW_SECONDS = float(os.environ.get("HWR_LOAD_SECONDS", "60"))


class ScriptedWriter:
    """Drives real mouse events into the canvas from a 16 ms timer, like a person writing words:
    wavy strokes, a pause longer than the debounce after each word (so recognition starts while the
    next word is written), and Clear after a few words."""

    POINTS_PER_STROKE = 24
    STROKES_PER_WORD = 3
    WORDS_PER_PAGE = 4

    def __init__(self, tab: RecognizeTab) -> None:
        self.tab = tab
        self.canvas = tab.canvas
        self.strokes = 0
        self.clears = 0
        self._point = -1  # index along the current stroke; -1: pen up
        self._pause_until = 0.0
        self._timer = QTimer()
        self._timer.setInterval(16)
        self._timer.timeout.connect(self._step)

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        if self._point >= 0:
            QTest.mouseRelease(self.canvas, Qt.MouseButton.LeftButton, pos=self._pos(self._point))

    def _pos(self, i: int) -> QPoint:
        on_page = self.strokes % (self.STROKES_PER_WORD * self.WORDS_PER_PAGE)
        x0 = 20 + 55 * on_page
        width = max(200, self.canvas.width() - 80)
        x = x0 % width + 2 * i
        y = self.canvas.height() / 2 + 25 * math.sin(i / 3 + self.strokes)
        return QPoint(int(x), int(y))

    def _step(self) -> None:
        now = time.perf_counter()
        if now < self._pause_until:
            return
        if self._point < 0:
            self._point = 0
            QTest.mousePress(self.canvas, Qt.MouseButton.LeftButton, pos=self._pos(0))
        elif self._point < self.POINTS_PER_STROKE:
            self._point += 1
            QTest.mouseMove(self.canvas, self._pos(self._point))
        else:
            QTest.mouseRelease(self.canvas, Qt.MouseButton.LeftButton, pos=self._pos(self._point))
            self._point = -1
            self.strokes += 1
            if self.strokes % self.STROKES_PER_WORD == 0:
                self._pause_until = now + (DEBOUNCE_MS + 100) / 1000
            if self.strokes % (self.STROKES_PER_WORD * self.WORDS_PER_PAGE) == 0:
                self.tab.canvas.clear()
                self.clears += 1


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


def _recognize_tab(qtbot, settings: QSettings) -> RecognizeTab:  # type: ignore[no-untyped-def]
    torch.manual_seed(0)
    active = ActiveModel(new_bundle("small", CTCCodec()))  # the shipped variant's real cost
    tab = RecognizeTab(active, settings)
    qtbot.addWidget(tab)
    tab.resize(1200, 800)
    return tab


def _draw(qtbot, tab: RecognizeTab, seconds: float) -> tuple[ScriptedWriter, StallProbe, list, list]:  # type: ignore[no-untyped-def]
    """Write for `seconds` while the probe runs; then the results and error messages seen."""
    results: list[RecognitionResult] = []
    errors: list[str] = []
    tab.result_ready.connect(results.append)
    tab.status_message.connect(errors.append)
    writer = ScriptedWriter(tab)
    probe = StallProbe()
    probe.start()
    writer.start()
    qtbot.wait(int(seconds * 1000))
    writer.stop()
    probe.stop()
    qtbot.wait(DEBOUNCE_MS + 500)  # the last word's recognition
    tab.shutdown()
    return writer, probe, results, errors


def test_a_minute_of_drawing_while_recognising(qtbot, settings) -> None:  # type: ignore[no-untyped-def]
    tab = _recognize_tab(qtbot, settings)
    # As when the app opens: nobody writes yet, so the tab's warm-up builds the engine first.
    with qtbot.waitSignal(tab._controller.prepared, timeout=120_000):
        tab.show()
    writer, probe, results, errors = _draw(qtbot, tab, DRAW_SECONDS)
    print(
        f"\n{DRAW_SECONDS:.0f} s of drawing: {writer.strokes} strokes, {writer.clears} clears, "
        f"{len(results)} recognitions; {probe.summary()}"
    )
    assert not errors
    assert writer.strokes >= DRAW_SECONDS  # about 1.5 strokes/s, so the pen really kept moving
    assert len(results) >= writer.strokes // ScriptedWriter.STROKES_PER_WORD // 2
    assert probe.worst < STALL_BOUND_S


def test_a_new_models_first_read_while_drawing(qtbot, settings) -> None:  # type: ignore[no-untyped-def]
    tab = _recognize_tab(qtbot, settings)
    tab.show()
    qtbot.waitExposed(tab)
    # The pen moves at once, so the warm-up never runs: the first read builds the engine.
    writer, probe, results, errors = _draw(qtbot, tab, 6.0)
    print(f"\nfirst read of a new model while drawing: {len(results)} recognitions; {probe.summary()}")
    assert not errors
    assert results
    assert probe.worst < FIRST_READ_BOUND_S


def test_thousands_of_training_batches_leave_the_ui_responsive(qtbot, settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    torch.optim.AdamW(
        [torch.zeros(1, requires_grad=True)]
    )  # the one-off torch._dynamo import, see test_train_tab
    tab = TrainTab(ActiveModel(), settings)
    qtbot.addWidget(tab)
    tab.resize(1200, 800)
    tab.show()
    qtbot.waitExposed(tab)
    data = write_word_set(tmp_path / "data", n=48)
    n_batches = 3000
    cfg = TrainConfig(
        epochs=1,
        batch_size=2,
        samples_per_epoch=2 * n_batches,
        checkpoint_every_batches=500,
        early_stopping_patience=0,
        device="cpu",
        seed=1,
    )
    request = TrainingRequest(
        data=[f"tsv:{data}"], val=None, cfg=cfg, out_dir=str(tmp_path / "run"), variant="tiny"
    )
    batches: list[BatchEnd] = []
    tab.controller.sig_batch.connect(batches.append)
    probe = StallProbe()
    probe.start()
    started = time.perf_counter()
    with qtbot.waitSignal(tab.controller.sig_finished, timeout=600_000):
        assert tab.start_training(request)
    seconds = time.perf_counter() - started
    probe.stop()
    tab.plots.refresh()
    print(f"\n{len(batches)} batches in {seconds:.0f} s; {probe.summary()}")
    assert len(batches) == n_batches
    assert tab.plots.loss_points() == n_batches
    assert probe.worst < STALL_BOUND_S
    assert tab.stop_and_wait(20_000)
