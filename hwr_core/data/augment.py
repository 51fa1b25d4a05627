"""Training-time distortions of a raw uint8 grayscale image (dark ink on light), applied before preprocessing.

Each op fires with its `AugmentConfig` probability; strengths are relative to the image height, so
thin strokes survive and text stays readable. All randomness comes from the `rng` passed in, so a
(seed, image) pair always gives the same output. Kept cheap (a few ms per line) because it runs
for every training sample on the CPU workers.
"""

from __future__ import annotations

import logging
import math

import cv2
import numpy as np

from ..config import AugmentConfig
from ..errors import HwrError

log = logging.getLogger(__name__)

__all__ = ["augment", "MIN_SIDE"]

#: Images smaller than this on either side are returned unchanged: there is nothing to distort safely.
MIN_SIDE = 8
_DEFAULT = AugmentConfig()


def augment(image: np.ndarray, rng: np.random.Generator, cfg: AugmentConfig = _DEFAULT) -> np.ndarray:
    """A distorted copy of `image`: uint8 gray, same polarity; the size may change a little (affine)."""
    img = _as_gray(image)
    h, w = img.shape
    if h < MIN_SIDE or w < MIN_SIDE:
        return img.copy()
    bg, ink = _levels(img)
    if rng.random() < cfg.p_stroke_width:
        img = _stroke_width(img, rng, bg, ink)
    if rng.random() < cfg.p_affine:
        img = _affine(img, rng, bg, cfg.max_rotate_deg, cfg.max_shear)
    if rng.random() < cfg.p_elastic:
        img = _elastic(img, rng, bg)
    if rng.random() < cfg.p_paper:
        img = _paper(img, rng, bg, ink)
    if rng.random() < cfg.p_contrast:
        img = _contrast(img, rng, bg, ink)
    if rng.random() < cfg.p_blur:
        img = _blur(img, rng)
    if rng.random() < cfg.p_noise:
        img = _noise(img, rng)
    if rng.random() < cfg.p_jpeg:
        img = _jpeg(img, rng)
    return img.copy() if img is image else img  # never hand back the caller's array itself


# ---------------------------------------------------------------------------------------- helpers


def _as_gray(image: np.ndarray) -> np.ndarray:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        raise HwrError(f"augment expects a uint8 image, got {getattr(image, 'dtype', type(image).__name__)}")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    elif image.ndim == 3 and image.shape[2] in (3, 4):
        image = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY if image.shape[2] == 3 else cv2.COLOR_RGBA2GRAY)
    elif image.ndim != 2:
        raise HwrError(f"augment expects a grayscale image, got shape {image.shape}")
    return image


def _levels(img: np.ndarray) -> tuple[float, float]:
    """(background, ink) gray levels: the 90th and 2nd percentiles, from a histogram (cheaper than a sort)."""
    cdf = np.cumsum(np.bincount(img.ravel(), minlength=256))
    n = cdf[-1]
    bg = float(np.searchsorted(cdf, 0.90 * n))
    ink = float(np.searchsorted(cdf, 0.02 * n))
    return bg, ink


def _to_u8(a: np.ndarray) -> np.ndarray:
    return np.clip(a, 0, 255).astype(np.uint8)


# -------------------------------------------------------------------------------------------- ops


def _stroke_width(img: np.ndarray, rng: np.random.Generator, bg: float, ink: float) -> np.ndarray:
    """Thicker pen (min filter: dark ink grows) or thinner pen (max filter) for tall enough images."""
    h = img.shape[0]
    if bg - ink < 30:
        return img  # no clear ink: a morphology op would only smear the paper
    thin = h >= 40 and rng.random() < 0.4
    if thin:
        out = cv2.dilate(img, np.ones((2, 2), np.uint8))
        thr = (bg + ink) / 2
        # Thin pens at small sizes would vanish: keep the original when half the ink would go.
        if np.count_nonzero(out < thr) < 0.5 * np.count_nonzero(img < thr):
            return img
        return out
    k = 3 if h >= 64 and rng.random() < 0.35 else 2
    return cv2.erode(img, np.ones((k, k), np.uint8))


def _affine(
    img: np.ndarray, rng: np.random.Generator, bg: float, max_rot: float, max_shear: float
) -> np.ndarray:
    """Rotation, shear (slant), x/y scale and a small shift, on a canvas grown so no ink is cut off."""
    h, w = img.shape
    angle = math.radians(rng.uniform(-max_rot, max_rot))
    shear = rng.uniform(-max_shear, max_shear)
    sx, sy = rng.uniform(0.8, 1.2), rng.uniform(0.85, 1.15)
    cos, sin = math.cos(angle), math.sin(angle)
    rot = np.array([[cos, -sin], [sin, cos]])
    m = rot @ np.array([[1.0, shear], [0.0, 1.0]]) @ np.diag([sx, sy])
    corners = np.array([[0, 0], [w, 0], [0, h], [w, h]], dtype=np.float64) @ m.T
    lo, hi = corners.min(axis=0), corners.max(axis=0)
    margin = rng.uniform(0, 3, size=2)  # translation: a little extra space on the top/left
    out_w = int(math.ceil(hi[0] - lo[0] + margin[0] + rng.uniform(0, 3)))
    out_h = int(math.ceil(hi[1] - lo[1] + margin[1] + rng.uniform(0, 3)))
    mat = np.hstack([m, (margin - lo)[:, None]]).astype(np.float32)
    return cv2.warpAffine(
        img, mat, (max(out_w, 1), max(out_h, 1)), flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT, borderValue=int(bg),
    )  # fmt: skip


