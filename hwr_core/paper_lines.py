"""Printed lines on the paper: ruled or squared paper, a margin, a form's border.

`remove_paper_lines` paints them in the paper's grey on a page before it is cut into lines;
`printed_margin` and `rule_rows` find what is left of them in a single line's image. Where a
stroke crosses a line, the crossing stays.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from .components import components_with_stats
from .line_bands import (
    TILT_MIN_ASPECT,
    count_extent,
    dense_rows,
    flag_runs,
    ink_extent,
    line_bands,
    long_lines,
)
from .paper import mean_stroke_width, paper_estimate

_LINE_MIN_DROP = 25  # a printed line at least this much darker than the paper (light grid ~40)
LINE_SPAN = 0.5  # ... running straight along at least this share of what is drawn, across or down
_INK_UNDER_LINE = 40  # where a line crosses writing, pixels this much darker than the line are ink
_LINE_END_SLACK = 2  # a rule reaches past both ends of the writing, give or take this many pixels
LINE_MIN_STROKES = 30  # a printed line is this many stroke widths long: as two lines of writing
_RULED_MIN = 3  # ... and beside a word, lines past it only as ruled paper's: this many at least,
_RULED_PITCH_SPREAD = 0.25  # ... their spacings within this share of the median one
_LIST_MIN_BANDS = 3  # ... and a margin beside this many bands of writing is one, long lines or not
_MARGIN_MAX_TILT = 0.07  # a margin through a single line: up to 4 degrees from upright (dx per row)
_MARGIN_ROWS = 0.95  # ... drawn along this share of the rows between the image's top and bottom edges
_MARGIN_TOUCHED_ROWS = 0.1  # ... and in the ink's grey, writing beside it along at most this share
# ... or all the writing on one side of it, at least this share of the image's height away (a
# word's first "l" or "1" is a word space from the next, under half a tight crop's height)
_MARGIN_APART = 0.75


def remove_paper_lines(
    gray: np.ndarray, norm: np.ndarray, paper: int, pieces: bool = False
) -> tuple[np.ndarray, bool]:
    """Ruled or squared paper, a margin, a form's border: straight thin runs along `LINE_SPAN` of
    what is drawn and `LINE_MIN_STROKES` stroke widths, painted in the paper's grey; (image,
    whether any was). `norm` is `gray` flattened, `paper` its level (`paper_threshold`).

    A horizontal line must reach past both ends of the writing (the ink but the candidate runs),
    and the writing must be long lines (`long_lines`): a word's underline is the writer's. A
    vertical one must cross the writing from the middle of its first line to the middle of its
    last, with long lines or `_LIST_MIN_BANDS` bands of writing: a list of words on notebook paper
    has its margin too. Beside one long line it must reach a line's height past it above and below:
    no letter does (a margin through the line's own crop, edge to edge, is `printed_margin`'s).
    Where a stroke crosses a line, the crossing stays (`_line_crossings`).
    `pieces`: lines may come in pieces (a thin line on a page turned and levelled again).
    """
    drawn = drawn_mask(norm, paper)
    per_row, per_column = np.count_nonzero(drawn, axis=1), np.count_nonzero(drawn, axis=0)
    # Along half of what is drawn (not of the image: a photo's page may fill only part of it),
    # and longer than any letter, as a line of writing is: a heavy hand's joined tops run along
    # a word, and a word's stems cross its accents' band.
    stroke = mean_stroke_width(drawn)
    least = LINE_MIN_STROKES * stroke
    along, down = (max(2, round(max(LINE_SPAN * count_extent(c), least))) for c in (per_column, per_row))
    if per_row.max(initial=0) < along and per_column.max(initial=0) < down:
        return gray, False  # no row or column holds enough ink for a line: nearly every image
    row_runs = column_runs = drawn
    if pieces:
        # A thin line turned and turned back comes in pieces (lighter in places than a line must
        # be) that step between two rows: rows are pooled in pairs and gaps of two strokes bridged.
        k = 2 * int(math.ceil(2 * stroke)) + 1
        row_runs = cv2.morphologyEx(
            cv2.dilate(drawn, np.ones((2, 1), np.uint8)), cv2.MORPH_CLOSE, np.ones((1, k), np.uint8)
        )
        column_runs = cv2.morphologyEx(
            cv2.dilate(drawn, np.ones((1, 2), np.uint8)), cv2.MORPH_CLOSE, np.ones((k, 1), np.uint8)
        )
    rows = cv2.morphologyEx(row_runs, cv2.MORPH_OPEN, np.ones((1, along), np.uint8))
    columns = cv2.morphologyEx(column_runs, cv2.MORPH_OPEN, np.ones((down, 1), np.uint8))
    if not cv2.countNonZero(rows) and not cv2.countNonZero(columns):
        return gray, False  # no straight run that long
    near = cv2.dilate(cv2.bitwise_or(rows, columns), np.ones((3, 3), np.uint8))
    ys, xs = np.nonzero(cv2.bitwise_and(drawn, cv2.bitwise_not(near)))  # the writing
    if len(ys) == 0:  # straight strokes only ("lll", "I"), or blank ruled paper: cannot tell
        return gray, False
    inked = np.bincount(ys, minlength=drawn.shape[0]) > 0
    bands = line_bands(inked, 3)
    lines_long = long_lines(bands, ys, xs)
    thin = max(3.0, 3.0 * stroke)
    # past both ends of the writing, give or take `_LINE_END_SLACK`: a turned line's blurred end
    # may be left in the writing when its last piece is too short to be a line's
    ends = (int(xs.min()) + _LINE_END_SLACK, int(xs.max()) - _LINE_END_SLACK)
    if not lines_long and len(line_bands(across_rules(inked, rows), 3)) < _LIST_MIN_BANDS:
        # a word (a rule through it cuts it in bands), or strokes cut by taking out its stems
        rules = _thin_lines(rows, thin, 3, ends)
        span = _ruled_span(rules)
        if span is None:  # one line past it may be its underline, a bar beside it its own
            return gray, False
        return _painted(
            gray, norm, drawn, paper, [rules, _thin_lines(columns, thin, 2, span)]
        )  # a margin too
    found = [_thin_lines(rows, thin, 3, ends)] if lines_long else []
    if len(bands) >= 2:  # through the first line and the last (the page may end with the writing)
        found.append(_thin_lines(columns, thin, 2, (sum(bands[0]) // 2, sum(bands[-1]) // 2)))
    elif lines_long:  # one line on a notebook page
        (top, bottom), height = bands[0], bands[0][1] - bands[0][0]
        found.append(_thin_lines(columns, thin, 2, (top - height, bottom + height)))
    return _painted(gray, norm, drawn, paper, found)


def across_rules(inked: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Rows holding writing (`inked`), each gap between two that lies wholly on a line's rows
    (`rows`: the lines found, and the row either side) filled: a rule through a word takes its rows
    out of the writing, and the word, cut in two, would count as two lines (three with its accents:
    a list of words)."""
    ruled = cv2.dilate(rows, np.ones((3, 1), np.uint8)).any(axis=1)  # (a margin's rows are not)
    out = inked.copy()
    for start, end in flag_runs(~inked):
        if 0 < start and end < len(inked) and ruled[start:end].all():
            out[start:end] = True
    return out


