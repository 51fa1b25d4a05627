"""The Train tab's "Training data" group: training sources with their weights, validation sources.

Sources are `hwr_core` data specs (`[kind:]PATH[?option=..]`); a spec's `weight=` lives in its own
column here and is folded back in by `sources()`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote

from platformdirs import user_data_dir
from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDoubleSpinBox,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QListWidget,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

log = logging.getLogger(__name__)

SYNTH_DEFAULT_N = 2000
KEY_DATA_DIR = "paths/train_data_dir"


def split_weight(spec: str) -> tuple[str, float]:
    """("tsv:/a?split=train&weight=2") -> ("tsv:/a?split=train", 2.0): the weight lives in its own column."""
    body, sep, query = spec.partition("?")
    if not sep:
        return spec, 1.0
    weight = 1.0
    kept: list[str] = []
    for part in query.split("&"):
        key, _, value = part.partition("=")
        if key.strip().lower() == "weight":
            try:
                weight = float(unquote(value))
            except ValueError:
                kept.append(part)  # leave it for parse_spec to report
        elif part:
            kept.append(part)
    return (f"{body}?{'&'.join(kept)}" if kept else body), weight


def join_weight(spec: str, weight: float) -> str:
    base, _ = split_weight(spec.strip())
    if math.isclose(weight, 1.0):
        return base
    return f"{base}{'&' if '?' in base else '?'}weight={weight:g}"


class DataSourcesBox(QGroupBox):
    """Training sources (a table of spec and weight), the buttons that add them, validation sources.

    `check_button` ("Check data") is laid out here and handled by the tab. Signal: failed(str) when
    an add action fails (the tab shows it).
    """

    failed = Signal(str)

    def __init__(self, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__("Training data", parent)
        self._settings = settings
        v = QVBoxLayout(self)
        self.sources_table = QTableWidget(0, 2)
        self.sources_table.setHorizontalHeaderLabels(["Source (spec)", "Weight"])
        header = self.sources_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.sources_table.verticalHeader().setVisible(False)
        self.sources_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.sources_table.setMinimumHeight(90)
        self.sources_table.setMaximumHeight(140)  # leaves the form room to fit without scrolling
        self.sources_table.setToolTip(
            "One data source per row, as [kind:]PATH[?split=..&option=..]; double-click to edit. "
            "The weight sets how often batches come from the source."
        )
        v.addWidget(self.sources_table)

        grid = QGridLayout()
        adders: list[tuple[str, Callable[[], None]]] = [
            ("Add labels.tsv…", self._add_tsv),
            ("Add IAM folder…", self._add_iam),
            ("Add Kaggle CSV…", self._add_kaggle),
            ("Add Cinnamon JSON…", self._add_cinnamon),
            ("Add synthetic fonts folder…", self._add_synth),
            ("Add my samples…", self._add_my_samples),
            ("Add PAGE / ALTO XML folder…", self._add_page),
        ]
        for i, (text, fn) in enumerate(adders):
            button = QPushButton(text)
            button.clicked.connect(lambda _=False, fn=fn: self._guard(fn))
            grid.addWidget(button, i // 2, i % 2)
        remove = QPushButton("Remove")
        remove.clicked.connect(self._remove_source)
        grid.addWidget(remove, 4, 0)
        self.check_button = QPushButton("Check data")
        self.check_button.setToolTip("Read the sources, count usable samples and preview augmented samples")
        grid.addWidget(self.check_button, 4, 1)
        v.addLayout(grid)

        v.addWidget(QLabel("Validation sources"))
        self.val_list = QListWidget()
        self.val_list.setMaximumHeight(48)
        v.addWidget(self.val_list)
        row = QHBoxLayout()
        add_val = QPushButton("Add validation labels.tsv…")
        add_val.clicked.connect(lambda: self._guard(self._add_val_tsv))
        add_val_page = QPushButton("PAGE / ALTO XML folder…")
        add_val_page.setToolTip(
            "Validate on the lines of a folder of PAGE or ALTO XML pages (they have no splits)"
        )
        add_val_page.clicked.connect(lambda: self._guard(self._add_val_page))
        remove_val = QPushButton("Remove")
        remove_val.clicked.connect(self._remove_validation_source)
        row.addWidget(add_val)
        row.addWidget(add_val_page)
        row.addWidget(remove_val)
        v.addLayout(row)
        hint = QLabel(
            "When empty, validation uses the val split of each labels.tsv source (PAGE and ALTO XML have no splits: "
            "add a folder of its own)."
        )
        hint.setWordWrap(True)
        hint.setEnabled(False)  # greyed: a hint, not a control
        v.addWidget(hint)

    # ------------------------------------------------------------------ the sources

    def add_source(self, spec: str, weight: float | None = None) -> None:
        """Append a training source; a `weight=` in the spec goes to the weight column."""
        base, w = split_weight(spec)
        row = self.sources_table.rowCount()
        self.sources_table.insertRow(row)
        self.sources_table.setItem(row, 0, QTableWidgetItem(base))
        spin = QDoubleSpinBox()
        spin.setRange(0.01, 1000.0)
        spin.setDecimals(2)
        spin.setSingleStep(0.5)
        spin.setValue(w if weight is None else weight)
        spin.setFrame(False)
        self.sources_table.setCellWidget(row, 1, spin)

    def add_validation_source(self, spec: str) -> None:
        self.val_list.addItem(spec)

    def sources(self) -> list[str]:
        """The training specs as strings, weights folded in."""
        out: list[str] = []
        for row in range(self.sources_table.rowCount()):
            item = self.sources_table.item(row, 0)
            text = item.text().strip() if item is not None else ""
            if not text:
                continue
            spin = self.sources_table.cellWidget(row, 1)
            weight = spin.value() if isinstance(spin, QDoubleSpinBox) else 1.0
            out.append(join_weight(text, weight))
        return out

    def validation_sources(self) -> list[str] | None:
        """The validation specs, or None when there are none (each source's val split is used)."""
        specs = [self.val_list.item(i).text().strip() for i in range(self.val_list.count())]
        specs = [s for s in specs if s]
        return specs or None

    def _remove_source(self) -> None:
        rows = sorted({i.row() for i in self.sources_table.selectedIndexes()}, reverse=True)
        if not rows and self.sources_table.currentRow() >= 0:
            rows = [self.sources_table.currentRow()]
        for row in rows:
            self.sources_table.removeRow(row)

    def _remove_validation_source(self) -> None:
        for item in self.val_list.selectedItems():
            self.val_list.takeItem(self.val_list.row(item))

    # ------------------------------------------------------------------ pickers

    def _guard(self, fn: Callable[[], None]) -> None:
        """Run an add action; its errors become a message, never an exception inside Qt."""
        try:
            fn()
        except Exception as e:
            log.exception("adding a data source failed")
            self.failed.emit(f"Could not add the source: {e}")

    def _data_dir(self) -> str:
        return str(self._settings.value(KEY_DATA_DIR, str(Path.home())))

    def _remember_data_dir(self, path: str) -> None:
        p = Path(path)
        self._settings.setValue(KEY_DATA_DIR, str(p if p.is_dir() else p.parent))

    def _pick_file(self, title: str, filters: str) -> str | None:
        path, _ = QFileDialog.getOpenFileName(self, title, self._data_dir(), filters)
        if path:
            self._remember_data_dir(path)
        return path or None

    def _pick_folder(self, title: str, start: str | None = None) -> str | None:
        path = QFileDialog.getExistingDirectory(self, title, start or self._data_dir())
        if path:
            self._remember_data_dir(path)
        return path or None

    def _add_tsv(self) -> None:
        if path := self._pick_file("Add labels.tsv", "Labels (*.tsv);;All files (*)"):
            self.add_source(f"tsv:{path}")

    def _add_iam(self) -> None:
        if path := self._pick_folder("Add IAM folder (with lines.txt or words.txt)"):
            self.add_source(f"iam:{path}")

    def _add_kaggle(self) -> None:
        if path := self._pick_file("Add Kaggle CSV", "CSV (*.csv);;All files (*)"):
            self.add_source(f"kaggle:{path}")

    def _add_cinnamon(self) -> None:
        if path := self._pick_file("Add Cinnamon labels.json", "JSON (*.json);;All files (*)"):
            self.add_source(f"cinnamon:{path}")

    def _add_synth(self) -> None:
        path = self._pick_folder("Add a folder of handwriting fonts (.ttf/.otf)")
        if not path:
            return
        n, ok = QInputDialog.getInt(
            self, "Synthetic samples", "Samples rendered per epoch:", SYNTH_DEFAULT_N, 10, 10_000_000, 500
        )
        if ok:
            self.add_source(f"synth:{path}?n={n}")

    def _add_my_samples(self) -> None:
        default = Path(user_data_dir("hwr-studio")) / "samples"
        start = str(default) if default.is_dir() else None
        if path := self._pick_folder("Add a folder of your samples (with labels.tsv)", start):
            self.add_source(f"tsv:{path}?name=my-samples")

    def _add_page(self) -> None:
        if path := self._pick_folder("Add a folder of PAGE or ALTO XML pages (Transkribus, eScriptorium)"):
            self.add_source(f"page:{path}")

    def _add_val_page(self) -> None:
        if path := self._pick_folder("Add a folder of PAGE or ALTO XML pages to validate on"):
            self.add_validation_source(f"page:{path}")

    def _add_val_tsv(self) -> None:
        if path := self._pick_file("Add validation labels.tsv", "Labels (*.tsv);;All files (*)"):
            self.add_validation_source(f"tsv:{path}")
