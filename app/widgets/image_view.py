"""The Recognize tab's image: the loaded image scaled to fit, and a region of it chosen by dragging.

A photo often holds more than the writing to read (print, a table's edge, a second note): dragging
a box over the image reads only what is inside it, and a click reads all of it again.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QMouseEvent, QPainter, QPaintEvent, QPen, QPixmap, QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from app.qt_image import gray_to_pixmap
from hwr_core.preprocess import clamp_region

Region = tuple[int, int, int, int]  # x0, y0, x1, y1 in the image's pixels, the ends exclusive

#: A drag smaller than this many image pixels a side is a click: it reads the whole image again.
MIN_REGION = 8
_BOX = QColor(31, 119, 180)


class ImageView(QLabel):
    """The loaded image, scaled to fit (never drives the layout's size); drag a box to read a region."""

    region_changed = Signal(object)  # Region, or None for the whole image

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pixmap: QPixmap | None = None
        self._image_size = QSize()
        self._region: Region | None = None
        self._drag: tuple[QPointF, QPointF] | None = None  # widget positions while dragging
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumSize(200, 120)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.setStyleSheet("background: white; border: 1px solid #ccc; color: #888;")
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # Escape, after a drag, reads all of it again
        self.show_placeholder()

    def show_placeholder(self) -> None:
        self._pixmap = None
        self._region = None
        self.setPixmap(QPixmap())
        self.setText("Open, paste (Paste button) or drop an image of handwriting here")
        self.unsetCursor()
        self.setToolTip("")

    def set_array(self, gray: np.ndarray) -> None:
        """Show a new image; any region chosen on the one before is gone."""
        self._pixmap = gray_to_pixmap(gray)
        self._image_size = QSize(gray.shape[1], gray.shape[0])
        self._region = None
        self._drag = None
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip(
            "Drag a box to read only that part of the image; click or press Escape to read all of it"
        )
        self._rescale()

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

    # ------------------------------------------------------------------ geometry

    def _shown_rect(self) -> QRectF:
        """Where the (scaled) image is drawn: centred in the contents, as QLabel draws it."""
        shown = self.pixmap().size()
        box = self.contentsRect()
        left = box.x() + (box.width() - shown.width()) // 2
        top = box.y() + (box.height() - shown.height()) // 2
        return QRectF(left, top, shown.width(), shown.height())

    def _scale(self) -> float:
        """Image pixels per shown pixel."""
        return self._image_size.width() / max(1.0, self._shown_rect().width())

    def _to_image(self, pos: QPointF) -> tuple[int, int]:
        shown, scale = self._shown_rect(), self._scale()
        return round((pos.x() - shown.left()) * scale), round((pos.y() - shown.top()) * scale)

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
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if self._drag is not None:
            self._drag = (self._drag[0], event.position())
            self.update()
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if self._drag is not None and event.button() == Qt.MouseButton.LeftButton:
            start, end = self._drag[0], event.position()
            self._drag = None
            self.set_region((*self._to_image(start), *self._to_image(end)))
            self.update()
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key.Key_Escape and (self._region is not None or self._drag is not None):
            self._drag = None
            self.set_region(None)
            self.update()
            return
        super().keyPressEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        super().paintEvent(event)
        if self._pixmap is None:
            return
        if self._drag is not None:
            box = QRectF(self._drag[0], self._drag[1]).normalized()
        elif self._region is not None:
            box = self._to_widget(self._region)
        else:
            return
        painter = QPainter(self)
        fill = QColor(_BOX)
        fill.setAlpha(40)
        painter.setPen(QPen(_BOX, 2))
        painter.setBrush(fill)
        painter.drawRect(box)
        painter.end()

    def _rescale(self) -> None:
        if self._pixmap is None:
            return
        box = self.contentsRect().size() - QSize(4, 4)
        if self._pixmap.width() <= box.width() and self._pixmap.height() <= box.height():
            self.setPixmap(self._pixmap)  # never magnify a small image: show it as it is
        else:
            self.setPixmap(
                self._pixmap.scaled(
                    box, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
                )
            )

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._rescale()
