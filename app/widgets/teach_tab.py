"""Teach tab: collect the user's handwriting on prompts, manage the samples, personalise the model.

Collecting: a prompt (built-in English/Vietnamese list, or the user's own text) is written on the
canvas and accepted into a `UserSampleStore` folder. The gallery shows the samples (held-out ones
in italics) with edit/delete/filter and zip export/import; the Recognize tab adds drawings and
the lines of loaded images to it ("Correct & teach…"). Personalising fine-tunes the active
model on them in the training worker, with live plots; then the base and the new model are scored
on the held-out samples off the UI thread, and the new model can be made active or discarded.
"""

from __future__ import annotations

import dataclasses
import logging
import random
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QSettings, QSize, Qt, Signal
from PySide6.QtGui import QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from hwr_core.data.prompts import PromptDeck
from hwr_core.errors import HwrError
from hwr_core.modelfile import save_model
from hwr_core.personalize import (
    PersonalizeConfig,
    PersonalizePlan,
    PersonalizeResult,
    final_weights,
    finish,
    make_plan,
    synth_replay_spec,
)
from hwr_core.training import BatchEnd, EpochEnd, TrainingFinished
from hwr_core.userdata import Sample, UserSampleStore, default_models_dir, default_user_data_dir

from ..active_model import ActiveModel
from ..settings_values import setting_int
from ..workers.training import FunctionRunner, TrainingController, TrainingRequest
from .canvas import HandwritingCanvas, saved_pen_width
from .metric_plots import MetricPlots

log = logging.getLogger(__name__)

KEY_FOLDER = "teach/folder"
KEY_MODELS_DIR = "teach/models_dir"
KEY_REPLAY_FONTS = "teach/replay_fonts"
KEY_LANGS = "teach/langs"
KEY_EPOCHS = "teach/epochs"
KEY_FREEZE = "teach/freeze_epochs"

THUMB = QSize(150, 54)
THUMB_MIN_HEIGHT = 30  # a sample's thumbnail is at least this tall, a long line's end cut off
GRID = QSize(THUMB.width() + 16, THUMB.height() + 42)  # room for a line of label under the thumbnail
_LANG_CHOICES = (("English + Vietnamese", ("en", "vi")), ("English", ("en",)), ("Vietnamese", ("vi",)))


def _pct(x: float) -> str:
    return f"{100.0 * x:.1f}%"


def _points(x: float) -> str:
    return f"{100.0 * x:+.1f}"


