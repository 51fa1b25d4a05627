"""Training-time distortions: dtype, polarity, determinism, tiny inputs, ink kept."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from hwr_core.config import AugmentConfig
from hwr_core.data import augment
from hwr_core.errors import HwrError

ALL_ON = AugmentConfig(
    p_affine=1, p_elastic=1, p_stroke_width=1, p_blur=1, p_noise=1, p_paper=1, p_contrast=1, p_jpeg=1
)


def word_image(h: int = 64, w: int = 200, thickness: int = 3) -> np.ndarray:
    """Dark strokes on light paper, drawn with cv2 (no dataset images in tests)."""
    img = np.full((h, w), 240, np.uint8)
    cv2.putText(
        img, "Hwr ok", (8, int(h * 0.72)), cv2.FONT_HERSHEY_SIMPLEX, h / 50, 20, thickness, cv2.LINE_AA
    )
    return img


def ink_count(img: np.ndarray) -> int:
    """Ink pixels by Otsu: robust to the contrast, paper and noise changes."""
    _, binary = cv2.threshold(img, 0, 1, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    return int(binary.sum())


@pytest.mark.parametrize("cfg", [AugmentConfig(), ALL_ON], ids=["default", "all-on"])
def test_dtype_polarity_and_ink_kept(cfg: AugmentConfig) -> None:
    src = word_image()
    base = ink_count(src)
    for seed in range(40):
        out = augment(src, np.random.default_rng(seed), cfg)
        assert out.dtype == np.uint8 and out.ndim == 2
        h, w = out.shape
        assert 0.7 * 64 <= h <= 1.6 * 64 and 0.7 * 200 <= w <= 1.6 * 200
        # Same polarity, ink still visible: the darkest 2 % (ink cores) well below the typical (paper) level.
        assert np.median(out) - np.percentile(out, 2) > 30, seed
        assert 0.3 * base <= ink_count(out) <= 3.5 * base, seed


def test_deterministic_per_seed_and_varied() -> None:
    src = word_image(64, 300)
    a = augment(src, np.random.default_rng(42), ALL_ON)
    b = augment(src, np.random.default_rng(42), ALL_ON)
    assert np.array_equal(a, b)
    outs = [augment(src, np.random.default_rng(s), ALL_ON) for s in range(5)]
    assert len({(o.shape, o.tobytes()) for o in outs}) == 5
    assert (
        augment(src, np.random.default_rng(0), AugmentConfig(0, 0, 0, 0, 0, 0, 0, 0)).tobytes()
        == src.tobytes()
    )


@pytest.mark.parametrize("shape", [(1, 1), (3, 500), (500, 3), (7, 7), (0, 5)])
def test_tiny_images_unchanged(shape: tuple[int, int]) -> None:
    src = np.random.default_rng(0).integers(0, 256, size=shape, dtype=np.uint8)
    out = augment(src, np.random.default_rng(1), ALL_ON)
    assert out.shape == src.shape and np.array_equal(out, src)


def test_thin_strokes_survive_on_small_images() -> None:
    src = word_image(24, 90, thickness=1)
    for seed in range(30):
        assert ink_count(augment(src, np.random.default_rng(seed), ALL_ON)) > 0.25 * ink_count(src)


def test_input_checks() -> None:
    rgb = np.dstack([word_image()] * 3)
    assert augment(rgb, np.random.default_rng(0)).ndim == 2
    with pytest.raises(HwrError, match="uint8"):
        augment(word_image().astype(np.float32), np.random.default_rng(0))
