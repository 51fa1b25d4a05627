"""The Recognize tab's word-list menu: the built-in list, none, a loaded file, and "Open word list…".

The choice is remembered between runs; a remembered file that has gone (or no longer reads) falls
back to the built-in list with one status message. A file's words are read once, when chosen.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSettings, QSignalBlocker, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QComboBox, QFileDialog, QWidget

from hwr_core.config import BUILTIN_LEXICON, NO_LEXICON
from hwr_core.decoding import Lexicon
from hwr_core.errors import HwrError

KEY_WORD_LIST = "recognize/word_list"  # "builtin", "none" or a file's path
KEY_LAST_WORDLIST_DIR = "paths/last_wordlist_dir"
_OPEN_WORD_LIST = "open…"  # the menu's last entry: pick a file


class WordListCombo(QComboBox):
    """Which word list beam search prefers: `choice()` is BUILTIN_LEXICON, NO_LEXICON or a file's
    path, whose words are `file_lexicon()`."""

    chosen = Signal()  # the list in use changed (or a file was read again)
    message = Signal(str)  # for the status bar: what was loaded, or why it could not be

    def __init__(
        self, settings: QSettings, beam_in_use: Callable[[], bool], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._settings = settings
        self._beam_in_use = beam_in_use  # a loaded list is used by beam search only: said when not
        self._choice = BUILTIN_LEXICON
        self._file_lexicon: Lexicon | None = None
        self.setToolTip(
            "Beam search prefers words of this list: the built-in one has common English words and every "
            "Vietnamese syllable (those of the chosen language); or load your own (one word per line, UTF-8)"
        )
        self.activated.connect(self._on_activated)
        self._restore()

    def choice(self) -> str:
        return self._choice

    def file_lexicon(self) -> Lexicon | None:
        return self._file_lexicon

    def open_dialog(self) -> bool:
        start = str(self._settings.value(KEY_LAST_WORDLIST_DIR, "") or "")
        path, _ = QFileDialog.getOpenFileName(
            self, "Open word list", start, "Word lists (*.txt *.lst *.dic);;All files (*)"
        )
        if not path:
            return False
        self._settings.setValue(KEY_LAST_WORDLIST_DIR, str(Path(path).parent))
        return self.load(path)

    def load(self, path: str | os.PathLike[str]) -> bool:
        try:
            lexicon = Lexicon.from_file(path)
        except HwrError as exc:
            self.message.emit(str(exc))
            return False
        self._choose(os.fspath(path), lexicon)
        hint = "" if self._beam_in_use() else "; it is used by beam search only"
        self.message.emit(f"Word list {Path(path).name}: {len(lexicon)} words{hint}")
        return True

    def use_builtin(self) -> None:
        self._choose(BUILTIN_LEXICON, None)

    def use_none(self) -> None:
        self._choose(NO_LEXICON, None)

    def _choose(self, name: str, lexicon: Lexicon | None) -> None:
        changed = name != self._choice or lexicon is not None
        self._choice = name
        self._file_lexicon = lexicon
        self._settings.setValue(KEY_WORD_LIST, name)
        self._show()
        if changed:
            self.chosen.emit()

    def _show(self) -> None:
        """Rebuild the menu: built-in, none, the loaded file (if any), and "Open…"."""
        with QSignalBlocker(self):
            self.clear()
            self.addItem("built-in", BUILTIN_LEXICON)
            self.addItem("none", NO_LEXICON)
            if self._choice not in (BUILTIN_LEXICON, NO_LEXICON):
                n = len(self._file_lexicon) if self._file_lexicon is not None else 0
                self.addItem(f"{Path(self._choice).name} ({n} words)", self._choice)
                self.setItemData(2, self._choice, Qt.ItemDataRole.ToolTipRole)
            self.addItem("Open word list…", _OPEN_WORD_LIST)
            self.setCurrentIndex(self.findData(self._choice))

    @Slot(int)
    def _on_activated(self, index: int) -> None:
        choice = self.itemData(index)
        if choice == _OPEN_WORD_LIST:
            if not self.open_dialog():
                self._show()  # cancelled or unreadable: back to the list in use
        elif choice in (BUILTIN_LEXICON, NO_LEXICON):
            self._choose(choice, None)

    def _restore(self) -> None:
        saved = str(self._settings.value(KEY_WORD_LIST, BUILTIN_LEXICON) or BUILTIN_LEXICON)
        if saved in (BUILTIN_LEXICON, NO_LEXICON):
            self._choice = saved
        else:
            try:
                self._file_lexicon = Lexicon.from_file(saved)
                self._choice = saved
            except HwrError as exc:
                # Said once the window is up (nothing listens to the status yet), and only once.
                self._settings.setValue(KEY_WORD_LIST, BUILTIN_LEXICON)
                message = f"{exc}; using the built-in word list"
                QTimer.singleShot(0, self, lambda: self.message.emit(message))
        self._show()