def _ruled_span(rules: np.ndarray) -> tuple[int, int] | None:
    """The rows of the first and the last of `rules` (horizontal lines) if they are ruled paper's,
    `_RULED_MIN` or more at an even pitch (within `_RULED_PITCH_SPREAD` of it); else None."""
    n, _, _, centroids = components_with_stats(rules)
    if n - 1 < _RULED_MIN:
        return None
    ys = np.sort(centroids[1:, 1])
    pitches = np.diff(ys)
    if pitches.min() <= 0 or np.ptp(pitches) > _RULED_PITCH_SPREAD * np.median(pitches):
        return None
    return int(ys[0]), int(ys[-1])


def _painted(
    gray: np.ndarray, norm: np.ndarray, drawn: np.ndarray, paper: int, found: list[np.ndarray]
) -> tuple[np.ndarray, bool]:
    """`remove_paper_lines`' result: the `found` lines (masks of `drawn`) painted in the paper's grey
    where no stroke crosses them; whether any was."""
    lines = np.zeros_like(drawn)
    for some in found:
        lines |= some
    if not lines.any():
        return gray, False
    paint = cv2.dilate(lines, np.ones((3, 3), np.uint8))  # with the lines' soft edges
    paint[_line_crossings(norm, drawn, found, lines)] = 0
    out = gray.copy()
    out[paint > 0] = np.clip(paper_estimate(gray)[paint > 0] * (paper / 255.0), 0, 255).astype(np.uint8)
    return out, True


