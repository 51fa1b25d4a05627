"""The transcription, each character coloured by how sure the model was, plus the n-best list."""

from __future__ import annotations

import html
import logging
import math
from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QFont, QGuiApplication, QTextOption
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from hwr_core.decoding import CharSpan
from hwr_core.metrics import word_changes
from hwr_core.recognizer import RecognitionResult

logger = logging.getLogger(__name__)

HIGH = 0.9
MEDIUM = 0.6
COLOR_HIGH = "#1b8a2e"
COLOR_MEDIUM = "#d9822b"
COLOR_LOW = "#c62828"
COLOR_UNKNOWN = "#333333"  # characters without a confidence (later lines of a page)
TEXT_PT = 28  # the reading's size: a word reads at a glance
MIN_TEXT_PT = 14  # a long reading shrinks to fit its box, down to this; beyond it, it scrolls


def confidence_color(confidence: float | None) -> str:
    if confidence is None or not math.isfinite(confidence):
        return COLOR_UNKNOWN
    if confidence >= HIGH:
        return COLOR_HIGH
    if confidence >= MEDIUM:
        return COLOR_MEDIUM
    return COLOR_LOW


def changes_text(changes: Sequence[tuple[str, str]], most: int = 3) -> str:
    """'chào → chảo; giới → ∅' for the first `most` changes (∅: no word), then '…'."""
    shown = [f"{old or '∅'} → {new or '∅'}" for old, new in changes[:most]]
    return "; ".join(shown + (["…"] if len(changes) > most else []))


def char_confidences(text: str, spans: Sequence[CharSpan]) -> list[float | None]:
    """Per character of `text`, its span's confidence; spans are matched in order by character.

    `text` can be longer than the spans (a multi-line page joins lines the spans do not cover);
    unmatched characters get None.
    """
    out: list[float | None] = []
    i = 0
    for ch in text:
        if i < len(spans) and spans[i].char == ch:
            out.append(spans[i].confidence)
            i += 1
        else:
            out.append(None)
    return out


def confidence_html(text: str, spans: Sequence[CharSpan]) -> str:
    """Escaped HTML: one coloured <span> per character; spaces and line breaks kept (show it in a
    `white-space: pre-wrap` block: a line then wraps at its spaces, not inside a word)."""
    parts: list[str] = []
    for ch, conf in zip(text, char_confidences(text, spans), strict=True):
        if ch == "\n":
            parts.append("<br>")
            continue
        shown = html.escape(ch)
        if ch == " ":  # a space has no colour; underline it faintly so a read space is visible
            parts.append(f'<span style="text-decoration: underline; color: #bbbbbb;">{shown}</span>')
        else:
            parts.append(f'<span style="color: {confidence_color(conf)};">{shown}</span>')
    return "".join(parts)


def _legend_html() -> str:
    return (
        f'<span style="color:{COLOR_HIGH};">■</span> ≥ {HIGH:.0%} &nbsp; '
        f'<span style="color:{COLOR_MEDIUM};">■</span> ≥ {MEDIUM:.0%} &nbsp; '
        f'<span style="color:{COLOR_LOW};">■</span> &lt; {MEDIUM:.0%} &nbsp; character confidence'
    )


