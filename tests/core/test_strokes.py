"""Text -> canvas strokes: thinning and tracing on drawn shapes, then real fonts (when shared/ is there)."""

from __future__ import annotations

import math
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont
from testdata import FONTS, needs_fonts

from hwr_core.errors import HwrError
from hwr_core.preprocess import preprocess, render_strokes
from hwr_core.strokes import (
    scale_strokes,
    strokes_bbox,
    text_to_strokes,
    trace_skeleton,
    zhang_suen_thin,
)

PRINT_FONT = FONTS / "PatrickHand-Regular.ttf"  # print style, covers all Vietnamese letters


def _neighbour_counts(skel: np.ndarray) -> np.ndarray:
    k = np.ones((3, 3), np.float32)
    k[1, 1] = 0
    return cv2.filter2D(skel.astype(np.float32), -1, k, borderType=cv2.BORDER_CONSTANT)[skel]


def _densify(stroke: list[tuple[float, float]], step: float = 0.5) -> np.ndarray:
    pts = np.asarray(stroke, np.float64)
    out = [pts[:1]]
    for a, b in zip(pts[:-1], pts[1:], strict=True):
        n = max(1, int(math.ceil(np.hypot(*(b - a)) / step)))
        out.append(a + (b - a) * (np.arange(1, n + 1)[:, None] / n))
    return np.concatenate(out)


# ------------------------------------------------------------------------------ no fonts needed


def test_thinning_a_thick_bar_gives_a_one_pixel_line() -> None:
    img = np.zeros((30, 80), np.uint8)
    img[10:19, 10:70] = 255  # 9 px thick, 60 px long
    skel = zhang_suen_thin(img)
    assert skel.dtype == bool and skel.shape == img.shape
    rows, cols = np.nonzero(skel)
    assert 45 <= len(rows) <= 62  # about the length (ends shrink by about half the thickness)
    assert np.ptp(rows) <= 1 and 10 <= rows.min() and rows.max() <= 18  # one line, inside the bar
    assert len(np.unique(cols)) == len(cols)  # one pixel per column: 1 px wide
    assert _neighbour_counts(skel).max() <= 2  # a plain line: no junctions
    n, _ = cv2.connectedComponents(skel.astype(np.uint8), connectivity=8)
    assert n == 2  # one piece


def test_thinning_is_fast_and_empty_safe() -> None:
    img = np.zeros((60, 400), np.uint8)
    cv2.putText(img, "handwriting", (5, 45), cv2.FONT_HERSHEY_SIMPLEX, 1.5, 255, 6)
    best = min(_timed(lambda: zhang_suen_thin(img)) for _ in range(3))
    assert best < 0.05, f"thinning took {best * 1000:.1f} ms"
    assert not zhang_suen_thin(np.zeros((5, 5), np.uint8)).any()
    assert trace_skeleton(np.zeros((5, 5), bool)) == []


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def test_tracing_an_L_covers_both_arms() -> None:
    img = np.zeros((60, 60), np.uint8)
    cv2.line(img, (10, 10), (10, 50), 255, 5)
    cv2.line(img, (10, 50), (45, 50), 255, 5)
    strokes = trace_skeleton(zhang_suen_thin(img))
    assert 1 <= len(strokes) <= 2
    pts = np.concatenate([_densify(s) for s in strokes])
    for end in [(10, 10), (10, 50), (45, 50)]:  # both arm tips and the corner
        assert np.hypot(*(pts - end).T).min() <= 4.0
    # the polyline runs inside the drawn shape, and was simplified (not one point per pixel)
    ink = cv2.dilate(img, np.ones((3, 3), np.uint8)) > 0
    assert ink[np.rint(pts[:, 1]).astype(int), np.rint(pts[:, 0]).astype(int)].all()
    assert sum(len(s) for s in strokes) <= 12


def test_tracing_a_ring_gives_one_closed_stroke_and_keeps_isolated_dots() -> None:
    img = np.zeros((70, 90), np.uint8)
    cv2.circle(img, (35, 35), 20, 255, 5)
    skel = zhang_suen_thin(img)
    skel[5, 80] = True  # an isolated one-pixel dot
    strokes = trace_skeleton(skel)
    assert len(strokes) == 2
    ring, dot = strokes
    assert dot == [(80.0, 5.0)]
    assert np.hypot(*np.subtract(ring[0], ring[-1])) <= 1.5  # closed
    xs, ys = np.asarray(ring).T
    assert abs(np.ptp(xs) - 40) <= 4 and abs(np.ptp(ys) - 40) <= 4


def test_bbox_and_scale() -> None:
    strokes = [[(1.0, 2.0), (5.0, 3.0)], [(4.0, 8.0)]]
    assert strokes_bbox(strokes) == (1.0, 2.0, 5.0, 8.0)
    assert scale_strokes(strokes, 2.0) == [[(2.0, 4.0), (10.0, 6.0)], [(8.0, 16.0)]]
    assert scale_strokes(strokes, (1.0, 0.5), origin=(1.0, 2.0)) == [[(1.0, 2.0), (5.0, 2.5)], [(4.0, 5.0)]]
    with pytest.raises(ValueError):
        strokes_bbox([[], []])


def test_empty_text_needs_no_font() -> None:
    assert text_to_strokes("", "/no/such/font.ttf") == []
    assert text_to_strokes(" \t\n", "/no/such/font.ttf") == []


# ------------------------------------------------------------------------------ with fonts


def _font_image(text: str, font: Path, size: int = 48) -> np.ndarray:
    pil = ImageFont.truetype(str(font), size)
    left, top, right, bottom = ImageDraw.Draw(Image.new("L", (1, 1))).textbbox((0, 0), text, font=pil)
    img = Image.new("L", (right - left + 20, bottom - top + 20), 255)
    ImageDraw.Draw(img).text((10 - left, 10 - top), text, font=pil, fill=0)
    return np.asarray(img)


