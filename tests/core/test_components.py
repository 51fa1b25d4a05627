"""Connected components labelled in 16 bits where every label fits: the same as OpenCV's 32-bit ones."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from hwr_core.components import components_with_stats


def _opencv_32_bit(mask: np.ndarray) -> tuple:
    return cv2.connectedComponentsWithStats(mask, connectivity=8, ltype=cv2.CV_32S)


@pytest.mark.parametrize("seed", [0, 1])
def test_the_same_components_as_in_32_bits(seed: int) -> None:
    mask = ((np.random.default_rng(seed).random((103, 1853)) < 0.3) * 255).astype(np.uint8)
    n, labels, stats, centroids = components_with_stats(mask)
    n32, labels32, stats32, centroids32 = _opencv_32_bit(mask)
    assert labels.dtype == np.uint16 and n == n32 > 1_000
    np.testing.assert_array_equal(labels, labels32)
    np.testing.assert_array_equal(stats, stats32)
    np.testing.assert_array_equal(centroids, centroids32)


@pytest.mark.parametrize(("side", "dtype"), [(509, np.uint16), (511, np.int32)])
def test_32_bits_where_16_might_not_hold_every_label(side: int, dtype: type) -> None:
    """Single pixels a pixel apart are the most components an image holds: 65,536 of them on a
    511-px square (labels up to 65,536, one past 16 bits), 65,025 on a 509-px one."""
    mask = np.zeros((side, side), np.uint8)
    mask[::2, ::2] = 255
    n, labels, stats, _ = components_with_stats(mask)
    assert labels.dtype == dtype and n == ((side + 1) // 2) ** 2 + 1
    np.testing.assert_array_equal(labels, _opencv_32_bit(mask)[1])
    assert (stats[1:, cv2.CC_STAT_AREA] == 1).all()
