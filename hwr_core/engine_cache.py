"""onnxruntime graphs kept on disk between runs, keyed by everything that shapes them.

Making a model's engine means exporting it to ONNX and, for the 8-bit engine, quantizing it:
0.4-1 s before its first read, in every new app session and every `hwr` command. Worse, in the
app: onnxruntime's quantizer works row by row in many small numpy calls, each releasing and
retaking the GIL, and the UI thread loses those races, so the window stalls for 0.1-0.25 s
(tests/robustness/test_gui_under_load.py). With the cache that happens once per model and version
of the libraries; later sessions load the graph's bytes (a few ms).

A cached graph is trusted only if its bytes hash to what its entry recorded; anything else (a
truncated file, a stray edit) is ignored and built again. Writes are atomic, so two processes
writing the same entry leave one whole copy.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from . import APP_NAME, __version__
from .fileio import atomic_write_bytes
from .modelfile import ModelBundle

log = logging.getLogger(__name__)

ENV_VAR = "HWR_ENGINE_CACHE"  # a folder, or "off"


def _version(package: str) -> str:
    """An installed package's version, read without importing it: importing onnx, which a cached
    engine never uses, took 0.45 s of the app's first read."""
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:  # a packaged app without its metadata
        return str(importlib.import_module(package).__version__)


@dataclass(frozen=True)
class CachedEngine:
    data: bytes  # the ONNX graph onnxruntime reads
    int8_layers: str | None  # what runs in 8 bits (None: nothing)
    int8_failure: str | None  # why fewer layers than the file promised, if so


@dataclass(frozen=True)
class EngineCache:
    folder: Path
    max_entries: int = 12  # ~2-7 MB each; the least recently used go first

    @classmethod
    def default(cls) -> EngineCache | None:
        """$HWR_ENGINE_CACHE, or the user's cache folder; None if that variable says "off"."""
        chosen = os.environ.get(ENV_VAR, "")
        if chosen.lower() == "off":
            return None
        return cls(Path(chosen) if chosen else Path(platformdirs.user_cache_dir(APP_NAME)) / "engines")

    @staticmethod
    def key(bundle: ModelBundle, int8: bool, conv_ranges: dict[str, list[float]] | None) -> str:
        """A hash of what the graph is made from: the weights (BatchNorm statistics included), the
        network's layout, the 8-bit settings, and the versions of the code that makes it."""
        import onnxruntime
        import torch

        from .quantization import weights_fingerprint

        recipe = {
            "weights": weights_fingerprint(bundle),
            "network": repr(bundle.model),
            "int8": int8,
            "conv_ranges": conv_ranges,
            "versions": [__version__, torch.__version__, _version("onnx"), onnxruntime.__version__],
        }
        return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:40]

    def _paths(self, key: str) -> tuple[Path, Path]:
        return self.folder / f"{key}.onnx", self.folder / f"{key}.json"

    def get(self, key: str) -> CachedEngine | None:
        graph, entry = self._paths(key)
        try:
            info = json.loads(entry.read_text(encoding="utf-8"))
            data = graph.read_bytes()
        except (OSError, ValueError):
            return None
        if not isinstance(info, dict) or info.get("sha256") != hashlib.sha256(data).hexdigest():
            log.warning("ignoring a damaged cached engine: %s", graph)
            return None
        try:
            os.utime(entry)  # recently used: pruned last
        except OSError:
            pass
        return CachedEngine(data, info.get("int8_layers"), info.get("int8_failure"))

    def put(self, key: str, engine: CachedEngine) -> None:
        """Store `engine`; a folder that cannot be written only costs the next session the build."""
        graph, entry = self._paths(key)
        info = {
            "sha256": hashlib.sha256(engine.data).hexdigest(),
            "int8_layers": engine.int8_layers,
            "int8_failure": engine.int8_failure,
        }
        try:
            atomic_write_bytes(graph, engine.data)
            atomic_write_bytes(entry, json.dumps(info).encode())  # last: an entry means a whole graph
            self._prune()
        except OSError as e:
            log.warning("cannot keep the engine in %s: %s", self.folder, e)

    def _prune(self) -> None:
        entries = sorted(self.folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[self.max_entries :]:
            for path in self._paths(old.stem):
                path.unlink(missing_ok=True)
