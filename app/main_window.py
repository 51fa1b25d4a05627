"""Main window: tabs (Recognize, Batch, Teach, Train, Model), menus and shortcuts, status bar, remembered settings."""

from __future__ import annotations

import logging
from pathlib import Path

import platformdirs
from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QTabWidget

import hwr_core
from hwr_core import APP_NAME
from hwr_core.engine_cache import EngineCache
from hwr_core.errors import HwrError
from hwr_core.modelfile import ModelBundle
from hwr_core.resources import default_model_path

from .active_model import ActiveModel
from .widgets.batch_tab import BatchTab
from .widgets.model_tab import ModelTab
from .widgets.recognize_tab import RecognizeTab
from .widgets.teach_tab import TeachTab
from .widgets.train_tab import TrainTab

log = logging.getLogger(__name__)

TABS = ("recognize", "batch", "teach", "train", "model")


def load_startup_model(
    settings: QSettings, explicit: str | None = None
) -> tuple[ModelBundle | None, str | None]:
    """The model to open with: --model, else the last active one, else the default ($HWR_MODEL or shipped).

    Returns (bundle, problem): a broken remembered model falls back to the default with a message.
    """
    from hwr_core.modelfile import load_model

    candidates = [explicit] if explicit else [settings.value("model/active"), str(default_model_path())]
    problems = []
    for path in candidates:
        if not path:
            continue
        try:
            return load_model(Path(str(path))), ("; ".join(problems) or None)
        except HwrError as e:
            problems.append(str(e))
            if explicit:
                break
    return None, "; ".join(problems) or "no model found"


def batch_session_file(settings: QSettings) -> Path:
    """Where the Batch tab keeps its list: beside the settings file (so a test's or `--settings`'s
    session is its own), else in the user's data folder."""
    name = settings.fileName()
    if name and Path(name).is_absolute():
        return Path(name).with_name("batch-session.json")
    return Path(platformdirs.user_data_dir(APP_NAME)) / "batch-session.json"


