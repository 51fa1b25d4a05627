"""Recognize tab: canvas semantics, debounced/threaded recognition (latest wins), image input, views."""

from __future__ import annotations

import dataclasses
import math
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from pdf_reader import PdfReadBack
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QDropEvent, QGuiApplication
from PySide6.QtTest import QTest

from app.active_model import ActiveModel
from app.qt_image import gray_to_qimage
from app.recent_files import MAX_RECENT
from app.widgets.canvas import KEY_PEN_WIDTH, HandwritingCanvas
from app.widgets.recognize_tab import (
    KEY_LAST_IMAGE_DIR,
    WARMUP_DELAY_MS,
    RecognizeTab,
)
from app.widgets.result_view import (
    COLOR_HIGH,
    COLOR_LOW,
    COLOR_MEDIUM,
    ResultView,
    changes_text,
    confidence_html,
)
from app.workers.recognition import LatestRequest, RecognitionController, RecognitionWorker
from hwr_core import lexicons
from hwr_core.allowed_chars import is_vietnamese_letter
from hwr_core.canvas_ink import READING_PEN_FACTORS
from hwr_core.charlm import resolve_char_model
from hwr_core.charset import CTCCodec
from hwr_core.decoding import CharSpan, Hypothesis
from hwr_core.lexicons import builtin_lexicon
from hwr_core.metrics import word_changes
from hwr_core.modelfile import new_bundle
from hwr_core.preprocess import render_strokes
from hwr_core.recognizer import DRAWN_SURE_CONFIDENCE, RecognitionResult, Recognizer

TIMEOUT = 5000


def _wave(x0: float, y0: float = 110.0, n: int = 30) -> list[tuple[float, float]]:
    return [(x0 + 2.0 * i, y0 + 22.0 * math.sin(i / 3.0)) for i in range(n)]


def _word_png(path: Path, text: str = "hello", lines: int = 1) -> Path:
    img = np.full((70 * lines + 10, 320), 255, np.uint8)
    for i in range(lines):
        cv2.putText(img, text, (10, 55 + 70 * i), cv2.FONT_HERSHEY_SIMPLEX, 1.6, 0, 3, cv2.LINE_AA)
    assert cv2.imwrite(str(path), img)
    return path


@pytest.fixture(scope="module")
def bundle():  # type: ignore[no-untyped-def]
    torch.manual_seed(0)
    return new_bundle("tiny", CTCCodec())


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def tab(qtbot, bundle, settings):  # type: ignore[no-untyped-def]
    active = ActiveModel(bundle)
    widget = RecognizeTab(active, settings)
    widget._test_active = active  # keep the QObject alive as long as the tab
    qtbot.addWidget(widget)
    yield widget
    widget.shutdown()


def _draw(tab: RecognizeTab, qtbot, n: int = 2):  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(tab.result_ready, timeout=TIMEOUT) as blocker:
        for i in range(n):
            tab.canvas.add_stroke(_wave(30 + 90 * i))
    return blocker.args[0]


# ---------------------------------------------------------------------------- canvas


def test_canvas_add_undo_redo_clear(qtbot) -> None:  # type: ignore[no-untyped-def]
    canvas = HandwritingCanvas()
    qtbot.addWidget(canvas)
    emitted: list[int] = []
    canvas.strokes_changed.connect(lambda: emitted.append(1))
    assert canvas.is_empty()
    canvas.add_stroke([(1, 2), (3, 4)])
    canvas.add_stroke([(10, 10)])
    assert canvas.strokes() == [[(1.0, 2.0), (3.0, 4.0)], [(10.0, 10.0)]]
    assert len(emitted) == 2
    assert canvas.undo()
    assert canvas.strokes() == [[(1.0, 2.0), (3.0, 4.0)]]
    assert canvas.redo()
    assert len(canvas.strokes()) == 2
    assert not canvas.redo()  # nothing left to redo
    canvas.clear()
    assert canvas.is_empty()
    assert len(emitted) == 5
    assert canvas.undo()  # clear is undoable
    assert len(canvas.strokes()) == 2
    canvas.add_stroke([(5, 5), (6, 6)])
    assert not canvas.can_redo()  # a new stroke drops the redo history
    canvas.add_stroke([])  # nothing to add: no change, no signal
    assert len(emitted) == 7
    # strokes() returns copies: callers cannot change the canvas behind its back
    canvas.strokes()[0].append((99.0, 99.0))
    assert (99.0, 99.0) not in canvas.strokes()[0]


def test_canvas_stroke_level_erase(qtbot) -> None:  # type: ignore[no-untyped-def]
    canvas = HandwritingCanvas()
    qtbot.addWidget(canvas)
    canvas.set_strokes([[(10, 10), (100, 10)], [(10, 100), (100, 100)]])
    emitted: list[int] = []
    canvas.strokes_changed.connect(lambda: emitted.append(1))
    assert canvas.erase_at(300, 300) == 0  # nothing there
    assert emitted == []
    # (55, 12) is between the samples of the first stroke: segments count, not only points
    assert canvas.erase_at(55, 12, radius=5) == 1
    assert canvas.strokes() == [[(10.0, 100.0), (100.0, 100.0)]]
    assert emitted == [1]
    assert canvas.undo()
    assert len(canvas.strokes()) == 2


def test_canvas_mouse_drawing_and_eraser(qtbot) -> None:  # type: ignore[no-untyped-def]
    canvas = HandwritingCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(600, 200)
    canvas.show()
    with qtbot.waitSignal(canvas.strokes_changed, timeout=1000):
        qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(50, 50))
        qtbot.mouseMove(canvas, QPoint(90, 80))
        qtbot.mouseMove(canvas, QPoint(130, 60))
        qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(160, 70))
    strokes = canvas.strokes()
    assert len(strokes) == 1 and len(strokes[0]) >= 3
    assert strokes[0][0] == (50.0, 50.0)
    image = canvas.render_image()
    assert image.dtype == np.uint8 and image.min() < 64 and image.max() == 255
    canvas.set_pen_width(12.0)  # the pen on screen; the model gets a pen sized to the writing
    assert np.array_equal(canvas.render_image(), image)

    canvas.set_eraser(True)
    with qtbot.waitSignal(canvas.strokes_changed, timeout=1000):
        qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(90, 80))
        qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(90, 80))
    assert canvas.is_empty()
    assert canvas.undo() and len(canvas.strokes()) == 1


# ---------------------------------------------------------------------------- recognition


def test_drawing_triggers_debounced_recognition(tab: RecognizeTab, qtbot) -> None:  # type: ignore[no-untyped-def]
    results: list[RecognitionResult] = []
    tab.result_ready.connect(results.append)
    with qtbot.waitSignal(tab.result_ready, timeout=TIMEOUT) as blocker:
        for i in range(3):
            tab.canvas.add_stroke(_wave(30 + 90 * i))
            qtbot.wait(150)  # a writer's pause, shorter than the debounce interval
        assert tab.last_result is None  # still waiting for the writer to stop
        last_stroke = time.monotonic()
    waited = time.monotonic() - last_stroke
    qtbot.wait(700)
    assert len(results) == 1  # a burst of strokes gives one recognition
    assert waited >= 0.2  # ~400 ms debounce minus the 150 ms already spent
    result = blocker.args[0]
    assert tab.last_result is result
    assert not result.empty
    assert tab.stage_strip.count() >= 5
    assert tab.stage_strip.names()[-1] == "model input"
    t_steps = result.probs.shape[0]
    assert tab.heatmap.prob_image.image.shape[1] == t_steps
    assert tab.heatmap.rows()[0] == 0  # the blank is always shown
    assert tab.heatmap.row_labels()[0] == "∅"
    assert tab.result_view.text() == result.text
    assert tab.result_view.nbest.count() == len(result.hypotheses)


