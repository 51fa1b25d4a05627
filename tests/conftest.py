"""Shared test setup. Qt must run offscreen, and that must be set before anything imports Qt."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SHARED_DATA = SHARED / "data"
SHARED_FONTS = SHARED / "fonts"


def needs_shared(*parts: str):  # type: ignore[no-untyped-def]
    """Skip (with the reason) when a ../shared path is absent, e.g. on a machine without the data."""
    path = SHARED.joinpath(*parts)
    return pytest.mark.skipif(not path.exists(), reason=f"{path} is not present on this machine")
