"""Where the shipped resources (default model, icons, .desktop file) are, in every way of running.

The `resources/` folder is installed as the package `hwr_resources` (see pyproject); a source
checkout and a PyInstaller bundle find it next to the code.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def resources_dir() -> Path:
    bundle_root = getattr(sys, "_MEIPASS", None)
    if bundle_root:
        return Path(bundle_root) / "resources"
    try:
        import hwr_resources

        return Path(hwr_resources.__file__).resolve().parent
    except ImportError:
        return Path(__file__).resolve().parents[1] / "resources"


def models_dir() -> Path:
    return resources_dir() / "models"


def default_model_path() -> Path:
    """The shipped model, `resources/models/default.safetensors`, or the file $HWR_MODEL names."""
    env = os.environ.get("HWR_MODEL")
    return Path(env) if env else models_dir() / "default.safetensors"
