"""The model the app is using, shared by the tabs; changing it notifies them by a signal."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from hwr_core.engine_cache import EngineCache
from hwr_core.modelfile import ModelBundle, load_model
from hwr_core.parallel import default_jobs
from hwr_core.recognizer import Recognizer


class ActiveModel(QObject):
    """Holds the active `ModelBundle` and one `Recognizer` over it (options are applied per request)."""

    changed = Signal(object)  # the new ModelBundle

    def __init__(
        self,
        bundle: ModelBundle | None = None,
        parent: QObject | None = None,
        engine_cache: EngineCache | None = None,
    ) -> None:
        super().__init__(parent)
        self._engine_cache = engine_cache  # where built engines are kept between sessions
        self._bundle = bundle
        self._recognizer = self._make_recognizer(bundle) if bundle is not None else None

    def _make_recognizer(self, bundle: ModelBundle) -> Recognizer:
        # a page's lines read side by side, a core each (`Recognizer.jobs`)
        return Recognizer(bundle, backend="auto", engine_cache=self._engine_cache, jobs=default_jobs())

    @property
    def bundle(self) -> ModelBundle | None:
        return self._bundle

    @property
    def recognizer(self) -> Recognizer | None:
        return self._recognizer

    def set_bundle(self, bundle: ModelBundle) -> None:
        self._bundle = bundle
        self._recognizer = self._make_recognizer(bundle)
        self.changed.emit(bundle)

    def load(self, path: str | os.PathLike[str]) -> ModelBundle:
        """Load and activate a model file; raises HwrError (ModelFileError) with a clear message."""
        bundle = load_model(Path(path))
        self.set_bundle(bundle)
        return bundle
