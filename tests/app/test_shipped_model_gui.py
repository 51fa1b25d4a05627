"""The app as a user first meets it: it opens with the shipped model, and words written on the
canvas as pen strokes come back as text. Skips, with the reason, until the model is shipped."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings
from testdata import SHIPPED_CER_BOUND, needs_shipped_model

from app.main import draw_text_on_canvas
from app.main_window import MainWindow, load_startup_model
from hwr_core.metrics import cer

pytestmark = needs_shipped_model

WORDS = ["hello", "world", "garden", "Việt Nam", "người", "đường"]


def test_drawn_words_are_read_by_the_shipped_model(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    bundle, problem = load_startup_model(settings)  # nothing remembered: the shipped default
    assert problem is None and bundle is not None
    window = MainWindow(settings, bundle, confirm_quit=False)
    qtbot.addWidget(window)
    tab = window.recognize_tab
    hyps = []
    try:
        for word in WORDS:
            with qtbot.waitSignal(tab.result_ready, timeout=20_000) as blocker:
                draw_text_on_canvas(window, word)
            hyps.append(blocker.args[0].text)
            assert tab.result_view.text() == hyps[-1]
    finally:
        tab.shutdown()
    rate = cer(WORDS, hyps)
    print(f"\ndrawn on the canvas: CER {rate:.1%}: {list(zip(WORDS, hyps, strict=True))}")
    assert rate <= SHIPPED_CER_BOUND


def test_lines_drawn_on_the_canvas_are_read_line_by_line(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    bundle, _ = load_startup_model(settings)
    window = MainWindow(settings, bundle, confirm_quit=False)
    qtbot.addWidget(window)
    tab = window.recognize_tab
    lines = ["hello garden", "Việt Nam", "đường phố"]
    try:
        with qtbot.waitSignal(tab.result_ready, timeout=20_000) as blocker:
            draw_text_on_canvas(window, "\n".join(lines))
    finally:
        tab.shutdown()
    result = blocker.args[0]
    print(f"\nthree lines drawn: {result.text!r}")
    assert len(result.lines) == 3 and tab.line_picker.count() == 3
    assert cer(lines, [line.text for line in result.lines]) <= SHIPPED_CER_BOUND
