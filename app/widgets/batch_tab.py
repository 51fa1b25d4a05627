"""Batch tab: read many images or a folder at once, correct the texts in a table, export them.

Each file is read as the Image tab reads one (its lines split, the Recognize tab's settings) in a
worker thread, and its row fills in as it comes, in the order added; a click on the Unsure header
sorts them by unsure characters (a second click puts the most unsure first). A double-click on a
text edits it (a correction is kept through "Read again"), one elsewhere opens the image in the
Recognize tab with all its evidence. Export writes one .txt per image, one text of
them all, a labels.tsv that `hwr eval`, `hwr train` and `hwr teach --from` read, or the lines with
where they lie in each image (PAGE XML, hOCR: `hwr_core.layout_export`). "Teach corrections"
keeps the corrected files' lines as Teach samples. The list is saved as it changes and comes back in
the next session (`hwr_core.batch.save_session`).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import os
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import (
    QSettings,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
    QShortcut,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from hwr_core.batch import (
    IMAGE_SUFFIXES,
    LAYOUT_SUFFIX,
    UNSURE_BELOW,
    BatchRow,
    FileSummary,
    find_images,
    load_session,
    save_session,
    text_file_names,
    write_joined_text,
    write_labels_tsv,
    write_text_files,
)
from hwr_core.charset import search_key
from hwr_core.errors import HwrError
from hwr_core.image_pages import shown_name
from hwr_core.layout_export import (
    PageLines,
    page_lines,
    page_xml_names,
    write_alto_xml,
    write_hocr,
    write_page_xml,
)
from hwr_core.layout_fill import LayoutText, filled_names, write_filled_layouts
from hwr_core.pace import ReadingPace, time_left_text
from hwr_core.recognizer import Recognizer

from ..workers.batch import BatchReader
from .reading_delegate import UNSURE_AT_ROLE, ReadingDelegate

log = logging.getLogger(__name__)

KEY_LAST_DIR = "batch/last_dir"
# Images, and PAGE or ALTO files: their lines, found by another tool, read where they lie (a
# folder gives its images, else its PAGE or ALTO files: `find_images`).
_IMAGES = " ".join("*" + s for s in sorted(IMAGE_SUFFIXES))
FILE_FILTER = (
    f"Images, PAGE and ALTO files ({_IMAGES} *{LAYOUT_SUFFIX});;Images ({_IMAGES});;"
    f"PAGE or ALTO XML: lines found by another tool (*{LAYOUT_SUFFIX});;All files (*)"
)
SORT_DELAY_MS = 300  # rows are sorted again once the readings pause this long
SAVE_DELAY_MS = 1000  # readings are saved at most once a second while a batch is read
FILE, UNSURE, TEXT = range(3)
KEY_ROLE = Qt.ItemDataRole.UserRole
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
ERROR_COLOR = QColor("#b00020")
CORRECTED_COLOR = QColor("#e3f4e1")  # a row whose text the user corrected


@dataclass
class _TeachReport:
    files: int
    lines: int = 0  # lines paired with their text
    kept: int = 0  # of those, new samples
    problems: list[str] = field(default_factory=list)

    def summary(self, stopped: bool) -> str:
        """One line for the status bar: what was kept, where to go next, and why files were not."""
        files = self.files - len(self.problems)
        text = (
            f"Kept {self.kept} new line{'s' * (self.kept != 1)} of {files} corrected"
            f" file{'s' * (files != 1)} for teaching"
        )
        if self.lines > self.kept:
            text += f" ({self.lines - self.kept} not kept: stored already, or blank)"
        if self.kept:
            text += ": Personalise in the Teach tab"
        if self.problems:
            text += f"; {len(self.problems)} file{'s' * (len(self.problems) != 1)} not kept: "
            text += _one_line(self.problems[0])
        return text + ("; stopped before the rest" if stopped else "")


def _one_line(problem: str, reading_chars: int = 60) -> str:
    """A problem for the status bar: its lines after the first (how the file reads) joined by " / "
    and cut short."""
    reason, _, reading = problem.partition("\n")
    if not reading:
        return reason
    shown = " / ".join(reading.splitlines())
    if len(shown) > reading_chars:
        shown = shown[: reading_chars - 1] + "…"
    return f"{reason} “{shown}”"


_PLACED = "a text read from an image in this version"  # what a file needs for PAGE XML and hOCR
_FILLED = "a PAGE or ALTO file's lines read, a line of text each"  # what it needs to be filled


class _SortItem(QTableWidgetItem):
    """Sorts by SORT_ROLE (a number or a natural-order key), not by the text shown."""

    def __lt__(self, other: QTableWidgetItem) -> bool:
        mine, theirs = self.data(SORT_ROLE), other.data(SORT_ROLE)
        if mine is None or theirs is None:
            return super().__lt__(other)
        return bool(mine < theirs)


class BatchTab(QWidget):
    """Many files in, a table of their texts out; see the module docstring."""

    status_message = Signal(str)
    open_requested = Signal(str, int)  # a file to show in the Recognize tab's Image page, its turn

    def __init__(
        self,
        make_recognizer: Callable[[], Recognizer | None],
        settings: QSettings,
        parent: QWidget | None = None,
        keep_samples: Callable[[list[tuple[np.ndarray, str]], str], int] | None = None,
        session_file: str | os.PathLike[str] | None = None,
        upright: Callable[[], bool] = lambda: False,
    ) -> None:
        """`keep_samples(pairs, source)` stores (line image, text) pairs as Teach samples and says how
        many were new (the Teach tab's `keep_images`); None: no teaching from here. The list, its
        readings and corrections are saved to `session_file` as they change (None: not saved) and
        brought back by `restore_session`. `upright()`: whether a file lying on its side or upside
        down is turned upright by itself when it is first read (the Recognize tab's *Upright*)."""
        super().__init__(parent)
        self._make_recognizer = make_recognizer
        self._upright = upright
        self._keep_samples = keep_samples
        self._teaching: _TeachReport | None = None  # the corrections being turned into samples
        self._pdf_pages: tuple[int, str] = (0, "")  # the PDF being written: its pages, those left out
        self._pdf_report: str | None = None  # what to say of it once the worker is idle again
        self._session_file = Path(session_file) if session_file is not None else None
        self._session_saved = True  # the session file holds the list as it is
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(SAVE_DELAY_MS)
        self._save_timer.timeout.connect(self._save_session)
        self._settings = settings
        self._rows: dict[int, BatchRow] = {}  # by key, in the order added (the order exported)
        self._items: dict[int, QTableWidgetItem] = {}  # key -> its File item (whose row() follows sorting)
        self._next_key = 0
        self._waiting: set[int] = set()  # queued for reading, not read yet
        self._pace: ReadingPace | None = None  # the run of reading going on
        self._clock: Callable[[], float] = time.monotonic
        self._unexported = False  # corrections made since the last export
        self._filling = 0  # > 0 while code, not the user, changes the table's items
        self.reader = BatchReader(self)
        self.reader.file_read.connect(self._on_read)
        self.reader.samples_ready.connect(self._on_samples)
        self.reader.idle.connect(self._on_idle)
        self.reader.pdf_written.connect(self._on_pdf_written)
        self._build_ui()
        self.setAcceptDrops(True)
        self._update_state()

    # ------------------------------------------------------------------ UI

    def _build_ui(self) -> None:
        add_files = QPushButton("Add images…")
        add_files.clicked.connect(self.add_files_dialog)
        add_folder = QPushButton("Add folder…")
        add_folder.setToolTip("Every image in a folder and its subfolders")
        add_folder.clicked.connect(self.add_folder_dialog)
        self.read_button = QPushButton("Read again")
        self.read_button.setToolTip(
            "Read every file again with the Recognize tab's current settings and model\n"
            "(texts you corrected are kept)"
        )
        self.read_button.clicked.connect(self._on_read_button)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Take the selected files off the list (Delete)")
        self.remove_button.clicked.connect(self.remove_selected)
        self.clear_button = QPushButton("Clear")
        self.clear_button.clicked.connect(self.clear)
        self.export_menu = QMenu(self)
        self.export_menu.addAction("One .txt file per image…", self.export_text_files_dialog)
        self.export_menu.addAction("All texts in one file…", self.export_joined_dialog)
        self.export_menu.addAction("labels.tsv (image, text)…", self.export_labels_dialog)
        self.export_menu.addSeparator()  # with where each line lies in its image
        self.export_menu.addAction(
            "PAGE XML per image (Transkribus, eScriptorium)…", self.export_page_xml_dialog
        )
        self.export_menu.addAction(
            "ALTO XML per image (eScriptorium, libraries and archives)…", self.export_alto_xml_dialog
        )
        self.export_menu.addAction("hOCR, all in one file…", self.export_hocr_dialog)
        self.export_menu.addAction(
            "Searchable PDF, the images with their readings (a page each)…", self.export_pdf_dialog
        )
        self.export_menu.addSeparator()  # a PAGE or ALTO file added: its own lines
        self.export_menu.addAction(
            "Into the PAGE / ALTO files read (their lines and ids kept)…", self.export_filled_dialog
        )
        self.export_button = QToolButton()
        self.export_button.setText("Export")
        self.export_button.setMenu(self.export_menu)
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.export_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)

        self.find_edit = QLineEdit()
        self.find_edit.setPlaceholderText("Find in the texts…")
        self.find_edit.setClearButtonEnabled(True)
        self.find_edit.setToolTip(
            "Show only the files whose text or name holds this (Ctrl+F);\n"
            'case and accents optional: "viet nam" finds "Việt Nam"'
        )
        self.find_edit.setMinimumWidth(120)
        self.find_edit.setMaximumWidth(260)
        self.find_edit.textChanged.connect(self._apply_find)
        find = QShortcut(QKeySequence.StandardKey.Find, self, self.find_edit.setFocus)
        find.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)

        bar = QHBoxLayout()
        for widget in (add_files, add_folder, self.read_button, self.remove_button, self.clear_button):
            bar.addWidget(widget)
        bar.addSpacing(12)
        bar.addWidget(self.find_edit, 1)
        bar.addStretch(1)
        self.teach_button = QPushButton("Teach corrections")
        self.teach_button.setToolTip(
            "Keep the lines of every file whose text you corrected, with your text, as samples:\n"
            "Personalise, in the Teach tab, learns your handwriting from them"
        )
        self.teach_button.clicked.connect(self.teach_corrections)
        self.teach_button.setVisible(self._keep_samples is not None)
        bar.addWidget(self.teach_button)
        bar.addWidget(self.export_button)

        self.hint = QLabel(
            "Add images or a folder, or drop them here: each is read with the Recognize tab's settings "
            "(a PAGE or ALTO file: the lines it gives, on its image). "
            "Click <b>Unsure</b> twice to put the files with the most unsure characters first, double-click "
            "a text to correct it, "
            "double-click a file name to see its evidence, then <b>Export</b>."
        )
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #555;")

        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["File", "Unsure", "Text"])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        self.table.setItemDelegateForColumn(TEXT, ReadingDelegate(self.table))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(FILE, QHeaderView.ResizeMode.Interactive)
        # Sized to its header once (its counts are narrower): sized to its contents, every file read
        # measured every row again, so a file cost the UI thread more the longer the batch
        # (benchmarks/batch_table.py: 2.3 ms a file for 200 files, 7.9 ms for 1,600).
        header.setSectionResizeMode(UNSURE, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(TEXT, QHeaderView.ResizeMode.Stretch)
        self.table.setColumnWidth(FILE, 220)
        self.table.setColumnWidth(UNSURE, header.sectionSizeHint(UNSURE))
        self.table.setWordWrap(True)
        # Sorted by hand, not by QTableWidget's sorting: that re-sorts all rows on every change, and
        # a batch of hundreds changes a row per file read. The rows are sorted once the changes stop.
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.setSortIndicator(FILE, Qt.SortOrder.AscendingOrder)  # the order added
        header.sortIndicatorChanged.connect(self._sort)
        self._sort_timer = QTimer(self)
        self._sort_timer.setSingleShot(True)
        self._sort_timer.setInterval(SORT_DELAY_MS)
        self._sort_timer.timeout.connect(self._sort)
        self.table.itemChanged.connect(self._on_item_changed)
        self.table.itemDoubleClicked.connect(self._on_double_click)
        self.table.itemSelectionChanged.connect(self._update_state)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        QShortcut(QKeySequence.StandardKey.Delete, self.table, self.remove_selected)

        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        # wide enough for its longest text, the time left included (its size hint fits "N of M read")
        longest = self.progress.fontMetrics().horizontalAdvance("8888 of 8888 read · about 88 min left")
        self.progress.setMinimumWidth(longest + 4 * self.progress.fontMetrics().averageCharWidth())
        self.summary = QLabel()
        foot = QHBoxLayout()
        foot.addWidget(self.summary, 1)
        foot.addWidget(self.progress)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(bar)
        layout.addWidget(self.hint)
        layout.addWidget(self.table, 1)
        layout.addLayout(foot)

    # ------------------------------------------------------------------ adding and reading

    def add_files_dialog(self) -> int:
        files, _ = QFileDialog.getOpenFileNames(
            self, "Add images, PAGE or ALTO files", self._last_dir(), FILE_FILTER
        )
        return self.add_paths(files)

    def add_folder_dialog(self) -> int:
        folder = QFileDialog.getExistingDirectory(self, "Add a folder of images", self._last_dir())
        return self.add_paths([folder]) if folder else 0

    def add_paths(self, paths: Sequence[str | os.PathLike[str]]) -> int:
        """Add files and folders' images (those already listed once) and read them; how many were added."""
        if not paths:
            return 0
        found = find_images(paths)
        listed = {row.path.resolve() for row in self._rows.values()}
        new = [p for p in found if p.resolve() not in listed]
        if not new:
            self.status_message.emit(
                "No images or PAGE / ALTO files found there"
                if not found
                else "Those files are already in the list"
            )
            return 0
        self._settings.setValue(KEY_LAST_DIR, str(Path(paths[0]).resolve().parent))
        self._read(self._append([BatchRow(path) for path in new]))
        return len(new)

    def _append(self, rows: Sequence[BatchRow]) -> list[int]:
        """Put rows in the list and the table; their keys."""
        keys = []
        with self._quiet_table():
            for batch_row in rows:
                key = self._next_key
                self._next_key += 1
                self._rows[key] = batch_row
                keys.append(key)
                row = self.table.rowCount()
                self.table.insertRow(row)
                name = _SortItem()
                name.setData(KEY_ROLE, key)
                name.setData(SORT_ROLE, key)  # sorting by file puts them back in the order added
                name.setFlags(name.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self._items[key] = name
                self.table.setItem(row, FILE, name)
                self.table.setItem(row, UNSURE, _SortItem())
                self.table.setItem(row, TEXT, QTableWidgetItem())
                self._show_name(key)
                self._show_row(key)
        self._schedule_save()
        return keys

    def _read(self, keys: Sequence[int]) -> None:
        recognizer = self._make_recognizer()
        if recognizer is None:
            self.status_message.emit("No model to read with: open one in the Model tab")
            self._update_state()
            return
        self._waiting.update(keys)
        if keys and self._pace is None:  # a run begins (files added while one goes on join it)
            self._pace = ReadingPace(self._clock(), self._read_count())
        # turned upright by itself only when first read: a turn after that is the user's
        upright = self._upright()
        items = []
        for key in keys:
            row = self._rows[key]
            items.append((key, str(row.path), row.rotate, upright and row.reading is None and not row.rotate))
        self.reader.read(items, recognizer)
        with self._quiet_table():  # sorted once after, not once a row
            for key in keys:
                self._show_row(key)
        self._update_state()

    def read_again(self) -> None:
        """Read every file again (a new model or new settings); corrections stay."""
        self._read(list(self._rows))

    def _on_read_button(self) -> None:
        if self.reader.is_busy():
            self.reader.stop()
            self.read_button.setEnabled(False)  # until the file being read is done
        else:
            self.read_again()

    def _on_read(self, key: int, summary: FileSummary) -> None:
        self._waiting.discard(key)
        row = self._rows.get(key)
        if row is None:  # removed while it was being read
            return
        row.reading = summary
        if summary.turned:  # read turned upright: kept so, as if turned by hand
            row.rotate = (row.rotate + summary.turned) % 360
        if summary.turned or summary.image:
            self._show_name(key)
        self._show_row(key)
        self._update_state()
        self._schedule_save()

    def _on_idle(self, stopped: bool) -> None:
        self._waiting.clear()
        self._pace = None
        with self._quiet_table():
            for key in self._rows:
                self._show_row(key)
        self._update_state()
        if self._teaching is not None:
            self.status_message.emit(self._teaching.summary(stopped))
            self._teaching = None
        elif self._pdf_report is not None:
            self.status_message.emit(self._pdf_report)
            self._pdf_report = None
        else:
            count = len(self._rows)
            self.status_message.emit(
                "Stopped reading" if stopped else f"Read {count} file{'s' * (count != 1)}"
            )

    # ------------------------------------------------------------------ teaching

    def teach_corrections(self) -> bool:
        """Keep the lines of each corrected file, paired with the corrected text's lines, as Teach
        samples (the files are read again, in the worker, for their lines)."""
        recognizer = self._make_recognizer()
        items = [
            (k, str(r.path), r.corrected, r.rotate) for k, r in self._rows.items() if r.corrected is not None
        ]
        if self._keep_samples is None or recognizer is None or not items or self.reader.is_busy():
            return False
        self._teaching = _TeachReport(files=len(items))
        self.reader.line_samples(items, recognizer)
        self.status_message.emit(f"Keeping the lines of {len(items)} corrected files for teaching…")
        self._update_state()
        return True

    def _on_samples(self, key: int, pairs: list[tuple[np.ndarray, str]] | str) -> None:
        report = self._teaching
        if report is None or self._keep_samples is None:
            return
        row = self._rows.get(key)
        if isinstance(pairs, str):  # named as the table names it: a folder's path crowds the status bar out
            report.problems.append(pairs.replace(str(row.path), shown_name(row.path)) if row else pairs)
            return
        report.lines += len(pairs)
        report.kept += self._keep_samples(pairs, shown_name(row.path) if row else "batch")

    # ------------------------------------------------------------------ the table

    @contextlib.contextmanager
    def _quiet_table(self) -> Iterator[None]:
        """Code, not the user, changes items inside (so no correction is taken); the rows are sorted
        again a moment after."""
        self._filling += 1
        try:
            yield
        finally:
            self._filling -= 1
            self._sort_timer.start()

    def _sort(self) -> None:
        header = self.table.horizontalHeader()
        self._sort_timer.stop()
        self.table.sortItems(header.sortIndicatorSection(), header.sortIndicatorOrder())
        self._apply_find()  # rows hide by place, not by item: hidden again where they now are

    def _apply_find(self) -> None:
        """Hide the rows whose file name and text do not hold what the find field says."""
        wanted = search_key(self.find_edit.text())  # folded once, not once a row
        for key in self._rows:
            self._find_row(key, wanted)
        self._update_state()

    def _find_row(self, key: int, wanted: str | None = None) -> None:
        """Show or hide one row by the find field (`wanted`: its text as `search_key` folds it)."""
        wanted = search_key(self.find_edit.text()) if wanted is None else wanted
        row = self._rows[key]
        error = row.reading.error if row.reading is not None else ""
        shown = not wanted or wanted in search_key(f"{shown_name(row.path)}\n{row.text or error}")
        self.table.setRowHidden(self._items[key].row(), not shown)

    def _show_name(self, key: int) -> None:
        row, item = self._rows[key], self._items[key]
        with self._quiet_table():
            item.setText(shown_name(row.path) + (f"  ⟳ {row.rotate}°" if row.rotate else ""))
            turned = f"\nturned {row.rotate}° clockwise before reading" if row.rotate else ""
            image = f"\nits lines read on {row.image}" if row.image != row.path else ""
            item.setToolTip(str(row.path) + turned + image)

    def _show_row(self, key: int) -> None:
        row = self._rows[key]
        table_row = self._items[key].row()
        with self._quiet_table():
            self._fill_cells(
                row,
                key in self._waiting,
                self.table.item(table_row, UNSURE),
                self.table.item(table_row, TEXT),
            )
        self.table.resizeRowToContents(table_row)  # a page's lines show (this row only: hundreds are slow)
        self._find_row(key)

    @staticmethod
    def _fill_cells(
        row: BatchRow, waiting: bool, conf_item: QTableWidgetItem, text_item: QTableWidgetItem
    ) -> None:
        reading = row.reading
        editable = Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled
        if reading is not None and reading.error and row.corrected is None:
            conf_item.setText("—")
            conf_item.setData(SORT_ROLE, (-1, 0.0))
            text_item.setText(reading.error)
            text_item.setForeground(ERROR_COLOR)
            text_item.setFlags(editable)
        elif reading is None and row.corrected is None:
            conf_item.setText("")
            conf_item.setData(SORT_ROLE, (-2, 0.0))
            text_item.setText("reading…" if waiting else "not read")
            text_item.setForeground(QColor("#777777"))
            text_item.setFlags(editable)
        else:
            unsure = reading.unsure if reading is not None else 0
            weakest = reading.confidence if reading is not None else math.nan
            conf_item.setText(str(unsure))
            # most unsure characters last (first, sorted descending); the weaker of a tie after
            conf_item.setData(SORT_ROLE, (unsure, -weakest if math.isfinite(weakest) else 0.0))
            # red: to check; grey once corrected (its count is the reading's, not the text's)
            checked = row.corrected is not None
            conf_item.setForeground(
                QColor("#999999") if checked else ERROR_COLOR if unsure else QColor("black")
            )
            conf_item.setToolTip(
                f"{unsure} characters read with under {UNSURE_BELOW:.0%} confidence (red on the Recognize "
                f"tab); the weakest: {weakest:.0%}"
                if math.isfinite(weakest)
                else ""
            )
            text_item.setText(row.text)
            text_item.setForeground(QColor("black"))
            text_item.setFlags(editable | Qt.ItemFlag.ItemIsEditable)
        shown_reading = reading is not None and row.corrected is None and not reading.error
        text_item.setData(UNSURE_AT_ROLE, list(reading.unsure_at) if shown_reading else None)
        corrected = row.corrected is not None
        text_item.setBackground(CORRECTED_COLOR if corrected else QColor(0, 0, 0, 0))
        was = reading.text if reading is not None else ""
        text_item.setToolTip(f"Your correction; it was read as:\n{was}" if corrected else "")

    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        if self._filling or item.column() != TEXT:
            return
        key = self.table.item(item.row(), FILE).data(KEY_ROLE)
        row = self._rows[key]
        text = unicodedata.normalize("NFC", item.text())
        read = row.reading.text if row.reading is not None else None
        row.corrected = None if text == read else text
        self._unexported = self._unexported or row.corrected is not None
        self._show_row(key)
        self._update_state()
        self._save_session()  # a correction is the user's work: on disk at once

    def _on_double_click(self, item: QTableWidgetItem) -> None:
        if item.column() != TEXT:
            self._open(self._key_of(item.row()))

    def _key_of(self, table_row: int) -> int:
        return int(self.table.item(table_row, FILE).data(KEY_ROLE))

    def _selected_keys(self) -> list[int]:
        return sorted({self._key_of(index.row()) for index in self.table.selectionModel().selectedRows()})

    def _context_menu(self, pos) -> None:  # type: ignore[no-untyped-def]
        keys = self._selected_keys()
        if not keys:
            return
        menu = QMenu(self)
        menu.addAction("Open in the Recognize tab", lambda: self._open(keys[0]))
        menu.addAction("Turn right ⟳ and read again", lambda: self.turn(keys, 90))
        menu.addAction("Turn left ⟲ and read again", lambda: self.turn(keys, 270))
        undo = menu.addAction("Undo my correction", lambda: self.revert(keys))
        undo.setEnabled(any(self._rows[k].corrected is not None for k in keys))
        menu.addAction("Remove from the list", self.remove_selected)
        menu.exec(self.table.viewport().mapToGlobal(pos))

    def _open(self, key: int) -> None:
        row = self._rows[key]
        if row.image != row.path:
            self.status_message.emit(
                f"{shown_name(row.path)}: its image opens in the Recognize tab, read there as a whole "
                "(the lines the file gives are read here)"
            )
        self.open_requested.emit(str(row.image), row.rotate)

    def turn(self, keys: Sequence[int], degrees: int) -> None:
        """Turn these files clockwise by `degrees` (a photo taken sideways) and read them again;
        a correction stays (the text is the same, however the image lies). A PAGE or ALTO file's
        lines lie where it says: not turned."""
        layouts = [k for k in keys if self._rows[k].path.suffix.lower() == LAYOUT_SUFFIX]
        if layouts:
            self.status_message.emit("A PAGE or ALTO file's lines are read where it puts them: not turned")
        keys = [k for k in keys if k not in layouts]
        if not keys:
            return
        for key in keys:
            row = self._rows[key]
            row.rotate = (row.rotate + degrees) % 360
            self._show_name(key)
        self._read(keys)
        self._save_session()

    def revert(self, keys: Sequence[int]) -> None:
        """Drop the corrections of these rows: their readings show again."""
        for key in keys:
            self._rows[key].corrected = None
            self._show_row(key)
        self._update_state()
        self._save_session()

    def remove_selected(self) -> None:
        keys = self._selected_keys()
        for key in keys:
            self.table.removeRow(self._items.pop(key).row())
            del self._rows[key]
            self._waiting.discard(key)
        self._update_state()
        self._save_session()

    def clear(self) -> None:
        """Empty the list, after asking when it holds corrections not exported."""
        if not self._rows or not self._confirm_discard("Clear the list"):
            return
        self.reader.stop()
        self.table.setRowCount(0)
        self._rows.clear()
        self._items.clear()
        self._waiting.clear()
        self._unexported = False
        self._update_state()
        self._save_session()

    def _confirm_discard(self, what: str) -> bool:
        if not self._unexported:
            return True
        answer = QMessageBox.question(
            self,
            what,
            f"{self.corrected_count()} corrected texts have not been exported. {what} anyway?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def _read_count(self) -> int:
        return sum(1 for k, r in self._rows.items() if r.reading is not None and k not in self._waiting)

    def _update_state(self) -> None:
        total = len(self._rows)
        done = self._read_count()
        failed = sum(1 for r in self._rows.values() if r.reading is not None and r.reading.error)
        busy = self.reader.is_busy()
        self.hint.setVisible(total == 0)
        self.read_button.setText("Stop" if busy else "Read again")
        self.read_button.setEnabled(total > 0 and (busy or not self._waiting))
        self.remove_button.setEnabled(bool(self.table.selectionModel().selectedRows()))
        self.clear_button.setEnabled(total > 0)
        self.export_button.setEnabled(any(r.text for r in self._rows.values()))
        corrected = self.corrected_count()
        self.teach_button.setEnabled(bool(corrected) and not busy)
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        left = ""
        if busy and self._pace is not None:
            left = time_left_text(self._pace.time_left(self._clock(), done, len(self._waiting)))
        self.progress.setFormat(f"{done} of {total} read" + (f" · {left}" if left else ""))
        self.progress.setVisible(total > 0)
        parts = []
        if failed:
            parts.append(f"{failed} could not be read")
        unsure = sum(
            1
            for r in self._rows.values()
            if r.corrected is None and r.reading is not None and r.reading.unsure
        )
        if unsure:
            parts.append(f"{unsure} with unsure characters")
        if corrected:
            parts.append(f"{corrected} corrected")
        if self.find_edit.text().strip():
            shown = sum(1 for key in self._rows if not self.table.isRowHidden(self._items[key].row()))
            parts.append(f"{shown} of {total} found")
        self.summary.setText(" · ".join(parts))

    # ------------------------------------------------------------------ state for others

    def corrected_count(self) -> int:
        return sum(1 for r in self._rows.values() if r.corrected is not None)

    def has_unexported_corrections(self) -> bool:
        return self._unexported

    def has_unsaved_corrections(self) -> bool:
        """Corrections that would be lost on quitting: not exported, and not in the saved session."""
        return self._unexported and not self._session_saved

    def texts(self) -> list[tuple[Path, str]]:
        """(image, text) of every file with a text, in the order added: corrections where made (a PAGE
        or ALTO file's is its image's)."""
        return [(r.image, r.text) for r in self._rows.values() if r.text]

    # ------------------------------------------------------------------ export

    def _last_dir(self) -> str:
        return str(self._settings.value(KEY_LAST_DIR, "") or "")

    def _images_dir(self) -> str:
        paths = [str(r.path.resolve().parent) for r in self._rows.values()]
        return os.path.commonpath(paths) if paths else self._last_dir()

    def placed_lines(self) -> list[PageLines]:
        """Each file's text on the lines found in its image (`page_lines`), in the order added: the
        files with a text that were read from an image in this version of the app."""
        placed = (page_lines(r.image, r.text, r.reading) for r in self._rows.values() if r.text)
        return [lines for lines in placed if lines is not None]

    def _write(
        self,
        write: Callable[[Any, str | os.PathLike[str]], object],
        where: str | os.PathLike[str],
        rows: Sequence[object] | None = None,
        lacking: str = "a text",
    ) -> bool:
        """Export `rows` (by default `texts()`) with `write(rows, where)`; the rows are taken once,
        so what is said is what was written. The files left out are those without `lacking`."""
        rows = self.texts() if rows is None else rows
        try:
            write(rows, where)
        except OSError as exc:
            self.status_message.emit(f"Cannot write {where}: {exc.strerror or exc}")
            return False
        except HwrError as exc:  # a file to fill that cannot be read any more
            self.status_message.emit(f"Nothing written: {exc}")
            return False
        self._unexported = False
        left = len(self._rows) - len(rows)
        note = f"; {left} without {lacking} left out" if left else ""
        self.status_message.emit(f"Exported {len(rows)} texts to {where}{note}")
        return True

    def _replace_ok(self, names: Sequence[Path], folder: str, what: str) -> bool:
        """Whether to write `names` in `folder`: yes where none exists yet, else as the user says."""
        existing = [p for p in dict.fromkeys(names) if p.exists()]  # a file's pages share a text file
        if not existing:
            return True
        answer = QMessageBox.question(
            self,
            f"Replace {what}",
            f"{len(existing)} of these {what} already exist in {folder} (e.g. {existing[0].name}). Replace them?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def export_text_files_dialog(self) -> bool:
        folder = QFileDialog.getExistingDirectory(self, "Folder for the text files", self._images_dir())
        if not folder or not self._replace_ok(
            text_file_names([p for p, _ in self.texts()], folder), folder, "text files"
        ):
            return False
        return self.export_text_files(folder)

    def export_text_files(self, folder: str | os.PathLike[str]) -> bool:
        return self._write(write_text_files, folder)

    def export_joined_dialog(self) -> bool:
        start = str(Path(self._images_dir()) / "texts.txt")
        path, _ = QFileDialog.getSaveFileName(self, "Save all texts", start, "Text (*.txt);;All files (*)")
        return self.export_joined(path) if path else False

    def export_joined(self, path: str | os.PathLike[str]) -> bool:
        return self._write(write_joined_text, path)

    def export_labels_dialog(self) -> bool:
        start = str(Path(self._images_dir()) / "labels.tsv")
        path, _ = QFileDialog.getSaveFileName(self, "Save labels.tsv", start, "Labels (*.tsv);;All files (*)")
        return self.export_labels(path) if path else False

    def export_labels(self, path: str | os.PathLike[str]) -> bool:
        return self._write(write_labels_tsv, path)

    def export_page_xml_dialog(self) -> bool:
        # "page": where Transkribus keeps a folder's PAGE files
        return self._xml_folder_dialog("page", "PAGE XML files", self.export_page_xml)

    def export_page_xml(self, folder: str | os.PathLike[str]) -> bool:
        write = functools.partial(write_page_xml, created=datetime.now(UTC))
        return self._write(write, folder, self.placed_lines(), _PLACED)

    def export_alto_xml_dialog(self) -> bool:
        return self._xml_folder_dialog("alto", "ALTO XML files", self.export_alto_xml)

    def export_alto_xml(self, folder: str | os.PathLike[str]) -> bool:
        write = functools.partial(write_alto_xml, created=datetime.now(UTC))
        return self._write(write, folder, self.placed_lines(), _PLACED)

    def _xml_folder_dialog(self, subfolder: str, what: str, export: Callable[[str], bool]) -> bool:
        """A folder for one XML file per image (named alike for PAGE and ALTO), the files it would
        replace confirmed first."""
        start = str(Path(self._images_dir()) / subfolder)
        folder = QFileDialog.getExistingDirectory(self, f"Folder for the {what}", start)
        if not folder or not self._replace_ok(page_xml_names(self.placed_lines(), folder), folder, what):
            return False
        return export(folder)

    def filled_layouts(self) -> list[LayoutText]:
        """The text of each PAGE or ALTO file added, in the order added, where it has a line of text
        for each of the file's lines read (a correction that joined or split lines has not)."""
        rows = (
            LayoutText(r.path, r.reading.layout_lines, r.text, r.reading.text, r.reading.word_confidences)
            for r in self._rows.values()
            if r.text and r.reading is not None and r.reading.layout_lines
        )
        return [row for row in rows if row.filled_lines() is not None]

    def export_filled_dialog(self) -> bool:
        """A folder for the files filled: their own (the dialog starts there) fills them in place,
        after asking."""
        rows = self.filled_layouts()
        start = os.path.commonpath([str(r.xml.parent) for r in rows]) if rows else self._images_dir()
        folder = QFileDialog.getExistingDirectory(self, "Folder for the PAGE / ALTO files filled", start)
        names = filled_names([r.xml for r in rows], folder) if folder else []
        if not folder or not self._replace_ok(names, folder, "PAGE / ALTO files"):
            return False
        return self.export_filled(folder)

    def export_filled(self, folder: str | os.PathLike[str]) -> bool:
        write = functools.partial(write_filled_layouts, changed=datetime.now(UTC))
        return self._write(write, folder, self.filled_layouts(), _FILLED)

    def export_hocr_dialog(self) -> bool:
        start = str(Path(self._images_dir()) / "reading.hocr")
        path, _ = QFileDialog.getSaveFileName(self, "Save hOCR", start, "hOCR (*.hocr *.html);;All files (*)")
        return self.export_hocr(path) if path else False

    def export_hocr(self, path: str | os.PathLike[str]) -> bool:
        return self._write(write_hocr, path, self.placed_lines(), _PLACED)

    def export_pdf_dialog(self) -> bool:
        start = str(Path(self._images_dir()) / "reading.pdf")
        path, _ = QFileDialog.getSaveFileName(
            self, "Save a searchable PDF", start, "PDF (*.pdf);;All files (*)"
        )
        if path and not Path(path).suffix:
            path += ".pdf"
        return self.export_pdf(path) if path else False

    def export_pdf(self, path: str | os.PathLike[str]) -> bool:
        """Write every file read from an image as a page of one searchable PDF at `path`, in the
        worker (each image is loaded and encoded again); `_on_pdf_written` says how it went."""
        if self.reader.is_busy():
            self.status_message.emit(
                "Still reading: the PDF can be written once the list is read (or stopped)"
            )
            return False
        pages = self.placed_lines()
        if not pages:
            self.status_message.emit(f"Nothing to put in a PDF: no file has {_PLACED}")
            return False
        left = len(self._rows) - len(pages)
        self._pdf_pages = (len(pages), f"; {left} without {_PLACED} left out" if left else "")
        self.reader.write_pdf(pages, str(path))
        self.status_message.emit(f"Writing {path} ({len(pages)} page{'s' * (len(pages) != 1)})…")
        self._update_state()
        return True

    def _on_pdf_written(self, path: str, problem: str) -> None:
        count, note = self._pdf_pages
        if problem:
            self._pdf_report = f"No PDF written to {path}: {problem}"
        else:
            self._unexported = False
            self._pdf_report = f"Exported {count} page{'s' * (count != 1)} to {path}{note}"

    # ------------------------------------------------------------------ drops and lifetime

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if event.mimeData().hasUrls():
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        files = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile() and u.toLocalFile()]
        if files:
            event.acceptProposedAction()
            self.add_paths(files)
        else:
            event.ignore()

    def shutdown(self) -> None:
        self.reader.shutdown()
        if self._save_timer.isActive():
            self._save_session()

    # ------------------------------------------------------------------ the saved session

    def restore_session(self) -> int:
        """Bring back the list of the last session (readings and corrections) and read what it had
        not read yet; how many files. A file that is not a saved batch is set aside, not overwritten."""
        if self._session_file is None:
            return 0
        try:
            rows = load_session(self._session_file)
        except HwrError as exc:
            aside = self._session_file.with_name(self._session_file.name + ".bad")
            try:
                self._session_file.replace(aside)
            except OSError:
                self._session_file = None  # keep it as it is: do not write over it
            self.status_message.emit(f"The last batch could not be restored: {exc} (kept as {aside.name})")
            return 0
        keys = self._append(rows)
        self._unexported = any(r.corrected is not None for r in rows)
        self._read([k for k in keys if self._rows[k].reading is None])
        self._update_state()
        return len(rows)

    def _schedule_save(self) -> None:
        if self._session_file is not None:
            self._session_saved = False
            self._save_timer.start()

    def _save_session(self) -> None:
        self._save_timer.stop()
        if self._session_file is None:
            return
        try:
            save_session(list(self._rows.values()), self._session_file)
        except OSError as exc:
            if self._session_saved:  # said once, not on every file read
                self.status_message.emit(
                    f"Cannot save the batch to {self._session_file}: {exc.strerror or exc}"
                )
            self._session_saved = False
            return
        self._session_saved = True
