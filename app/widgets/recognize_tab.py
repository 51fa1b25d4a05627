"""The Recognize tab: draw or load handwriting, see the text, the preprocessing and the evidence.

Every recognition goes through `RecognitionController` (worker thread, latest request wins), so
the UI never waits on the model. Canvas edits are debounced; option changes re-run at once.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from PySide6.QtCore import QMimeData, QSettings, QSignalBlocker, Qt, QTimer, Signal, Slot
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QGuiApplication,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMenu,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.active_model import ActiveModel
from app.qt_image import qimage_to_gray
from app.recent_files import RecentFiles
from app.settings_values import setting_bool
from app.widgets.canvas import KEY_PEN_WIDTH, PEN_WIDTHS, HandwritingCanvas, saved_pen_width
from app.widgets.heatmap import HeatmapView
from app.widgets.image_view import ImageView, Region
from app.widgets.reading_options import ReadingOptions
from app.widgets.result_view import ResultView
from app.widgets.stage_strip import StageStrip
from app.workers.recognition import RecognitionController
from hwr_core.batch import IMAGE_SUFFIXES, LAYOUT_SUFFIX, FileReading, FileSummary
from hwr_core.charset import CTCCodec
from hwr_core.config import DecodeConfig, PreprocessConfig
from hwr_core.errors import HwrError
from hwr_core.fileio import atomic_write_bytes
from hwr_core.image_io import ViewPlacement, crop_region, load_image, rotate_clockwise, to_grayscale
from hwr_core.image_pages import image_exists, page_count, page_path, shown_name, split_page_path
from hwr_core.layout_export import PageLines, alto_xml, hocr, page_lines, page_xml
from hwr_core.pdf_export import PdfPage, pdf_pages, searchable_pdf
from hwr_core.recognizer import RecognitionResult, Recognizer
from hwr_core.userdata import line_samples
from hwr_core.word_boxes import word_fractions, word_outlines

logger = logging.getLogger(__name__)

KEY_LAST_IMAGE_DIR = "paths/last_image_dir"
KEY_LAST_TEXT_DIR = "paths/last_text_dir"
KEY_UPRIGHT = "recognize/upright"  # bool: turn an image loaded on its side or upside down upright

# The save dialog's forms of a reading: its filters, each with what it writes, and their suffixes.
SAVE_FORMATS = {
    "Text (*.txt)": "text",
    "PAGE XML, with where each line and word lies (*.xml)": "page",
    "ALTO XML, with where each line and word lies (*.xml)": "alto",
    "hOCR, with where each line and word lies (*.hocr *.html)": "hocr",
    "Searchable PDF, the image with the reading laid over it (*.pdf)": "pdf",
}
SAVE_SUFFIXES = {"text": ".txt", "page": ".xml", "alto": ".xml", "hocr": ".hocr", "pdf": ".pdf"}
SCREEN_DPI = 96.0  # a drawing's pixels are the screen's: its PDF page as big as it was drawn


def _form_of(path: str) -> str:
    """The form a file name asks for where the dialog's filter does not say: by its suffix."""
    suffix = Path(path).suffix.lower()
    return {".xml": "page", ".hocr": "hocr", ".html": "hocr", ".pdf": "pdf"}.get(suffix, "text")


DEBOUNCE_MS = 400
# The word list, character model and ONNX export load ~0.6 s (the first read's wait). They load in
# the worker this long after the tab is shown, or a model is opened, if nothing is being written or
# read by then: loading them while a stroke is drawn stalls the UI (they hold the GIL; up to 0.33 s
# measured), so a writer who starts at once has them load with the first read, as before.
WARMUP_DELAY_MS = 500
# the file dialog offers what the loader reads, and PAGE or ALTO files (read in the Batch tab)
IMAGE_FILTER = (
    f"Images ({' '.join('*' + s for s in sorted(IMAGE_SUFFIXES))});;"
    f"PAGE or ALTO XML, read in the Batch tab (*{LAYOUT_SUFFIX});;All files (*)"
)


def _local_files(mime: QMimeData | None) -> list[str]:
    if mime is None or not mime.hasUrls():
        return []
    return [u.toLocalFile() for u in mime.urls() if u.isLocalFile() and u.toLocalFile()]