def test_a_drawing_is_read_with_every_reading_pen_as_recognize_strokes_reads_it(  # type: ignore[no-untyped-def]
    tab: RecognizeTab, qtbot, monkeypatch
) -> None:
    shapes_read: list[tuple[int, int]] = []
    read_page = Recognizer.recognize_page

    def spy(self, image, *args, **kwargs):  # type: ignore[no-untyped-def]
        shapes_read.append(image.shape)
        return read_page(self, image, *args, **kwargs)

    monkeypatch.setattr(Recognizer, "recognize_page", spy)
    result = _draw(tab, qtbot)
    assert result.confidence < DRAWN_SURE_CONFIDENCE  # (an untrained model: every pen is read)
    # every pen's drawing, on one image size; the UI thread drew only the reading pen's
    assert shapes_read == [tab.canvas.render_image().shape] * len(READING_PEN_FACTORS)
    expected = tab.make_recognizer().recognize_strokes(tab.canvas.strokes())  # type: ignore[union-attr]
    assert (result.text, result.hypotheses, result.pen) == (expected.text, expected.hypotheses, expected.pen)
    assert tab.result_view.text() == result.text


def test_hover_text_top5(tab: RecognizeTab, qtbot) -> None:  # type: ignore[no-untyped-def]
    result = _draw(tab, qtbot)
    text = tab.heatmap.hover_text(1)
    lines = text.splitlines()
    assert len(lines) == 5
    probs = [float(line.split()[-1]) for line in lines]
    assert probs == sorted(probs, reverse=True)
    assert probs[0] == pytest.approx(float(result.probs[1].max()), abs=1e-3)
    assert tab.heatmap.hover_text(-1) == ""
    assert tab.heatmap.hover_text(result.probs.shape[0]) == ""


def test_load_image_file_shows_stages_and_heatmap(tab: RecognizeTab, qtbot, tmp_path, settings) -> None:  # type: ignore[no-untyped-def]
    path = _word_png(tmp_path / "word.png")
    recent: list[list[str]] = []
    tab.recent.changed.connect(recent.append)
    with qtbot.waitSignal(tab.result_ready, timeout=TIMEOUT) as blocker:
        assert tab.load_image_file(path)
    result = blocker.args[0]
    assert tab.input_mode() == RecognizeTab.IMAGE
    assert tab.current_image() is not None and tab.current_image().shape == (80, 320)
    assert tab.stage_strip.count() >= 5
    assert tab.heatmap.prob_image.image.shape[1] == result.probs.shape[0]
    assert "\n" not in result.text  # one line
    assert tab.recent_files() == [str(path.resolve())]
    assert recent and recent[-1] == [str(path.resolve())]
    assert settings.value(KEY_LAST_IMAGE_DIR) == str(tmp_path.resolve())