class ResultView(QWidget):
    """`set_result(result)` shows the text (28 pt, smaller where a long one would not fit; coloured
    per character), a summary and the n-best."""

    copied = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._text = ""
        self._result: RecognitionResult | None = None

        # A read-only text box rather than a QLabel: a long unbroken reading wraps anywhere and
        # scrolls instead of widening the whole panel.
        self.text_box = QTextEdit()
        self.text_box.setReadOnly(True)
        font = QFont(self.font())
        font.setPointSize(TEXT_PT)
        self.text_box.setFont(font)
        self.text_box.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.text_box.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.text_box.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.text_box.setMinimumHeight(70)
        self.text_box.setMaximumHeight(130)
        self.text_box.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.text_box.setStyleSheet("QTextEdit { background: white; border: 1px solid #ddd; }")
        self.text_box.viewport().installEventFilter(self)  # refit the text when the box resizes
        self._html = ""

        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("Copy the transcription to the clipboard")
        self.copy_button.clicked.connect(self.copy_to_clipboard)
        self.copy_button.setEnabled(False)

        self.legend = QLabel(_legend_html())
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setStyleSheet("color: #666;")
        self.summary = QLabel()
        self.summary.setStyleSheet("color: #444;")
        self.summary.setWordWrap(True)  # long summaries must not widen the panel
        self.legend.setWordWrap(True)

        self.nbest = QListWidget()
        self.nbest.setToolTip("Alternative readings, best first (score = log probability)")
        self.nbest.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.nbest.setMinimumHeight(60)
        font = self.nbest.font()  # a fifth larger: tone marks at the default size are 1-2 px
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.nbest.setFont(font)

        top = QHBoxLayout()
        top.addWidget(self.text_box, 1)
        top.addWidget(self.copy_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.legend)
        layout.addWidget(self.summary)
        nbest_title = QLabel("N-best")
        nbest_title.setStyleSheet("font-weight: bold;")
        layout.addWidget(nbest_title)
        layout.addWidget(self.nbest, 1)
        self.clear()

    def text(self) -> str:
        return self._text

    def result(self) -> RecognitionResult | None:
        return self._result

    def html(self) -> str:
        return self._html

    def _show(self, html_text: str) -> None:
        self._html = html_text
        self.text_box.setHtml(f'<p style="white-space: pre-wrap;">{html_text}</p>')
        self._fit_text()

    def _fit_text(self) -> None:
        """The largest size from TEXT_PT down to MIN_TEXT_PT at which the whole reading shows. At
        28 pt an address line wrapped past the box's height, and its last row's tone marks and dots
        below ("Thọ" seen as "Tho") hid under the edge until one scrolled; a page may still scroll."""
        doc = self.text_box.document()
        width, height = self.text_box.viewport().width(), self.text_box.viewport().height()
        if width <= 0 or height <= 0:
            return
        doc.setTextWidth(width)
        font = QFont(self.text_box.font())
        for pt in range(TEXT_PT, MIN_TEXT_PT - 1, -2):
            font.setPointSize(pt)
            doc.setDefaultFont(font)
            if doc.size().height() <= height:
                break

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.text_box.viewport() and event.type() == QEvent.Type.Resize:
            self._fit_text()
        return super().eventFilter(watched, event)

    def clear(self) -> None:
        self._text = ""
        self._result = None
        self._show('<span style="color:#aaaaaa; font-size: 14pt;">No result yet</span>')
        self.text_box.setToolTip("")
        self.summary.setText("")
        self.nbest.clear()
        self.copy_button.setEnabled(False)

    def set_result(self, result: RecognitionResult, line: int = 0) -> None:
        """Show a result; for a page, every line coloured by its own confidences, and the n-best
        and character tooltips of line `line` (the one the evidence views show)."""
        self._result = result
        self._text = result.text
        shown = result.lines[line] if result.lines else result
        if result.empty:
            self._show('<span style="color:#aaaaaa; font-size: 14pt;">(no ink found)</span>')
        elif not result.text:
            self._show('<span style="color:#aaaaaa; font-size: 14pt;">(nothing read)</span>')
        elif result.lines:
            self._show("<br>".join(confidence_html(r.text, r.spans) for r in result.lines))
        else:
            self._show(confidence_html(result.text, result.spans))
        tips = [
            f"{'␣' if s.char == ' ' else s.char}  {s.confidence:.0%}  (t {s.start}–{s.end})"
            for s in shown.spans[:40]
        ]
        self.text_box.setToolTip("\n".join(tips))
        # what the read took by the clock where measured: a page's lines read side by side take
        # less than the sum of their parts
        timing = result.elapsed_ms if result.elapsed_ms is not None else sum(result.timings_ms.values())
        parts = [f"confidence {result.confidence:.0%} (weakest character)"]
        parts.append(f"{len(result.text.replace(chr(10), ''))} characters")
        if result.lines:
            parts.append(f"{len(result.lines)} lines (n-best for line {line + 1})")
        parts.append(f"{shown.probs.shape[0]}\u00a0timesteps")
        if result.pen != 1.0:  # the stages and heatmap show it drawn so (Recognizer.recognize_drawn)
            parts.append(f"read surest with a {'finer' if result.pen < 1 else 'broader'} pen")
        if timing:
            parts.append(f"{timing:.0f}\u00a0ms")
        self.summary.setText(" · ".join(parts))
        self.nbest.clear()
        best = shown.hypotheses[0].text if shown.hypotheses else ""
        for rank, hyp in enumerate(shown.hypotheses, start=1):
            shown_text = hyp.text if hyp.text else "(empty)"
            # An alternative starts with what it changes: one tone mark, or one word of a long
            # line, is hard to find by eye ("chào" / "chảo").
            changes = changes_text(word_changes(best, hyp.text))  # "" for the best itself
            # the list is ranked by the search's score (network + word list + character model), so
            # that is the score shown; the network's own probability is in the tooltip
            item = QListWidgetItem(
                f"{rank}. "
                + (f"({changes})  " if changes else "")
                + f"{shown_text}    score {hyp.rank_score:.2f}"
            )
            item.setData(Qt.ItemDataRole.UserRole, hyp.text)
            item.setToolTip(
                f"score {hyp.rank_score:.4f} = network log probability {hyp.score:.4f}"
                f" (p ≈ {math.exp(hyp.score):.1%})"
                + (f" + word list bonus {hyp.lexicon_bonus:.2f}" if hyp.lexicon_bonus else "")
                + (f" + character model {hyp.lm_bonus:+.2f}" if hyp.lm_bonus else "")
            )
            self.nbest.addItem(item)
        self.copy_button.setEnabled(bool(result.text))

    def copy_to_clipboard(self) -> None:
        QGuiApplication.clipboard().setText(self._text)
        self.copied.emit(self._text)

    copy_text = copy_to_clipboard  # the name the main window's Edit menu uses