class RecognizeTab(QWidget):
    """Canvas or image in; stages, coloured text, n-best and the probability heatmap out."""

    DRAW = 0
    IMAGE = 1

    status_message = Signal(str)  # one line for the status bar (errors, loaded files)
    result_ready = Signal(object)  # the RecognitionResult now shown
    # The drawing to keep as a Teach sample: its strokes, what was written, the pen's width
    teach_requested = Signal(object, str, float)
    # An image's lines to keep as Teach samples: [(line image, its text)], the image's name
    teach_image_requested = Signal(object, str)
    # list[str]: several files, a folder or a PAGE/ALTO file, for the Batch tab
    batch_requested = Signal(list)

    def __init__(self, active_model: ActiveModel, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._active = active_model
        self._settings = settings
        self.last_result: RecognitionResult | None = None
        self._image: np.ndarray | None = None
        self._image_name = ""
        self._paged_file = ""  # the multi-page file whose page is shown, "" for any other image
        self._file = ""  # the image file shown (a page's `file#page=N`), "" for a pasted image
        self._turned = 0  # degrees clockwise the image shown is turned from the file as stored
        self._input: np.ndarray | None = None  # what the Image page reads: the image or a region of it
        self._pending_input: np.ndarray | None = None  # the input of the newest request
        self._result_input: np.ndarray | None = None  # the input `last_result` was read from
        self._pending_codec: CTCCodec | None = None  # codec of the newest submitted request
        self._shut_down = False

        self._controller = RecognitionController(self)
        self._controller.result_ready.connect(self._on_result)
        self._controller.failed.connect(self._on_error)
        self._controller.busy_changed.connect(self._on_busy)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self.recognize_now)
        self._warmup = QTimer(self)
        self._warmup.setSingleShot(True)
        self._warmup.setInterval(WARMUP_DELAY_MS)
        self._warmup.timeout.connect(self._warm_up_if_idle)
        self._warmed_bundle: object | None = None  # the bundle whose first read was prepared or done

        self.canvas = HandwritingCanvas(pen_width=saved_pen_width(settings))
        self.result_view = ResultView()
        self.stage_strip = StageStrip()
        self.heatmap = HeatmapView()
        self._build_ui()
        self.recent = RecentFiles(settings, self)
        self.recent.changed.connect(self._refresh_recent_menu)
        self._refresh_recent_menu()
        self._update_model_info()
        self._update_canvas_actions()

        self.canvas.strokes_changed.connect(self._on_strokes_changed)
        self._active.changed.connect(self._on_model_changed)
        self.setAcceptDrops(True)

    # ------------------------------------------------------------------ UI

    def _build_ui(self) -> None:
        self.input_tabs = QTabWidget()
        self.input_tabs.addTab(self._build_draw_page(), "Draw")
        self.input_tabs.addTab(self._build_image_page(), "Image")
        self.input_tabs.currentChanged.connect(self._on_input_switched)

        top = QWidget()
        top_layout = QHBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.input_tabs, 1)
        self.options = ReadingOptions(self._settings, self._model_beam_width())
        self.options.changed.connect(self.recognize_now)
        self.options.typed.connect(self._debounce.start)  # read again once the typing pauses
        self.options.status_message.connect(self.status_message)
        top_layout.addWidget(self.options)

        evidence = QSplitter(Qt.Orientation.Horizontal)
        evidence.addWidget(self.result_view)
        evidence.addWidget(self.heatmap)
        evidence.setStretchFactor(0, 2)
        evidence.setStretchFactor(1, 3)
        evidence.setChildrenCollapsible(False)
        evidence.setSizes([450, 750])  # the heatmap needs the width; text wraps

        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        stages_title = QLabel("Preprocessing stages (click to enlarge)")
        stages_title.setStyleSheet("font-weight: bold;")
        # A page of several lines: which line the stages, heatmap and n-best explain.
        self.line_label = QLabel("Evidence for line")
        self.line_picker = QComboBox()
        self.line_picker.setMinimumContentsLength(30)
        self.line_picker.currentIndexChanged.connect(self._show_line)
        self.image_view.line_clicked.connect(self.line_picker.setCurrentIndex)  # a line clicked on the image
        title_row = QHBoxLayout()
        title_row.addWidget(stages_title)
        title_row.addStretch(1)
        title_row.addWidget(self.line_label)
        title_row.addWidget(self.line_picker)
        self._set_line_choices(())
        bottom_layout.addLayout(title_row)
        bottom_layout.addWidget(self.stage_strip)
        bottom_layout.addWidget(evidence, 1)

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(top)
        self.splitter.addWidget(bottom)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.splitter)

    def _build_draw_page(self) -> QWidget:
        bar = QToolBar()
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        tools = QActionGroup(self)
        self.pen_action = QAction("Pen", self, checkable=True, checked=True)
        self.pen_action.setToolTip("Draw strokes")
        self.eraser_action = QAction("Eraser", self, checkable=True)
        self.eraser_action.setToolTip("Erase whole strokes (right-drag erases too)")
        for a in (self.pen_action, self.eraser_action):
            tools.addAction(a)
            bar.addAction(a)
        self.eraser_action.toggled.connect(self.canvas.set_eraser)
        bar.addSeparator()
        bar.addWidget(QLabel(" Width "))
        self.pen_width_spin = QDoubleSpinBox()
        self.pen_width_spin.setRange(*PEN_WIDTHS)
        self.pen_width_spin.setSingleStep(0.5)
        self.pen_width_spin.setDecimals(1)
        self.pen_width_spin.setSuffix(" px")
        self.pen_width_spin.setToolTip(
            "The pen's width on screen. Any width reads alike: the model gets the strokes drawn with a pen\n"
            "sized to the writing (the stage strip's first image shows it)."
        )
        self.pen_width_spin.setValue(self.canvas.pen_width())
        self.pen_width_spin.valueChanged.connect(self._on_pen_width)
        bar.addWidget(self.pen_width_spin)
        bar.addSeparator()
        # No shortcuts here: the main window's Edit menu owns Ctrl+Z / Ctrl+Shift+Z, and a second
        # action with the same keys would make both ambiguous (neither fires).
        self.undo_action = QAction("Undo", self)
        self.undo_action.triggered.connect(self.canvas.undo)
        self.redo_action = QAction("Redo", self)
        self.redo_action.triggered.connect(self.canvas.redo)
        self.clear_action = QAction("Clear", self)
        self.clear_action.triggered.connect(self.canvas.clear)
        for a in (self.undo_action, self.redo_action, self.clear_action):
            bar.addAction(a)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        bar.addWidget(spacer)
        self.teach_button = QPushButton("Correct && teach…")
        self.teach_button.setToolTip(
            "Misread? Type what you wrote (the reading is filled in) and keep the drawing as a sample:\n"
            "Personalise, in the Teach tab, learns your handwriting from such samples"
        )
        self.teach_button.clicked.connect(self.teach_dialog)
        bar.addWidget(self.teach_button)
        self.recognize_button = QPushButton("Recognize now")
        self.recognize_button.setToolTip("Recognise the current input without waiting")
        self.recognize_button.clicked.connect(self.recognize_now)
        bar.addWidget(self.recognize_button)

        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        layout.addWidget(bar)
        layout.addWidget(self.canvas, 1)
        return page

    def _build_image_page(self) -> QWidget:
        bar = QToolBar()
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        open_action = bar.addAction("Open…")
        open_action.setToolTip("Open an image file (or drop one onto this tab)")
        open_action.triggered.connect(self.open_image_dialog)
        paste_action = bar.addAction("Paste")
        paste_action.setToolTip("Paste an image (or an image file) from the clipboard")
        paste_action.triggered.connect(self.paste_from_clipboard)
        self.recent_menu = QMenu("Recent", self)
        self.recent_menu.setToolTipsVisible(True)
        self.recent_button = QToolButton()
        self.recent_button.setText("Recent")
        self.recent_button.setMenu(self.recent_menu)
        self.recent_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        bar.addWidget(self.recent_button)
        bar.addSeparator()
        self.rotate_left_action = bar.addAction("⟲")
        self.rotate_left_action.setToolTip(
            "Rotate the image a quarter turn to the left (a photo taken sideways)"
        )
        self.rotate_left_action.triggered.connect(lambda: self.rotate_image(270))
        self.rotate_right_action = bar.addAction("⟳")
        self.rotate_right_action.setToolTip("Rotate the image a quarter turn to the right")
        self.rotate_right_action.triggered.connect(lambda: self.rotate_image(90))
        self.upright_action = bar.addAction("Upright")
        self.upright_action.setCheckable(True)
        self.upright_action.setToolTip(
            "Turn an image loaded on its side or upside down upright by itself: where its lines run\n"
            "down the image, or read clearly surer turned over (a word or a short line is left as it is)"
        )
        self.upright_action.setChecked(setting_bool(self._settings, KEY_UPRIGHT, True))
        self.upright_action.toggled.connect(lambda on: self._settings.setValue(KEY_UPRIGHT, on))
        self.fit_action = bar.addAction("Fit")
        self.fit_action.setToolTip("Show all of the image (the wheel zooms in where the pointer is)")
        self.fit_action.triggered.connect(lambda: self.image_view.fit())
        for action in (self.rotate_left_action, self.rotate_right_action, self.fit_action):
            action.setEnabled(False)
        bar.addSeparator()
        # a multi-page file's (a scanner's TIFF) page shown; hidden for any other image
        self.page_spin = QSpinBox()
        self.page_spin.setPrefix("page ")
        self.page_spin.setToolTip("The page of the file to read (a multi-page TIFF)")
        self.page_spin.valueChanged.connect(self._on_page_chosen)
        self.page_action = bar.addWidget(self.page_spin)
        self.page_action.setVisible(False)
        self.image_name_label = QLabel()
        self.image_name_label.setStyleSheet("color: #555;")
        bar.addWidget(self.image_name_label)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        bar.addWidget(spacer)
        self.image_teach_button = QPushButton("Correct && teach…")
        self.image_teach_button.setToolTip(
            "Misread? Correct the reading, one line of text per line read, and keep each line of the\n"
            "image as a sample: Personalise, in the Teach tab, learns your handwriting from them"
        )
        self.image_teach_button.clicked.connect(self.teach_dialog)
        self.image_teach_button.setEnabled(False)
        bar.addWidget(self.image_teach_button)
        again = QPushButton("Recognize now")
        again.clicked.connect(self.recognize_now)
        bar.addWidget(again)

        self.image_view = ImageView()
        self.image_view.region_changed.connect(self._on_region)
        self.image_view.zoom_changed.connect(lambda _zoom: self._update_image_label())
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        layout.addWidget(bar)
        layout.addWidget(self.image_view, 1)
        return page

    # ------------------------------------------------------------------ recognition

    def make_recognizer(self) -> Recognizer | None:
        """The active recognizer with the panel's options (shares the network; cheap)."""
        base = self._active.recognizer
        return self.options.apply(base) if base is not None else None  # HwrError: shown

    def input_mode(self) -> int:
        return self.input_tabs.currentIndex()

    @Slot()
    def recognize_now(self) -> int | None:
        """Recognise the visible input now; returns the request id (None: nothing to recognise)."""
        return self._read(upright=False)

    def _read(self, upright: bool) -> int | None:
        """`recognize_now`; `upright`: a whole loaded image is turned first if it lies on its side
        or upside down (the result's `turned`, which `_on_result` applies to the image)."""
        self._debounce.stop()
        if self._shut_down:
            return None
        strokes = None
        if self.input_mode() == self.DRAW:
            if self.canvas.is_empty():
                self.clear_result()
                return None
            strokes = self.canvas.strokes()  # drawn with other pens too, in the worker, if need be
            image = self.canvas.render_image()
        else:
            if self._input is None:
                self.clear_result()
                return None
            image = self._input
        try:
            rec = self.make_recognizer()
        except HwrError as exc:
            self.status_message.emit(str(exc))
            return None
        if rec is None:
            self.status_message.emit("No model loaded: open a model file or train one first")
            return None
        self._pending_codec = rec.codec
        self._pending_input = image
        self._warmed_bundle = self._active.bundle  # this read loads what a warm-up would
        # Drawn or loaded, an image may hold several lines: read line by line where that reads
        # surer (a word with floating accents stays whole; Recognizer.recognize_page).
        return self._controller.submit(image, rec, upright=upright and image is self._image, strokes=strokes)

    def clear_result(self) -> None:
        """Forget pending requests and empty the result views."""
        self._controller.cancel()
        self.last_result = None
        self._result_input = None
        self.result_view.clear()
        self.stage_strip.clear()
        self.heatmap.clear()
        self._set_line_choices(())

    def _set_line_choices(self, lines: Sequence[RecognitionResult]) -> None:
        with QSignalBlocker(self.line_picker):
            self.line_picker.clear()
            for i, line in enumerate(lines, start=1):
                self.line_picker.addItem(f"{i} of {len(lines)}: {line.text or '(nothing read)'}")
        self.line_label.setVisible(len(lines) > 1)
        self.line_picker.setVisible(len(lines) > 1)

    @Slot(int)
    def _show_line(self, index: int) -> None:
        """Point the evidence views (stages, heatmap, n-best) at one line of the last result."""
        result = self.last_result
        if result is None:
            return
        index = max(0, min(index, len(result.lines) - 1)) if result.lines else 0
        line = result.lines[index] if result.lines else result
        self.image_view.set_current_line(index)
        self.stage_strip.set_stages(line.stages, line.model_input)
        self.result_view.set_result(result, index)
        codec = self._pending_codec or (self._active.bundle.codec if self._active.bundle else None)
        if codec is not None:
            self.heatmap.set_result(line, codec)
        else:
            self.heatmap.clear()

    @Slot(int, object)
    def _on_result(self, request_id: int, result: RecognitionResult) -> None:
        self.last_result = result
        self._result_input = self._pending_input
        if result.turned and self._image is not None and self._result_input is self._image:
            self._turn_shown_image(result.turned)
        self._update_model_info()  # the engine may have changed: onnxruntime -> PyTorch fallback
        self._set_line_choices(result.lines)
        self._outline_lines(result)
        self._show_line(0)
        self.result_ready.emit(result)

    def _outline_lines(self, result: RecognitionResult) -> None:
        """Show on the image where a page's lines (or its one line) were found and their words read,
        when the image (or a region of it) is what was read."""
        if self._input is None or self._result_input is not self._input:
            return  # the drawing was read, or the image changed since
        region = self.image_view.region() if self._input is not self._image else None
        offset = np.array(region[:2], np.float64) if region else np.zeros(2)
        placed = [line for line in result.lines or (result,) if line.outline is not None]
        outlines = [line.outline + offset for line in placed]  # type: ignore[operator]
        words = [word_outlines(o, word_fractions(line)) for o, line in zip(outlines, placed, strict=True)]
        self.image_view.set_lines(outlines, words)

    @Slot(int, str)
    def _on_error(self, request_id: int, message: str) -> None:
        self.status_message.emit(message)

    @Slot(bool)
    def _on_busy(self, busy: bool) -> None:
        self.options.set_busy(busy)

    # ------------------------------------------------------------------ reactions

    @Slot()
    def _on_strokes_changed(self) -> None:
        self._update_canvas_actions()
        if self.input_mode() != self.DRAW:
            return
        if self.canvas.is_empty():
            self._debounce.stop()
            self.clear_result()
        else:
            self._debounce.start()  # restarts: recognise once the writer pauses

    def _update_canvas_actions(self) -> None:
        self.undo_action.setEnabled(self.canvas.can_undo())
        self.redo_action.setEnabled(self.canvas.can_redo())
        self.clear_action.setEnabled(not self.canvas.is_empty())
        self.teach_button.setEnabled(not self.canvas.is_empty())

    def drawing_reading(self) -> str:
        """The reading shown for the drawing, as one line ("" when none is shown)."""
        if self.input_mode() != self.DRAW or self.last_result is None:
            return ""
        return " ".join(self.last_result.text.split())

    def teach_dialog(self) -> None:
        """Ask what was written, prefilled with the reading, and keep the drawing or image's lines."""
        if self.input_mode() == self.DRAW:
            if not self._has_drawing():
                return
            text, ok = QInputDialog.getText(
                self, "Correct and teach", "What was written:", text=self.drawing_reading()
            )
        else:
            result = self._image_reading()
            if result is None:
                return
            if len(result.lines) > 1:
                text, ok = self._ask_page_text(result)
            else:
                text, ok = QInputDialog.getText(
                    self, "Correct and teach", "What was written:", text=result.text
                )
        if ok:
            self.teach(text)

    def _ask_page_text(self, page: RecognitionResult) -> tuple[str, bool]:
        """What was written on a page read as lines, one line of text each, its reading filled in."""
        dialog = QInputDialog(self)
        dialog.setWindowTitle("Correct and teach")
        dialog.setLabelText(
            f"What was written: one line of text for each of the {len(page.lines)} lines read\n"
            "(an empty line leaves that line out):"
        )
        dialog.setOption(QInputDialog.InputDialogOption.UsePlainTextEditForTextInput)
        dialog.setTextValue(page.text)
        # Wide enough for a line of a page: the lines do not wrap, so each stays one line.
        dialog.resize(max(dialog.sizeHint().width(), min(900, self.width())), dialog.sizeHint().height())
        ok = dialog.exec() == QDialog.DialogCode.Accepted
        return dialog.textValue(), ok

    def _image_reading(self) -> RecognitionResult | None:
        """The reading shown for the loaded image; says why in the status bar when there is none."""
        if self._image is None:
            self.status_message.emit("Open an image first")
            return None
        if self.last_result is None or self._result_input is not self._input:
            self.status_message.emit("Wait for the image's reading, then correct it")
            return None
        return self.last_result

    def _has_drawing(self) -> bool:
        """Whether the canvas holds writing to keep; says so in the status bar when it does not."""
        if self.canvas.is_empty():
            self.status_message.emit("Write something on the canvas first")
            return False
        return True

    def teach(self, text: str) -> bool:
        """Ask for the drawing, or the image's lines (one line of `text` each, `line_samples`), to be
        kept as Teach samples of `text` (the main window stores them)."""
        if self.input_mode() == self.IMAGE:
            result = self._image_reading()
            if result is None:
                return False
            assert self._input is not None  # (_image_reading checked it)
            try:
                pairs = line_samples(self._input, result, text)
            except HwrError as exc:
                self.status_message.emit(str(exc))
                return False
            self.teach_image_requested.emit(pairs, self._image_name)
            return True
        if not self._has_drawing():
            return False
        if not text.strip():
            self.status_message.emit("Type what was written to keep the drawing")
            return False
        self.teach_requested.emit(self.canvas.strokes(), text, self.canvas.pen_width())
        return True

    @Slot(float)
    def _on_pen_width(self, width: float) -> None:
        self.canvas.set_pen_width(width)
        self._settings.setValue(KEY_PEN_WIDTH, float(width))
        if self.input_mode() == self.DRAW and not self.canvas.is_empty():
            self._debounce.start()

    def _model_beam_width(self) -> int:
        bundle = self._active.bundle
        return bundle.decode.beam_width if bundle is not None else DecodeConfig().beam_width

    @Slot(int)
    def _on_input_switched(self, index: int) -> None:
        self.recognize_now()  # show the result of what is visible (or nothing)

    @Slot(object)
    def _on_model_changed(self, bundle: object) -> None:
        self.options.follow_model_beam_width(self._model_beam_width())
        self._update_model_info()
        self.recognize_now()
        if self.isVisible():
            self._warmup.start()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if self._warmed_bundle is None:
            self._warmup.start()

    def _warm_up_if_idle(self) -> None:
        """Have the worker load what the first read of this model needs, if nothing is being
        written or read (`WARMUP_DELAY_MS` says why)."""
        bundle = self._active.bundle
        if self._shut_down or bundle is None or bundle is self._warmed_bundle:
            return
        if not self.canvas.is_empty() or self.canvas.is_drawing() or self._controller.is_busy():
            return
        try:
            rec = self.make_recognizer()
        except HwrError:
            return  # the first read reports it
        if rec is not None:
            self._warmed_bundle = bundle
            self._controller.prepare(rec)

    def _update_model_info(self) -> None:
        engine = self._active.recognizer.engine if self._active.recognizer is not None else "?"
        self.options.show_model(self._active.bundle, engine)

    # ------------------------------------------------------------------ image input

    def _has_reading(self) -> bool:
        """Whether a reading is shown; says so in the status bar when none is."""
        if not self.result_view.text():
            self.status_message.emit("Nothing read yet: draw or open an image first")
            return False
        return True

    def save_text_dialog(self) -> bool:
        """Ask where to save the reading shown (named after the image) and in which form: text, or
        with where its lines and words lie in the image file as PAGE XML, ALTO XML or hOCR, or as a
        searchable PDF of the image."""
        if not self._has_reading():
            return False
        stem = "drawing"
        if self.input_mode() == self.IMAGE and self._paged_file:
            stem = f"{Path(self._paged_file).stem}-page{self.page_spin.value()}"
        elif self.input_mode() == self.IMAGE and self._image_name:
            stem = Path(self._image_name).stem
        start = Path(str(self._settings.value(KEY_LAST_TEXT_DIR, "") or "")) / f"{stem}.txt"
        path, chosen = QFileDialog.getSaveFileName(
            self, "Save the reading", str(start), ";;".join(SAVE_FORMATS)
        )
        if not path:
            return False
        form = SAVE_FORMATS.get(chosen) or _form_of(path)
        if not Path(path).suffix:
            path += SAVE_SUFFIXES[form]
        return self.save_reading(path, form)

    def save_text(self, path: str | os.PathLike[str]) -> bool:
        """Write the reading shown to `path` as UTF-8 text (a page's lines as lines), atomically."""
        return self.save_reading(path, "text")

    def save_reading(self, path: str | os.PathLike[str], form: str) -> bool:
        """Write the reading shown to `path`, atomically: as UTF-8 text (`form` "text"), or with where
        its lines and words lie in the image file ("page", "alto", "hocr"; `reading_layout`), or
        as a searchable PDF of the image ("pdf")."""
        if not self._has_reading():
            return False
        if form == "text":
            data = (self.result_view.text() + "\n").encode("utf-8")
        elif form == "pdf" and self.input_mode() == self.DRAW:
            drawing = self._drawing_page()
            if drawing is None:
                return False
            data = searchable_pdf([drawing])
        else:
            layout = self.reading_layout()
            if layout is None:
                return False
            made = datetime.now(UTC)
            writers = {
                "page": lambda: page_xml(layout, made),
                "alto": lambda: alto_xml(layout, made),
                "hocr": lambda: hocr([layout], Path(path).resolve().parent),
                "pdf": lambda: searchable_pdf(pdf_pages([layout])),
            }
            try:
                data = writers[form]()
            except HwrError as exc:  # the PDF's image: the file gone or changed since it was read
                self.status_message.emit(f"Nothing saved: {exc}")
                return False
        try:
            atomic_write_bytes(Path(path), data)
        except OSError as exc:
            self.status_message.emit(f"Cannot save {path}: {exc.strerror or exc}")
            return False
        self._settings.setValue(KEY_LAST_TEXT_DIR, str(Path(path).resolve().parent))
        self.status_message.emit(f"Saved the {'text' if form == 'text' else 'reading'} to {path}")
        return True

    def _drawing_page(self) -> PdfPage | None:
        """The drawing read (as drawn for the model) with its reading shown, each line and word where
        it was read, as a PDF page; None, said in the status bar, when the reading is not shown yet."""
        if not self._has_drawing():
            return None
        drawn, result = self._result_input, self.last_result
        stale = self._debounce.isActive() or self._pending_input is not drawn  # drawn on since
        if drawn is None or result is None or stale or drawn is self._input:
            self.status_message.emit("Wait for the drawing's reading, then save it")
            return None
        height, width = drawn.shape
        reading = FileReading(Path("drawing"), result, placement=ViewPlacement(width, height))
        layout = page_lines(Path("drawing"), self.result_view.text(), FileSummary.of(reading))
        return PdfPage(drawn, layout, dpi=SCREEN_DPI) if layout is not None else None  # as big as drawn

    def reading_layout(self) -> PageLines | None:
        """The reading shown (as corrected here), each line and word where it lies in the image
        file as stored (through the turns made here and the region read); None, said in the status
        bar, where there is no file to place it on (a drawing, a pasted image) or no reading of it."""
        if self.input_mode() != self.IMAGE or not self._file:
            self.status_message.emit(
                "PAGE XML, ALTO XML and hOCR place the reading on an image file: open one (a drawing "
                "or a pasted image has none; a drawing saves as a PDF)"
            )
            return None
        result = self._image_reading()
        if result is None:
            return None
        assert self._image is not None  # (_image_reading checked it)
        h, w = self._image.shape
        stored = (h, w) if self._turned % 180 else (w, h)  # the file's width and height
        region = self.image_view.region() if self._input is not self._image else None
        placement = ViewPlacement(*stored, rotate=self._turned, region=region)
        reading = FileReading(Path(self._file), result, placement=placement)
        return page_lines(Path(self._file), self.result_view.text(), FileSummary.of(reading))

    def open_image_dialog(self) -> bool:
        start = str(self._settings.value(KEY_LAST_IMAGE_DIR, "") or "")
        path, _ = QFileDialog.getOpenFileName(self, "Open handwriting image", start, IMAGE_FILTER)
        if not path:
            return False
        return self.load_image_file(path)

    def load_image_file(self, path: str | os.PathLike[str]) -> bool:
        """Load and recognise an image file; failures go to `status_message` and return False. A PAGE
        or ALTO file goes to the Batch tab, which reads the lines it gives."""
        name = os.fspath(path)
        if Path(name).suffix.lower() == LAYOUT_SUFFIX:
            self.batch_requested.emit([name])
            return True
        max_pixels = (
            self._active.bundle.preprocess.max_pixels
            if self._active.bundle
            else PreprocessConfig().max_pixels
        )
        try:
            image = load_image(name, max_pixels=max_pixels)
        except HwrError as exc:
            self.status_message.emit(str(exc))
            if not image_exists(name):
                self.recent.remove(name)
            return False
        except Exception as exc:  # noqa: BLE001 - never let a file take the UI down
            logger.exception("loading %s failed", name)
            self.status_message.emit(f"{name}: cannot open ({type(exc).__name__}: {exc})")
            return False
        file, page = split_page_path(name)
        self._settings.setValue(KEY_LAST_IMAGE_DIR, str(Path(file).resolve().parent))
        self.recent.add(file)  # the file, not each page turned to
        pages = page_count(file)
        if not self.set_image(image, shown_name(name)):
            return False
        self._file = name
        self._show_pages(file if pages > 1 else "", page or 1, pages)
        return True

    def _show_pages(self, file: str, page: int, pages: int) -> None:
        """Offer the other pages of a multi-page `file` ("": none)."""
        self._paged_file = file
        self.page_action.setVisible(bool(file))
        if file:
            with QSignalBlocker(self.page_spin):
                self.page_spin.setRange(1, pages)
                self.page_spin.setSuffix(f" of {pages}")
                self.page_spin.setValue(page)

    @Slot(int)
    def _on_page_chosen(self, page: int) -> None:
        if self._paged_file:
            self.load_image_file(page_path(self._paged_file, page))

    def set_image(self, array: np.ndarray, name: str) -> bool:
        """Show `array` (any gray/RGB/RGBA image) in the image view and recognise it."""
        try:
            gray = to_grayscale(array)
        except HwrError as exc:
            self.status_message.emit(f"{name}: {exc}")
            return False
        h, w = gray.shape
        self._show_pages("", 1, 1)  # a file's pages are offered again by `load_image_file`
        self._file, self._turned = "", 0  # (`load_image_file` names its file once it is shown)
        self._show_image(gray, name, f"Loaded {name} ({w}×{h})", upright=True)
        return True

    def _show_image(self, gray: np.ndarray, name: str, message: str, upright: bool = False) -> None:
        """Show and read an image; `upright`: turned first where it lies on its side or upside
        down, if *Upright* is on (a new image, not one the user has just turned)."""
        self._image = self._input = gray
        self._image_name = name
        for widget in (self.image_teach_button, self.rotate_left_action, self.rotate_right_action):
            widget.setEnabled(True)
        self.image_view.set_array(gray)
        self._update_image_label()
        with QSignalBlocker(self.input_tabs):  # recognise once below, not again on the switch
            self.input_tabs.setCurrentIndex(self.IMAGE)
        self.status_message.emit(message)
        self._read(upright=upright and self.upright_action.isChecked())

    def _turn_shown_image(self, degrees: int) -> None:
        """The image read turned by itself (`Upright`): shown, and kept, as it was read."""
        assert self._image is not None
        self._image = self._input = self._result_input = rotate_clockwise(self._image, degrees)
        self._turned = (self._turned + degrees) % 360
        self.image_view.set_array(self._image)
        self._update_image_label()
        how = (
            "upside down"
            if degrees == 180
            else f"a quarter turn to the {'right' if degrees == 90 else 'left'}"
        )
        self.status_message.emit(f"Turned {self._image_name} {how} to read it upright (⟲ ⟳ turn it back)")

    def rotate_image(self, degrees: int) -> None:
        """Turn the image clockwise by 90, 180 or 270 degrees and read it again."""
        if self._image is None:
            return
        self._turned = (self._turned + degrees) % 360
        self._show_image(
            rotate_clockwise(self._image, degrees), self._image_name, f"Rotated {self._image_name}"
        )

    def _update_image_label(self) -> None:
        if self._image is None:
            return
        h, w = self._image.shape
        text = f"{self._image_name}  ({w}×{h})"
        zoomed = not self.image_view.is_fitted()
        self.fit_action.setEnabled(zoomed)
        if zoomed:
            text += f" at {self.image_view.zoom():.0%}"
        if self._input is not self._image and self._input is not None:
            text += f", reading a region of {self._input.shape[1]}×{self._input.shape[0]}"
        self.image_name_label.setText(text)

    @Slot(object)
    def _on_region(self, region: Region | None) -> None:
        """Read the region dragged on the image, or all of it again (a click)."""
        if self._image is None:
            return
        if region is None:
            self._input = self._image
            self.status_message.emit("Reading the whole image")
        else:
            x0, y0, x1, y1 = region
            self._input = crop_region(self._image, region)
            self.status_message.emit(
                f"Reading the region {x1 - x0}×{y1 - y0} at ({x0}, {y0}); a click or Escape reads all of it"
            )
        self._update_image_label()
        self.recognize_now()

    def current_image(self) -> np.ndarray | None:
        return self._image

    def paste_from_clipboard(self) -> bool:
        clipboard = QGuiApplication.clipboard()
        mime = clipboard.mimeData()
        if mime is not None and mime.hasImage():
            qimage = clipboard.image()
            if not qimage.isNull():
                return self.set_image(qimage_to_gray(qimage), "pasted image")
        for path in _local_files(mime):
            return self.load_image_file(path)
        self.status_message.emit("The clipboard holds no image")
        return False

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        mime = event.mimeData()
        if _local_files(mime) or mime.hasImage():
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        mime = event.mimeData()
        if _local_files(mime) or mime.hasImage():
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        mime = event.mimeData()
        files = _local_files(mime)
        if files:
            event.acceptProposedAction()
            if len(files) > 1 or os.path.isdir(files[0]):
                self.batch_requested.emit(files)  # the Batch tab reads them all
            else:
                self.load_image_file(files[0])
        elif mime.hasImage():
            event.acceptProposedAction()
            self.set_image(qimage_to_gray(mime.imageData()), "dropped image")
        else:
            event.ignore()

    # ------------------------------------------------------------------ recent files

    def recent_files(self) -> list[str]:
        return self.recent.files()

    def _refresh_recent_menu(self) -> None:
        self.recent.fill_menu(self.recent_menu, self.load_image_file)
        self.recent_button.setEnabled(self.recent_menu.isEnabled())

    # ------------------------------------------------------------------ lifetime

    def shutdown(self) -> None:
        """Stop the timers and the recognition thread (call before the window closes)."""
        self._shut_down = True
        self._debounce.stop()
        self._warmup.stop()
        self._controller.shutdown()

    def is_recognition_running(self) -> bool:
        return self._controller.is_running()
