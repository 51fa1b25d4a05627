"""The Train tab: pick data and a starting model, train live in a worker thread, keep the result.

Everything slow (reading data, training, ONNX export) runs off the UI thread: training through
`TrainingController`, "Check data" and exports through a `FunctionRunner`. Batch events only
feed buffers; the plots and the progress bar redraw from ~10 Hz timers.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import math
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from platformdirs import user_data_dir
from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QValidator
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from hwr_core.config import TrainConfig
from hwr_core.errors import DatasetError, HwrError
from hwr_core.modelfile import ModelBundle
from hwr_core.training import (
    CHECKPOINT_NAME,
    FINAL_NAME,
    HISTORY_NAME,
    BatchEnd,
    CheckpointSaved,
    EpochEnd,
    TrainingFinished,
    amp_supported,
)

from ..active_model import ActiveModel
from ..qt_image import gray_to_pixmap
from ..settings_values import setting_bool, setting_float, setting_int
from ..workers.training import FunctionRunner, TrainingController, TrainingRequest, build_setup, one_line
from .data_sources_box import DataSourcesBox
from .metric_plots import MetricPlots

log = logging.getLogger(__name__)

VARIANTS = ("small", "paper", "tiny")
PREVIEW_SAMPLES = 8
PREVIEW_MAX_WIDTH = 260
MAX_PREDICTION_ROWS = 400
UI_REFRESH_MS = 100
OK_BRUSH = QColor(205, 240, 205)
OK_TEXT = QColor(20, 70, 20)


@dataclass(frozen=True)
class DataCheck:
    """What "Check data" found: report lines and a few augmented training samples (image, text)."""

    lines: list[str]
    samples: list[tuple[np.ndarray, str]]


def check_data(request: TrainingRequest, n: int = PREVIEW_SAMPLES) -> DataCheck:
    """Build the setup like a run would and draw a few samples as training sees them (after augmentation).

    Runs in a worker thread: it reads every label file and some images.
    """
    setup = build_setup(request)
    lines = setup.report_lines()
    for report in setup.reports:
        lines.extend(f"  {report.source}: {example}" for example in report.examples[:3])
    samples: list[tuple[np.ndarray, str]] = []
    tried = 0
    plan = setup.train_set.batches(0)
    per_batch = max(
        2, -(-n // max(1, len(plan)))
    )  # a few per batch: batches are per source, so this mixes sources
    for source_index, indices in plan:
        for index in indices[:per_batch]:
            tried += 1
            item = setup.train_set.item(source_index, index, epoch=0)
            if item is not None:
                samples.append((item.image, item.text))
        if len(samples) >= n or tried >= 8 * n:
            break
    return DataCheck(lines, samples[:n])


def _duration(seconds: float) -> str:
    s = max(0, int(round(seconds)))
    if s >= 3600:
        return f"{s // 3600}h {s % 3600 // 60:02d}m"
    if s >= 60:
        return f"{s // 60}m {s % 60:02d}s"
    return f"{s}s"


def _has_run_files(folder: Path) -> bool:
    return any((folder / name).exists() for name in (CHECKPOINT_NAME, FINAL_NAME, HISTORY_NAME))


class ScientificSpinBox(QDoubleSpinBox):
    """A learning-rate box: shows 0.001 as 1e-03, accepts either form, steps by factors of 2."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDecimals(10)
        self.setRange(1e-7, 1.0)

    def textFromValue(self, value: float) -> str:  # noqa: N802 (Qt override)
        return f"{value:.2g}" if value >= 1e-2 else f"{value:.1e}"

    def valueFromText(self, text: str) -> float:  # noqa: N802 (Qt override)
        try:
            return float(text)
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int) -> object:
        t = text.strip()
        try:
            v = float(t)
        except ValueError:
            ok = t == "" or all(c in "0123456789.eE-+" for c in t)
            return (QValidator.State.Intermediate if ok else QValidator.State.Invalid), text, pos
        state = (
            QValidator.State.Acceptable
            if self.minimum() <= v <= self.maximum()
            else QValidator.State.Intermediate
        )
        return state, text, pos

    def stepBy(self, steps: int) -> None:  # noqa: N802 (Qt override)
        self.setValue(self.value() * (2.0**steps))


