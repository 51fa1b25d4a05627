"""Canvas strokes as the model reads them: drawn with a pen sized to the writing, not the user's pen.

The pen a person picks on the canvas says nothing about the text, but the model reads a pen of the
wrong size for the writing badly: a broad pen closes up small letters, and a fine pen on large
writing fades when the line is scaled to the model's height (English words in held-out fonts drawn
at 40 px with a 12-px pen, or at 160 px with a 1-px pen: 64 % and 30 % CER). So the strokes are
drawn again for reading with a pen of READING_PEN_RATIO times the height of their line of writing.
Session 30 (`benchmarks/canvas_pens.py`), 1-12 px pens at 40-160 px: held-out fonts 12.2 -> 4.5 %
CER, VNOnDB's val words traced to strokes 12.6 -> 8.4 %. The ratio was chosen on the training fonts
and VNOnDB's train words: 0.06-0.08 read about alike.

Small writing is also drawn larger (`reading_scale`): the canvas's guide lines invite words some
40-60 px tall, and preprocessing enlarges an image under twice the model's height before
thresholding it, which blurred a small drawing's antialiased strokes and close marks together.
Drawn at MIN_READING_HEIGHT instead, it needs no enlarging (session 57, `canvas_pens.py --n 200`
with `default-v6`, reading pen: VNOnDB's val words traced to strokes 8.19 -> 7.86 % CER, held-out
fonts at 40 px 6.69 -> 4.60 % in English and 7.37 -> 5.99 % in Vietnamese; the height was
chosen on the training fonts and VNOnDB's train words, where 64 and 128 px read about alike).

No one pen suits every hand: strokes drawn close together read better with a finer pen, shaky
ones with a broader. `reading_renders` draws the strokes with the reading pen and with a finer and
a broader one (READING_PEN_FACTORS), on images of one size with the ink in one place, and
`Recognizer.recognize_drawn` keeps the reading the search is surest of, where the reading pen's is
unsure (session 60, chosen on the train split; `canvas_pens.py --n 200`, val: VNOnDB's words traced
to strokes 7.86 -> 7.34 % CER, held-out fonts 4.27 -> 3.66 %, Vietnamese in them no better).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator, Sequence

import numpy as np

from .errors import HwrError
from .preprocess import render_strokes

__all__ = [
    "Point",
    "READING_PEN_FACTORS",
    "READING_PEN_RATIO",
    "clean_strokes",
    "load_strokes",
    "reading_pen_width",
    "reading_renders",
    "reading_scale",
    "render_for_reading",
    "writing_line_height",
]

READING_PEN_RATIO = 0.07
# Writing whose line is shorter than this (px) is drawn for reading at this height: the working
# height preprocessing enlarges smaller images to (2 x the 32-px model input), so it never has to.
MIN_READING_HEIGHT = 64.0
_MAX_READING_SCALE = 4.0  # a flat dash has almost no height: it is not blown up to 64 px
_MIN_READING_PEN = 1.0  # px: thinner antialiased ink fades to grey
_FALLBACK_PEN = 3.0  # the canvas's default pen, for writing without height (a dot, a flat dash)
_MARGIN = 8.0  # px of white around the ink (and half the reading pen), as `render_strokes` draws
# The pens a drawing is read with, as multiples of the reading pen: the reading pen first (what
# the stages show of an unsure drawing, what Teach keeps), then a finer and a broader one.
READING_PEN_FACTORS = (1.0, 0.7, 1.4)

Point = tuple[float, float]


def writing_line_height(strokes: Sequence[Sequence[Point]]) -> float:
    """Height of the line of writing that holds the most ink (0 without ink).

    Strokes whose vertical extents overlap belong to one line; a line is measured whole, from its
    highest mark to its lowest, including the accents and dots that overlap its letters. A second
    line, or a tone mark floating clear of its word, is a band of its own and does not stretch the
    height. Ink is arc length, plus one per stroke so that dots count.
    """
    spans: list[tuple[float, float, float]] = []
    for stroke in strokes:
        pts = np.asarray(stroke, np.float64).reshape(-1, 2)
        pts = pts[np.isfinite(pts).all(axis=1)]
        if len(pts):
            ink = 1.0 + float(np.linalg.norm(np.diff(pts, axis=0), axis=1).sum())
            spans.append((float(pts[:, 1].min()), float(pts[:, 1].max()), ink))
    bands: list[list[float]] = []  # [top, bottom, ink], top to bottom
    for top, bottom, ink in sorted(spans):
        if bands and top <= bands[-1][1]:
            bands[-1][1] = max(bands[-1][1], bottom)
            bands[-1][2] += ink
        else:
            bands.append([top, bottom, ink])
    if not bands:
        return 0.0
    top, bottom, _ = max(bands, key=lambda band: band[2])
    return bottom - top


def reading_pen_width(strokes: Sequence[Sequence[Point]]) -> float:
    """The pen width, in canvas pixels, that `strokes` are drawn with for the model."""
    return _pen_for(writing_line_height(strokes))


def reading_scale(strokes: Sequence[Sequence[Point]]) -> float:
    """How many image pixels a canvas pixel of `strokes` is drawn with for the model (>= 1)."""
    return _scale_for(writing_line_height(strokes))


def _pen_for(height: float) -> float:
    return max(_MIN_READING_PEN, READING_PEN_RATIO * height) if height > 0 else _FALLBACK_PEN


def _scale_for(height: float) -> float:
    return min(_MAX_READING_SCALE, max(1.0, MIN_READING_HEIGHT / height)) if height > 0 else 1.0


# Raised whenever `render_for_reading` draws differently, so that images stored from strokes (a
# Teach store's) are drawn again: 1 was the pen on screen, 2 a pen sized to the writing (session 30),
# 3 small writing drawn larger (session 57).
READING_RENDER_VERSION = 3


def render_for_reading(strokes: Sequence[Sequence[Point]], pen_factor: float = 1.0) -> np.ndarray:
    """uint8 gray image (black ink on white) of `strokes` exactly as the model gets them, drawn with
    `pen_factor` times the reading pen (never under 1 px) on the image the reading pen draws on:
    the margin takes up the difference, so every factor puts the ink in the same place (a pen
    of factor f > 1 needs (f - 1) / 2 pens of the margin; beyond it the image grows)."""
    height = writing_line_height(strokes)  # measured once: the pen and the scale both follow it
    pen = _pen_for(height)
    drawn = max(_MIN_READING_PEN, pen * pen_factor)
    return render_strokes(
        strokes, pen_width=drawn, margin=_MARGIN + (pen - drawn) / 2, scale=_scale_for(height)
    )


def reading_renders(
    strokes: Sequence[Sequence[Point]], first: np.ndarray | None = None
) -> Iterator[np.ndarray]:
    """`strokes` drawn for the model with each of READING_PEN_FACTORS' pens, the reading pen's
    first (`first`, where it is drawn already), each drawn only when asked for (a sure first
    reading needs no other)."""
    yield render_for_reading(strokes) if first is None else first
    for factor in READING_PEN_FACTORS[1:]:
        yield render_for_reading(strokes, factor)


def clean_strokes(strokes: Sequence[Sequence[Sequence[float]]]) -> list[list[Point]]:
    """Polylines as lists of (x, y) rounded to 0.01 px; points that are not finite and strokes left
    empty are dropped. HwrError for a point without x and y."""
    out: list[list[Point]] = []
    for stroke in strokes:
        pts: list[Point] = []
        for p in stroke:
            try:
                x, y = float(p[0]), float(p[1])
            except (TypeError, ValueError, IndexError, KeyError):
                raise HwrError(f"a stroke point must have numbers x and y, got {p!r}") from None
            if math.isfinite(x) and math.isfinite(y):
                pts.append((round(x, 2), round(y, 2)))
        if pts:
            out.append(pts)
    return out


def load_strokes(path: str | os.PathLike[str]) -> list[list[Point]]:
    """Strokes from a JSON file: a Teach sample's strokes file ({"strokes": [...], ...}) or a bare
    list of polylines, each a list of [x, y] in canvas pixels."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        raise HwrError(f"{path}: cannot read strokes ({e})") from None
    if isinstance(data, dict):
        data = data.get("strokes")
    if not isinstance(data, list) or not all(isinstance(s, list) for s in data):
        raise HwrError(f'{path}: not a strokes file (a list of polylines, or {{"strokes": [...]}})')
    try:
        return clean_strokes(data)
    except HwrError as e:
        raise HwrError(f"{path}: {e}") from None