def drawn_mask(norm: np.ndarray, paper: int) -> np.ndarray:
    """Mask of anything drawn on the paper (flattened `norm`, `paper` its level): the ink, and
    printed lines lighter than ink."""
    return cv2.compare(norm, paper - _LINE_MIN_DROP, cv2.CMP_LT)


def _thin_lines(opened: np.ndarray, thin: float, across: int, spans: tuple[int, int]) -> np.ndarray:
    """The components of `opened` (straight runs) at most `thin` thick (stats column `across`:
    3 height, 2 width) that cover `spans` (first, last) along their length."""
    _, labels, stats, _ = components_with_stats(opened)
    start = stats[:, 0] if across == 3 else stats[:, 1]
    length = stats[:, 2] if across == 3 else stats[:, 3]
    keep = (stats[:, across] <= thin) & (start <= spans[0]) & (start + length > spans[1])
    keep[0] = False
    return (keep.astype(np.uint8) * 255)[labels]


def _line_crossings(
    norm: np.ndarray, drawn: np.ndarray, found: list[np.ndarray], lines: np.ndarray
) -> np.ndarray:
    """Where strokes cross the lines (`found`: the horizontal and the vertical ones; `lines`: all
    of them), as bool: ink close beyond a line on both sides of it (above and below, or left and
    right), or pixels `_INK_UNDER_LINE` darker than that line's core grey (each line its own: a
    grid's every fourth line is darker, and they all touch)."""
    # the ink but the lines and their soft edges
    other = cv2.bitwise_and(drawn, cv2.bitwise_not(cv2.dilate(lines, np.ones((3, 3), np.uint8))))
    k = int(math.ceil(mean_stroke_width(lines))) + 3  # across the line and its soft edge, into the stroke
    down, right = np.ones((k, 1), np.uint8), np.ones((1, k), np.uint8)
    below = cv2.dilate(other, down, anchor=(0, 0))  # ink within k pixels below
    above = cv2.dilate(other, down, anchor=(0, k - 1))
    after = cv2.dilate(other, right, anchor=(0, 0))
    before = cv2.dilate(other, right, anchor=(k - 1, 0))
    crossing = (cv2.bitwise_and(below, above) | cv2.bitwise_and(after, before)) > 0
    for j, some in enumerate(found):
        # where it meets a line of the other direction (a grid), a line is no darker than lines
        others = np.zeros(lines.shape, bool)
        for other_lines in found[:j] + found[j + 1 :]:
            others |= other_lines > 0
        n, labels, stats, _ = components_with_stats(some)
        for i in range(1, n):
            x, y, bw, bh = (int(v) for v in stats[i, :4])
            own = (slice(y, y + bh), slice(x, x + bw))  # its bounding box
            level = _core_grey(norm[own], labels[own] == i, across=0 if bw >= bh else 1)
            box = (slice(max(0, y - 2), y + bh + 2), slice(max(0, x - 2), x + bw + 2))
            crossing[box] |= (norm[box] < level - _INK_UNDER_LINE) & ~others[box]
    return crossing


def _core_grey(grey: np.ndarray, line: np.ndarray, across: int) -> float:
    """A printed line's core grey (`line`: its pixels, bool; `across`: the axis across it): its
    darkest pixel across, typical along (its soft edges are lighter, strokes crossing it darker)."""
    return float(np.median(np.where(line, grey, 255).min(axis=across)))