class TeachTab(QWidget):
    """Collect samples of the user's handwriting and personalise the active model on them.

    Signals: `personalise_finished(before_cer, after_cer, model_path)` once a run is scored and
    saved; `status_message(str)` one line for the status bar.
    """

    personalise_finished = Signal(float, float, str)
    status_message = Signal(str)

    def __init__(self, active_model: ActiveModel, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._active = active_model
        self._settings = settings
        self.store = self._open_store(Path(str(settings.value(KEY_FOLDER, str(default_user_data_dir())))))
        self._prompt = ""
        self._deck = self._new_deck(self._langs_from_settings())
        self.controller = TrainingController(self)
        self._scorer = FunctionRunner(self)
        self._plan: PersonalizePlan | None = None
        self._run_dir: Path | None = None
        self._busy = False  # from Start until the run is scored, stopped or failed
        self.last_result: PersonalizeResult | None = None
        self._icons: dict[str, QIcon] = {}  # thumbnails by sample id: a refresh does not reload every PNG

        self.canvas = HandwritingCanvas(pen_width=saved_pen_width(settings))
        self.canvas.setMinimumSize(480, 170)
        self.plots = MetricPlots()

        collect = self._build_collect_group()
        samples = self._build_samples_group()
        personalise = self._build_personalise_group()
        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(collect)
        left.addWidget(samples)
        left.setStretchFactor(0, 1)
        left.setStretchFactor(1, 1)
        left.setSizes([430, 450])  # the canvas needs one line's height; the gallery gets the rest
        main = QSplitter(Qt.Orientation.Horizontal)
        main.addWidget(left)
        main.addWidget(personalise)
        main.setStretchFactor(0, 3)
        main.setStretchFactor(1, 2)
        main.setSizes([760, 520])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(main)

        self.controller.sig_batch.connect(self._on_batch)
        self.controller.sig_epoch.connect(self._on_epoch)
        self.controller.sig_finished.connect(self._on_trained)
        self.controller.sig_cancelled.connect(self._on_cancelled)
        self.controller.sig_failed.connect(self._on_failed)
        self._scorer.sig_result.connect(self._on_scored)
        self._scorer.sig_error.connect(self._on_failed)
        self.canvas.strokes_changed.connect(self._update_buttons)

        self._refresh_gallery()
        self.next_prompt()
        self._update_buttons()

    # ------------------------------------------------------------------ building

    def _build_collect_group(self) -> QGroupBox:
        box = QGroupBox("Write the prompt")
        v = QVBoxLayout(box)
        self.prompt_label = QLabel()
        font = QFont(self.font())
        font.setPointSizeF(max(20.0, font.pointSizeF() * 2.2))
        self.prompt_label.setFont(font)
        self.prompt_label.setWordWrap(True)
        self.prompt_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.prompt_label.setMinimumHeight(56)
        self.prompt_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        v.addWidget(self.prompt_label)

        row = QHBoxLayout()
        self.lang_combo = QComboBox()
        for name, langs in _LANG_CHOICES:
            self.lang_combo.addItem(name, list(langs))
        current = self._langs_from_settings()
        for i, (_, langs) in enumerate(_LANG_CHOICES):
            if langs == current:
                self.lang_combo.setCurrentIndex(i)
        self.lang_combo.setToolTip("Which built-in prompts to draw from")
        self.lang_combo.currentIndexChanged.connect(self._on_langs_changed)
        self.next_button = QPushButton("Next prompt")
        self.next_button.setToolTip("Skip to another prompt")
        self.next_button.clicked.connect(self.next_prompt)
        self.own_text = QLineEdit()
        self.own_text.setPlaceholderText("My own text… (Enter to use it)")
        self.own_text.setClearButtonEnabled(True)
        self.own_text.returnPressed.connect(self._use_own_text)
        row.addWidget(self.lang_combo)
        row.addWidget(self.next_button)
        row.addWidget(self.own_text, 1)
        v.addLayout(row)

        v.addWidget(self.canvas, 1)

        row = QHBoxLayout()
        self.accept_button = QPushButton("Accept")
        self.accept_button.setDefault(True)
        self.accept_button.setShortcut("Ctrl+Return")
        self.accept_button.setToolTip("Store this sample and go to the next prompt (Ctrl+Enter)")
        self.accept_button.clicked.connect(self.accept_current)
        self.redo_button = QPushButton("Redo")
        self.redo_button.setToolTip("Clear the canvas and write the prompt again")
        self.redo_button.clicked.connect(self.canvas.clear)
        self.count_label = QLabel()
        row.addWidget(self.accept_button)
        row.addWidget(self.redo_button)
        row.addStretch(1)
        row.addWidget(self.count_label)
        v.addLayout(row)
        return box

    def _build_samples_group(self) -> QGroupBox:
        box = QGroupBox("My samples")
        v = QVBoxLayout(box)
        row = QHBoxLayout()
        self.folder_edit = QLineEdit(str(self.store.folder))
        self.folder_edit.setReadOnly(True)
        self.folder_edit.setToolTip("The sample folder: images/, strokes/, scans/ and labels.tsv")
        change = QPushButton("Folder…")
        change.setToolTip("Use another sample folder")
        change.clicked.connect(self._choose_folder)
        row.addWidget(QLabel("Folder:"))
        row.addWidget(self.folder_edit, 1)
        row.addWidget(change)
        v.addLayout(row)

        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter by text…")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self._refresh_gallery)
        v.addWidget(self.filter_edit)

        self.gallery = QListWidget()
        self.gallery.setViewMode(QListWidget.ViewMode.IconMode)
        self.gallery.setIconSize(THUMB)
        self.gallery.setGridSize(GRID)
        self.gallery.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.gallery.setMovement(QListWidget.Movement.Static)
        self.gallery.setWordWrap(True)
        self.gallery.setUniformItemSizes(True)
        self.gallery.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.gallery.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.gallery.itemDoubleClicked.connect(lambda item: self._edit_dialog(item))
        self.gallery.itemSelectionChanged.connect(self._update_buttons)
        v.addWidget(self.gallery, 1)
        hint = QLabel(
            "Photos and scans of your writing teach too: open one on the Recognize tab's Image page and "
            "use Correct & teach… (Ctrl+T)."
        )
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #666;")
        v.addWidget(hint)

        row = QHBoxLayout()
        self.edit_button = QPushButton("Edit label…")
        self.edit_button.clicked.connect(lambda: self._edit_dialog(self.gallery.currentItem()))
        self.delete_button = QPushButton("Delete")
        self.delete_button.clicked.connect(self._delete_dialog)
        export = QPushButton("Export zip…")
        export.clicked.connect(self._export_dialog)
        import_ = QPushButton("Import zip…")
        import_.clicked.connect(self._import_dialog)
        for b in (self.edit_button, self.delete_button):
            row.addWidget(b)
        row.addStretch(1)
        row.addWidget(export)
        row.addWidget(import_)
        v.addLayout(row)
        return box

    def _build_personalise_group(self) -> QGroupBox:
        box = QGroupBox("Personalise the model")
        v = QVBoxLayout(box)
        intro = QLabel(
            "Fine-tunes the active model on your samples (the held-out ones, in italics, only score it). "
            "Give it a folder of handwriting fonts to replay and synthetic text from them is mixed in, "
            "so it keeps reading other hands too."
        )
        intro.setWordWrap(True)
        v.addWidget(intro)
        form = QFormLayout()
        self.epochs_spin = QSpinBox()
        self.epochs_spin.setRange(1, 200)
        self.epochs_spin.setValue(setting_int(self._settings, KEY_EPOCHS, PersonalizeConfig.epochs, 1, 200))
        self.freeze_spin = QSpinBox()
        self.freeze_spin.setRange(0, 200)
        self.freeze_spin.setValue(
            setting_int(self._settings, KEY_FREEZE, PersonalizeConfig.freeze_backbone_epochs, 0, 200)
        )
        self.freeze_spin.setToolTip("Epochs that train only the sequence and output layers first")
        form.addRow("Epochs:", self.epochs_spin)
        form.addRow("Frozen-backbone epochs:", self.freeze_spin)
        fonts_row = QHBoxLayout()
        self.replay_edit = QLineEdit(str(self._settings.value(KEY_REPLAY_FONTS, "") or ""))
        self.replay_edit.setPlaceholderText("none (fonts folder for replay, optional)")
        self.replay_edit.setToolTip(
            "A folder of handwriting fonts: synthetic text from them is mixed in (half of each epoch) "
            "so the model does not forget general handwriting"
        )
        browse = QPushButton("…")
        browse.setFixedWidth(32)
        browse.clicked.connect(self._choose_replay_fonts)
        fonts_row.addWidget(self.replay_edit, 1)
        fonts_row.addWidget(browse)
        form.addRow("Replay fonts:", fonts_row)
        v.addLayout(form)

        row = QHBoxLayout()
        self.start_button = QPushButton("Start")
        self.start_button.clicked.connect(lambda: self.start_personalise())
        self.stop_button = QPushButton("Stop")
        self.stop_button.clicked.connect(self.stop_personalise)
        self.run_label = QLabel("")
        self.run_label.setWordWrap(True)
        self.run_label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        row.addWidget(self.start_button)
        row.addWidget(self.stop_button)
        row.addWidget(self.run_label, 1)
        v.addLayout(row)

        self.plots.setMinimumHeight(260)
        v.addWidget(self.plots, 1)

        result = QGroupBox("Held-out samples")
        rv = QVBoxLayout(result)
        scores = QHBoxLayout()
        big = QFont(self.font())
        big.setPointSizeF(big.pointSizeF() * 1.4)
        big.setBold(True)
        self.before_label = QLabel("Before: CER –")
        self.after_label = QLabel("After: CER –")
        for lab in (self.before_label, self.after_label):
            lab.setFont(big)
            lab.setAlignment(Qt.AlignmentFlag.AlignCenter)
            scores.addWidget(lab, 1)
        rv.addLayout(scores)
        self.result_label = QLabel("Run a personalisation to compare.")
        self.result_label.setWordWrap(True)
        rv.addWidget(self.result_label)
        row = QHBoxLayout()
        self.use_button = QPushButton("Use personalised model")
        self.use_button.clicked.connect(self.use_personalised)
        self.discard_button = QPushButton("Discard")
        self.discard_button.clicked.connect(self.discard_personalised)
        row.addWidget(self.use_button)
        row.addWidget(self.discard_button)
        row.addStretch(1)
        rv.addLayout(row)
        v.addWidget(result)
        return box

    # ------------------------------------------------------------------ settings helpers

    def _langs_from_settings(self) -> tuple[str, ...]:
        raw = self._settings.value(KEY_LANGS, "en,vi")
        langs = tuple(x for x in str(raw).split(",") if x in ("en", "vi"))
        return langs or ("en", "vi")

    def _models_dir(self) -> Path:
        return Path(str(self._settings.value(KEY_MODELS_DIR, str(default_models_dir()))))

    def _open_store(self, folder: Path) -> UserSampleStore:
        try:
            return UserSampleStore(folder)
        except HwrError as e:
            # e.g. a remembered folder on a drive that is gone: fall back to the default one
            log.warning("%s; using %s", e, default_user_data_dir())
            return UserSampleStore(default_user_data_dir())

    def _new_deck(self, langs: tuple[str, ...]) -> PromptDeck:
        # a different order each session, but one that favours letters this user has written least
        return PromptDeck(langs, seed=random.randrange(2**31), written=[s.text for s in self.store.samples()])

    # ------------------------------------------------------------------ collecting

    @property
    def prompt(self) -> str:
        return self._prompt

    def set_prompt(self, text: str) -> None:
        """Show `text` as the prompt (and what an accepted sample will be labelled)."""
        self._prompt = " ".join(text.split())
        self.prompt_label.setText(self._prompt or "—")
        self._update_buttons()

    def next_prompt(self) -> None:
        self.set_prompt(self._deck.next())
        self.canvas.clear()

    def _use_own_text(self) -> None:
        text = self.own_text.text().strip()
        if text:
            self.set_prompt(text)
            self.own_text.clear()
            self.canvas.clear()
            self.canvas.setFocus()

    def _on_langs_changed(self) -> None:
        langs = tuple(self.lang_combo.currentData())
        self._settings.setValue(KEY_LANGS, ",".join(langs))
        self._deck = self._new_deck(langs)
        self.next_prompt()

    def accept_current(self) -> bool:
        """Store the canvas as a sample of the prompt, clear it and move on; False (and a status line) if not."""
        if self.canvas.is_empty():
            self.status_message.emit("Write the prompt on the canvas first")
            return False
        sample = self._add(self.canvas.strokes(), self._prompt, self.canvas.pen_width())
        if sample is None:
            return False
        self.status_message.emit(f"Saved “{sample.text}” ({self._count()})")
        self.next_prompt()
        return True

    def keep_sample(self, strokes: list[list[tuple[float, float]]], text: str, pen_width: float) -> bool:
        """Store a drawing made elsewhere (the Recognize tab's "Correct & teach…") as a sample of `text`."""
        sample = self._add(strokes, text, pen_width)
        if sample is None:
            return False
        self.status_message.emit(
            f"Kept “{sample.text}” for teaching ({self._count()}): Personalise in the Teach tab"
        )
        return True

    def keep_images(self, pairs: list[tuple[np.ndarray, str]], source: str) -> int:
        """Store an image's lines (the Recognize tab's "Correct & teach…" on an image) as samples of
        their texts; returns how many were new. A line already stored is skipped, and said so."""
        kept, refused = self.store.add_images((image, text, source) for image, text in pairs)
        for sample in kept:
            self._deck.note_written(sample.text)
        if kept:
            self._refresh_gallery()
        what = f"“{kept[0].text}”" if len(kept) == 1 else f"{len(kept)} lines"
        message = f"Kept {what} for teaching ({self._count()}): Personalise in the Teach tab" if kept else ""
        if refused:
            message += ("; " if message else "") + (
                refused[0] if len(refused) == 1 else f"{len(refused)} lines not kept ({refused[0]})"
            )
        self.status_message.emit(message)
        return len(kept)

    def _count(self) -> str:
        return f"{len(self.store)} sample{'' if len(self.store) == 1 else 's'}"

    def _add(self, strokes: list[list[tuple[float, float]]], text: str, pen_width: float) -> Sample | None:
        try:
            sample = self.store.add(strokes, text, pen_width)
        except HwrError as e:
            self.status_message.emit(str(e))
            return None
        self._deck.note_written(sample.text)
        self._refresh_gallery()
        return sample

    # ------------------------------------------------------------------ gallery

    def _refresh_gallery(self) -> None:
        selected = {it.data(Qt.ItemDataRole.UserRole) for it in self.gallery.selectedItems()}
        self.gallery.setUpdatesEnabled(False)
        self.gallery.clear()
        for s in self.store.filter(self.filter_edit.text()):
            item = QListWidgetItem(self._icon(s.id, s.image_path), s.text)
            item.setData(Qt.ItemDataRole.UserRole, s.id)
            held = s.split == "val"
            item.setToolTip(
                f"{s.text}\n"
                + (f"a line of {s.source}\n" if s.source else "")
                + ("held out: only scores the personalised model" if held else "used for training")
            )
            if held:
                font = item.font()
                font.setItalic(True)
                item.setFont(font)
            self.gallery.addItem(item)
            if s.id in selected:
                item.setSelected(True)
        self.gallery.setUpdatesEnabled(True)
        n_val = len(self.store.records("val"))
        self.count_label.setText(
            f"{self._count()}: {len(self.store) - n_val} to learn from, {n_val} held out"
        )
        self._update_buttons()

    def _icon(self, sample_id: str, path: Path) -> QIcon:
        icon = self._icons.get(sample_id)
        if icon is None:
            # Every thumbnail exactly THUMB in size, the image centred: list items get one height, so
            # a short wide word does not leave the labels under taller ones clipped.
            thumb = QPixmap(THUMB)
            thumb.fill(Qt.GlobalColor.transparent)
            pix = QPixmap(str(path))
            if not pix.isNull():
                # A long line (a kept line of a page) fitted whole would be a strip too thin to
                # read: it is shown at a legible height from its start instead, its end cut off.
                fit = min(THUMB.width() / pix.width(), THUMB.height() / pix.height())
                scale = max(fit, THUMB_MIN_HEIGHT / pix.height())
                size = QSize(max(1, round(pix.width() * scale)), max(1, round(pix.height() * scale)))
                pix = pix.scaled(
                    size, Qt.AspectRatioMode.IgnoreAspectRatio, Qt.TransformationMode.SmoothTransformation
                )
                painter = QPainter(thumb)
                painter.drawPixmap(
                    max(0, (THUMB.width() - pix.width()) // 2), (THUMB.height() - pix.height()) // 2, pix
                )
                painter.end()
            icon = self._icons[sample_id] = QIcon(thumb)
        return icon

    def selected_ids(self) -> list[str]:
        return [it.data(Qt.ItemDataRole.UserRole) for it in self.gallery.selectedItems()]

    def edit_label(self, sample_id: str, text: str) -> bool:
        try:
            self.store.update_label(sample_id, text)
        except HwrError as e:
            self.status_message.emit(str(e))
            return False
        self._refresh_gallery()
        return True

    def delete_samples(self, ids: list[str]) -> int:
        n = 0
        for sample_id in ids:
            try:
                self.store.delete(sample_id)
                n += 1
            except HwrError as e:
                self.status_message.emit(str(e))
        self._refresh_gallery()
        if n:
            self.status_message.emit(f"Deleted {n} sample{'s' if n != 1 else ''}")
        return n

    def set_folder(self, folder: str | Path) -> bool:
        try:
            store = UserSampleStore(folder)
        except HwrError as e:
            self.status_message.emit(str(e))
            return False
        self.store = store
        self._icons.clear()
        self._settings.setValue(KEY_FOLDER, str(store.folder))
        self.folder_edit.setText(str(store.folder))
        self._deck = self._new_deck(tuple(self.lang_combo.currentData()))
        self._refresh_gallery()
        self.status_message.emit(f"Sample folder: {store.folder} ({len(store)} samples)")
        return True

    def export_zip(self, path: str | Path) -> bool:
        try:
            out = self.store.export_zip(path)
        except (HwrError, OSError) as e:
            self.status_message.emit(f"Export failed: {e}")
            return False
        self.status_message.emit(f"Exported {len(self.store)} samples to {out}")
        return True

    def import_zip(self, path: str | Path) -> int:
        try:
            n = self.store.import_zip(path)
        except (HwrError, OSError) as e:
            self.status_message.emit(f"Import failed: {e}")
            return -1
        self._refresh_gallery()
        self.status_message.emit(f"Imported {n} new sample{'s' if n != 1 else ''} from {Path(path).name}")
        return n

    # dialogs (thin wrappers over the methods above, which tests call directly)

    def _edit_dialog(self, item: QListWidgetItem | None) -> None:
        if item is None:
            return
        sample_id = item.data(Qt.ItemDataRole.UserRole)
        text, ok = QInputDialog.getText(
            self, "Edit label", "What was written:", text=self.store.get(sample_id).text
        )
        if ok:
            self.edit_label(sample_id, text)

    def _delete_dialog(self) -> None:
        ids = self.selected_ids()
        if not ids:
            return
        answer = QMessageBox.question(
            self, "Delete samples", f"Delete {len(ids)} sample(s) from {self.store.folder}?"
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.delete_samples(ids)

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Sample folder", str(self.store.folder))
        if folder:
            self.set_folder(folder)

    def _export_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export samples", str(Path.home() / "my-handwriting.zip"), "Zip files (*.zip)"
        )
        if path:
            self.export_zip(path if path.lower().endswith(".zip") else path + ".zip")

    def _import_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import samples", str(Path.home()), "Zip files (*.zip)")
        if path:
            self.import_zip(path)

    def _choose_replay_fonts(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Fonts for replay", self.replay_edit.text() or str(Path.home())
        )
        if folder:
            self.replay_edit.setText(folder)

    # ------------------------------------------------------------------ personalising

    def is_running(self) -> bool:
        """True from Start until the result (or a stop or failure) is in; the threads may wind down after."""
        return self._busy

    def _config(self, overrides: dict[str, Any] | None) -> PersonalizeConfig:
        fonts = self.replay_edit.text().strip()
        cfg = PersonalizeConfig(
            epochs=self.epochs_spin.value(),
            freeze_backbone_epochs=self.freeze_spin.value(),
            replay_specs=(synth_replay_spec(fonts),) if fonts else (),
        )
        return dataclasses.replace(cfg, **(overrides or {}))

    def start_personalise(self, cfg_overrides: dict[str, Any] | None = None) -> bool:
        """Fine-tune the active model on the samples; False (with a status line) if it cannot start.

        `cfg_overrides`: PersonalizeConfig fields, e.g. {"epochs": 2, "replay_specs": ()}.
        """
        if self.is_running():
            self.status_message.emit("A personalisation is already running")
            return False
        bundle = self._active.bundle
        if bundle is None:
            self.status_message.emit("No model loaded: open or train a model to personalise first")
            return False
        fonts = self.replay_edit.text().strip()
        if fonts and not Path(fonts).is_dir():
            self.status_message.emit(f"Replay fonts folder not found: {fonts}")
            return False
        run_dir = Path(tempfile.mkdtemp(prefix="hwr-personalise-"))
        try:
            cfg = self._config(cfg_overrides)
            base = bundle.path
            if base is None or not Path(base).is_file():  # an unsaved model: give the trainer a file
                base = run_dir / "base.safetensors"
                save_model(dataclasses.replace(bundle, metadata=dict(bundle.metadata)), base)
            plan = make_plan(base, self.store, cfg, run_dir / "run")
        except (HwrError, OSError, TypeError) as e:
            shutil.rmtree(run_dir, ignore_errors=True)
            self.status_message.emit(str(e))
            self.run_label.setText(str(e))
            return False
        self._settings.setValue(KEY_EPOCHS, cfg.epochs)
        self._settings.setValue(KEY_FREEZE, cfg.freeze_backbone_epochs)
        self._settings.setValue(KEY_REPLAY_FONTS, fonts)
        self._plan, self._run_dir = plan, run_dir
        self._busy = True
        self.last_result = None
        self.plots.clear()
        self.before_label.setText("Before: CER –")
        self.after_label.setText("After: CER –")
        self.result_label.setText(
            f"Training on {len(plan.extra_records)} samples, scoring on {len(plan.val_records)} held out…"
        )
        try:
            self.controller.start(
                TrainingRequest(
                    data=plan.data,
                    val=plan.val,
                    cfg=plan.cfg,
                    out_dir=plan.out_dir,
                    init=plan.init,
                    extend_charset=plan.extend_charset,
                    extra_records=plan.extra_records,
                )
            )
        except RuntimeError as e:  # the previous run's thread has not ended yet
            self._cleanup_run()
            self.status_message.emit(str(e))
            return False
        self.run_label.setText("Starting…")
        self.status_message.emit("Personalising…")
        self._update_buttons()
        return True

    def stop_personalise(self) -> None:
        self.controller.stop()

    def _on_batch(self, ev: BatchEnd) -> None:
        self.plots.add_batch(ev)
        self.run_label.setText(f"epoch {ev.epoch + 1}, batch {ev.batch}/{ev.batches}, loss {ev.loss:.3f}")

    def _on_epoch(self, ev: EpochEnd) -> None:
        self.plots.add_epoch(ev)
        cer = f", held-out CER {_pct(ev.val_cer)}" if ev.val_cer is not None else ""
        frozen = (
            " (backbone frozen)" if self._plan and ev.epoch < self._plan.cfg.freeze_backbone_epochs else ""
        )
        self.run_label.setText(f"epoch {ev.epoch + 1}/{ev.epochs}{frozen}{cer}")

    def _on_trained(self, ev: TrainingFinished) -> None:
        plan = self._plan
        try:
            if plan is None:
                raise HwrError("the personalisation run is gone")
            weights = final_weights(ev)
        except HwrError as e:
            self._on_failed(str(e))
            return
        self.run_label.setText("Scoring base and personalised model…")
        models_dir = self._models_dir()
        self._scorer.start(lambda: finish(plan, weights, models_dir))
        self._update_buttons()

    def _on_scored(self, result: PersonalizeResult) -> None:
        self._cleanup_run()
        self.last_result = result
        self.before_label.setText(f"Before: CER {_pct(result.before_cer)}")
        self.after_label.setText(f"After: CER {_pct(result.after_cer)}")
        verdict = {
            "better": "better beyond chance",
            "worse": "worse beyond chance — consider discarding it",
            "no clear difference": "no difference beyond chance (more samples would tell)",
        }[result.verdict]
        self.result_label.setText(
            f"{result.val_samples} held-out samples; {verdict} (CER change "
            f"{_points(result.cer.low)} to {_points(result.cer.high)} points, 90 % interval). "
            f"Saved as {result.model_path.name}"
        )
        self.run_label.setText("Done")
        self._update_buttons()
        self.status_message.emit(
            f"Personalised: held-out CER {_pct(result.before_cer)} → {_pct(result.after_cer)}"
        )
        self.personalise_finished.emit(result.before_cer, result.after_cer, str(result.model_path))

    def _on_cancelled(self, _ev: TrainingFinished) -> None:
        self._cleanup_run()
        self.run_label.setText("Stopped")
        self.result_label.setText("Stopped; nothing was saved.")
        self.status_message.emit("Personalisation stopped")
        self._update_buttons()

    def _on_failed(self, message: str) -> None:
        self._cleanup_run()
        self.run_label.setText(f"Failed: {message}")
        self.status_message.emit(f"Personalisation failed: {message}")
        self._update_buttons()

    def _cleanup_run(self) -> None:
        self._busy = False
        if self._run_dir is not None:
            shutil.rmtree(self._run_dir, ignore_errors=True)
        self._run_dir = None
        self._plan = None

    def use_personalised(self) -> bool:
        if self.last_result is None:
            return False
        try:
            self._active.load(self.last_result.model_path)
        except HwrError as e:
            self.status_message.emit(str(e))
            return False
        self.status_message.emit(f"Active model: {self.last_result.model_path.name}")
        self.result_label.setText(f"Now using {self.last_result.model_path.name}")
        self._update_buttons()
        return True

    def discard_personalised(self) -> None:
        result = self.last_result
        if result is None:
            return
        active = self._active.bundle
        if active is not None and active.path is not None and Path(active.path) == result.model_path:
            self.status_message.emit(
                "The personalised model is in use; load another model before discarding it"
            )
            return
        result.model_path.unlink(missing_ok=True)
        self.last_result = None
        self.result_label.setText(f"Discarded {result.model_path.name}")
        self._update_buttons()

    def shutdown(self, timeout_ms: int = 30_000) -> None:
        """Stop a run and wait for its threads (call when the window closes)."""
        self.controller.shutdown(timeout_ms)
        self._scorer.wait(timeout_ms)
        self._cleanup_run()

    # ------------------------------------------------------------------ state

    def _update_buttons(self) -> None:
        running = self.is_running()
        self.accept_button.setEnabled(not self.canvas.is_empty() and bool(self._prompt))
        self.redo_button.setEnabled(not self.canvas.is_empty())
        has_sel = bool(self.gallery.selectedItems())
        self.edit_button.setEnabled(len(self.gallery.selectedItems()) == 1)
        self.delete_button.setEnabled(has_sel)
        self.start_button.setEnabled(not running)
        self.stop_button.setEnabled(self.controller.is_running())
        self.use_button.setEnabled(self.last_result is not None and not running)
        self.discard_button.setEnabled(self.last_result is not None and not running)
