"""Shared test setup. Qt must run offscreen, and that must be set before anything imports Qt."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402


@pytest.fixture(autouse=True, scope="session")
def _engine_cache_of_the_session(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Built engines go to a folder of this test session (the app's windows, the CLI and the
    frozen app read $HWR_ENGINE_CACHE), never to the user's cache."""
    os.environ["HWR_ENGINE_CACHE"] = str(tmp_path_factory.mktemp("engines"))