def test_multi_line_image_joins_lines_and_explains_each(
    tab: RecognizeTab, qtbot, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    # an untrained model's confidences say nothing: never let them prefer the page read whole
    monkeypatch.setattr("hwr_core.recognizer.WHOLE_READING_MARGIN", -math.inf)
    page = np.full((160, 420), 255, np.uint8)
    cv2.putText(page, "hello there", (10, 55), cv2.FONT_HERSHEY_SIMPLEX, 1.4, 0, 3, cv2.LINE_AA)
    cv2.putText(page, "hi", (10, 130), cv2.FONT_HERSHEY_SIMPLEX, 1.4, 0, 3, cv2.LINE_AA)
    path = tmp_path / "page.png"
    assert cv2.imwrite(str(path), page)
    with qtbot.waitSignal(tab.result_ready, timeout=TIMEOUT) as blocker:
        assert tab.load_image_file(path)
    result = blocker.args[0]
    first, second = result.lines
    assert result.text == f"{first.text}\n{second.text}"
    assert tab.result_view.text() == result.text
    assert tab.line_picker.isVisibleTo(tab) and tab.line_picker.count() == 2
    assert first.probs.shape[0] > second.probs.shape[0]  # the long line has more timesteps
    assert tab.heatmap.timesteps() == first.probs.shape[0]
    assert tab.stage_strip.count() >= 5

    tab.line_picker.setCurrentIndex(1)  # the evidence views follow the chosen line
    assert tab.heatmap.timesteps() == second.probs.shape[0]
    assert tab.stage_strip.count() >= 5
    assert tab.result_view.nbest.count() == len(second.hypotheses)
    assert tab.result_view.text() == result.text  # the text stays the page's

    tab.input_tabs.setCurrentIndex(tab.DRAW)
    _draw(tab, qtbot)  # one line again: no picker
    assert not tab.line_picker.isVisibleTo(tab)


def test_the_image_outlines_where_each_line_was_found(
    tab: RecognizeTab, qtbot, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("hwr_core.recognizer.WHOLE_READING_MARGIN", -math.inf)  # read by lines
    path = _word_png(tmp_path / "three.png", "hello", lines=3)  # lines at y 15-70, 85-140, 155-210

    def rows_outlined() -> list[tuple[float, float]]:
        return [(float(o[:, 1].min()), float(o[:, 1].max())) for o in tab.image_view.lines()]

    with qtbot.waitSignal(tab.result_ready, timeout=TIMEOUT):
        assert tab.load_image_file(path)
    for (top, bottom), (ink_top, ink_bottom) in zip(
        rows_outlined(), [(15, 70), (85, 140), (155, 210)], strict=True
    ):
        assert (
            top <= ink_top + 10
            and bottom >= ink_bottom - 10
            and top >= ink_top - 20
            and bottom <= ink_bottom + 20
        )
    tab.line_picker.setCurrentIndex(2)
    assert tab.image_view._current_line == 2
    tab.resize(900, 700)
    tab.show()
    qtbot.waitExposed(tab)
    middle = tab.image_view._to_widget((100, 100, 101, 101)).center().toPoint()  # on the second line
    QTest.mouseClick(tab.image_view, Qt.MouseButton.LeftButton, pos=middle)
    assert tab.line_picker.currentIndex() == 1 and tab.image_view._current_line == 1  # its evidence
    assert tab.heatmap.timesteps() == tab.last_result.lines[1].probs.shape[0]
    with qtbot.waitSignal(tab.result_ready, timeout=TIMEOUT):  # the lower two lines: in the image's pixels
        tab.image_view.set_region((0, 78, 320, 220))
    assert len(rows_outlined()) == 2 and all(t >= 78 for t, _ in rows_outlined())
    view = tab.image_view  # each line's words (where read) lie on it, in the image's pixels too
    assert len(view._words) == 2 and all(view._words), [line.text for line in tab.last_result.lines]
    for line, words in zip(view.lines(), view._words, strict=True):
        assert all(
            line.min(axis=0)[1] - 1 <= w[:, 1].min() and w[:, 1].max() <= line.max(axis=0)[1] + 1
            for w in words
        )
    assert rows_outlined()[1][0] >= 140  # the third line's, not the region's second from the top
    with qtbot.waitSignal(tab.result_ready, timeout=TIMEOUT):
        tab.image_view.set_region((0, 78, 320, 148))  # one line: outlined around its ink, in the region
    ((top, bottom),) = rows_outlined()
    assert 80 < top < bottom < 146 and bottom - top >= 25  # the ink's rows, not the region's edges


def test_a_dragged_box_reads_that_region_alone_and_a_click_reads_all_again(
    tab: RecognizeTab, qtbot, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("hwr_core.recognizer.WHOLE_READING_MARGIN", -math.inf)  # as above: read by lines
    path = _word_png(tmp_path / "three.png", "hello", lines=3)  # 220 x 320, lines at y 15-70, 85-140, 155-210
    tab.resize(900, 700)
    tab.show()
    qtbot.waitExposed(tab)
    with qtbot.waitSignal(tab.result_ready, timeout=TIMEOUT) as whole:
        assert tab.load_image_file(path)
    assert len(whole.args[0].lines) == 3
    view, image = tab.image_view, tab.current_image()
    box = view._to_widget((5, 75, 300, 148))  # around the middle line, dragged with the mouse
    with qtbot.waitSignal(tab.result_ready, timeout=TIMEOUT) as part:
        QTest.mousePress(view, Qt.MouseButton.LeftButton, pos=box.topLeft().toPoint())
        QTest.mouseMove(view, box.center().toPoint())
        QTest.mouseMove(view, box.bottomRight().toPoint())
        QTest.mouseRelease(view, Qt.MouseButton.LeftButton, pos=box.bottomRight().toPoint())
    x0, y0, x1, y1 = view.region()
    assert max(abs(x0 - 5), abs(y0 - 75), abs(x1 - 300), abs(y1 - 148)) <= 2  # widget pixels -> image pixels
    assert part.args[0].lines == () and "\n" not in part.args[0].text  # the one line in the box
    assert (
        np.array_equal(tab._input, image[y0:y1, x0:x1]) and "reading a region" in tab.image_name_label.text()
    )
    kept: list[object] = []
    tab.teach_image_requested.connect(lambda pairs, name: kept.append(pairs))
    assert tab.teach("hello")  # Correct & teach keeps the region, not the page
    ((crop, text),) = kept[0]  # type: ignore[misc]
    assert text == "hello" and np.array_equal(crop, image[y0:y1, x0:x1])

    with qtbot.waitSignal(tab.result_ready, timeout=TIMEOUT) as again:
        QTest.mouseClick(view, Qt.MouseButton.LeftButton, pos=box.center().toPoint())
    assert view.region() is None and len(again.args[0].lines) == 3 and tab._input is image
    view.set_region((5, 75, 300, 148))
    with qtbot.waitSignal(view.region_changed) as cleared:
        QTest.keyClick(view, Qt.Key.Key_Escape)  # Escape reads all of it again, as a click does
    assert cleared.args[0] is None and tab._input is image
    with qtbot.assertNotEmitted(view.region_changed):
        view.set_region((10, 10, 14, 200))  # thinner than MIN_REGION: no region, as before
    assert view.region() is None


def test_rotating_the_image_reads_it_turned(tab: RecognizeTab, qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert not tab.rotate_left_action.isEnabled()
    with qtbot.waitSignal(tab.result_ready, timeout=TIMEOUT):
        assert tab.load_image_file(_word_png(tmp_path / "word.png"))
    original = tab.current_image().copy()
    tab.image_view.set_region((0, 0, 100, 60))
    with qtbot.waitSignal(tab.result_ready, timeout=TIMEOUT) as turned:
        tab.rotate_left_action.trigger()
    assert np.array_equal(tab.current_image(), np.rot90(original)) and tab.image_view.region() is None
    read = turned.args[0]  # an untrained model: read whole or by its letters' bands, either way turned
    if read.lines:  # each band across the turned image's 80-px width, down its 320 rows
        corners = np.concatenate([line.outline for line in read.lines])
        assert corners[:, 0].max() <= 81 and corners[:, 1].max() > 200
    else:  # a column read as a line: the writing now runs upwards
        assert read.model_input.shape[1] < 40
    assert "(80×320)" in tab.image_name_label.text()
    with qtbot.waitSignal(tab.result_ready, timeout=TIMEOUT):
        tab.rotate_right_action.trigger()
    assert np.array_equal(tab.current_image(), original)


def test_a_multi_page_tiff_offers_its_pages(tab: RecognizeTab, qtbot, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    pages = [
        cv2.imread(str(_word_png(tmp_path / f"{w}.png", w)), cv2.IMREAD_GRAYSCALE) for w in ("one", "two")
    ]
    frames = [Image.fromarray(p) for p in pages]
    scan = tmp_path / "scan.tif"
    frames[0].save(scan, save_all=True, append_images=frames[1:])
    assert not tab.page_action.isVisible()
    with qtbot.waitSignal(tab.result_ready, timeout=TIMEOUT):
        assert tab.load_image_file(scan)
    assert tab.page_action.isVisible() and tab.page_spin.maximum() == 2 and tab.page_spin.value() == 1
    assert np.array_equal(tab.current_image(), pages[0])
    with qtbot.waitSignal(tab.result_ready, timeout=TIMEOUT):
        tab.page_spin.setValue(2)
    assert np.array_equal(tab.current_image(), pages[1])
    assert tab.image_name_label.text().startswith("scan.tif, page 2")
    assert tab.recent_files() == [str(scan.resolve())]  # the file, not each page turned to
    suggested: list[str] = []

    def cancelled_dialog(parent, title, start, filters):  # type: ignore[no-untyped-def]
        suggested.append(Path(start).name)
        return "", filters

    monkeypatch.setattr("app.widgets.recognize_tab.QFileDialog.getSaveFileName", cancelled_dialog)
    assert not tab.save_text_dialog() and suggested == ["scan-page2.txt"]
    with qtbot.waitSignal(tab.result_ready, timeout=TIMEOUT):
        assert tab.load_image_file(tmp_path / "one.png")
    assert not tab.page_action.isVisible()


def test_save_text_writes_the_reading_shown(tab: RecognizeTab, qtbot, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(tab.status_message) as said:
        assert not tab.save_text(tmp_path / "none.txt")  # nothing read yet: nothing written
    assert "Nothing read yet" in said.args[0] and not (tmp_path / "none.txt").exists()
    with qtbot.waitSignal(tab.result_ready, timeout=TIMEOUT) as shown:
        assert tab.load_image_file(_word_png(tmp_path / "note.png"))
    page = dataclasses.replace(shown.args[0], text="Xin chào\nViệt Nam")  # a page's lines stay lines
    tab.result_view.set_result(page, 0)
    out = tmp_path / "out" / "note.txt"
    assert tab.save_text(out) and out.read_text("utf-8") == "Xin chào\nViệt Nam\n"
    suggested: list[str] = []

    def fake_dialog(parent, title, start, filters):  # type: ignore[no-untyped-def]
        suggested.append(start)
        return str(tmp_path / "chosen.txt"), filters

    monkeypatch.setattr("app.widgets.recognize_tab.QFileDialog.getSaveFileName", fake_dialog)
    assert tab.save_text_dialog() and (tmp_path / "chosen.txt").read_text("utf-8").startswith("Xin chào")
    assert suggested == [str(out.parent / "note.txt")]  # named after the image, in the last folder used
    with qtbot.waitSignal(tab.status_message) as said:  # a folder that is a file: said, not raised
        assert not tab.save_text(out / "x.txt")
    assert said.args[0].startswith("Cannot save") and out.read_text("utf-8") == "Xin chào\nViệt Nam\n"


def test_the_reading_saves_as_page_alto_hocr_and_pdf_placed_on_the_file_as_stored(  # type: ignore[no-untyped-def]
    tab: RecognizeTab, qtbot, tmp_path, monkeypatch
) -> None:
    import xml.etree.ElementTree as ET

    from hwr_core.layout_export import ALTO_NS, PAGE_NS

    monkeypatch.setattr("hwr_core.recognizer.WHOLE_READING_MARGIN", -math.inf)  # read by lines
    tab.upright_action.setChecked(False)
    upright = cv2.imread(str(_word_png(tmp_path / "up.png", "hello", lines=2)), cv2.IMREAD_GRAYSCALE)
    scan = tmp_path / "scan.png"  # stored on its side: the lines at rows ~25-60 and ~95-130 are columns
    cv2.imwrite(str(scan), np.rot90(upright))
    with qtbot.waitSignal(tab.result_ready, timeout=TIMEOUT):
        assert tab.load_image_file(scan)
    with qtbot.waitSignal(tab.result_ready, timeout=TIMEOUT):
        tab.rotate_image(90)  # turned upright here, read line by line
    assert np.array_equal(tab.current_image(), upright) and len(tab.last_result.lines) == 2
    tab.result_view.set_result(dataclasses.replace(tab.last_result, text="hello\nthere"), 0)
    assert tab.save_reading(tmp_path / "scan.xml", "page") and tab.save_reading(tmp_path / "alto.xml", "alto")
    p, a = f"{{{PAGE_NS}}}", f"{{{ALTO_NS}}}"
    lines = ET.parse(tmp_path / "scan.xml").getroot().findall(f".//{p}TextLine")
    assert [line.find(f"{p}TextEquiv/{p}Unicode").text for line in lines] == ["hello", "there"]
    ink = cv2.imread(str(scan), cv2.IMREAD_GRAYSCALE) < 128
    for line, columns in zip(lines, ((8, 75), (78, 145)), strict=True):  # each line on its ink in the file
        points = np.array([xy.split(",") for xy in line.find(f"{p}Coords").get("points").split()], int)
        assert columns[0] <= points[:, 0].min() and points[:, 0].max() <= columns[1]
        inside = np.zeros(ink.shape, np.uint8)
        cv2.fillPoly(inside, [points.astype(np.int32)], 1)
        band = np.zeros(ink.shape, bool)
        band[:, columns[0] : columns[1]] = True
        assert np.count_nonzero(ink & band & (inside > 0)) >= 0.9 * np.count_nonzero(ink & band)
    alto = ET.parse(tmp_path / "alto.xml").getroot()
    assert alto.find(f".//{a}Page").get("HEIGHT") == "320"  # the file's size, not the view's
    assert [s.get("CONTENT") for s in alto.iter(f"{a}String")] == ["hello", "there"]

    def dialog(parent, title, start, filters):  # type: ignore[no-untyped-def]
        return str(tmp_path / "book"), "hOCR, with where each line and word lies (*.hocr *.html)"

    monkeypatch.setattr("app.widgets.recognize_tab.QFileDialog.getSaveFileName", dialog)
    assert (
        tab.save_text_dialog() and (tmp_path / "book.hocr").read_text("utf-8").count('class="ocr_line"') == 2
    )
    assert tab.save_reading(tmp_path / "scan.pdf", "pdf")  # the file's image as stored, the reading over it
    pdf = PdfReadBack((tmp_path / "scan.pdf").read_bytes())
    (page,) = pdf.pages()
    assert b"/Width 150 /Height 320 /ColorSpace /DeviceGray" in pdf.objects[pdf.ref(page, "Im0")]
    assert [text for _, text in pdf.words(page)] == ["hello", "there"]
    scan.unlink()  # gone since it was read: said, nothing written
    with qtbot.waitSignal(tab.status_message) as said:
        assert not tab.save_reading(tmp_path / "gone.pdf", "pdf")
    assert "no such file" in said.args[0] and not (tmp_path / "gone.pdf").exists()
    tab.set_image(upright, "pasted")  # no file: nothing to place it on
    qtbot.waitUntil(lambda: tab.last_result is not None and tab._result_input is tab._input, timeout=TIMEOUT)
    with qtbot.waitSignal(tab.status_message) as said:
        assert not tab.save_reading(tmp_path / "pasted.xml", "alto")
    assert "image file" in said.args[0] and not (tmp_path / "pasted.xml").exists()


def test_a_drawing_saves_as_a_searchable_pdf_of_what_was_read(tab: RecognizeTab, qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = _draw(tab, qtbot)
    tab.result_view.set_result(dataclasses.replace(result, text="hello world"), 0)  # as corrected
    assert tab.save_reading(tmp_path / "note.pdf", "pdf")
    pdf = PdfReadBack((tmp_path / "note.pdf").read_bytes())
    (page,) = pdf.pages()
    height, width = tab.canvas.render_image().shape  # the drawing as it was read
    assert (
        f"/Width {width} /Height {height} /ColorSpace /DeviceGray".encode()
        in pdf.objects[pdf.ref(page, "Im0")]
    )
    assert pdf.text(page).split() == ["hello", "world"]
    with qtbot.waitSignal(tab.status_message) as said:  # PAGE XML still needs an image file
        assert not tab.save_reading(tmp_path / "note.xml", "page")
    assert "a drawing saves as a PDF" in said.args[0]
    tab.canvas.add_stroke(_wave(200))  # read again: not saved until that reading is shown
    with qtbot.waitSignal(tab.status_message) as said:
        assert not tab.save_reading(tmp_path / "later.pdf", "pdf")
    assert "Wait for the drawing's reading" in said.args[0] and not (tmp_path / "later.pdf").exists()


def test_corrupt_file_reports_and_tab_stays_usable(tab: RecognizeTab, qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "x.png"
    bad.write_bytes(b"not an image")
    with qtbot.waitSignal(tab.status_message, timeout=1000) as blocker:
        assert not tab.load_image_file(bad)
    assert "x.png" in blocker.args[0]
    assert tab.recent_files() == []
    assert tab.last_result is None
    result = _draw(tab, qtbot)  # still recognises
    assert tab.last_result is result


def test_recent_files_capped(tab: RecognizeTab, qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    paths = [_word_png(tmp_path / f"w{i}.png", text=f"w{i}") for i in range(MAX_RECENT + 2)]
    for p in paths:
        assert tab.load_image_file(p)
    recent = tab.recent_files()
    assert len(recent) == MAX_RECENT
    assert recent[0] == str(paths[-1].resolve())  # newest first
    assert str(paths[0].resolve()) not in recent
    qtbot.waitUntil(lambda: tab.last_result is not None, timeout=TIMEOUT)


def test_paste_and_drop_image(tab: RecognizeTab, qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    img = np.full((60, 200), 255, np.uint8)
    cv2.putText(img, "abc", (10, 45), cv2.FONT_HERSHEY_SIMPLEX, 1.4, 0, 3)
    QGuiApplication.clipboard().setImage(gray_to_qimage(img))
    with qtbot.waitSignal(tab.result_ready, timeout=TIMEOUT):
        assert tab.paste_from_clipboard()
    assert tab.current_image().shape == (60, 200)

    path = _word_png(tmp_path / "dropped.png")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(
        QPointF(5, 5),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    with qtbot.waitSignal(tab.result_ready, timeout=TIMEOUT):
        tab.dropEvent(event)
    assert tab.current_image().shape == (80, 320)
    copied = QMimeData()
    copied.setUrls([QUrl.fromLocalFile(str(_word_png(tmp_path / "copied.png", text="hi")))])
    QGuiApplication.clipboard().setMimeData(copied)  # a file copied in a file manager
    with qtbot.waitSignal(tab.result_ready, timeout=TIMEOUT):
        assert tab.paste_from_clipboard()
    assert tab.recent_files()[0].endswith("copied.png")
    QGuiApplication.clipboard().setText("no image here")
    with qtbot.waitSignal(tab.status_message, timeout=1000):
        assert not tab.paste_from_clipboard()


def test_options_rerun_recognition(tab: RecognizeTab, qtbot, settings) -> None:  # type: ignore[no-untyped-def]
    first = _draw(tab, qtbot)
    binarized = next(s.image for s in first.stages if s.name == "binarize")
    assert len(np.unique(binarized)) <= 2  # otsu: black and white only
    with qtbot.waitSignal(tab.result_ready, timeout=TIMEOUT) as blocker:
        tab.options.binarize_combo.setCurrentText("none")
    second = blocker.args[0]
    assert second is not first
    gray = next(s.image for s in second.stages if s.name == "binarize")
    assert len(np.unique(gray)) > 2  # "none" keeps gray levels: the option reached the recognizer
    assert settings.value("recognize/binarize") == "none"

    assert "deskew" in [s.name for s in second.stages]
    with qtbot.waitSignal(tab.result_ready, timeout=TIMEOUT) as blocker:
        tab.options.deskew_check.setChecked(False)
    names = [s.name for s in blocker.args[0].stages]
    assert "deskew" not in names and "slant" not in names

    with qtbot.waitSignal(tab.result_ready, timeout=TIMEOUT) as blocker:
        tab.options.decoder_combo.setCurrentText("greedy")
    assert len(blocker.args[0].hypotheses) == 1
    assert not tab.options.beam_spin.isEnabled()


def test_word_list_errors_go_to_status(tab: RecognizeTab, qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(tab.status_message, timeout=1000) as blocker:
        assert not tab.options.wordlist_combo.load(tmp_path / "missing.txt")
    assert "missing.txt" in blocker.args[0]
    words = tmp_path / "words.txt"
    words.write_text("hello\nworld\n", encoding="utf-8")
    with qtbot.waitSignal(tab.status_message, timeout=1000) as blocker:
        assert tab.options.wordlist_combo.load(words)
    assert blocker.args[0] == "Word list words.txt: 2 words"
    assert tab.options.wordlist_combo.currentText() == "words.txt (2 words)"
    tab.options.decoder_combo.setCurrentText("greedy")  # a list read while greedy decodes: it says so
    with qtbot.waitSignal(tab.status_message, timeout=1000) as blocker:
        assert tab.options.wordlist_combo.load(words)
    assert blocker.args[0].endswith("; it is used by beam search only")


def test_word_list_choice_reaches_the_recognizer_and_is_remembered(  # type: ignore[no-untyped-def]
    tab: RecognizeTab, qtbot, tmp_path, bundle, settings, monkeypatch
) -> None:
    assert (
        tab.options.wordlist_combo.choice() == "builtin"
        and "built-in" in tab.options.wordlist_combo.currentText()
    )
    rec = tab.make_recognizer()
    assert rec.lexicon is builtin_lexicon() and rec.decode_cfg.lexicon_weight > 0
    tab.options.wordlist_combo.activated.emit(
        tab.options.wordlist_combo.findData("none")
    )  # as a click on "none"
    assert tab.make_recognizer().lexicon is None and tab.options.wordlist_combo.currentText() == "none"
    words = tmp_path / "words.txt"
    words.write_text("hello\nworld\n", encoding="utf-8")
    assert tab.options.wordlist_combo.load(words)
    own = tab.make_recognizer().lexicon
    assert own is not None and len(own) == 2 and "world" in own

    # A new tab (the next start) picks the file up again; once it is gone, the built-in list.
    again = RecognizeTab(ActiveModel(bundle), settings)
    qtbot.addWidget(again)
    assert again.options.wordlist_combo.choice() == str(words) and len(again.make_recognizer().lexicon) == 2
    again.shutdown()
    words.unlink()
    with qtbot.waitSignal(tab.status_message, timeout=1000):
        gone = RecognizeTab(ActiveModel(bundle), settings)
        qtbot.addWidget(gone)
        gone.status_message.connect(tab.status_message)
    assert gone.options.wordlist_combo.choice() == "builtin"
    gone.shutdown()
    # "Open word list…" then cancel: the file stays in use and selected.
    monkeypatch.setattr(
        "app.widgets.word_list_combo.QFileDialog.getOpenFileName", staticmethod(lambda *a, **k: ("", ""))
    )
    tab.options.wordlist_combo.activated.emit(tab.options.wordlist_combo.count() - 1)
    assert tab.options.wordlist_combo.choice() == str(
        words
    ) and tab.options.wordlist_combo.currentData() == str(words)
    tab.options.wordlist_combo.activated.emit(tab.options.wordlist_combo.findData("builtin"))
    assert (
        tab.options.wordlist_combo.choice() == "builtin"
        and settings.value("recognize/word_list") == "builtin"
    )


def test_character_model_choice_reaches_the_recognizer_and_is_remembered(  # type: ignore[no-untyped-def]
    tab: RecognizeTab, qtbot, bundle, settings
) -> None:
    assert tab.options.charlm_check.isChecked()  # on by default
    tab.options.decoder_combo.setCurrentText("beam")
    rec = tab.make_recognizer()
    assert rec.decode_cfg.uses_lm and rec.lm is resolve_char_model("builtin")
    result = _draw(tab, qtbot)
    assert any(h.lm_bonus != 0.0 for h in result.hypotheses)  # the worker fused it
    with qtbot.waitSignal(tab.result_ready, timeout=TIMEOUT) as blocker:
        tab.options.charlm_check.setChecked(False)
    assert all(h.lm_bonus == 0.0 for h in blocker.args[0].hypotheses)
    assert tab.make_recognizer().lm is None and not tab.make_recognizer().decode_cfg.uses_lm
    again = RecognizeTab(ActiveModel(bundle), settings)  # the next start remembers "off"
    qtbot.addWidget(again)
    assert not again.options.charlm_check.isChecked()
    again.shutdown()
    tab.options.decoder_combo.setCurrentText("greedy")
    assert not tab.options.charlm_check.isEnabled()


def test_allowed_characters_reach_the_recognizer_and_are_remembered(  # type: ignore[no-untyped-def]
    tab: RecognizeTab, qtbot, bundle, settings
) -> None:
    assert tab.options.allowed_combo.currentText() == ""  # any character by default
    _draw(tab, qtbot)
    with qtbot.waitSignal(tab.result_ready, timeout=TIMEOUT) as blocker:
        tab.options.allowed_combo.setCurrentText("xyz")  # typed: read again after the pause
    result = blocker.args[0]
    assert set(result.text) <= set("xyz") and tab.make_recognizer().decode_cfg.allowed == "xyz"
    assert np.allclose(result.probs.sum(axis=1), 1.0, atol=1e-5)
    again = RecognizeTab(ActiveModel(bundle), settings)  # the next start remembers it
    qtbot.addWidget(again)
    assert again.options.allowed_combo.currentText() == "xyz"
    again.shutdown()
    with qtbot.waitSignal(tab.status_message, timeout=TIMEOUT) as blocker:
        tab.options.allowed_combo.setCurrentText("x€")  # a character the model cannot write
    assert "'€'" in blocker.args[0]
    tab.options.allowed_combo.setCurrentIndex(tab.options.allowed_combo.findText("0123456789"))  # a preset
    assert tab.make_recognizer().decode_cfg.allowed == "0123456789"


def test_the_language_reaches_the_recognizer_and_is_remembered(  # type: ignore[no-untyped-def]
    tab: RecognizeTab, qtbot, bundle, settings
) -> None:
    combo = tab.options.language_combo
    assert combo.currentData() == "" and tab.make_recognizer().decode_cfg.language == ""  # both by default
    _draw(tab, qtbot)
    with qtbot.waitSignal(tab.result_ready, timeout=TIMEOUT) as blocker:
        combo.setCurrentIndex(combo.findData("en"))  # read again at once
    assert not any(map(is_vietnamese_letter, blocker.args[0].text))
    assert tab.make_recognizer().decode_cfg.language == "en"
    again = RecognizeTab(ActiveModel(bundle), settings)  # the next start remembers it
    qtbot.addWidget(again)
    assert again.options.language_combo.currentText() == "English"
    again.shutdown()
    settings.setValue("recognize/language", "klingon")  # edited by hand: read as both
    edited = RecognizeTab(ActiveModel(bundle), settings)
    qtbot.addWidget(edited)
    assert edited.make_recognizer().decode_cfg.language == ""
    edited.shutdown()


def test_an_idle_tab_loads_what_the_first_read_needs(tab: RecognizeTab, qtbot) -> None:  # type: ignore[no-untyped-def]
    assert WARMUP_DELAY_MS < 1000
    lexicons._builtin_lexicon.cache_clear()
    with qtbot.waitSignal(tab._controller.prepared, timeout=TIMEOUT):
        tab.show()  # nothing drawn: the worker loads the word list, character model and engine
    assert lexicons._builtin_lexicon.cache_info().currsize == 1  # loaded (and cached for every read)
    with qtbot.assertNotEmitted(tab._controller.prepared, wait=WARMUP_DELAY_MS + 300):
        tab.hide()
        tab.show()  # once per model
    other = new_bundle("tiny", CTCCodec())
    with qtbot.waitSignal(tab._controller.prepared, timeout=TIMEOUT):
        tab._test_active.set_bundle(other)  # a model opened: its engine is new


def test_no_warm_up_while_the_user_writes(tab: RecognizeTab, qtbot) -> None:  # type: ignore[no-untyped-def]
    tab.show()
    QTest.mousePress(tab.canvas, Qt.MouseButton.LeftButton, pos=QPoint(30, 60))  # a stroke under way
    with qtbot.assertNotEmitted(tab._controller.prepared, wait=WARMUP_DELAY_MS + 300):
        QTest.mouseMove(tab.canvas, QPoint(60, 80))
    QTest.mouseRelease(tab.canvas, Qt.MouseButton.LeftButton, pos=QPoint(90, 70))
    with qtbot.waitSignal(tab.result_ready, timeout=TIMEOUT):
        pass  # the stroke is read, loading what it needs itself
    with qtbot.assertNotEmitted(tab._controller.prepared, wait=WARMUP_DELAY_MS + 300):
        tab.hide()
        tab.show()


def test_pen_width_setting(tab: RecognizeTab, settings) -> None:
    tab.pen_width_spin.setValue(6.5)
    assert tab.canvas.pen_width() == 6.5
    assert float(settings.value(KEY_PEN_WIDTH)) == 6.5


def test_beam_width_is_the_models_until_the_user_picks_one(  # type: ignore[no-untyped-def]
    tab: RecognizeTab, qtbot, bundle, settings
) -> None:
    # The shipped model decodes with a width of its own (12 since session 28): the app read with 8,
    # the CLI with the model's, until the panel followed the model.
    wide = dataclasses.replace(bundle, decode=dataclasses.replace(bundle.decode, beam_width=12))
    tab.options.deskew_check.setChecked(False)  # another option chosen: the width is still the model's
    tab._test_active.set_bundle(wide)
    assert tab.options.beam_spin.value() == 12 and tab.make_recognizer().decode_cfg.beam_width == 12
    fresh = RecognizeTab(ActiveModel(wide), settings)
    qtbot.addWidget(fresh)
    assert fresh.options.beam_spin.value() == 12
    fresh.shutdown()
    tab.options.beam_spin.setValue(5)  # the user's choice outlives a model change and a restart
    tab._test_active.set_bundle(bundle)
    assert tab.options.beam_spin.value() == 5 and int(settings.value("recognize/beam_width")) == 5
    again = RecognizeTab(ActiveModel(wide), settings)
    qtbot.addWidget(again)
    assert again.options.beam_spin.value() == 5
    again.shutdown()


def test_model_change_reruns(tab: RecognizeTab, qtbot, bundle) -> None:  # type: ignore[no-untyped-def]
    first = _draw(tab, qtbot)
    with qtbot.waitSignal(tab.result_ready, timeout=TIMEOUT) as blocker:
        tab._test_active.set_bundle(bundle)
    assert blocker.args[0] is not first


def test_empty_canvas_gives_no_result(tab: RecognizeTab, qtbot) -> None:  # type: ignore[no-untyped-def]
    with qtbot.assertNotEmitted(tab.result_ready, wait=300):
        assert tab.recognize_now() is None
    assert tab.last_result is None and tab.result_view.text() == ""
    _draw(tab, qtbot)
    assert tab.stage_strip.count() > 0
    # clearing right after a new request: the in-flight result must not come back
    tab.canvas.add_stroke(_wave(300))
    tab.recognize_now()
    with qtbot.assertNotEmitted(tab.result_ready, wait=800):
        tab.canvas.clear()
    assert tab.last_result is None
    assert tab.result_view.text() == ""
    assert tab.stage_strip.count() == 0
    assert tab.heatmap.timesteps() == 0
    x_range = tab.heatmap.prob_plot.viewRange()[0]
    assert x_range[0] >= 0 and x_range[1] <= 100  # an empty heatmap shows no negative columns


def test_latest_request_wins_in_tab(tab: RecognizeTab, qtbot) -> None:  # type: ignore[no-untyped-def]
    _draw(tab, qtbot)
    results: list[RecognitionResult] = []
    tab.result_ready.connect(results.append)
    ids = [tab.recognize_now() for _ in range(5)]
    assert ids == sorted(set(ids)) and len(ids) == 5  # type: ignore[type-var]
    qtbot.waitUntil(lambda: len(results) >= 1, timeout=TIMEOUT)
    qtbot.wait(500)
    assert len(results) == 1


def test_controller_delivers_only_latest(qtbot, bundle) -> None:  # type: ignore[no-untyped-def]
    controller = RecognitionController()
    recognizer = Recognizer(bundle)
    image = render_strokes([_wave(0), _wave(80)])
    delivered: list[int] = []
    controller.result_ready.connect(lambda rid, _res: delivered.append(rid))
    try:
        ids = [controller.submit(image, recognizer) for _ in range(5)]
        qtbot.waitUntil(lambda: bool(delivered), timeout=TIMEOUT)
        qtbot.wait(500)
        assert delivered == [ids[-1]]
    finally:
        controller.shutdown()
    assert not controller.is_running()


class _SlowRecognizer:
    """Stands in for Recognizer: takes a while, so a newer request arrives mid-recognition."""

    def __init__(self, real: Recognizer, seconds: float) -> None:
        self.real = real
        self.seconds = seconds
        self.calls = 0

    def recognize_page(
        self, image: np.ndarray, keep_stages: bool = False, should_stop=None
    ) -> RecognitionResult:  # type: ignore[no-untyped-def]
        self.calls += 1
        time.sleep(self.seconds)
        return self.real.recognize_page(image, keep_stages=keep_stages, should_stop=should_stop)


def test_controller_drops_result_superseded_mid_run(qtbot, bundle) -> None:  # type: ignore[no-untyped-def]
    controller = RecognitionController()
    slow = _SlowRecognizer(Recognizer(bundle), 0.4)
    image = render_strokes([_wave(0)])
    delivered: list[int] = []
    controller.result_ready.connect(lambda rid, _res: delivered.append(rid))
    try:
        first = controller.submit(image, slow)
        qtbot.waitUntil(lambda: slow.calls == 1, timeout=TIMEOUT)  # the worker is busy with `first`
        second = controller.submit(image, slow)
        qtbot.waitUntil(lambda: bool(delivered), timeout=TIMEOUT)
        qtbot.wait(200)
        assert delivered == [second]
        assert first not in delivered
        assert slow.calls == 2
    finally:
        controller.shutdown()


def test_worker_skips_superseded_requests(qtbot, bundle) -> None:  # type: ignore[no-untyped-def]
    latest = LatestRequest()
    worker = RecognitionWorker(latest)  # called directly, in this thread
    got: list[int] = []
    worker.sig_result.connect(lambda rid, _res: got.append(rid))
    old, new = latest.next(), latest.next()
    image = render_strokes([_wave(0)])
    worker.recognize(old, image, Recognizer(bundle))
    assert got == []
    worker.recognize(new, image, Recognizer(bundle))
    assert got == [new]


def test_worker_reports_errors(qtbot, bundle) -> None:  # type: ignore[no-untyped-def]
    latest = LatestRequest()
    worker = RecognitionWorker(latest)
    errors: list[tuple[int, str]] = []
    worker.sig_error.connect(lambda rid, msg: errors.append((rid, msg)))
    rid = latest.next()
    worker.recognize(rid, np.zeros((4, 4, 7), np.uint8), Recognizer(bundle))  # 7 channels: invalid
    assert len(errors) == 1 and errors[0][0] == rid and "channels" in errors[0][1]


def test_shutdown_stops_thread(tab: RecognizeTab) -> None:
    assert tab.is_recognition_running()
    tab.shutdown()
    assert not tab.is_recognition_running()
    tab.canvas.add_stroke(_wave(10))
    assert tab.recognize_now() is None  # no crash after shutdown
    tab.shutdown()  # idempotent


# ---------------------------------------------------------------------------- views


def _fake_result(text: str, confs: list[float]) -> RecognitionResult:
    spans = tuple(CharSpan(c, 2 * i, 2 * i + 1, p) for i, (c, p) in enumerate(zip(text, confs, strict=True)))
    probs = np.full((2 * len(text) + 1, 4), 0.25, np.float32)
    return RecognitionResult(
        text=text,
        confidence=min(confs),
        hypotheses=(Hypothesis(text, -0.5, spans), Hypothesis(text + "x", -2.0, ())),
        probs=probs,
        model_input=np.zeros((32, 40), np.float32),
    )


def test_n_best_shows_the_score_it_is_ranked_by(qtbot) -> None:  # type: ignore[no-untyped-def]
    # beam search ranks by network + word list + character model: a reading the word list lifted
    # above a likelier one must not show the lower score on top
    view = ResultView()
    qtbot.addWidget(view)
    listed = Hypothesis("hello", -3.0, (), lexicon_bonus=2.0, lm_bonus=-0.5)  # ranks -1.5
    unlisted = Hypothesis("hellu", -2.0, (), lm_bonus=-1.0)  # ranks -3.0
    result = dataclasses.replace(_fake_result("hello", [0.9] * 5), hypotheses=(listed, unlisted))
    view.set_result(result)
    rows = [view.nbest.item(i) for i in range(view.nbest.count())]
    assert [r.text() for r in rows] == ["1. hello    score -1.50", "2. (hello → hellu)  hellu    score -3.00"]
    assert "network log probability -3.0000" in rows[0].toolTip()
    assert "word list bonus 2.00" in rows[0].toolTip() and "character model -0.50" in rows[0].toolTip()


def test_the_summary_says_which_pen_a_drawing_read_surest_with(qtbot) -> None:  # type: ignore[no-untyped-def]
    view = ResultView()
    qtbot.addWidget(view)
    view.set_result(_fake_result("ab", [0.95, 0.3]))
    assert "pen" not in view.summary.text()  # the reading pen, or an image
    view.set_result(dataclasses.replace(_fake_result("ab", [0.95, 0.3]), pen=READING_PEN_FACTORS[2]))
    assert "read surest with a broader pen" in view.summary.text()
    view.set_result(dataclasses.replace(_fake_result("ab", [0.95, 0.3]), pen=READING_PEN_FACTORS[1]))
    assert "read surest with a finer pen" in view.summary.text()


def test_the_summary_gives_the_time_a_read_took_by_the_clock_where_it_was_measured(qtbot) -> None:  # type: ignore[no-untyped-def]
    # a page's lines read side by side take less time than the sum of their parts' timings
    view = ResultView()
    qtbot.addWidget(view)
    work = dataclasses.replace(
        _fake_result("ab", [0.95, 0.9]), timings_ms={"preprocess": 300.0, "decode": 200.0}
    )
    view.set_result(work)
    assert view.summary.text().endswith("500\u00a0ms")  # no clock: what the parts took
    view.set_result(dataclasses.replace(work, elapsed_ms=320.4))
    assert view.summary.text().endswith("320\u00a0ms")


def test_a_read_in_the_tab_is_timed_by_the_clock(qtbot, tab) -> None:  # type: ignore[no-untyped-def]
    result = _draw(tab, qtbot)
    assert result.elapsed_ms is not None and 0 < result.elapsed_ms < 60_000


def test_n_best_alternatives_start_with_what_they_change(qtbot) -> None:  # type: ignore[no-untyped-def]
    # readings that differ in one tone mark look the same at list size: each alternative names the
    # words it changes, at most three runs of them
    view = ResultView()
    qtbot.addWidget(view)
    texts = ["Xin chào thế giới", "Xin chảo thế giới", "xin chào thế giói", "a b c d e f g h", ""]
    hyps = tuple(Hypothesis(t, -1.0 - i, ()) for i, t in enumerate(texts))
    view.set_result(dataclasses.replace(_fake_result(texts[0], [0.9] * 17), hypotheses=hyps))
    rows = [view.nbest.item(i).text() for i in range(view.nbest.count())]
    assert rows[0] == "1. Xin chào thế giới    score -1.00"
    assert rows[1] == "2. (chào → chảo)  Xin chảo thế giới    score -2.00"
    assert rows[2] == "3. (Xin → xin; giới → giói)  xin chào thế giói    score -3.00"
    assert rows[3].startswith("4. (Xin chào thế giới → a b c d e f g h)  ")
    assert rows[4] == "5. (Xin chào thế giới → ∅)  (empty)    score -5.00"
    assert view.nbest.item(1).data(Qt.ItemDataRole.UserRole) == "Xin chảo thế giới"  # the text alone
    assert changes_text(word_changes("a b c d e f g", "x b y d z f w")) == "a → x; c → y; e → z; …"


def test_result_view_colours_and_copy(qtbot) -> None:  # type: ignore[no-untyped-def]
    view = ResultView()
    qtbot.addWidget(view)
    html = confidence_html(
        "a< b", [CharSpan(c, 0, 0, p) for c, p in zip("a< b", (0.95, 0.7, 0.5, 0.3), strict=True)]
    )
    assert COLOR_HIGH in html and COLOR_MEDIUM in html and COLOR_LOW in html
    assert "&lt;" in html and "> </span>" in html and "a< b" not in html
    view.set_result(_fake_result("ab", [0.95, 0.3]))
    assert view.text() == "ab"
    assert view.nbest.count() == 2
    view.copy_to_clipboard()
    assert QGuiApplication.clipboard().text() == "ab"
    view.clear()
    assert view.text() == "" and view.nbest.count() == 0


def test_stage_strip_dialog(tab: RecognizeTab, qtbot) -> None:  # type: ignore[no-untyped-def]
    result = _draw(tab, qtbot)
    assert tab.stage_strip.count() == len(result.stages) + 1
    dialog = tab.stage_strip.open_stage(0)
    assert dialog.isVisible()
    assert result.stages[0].name in dialog.windowTitle()
    dialog.close()


def test_single_dot_and_huge_scribble_give_a_result_not_an_error(tab: RecognizeTab, qtbot) -> None:  # type: ignore[no-untyped-def]
    errors: list[str] = []
    tab.status_message.connect(errors.append)
    tab.resize(900, 500)
    tab.show()
    qtbot.waitExposed(tab)
    canvas = tab.canvas
    with qtbot.waitSignal(tab.result_ready, timeout=TIMEOUT) as blocker:  # a click without a move
        qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(200, 100))
        qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(200, 100))
    assert canvas.strokes() == [[(200.0, 100.0)]]
    assert canvas.render_image().min() < 128  # the dot is ink, not nothing
    dot = blocker.args[0]
    assert not dot.empty and np.isfinite(dot.probs).all()

    rng = np.random.default_rng(0)
    scribble = rng.uniform((0, 0), (canvas.width(), canvas.height()), size=(20_000, 2))
    with qtbot.waitSignal(tab.result_ready, timeout=4 * TIMEOUT) as blocker:
        canvas.add_stroke(scribble.tolist())
    big = blocker.args[0]
    assert np.isfinite(big.probs).all() and 0.0 <= big.confidence <= 1.0
    assert not errors
    assert canvas.undo() and canvas.strokes() == [[(200.0, 100.0)]]  # still usable: undo takes it back


def test_heatmap_thins_row_labels_when_rows_are_short(qtbot) -> None:  # type: ignore[no-untyped-def]
    from app.widgets.heatmap import HeatmapView

    codec = CTCCodec()
    probs = np.full((80, codec.num_classes), 1e-4, np.float32)
    probs[:, 0] = 0.5
    probs[np.arange(80), 1 + np.arange(80) % 39] = 0.5  # 39 characters peak somewhere: 40 rows
    result = RecognitionResult("", 0.5, (), probs, np.zeros((32, 320), np.float32))
    view = HeatmapView()
    qtbot.addWidget(view)
    view.resize(800, 300)
    view.show()
    qtbot.waitExposed(view)
    view.set_result(result, codec)
    axis = view.class_axis
    assert len(axis.labels()) == 40
    short = axis.shown_labels()
    assert 1 < len(short) < 40 and short[0] == "∅"
    row_px = axis.size().height() / 40
    assert row_px * 40 / len(short) >= axis.MIN_ROW_PX  # labels never overprint
    view.resize(800, 1400)
    qtbot.waitUntil(lambda: len(axis.shown_labels()) == 40)  # room for every row: all labelled


def test_a_model_onnxruntime_cannot_run_is_read_with_pytorch(qtbot, bundle, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from hwr_core import ort_session

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("unsupported operator")

    monkeypatch.setattr(ort_session, "export_onnx", broken)
    active = ActiveModel(bundle)
    widget = RecognizeTab(active, settings)
    qtbot.addWidget(widget)
    try:
        result = _draw(widget, qtbot)
        assert not result.empty
        assert "read with PyTorch" in widget.options.model_label.text()
    finally:
        widget.shutdown()


def test_a_long_reading_shows_whole_without_scrolling(qtbot) -> None:  # type: ignore[no-untyped-def]
    # At 28 pt a Cinnamon address line wrapped into a fourth row whose dots below ("Thọ") fell under
    # the box's edge; the text shrinks to fit instead, and a word keeps its 28 pt.
    view = ResultView()
    qtbot.addWidget(view)
    view.resize(480, 360)
    view.show()
    qtbot.waitExposed(view)
    line = "Phường Tiên Cát, Thành phố Việt Trì, Phú Thọ"
    view.set_result(_fake_result(line, [0.9] * len(line)))
    box = view.text_box
    assert box.document().size().height() <= box.viewport().height()
    assert not box.verticalScrollBar().isVisible()
    assert 14 <= box.document().defaultFont().pointSize() < 28
    # it wraps at its spaces, not inside a word ("Thàn|h phố")
    block = box.document().firstBlock()
    starts = [block.layout().lineAt(i).textStart() for i in range(block.layout().lineCount())]
    assert len(starts) > 1 and all(block.text()[i - 1] == " " for i in starts[1:])
    view.set_result(_fake_result("Thọ", [0.9] * 3))
    assert box.document().defaultFont().pointSize() == 28
    view.resize(900, 360)  # wider: the line gets its size back as far as it fits
    view.set_result(_fake_result(line, [0.9] * len(line)))
    narrow_pt = box.document().defaultFont().pointSize()
    view.resize(300, 360)
    qtbot.waitUntil(lambda: box.document().defaultFont().pointSize() < narrow_pt)
    assert box.document().size().height() <= box.viewport().height()