def _elastic(img: np.ndarray, rng: np.random.Generator, bg: float) -> np.ndarray:
    """A smooth random displacement field of about 1-3.5 % of the height: wobbly, still readable strokes."""
    h, w = img.shape
    amp = h * rng.uniform(0.01, 0.035)
    cell = max(4.0, h * rng.uniform(0.3, 0.6))  # displacement correlation length
    gh, gw = max(2, int(round(h / cell)) + 1), max(2, int(round(w / cell)) + 1)
    coarse = rng.uniform(-amp, amp, size=(2, gh, gw)).astype(np.float32)
    dx = cv2.resize(coarse[0], (w, h), interpolation=cv2.INTER_CUBIC)
    dy = cv2.resize(coarse[1], (w, h), interpolation=cv2.INTER_CUBIC)
    gx = np.arange(w, dtype=np.float32)[None, :]
    gy = np.arange(h, dtype=np.float32)[:, None]
    return cv2.remap(
        img, gx + dx, gy + dy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=int(bg)
    )


def _paper(img: np.ndarray, rng: np.random.Generator, bg: float, ink: float) -> np.ndarray:
    """Uneven lighting / paper tone, sometimes a ruled line, sometimes specks of dirt."""
    h, w = img.shape
    shade = rng.uniform(0.78, 1.0, size=(int(rng.integers(2, 4)), int(rng.integers(2, 6)))).astype(np.float32)
    shade = cv2.resize(shade, (w, h), interpolation=cv2.INTER_LINEAR)
    out = _to_u8(img.astype(np.float32) * shade)
    layer = None
    if rng.random() < 0.3:  # ruled paper: a faint, slightly tilted line
        layer = np.full_like(out, 255)
        y0 = int(rng.integers(0, h))
        y1 = int(np.clip(y0 + rng.integers(-2, 3), 0, h - 1))
        tone = int(np.clip(bg - rng.uniform(40, 110), 0, 255))
        cv2.line(layer, (0, y0), (w - 1, y1), tone, 1, cv2.LINE_AA)
    if rng.random() < 0.5:  # specks
        if layer is None:
            layer = np.full_like(out, 255)
        n = int(rng.integers(1, 2 + h * w // 3000))
        xs, ys = rng.integers(0, w, size=n), rng.integers(0, h, size=n)
        radii = rng.integers(0, 2, size=n)
        tones = rng.uniform(ink, (ink + bg) / 2 + 1, size=n)
        for x, y, r, t in zip(xs, ys, radii, tones, strict=True):
            cv2.circle(layer, (int(x), int(y)), int(r), int(t), -1)
    if layer is not None:
        out = np.minimum(out, layer)
    return out


def _contrast(img: np.ndarray, rng: np.random.Generator, bg: float, ink: float) -> np.ndarray:
    """New ink and paper levels plus a gamma, through a lookup table; sometimes faint ink."""
    if rng.random() < 0.25:
        lo = rng.uniform(90.0, 150.0)  # faint pencil / washed-out scan
    else:
        lo = rng.uniform(0.0, 70.0)
    hi = rng.uniform(max(190.0, lo + 60.0), 255.0)
    gamma = math.exp(rng.uniform(math.log(0.6), math.log(1.6)))
    span = max(bg - ink, 1.0)
    v = np.clip((np.arange(256, dtype=np.float32) - ink) / span, 0.0, 1.0) ** gamma
    lut = _to_u8(lo + (hi - lo) * v + 0.5)
    return cv2.LUT(img, lut)


def _blur(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Gaussian (out of focus) or a short motion blur (camera shake); weaker on small images."""
    h = img.shape[0]
    if rng.random() < 0.6:
        sigma = rng.uniform(0.3, 0.6 if h < 32 else 1.0)
        return cv2.GaussianBlur(img, (0, 0), sigma, borderType=cv2.BORDER_REPLICATE)
    k = 5 if h >= 64 and rng.random() < 0.5 else 3
    kernel = np.zeros((k, k), np.float32)
    angle = rng.uniform(0, math.pi)
    c, dx, dy = (k - 1) / 2, math.cos(angle) * (k - 1) / 2, math.sin(angle) * (k - 1) / 2
    cv2.line(kernel, (round(c - dx), round(c - dy)), (round(c + dx), round(c + dy)), 1.0, 1)
    kernel /= kernel.sum()
    return cv2.filter2D(img, -1, kernel, borderType=cv2.BORDER_REPLICATE)


def _noise(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Light gaussian sensor noise plus a sprinkle of salt and pepper."""
    h, w = img.shape
    sigma = rng.uniform(2.0, 10.0)
    out = img.astype(np.float32) + rng.standard_normal((h, w), dtype=np.float32) * sigma
    out = _to_u8(out)
    n = int(h * w * rng.uniform(0.0, 0.002))
    if n:
        ys, xs = rng.integers(0, h, size=n), rng.integers(0, w, size=n)
        out[ys, xs] = np.where(rng.random(n) < 0.5, 0, 255).astype(np.uint8)
    return out


def _jpeg(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    quality = int(rng.integers(20, 71))
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:  # never expected for a plain gray image; skip rather than fail a training step
        log.debug("JPEG encode failed for a %s image", img.shape)
        return img
    out = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
    return out if out is not None else img
