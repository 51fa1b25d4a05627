"""Shared test setup. Qt must run offscreen, and that must be set before anything imports Qt."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
