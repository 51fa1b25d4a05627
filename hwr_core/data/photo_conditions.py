"""Conditions a photo of a page adds to writing a scan does not have: a desk around the paper, ruled,
squared and notebook paper, shade. Drawn on gray images (dark ink on light paper), for the
benchmarks (`benchmarks/photo_reading.py`) and the tests that read writing under them.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = [
    "DESK_GREY",
    "in_shade",
    "line_on_notebook",
    "notebook",
    "on_desk",
    "ruled",
    "squared",
    "with_margin",
]

DESK_GREY = 60


def on_desk(
    paper: np.ndarray, rng: np.random.Generator, tall: float, wide: float, degrees: float = 0.0
) -> np.ndarray:
    """`paper` in the middle of a dark frame `tall` x `wide` its size, turned by `degrees`."""
    h, w = paper.shape
    frame_h, frame_w = int(h * tall), int(w * wide)
    top, left = (frame_h - h) // 2, (frame_w - w) // 2
    page = np.full((frame_h, frame_w), 255, np.uint8)
    page[top : top + h, left : left + w] = paper
    where = np.zeros((frame_h, frame_w), np.uint8)
    where[top : top + h, left : left + w] = 255
    if degrees:
        rot = cv2.getRotationMatrix2D((frame_w / 2, frame_h / 2), degrees, 1.0)
        page = cv2.warpAffine(page, rot, (frame_w, frame_h), borderValue=255)
        where = cv2.warpAffine(where, rot, (frame_w, frame_h), flags=cv2.INTER_NEAREST)
    desk = np.clip(rng.normal(DESK_GREY, 6.0, (frame_h, frame_w)), 0, 255).astype(np.uint8)
    return np.where(where > 0, page, desk)


def ruled(image: np.ndarray, rows: list[int] | range, grey: int = 175) -> np.ndarray:
    """Ruled paper: 2-px rules of `grey` (light blue in grey) across the whole image at `rows`."""
    out = image.copy()
    for y in rows:
        out[max(0, y - 1) : y + 1] = np.minimum(out[max(0, y - 1) : y + 1], grey)
    return out


def squared(image: np.ndarray, pitch: int, fine: int = 215, bold: int = 180) -> np.ndarray:
    """Squared paper: 1-px lines every `pitch` pixels both ways, every fourth one `bold`."""
    out = image.copy()
    for axis in (0, 1):
        for i, at in enumerate(range(pitch // 2, image.shape[axis], pitch)):
            line = out[at] if axis == 0 else out[:, at]
            np.minimum(line, bold if i % 4 == 0 else fine, out=line)
    return out


def with_margin(image: np.ndarray, grey: int = 150) -> np.ndarray:
    """A strip a tenth of the width added at the left, with a 2-px margin line in its middle."""
    strip = max(4, image.shape[1] // 10)
    out = cv2.copyMakeBorder(image, 0, 0, strip, 0, cv2.BORDER_CONSTANT, value=int(np.median(image)))
    out[:, strip // 2 : strip // 2 + 2] = np.minimum(out[:, strip // 2 : strip // 2 + 2], grey)
    return out


def notebook(page: np.ndarray, pitch: int) -> np.ndarray:
    """A notebook page: ruled every `pitch` pixels, with a margin."""
    return with_margin(ruled(page, range(pitch // 2, page.shape[0], pitch)))


def line_on_notebook(line: np.ndarray, rng: np.random.Generator, degrees: float) -> np.ndarray:
    """`line` written on the first ruled line of a notebook sheet five times its height and at
    least eight times as wide, with a margin, the sheet on a desk turned by `degrees`."""
    h, w = line.shape
    paper = int(np.median(line))
    right = max(w // 20, 8 * h - w)
    sheet = cv2.copyMakeBorder(line, h, 3 * h, w // 20, right, cv2.BORDER_CONSTANT, value=paper)
    pitch = max(8, h // 2)
    return on_desk(notebook(sheet, pitch), rng, 1.15, 1.1, degrees)


def in_shade(image: np.ndarray) -> np.ndarray:
    """Lit from the left: the light falls to 40 % across the image (a shadow, not a table)."""
    light = np.linspace(1.0, 0.4, image.shape[1])[None, :]
    return (image.astype(np.float32) * light).astype(np.uint8)
