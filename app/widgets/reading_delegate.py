"""The Batch tab's text cells: a reading shown with its unsure characters red, a page edited with its lines."""

from __future__ import annotations

import html
from collections.abc import Sequence

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QPainter, QTextDocument
from PySide6.QtWidgets import (
    QApplication,
    QPlainTextEdit,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from .result_view import COLOR_LOW

UNSURE_AT_ROLE = Qt.ItemDataRole.UserRole + 2  # a text cell's unsure characters, as positions


def unsure_html(text: str, unsure_at: Sequence[int], color: str) -> str:
    """Escaped HTML of a reading, its unsure characters in the Recognize tab's red, lines kept."""
    marked = set(unsure_at)
    parts = [f'<span style="color: {color};">']
    for i, ch in enumerate(text):
        shown = "<br>" if ch == "\n" else html.escape(ch)
        parts.append(
            f'<span style="color: {COLOR_LOW};">{shown}</span>' if i in marked and ch != " " else shown
        )
    return "".join(parts) + "</span>"


class ReadingDelegate(QStyledItemDelegate):
    """Shows a reading with its unsure characters red (where to look, in a long line), and edits a
    page's text with its lines (a table cell's line editor would join them)."""

    def _document(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QTextDocument | None:
        marks = index.data(UNSURE_AT_ROLE)
        if not marks:
            return None
        selected = bool(option.state & QStyle.StateFlag.State_Selected)  # type: ignore[attr-defined]
        palette = option.palette  # type: ignore[attr-defined]
        color = palette.highlightedText().color() if selected else palette.text().color()
        doc = QTextDocument()
        doc.setDefaultFont(option.font)  # type: ignore[attr-defined]
        doc.setDocumentMargin(3)
        doc.setHtml(unsure_html(str(index.data(Qt.ItemDataRole.DisplayRole) or ""), marks, color.name()))
        doc.setTextWidth(max(option.rect.width(), 50))  # type: ignore[attr-defined]
        return doc

    def paint(  # noqa: D102 - Qt override
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        doc = self._document(opt, index)
        if doc is None:
            super().paint(painter, option, index)
            return
        opt.text = ""  # type: ignore[attr-defined]  # the background and selection only; the text below
        widget = opt.widget  # type: ignore[attr-defined]
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        painter.save()
        painter.translate(opt.rect.topLeft())  # type: ignore[attr-defined]
        doc.drawContents(painter)
        painter.restore()

    def sizeHint(  # noqa: N802 - Qt override
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        doc = self._document(opt, index)
        if doc is None:
            return super().sizeHint(option, index)
        return QSize(int(doc.idealWidth()), int(doc.size().height()))

    def createEditor(  # noqa: N802 - Qt override
        self, parent: QWidget, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QWidget:
        editor = QPlainTextEdit(parent)
        editor.setTabChangesFocus(True)
        return editor

    def setEditorData(self, editor: QWidget, index: QModelIndex | QPersistentModelIndex) -> None:  # noqa: N802
        assert isinstance(editor, QPlainTextEdit)
        editor.setPlainText(str(index.data(Qt.ItemDataRole.EditRole) or ""))

    def setModelData(  # noqa: N802 - Qt override
        self, editor: QWidget, model: QAbstractItemModel, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        assert isinstance(editor, QPlainTextEdit)
        model.setData(index, editor.toPlainText(), Qt.ItemDataRole.EditRole)

    def updateEditorGeometry(  # noqa: N802 - Qt override
        self, editor: QWidget, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        rect = option.rect  # type: ignore[attr-defined]
        editor.setGeometry(rect.x(), rect.y(), rect.width(), max(rect.height(), 90))
