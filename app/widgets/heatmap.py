"""Why the model read what it read: the input image over the per-timestep class probabilities.

Both plots share the x-axis in input-image columns; timestep t covers columns
[t * W / T, (t + 1) * W / T). Only the classes that matter get a row: the blank, every class whose
peak probability exceeds `MIN_PEAK`, and the decoded characters.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPen
from PySide6.QtWidgets import QGraphicsRectItem, QLabel, QSizePolicy, QVBoxLayout, QWidget

from hwr_core.charset import CTCCodec
from hwr_core.recognizer import RecognitionResult

from .result_view import confidence_color

logger = logging.getLogger(__name__)

MIN_PEAK = 0.05
MAX_ROWS = 40  # beyond this the labels are unreadable; the strongest classes are kept
TOP_K = 5
_AXIS_WIDTH = 34


def _display_label(label: str) -> str:
    return "␣" if label == " " else label


def _class_ids(codec: CTCCodec) -> dict[str, int]:
    """Character -> class id (alphabet[i] is id i + 1; 0 is the blank)."""
    return {ch: i + 1 for i, ch in enumerate(codec.alphabet)}


class ClassAxis(pg.AxisItem):
    """Left axis labelling each heatmap row with its character (row i spans y in [i, i + 1]).

    When rows are shorter than a label (a long line, a small window), only every k-th row is
    labelled, so labels never overprint; hovering still names every class."""

    MIN_ROW_PX = 12.0

    def __init__(self) -> None:
        super().__init__("left")
        self._labels: list[str] = []
        self._ticks: list[tuple[float, str]] = []
        self.setWidth(_AXIS_WIDTH)

    def set_labels(self, labels: list[str]) -> None:
        self._labels = list(labels)
        self._update_ticks()

    def labels(self) -> list[str]:
        return list(self._labels)

    def shown_labels(self) -> list[str]:
        """The labels drawn at the current size."""
        return [text for _, text in self._ticks]

    def _update_ticks(self) -> None:
        n = len(self._labels)
        row_px = self.size().height() / n if n else 0.0
        step = 1 if row_px <= 0 or row_px >= self.MIN_ROW_PX else math.ceil(self.MIN_ROW_PX / row_px)
        self._ticks = [(i + 0.5, _display_label(s)) for i, s in enumerate(self._labels) if i % step == 0]
        self.setTicks([self._ticks, []])

    def resizeEvent(self, ev=None) -> None:  # type: ignore[no-untyped-def]
        super().resizeEvent(ev)
        if hasattr(self, "_ticks"):  # the base constructor resizes before ours has run
            self._update_ticks()


class HeatmapView(QWidget):
    """`set_result(result, codec)`; hovering shows the top-5 classes of the timestep under the mouse."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._result: RecognitionResult | None = None
        self._codec: CTCCodec | None = None
        self._rows: list[int] = []
        self._width = 1  # model input width W (x-axis units)
        self._span_items: list[object] = []

        self.plots = pg.GraphicsLayoutWidget()
        self.plots.setBackground("w")
        self.plots.ci.setSpacing(2)
        self.input_plot: pg.PlotItem = self.plots.addPlot(row=0, col=0)
        self.class_axis = ClassAxis()
        self.prob_plot: pg.PlotItem = self.plots.addPlot(row=1, col=0, axisItems={"left": self.class_axis})
        self.plots.ci.layout.setRowStretchFactor(0, 2)
        self.plots.ci.layout.setRowStretchFactor(1, 3)

        self.input_image = pg.ImageItem(axisOrder="row-major")
        self.input_plot.addItem(self.input_image)
        self.prob_image = pg.ImageItem(axisOrder="row-major")
        self.prob_image.setColorMap(pg.colormap.get("viridis"))
        self.prob_plot.addItem(self.prob_image)

        for plot in (self.input_plot, self.prob_plot):
            plot.invertY(True)  # image rows and class rows top-down
            plot.setMouseEnabled(x=True, y=False)
            plot.hideButtons()
            plot.setMenuEnabled(False)
            for name in ("left", "bottom"):
                axis = plot.getAxis(name)
                axis.setPen(pg.mkPen("#999"))
                axis.setTextPen(pg.mkPen("#333"))
        # equal left-axis widths keep the two view boxes' x pixels aligned
        self.input_plot.getAxis("left").setWidth(_AXIS_WIDTH)
        self.input_plot.getAxis("left").setStyle(showValues=False)
        self.input_plot.getAxis("left").setTicks([[], []])  # image rows need no scale
        self.input_plot.getAxis("bottom").setStyle(showValues=False)
        self.input_plot.getAxis("bottom").setHeight(4)
        self.prob_plot.setXLink(self.input_plot)
        self.prob_plot.setLabel("bottom", "model input column (each cell = one timestep)")

        cursor_pen = pg.mkPen(QColor(230, 60, 60, 200), width=1)
        self._cursors = [pg.InfiniteLine(angle=90, pen=cursor_pen), pg.InfiniteLine(angle=90, pen=cursor_pen)]
        self.input_plot.addItem(self._cursors[0], ignoreBounds=True)
        self.prob_plot.addItem(self._cursors[1], ignoreBounds=True)
        for c in self._cursors:
            c.hide()
        self._placeholder = pg.TextItem(
            "The model's per-timestep softmax appears here", color="#999", anchor=(0.5, 0.5)
        )
        self.prob_plot.addItem(self._placeholder, ignoreBounds=True)

        self.hover_label = QLabel()
        self.hover_label.setStyleSheet("font-family: monospace; color: #333;")
        self.hover_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.hover_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plots, 1)
        layout.addWidget(self.hover_label)
        self.setMinimumHeight(220)

        self._proxy = pg.SignalProxy(
            self.plots.scene().sigMouseMoved, rateLimit=30, slot=self._on_mouse_moved
        )
        self.clear()

    # ------------------------------------------------------------------ public

    def rows(self) -> list[int]:
        """Class ids of the heatmap rows, top to bottom (0 = blank first)."""
        return list(self._rows)

    def row_labels(self) -> list[str]:
        return self.class_axis.labels()

    def timesteps(self) -> int:
        return 0 if self._result is None else int(self._result.probs.shape[0])

    def clear(self) -> None:
        self._result = None
        self._codec = None
        self._rows = []
        self.input_image.clear()
        self.prob_image.clear()
        self.class_axis.set_labels([])
        self._clear_spans()
        for c in self._cursors:
            c.hide()
        # fixed, empty ranges: autorange over nothing would show a meaningless -400..400 axis
        self.input_plot.setXRange(0, 100, padding=0)
        self.input_plot.setYRange(0, 1, padding=0)
        self.prob_plot.setYRange(0, 1, padding=0)
        self._placeholder.setPos(50, 0.5)
        self._placeholder.show()
        self.hover_label.setText("Hover the heatmap to see a timestep's top-5 characters.")

    def set_result(self, result: RecognitionResult, codec: CTCCodec) -> None:
        probs = np.asarray(result.probs, dtype=np.float32)
        model_input = np.asarray(result.model_input, dtype=np.float32)
        if probs.ndim != 2 or probs.shape[0] == 0 or model_input.ndim != 2:
            self.clear()
            return
        if probs.shape[1] != codec.num_classes:
            logger.warning("heatmap: %d classes in result, %d in codec", probs.shape[1], codec.num_classes)
            self.clear()
            return
        self._result = result
        self._codec = codec
        height, width = model_input.shape
        n_steps = probs.shape[0]
        self._width = max(1, width)

        self.input_image.setImage(1.0 - model_input, levels=(0.0, 1.0))  # ink 1.0 -> dark
        self.input_image.setRect(QRectF(0, 0, width, height))

        self._rows = self._select_rows(probs, result, codec)
        grid = probs[:, self._rows].T  # (R, T): one row per class, one column per timestep
        self.prob_image.setImage(grid, levels=(0.0, 1.0))
        self.prob_image.setRect(QRectF(0, 0, width, len(self._rows)))
        self.class_axis.set_labels([codec.label(c) for c in self._rows])

        self._clear_spans()
        self._mark_spans(result, codec, n_steps, height)
        # room under the image for the decoded characters
        self.input_plot.setYRange(0, height * 1.7, padding=0)
        self.prob_plot.setYRange(0, len(self._rows), padding=0)
        self.input_plot.setXRange(0, width, padding=0.01)
        self._placeholder.hide()
        self.hover_label.setText(f"{n_steps} timesteps × {len(self._rows)} shown classes; hover for top-5.")

    def hover_text(self, t: int) -> str:
        """Top-5 classes at timestep `t`, one per line: label and probability; '' when out of range."""
        if self._result is None or self._codec is None:
            return ""
        probs = self._result.probs
        if not 0 <= t < probs.shape[0]:
            return ""
        row = probs[t]
        order = np.argsort(row)[::-1][:TOP_K]
        return "\n".join(f"{_display_label(self._codec.label(int(c)))}  {float(row[c]):.3f}" for c in order)

    def timestep_at(self, x: float) -> int:
        """Timestep under input column `x` (may be out of range)."""
        n = self.timesteps()
        return int(np.floor(x * n / self._width)) if n else -1

    # ------------------------------------------------------------------ internals

    @staticmethod
    def _select_rows(probs: np.ndarray, result: RecognitionResult, codec: CTCCodec) -> list[int]:
        peak = probs.max(axis=0)
        ids = _class_ids(codec)
        decoded = {ids[s.char] for s in result.spans if s.char in ids}
        strong = set(np.flatnonzero(peak > MIN_PEAK).tolist()) - {0}
        chosen = decoded | strong
        if len(chosen) > MAX_ROWS - 1:  # keep the decoded ones, then the strongest others
            others = sorted(strong - decoded, key=lambda c: -peak[c])
            chosen = set(list(decoded)[: MAX_ROWS - 1])
            chosen |= set(others[: max(0, MAX_ROWS - 1 - len(chosen))])
        return [0, *sorted(chosen)]

    def _clear_spans(self) -> None:
        for item in self._span_items:
            for plot in (self.input_plot, self.prob_plot):
                if item in plot.items:
                    plot.removeItem(item)
        self._span_items = []

    def _mark_spans(self, result: RecognitionResult, codec: CTCCodec, n_steps: int, height: int) -> None:
        col = self._width / n_steps
        row_of = {c: i for i, c in enumerate(self._rows)}
        ids = _class_ids(codec)
        font = QFont()
        font.setPointSize(13)
        font.setBold(True)
        for span in result.spans:
            x0, x1 = span.start * col, (span.end + 1) * col
            color = confidence_color(span.confidence)
            text = pg.TextItem(_display_label(span.char), color=color, anchor=(0.5, 0.0))
            text.setFont(font)
            text.setPos((x0 + x1) / 2.0, height + 1)
            self.input_plot.addItem(text, ignoreBounds=True)
            self._span_items.append(text)
            class_id = ids.get(span.char)
            if class_id is not None and class_id in row_of:
                rect = QGraphicsRectItem(QRectF(x0, row_of[class_id], x1 - x0, 1.0))
                pen = QPen(QColor(color))
                pen.setCosmetic(True)
                pen.setWidthF(2.0)
                rect.setPen(pen)
                self.prob_plot.addItem(rect, ignoreBounds=True)
                self._span_items.append(rect)

    def _on_mouse_moved(self, event: tuple[QPointF]) -> None:
        if self._result is None:
            return
        pos = event[0]
        plot = None
        for candidate in (self.prob_plot, self.input_plot):
            if candidate.sceneBoundingRect().contains(pos):
                plot = candidate
                break
        if plot is None:
            return
        x = plot.vb.mapSceneToView(pos).x()
        t = self.timestep_at(x)
        text = self.hover_text(t)
        if not text:
            for c in self._cursors:
                c.hide()
            return
        center = (t + 0.5) * self._width / self.timesteps()
        for c in self._cursors:
            c.setPos(center)
            c.show()
        self.hover_label.setText(f"t={t}:  " + "   ".join(text.splitlines()))
        self.plots.setToolTip(f"timestep {t}\n{text}")
