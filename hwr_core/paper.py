"""The paper and the ink: the paper's grey under uneven light, where ink starts, the pen's width.

Measures shared by preprocessing (`hwr_core.preprocess`) and the search for printed lines
(`hwr_core.paper_lines`).
"""

from __future__ import annotations

import math

import cv2
import numpy as np

_INK_MIN_DROP = 40  # ink must be this much darker than the paper after background flattening


def odd(x: float) -> int:
    """`x` rounded, made odd upwards, at least 1: a kernel's size."""
    n = max(1, int(round(x)))
    return n if n % 2 else n + 1


def otsu_from_hist(hist: np.ndarray) -> int:
    """Otsu threshold on a 256-bin histogram: class 0 is values <= t."""
    h = hist.astype(np.float64)
    total = h.sum()
    if total <= 0:
        return 127
    levels = np.arange(256, dtype=np.float64)
    w0 = np.cumsum(h)
    m0 = np.cumsum(h * levels)
    w1 = total - w0
    mean_all = m0[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mean_all * w0 / total - m0) ** 2 / (w0 * w1)
    between[~np.isfinite(between)] = -1.0
    return int(np.argmax(between))


def hist_quantile(hist: np.ndarray, q: float) -> int:
    cum = np.cumsum(hist)
    if cum[-1] <= 0:
        return 255
    return int(np.searchsorted(cum, q * cum[-1]))


def flatten_background(gray: np.ndarray) -> np.ndarray:
    """Divide by a smooth paper estimate (`paper_estimate`) so uneven lighting becomes flat white (~255)."""
    return cv2.divide(gray, paper_estimate(gray), scale=255.0)


def paper_estimate(gray: np.ndarray) -> np.ndarray:
    """The paper's grey at every pixel, ignoring the ink: a large max-filter on a ~32-px-short-side
    thumbnail, which keeps it cheap; the window is about half the short side so thick strokes are
    not mistaken for paper (and hollowed when divided by it). Never 0."""
    h, w = gray.shape
    short = min(h, w)
    f = min(1.0, 32.0 / short)
    if f < 1.0:
        small = cv2.resize(gray, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA)
    else:
        small = gray
    k = min(15, max(3, odd(0.47 * min(small.shape))))
    bg = cv2.dilate(small, np.ones((k, k), np.uint8))
    bg = cv2.blur(bg, (k, k))
    if f < 1.0:
        bg = cv2.resize(bg, (w, h), interpolation=cv2.INTER_LINEAR)
    np.maximum(bg, 1, out=bg)
    return bg


def paper_threshold(norm: np.ndarray) -> tuple[int, int, float]:
    """(ink threshold, paper level, paper noise sigma) on a flattened image; ink is <= threshold.

    Otsu alone splits a blank page's noise in two; capping the threshold at paper - max(40, 4 sigma)
    keeps blank paper blank and makes the choice robust to tiny ink fractions.
    """
    hist = cv2.calcHist([norm], [0], None, [256], [0, 256]).ravel()
    t = otsu_from_hist(hist)
    paper_hist = hist.copy()
    paper_hist[: t + 1] = 0
    paper = hist_quantile(paper_hist, 0.5)
    sigma = float(max(paper - hist_quantile(paper_hist, 0.16), 0))
    cap = paper - max(_INK_MIN_DROP, int(math.ceil(4.0 * sigma)))
    return min(t, cap), paper, sigma


def noise_sigma(gray: np.ndarray) -> float:
    """Robust pixel-noise sigma (Immerkaer Laplacian, median of |response|)."""
    kernel = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32)
    lap = cv2.filter2D(gray, cv2.CV_16S, kernel, borderType=cv2.BORDER_REFLECT)
    step = 2 if lap.size > 40_000 else 1
    sample = np.abs(lap[::step, ::step])
    return float(np.median(sample)) * 1.4826 / 6.0


def mean_stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width ~ 2 * area / boundary length (ink pixels touching background)."""
    ink = cv2.countNonZero(mask)
    if ink == 0:
        return 1.0
    cross = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
    # outside the image counts as background, else a 1-row image looks like one huge stroke
    inner = cv2.countNonZero(cv2.erode(mask, cross, borderType=cv2.BORDER_CONSTANT, borderValue=0))
    boundary = max(ink - inner, 1)
    return 2.0 * ink / boundary
