"""Canvas strokes reach the model drawn with a pen sized to the writing."""

from __future__ import annotations

import numpy as np
import pytest

from hwr_core.canvas_ink import (
    MIN_READING_HEIGHT,
    READING_PEN_FACTORS,
    READING_PEN_RATIO,
    reading_pen_width,
    reading_renders,
    reading_scale,
    render_for_reading,
    writing_line_height,
)
from hwr_core.strokes import scale_strokes


def _zigzag(x0: float, top: float, height: float, width: float = 120.0) -> list[tuple[float, float]]:
    """A stroke like a written word's: up and down between `top` and `top + height`."""
    xs = np.linspace(x0, x0 + width, 13)
    return [(float(x), top + (height if i % 2 else 0.0)) for i, x in enumerate(xs)]


def test_the_line_height_is_the_inkiest_lines_whole_height() -> None:
    word = [_zigzag(0, 100, 40), _zigzag(130, 90, 55)]  # the second reaches higher: one line
    assert writing_line_height(word) == pytest.approx(55.0)
    # a tone mark floating clear of its word, and a dot, are bands of their own
    accent = [[(60.0, 70.0), (70.0, 62.0)]]
    assert writing_line_height([*word, *accent, [(20.0, 80.0)]]) == pytest.approx(55.0)
    # a second line below, with less ink, does not stretch the height
    assert writing_line_height([*word, _zigzag(0, 200, 30, width=60)]) == pytest.approx(55.0)


def test_no_ink_has_no_height() -> None:
    assert writing_line_height([]) == 0.0
    assert writing_line_height([[(np.nan, 1.0)]]) == 0.0


def test_the_reading_pen_scales_with_the_writing() -> None:
    word = [_zigzag(0, 100, 40), _zigzag(130, 100, 40)]
    assert reading_pen_width(word) == pytest.approx(READING_PEN_RATIO * 40)
    assert reading_pen_width(scale_strokes(word, 4.0)) == pytest.approx(4 * READING_PEN_RATIO * 40)
    assert reading_pen_width(scale_strokes(word, 0.1)) == 1.0  # never a pen that fades to grey
    assert reading_pen_width([[(5.0, 5.0)]]) == 3.0  # a dot: no height to size a pen by


def test_small_and_large_writing_reach_the_model_alike() -> None:
    """The same word at 4x the size: about the same share of ink within the box preprocessing
    crops it to, and small writing drawn at least MIN_READING_HEIGHT tall."""
    word = [_zigzag(0, 100, 40), _zigzag(130, 100, 40), [(300.0, 80.0)]]

    def ink_box(image: np.ndarray) -> np.ndarray:
        rows, cols = np.nonzero(image < 128)
        return image[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]

    def ink_share(image: np.ndarray) -> float:
        return float((ink_box(image) < 128).mean())

    small, large = render_for_reading(word), render_for_reading(scale_strokes(word, 4.0))
    assert ink_share(large) == pytest.approx(ink_share(small), rel=0.15)
    assert reading_scale(word) == pytest.approx(MIN_READING_HEIGHT / 40)
    assert ink_box(small).shape[0] >= MIN_READING_HEIGHT  # not left for preprocessing to enlarge
    assert reading_scale(scale_strokes(word, 4.0)) == 1.0  # large writing is drawn as it is


def test_writing_without_height_is_not_blown_up() -> None:
    dash = [[(0.0, 50.0), (300.0, 50.5)]]  # a flat dash: half a pixel of height
    assert reading_scale(dash) == 4.0
    assert reading_scale([[(5.0, 5.0)]]) == 1.0  # a dot
    assert render_for_reading(dash).shape[1] < 4 * 340


def test_the_reading_pens_draw_one_image_size_with_the_ink_in_one_place() -> None:
    word = [_zigzag(0, 100, 40), _zigzag(130, 90, 55), [(300.0, 80.0)]]
    renders = list(reading_renders(word))
    assert len(renders) == len(READING_PEN_FACTORS) and READING_PEN_FACTORS[0] == 1.0
    assert np.array_equal(renders[0], render_for_reading(word))  # the reading pen's first
    assert {r.shape for r in renders} == {renders[0].shape}

    def ink(image: np.ndarray) -> np.ndarray:
        return 255.0 - image.astype(np.float64)

    def centre(image: np.ndarray) -> np.ndarray:
        rows, cols = np.indices(image.shape)
        weight = ink(image)
        return np.array([(rows * weight).sum(), (cols * weight).sum()]) / weight.sum()

    for render in renders[1:]:
        assert np.abs(centre(render) - centre(renders[0])).max() < 1.0
    # finer, then broader: the ink grows with the pen
    amounts = {factor: ink(r).sum() for factor, r in zip(READING_PEN_FACTORS, renders, strict=True)}
    assert sorted(amounts, key=amounts.__getitem__) == sorted(READING_PEN_FACTORS)
    # the reading pen's image, drawn already (the app's UI thread draws it), is not drawn again
    drawn = renders[0].copy()
    assert next(reading_renders(word, first=drawn)) is drawn
