"""The Recognize tab's side panel: how its input is preprocessed and decoded, and which model reads it.

The choices are kept in the settings. `changed` asks for a read at once (a switch, a menu, a word
list chosen); `typed` for one once the typing pauses (the allowed characters). `apply` turns the
active recognizer into one with these options; the Batch tab reads with the same.
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QSettings, QSignalBlocker, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.settings_values import setting_bool, setting_int
from app.widgets.word_list_combo import WordListCombo
from hwr_core.allowed_chars import parse_allowed
from hwr_core.config import BUILTIN_LM, LANGUAGES, NO_LM
from hwr_core.modelfile import ModelBundle
from hwr_core.recognizer import Recognizer

KEY_BINARIZE = "recognize/binarize"
KEY_DESKEW = "recognize/deskew"
KEY_DECODER = "recognize/decoder"
KEY_BEAM_WIDTH = "recognize/beam_width"
KEY_CHAR_MODEL = "recognize/char_model"  # bool: fuse a character language model into beam search
KEY_ALLOWED = "recognize/allowed"  # the characters a reading may use ("": any)
KEY_LANGUAGE = "recognize/language"  # a key of hwr_core.config.LANGUAGES ("": English + Vietnamese)

BINARIZE_METHODS = ("otsu", "adaptive", "none")
DECODERS = ("greedy", "beam")
#: The "Only" menu's choices (editable: any characters may be typed): a form's field types.
ALLOWED_PRESETS = ("", "0123456789", "0123456789/.-", "ABCDEFGHIJKLMNOPQRSTUVWXYZ -'")
MAX_BEAM_WIDTH = 64


class ReadingOptions(QWidget):
    """Preprocessing and decoding choices, the model's name and engine, and whether a read is running."""

    changed = Signal()  # read again now
    typed = Signal()  # read again once the typing pauses
    status_message = Signal(str)

    def __init__(self, settings: QSettings, model_beam_width: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._settings = settings

        pre = QGroupBox("Preprocessing")
        form = QFormLayout(pre)
        self.binarize_combo = QComboBox()
        self.binarize_combo.addItems(list(BINARIZE_METHODS))
        self.binarize_combo.setToolTip(
            "otsu: global threshold · adaptive: local (uneven light) · none: keep gray"
        )
        method = str(settings.value(KEY_BINARIZE, "otsu"))
        self.binarize_combo.setCurrentText(method if method in BINARIZE_METHODS else "otsu")
        self.binarize_combo.currentTextChanged.connect(self._on_option_changed)
        form.addRow("Binarize", self.binarize_combo)
        self.deskew_check = QCheckBox("Deskew && deslant")
        self.deskew_check.setToolTip("Straighten the baseline (skew) and upright the letters (slant)")
        self.deskew_check.setChecked(setting_bool(settings, KEY_DESKEW, True))
        self.deskew_check.toggled.connect(self._on_option_changed)
        form.addRow(self.deskew_check)
        self.height_spin = QSpinBox()
        self.height_spin.setRange(0, 1024)
        self.height_spin.setSpecialValueText("—")
        self.height_spin.setSuffix(" px")
        self.height_spin.setEnabled(False)
        self.height_spin.setToolTip("Input height is fixed by the model")
        form.addRow("Target height", self.height_spin)

        dec = QGroupBox("Decoding")
        dform = QFormLayout(dec)
        self.language_combo = QComboBox()
        for code, name in LANGUAGES.items():
            self.language_combo.addItem(name, code)
        self.language_combo.setToolTip(
            "The writing's language. English: no Vietnamese letter is read (ị → i) and only English words "
            "of the built-in word list are preferred. Vietnamese: only its Vietnamese words."
        )
        language = self.language_combo.findData(str(settings.value(KEY_LANGUAGE, "")))
        self.language_combo.setCurrentIndex(max(0, language))  # an unknown value: both
        self.language_combo.currentIndexChanged.connect(self._on_option_changed)
        dform.addRow("Language", self.language_combo)
        self.decoder_combo = QComboBox()
        self.decoder_combo.addItems(list(DECODERS))
        self.decoder_combo.setToolTip(
            "greedy: best class per timestep · beam: prefix beam search with n-best"
        )
        decoder = str(settings.value(KEY_DECODER, "beam"))
        self.decoder_combo.setCurrentText(decoder if decoder in DECODERS else "beam")
        self.decoder_combo.currentTextChanged.connect(self._on_option_changed)
        dform.addRow("Decoder", self.decoder_combo)
        self.beam_spin = QSpinBox()
        self.beam_spin.setRange(1, MAX_BEAM_WIDTH)
        # The model's own width (the shipped decoding) until the user picks one
        self.beam_spin.setValue(setting_int(settings, KEY_BEAM_WIDTH, model_beam_width, 1, MAX_BEAM_WIDTH))
        self.beam_spin.valueChanged.connect(self._on_beam_width_changed)
        dform.addRow("Beam width", self.beam_spin)
        self.wordlist_combo = WordListCombo(settings, lambda: self.decoder_combo.currentText() == "beam")
        self.wordlist_combo.chosen.connect(self.changed)
        self.wordlist_combo.message.connect(self.status_message)
        dform.addRow("Word list", self.wordlist_combo)
        self.charlm_check = QCheckBox("Character language model")
        self.charlm_check.setToolTip(
            "Beam search also asks which letters usually follow the ones before (a character model of "
            "English and Vietnamese text): fewer misspelt readings where the ink is unclear"
        )
        self.charlm_check.setChecked(setting_bool(settings, KEY_CHAR_MODEL, True))
        self.charlm_check.toggled.connect(self._on_option_changed)
        dform.addRow(self.charlm_check)
        self.allowed_combo = QComboBox()
        self.allowed_combo.setEditable(True)
        self.allowed_combo.addItems(list(ALLOWED_PRESETS))
        self.allowed_combo.lineEdit().setPlaceholderText("any character")
        self.allowed_combo.setToolTip(
            "Read only these characters (a form's field: digits, a date, capitals). A letter that is "
            "not allowed counts as its other case or its base letter (é → e → E). Empty: any."
        )
        self.allowed_combo.setCurrentText(str(settings.value(KEY_ALLOWED, "")))
        self.allowed_combo.currentTextChanged.connect(self._on_allowed_changed)
        dform.addRow("Only", self.allowed_combo)

        self.busy_label = QLabel()
        self.busy_label.setStyleSheet("color: #666;")
        self.model_label = QLabel()
        self.model_label.setWordWrap(True)
        self.model_label.setStyleSheet("color: #666;")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(pre)
        layout.addWidget(dec)
        layout.addWidget(self.model_label)
        layout.addWidget(self.busy_label)
        layout.addStretch(1)
        self.setFixedWidth(270)
        self._update_beam_enabled()

    def apply(self, base: Recognizer) -> Recognizer:
        """`base` (the active recognizer) with these options; shares its network, so it is cheap.
        Raises HwrError where the allowed characters are not the model's."""
        deskew = self.deskew_check.isChecked()
        pre = dataclasses.replace(
            base.preprocess_cfg, binarize=self.binarize_combo.currentText(), deskew=deskew, slant=deskew
        )
        dec = dataclasses.replace(
            base.decode_cfg,
            decoder=self.decoder_combo.currentText(),
            beam_width=self.beam_spin.value(),
            allowed=parse_allowed(self.allowed_combo.currentText(), base.codec),
            language=self.language_combo.currentData(),
        ).with_word_list(self.wordlist_combo.choice())
        # The model's own character model (or the built-in one), or none; looked up in the worker.
        if self.charlm_check.isChecked():
            dec = dec.with_char_model(dec.lm if dec.lm not in ("", NO_LM) else BUILTIN_LM)
        else:
            dec = dataclasses.replace(dec, lm=NO_LM)
        rec = base.with_options(dec, pre)  # the built-in list is looked up in the worker, on first use
        if (lexicon := self.wordlist_combo.file_lexicon()) is not None:
            rec.lexicon = lexicon
        return rec

    def show_model(self, bundle: ModelBundle | None, engine: str) -> None:
        """Name the model and the engine that reads with it; its input height."""
        if bundle is None:
            self.height_spin.setValue(0)
            self.model_label.setText("No model loaded.")
            return
        self.height_spin.setValue(bundle.preprocess.height)
        self.model_label.setText(f"Model: {bundle.name} ({bundle.model.config.variant}), read with {engine}")

    def follow_model_beam_width(self, width: int) -> None:
        """A newly opened model's beam width, unless the user chose one (no read is asked for)."""
        if not self._settings.contains(KEY_BEAM_WIDTH):
            with QSignalBlocker(self.beam_spin):
                self.beam_spin.setValue(width)

    def set_busy(self, busy: bool) -> None:
        self.busy_label.setText("Recognizing…" if busy else "")

    def _on_option_changed(self, *_: object) -> None:
        self._settings.setValue(KEY_BINARIZE, self.binarize_combo.currentText())
        self._settings.setValue(KEY_DESKEW, self.deskew_check.isChecked())
        self._settings.setValue(KEY_DECODER, self.decoder_combo.currentText())
        self._settings.setValue(KEY_CHAR_MODEL, self.charlm_check.isChecked())
        self._settings.setValue(KEY_LANGUAGE, self.language_combo.currentData())
        self._update_beam_enabled()
        self.changed.emit()

    def _on_beam_width_changed(self, width: int) -> None:
        self._settings.setValue(KEY_BEAM_WIDTH, width)
        self._on_option_changed()

    def _on_allowed_changed(self, text: str) -> None:
        self._settings.setValue(KEY_ALLOWED, text)
        self.typed.emit()

    def _update_beam_enabled(self) -> None:
        beam = self.decoder_combo.currentText() == "beam"
        self.beam_spin.setEnabled(beam)
        self.wordlist_combo.setEnabled(beam)  # greedy decoding reads no word list
        self.charlm_check.setEnabled(beam)
