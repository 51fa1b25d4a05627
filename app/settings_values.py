"""Numbers and switches read back from QSettings, safely.

An ini file gives strings back, and one edited by hand (or written by another version) may hold
anything: a value that does not parse, or lies outside what its control takes, reads as its
default instead of stopping the window from opening.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QSettings


def setting_float(settings: QSettings, key: str, default: float, lo: float, hi: float) -> float:
    """The number under `key`, clamped to [lo, hi]; `default` where it is missing or no number."""
    try:
        value = float(settings.value(key, default))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default
    return min(hi, max(lo, value)) if math.isfinite(value) else default


def setting_int(settings: QSettings, key: str, default: int, lo: int, hi: int) -> int:
    """The whole number under `key`, clamped to [lo, hi]; `default` where it is missing or no number."""
    return round(setting_float(settings, key, default, lo, hi))


def setting_bool(settings: QSettings, key: str, default: bool) -> bool:
    """The switch under `key`: an ini file's "true"/"1"/"yes"/"on" (any case) read as on."""
    value = settings.value(key, default)
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)
