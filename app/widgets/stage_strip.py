"""A row of preprocessing-stage thumbnails; clicking one opens it enlarged."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QMouseEvent, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.qt_image import gray_to_pixmap
from hwr_core.preprocess import Stage

logger = logging.getLogger(__name__)

_THUMB_HEIGHT = 56
_THUMB_MAX_WIDTH = 150
MODEL_INPUT_NAME = "model input"


def _scaled(pixmap: QPixmap, size: QSize) -> QPixmap:
    """Fit into `size`; small images are magnified with nearest-neighbour so pixels stay crisp."""
    magnify = pixmap.width() < size.width() and pixmap.height() < size.height()
    mode = Qt.TransformationMode.FastTransformation if magnify else Qt.TransformationMode.SmoothTransformation
    return pixmap.scaled(size, Qt.AspectRatioMode.KeepAspectRatio, mode)


class StageDialog(QDialog):
    """One stage image, scaled to fit the (resizable) dialog."""

    def __init__(self, name: str, image: np.ndarray, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        h, w = image.shape[:2]
        self.setWindowTitle(f"{name} — {w}×{h} px")
        self._pixmap = gray_to_pixmap(image)
        self._label = QLabel()
        self._label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._label.setMinimumSize(1, 1)
        self._label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self._label.setStyleSheet("background: #f4f4f4;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self._label)
        self.resize(max(480, min(1100, w * 4)), max(200, min(700, h * 4 + 20)))

    def image_pixmap(self) -> QPixmap:
        return self._pixmap

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._label.setPixmap(_scaled(self._pixmap, self._label.size()))


class _Thumbnail(QFrame):
    clicked = Signal()

    def __init__(self, name: str, image: np.ndarray, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.image = image
        h, w = image.shape[:2]
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip(f"{name}: {w}×{h} px — click to enlarge")
        pic = QLabel()
        pic.setAlignment(Qt.AlignmentFlag.AlignCenter)
        pic.setFixedHeight(_THUMB_HEIGHT)
        pic.setPixmap(_scaled(gray_to_pixmap(image), QSize(_THUMB_MAX_WIDTH, _THUMB_HEIGHT)))
        caption = QLabel(name)
        caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        caption.setStyleSheet("color: #555; font-size: 9pt;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 2)
        layout.setSpacing(2)
        layout.addWidget(pic)
        layout.addWidget(caption)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(event.position().toPoint()):
            self.clicked.emit()
        super().mouseReleaseEvent(event)


class StageStrip(QWidget):
    """Thumbnails of `RecognitionResult.stages` plus the model input, left to right."""

    stage_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._thumbs: list[_Thumbnail] = []
        self._dialog: StageDialog | None = None
        self._row = QWidget()
        self._row_layout = QHBoxLayout(self._row)
        self._row_layout.setContentsMargins(2, 2, 2, 2)
        self._row_layout.setSpacing(6)
        self._row_layout.addStretch(1)
        self._placeholder = QLabel("Preprocessing stages appear here after recognition.")
        self._placeholder.setStyleSheet("color: #888;")
        self._row_layout.insertWidget(0, self._placeholder)
        scroll = QScrollArea()
        scroll.setWidget(self._row)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)
        # thumbnail + caption + frame + a horizontal scrollbar when the row overflows
        self.setFixedHeight(_THUMB_HEIGHT + 60)

    def count(self) -> int:
        return len(self._thumbs)

    def names(self) -> list[str]:
        return [t.name for t in self._thumbs]

    def clear(self) -> None:
        for t in self._thumbs:
            self._row_layout.removeWidget(t)
            t.hide()  # at once: it is deleted only when the event loop next runs
            t.deleteLater()
        self._thumbs = []
        self._placeholder.show()

    def set_stages(self, stages: Sequence[Stage], model_input: np.ndarray | None = None) -> None:
        """Show `stages` (uint8, dark ink on white) and, if given, the float model input last."""
        self.clear()
        items: list[tuple[str, np.ndarray]] = [(s.name, s.image) for s in stages]
        if model_input is not None and model_input.size:
            items.append((MODEL_INPUT_NAME, model_input))
        self._placeholder.setVisible(not items)
        for i, (name, image) in enumerate(items):
            thumb = _Thumbnail(name, image, self._row)
            thumb.clicked.connect(lambda i=i: self.open_stage(i))
            self._row_layout.insertWidget(self._row_layout.count() - 1, thumb)
            self._thumbs.append(thumb)

    def open_stage(self, index: int) -> StageDialog:
        """Open (non-modal) the enlarged view of thumbnail `index`; returns the dialog."""
        thumb = self._thumbs[index]
        if self._dialog is not None:
            self._dialog.close()
        dialog = StageDialog(thumb.name, thumb.image, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda _=0, d=dialog: self._forget_dialog(d))
        self._dialog = dialog
        dialog.show()
        self.stage_clicked.emit(index)
        return dialog

    def _forget_dialog(self, dialog: StageDialog) -> None:
        if self._dialog is dialog:
            self._dialog = None
