"""Which line to read when an image given as one line holds several.

A crop of a form field or of a page often catches more than the writing: the form's printed label
above the name ("PRENOM", "NOM :"), a printed line below it, the bottom of the line above cut by the
crop's edge. Read whole, they are squeezed with the writing into one 32-px line and wreck it (the
49 Kaggle val name crops this changes: 35 % CER read whole, 10.5 % by their written line).
`written_line_rows` picks the one line that is neither print nor cut off (and leaves out a line that the
crop's edge cuts so low that `split_lines` joined it to the writing, or print joined to such a
line); anything less clear-cut gives None, and the image is read whole, as before. `after_label_window`
takes a printed label off the start of the writing's own line ("NOM :   VANDEPOEL", read "on
VANDEPOEL"), behind the form's margin if need be (a rule, figures printed across it).

Print is told by its regularity: three or more letters whose heights, tops and bottoms agree to a
pixel (or 6 % of their height; a long line's baseline may wander by twice that). Handwriting
varies more, even neat capitals; print in mixed case, or tilted further, is not recognised as
print (it stays, as before).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from .components import components_with_stats

_MIN_GLYPHS = 3  # a line of print shows at least this many letters of one height
_PRINT_TOLERANCE = 0.06  # ... whose heights, tops and bottoms agree to this share of their height
_LONG_PRINT_GLYPHS = 8  # a line of print this long may wander twice that (its height may not)
_MIN_GLYPH_SHARE = 0.5  # glyphs under this share of the line's tallest (dots, commas) are left out
_MIN_GLYPH_AREA = 3  # pixels: smaller components are noise
CUT_LINE_SHARE = 0.6  # a line at the image's edge this much lower than the tallest is a neighbour's
_MAX_PRINT_SLOPE = 0.035  # rows per column (2 degrees): a scan turned this much tilts its print
_MAX_LABEL_PIECES = 16  # ink pieces before a label's colon, at most: a label is a word or two
_DOT_SHARE = 0.35  # a colon's dot is at most this share of its label's letters' height across
_DOTS_APART = 0.15  # ... and its two dots this share apart (and within the letters' rows)
# A form's field starts well clear of its label's colon (Kaggle: 95 % of them 1.35 letter heights
# or more); running text has a word space there (text in the training fonts, typeset or drawn as
# canvas strokes: 95 % under 1.2), and its capitals may look printed.
_LABEL_GAP = 1.25
_LABEL_REACH = 8  # a label and its colon end within this many times the line's height from its start


@dataclass(frozen=True)
class _Glyphs:
    """A line crop's letter-sized ink components, as row ranges of the crop."""

    tops: np.ndarray
    bottoms: np.ndarray
    centres: np.ndarray  # columns
    rows: int  # the crop's
    inked: np.ndarray  # per row of the crop: any ink (specks too)

    @classmethod
    def of(cls, crop: np.ndarray) -> _Glyphs:
        """`crop`: uint8 gray, dark ink on light."""
        ink, stats = _ink_pieces(crop)
        return cls.among(stats, ink)

    @classmethod
    def among(cls, stats: np.ndarray, ink: np.ndarray) -> _Glyphs:
        """The letter-sized ones of some of `ink`'s pieces (`_ink_pieces` stats rows)."""
        heights = stats[:, cv2.CC_STAT_HEIGHT]
        if len(stats):
            stats = stats[heights >= _MIN_GLYPH_SHARE * heights.max()]
        tops = stats[:, cv2.CC_STAT_TOP]
        bottoms = tops + stats[:, cv2.CC_STAT_HEIGHT]
        centres = stats[:, cv2.CC_STAT_LEFT] + stats[:, cv2.CC_STAT_WIDTH] / 2
        return cls(tops, bottoms, centres, ink.shape[0], ink.any(axis=1))

    @property
    def height(self) -> int:
        return int(self.bottoms.max() - self.tops.min()) if len(self.tops) else 0

    def at_top(self) -> bool:
        return bool(np.any(self.tops == 0))

    def at_bottom(self) -> bool:
        return bool(np.any(self.bottoms == self.rows))

    def without_cut_band(self, top: bool, bottom: bool) -> slice:
        """The crop's rows without a band of ink that the image's top (bottom) edge cuts: the
        next line of a form, joined to this one by `split_lines` as too low to be a line."""
        start = _cut_band_end(self.inked) if top else 0
        end = self.rows - (_cut_band_end(self.inked[::-1]) if bottom else 0)
        return slice(start, end)

    def look_printed(self) -> bool:
        """Three or more glyphs of one height on one baseline, straight or turned up to
        `_MAX_PRINT_SLOPE` with the scan. Glyphs cut by the crop's edge tell nothing of their
        height: a line with any is judged on the others only when it is long (`_LONG_PRINT_GLYPHS`
        whole ones; else a form's "NOM :" beside a cut name would pass)."""
        whole = (self.tops > 0) & (self.bottoms < self.rows)
        if len(self.tops) < _MIN_GLYPHS or (not whole.all() and whole.sum() < _LONG_PRINT_GLYPHS):
            return False
        tops, bottoms, centres = self.tops[whole], self.bottoms[whole], self.centres[whole]
        heights = bottoms - tops
        tolerance = max(1.0, _PRINT_TOLERANCE * float(np.median(heights)))
        if np.ptp(heights) > tolerance:
            return False
        # a long line of print keeps its letters' height but its baseline wanders with the scan
        wander = tolerance * (2 if len(heights) >= _LONG_PRINT_GLYPHS else 1)
        if max(np.ptp(tops), np.ptp(bottoms)) <= wander:
            return True
        slope = np.polyfit(centres, (tops + bottoms) / 2, 1)[0] if np.ptp(centres) else np.inf
        tilt = slope * centres
        return abs(slope) <= _MAX_PRINT_SLOPE and max(np.ptp(tops - tilt), np.ptp(bottoms - tilt)) <= wander