def rule_rows(mask: np.ndarray) -> np.ndarray:
    """Rows of a line's ink mask that belong to ruled lines (or an underline; `dense_rows`), when
    the writing is at least `TILT_MIN_ASPECT` times longer than its letters are high and the rules
    are thin beside them. None for a short word (a "T" bar may span it), a blot, or a tilted rule."""
    counts = np.count_nonzero(mask, axis=1)
    extent = ink_extent(mask)
    rules = dense_rows(mask, counts, extent)
    text_rows = np.count_nonzero((counts > 0) & ~rules)
    if extent < TILT_MIN_ASPECT * text_rows or np.count_nonzero(rules) > text_rows / 2:
        return np.zeros(len(counts), bool)
    return rules


def printed_margin(mask: np.ndarray, gray: np.ndarray, stroke: float) -> np.ndarray | None:
    """A printed margin through a single line's image (as bool pixels to paint as paper; None if
    there is none): a thin straight line from the image's top edge to its bottom (`_straight_through`:
    printed across the page, it crosses any crop of it), `_INK_UNDER_LINE` grey levels lighter
    than the ink, or else apart from the writing and reaching past it above and below: a tight
    crop's "l" runs from edge to edge too, but ends where the other letters do, or is joined to
    them; or with all the writing on one side of it, far off (`_apart`). Where a stroke crosses a
    margin (pixels that much darker), the stroke stays. `gray` is the image `mask` was thresholded
    from."""
    clear = np.zeros(mask.shape, bool)
    reach = 2 * int(math.ceil(stroke)) + 1
    for line in _straight_through(mask, stroke):
        ink = (mask > 0) & ~line
        if not ink.any():  # nothing but the line: it may be what was written
            continue
        level = _core_grey(gray, line, across=1)
        if level - float(np.median(gray[ink])) < _INK_UNDER_LINE and not _apart(line, ink):
            beside = cv2.dilate(line.view(np.uint8), np.ones((1, 2 * reach + 1), np.uint8)) > 0
            touched = np.count_nonzero((ink & beside).any(axis=1)) / len(ink)
            if ink[:2].any() or ink[-2:].any() or touched > _MARGIN_TOUCHED_ROWS:
                continue
        clear |= line & (gray >= level - _INK_UNDER_LINE)
    return clear if clear.any() else None


def _apart(line: np.ndarray, ink: np.ndarray) -> bool:
    """Whether all the `ink` lies on one side of `line`, `_MARGIN_APART` of the image's height or
    more from it: a notebook's margin beside a line cut tight, whose letters touch its edges."""
    line_columns, ink_columns = np.flatnonzero(line.any(axis=0)), np.flatnonzero(ink.any(axis=0))
    gap = max(ink_columns[0] - line_columns[-1], line_columns[0] - ink_columns[-1])
    return bool(gap >= _MARGIN_APART * line.shape[0])


def _straight_through(mask: np.ndarray, stroke: float) -> list[np.ndarray]:
    """Bool pixels of each thin straight line in `mask` from its top edge to its bottom, within
    `_MARGIN_MAX_TILT` of upright and drawn along `_MARGIN_ROWS` of the rows, with its soft edges."""
    h, w = mask.shape
    if h < 8:
        return []
    thin = max(3.0, 2.0 * stroke)
    top = [r for r in flag_runs(mask[:2].any(axis=0)) if r[1] - r[0] <= thin]
    bottom = [r for r in flag_runs(mask[-2:].any(axis=0)) if r[1] - r[0] <= thin]
    rows = np.arange(h)
    lines = []
    for t0, t1 in top:
        for b0, b1 in bottom:
            xt, xb = (t0 + t1 - 1) / 2.0, (b0 + b1 - 1) / 2.0
            if abs(xb - xt) > _MARGIN_MAX_TILT * h:
                continue
            x = xt + (xb - xt) * rows / (h - 1)
            xi = np.rint(x).astype(np.intp)
            near = np.zeros(h, bool)
            for dx in (-1, 0, 1):
                near |= mask[rows, np.clip(xi + dx, 0, w - 1)] > 0
            if near.mean() >= _MARGIN_ROWS:
                half = max(t1 - t0, b1 - b0) / 2.0 + 1.0
                lines.append(np.abs(np.arange(w)[None, :] - x[:, None]) <= half)
    return lines
