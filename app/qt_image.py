"""The one place where numpy arrays and QImage/QPixmap meet."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage, QPixmap


def gray_to_qimage(array: np.ndarray) -> QImage:
    """uint8 (H, W) gray, or float (H, W) in 0..1 (ink 1 -> shown dark), to a QImage that owns its pixels."""
    a = np.asarray(array)
    if a.dtype != np.uint8:
        a = (255 - np.clip(a, 0.0, 1.0) * 255).astype(np.uint8)  # model input: ink 1.0 on 0.0
    a = np.ascontiguousarray(a)
    h, w = a.shape[:2]
    return QImage(a.data, w, h, a.strides[0], QImage.Format.Format_Grayscale8).copy()


def gray_to_pixmap(array: np.ndarray) -> QPixmap:
    return QPixmap.fromImage(gray_to_qimage(array))


def qimage_to_gray(image: QImage) -> np.ndarray:
    """Any QImage to uint8 (H, W) gray; transparent pixels become white (paper)."""
    img = image.convertToFormat(QImage.Format.Format_RGBA8888)
    h, w = img.height(), img.width()
    ptr = img.constBits()
    arr = np.frombuffer(ptr, dtype=np.uint8, count=img.bytesPerLine() * h).reshape(h, img.bytesPerLine())
    rgba = arr[:, : w * 4].reshape(h, w, 4).astype(np.float32)
    alpha = rgba[..., 3:4] / 255.0
    rgb = rgba[..., :3] * alpha + 255.0 * (1.0 - alpha)
    gray = rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    return np.clip(gray + 0.5, 0, 255).astype(np.uint8)