class MainWindow(QMainWindow):
    def __init__(
        self, settings: QSettings, bundle: ModelBundle | None = None, confirm_quit: bool = True
    ) -> None:
        super().__init__()
        self.settings = settings
        self.confirm_quit = confirm_quit  # tests and --screenshot close without asking
        self.setWindowTitle("HWR Studio")
        self.active_model = ActiveModel(bundle, self, engine_cache=EngineCache.default())
        self.recognize_tab = RecognizeTab(self.active_model, settings, self)
        self.teach_tab = TeachTab(self.active_model, settings, self)
        self.batch_tab = BatchTab(
            self.recognize_tab.make_recognizer,
            settings,
            self,
            keep_samples=self.teach_tab.keep_images,
            session_file=batch_session_file(settings),
            upright=self.recognize_tab.upright_action.isChecked,
        )
        self.train_tab = TrainTab(self.active_model, settings, self)
        self.model_tab = ModelTab(self.active_model, settings, self)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.recognize_tab, "Recognize")
        self.tabs.addTab(self.batch_tab, "Batch")
        self.tabs.addTab(self.teach_tab, "Teach")
        self.tabs.addTab(self.train_tab, "Train")
        self.tabs.addTab(self.model_tab, "Model")
        self.setCentralWidget(self.tabs)
        self._model_label = QLabel()
        self.statusBar().addPermanentWidget(self._model_label)
        for tab in (self.recognize_tab, self.batch_tab, self.teach_tab, self.train_tab, self.model_tab):
            tab.status_message.connect(self.show_status)
        self.recognize_tab.teach_requested.connect(self.teach_tab.keep_sample)
        self.recognize_tab.teach_image_requested.connect(self.teach_tab.keep_images)
        self.recognize_tab.batch_requested.connect(self.read_many)
        self.batch_tab.open_requested.connect(self.open_image)
        self.active_model.changed.connect(self._on_model_changed)
        self._build_menus()
        self._restore_settings()
        self._on_model_changed(bundle)
        self.batch_tab.restore_session()

    # ------------------------------------------------------------------ menus

    def _action(self, text: str, slot, shortcut: QKeySequence | str | None = None, tip: str = "") -> QAction:  # type: ignore[no-untyped-def]
        act = QAction(text, self)
        if shortcut is not None:
            act.setShortcut(QKeySequence(shortcut))
        act.setStatusTip(tip)
        act.triggered.connect(slot)
        return act

    def _build_menus(self) -> None:
        rt = self.recognize_tab
        mb = self.menuBar()
        file_menu = mb.addMenu("&File")
        file_menu.addAction(
            self._action(
                "&Open image…",
                rt.open_image_dialog,
                QKeySequence.StandardKey.Open,
                "Open a handwriting image",
            )
        )
        file_menu.addAction(
            self._action(
                "&Paste image",
                rt.paste_from_clipboard,
                QKeySequence.StandardKey.Paste,
                "Recognise the image on the clipboard",
            )
        )
        file_menu.addAction(
            self._action(
                "Read &many images…",
                self._read_many_dialog,
                "Ctrl+Shift+O",
                "Read several images or a folder in the Batch tab, correct and export their texts",
            )
        )
        self.recent_menu = file_menu.addMenu("Open &recent")
        self.recent_menu.setToolTipsVisible(True)
        rt.recent.changed.connect(self._fill_recent)
        self._fill_recent()
        file_menu.addAction(
            self._action(
                "&Save reading…",
                rt.save_text_dialog,
                QKeySequence.StandardKey.Save,
                "Save the transcription as text, or with where its lines and words lie in the image as "
                "PAGE XML, ALTO XML, hOCR or a searchable PDF of the image",
            )
        )
        file_menu.addSeparator()
        file_menu.addAction(
            self._action("Open &model…", self.model_tab.open_model_dialog, "Ctrl+M", "Load a model file")
        )
        file_menu.addSeparator()
        file_menu.addAction(
            self._action("&Quit", self.close, "Ctrl+Q")
        )  # StandardKey.Quit is empty on some Linux desktops

        edit_menu = mb.addMenu("&Edit")
        edit_menu.addAction(self._action("&Undo stroke", rt.canvas.undo, QKeySequence.StandardKey.Undo))
        edit_menu.addAction(self._action("&Redo stroke", rt.canvas.redo, QKeySequence.StandardKey.Redo))
        edit_menu.addAction(self._action("&Clear canvas", rt.canvas.clear, "Ctrl+Backspace"))
        edit_menu.addAction(
            self._action("&Copy text", rt.result_view.copy_text, "Ctrl+Shift+C", "Copy the transcription")
        )

        rec_menu = mb.addMenu("&Recognize")
        rec_menu.addAction(self._action("Recognize &now", rt.recognize_now, "Ctrl+R"))
        rec_menu.addAction(
            self._action(
                "&Correct and teach…",
                rt.teach_dialog,
                "Ctrl+T",
                "Keep the drawing or the image's lines, with what was written, as samples to personalise "
                "the model on",
            )
        )

        view_menu = mb.addMenu("&View")
        for i, name in enumerate(("&Recognize", "&Batch", "T&each", "&Train", "&Model")):
            view_menu.addAction(
                self._action(
                    f"{name} tab", lambda _=False, i=i: self.tabs.setCurrentIndex(i), f"Ctrl+{i + 1}"
                )
            )

        help_menu = mb.addMenu("&Help")
        help_menu.addAction(self._action("&About HWR Studio", self.show_about))

    def _fill_recent(self) -> None:
        self.recognize_tab.recent.fill_menu(self.recent_menu, self.open_image)

    # ------------------------------------------------------------------ actions

    def open_image(self, path: str, rotate: int = 0) -> bool:
        """Show an image file on the Recognize tab, turned clockwise by `rotate` degrees."""
        self.tabs.setCurrentWidget(self.recognize_tab)
        loaded = self.recognize_tab.load_image_file(path)
        if loaded and rotate:
            self.recognize_tab.rotate_image(rotate)
        return loaded

    def read_many(self, paths: list[str]) -> int:
        """Read files and folders' images in the Batch tab."""
        self.tabs.setCurrentWidget(self.batch_tab)
        return self.batch_tab.add_paths(paths)

    def _read_many_dialog(self) -> None:
        self.tabs.setCurrentWidget(self.batch_tab)
        self.batch_tab.add_files_dialog()

    def show_status(self, message: str) -> None:
        self.statusBar().showMessage(message, 10000)

    def about_text(self) -> str:
        bundle = self.active_model.bundle
        model = f"{bundle.name} ({bundle.model.config.variant})" if bundle else "none"
        return (
            f"<h3>HWR Studio {hwr_core.__version__}</h3>"
            "<p>Reads handwriting in English and Vietnamese with a CRNN + CTC model, shows the evidence "
            "(preprocessing stages, per-timestep probabilities) and trains or fine-tunes the model on your data.</p>"
            f"<p>Active model: {model}</p>"
        )

    def show_about(self) -> None:
        QMessageBox.about(self, "About HWR Studio", self.about_text())

    def _on_model_changed(self, bundle: ModelBundle | None) -> None:
        if bundle is None:
            self._model_label.setText("No model: open one from the Model tab")
        else:
            self._model_label.setText(f"Model: {bundle.name} ({bundle.model.config.variant})")
            if bundle.path:
                self.settings.setValue("model/active", str(bundle.path))

    # ------------------------------------------------------------------ settings / lifecycle

    def _restore_settings(self) -> None:
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray | bytes) and geometry:
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 900)
        tab = self.settings.value("window/tab", 0)
        try:
            self.tabs.setCurrentIndex(int(tab))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            pass

    def select_tab(self, name: str) -> None:
        self.tabs.setCurrentIndex(TABS.index(name))

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        if self.batch_tab.has_unsaved_corrections() and self.confirm_quit:
            answer = QMessageBox.question(
                self,
                "Corrections not exported",
                f"The Batch tab's {self.batch_tab.corrected_count()} corrected texts could not be saved "
                "for the next session, and have not been exported. Quit anyway?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            )
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
        if self.train_tab.is_training() or self.teach_tab.is_running():
            if self.confirm_quit:
                answer = QMessageBox.question(
                    self,
                    "Training is running",
                    "Stop training and quit? A checkpoint is saved so the run can be resumed.",
                    QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                )
                if answer != QMessageBox.StandardButton.Yes:
                    event.ignore()
                    return
            self.show_status("Stopping training and saving a checkpoint…")
            if self.train_tab.is_training() and not self.train_tab.stop_and_wait(30000):
                log.warning("training did not stop within 30 s")
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/tab", self.tabs.currentIndex())
        self.teach_tab.shutdown()
        self.batch_tab.shutdown()
        self.recognize_tab.shutdown()
        self.settings.sync()
        event.accept()