@dataclass(frozen=True)
class _Colon:
    """A colon's two dots in a line crop: the larger dot's size across, and where the pair lies."""

    dot: int
    left: int
    top: int
    bottom: int
    dots_apart: int  # blank rows between them


def _ink_pieces(crop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A gray crop's ink (Otsu) and its pieces' stats (`_pieces_of`)."""
    _, ink = cv2.threshold(crop, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    return ink, _pieces_of(ink)


def _pieces_of(ink: np.ndarray) -> np.ndarray:
    """Connected components' stats rows, noise left out."""
    _, _, stats, _ = components_with_stats(ink)
    stats = stats[1:]
    return stats[stats[:, cv2.CC_STAT_AREA] >= _MIN_GLYPH_AREA]


def _cut_band_end(inked: np.ndarray) -> int:
    """Where a band of ink from row 0 of `inked` ends, when blank rows part it from the rest and it
    is under `CUT_LINE_SHARE` of the rest's height; else 0."""
    band = _band_end(inked)
    if not band:
        return 0
    rest = np.flatnonzero(inked[band:])  # not empty: `_band_end` asks for ink after the band
    return band if band < CUT_LINE_SHARE * (rest[-1] - rest[0] + 1) else 0


def _band_end(inked: np.ndarray) -> int:
    """Where a band of ink from row 0 of `inked` ends, when blank rows part it from the rest; else 0."""
    blank = np.flatnonzero(~inked)
    return int(blank[0]) if inked[0] and len(blank) and inked[blank[0] :].any() else 0


def _print_past_cut_band(crop: np.ndarray, glyphs: _Glyphs, top: bool) -> int | None:
    """The height of the print in `crop` past a band of ink that the image's top (bottom) edge
    cuts, as a form's "NOM" under the cut bottom of the line above, split off with it as one line
    (the band may be as tall as the print, so `_cut_band_end` keeps it); None if there is none."""
    band = _band_end(glyphs.inked if top else glyphs.inked[::-1])
    if not band:
        return None
    rest = _Glyphs.of(crop[band:] if top else crop[:-band])
    return rest.height if rest.look_printed() else None


def written_line_rows(crops: Sequence[np.ndarray]) -> tuple[int, slice] | None:
    """Of an image's line crops (`split_lines`: uint8 gray, top to bottom), the one to read, as
    (which crop, its rows to read): the
    line left when lines of print and lines cut off by the image's top or bottom edge are set
    aside, if it is taller than the print and three glyphs long. A first (last) line that is print
    past a band the image's edge cuts is print too. None when there is one line, or when not
    exactly one such line is left."""
    if len(crops) < 2:
        return None
    glyphs = [_Glyphs.of(c) for c in crops]
    tallest = max(g.height for g in glyphs)
    kept: list[int] = []
    printed: list[int] = []
    for k, g in enumerate(glyphs):
        top, bottom = k == 0 and g.at_top(), k == len(crops) - 1 and g.at_bottom()
        if g.look_printed():
            printed.append(g.height)
        elif (top or bottom) and (past_band := _print_past_cut_band(crops[k], g, top)) is not None:
            printed.append(past_band)
        elif not ((top or bottom) and g.height < CUT_LINE_SHARE * tallest):
            kept.append(k)
    if len(kept) != 1:
        return None
    line = glyphs[kept[0]]
    # Print is set aside only beside larger writing of some length: lower-case letters of one
    # height under a word's tall accent look printed too.
    if line.height <= max(printed, default=0) or len(line.tops) < _MIN_GLYPHS:
        return None
    first, last = kept[0] == 0, kept[0] == len(crops) - 1
    return kept[0], line.without_cut_band(top=first, bottom=last)


def after_label_window(crop: np.ndarray) -> tuple[slice, slice] | None:
    """The part of a line crop (uint8 gray) right of a printed label in capitals that ends in a
    colon ("NOM :", "PRENOM :"), when writing follows it, as (rows, columns) of the crop; None
    when the line does not start so.

    The label is every ink piece left of the colon (or, behind a form's margin, the last of them:
    `_label_past_margin`): three letters or more that look printed, then the colon's two dots
    (each under `_DOT_SHARE` of the letters' height, one over the other within their rows) at most
    a letter's height after them. A colon is asked for because spaced
    handwritten capitals can look printed (a fifth of the Kaggle crops taken without it were
    names, not labels). What follows must hold a letter at least half the label's height,
    `_LABEL_GAP` letter heights or more after the colon (running text, "NOTE: call", stays whole),
    and not look printed itself (a line of print, "TOTAL :    42", stays whole). The part is
    returned without the bottom or top of a line that the crop's edge cuts
    (`_Glyphs.without_cut_band`).
    """
    _, ink = cv2.threshold(crop, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    # A label is short: it is looked for at the line's start only (a long line's pieces cost
    # a millisecond), and what follows it is looked at once one is found.
    start = ink[:, : _LABEL_REACH * ink.shape[0]]
    label = _label_end(_pieces_of(start), start)
    if label is None:
        return None
    height, colon_end = label
    rest = _pieces_of(ink[:, colon_end:])
    letters = rest[rest[:, cv2.CC_STAT_HEIGHT] >= _MIN_GLYPH_SHARE * height]
    if (
        not len(letters)
        or letters[:, cv2.CC_STAT_LEFT].min() < _LABEL_GAP * height
        or _Glyphs.among(rest, ink).look_printed()
    ):
        return None
    left = colon_end + int(letters[:, cv2.CC_STAT_LEFT].min()) // 2
    # the form's lines above and below, cut by the crop's edges, part from it only now
    return _Glyphs.of(crop[:, left:]).without_cut_band(top=True, bottom=True), slice(left, crop.shape[1])


def _label_end(stats: np.ndarray, ink: np.ndarray) -> tuple[float, int] | None:
    """(its letters' height, the column after its colon) of a printed label that starts a line;
    `stats`: the line's ink pieces. See `after_label_window`."""
    stats = stats[np.argsort(stats[:, cv2.CC_STAT_LEFT], kind="stable")]
    # plain ints: this loop runs for every line read, and numpy's scalars are slow one by one
    left, top, width, height = (stats[:, k].tolist() for k in range(4))
    right = (stats[:, cv2.CC_STAT_LEFT] + stats[:, cv2.CC_STAT_WIDTH]).tolist()
    bottom = (stats[:, cv2.CC_STAT_TOP] + stats[:, cv2.CC_STAT_HEIGHT]).tolist()
    for i in range(_MIN_GLYPHS, min(len(stats), _MAX_LABEL_PIECES)):
        before_right, before_height = max(right[:i]), max(height[:i])
        for j in (i + 1, i + 2):  # the colon's other dot starts at about the same column
            if j >= len(stats):
                break
            dot = max(width[i], width[j], height[i], height[j])
            colon_left = min(left[i], left[j])
            upper, lower = (i, j) if top[i] < top[j] else (j, i)
            if (
                dot > _DOT_SHARE * before_height  # (cheap) the label's letters are no taller
                or abs(left[i] + right[i] - left[j] - right[j]) > 2 * dot
                or top[lower] <= bottom[upper]
                or before_right > colon_left + 1  # the label is all that starts before the colon
                or (j == i + 2 and right[i + 1] > colon_left + 1)
            ):
                continue
            colon = _Colon(dot, colon_left, top[upper], bottom[lower], top[lower] - bottom[upper])
            h = _label_height(_Glyphs.among(stats[:i], ink), colon, before_right)
            if h is None:
                h = _label_past_margin(stats[:i], ink, colon, before_right)
            if h is not None:
                return h, max(right[i], right[j])
    return None


def _label_past_margin(stats: np.ndarray, ink: np.ndarray, colon: _Colon, before_right: int) -> float | None:
    """`_label_height` of a label (its pieces and what precedes it: `stats`) that a form's margin
    precedes: its figures printed across, a rule, pieces that the crop's edge cuts (52 of the 75
    Kaggle val crops with a label). Where there is such a margin, the label is the last of the pieces
    left without it that look printed (a piece of the margin may have joined the label's first
    letter); where there is none, nothing is left out."""
    kept = _without_margin(stats, ink.shape[0], colon)
    if len(kept) == len(stats):
        return None
    for first in range(len(kept) - _MIN_GLYPHS + 1):
        h = _label_height(_Glyphs.among(kept[first:], ink), colon, before_right)
        if h is not None:
            return h
    return None


def _without_margin(stats: np.ndarray, rows: int, colon: _Colon) -> np.ndarray:
    """A label's pieces (`stats`) without what a form's margin adds before it: pieces the crop's
    edges cut, a rule's stroke, figures printed across the margin below or above the label (not
    level with its colon)."""
    left, top, width, height = (stats[:, k] for k in range(4))
    keep = (
        (left > 0)
        & (top > 0)
        & (top + height < rows)
        & (height < 4 * width)
        & (top < colon.bottom)
        & (top + height > colon.top)
    )
    return stats[keep]


def _label_height(label: _Glyphs, colon: _Colon, before_right: int) -> float | None:
    """The median height of `label`'s letters (the last ending at column `before_right`), if they
    look like a printed label that `colon` ends."""
    if len(label.tops) < _MIN_GLYPHS:
        return None
    h = float(np.median(label.bottoms - label.tops))
    if (
        colon.dot <= _DOT_SHARE * h
        and colon.dots_apart >= _DOTS_APART * h
        and colon.top >= label.tops.min() - _DOTS_APART * h
        and colon.bottom <= label.bottoms.max() + _DOTS_APART * h
        and colon.left - before_right <= h
        and label.look_printed()
    ):
        return h
    return None
