"""Which line to read when an image given as one line holds several.

A crop of a form field or of a page often catches more than the writing: the form's printed label
above the name ("PRENOM", "NOM :"), a printed line below it, the bottom of the line above cut by the
crop's edge. Read whole, they are squeezed with the writing into one 32-px line and wreck it (the
49 Kaggle val name crops this changes: 35 % CER read whole, 10.5 % by their written line).
`written_line` picks the one line that is neither print nor cut off (and leaves out a line that the
crop's edge cuts so low that `split_lines` joined it to the writing); anything less clear-cut gives
None, and the image is read whole, as before.

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

_MIN_GLYPHS = 3  # a line of print shows at least this many letters of one height
_PRINT_TOLERANCE = 0.06  # ... whose heights, tops and bottoms agree to this share of their height
_LONG_PRINT_GLYPHS = 8  # a line of print this long may wander twice that (its height may not)
_MIN_GLYPH_SHARE = 0.5  # glyphs under this share of the line's tallest (dots, commas) are left out
_MIN_GLYPH_AREA = 3  # pixels: smaller components are noise
_CUT_LINE_SHARE = 0.6  # a line at the image's edge this much lower than the tallest is a neighbour's
_MAX_PRINT_SLOPE = 0.035  # rows per column (2 degrees): a scan turned this much tilts its print


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
        _, ink = cv2.threshold(crop, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
        _, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
        stats = stats[1:]
        stats = stats[stats[:, cv2.CC_STAT_AREA] >= _MIN_GLYPH_AREA]
        heights = stats[:, cv2.CC_STAT_HEIGHT]
        if len(stats):
            stats = stats[heights >= _MIN_GLYPH_SHARE * heights.max()]
        tops = stats[:, cv2.CC_STAT_TOP]
        bottoms = tops + stats[:, cv2.CC_STAT_HEIGHT]
        centres = stats[:, cv2.CC_STAT_LEFT] + stats[:, cv2.CC_STAT_WIDTH] / 2
        return cls(tops, bottoms, centres, crop.shape[0], ink.any(axis=1))

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


def _cut_band_end(inked: np.ndarray) -> int:
    """Where a band of ink from row 0 of `inked` ends, when blank rows part it from the rest and it
    is under `_CUT_LINE_SHARE` of the rest's height; else 0."""
    blank = np.flatnonzero(~inked)
    if not inked[0] or not len(blank):
        return 0
    band = int(blank[0])
    rest = np.flatnonzero(inked[band:])
    return band if len(rest) and band < _CUT_LINE_SHARE * (rest[-1] - rest[0] + 1) else 0


def written_line(crops: Sequence[np.ndarray]) -> np.ndarray | None:
    """Of an image's line crops (`split_lines`: uint8 gray, top to bottom), the one to read: the
    line left when lines of print and lines cut off by the image's top or bottom edge are set
    aside, if it is taller than the print and three glyphs long. None when there is one line, or
    when not exactly one such line is left."""
    if len(crops) < 2:
        return None
    glyphs = [_Glyphs.of(c) for c in crops]
    tallest = max(g.height for g in glyphs)
    kept: list[int] = []
    printed: list[int] = []
    for k, g in enumerate(glyphs):
        at_edge = (k == 0 and g.at_top()) or (k == len(crops) - 1 and g.at_bottom())
        if g.look_printed():
            printed.append(g.height)
        elif not (at_edge and g.height < _CUT_LINE_SHARE * tallest):
            kept.append(k)
    if len(kept) != 1:
        return None
    line = glyphs[kept[0]]
    # Print is set aside only beside larger writing of some length: lower-case letters of one
    # height under a word's tall accent look printed too.
    if line.height <= max(printed, default=0) or len(line.tops) < _MIN_GLYPHS:
        return None
    first, last = kept[0] == 0, kept[0] == len(crops) - 1
    return crops[kept[0]][line.without_cut_band(top=first, bottom=last)]
