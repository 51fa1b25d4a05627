"""The app as a user first meets it: it opens with the shipped model, and words written on the
canvas as pen strokes come back as text. Skips, with the reason, until the model is shipped."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PySide6.QtCore import QSettings
from testdata import SHIPPED_CER_BOUND, needs_shipped_model, val_page

from app.main import draw_text_on_canvas
from app.main_window import MainWindow, load_startup_model
from app.widgets.recognize_tab import KEY_UPRIGHT
from hwr_core.image_io import rotate_clockwise
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


def test_an_image_loaded_on_its_side_is_turned_upright(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page, _texts = val_page("cinnamon_vi", 0)
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    bundle, _ = load_startup_model(settings)
    window = MainWindow(settings, bundle, confirm_quit=False)
    qtbot.addWidget(window)
    tab = window.recognize_tab
    messages: list[str] = []
    tab.status_message.connect(messages.append)
    try:
        assert tab.upright_action.isChecked()  # on until the user turns it off
        with qtbot.waitSignal(tab.result_ready, timeout=30_000) as blocker:
            tab.set_image(rotate_clockwise(page, 270), "sideways.png")
        assert blocker.args[0].turned == 90
        assert np.array_equal(tab._image, page)  # shown, and read again, as it was read
        assert "a quarter turn to the right" in messages[-1]
        upright_text = blocker.args[0].text
        # off: an image is read as it is loaded (and the choice is remembered)
        tab.upright_action.setChecked(False)
        with qtbot.waitSignal(tab.result_ready, timeout=30_000) as blocker:
            tab.set_image(rotate_clockwise(page, 180), "upside-down.png")
        assert blocker.args[0].turned == 0 and blocker.args[0].text != upright_text
        assert settings.value(KEY_UPRIGHT) in (False, "false")
    finally:
        tab.shutdown()


def test_the_batch_tab_turns_a_file_upright_when_it_first_reads_it(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page, _texts = val_page("cinnamon_vi", 0)
    path = tmp_path / "sideways.png"
    cv2.imwrite(str(path), rotate_clockwise(page, 180))
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    bundle, _ = load_startup_model(settings)
    window = MainWindow(settings, bundle, confirm_quit=False)
    qtbot.addWidget(window)
    tab = window.batch_tab
    try:
        with qtbot.waitSignal(tab.reader.idle, timeout=60_000):
            tab.add_paths([path])
        (row,) = tab._rows.values()
        assert row.rotate == 180 and row.reading is not None and row.reading.turned == 180
        upright_text = row.reading.text
        with qtbot.waitSignal(tab.reader.idle, timeout=60_000):  # read again: as it is now kept
            tab.read_again()
        assert row.rotate == 180 and row.reading.turned == 0 and row.reading.text == upright_text
    finally:
        tab.shutdown()
        window.recognize_tab.shutdown()
