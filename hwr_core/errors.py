"""Every user-facing failure of the core is an `HwrError` whose `str()` is one clear line.

The CLI prints that line and exits non-zero; the GUI shows it in the status bar or a dialog.
"""

from __future__ import annotations


class HwrError(Exception):
    """Base class: the message names the file or value and the problem, in one line."""


class ImageLoadError(HwrError):
    """An image could not be read: missing, empty, truncated, not an image, unsupported."""


class ImageTooLargeError(ImageLoadError):
    """An image exceeds the pixel limit (decompression-bomb guard)."""


class CharsetError(HwrError):
    """Text contains characters outside the codec's alphabet (strict mode)."""


class ModelFileError(HwrError):
    """A model file is missing, corrupt, not ours, or inconsistent with its metadata."""


class DatasetError(HwrError):
    """A dataset cannot be used at all (bad format, no usable rows, unknown split)."""


class TrainingError(HwrError):
    """Training cannot start or cannot go on (unwritable output, repeated NaN loss, ...)."""
