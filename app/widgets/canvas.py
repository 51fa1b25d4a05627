"""A drawing surface for one line of handwriting, kept as strokes (polylines) rather than pixels.

Keeping strokes means erase/undo work per stroke, the model gets them drawn afresh with a pen sized
to the writing, whatever pen is on screen (`hwr_core.canvas_ink`), and tests can draw programmatically.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, QSettings, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QPointingDevice,
    QTabletEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.settings_values import setting_float
from hwr_core.canvas_ink import render_for_reading

logger = logging.getLogger(__name__)

Point = tuple[float, float]
Stroke = list[Point]
_Snapshot = tuple[tuple[Point, ...], ...]

KEY_PEN_WIDTH = "canvas/pen_width"  # one pen for the user: the Recognize and Teach tabs' canvases
DEFAULT_PEN_WIDTH = 3.0
PEN_WIDTHS = (0.5, 40.0)  # px on screen, the width control's range


def saved_pen_width(settings: QSettings) -> float:
    return setting_float(settings, KEY_PEN_WIDTH, DEFAULT_PEN_WIDTH, *PEN_WIDTHS)


_INK = QColor(25, 25, 35)
_GUIDE = QColor(150, 170, 210, 110)
_ERASER_OUTLINE = QColor(200, 60, 60, 160)
_MIN_POINT_DISTANCE = 0.75  # px: denser input adds nothing but paint time
_MAX_UNDO = 200


def _smooth_path(points: Sequence[Point]) -> QPainterPath:
    """Quadratic smoothing: curve through segment midpoints, using each sample as a control point."""
    path = QPainterPath(QPointF(*points[0]))
    if len(points) == 1:
        return path
    if len(points) == 2:
        path.lineTo(QPointF(*points[1]))
        return path
    for (x0, y0), (x1, y1) in zip(points[1:-1], points[2:], strict=False):
        path.quadTo(QPointF(x0, y0), QPointF((x0 + x1) / 2.0, (y0 + y1) / 2.0))
    path.lineTo(QPointF(*points[-1]))
    return path


def _segment_distance(px: float, py: float, a: Point, b: Point) -> float:
    ax, ay = a
    dx, dy = b[0] - ax, b[1] - ay
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length2))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def _stroke_hit(stroke: Sequence[Point], x: float, y: float, radius: float) -> bool:
    if len(stroke) == 1:
        return math.hypot(stroke[0][0] - x, stroke[0][1] - y) <= radius
    # segments, not just samples: a fast stroke has samples far apart
    return any(_segment_distance(x, y, a, b) <= radius for a, b in zip(stroke, stroke[1:], strict=False))


class HandwritingCanvas(QWidget):
    """Draw with mouse or tablet pen (pressure ignored); stroke-level eraser; undo/redo; guide line."""

    strokes_changed = Signal()  # after a finished stroke, undo, redo, clear, erase, set_strokes

    def __init__(self, parent: QWidget | None = None, pen_width: float = DEFAULT_PEN_WIDTH) -> None:
        super().__init__(parent)
        self._strokes: list[Stroke] = []
        self._current: Stroke | None = None
        self._undo: list[_Snapshot] = []
        self._redo: list[_Snapshot] = []
        self._pen_width = float(pen_width)
        self._eraser = False
        self._erasing = False  # inside an eraser drag (one undo step per drag)
        self._erase_snapshot_taken = False
        self._cursor_pos: QPointF | None = None
        self.setMinimumSize(600, 200)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMouseTracking(True)  # eraser outline follows the pointer
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip("Write one line here. Eraser removes whole strokes.")

    def sizeHint(self) -> QSize:
        return QSize(800, 240)

    # ------------------------------------------------------------------ state

    def strokes(self) -> list[list[tuple[float, float]]]:
        """Finished strokes in canvas coordinates (copies)."""
        return [list(s) for s in self._strokes]

    def is_empty(self) -> bool:
        return not self._strokes

    def is_drawing(self) -> bool:
        """A stroke is under way (pen down)."""
        return self._current is not None

    def pen_width(self) -> float:
        return self._pen_width

    def set_pen_width(self, width: float) -> None:
        width = float(width)
        if not math.isfinite(width) or width <= 0:
            return
        self._pen_width = width
        self.update()

    def eraser(self) -> bool:
        return self._eraser

    def set_eraser(self, on: bool) -> None:
        self._eraser = bool(on)
        self.setCursor(Qt.CursorShape.BlankCursor if self._eraser else Qt.CursorShape.CrossCursor)
        self.update()

    def eraser_radius(self) -> float:
        return max(8.0, 2.5 * self._pen_width)

    def can_undo(self) -> bool:
        return bool(self._undo)

    def can_redo(self) -> bool:
        return bool(self._redo)

    def _snapshot(self) -> _Snapshot:
        return tuple(tuple(s) for s in self._strokes)

    def _push_undo(self) -> None:
        self._undo.append(self._snapshot())
        del self._undo[:-_MAX_UNDO]
        self._redo.clear()

    def _restore(self, snap: _Snapshot) -> None:
        self._strokes = [list(s) for s in snap]

    @staticmethod
    def _clean(points: Iterable[Sequence[float]]) -> Stroke:
        out: Stroke = []
        for p in points:
            x, y = float(p[0]), float(p[1])
            if math.isfinite(x) and math.isfinite(y):
                out.append((x, y))
        return out

    def add_stroke(self, points: Iterable[Sequence[float]]) -> None:
        """Append one finished stroke (programmatic drawing); undoable."""
        stroke = self._clean(points)
        if not stroke:
            return
        self._push_undo()
        self._strokes.append(stroke)
        self.update()
        self.strokes_changed.emit()

    def set_strokes(self, strokes: Iterable[Iterable[Sequence[float]]]) -> None:
        """Replace all strokes; undoable."""
        new = [s for s in (self._clean(st) for st in strokes) if s]
        self._push_undo()
        self._strokes = new
        self._current = None
        self.update()
        self.strokes_changed.emit()

    def clear(self) -> None:
        """Remove every stroke (undoable); a no-op on an empty canvas."""
        if not self._strokes:
            return
        self._push_undo()
        self._strokes = []
        self.update()
        self.strokes_changed.emit()

    def undo(self) -> bool:
        if not self._undo:
            return False
        self._redo.append(self._snapshot())
        self._restore(self._undo.pop())
        self.update()
        self.strokes_changed.emit()
        return True

    def redo(self) -> bool:
        if not self._redo:
            return False
        self._undo.append(self._snapshot())
        self._restore(self._redo.pop())
        self.update()
        self.strokes_changed.emit()
        return True

    def erase_at(self, x: float, y: float, radius: float | None = None) -> int:
        """Remove the strokes passing within `radius` of (x, y); returns how many were removed.

        Outside an eraser drag this is its own undo step; inside one, the whole drag is one step.
        """
        r = self.eraser_radius() if radius is None else float(radius)
        keep = [s for s in self._strokes if not _stroke_hit(s, x, y, r)]
        removed = len(self._strokes) - len(keep)
        if removed:
            if not (self._erasing and self._erase_snapshot_taken):
                self._push_undo()
                self._erase_snapshot_taken = self._erasing
            self._strokes = keep
            self.update()
            self.strokes_changed.emit()
        return removed

    def render_image(self) -> np.ndarray:
        """uint8 gray image of the strokes (black ink on white) exactly as the model will get it: drawn
        with a pen sized to the writing, not the pen on screen (`hwr_core.canvas_ink`)."""
        return render_for_reading(self.strokes())

    # ------------------------------------------------------------------ input

    def _press(self, pos: QPointF, erase: bool) -> None:
        if erase:
            self._erasing = True
            self._erase_snapshot_taken = False
            self.erase_at(pos.x(), pos.y())
        else:
            self._current = [(pos.x(), pos.y())]
        self.update()

    def _move(self, pos: QPointF) -> None:
        self._cursor_pos = pos
        if self._erasing:
            self.erase_at(pos.x(), pos.y())
        elif self._current is not None:
            lx, ly = self._current[-1]
            if math.hypot(pos.x() - lx, pos.y() - ly) >= _MIN_POINT_DISTANCE:
                self._current.append((pos.x(), pos.y()))
        self.update()

    def _release(self, pos: QPointF) -> None:
        if self._erasing:
            self._erasing = False
            self._erase_snapshot_taken = False
            return
        if self._current is None:
            return
        stroke, self._current = self._current, None
        lx, ly = stroke[-1]
        if math.hypot(pos.x() - lx, pos.y() - ly) >= _MIN_POINT_DISTANCE:
            stroke.append((pos.x(), pos.y()))
        self._push_undo()
        self._strokes.append(stroke)
        self.update()
        self.strokes_changed.emit()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press(event.position(), self._eraser)
            event.accept()
        elif event.button() == Qt.MouseButton.RightButton:  # quick erase without switching tools
            self._press(event.position(), True)
            event.accept()
        else:
            super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        self._move(event.position())
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() in (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton):
            self._release(event.position())
            event.accept()
        else:
            super().mouseReleaseEvent(event)

    def tabletEvent(self, event: QTabletEvent) -> None:
        # Accepting stops Qt from synthesising mouse events for the same motion.
        kind = event.type()
        pos = event.position()
        if kind == QTabletEvent.Type.TabletPress:
            flipped = event.pointerType() == QPointingDevice.PointerType.Eraser
            self._press(pos, self._eraser or flipped)
        elif kind == QTabletEvent.Type.TabletMove:
            self._move(pos)
        elif kind == QTabletEvent.Type.TabletRelease:
            self._release(pos)
        event.accept()

    def leaveEvent(self, event: QEvent) -> None:
        self._cursor_pos = None
        self.update()

    # ------------------------------------------------------------------ painting

    def baseline_y(self) -> float:
        return round(self.height() * 0.68) + 0.5

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), Qt.GlobalColor.white)
        # faint guides: baseline and an x-height line, so writing stays horizontal and sized
        guide = QPen(_GUIDE, 1.0, Qt.PenStyle.SolidLine)
        p.setPen(guide)
        y_base = self.baseline_y()
        p.drawLine(QPointF(16, y_base), QPointF(self.width() - 16, y_base))
        guide.setStyle(Qt.PenStyle.DashLine)
        p.setPen(guide)
        y_mid = y_base - self.height() * 0.22
        p.drawLine(QPointF(16, y_mid), QPointF(self.width() - 16, y_mid))

        if not self._strokes and not self._current:
            p.setPen(QColor(170, 170, 170))
            p.drawText(
                self.rect().adjusted(0, 0, 0, -int(self.height() * 0.45)),
                Qt.AlignmentFlag.AlignCenter,
                "Write a word, or lines one under another (right-drag erases)",
            )

        ink = QPen(_INK, self._pen_width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
        ink.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        p.setPen(ink)
        p.setBrush(Qt.BrushStyle.NoBrush)
        for stroke in self._strokes:
            self._paint_stroke(p, stroke)
        if self._current:
            self._paint_stroke(p, self._current)

        if self._eraser and self._cursor_pos is not None:
            r = self.eraser_radius()
            p.setPen(QPen(_ERASER_OUTLINE, 1.0))
            p.drawEllipse(QRectF(self._cursor_pos.x() - r, self._cursor_pos.y() - r, 2 * r, 2 * r))
        p.end()

    @staticmethod
    def _paint_stroke(p: QPainter, stroke: Sequence[Point]) -> None:
        if len(stroke) == 1:  # a dot: a zero-length round-capped line
            pt = QPointF(*stroke[0])
            p.drawLine(pt, pt)
        else:
            p.drawPath(_smooth_path(stroke))
