"""The recently opened images: kept in the settings, shown in the Recognize tab's and the File menu's lists."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtWidgets import QMenu

KEY_RECENT_IMAGES = "paths/recent_images"
MAX_RECENT = 10


class RecentFiles(QObject):
    """Newest first, each file once (by its resolved path), at most `MAX_RECENT`."""

    changed = Signal(list)  # list[str], newest first

    def __init__(self, settings: QSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._settings = settings

    def files(self) -> list[str]:
        value = self._settings.value(KEY_RECENT_IMAGES, [])
        if value is None:
            return []
        if isinstance(value, str):  # ini files return a one-element list as a plain string
            value = [value] if value else []
        return [str(v) for v in value if v][:MAX_RECENT]

    def add(self, path: str) -> None:
        full = str(Path(path).resolve())
        self._store([full] + [f for f in self.files() if f != full])

    def remove(self, path: str) -> None:
        full = str(Path(path).resolve())
        files = self.files()
        if full in files or path in files:
            self._store([f for f in files if f not in (full, path)])

    def clear(self) -> None:
        self._store([])

    def fill_menu(self, menu: QMenu, open_file: Callable[[str], object]) -> None:
        """One entry per file (its name; the whole path as tip), then "Clear recent"; disabled when empty."""
        menu.clear()
        files = self.files()
        for f in files:
            action = menu.addAction(Path(f).name)
            action.setToolTip(f)
            action.setStatusTip(f)
            action.triggered.connect(lambda _=False, f=f: open_file(f))
        if files:
            menu.addSeparator()
            menu.addAction("Clear recent", self.clear)
        menu.setEnabled(bool(files))

    def _store(self, files: list[str]) -> None:
        self._settings.setValue(KEY_RECENT_IMAGES, files[:MAX_RECENT])
        self.changed.emit(files[:MAX_RECENT])