class TrainTab(QWidget):
    """Data sources, model choice, hyper-parameters, live plots and the run's result.

    Signals: status_message(str) for the status bar; training_finished(TrainingFinished) when a run
    ends by completing, early stopping or Stop; data_checked(list[str]) after "Check data".
    """

    status_message = Signal(str)
    training_finished = Signal(object)
    data_checked = Signal(list)

    def __init__(self, active_model: ActiveModel, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._active = active_model
        self._settings = settings
        self.controller = TrainingController(self)
        self.plots = MetricPlots()
        self.last_model_path: Path | None = None
        self._last_is_checkpoint = False
        self._run_request: TrainingRequest | None = None
        self._pending_batch: BatchEnd | None = None
        self._checker = FunctionRunner(self)
        self._exporter = FunctionRunner(self)
        self._preview_count = 0

        self._progress_timer = QTimer(self)
        self._progress_timer.setInterval(UI_REFRESH_MS)
        self._progress_timer.timeout.connect(self._refresh_progress)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        self.data_sources = DataSourcesBox(settings)
        self.data_sources.failed.connect(self._show_error)
        self.check_button = self.data_sources.check_button
        self.check_button.clicked.connect(lambda: self._guard(self.check_data))
        left_layout.addWidget(self.data_sources)
        left_layout.addWidget(self._build_model_group())
        left_layout.addWidget(self._build_training_group())
        left_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(left)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # as wide as its widest row of buttons needs (a fixed width clipped the last of them)
        needed = left.minimumSizeHint().width() + scroll.verticalScrollBar().sizeHint().width()
        scroll.setMinimumWidth(needed + 2 * scroll.frameWidth())

        self.settings_panel = scroll
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(scroll)
        splitter.addWidget(self._build_live_panel())
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([scroll.minimumWidth(), 860])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter)

        self.controller.sig_setup.connect(self._on_setup)
        self.controller.sig_batch.connect(self._on_batch)
        self.controller.sig_epoch.connect(self._on_epoch)
        self.controller.sig_checkpoint.connect(self._on_checkpoint)
        self.controller.sig_finished.connect(self._on_finished)
        self.controller.sig_cancelled.connect(self._on_cancelled)
        self.controller.sig_failed.connect(self._on_failed)
        self.controller.sig_done.connect(self._on_done)
        self._checker.sig_result.connect(self._on_data_checked)
        self._checker.sig_error.connect(self._on_check_failed)
        self._checker.sig_done.connect(lambda: self.check_button.setEnabled(not self.is_training()))
        self._exporter.sig_result.connect(lambda msg: self._say(str(msg)))
        self._exporter.sig_error.connect(self._show_error)
        self._exporter.sig_done.connect(self._update_result_buttons)
        self._active.changed.connect(self._on_active_model_changed)

        self._on_active_model_changed(self._active.bundle)
        self._set_running(False)
        self._update_result_buttons()

    @property
    def active_model(self) -> ActiveModel:
        return self._active

    # ================================================================== building the form

    def _build_model_group(self) -> QGroupBox:
        box = QGroupBox("Model")
        grid = QGridLayout(box)
        self.scratch_radio = QRadioButton("From scratch, variant")
        self.finetune_radio = QRadioButton("Fine-tune the active model")
        group = QButtonGroup(box)
        group.addButton(self.scratch_radio)
        group.addButton(self.finetune_radio)
        self.scratch_radio.setChecked(True)
        self.variant_combo = QComboBox()
        self.variant_combo.addItems(VARIANTS)
        self.variant_combo.setCurrentText(str(self._settings.value("train/variant", "small")))
        self.active_label = QLabel()
        self.active_label.setWordWrap(True)
        self.freeze_check = QCheckBox("Freeze backbone for")
        self.freeze_spin = QSpinBox()
        self.freeze_spin.setRange(1, 1000)
        self.freeze_spin.setValue(1)
        self.freeze_spin.setSuffix(" epoch(s)")
        self.extend_check = QCheckBox("Add new characters to the charset")
        self.extend_check.setToolTip("Grow the model's alphabet with characters found in the data")
        grid.addWidget(self.scratch_radio, 0, 0)
        grid.addWidget(self.variant_combo, 0, 1)
        grid.addWidget(self.finetune_radio, 1, 0, 1, 2)
        grid.addWidget(self.active_label, 2, 0, 1, 2)
        grid.addWidget(self.freeze_check, 3, 0)
        grid.addWidget(self.freeze_spin, 3, 1)
        grid.addWidget(self.extend_check, 4, 0, 1, 2)
        self.scratch_radio.toggled.connect(self._update_model_controls)
        self.freeze_check.toggled.connect(self._update_model_controls)
        self._model_box = box
        return box

    def _build_training_group(self) -> QGroupBox:
        import torch

        box = QGroupBox("Training")
        form = QFormLayout(box)
        self.epochs_spin = QSpinBox()
        self.epochs_spin.setRange(1, 10_000)
        self.epochs_spin.setValue(setting_int(self._settings, "train/epochs", 10, 1, 10_000))
        self.batch_spin = QSpinBox()
        self.batch_spin.setRange(1, 4096)
        self.batch_spin.setValue(setting_int(self._settings, "train/batch_size", 32, 1, 4096))
        self.lr_spin = ScientificSpinBox()
        self.lr_spin.setValue(setting_float(self._settings, "train/lr", 1e-3, 1e-7, 1.0))
        self.lr_spin.setToolTip("Peak learning rate of the one-cycle schedule; arrows halve/double it")
        self.device_combo = QComboBox()
        self.device_combo.addItem("cpu")
        if torch.cuda.is_available():
            self.device_combo.addItem("cuda")
            self.device_combo.setCurrentText("cuda")
        self.amp_check = QCheckBox("bfloat16")
        self.amp_check.setToolTip(
            "Mixed precision: about 1.5-2x faster on GPUs and on CPUs with native bfloat16; "
            "greyed out where the chosen device would only emulate it"
        )
        self.amp_check.setChecked(setting_bool(self._settings, "train/amp", True))
        self.device_combo.currentTextChanged.connect(self._update_amp_enabled)
        self._update_amp_enabled(self.device_combo.currentText())
        device_row = QHBoxLayout()
        device_row.addWidget(self.device_combo, 1)
        device_row.addWidget(self.amp_check)
        self.workers_spin = QSpinBox()
        cores = os.cpu_count() or 1
        self.workers_spin.setRange(0, cores)
        self.workers_spin.setSpecialValueText("1 thread")
        self.workers_spin.valueChanged.connect(
            lambda n: self.workers_spin.setSuffix(" process" if n == 1 else " processes")
        )
        # A GPU trains faster than one thread loads and augments images; on a CPU the
        # processes would only take cores from training.
        default_workers = min(4, cores - 1) if torch.cuda.is_available() else 0
        self.workers_spin.setValue(
            setting_int(self._settings, "train/loader_workers", default_workers, 0, cores)
        )
        self.workers_spin.setToolTip(
            "Load and augment batches in this many processes, several batches ahead: for a GPU "
            "that waits on data. The batches are the same either way."
        )
        self.out_edit = QLineEdit()
        self.out_edit.textChanged.connect(self.out_edit.setToolTip)  # the field is narrower than a path
        self.out_edit.setText(str(self._new_run_dir()))
        browse = QPushButton("Browse…")
        browse.clicked.connect(lambda: self._guard(self._browse_out_dir))
        out_row = QHBoxLayout()
        out_row.addWidget(self.out_edit, 1)
        out_row.addWidget(browse)
        self.resume_check = QCheckBox("Resume from the folder's last checkpoint")
        form.addRow("Epochs", self.epochs_spin)
        form.addRow("Batch size", self.batch_spin)
        form.addRow("Learning rate", self.lr_spin)
        form.addRow("Device", device_row)
        form.addRow("Data loading", self.workers_spin)
        form.addRow("Output folder", out_row)
        form.addRow("", self.resume_check)
        self._training_box = box
        return box

    def _build_live_panel(self) -> QWidget:
        panel = QWidget()
        v = QVBoxLayout(panel)
        v.setContentsMargins(0, 0, 0, 0)

        controls = QHBoxLayout()
        self.start_button = QPushButton("Start")
        self.start_button.clicked.connect(lambda: self._guard(self._on_start_clicked))
        self.pause_button = QPushButton("Pause")
        self.pause_button.setCheckable(True)
        self.pause_button.toggled.connect(self._on_pause_toggled)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop after the current batch and save a checkpoint")
        self.stop_button.clicked.connect(self.stop)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.setFormat("idle")
        self.progress.setValue(0)
        for w in (self.start_button, self.pause_button, self.stop_button):
            controls.addWidget(w)
        controls.addWidget(self.progress, 1)
        v.addLayout(controls)

        self.status_label = QLabel("Add training data, choose a model and press Start.")
        self.status_label.setWordWrap(True)
        # Under the progress bar, beside the status, not in the buttons' row: there its fixed width
        # made the window wider than a 1024-px screen (the Train tab's least width was 1031 px).
        self.eta_label = QLabel()
        self.eta_label.setMinimumWidth(170)  # the width of its text at most: no jumps as it changes
        self.eta_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        status_row = QHBoxLayout()
        status_row.addWidget(self.status_label, 1)
        status_row.addWidget(self.eta_label)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #b00020;")
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()
        v.addLayout(status_row)
        v.addWidget(self.error_label)

        self.predictions_table = QTableWidget(0, 3)
        self.predictions_table.setHorizontalHeaderLabels(["Epoch", "Truth", "Prediction"])
        ph = self.predictions_table.horizontalHeader()
        ph.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        ph.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        ph.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.predictions_table.verticalHeader().setVisible(False)
        self.predictions_table.verticalHeader().setDefaultSectionSize(22)
        self.predictions_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)

        check_page = QWidget()
        ch = QHBoxLayout(check_page)
        self.data_report = QPlainTextEdit()
        self.data_report.setReadOnly(True)
        self.data_report.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.data_report.setPlaceholderText("Press Check data to count usable samples and preview them.")
        self._preview_widget = QWidget()
        self._preview_grid = QGridLayout(self._preview_widget)
        self._preview_grid.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        preview_scroll = QScrollArea()
        preview_scroll.setWidget(self._preview_widget)
        preview_scroll.setWidgetResizable(True)
        preview_box = QVBoxLayout()
        preview_box.addWidget(QLabel("Training samples after augmentation, as the model sees them:"))
        preview_box.addWidget(preview_scroll, 1)
        ch.addWidget(self.data_report, 2)
        ch.addLayout(preview_box, 3)

        self.bottom_tabs = QTabWidget()
        self.bottom_tabs.addTab(self.predictions_table, "Sample predictions")
        self.bottom_tabs.addTab(check_page, "Data check")

        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.plots)
        split.addWidget(self.bottom_tabs)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        v.addWidget(split, 1)

        results = QHBoxLayout()
        self.save_button = QPushButton("Save model as…")
        self.save_button.clicked.connect(lambda: self._guard(self._save_model_dialog))
        self.use_button = QPushButton("Use as active model")
        self.use_button.clicked.connect(lambda: self._guard(self.use_as_active_model))
        self.onnx_button = QPushButton("Export ONNX…")
        self.onnx_button.clicked.connect(lambda: self._guard(self._export_onnx_dialog))
        self.result_label = QLabel()
        self.result_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        for w in (self.save_button, self.use_button, self.onnx_button):
            results.addWidget(w)
        results.addWidget(self.result_label, 1)
        v.addLayout(results)
        return panel

    # ================================================================== model / output choices

    def _on_active_model_changed(self, bundle: ModelBundle | None) -> None:
        if bundle is None:
            self.active_label.setText("No active model: load one in the Model tab to fine-tune it.")
            self.finetune_radio.setEnabled(False)
            self.scratch_radio.setChecked(True)
        else:
            self.active_label.setText(
                f"Active: {bundle.name} ({bundle.model.config.variant}, {bundle.codec.num_classes} classes)"
            )
            self.finetune_radio.setEnabled(True)
        self._update_model_controls()

    def _update_model_controls(self) -> None:
        finetune = self.finetune_radio.isChecked()
        self.variant_combo.setEnabled(not finetune)
        self.freeze_check.setEnabled(finetune)
        self.freeze_spin.setEnabled(finetune and self.freeze_check.isChecked())
        self.extend_check.setEnabled(finetune)

    def _runs_base(self) -> Path:
        saved = self._settings.value("paths/train_out_dir")
        return Path(str(saved)) if saved else Path(user_data_dir("hwr-studio")) / "runs"

    def _new_run_dir(self, base: Path | None = None) -> Path:
        base = base or self._runs_base()
        stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        path, i = base / stamp, 1
        while path.exists():
            i += 1
            path = base / f"{stamp}-{i}"
        return path

    def _browse_out_dir(self) -> None:
        current = Path(self.out_edit.text().strip() or str(self._runs_base()))
        start = current if current.exists() else current.parent
        path = QFileDialog.getExistingDirectory(self, "Output folder for the run", str(start))
        if path:
            self.out_edit.setText(path)
            self._settings.setValue("paths/train_out_dir", str(Path(path).parent))

    def _init_model_path(self, out_dir: Path) -> str | None:
        if not self.finetune_radio.isChecked():
            return None
        bundle = self._active.bundle
        if bundle is None:
            raise HwrError("there is no active model to fine-tune; load one or train from scratch")
        if bundle.path is not None and Path(bundle.path).is_file():
            return str(bundle.path)
        from hwr_core.modelfile import save_model

        # The builder loads the init model from a file; an unsaved model is written into the run folder.
        return str(save_model(bundle, out_dir / "init.safetensors"))

    def _update_amp_enabled(self, device: str) -> None:
        import torch

        self.amp_check.setEnabled(amp_supported(torch.device(device)))

    def build_request(self) -> TrainingRequest:
        """The form as a request. A new (non-resume) run never reuses a folder that holds another run."""
        data = self.data_sources.sources()
        if not data:
            raise DatasetError("add at least one training data source")
        text = self.out_edit.text().strip()
        out_dir = Path(text).expanduser() if text else self._new_run_dir()
        resume = self.resume_check.isChecked()
        if not resume and _has_run_files(out_dir):
            out_dir = self._new_run_dir(out_dir.parent)
            self._say(f"{text} holds an earlier run; this run goes to {out_dir}")
        self.out_edit.setText(str(out_dir))
        finetune = self.finetune_radio.isChecked()
        cfg = TrainConfig(
            epochs=self.epochs_spin.value(),
            batch_size=self.batch_spin.value(),
            lr=self.lr_spin.value(),
            device=self.device_combo.currentText(),
            amp=self.amp_check.isEnabled() and self.amp_check.isChecked(),
            loader_workers=self.workers_spin.value(),
            freeze_backbone_epochs=self.freeze_spin.value()
            if finetune and self.freeze_check.isChecked()
            else 0,
        )
        bundle = self._active.bundle
        return TrainingRequest(
            data=data,
            val=self.data_sources.validation_sources(),
            cfg=cfg,
            out_dir=str(out_dir),
            init=self._init_model_path(out_dir),
            variant=self.variant_combo.currentText(),
            height=bundle.preprocess.height if finetune and bundle is not None else 32,
            extend_charset=finetune and self.extend_check.isChecked(),
            resume=resume,
        )

    # ================================================================== check data

    def check_data(self) -> bool:
        """Read the sources in a worker thread; `data_checked` follows. False if it could not start."""
        if self._checker.is_running() or self.is_training():
            self._say("busy: wait for the running task to end")
            return False
        data = self.data_sources.sources()
        if not data:
            raise DatasetError("add at least one training data source")
        finetune = self.finetune_radio.isChecked()
        bundle = self._active.bundle
        init = None
        if finetune and bundle is not None and bundle.path is not None and Path(bundle.path).is_file():
            init = str(bundle.path)
        request = TrainingRequest(
            data=data,
            val=self.data_sources.validation_sources(),
            cfg=TrainConfig(batch_size=self.batch_spin.value()),
            out_dir="",
            init=init,
            variant=self.variant_combo.currentText(),
            extend_charset=finetune and self.extend_check.isChecked(),
        )
        self._clear_error()
        self.check_button.setEnabled(False)
        self.data_report.setPlainText("Reading the data…")
        self.bottom_tabs.setCurrentIndex(1)
        self._checker.start(lambda: check_data(request))
        return True

    def _on_data_checked(self, result: object) -> None:
        assert isinstance(result, DataCheck)
        self.data_report.setPlainText("\n".join(result.lines))
        self._set_preview(result.samples)
        summary = next((line for line in result.lines if line.startswith("training:")), "no training batches")
        self._say(f"Data checked: {summary}")
        self.data_checked.emit(list(result.lines))

    def _on_check_failed(self, message: str) -> None:
        self.data_report.setPlainText(message)
        self._set_preview([])
        self._show_error(message)

    def _set_preview(self, samples: list[tuple[np.ndarray, str]]) -> None:
        while self._preview_grid.count():
            child = self._preview_grid.takeAt(0)
            if child is not None and child.widget() is not None:
                child.widget().deleteLater()
        for i, (image, text) in enumerate(samples):
            cell = QWidget()
            cl = QVBoxLayout(cell)
            cl.setContentsMargins(2, 2, 2, 2)
            pic = QLabel()
            pixmap = gray_to_pixmap(image)  # the model's input size: what augmentation really did
            if pixmap.width() > PREVIEW_MAX_WIDTH:
                pixmap = pixmap.copy(0, 0, PREVIEW_MAX_WIDTH, pixmap.height())  # long lines: the start
            pic.setPixmap(pixmap)
            pic.setFixedSize(pixmap.size())
            caption = QLabel(text)
            caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            cl.addWidget(pic)
            cl.addWidget(caption)
            self._preview_grid.addWidget(cell, i // 3, i % 3)
        self._preview_count = len(samples)

    def preview_count(self) -> int:
        """Samples shown in the data-check preview grid."""
        return self._preview_count

    # ================================================================== running

    def is_training(self) -> bool:
        return self.controller.is_running()

    def _on_start_clicked(self) -> None:
        request = self.build_request()
        self._settings.setValue("train/epochs", request.cfg.epochs)
        self._settings.setValue("train/batch_size", request.cfg.batch_size)
        self._settings.setValue("train/lr", request.cfg.lr)
        self._settings.setValue("train/amp", self.amp_check.isChecked())
        self._settings.setValue("train/loader_workers", request.cfg.loader_workers)
        self._settings.setValue("train/variant", request.variant)
        self.start_training(request)

    def start_training(self, request: TrainingRequest) -> bool:
        """Start a run from a request (the Start button, or a test); False if one is already going."""
        if self.is_training():
            self._say("a training run is already going")
            return False
        self._clear_error()
        self.plots.clear()
        self.predictions_table.setRowCount(0)
        self.last_model_path = None
        self._last_is_checkpoint = False
        self._pending_batch = None
        self._run_request = request
        self._update_result_buttons()
        if request.resume:
            self._replay_history(Path(request.out_dir))
        try:
            self.controller.start(request)
        except RuntimeError as e:
            self._show_error(str(e))
            return False
        self._settings.setValue("paths/train_out_dir", str(Path(request.out_dir).parent))
        self._set_running(True)
        self.progress.setRange(0, 0)  # busy indicator until the first batch
        self.progress.setFormat("reading data…")
        self.eta_label.clear()
        self._say(f"Reading the data for a run in {request.out_dir}…")
        return True

    def _replay_history(self, out_dir: Path) -> None:
        """A resumed run's earlier epochs, so the per-epoch plots continue where they were."""
        path = out_dir / HISTORY_NAME
        if not path.is_file():
            return
        try:
            for line in path.read_text(encoding="utf-8").splitlines():
                rec = json.loads(line) if line.strip() else None
                if isinstance(rec, dict) and "epoch" in rec:
                    self.plots.add_epoch(
                        EpochEnd(
                            epoch=int(rec["epoch"]),
                            epochs=0,
                            train_loss=float(rec.get("train_loss", math.nan)),
                            lr=float(rec.get("lr", 0.0)),
                            seconds=float(rec.get("seconds", 0.0)),
                            val_loss=rec.get("val_loss"),
                            val_cer=rec.get("val_cer"),
                            val_cer_by_source=rec.get("val_cer_by_source") or {},
                        )
                    )
        except (OSError, ValueError, TypeError) as e:
            log.warning("could not read %s: %s", path, e)

    def pause(self) -> None:
        self.pause_button.setChecked(True)

    def resume(self) -> None:
        self.pause_button.setChecked(False)

    def stop(self) -> None:
        """Stop after the current batch; the trainer saves a checkpoint and `training_finished` follows."""
        if not self.is_training():
            return
        self.controller.stop()
        self.stop_button.setEnabled(False)
        self.pause_button.setEnabled(False)
        self._say("Stopping after the current batch; saving a checkpoint…")

    def stop_and_wait(self, timeout_ms: int = 30_000) -> bool:
        """Stop, save a checkpoint and block until the thread ends (used when the app quits)."""
        self._checker.wait(timeout_ms)
        self._exporter.wait(timeout_ms)
        if not self.controller.is_running() and self.controller.wait(0):
            return True
        ok = self.controller.shutdown(timeout_ms)
        if ok:
            self._set_running(False)
            if self._run_request is not None:
                ckpt = Path(self._run_request.out_dir) / CHECKPOINT_NAME
                if ckpt.exists():
                    self.last_model_path, self._last_is_checkpoint = ckpt, True
            self._update_result_buttons()
        return ok

    def _on_pause_toggled(self, paused: bool) -> None:
        if paused:
            self.controller.pause()
            self.pause_button.setText("Resume")
            if self.is_training():
                self._say("Paused after the current batch.")
        else:
            self.controller.resume()
            self.pause_button.setText("Pause")
            if self.is_training():
                self._say("Resumed.")

    def _set_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        self.pause_button.setEnabled(running)
        if not running:
            self.pause_button.blockSignals(True)
            self.pause_button.setChecked(False)
            self.pause_button.setText("Pause")
            self.pause_button.blockSignals(False)
            self._progress_timer.stop()
            self._refresh_progress()
            if self.progress.maximum() == 0:  # still the busy indicator: no batch ever came
                self.progress.setRange(0, 1)
                self.progress.setValue(0)
                self.progress.setFormat("idle")
        for box in (self.data_sources, self._model_box, self._training_box):
            box.setEnabled(not running)
        self.check_button.setEnabled(not running and not self._checker.is_running())

    # ------------------------------------------------------------------ worker events

    def _on_setup(self, lines: list[str]) -> None:
        self.data_report.setPlainText("\n".join(lines))
        self._say("Training… " + (lines[-1] if lines else ""))

    def _on_batch(self, ev: BatchEnd) -> None:
        self.plots.add_batch(ev)
        self._pending_batch = ev  # drawn by the progress timer, not per batch
        if not self._progress_timer.isActive():
            self._progress_timer.start()

    def _refresh_progress(self) -> None:
        ev, self._pending_batch = self._pending_batch, None
        if ev is None:
            return
        epochs = self._run_request.cfg.epochs if self._run_request else 0
        self.progress.setRange(0, max(1, ev.batches))
        self.progress.setValue(ev.batch)
        self.progress.setFormat(f"epoch {ev.epoch + 1}/{epochs} · batch {ev.batch}/{ev.batches}")
        self.eta_label.setText(f"ETA {_duration(ev.eta_s)} · {ev.samples_per_s:.0f} samples/s")

    def _on_epoch(self, ev: EpochEnd) -> None:
        self.plots.add_epoch(ev)
        table = self.predictions_table
        table.setUpdatesEnabled(False)
        for truth, pred in reversed(ev.predictions):  # newest epoch on top, its samples in order
            table.insertRow(0)
            cells = (str(ev.epoch + 1), truth, pred)
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col == 2 and not text:
                    item.setText("(empty)")  # an untrained model often emits only blanks
                    item.setForeground(QBrush(QColor(140, 140, 140)))
                if truth == pred:
                    item.setBackground(QBrush(OK_BRUSH))
                    item.setForeground(QBrush(OK_TEXT))
                table.setItem(0, col, item)
        while table.rowCount() > MAX_PREDICTION_ROWS:
            table.removeRow(table.rowCount() - 1)
        table.setUpdatesEnabled(True)
        parts = [f"Epoch {ev.epoch + 1}/{ev.epochs}: train loss {ev.train_loss:.3f}"]
        if ev.val_loss is not None:
            parts.append(f"val loss {ev.val_loss:.3f}")
        if ev.val_cer is not None:
            parts.append(f"val CER {100 * ev.val_cer:.1f}%" + (" (best so far)" if ev.improved else ""))
        self._say(", ".join(parts))

    def _on_checkpoint(self, ev: CheckpointSaved) -> None:
        log.debug("checkpoint saved: %s (%s)", ev.path, ev.reason)

    def _on_finished(self, ev: TrainingFinished) -> None:
        self._set_running(False)
        self.resume_check.setChecked(False)
        self.last_model_path, self._last_is_checkpoint = ev.model_path, False
        best = f", best val CER {100 * ev.best_cer:.1f}%" if ev.best_cer is not None else ""
        how = "stopped early (no improvement)" if ev.reason == "early_stopping" else "finished"
        self.progress.setFormat(f"{how} · {ev.epochs_done} epoch(s)")
        self.eta_label.setText(f"took {_duration(ev.seconds)}")
        self._say(
            f"Training {how} after {ev.epochs_done} epoch(s) in {_duration(ev.seconds)}{best}: {ev.model_path}"
        )
        self._update_result_buttons()
        self.training_finished.emit(ev)

    def _on_cancelled(self, ev: TrainingFinished) -> None:
        self._set_running(False)
        ckpt = ev.checkpoint_path if ev.checkpoint_path is not None and ev.checkpoint_path.exists() else None
        self.last_model_path, self._last_is_checkpoint = ckpt, ckpt is not None
        self.progress.setFormat(f"stopped in epoch {ev.epochs_done + 1}")
        self.eta_label.clear()
        if ckpt is not None:
            self.resume_check.setChecked(True)  # Start now continues this run
            self._say(
                f"Stopped in epoch {ev.epochs_done + 1}; checkpoint saved to {ckpt}. Start resumes the run."
            )
        else:
            self._say("Stopped before training began.")
        self._update_result_buttons()
        self.training_finished.emit(ev)

    def _on_failed(self, message: str) -> None:
        self._set_running(False)
        self._show_error(f"Training failed: {message}")

    def _on_done(self) -> None:
        self._set_running(self.is_training())

    # ================================================================== results

    def _update_result_buttons(self) -> None:
        have = self.last_model_path is not None and not self.is_training()
        busy = self._exporter.is_running()
        for b in (self.save_button, self.use_button, self.onnx_button):
            b.setEnabled(have and not busy)
        if self.last_model_path is None:
            self.result_label.setText("")
        else:
            kind = "checkpoint" if self._last_is_checkpoint else "model"
            self.result_label.setText(f"Result ({kind}): {self.last_model_path}")
            self.result_label.setToolTip(str(self.last_model_path))

    def _result_bundle(self) -> ModelBundle:
        """The run's result as a model bundle (a checkpoint loses its optimizer state)."""
        from hwr_core.modelfile import load_model

        if self.last_model_path is None:
            raise HwrError("no trained model yet: run training first")
        bundle = load_model(self.last_model_path)
        bundle.metadata.pop("checkpoint", None)
        return bundle

    def save_model_to(self, path: str | Path) -> Path:
        """Write the run's model to `path` (.safetensors added if missing); raises HwrError."""
        from hwr_core.modelfile import save_model

        target = Path(path)
        if target.suffix.lower() != ".safetensors":
            target = target.with_name(target.name + ".safetensors")
        if self.last_model_path is None:
            raise HwrError("no trained model yet: run training first")
        if self._last_is_checkpoint:
            save_model(self._result_bundle(), target)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self.last_model_path, target)
        self._say(f"Model saved to {target}")
        return target

    def _save_model_dialog(self) -> None:
        if self.last_model_path is None:
            return
        start = str(self.last_model_path.parent / "model.safetensors")
        path, _ = QFileDialog.getSaveFileName(self, "Save model as", start, "HWR model (*.safetensors)")
        if path:
            self.save_model_to(path)

    def use_as_active_model(self) -> None:
        if self.last_model_path is None:
            raise HwrError("no trained model yet: run training first")
        path = self.last_model_path
        if self._last_is_checkpoint:
            # A plain model file next to the checkpoint: stable even if the run is resumed later.
            path = self.save_model_to(path.parent / "stopped.safetensors")
        bundle = self._active.load(path)
        self._say(f"Active model: {bundle.name} ({path})")

    def export_onnx_to(self, path: str | Path) -> bool:
        """Export in a worker thread; the status line reports the result. False if busy."""
        if self._exporter.is_running():
            return False
        source, target = self.last_model_path, Path(path)
        if source is None:
            raise HwrError("no trained model yet: run training first")
        if target.suffix.lower() != ".onnx":
            target = target.with_name(target.name + ".onnx")

        def work() -> str:
            from hwr_core.modelfile import export_onnx, load_model

            export_onnx(load_model(source), target)
            return f"ONNX model exported to {target}"

        self._exporter.start(work)
        self._update_result_buttons()
        self._say(f"Exporting {target}…")
        return True

    def _export_onnx_dialog(self) -> None:
        if self.last_model_path is None:
            return
        start = str(self.last_model_path.parent / "model.onnx")
        path, _ = QFileDialog.getSaveFileName(self, "Export ONNX", start, "ONNX model (*.onnx)")
        if path:
            self.export_onnx_to(path)

    # ================================================================== messages

    def _guard(self, fn: Callable[[], Any]) -> None:
        """Run a UI action; its errors become a message, never an exception inside Qt."""
        try:
            fn()
        except HwrError as e:
            self._show_error(one_line(e))
        except Exception as e:
            log.exception("train tab action failed")
            self._show_error(one_line(e))

    def _say(self, message: str) -> None:
        self.status_label.setText(message)
        self.status_message.emit(message)

    def _show_error(self, message: str) -> None:
        log.info("%s", message)
        self.error_label.setText(message)
        self.error_label.show()
        self.status_message.emit(message)

    def _clear_error(self) -> None:
        self.error_label.clear()
        self.error_label.hide()
