"""The Recognize tab's image: the loaded image scaled to fit, zoomed and panned, and a region of it
chosen by dragging.

A photo often holds more than the writing to read (print, a table's edge, a second note): dragging
a box over the image reads only what is inside it, and a click reads all of it again. A page scan
fitted to the view is too small to read or to box a line on: the wheel zooms in where the pointer is,
a middle-button drag pans, and a double-click (or `fit()`) shows all of it again. A page read line by
line (or read as its one line) shows where each line was found, numbered, the line the evidence
below explains in bold with its words dashed where they were read; a click on a line (no region
chosen) asks for its evidence.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
    QPolygonF,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from app.qt_image import gray_to_pixmap
from hwr_core.image_io import clamp_region

Region = tuple[int, int, int, int]  # x0, y0, x1, y1 in the image's pixels, the ends exclusive

#: A drag smaller than this many image pixels a side is a click: it reads the whole image again.
MIN_REGION = 8
ZOOM_STEP = 1.25  # per wheel notch
MAX_ZOOM = 8.0  # shown pixels per image pixel
_BOX = QColor(31, 119, 180)
_LINE = QColor(230, 110, 0)


class ImageView(QLabel):
    """The loaded image, scaled to fit (never drives the layout's size) or zoomed; drag a box to read
    a region. The QLabel shows the placeholder text; the image is painted here."""

    region_changed = Signal(object)  # Region, or None for the whole image
    zoom_changed = Signal(float)  # shown pixels per image pixel, 0.0 when fitted to the view
    line_clicked = Signal(int)  # the index of the outlined line clicked

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pixmap: QPixmap | None = None
        self._fitted: QPixmap | None = None  # the pixmap scaled to fit, made once per size
        self._image_size = QSize()
        self._region: Region | None = None
        self._drag: tuple[QPointF, QPointF] | None = None  # widget positions while dragging
        self._zoom: float | None = None  # shown pixels per image pixel; None: fitted to the view
        self._center = QPointF()  # the image point at the view's centre while zoomed
        self._pan_from: QPointF | None = None  # the pointer while a middle-button drag pans
        self._lines: list[np.ndarray] = []  # where a page's lines were found: (4, 2) x, y corners
        self._words: list[list[np.ndarray]] = []  # where each line's words were read, line by line
        self._current_line = -1
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumSize(200, 120)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.setStyleSheet("background: white; border: 1px solid #ccc; color: #888;")
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # Escape, after a drag, reads all of it again
        self.show_placeholder()

    def show_placeholder(self) -> None:
        self._pixmap = self._fitted = None
        self._region = None
        self.setText("Open, paste (Paste button) or drop an image of handwriting here")
        self.unsetCursor()
        self.setToolTip("")
        self.update()

    def set_array(self, gray: np.ndarray) -> None:
        """Show a new image, fitted; any region chosen on the one before is gone."""
        self._pixmap = gray_to_pixmap(gray)
        self._fitted = None
        self._image_size = QSize(gray.shape[1], gray.shape[0])
        self._region = None
        self._drag = None
        self._lines, self._words = [], []
        self.fit()
        self.setText("")
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip(
            "Drag a box to read only that part of the image; click or press Escape to read all of it.\n"
            "Click an outlined line to see its evidence below.\n"
            "Wheel: zoom where the pointer is · middle button: pan · double-click: fit"
        )
        self.update()

    def has_image(self) -> bool:
        return self._pixmap is not None

    def region(self) -> Region | None:
        return self._region

    def set_region(self, region: Region | None) -> None:
        """Choose a region (clamped to the image; too small: none), as a drag would."""
        if region is not None:
            x0, y0, x1, y1 = clamp_region(region, self._image_size.width(), self._image_size.height())
            region = (x0, y0, x1, y1) if x1 - x0 >= MIN_REGION and y1 - y0 >= MIN_REGION else None
        if region != self._region:
            self._region = region
            self.update()
            self.region_changed.emit(region)

    def set_lines(
        self, outlines: Sequence[np.ndarray], words: Sequence[Sequence[np.ndarray]] = (), current: int = 0
    ) -> None:
        """Outline where a page's lines were found (corners in image pixels; [] for none), and where
        each line's words were read (`words`, line by line; drawn dashed in the current line)."""
        self._lines = [np.asarray(o, np.float64).reshape(-1, 2) for o in outlines]
        self._words = [[np.asarray(w, np.float64).reshape(-1, 2) for w in line] for line in words]
        self._current_line = current
        self.update()

    def lines(self) -> list[np.ndarray]:
        return list(self._lines)

    def _line_at(self, pos: QPointF) -> int | None:
        """The outlined line under a widget position, if any."""
        point = self._image_point(pos)
        for i, outline in enumerate(self._lines):
            if QPolygonF([QPointF(x, y) for x, y in outline]).containsPoint(point, Qt.FillRule.OddEvenFill):
                return i
        return None

    def set_current_line(self, index: int) -> None:
        """Draw line `index` (the one the evidence below explains) in bold."""
        if index != self._current_line:
            self._current_line = index
            self.update()

    # ------------------------------------------------------------------ zoom

    def zoom(self) -> float:
        """Shown pixels per image pixel now."""
        return self._zoom if self._zoom is not None else self._fit_zoom()

    def is_fitted(self) -> bool:
        return self._zoom is None

    def fit(self) -> None:
        """Show all of the image again."""
        if self._zoom is not None:
            self._zoom = None
            self.zoom_changed.emit(0.0)
        self.update()

    def zoom_at(self, factor: float, pos: QPointF | None = None) -> None:
        """Zoom by `factor`, keeping the image point under `pos` (default: the centre) where it is.
        Zooming out to the fitted size or below fits the image again."""
        if self._pixmap is None:
            return
        box = self._view_box()
        pos = box.center() if pos is None else pos
        anchor = self._image_point(pos)
        zoom = min(self.zoom() * factor, MAX_ZOOM)
        if zoom <= self._fit_zoom():
            self.fit()
            return
        # the anchor stays under the pointer: centre = anchor - (pointer - box centre) / zoom
        self._zoom = zoom
        self._set_center(anchor - (pos - box.center()) / zoom)
        self.zoom_changed.emit(zoom)

    def _set_center(self, center: QPointF) -> None:
        """Centre the view on an image point, kept inside the image (a pan never loses the page)."""
        w, h = self._image_size.width(), self._image_size.height()
        self._center = QPointF(min(max(center.x(), 0.0), w), min(max(center.y(), 0.0), h))
        self.update()

    def _fit_zoom(self) -> float:
        box = self._view_box()
        w, h = max(self._image_size.width(), 1), max(self._image_size.height(), 1)
        return min(box.width() / w, box.height() / h, 1.0)  # never magnify a small image to fit

    # ------------------------------------------------------------------ geometry

    def _view_box(self) -> QRectF:
        return QRectF(self.contentsRect()).adjusted(2, 2, -2, -2)

    def _shown_rect(self) -> QRectF:
        """Where the image is drawn, in widget coordinates (beyond the view where zoomed)."""
        box, zoom = self._view_box(), self.zoom()
        w, h = self._image_size.width() * zoom, self._image_size.height() * zoom
        if self._zoom is None:
            return QRectF(box.center().x() - w / 2, box.center().y() - h / 2, w, h)
        return QRectF(
            box.center().x() - self._center.x() * zoom, box.center().y() - self._center.y() * zoom, w, h
        )

    def _scale(self) -> float:
        """Image pixels per shown pixel."""
        return 1.0 / max(self.zoom(), 1e-9)

    def _image_point(self, pos: QPointF) -> QPointF:
        shown, scale = self._shown_rect(), self._scale()
        return QPointF((pos.x() - shown.left()) * scale, (pos.y() - shown.top()) * scale)

    def _to_image(self, pos: QPointF) -> tuple[int, int]:
        point = self._image_point(pos)
        return round(point.x()), round(point.y())

    def _to_widget(self, region: Region) -> QRectF:
        shown, scale = self._shown_rect(), self._scale()
        x0, y0, x1, y1 = region
        return QRectF(
            shown.left() + x0 / scale, shown.top() + y0 / scale, (x1 - x0) / scale, (y1 - y0) / scale
        )

    # ------------------------------------------------------------------ events

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if self._pixmap is not None and event.button() == Qt.MouseButton.LeftButton:
            self._drag = (event.position(), event.position())
            self.update()
        elif self._pixmap is not None and event.button() == Qt.MouseButton.MiddleButton and self._zoom:
            self._pan_from = event.position()
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if self._drag is not None:
            self._drag = (self._drag[0], event.position())
            self.update()
        elif self._pan_from is not None and self._zoom:
            self._set_center(self._center - (event.position() - self._pan_from) / self._zoom)
            self._pan_from = event.position()
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if self._drag is not None and event.button() == Qt.MouseButton.LeftButton:
            start, end = self._drag[0], event.position()
            self._drag = None
            clicked = self._line_at(end) if self._region is None else None  # else a click reads all
            self.set_region((*self._to_image(start), *self._to_image(end)))
            if clicked is not None and self._region is None:
                self.set_current_line(clicked)
                self.line_clicked.emit(clicked)
            self.update()
        elif self._pan_from is not None and event.button() == Qt.MouseButton.MiddleButton:
            self._pan_from = None
            self.setCursor(Qt.CursorShape.CrossCursor)
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if self._pixmap is not None and not self.is_fitted():
            self.fit()
        super().mouseDoubleClickEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt override
        notches = event.angleDelta().y() / 120
        if self._pixmap is None or not notches:
            super().wheelEvent(event)
            return
        self.zoom_at(ZOOM_STEP**notches, event.position())
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key.Key_Escape and (self._region is not None or self._drag is not None):
            self._drag = None
            self.set_region(None)
            self.update()
            return
        super().keyPressEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        super().paintEvent(event)  # the frame, and the placeholder text when there is no image
        if self._pixmap is None:
            return
        painter = QPainter(self)
        painter.setClipRect(self._view_box())
        shown = self._shown_rect()
        if self._zoom is None:
            if self._fitted is None or self._fitted.size() != shown.size().toSize():
                self._fitted = self._pixmap.scaled(
                    shown.size().toSize(),
                    Qt.AspectRatioMode.IgnoreAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            painter.drawPixmap(shown.topLeft(), self._fitted)
        else:  # only the part in view is scaled: a page zoomed in is mostly outside it
            visible = shown.intersected(self._view_box())
            scale = self._scale()
            source = QRectF(
                (visible.left() - shown.left()) * scale,
                (visible.top() - shown.top()) * scale,
                visible.width() * scale,
                visible.height() * scale,
            )
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self._zoom < 1)
            painter.drawPixmap(visible, self._pixmap, source)
        self._paint_lines(painter, shown)
        if self._drag is not None:
            box = QRectF(self._drag[0], self._drag[1]).normalized()
        elif self._region is not None:
            box = self._to_widget(self._region)
        else:
            painter.end()
            return
        fill = QColor(_BOX)
        fill.setAlpha(40)
        painter.setPen(QPen(_BOX, 2))
        painter.setBrush(fill)
        painter.drawRect(box)
        painter.end()

    def _paint_lines(self, painter: QPainter, shown: QRectF) -> None:
        if not self._lines:
            return
        scale = self._scale()
        font = QFont(painter.font())
        font.setBold(True)
        painter.setFont(font)
        painter.setBrush(Qt.BrushStyle.NoBrush)

        def polygon(outline: np.ndarray) -> QPolygonF:
            return QPolygonF([QPointF(shown.left() + x / scale, shown.top() + y / scale) for x, y in outline])

        for i, outline in enumerate(self._lines):
            corners = polygon(outline)
            painter.setPen(QPen(_LINE, 2.5 if i == self._current_line else 1.0))
            painter.drawPolygon(corners)
            if len(self._lines) > 1:  # numbered where there are several
                left = max(corners[0].x() - 14, self._view_box().left() + 1)  # left of the line, in view
                painter.drawText(QPointF(left, corners[0].y() + 12), str(i + 1))
        if 0 <= self._current_line < len(self._words):
            painter.setPen(QPen(_LINE, 1.0, Qt.PenStyle.DashLine))
            for word in self._words[self._current_line]:
                painter.drawPolygon(polygon(word))

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._fitted = None
        self.update()