def _model_ink(gray: np.ndarray) -> np.ndarray:
    return (preprocess(gray).image > 0.5).astype(np.uint8)  # what the recognizer sees, 32 px high


def _dilated_iou(a8: np.ndarray, b8: np.ndarray) -> float:
    """IoU of ink masks after a 3x3 dilation (forgives 1-px offsets), `b8` stretched to `a8`'s width."""
    b8 = cv2.resize(b8, (a8.shape[1], a8.shape[0]), interpolation=cv2.INTER_NEAREST)
    k = np.ones((3, 3), np.uint8)
    da, db = cv2.dilate(a8, k) > 0, cv2.dilate(b8, k) > 0
    return float((da & db).sum() / (da | db).sum())


@needs_fonts
def test_strokes_redraw_the_word() -> None:
    strokes = text_to_strokes("hello", PRINT_FONT, size=48)
    assert strokes and all(len(s) >= 1 for s in strokes)
    assert strokes_bbox(strokes)[:2] == (10.0, 10.0)  # the default origin
    assert [min(x for x, _ in s) for s in strokes] == sorted(min(x for x, _ in s) for s in strokes)
    assert sum(len(s) for s in strokes) < 120  # simplified, not one point per skeleton pixel
    drawn = _model_ink(render_strokes(strokes, pen_width=4.0))  # about the font's pen at 48 px
    font = _model_ink(_font_image("hello", PRINT_FONT))
    assert abs(drawn.shape[1] - font.shape[1]) <= 0.1 * font.shape[1]  # same aspect ratio
    same = _dilated_iou(drawn, font)
    # Controls: the same letters in another order, and one letter changed.
    others = [_dilated_iou(drawn, _model_ink(_font_image(t, PRINT_FONT))) for t in ("lleho", "hellp")]
    assert same > 0.75, same
    assert same > max(others) + 0.15, (same, others)


def _above_and_below(strokes: list[list[tuple[float, float]]]) -> tuple[int, int]:
    """Multi-point strokes lying wholly above / below another stroke that spans their centre x."""
    boxes = [strokes_bbox([s]) for s in strokes]
    above = below = 0
    for s, (x0, y0, x1, y1) in zip(strokes, boxes, strict=True):
        cx = (x0 + x1) / 2
        under = [b for b in boxes if b[0] <= cx <= b[2] and b[1] > y1]
        over = [b for b in boxes if b[0] <= cx <= b[2] and b[3] < y0]
        above += bool(under) and len(s) > 1
        below += bool(over)
    return above, below


@needs_fonts
def test_vietnamese_diacritics_become_strokes() -> None:
    plain = text_to_strokes("Viet", PRINT_FONT)
    marked = text_to_strokes("Việt", PRINT_FONT)
    assert len(marked) >= len(plain) + 2  # the circumflex and the dot below
    assert _above_and_below(plain) == (0, 0)
    above, below = _above_and_below(marked)
    assert above >= 1 and below >= 1  # ink above the x-height (circumflex), a dot under the e
    # NFD input is composed first, so it gives the same strokes
    assert text_to_strokes("Vie\u0323\u0302t", PRINT_FONT) == marked


@needs_fonts
def test_i_dot_is_kept_as_a_point() -> None:
    strokes = text_to_strokes("i", PRINT_FONT, origin=(0.0, 0.0))
    assert len(strokes) == 2
    dots = [s for s in strokes if len(s) == 1]
    stems = [s for s in strokes if len(s) > 1]
    assert len(dots) == 1 and len(stems) == 1
    assert dots[0][0][1] < min(y for _, y in stems[0])  # above the stem
    assert [len(s) for s in text_to_strokes("...", PRINT_FONT)] == [1, 1, 1]


@needs_fonts
def test_jitter_varies_the_sample_but_not_its_size() -> None:
    base = text_to_strokes("minimum", PRINT_FONT, size=40, origin=(20.0, 30.0))
    a = text_to_strokes(
        "minimum", PRINT_FONT, size=40, rng=np.random.default_rng(7), jitter=1.5, origin=(20, 30)
    )
    b = text_to_strokes(
        "minimum", PRINT_FONT, size=40, rng=np.random.default_rng(7), jitter=1.5, origin=(20, 30)
    )
    c = text_to_strokes(
        "minimum", PRINT_FONT, size=40, rng=np.random.default_rng(8), jitter=1.5, origin=(20, 30)
    )
    assert a == b  # deterministic for a seed
    assert a != c and a != base
    assert sorted(len(s) for s in a) == sorted(len(s) for s in base)  # the same strokes, moved
    bx, ax = strokes_bbox(base), strokes_bbox(a)
    base_w, base_h = bx[2] - bx[0], bx[3] - bx[1]
    assert abs((ax[2] - ax[0]) - base_w) < 0.15 * base_w
    assert abs((ax[3] - ax[1]) - base_h) < 0.15 * base_h
    assert max(abs(p - q) for p, q in zip(ax, bx, strict=True)) < 0.25 * base_h


@needs_fonts
def test_missing_glyphs_and_bad_fonts_raise(tmp_path: Path) -> None:
    with pytest.raises(HwrError, match="U\\+4E2D"):
        text_to_strokes("ok \u4e2d", PRINT_FONT)
    with pytest.raises(HwrError, match="no such font"):
        text_to_strokes("ok", FONTS / "NoSuchFont.ttf")
    junk = tmp_path / "junk.ttf"
    junk.write_bytes(b"not a font at all")
    with pytest.raises(HwrError, match="cannot open font"):
        text_to_strokes("ok", junk)
