"""Lines from a row ink profile: which rows of an image hold its lines of writing.

A page's lines are bands of inked rows parted by blank ones (`line_bands`). Bands too thin to be a
line (accents, i-dots) join their nearer neighbour; on a page read as a page, a short word of a list
stays a line, a floating accent joins its word however tall it is, and a drawn line apart from the
writing is left out. Ruled lines are taken out first where the lines they leave are long
(`page_bands`). Pure numpy on counts and coordinates; `preprocess.split_page` turns the bands into
crops.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "BAND_GAP",
    "TILT_MIN_ASPECT",
    "RowInk",
    "count_extent",
    "dense_rows",
    "few_lines",
    "flag_runs",
    "ink_extent",
    "joined_runs",
    "line_bands",
    "long_lines",
    "maybe_accents",
    "over_its_word",
    "page_bands",
]

TILT_MIN_ASPECT = 4.0  # split_lines levels a page only if its lines are this many times longer than high
_RULE_ROW_SHARE = 0.8  # a row with ink along this share of the writing's length is a ruled line
BAND_GAP = 3  # blank rows that may part two lines of an image read as one (split_lines' min_gap)
_PARTED_BAND_SHARE = 0.3  # ... if both bands are this share of the tallest (a word's accent: less)
_MINOR_BAND_SHARE = 0.5  # split_lines: an ink band under this share of the tallest is not a line
_WORD_BAND_SHARE = 0.3  # ... but on a page, one this share of it or more, parted from its neighbours
_WORD_BAND_GAP = 0.5  # ... by this share of its own height (`line_bands`)
_WORD_BAND_INK = (
    0.3  # ... and holding this share of its inkier neighbour's ink is a short word (accents hold less)
)
# ... or, evenly spaced as a list's words are (its nearer gap _WORD_EVEN_GAPS of the next gap out or
# more: an accent floats nearer), _WORD_EVEN_SHARE of the tallest ("con" under "không": 0.25)
# holding _WORD_EVEN_INK of that ink ("3", "in", "co"; "ra", 40 px under "Nhưng", 64 over "nghị")
_WORD_EVEN_GAPS = 0.6
_WORD_EVEN_SHARE = 0.2
_WORD_EVEN_INK = 0.15
# On a page, a band is its nearer neighbour's floating accent, however tall (a VNOnDB breve drawn
# as a ring, as tall as "van" under it), when it is nearer it than _ACCENT_NEAR of the next gap out,
# holds under _ACCENT_INK of its ink in all and _ACCENT_ROW_INK of it a row (a bold tilde: 0.56),
# and lies over or under it within its own width, where the neighbour is a word: at most
# _ACCENT_SPAN times as wide as high (a short line close over a long one is no accent).
_ACCENT_INK = 0.5
# ... or, the only other band (a word alone: "của" with its hook 0.7 of the word's height up, read
# "1 / va"), nearer it than its height and holding under _LONE_ACCENT_INK of its ink.
_LONE_ACCENT_INK = 0.25
_ACCENT_ROW_INK = 0.6
_ACCENT_NEAR = 0.5
_ACCENT_SPAN = 6.0
# On a page, a thin band as far from the writing as it is high, _RULE_ASPECT times as long as high,
# inked along _RULE_COVER of its length and filling _RULE_FILL of its rows there is a drawn line (a
# signature's line, a separator), not writing: left out of the lines (`line_bands`).
_RULE_ASPECT = 8.0
_RULE_COVER = 0.9
_RULE_FILL = 0.75
# Two bands, the upper holding under this share of the lower's ink, and closer above it than this
# share of its height: maybe a word's floating accents (`PageSplit.maybe_accents`). Of VNOnDB's
# 5,000 val words, split_lines splits 265, 21 of which still read as two lines: 16 of those look
# so. Of 299 pages stacked from val lines and words (as `benchmarks/page_reading.py`'s), 3 do.
_ACCENT_BAND_INK = 0.4
_ACCENT_BAND_GAP = 0.6


def flag_runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """The (start, end) of each run of True in a 1-D bool array."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], flags, [0])).astype(np.int8))).tolist()
    return list(zip(edges[::2], edges[1::2], strict=True))


def joined_runs(rows: np.ndarray, min_gap: int) -> list[list[int]]:
    """The runs of `rows` as [start, end) ranges, runs closer than `min_gap` joined."""
    joined: list[list[int]] = []
    for start, end in flag_runs(rows):
        if joined and start - joined[-1][1] < max(1, min_gap):
            joined[-1][1] = end
        else:
            joined.append([start, end])
    return joined


def few_lines(mask: np.ndarray) -> bool:
    """Whether blank rows (`BAND_GAP` or more) part the ink into two or three bands of some height
    (`_PARTED_BAND_SHARE` of the tallest): a form field's crop with its print or a neighbour's cut
    line, which `line_choice` may read by its written line (a page of more lines is read whole
    without a look). A cheap first look, looser than `line_bands` (a small label beside large
    writing is a line too)."""
    bands = joined_runs(np.count_nonzero(mask, axis=1) > 0, BAND_GAP)
    heights = [end - start for start, end in bands]
    return len(bands) > 1 and sum(h >= _PARTED_BAND_SHARE * max(heights) for h in heights) in (2, 3)


def ink_extent(mask: np.ndarray) -> int:
    """Columns from the mask's first inked column to its last."""
    return count_extent(np.count_nonzero(mask, axis=0))


def count_extent(counts: np.ndarray) -> int:
    """From the first nonzero count to the last (0 if none)."""
    inked = np.flatnonzero(counts)
    return int(inked[-1] - inked[0] + 1) if len(inked) else 0


def dense_rows(mask: np.ndarray, counts: np.ndarray, extent: int) -> np.ndarray:
    """Rows holding one unbroken run of ink along `_RULE_ROW_SHARE` of the writing's length
    `extent` and past both ends of the rest of the ink, with the rows beside them inked along half
    of it (a rule's soft edges). `counts`: ink per row."""
    rules = np.zeros(len(counts), bool)
    spans: dict[int, tuple[int, int]] = {}
    for y in np.flatnonzero(counts >= _RULE_ROW_SHARE * max(extent, 1)):
        start, end = max(flag_runs(mask[y] > 0), key=lambda run: run[1] - run[0])  # the first longest
        if end - start >= _RULE_ROW_SHARE * extent:
            rules[y] = True
            spans[int(y)] = (start, end)
    if not rules.any():
        return rules
    # A rule runs the writing's whole length; a joined hand's baseline stops short of the round
    # sides of its first and last letters (measured away from the rule's own soft edge rows).
    near = rules | np.roll(rules, 1) | np.roll(rules, -1) | np.roll(rules, 2) | np.roll(rules, -2)
    columns = np.flatnonzero(np.count_nonzero(mask[~near], axis=0))
    if len(columns) == 0:
        return np.zeros(len(counts), bool)
    for y, (start, end) in spans.items():
        rules[y] = start <= columns[0] and end > columns[-1]
    soft = counts >= 0.5 * extent
    for _ in range(2):
        rules |= soft & (np.roll(rules, 1) | np.roll(rules, -1))
    return rules


def maybe_accents(bands: list[list[int]], ys: np.ndarray) -> bool:
    """Whether two bands (of the ink at rows ys) look like a word's floating accents and its
    letters: the upper under `_ACCENT_BAND_INK` of the lower's ink, `_ACCENT_BAND_GAP` above it."""
    if len(bands) != 2:
        return False
    (top, top_end), (low, low_end) = bands
    upper = np.count_nonzero((ys >= top) & (ys < top_end))
    lower = np.count_nonzero((ys >= low) & (ys < low_end))
    return bool(upper < _ACCENT_BAND_INK * lower and low - top_end < _ACCENT_BAND_GAP * (low_end - low))


def long_lines(bands: list[list[int]], ys: np.ndarray, xs: np.ndarray) -> bool:
    """Whether the median band's ink (points xs, ys) is `TILT_MIN_ASPECT` times longer than high:
    true of a page's lines, and of what a tilt can merge, but not of a word levelled into its
    accents and its letters (an accent's band holds little ink along its length)."""
    which = np.searchsorted([s for s, _ in bands], ys, side="right") - 1
    aspects = [
        float(np.ptp(xs[which == k])) / (e - s) if np.any(which == k) else 0.0
        for k, (s, e) in enumerate(bands)
    ]
    return float(np.median(aspects)) >= TILT_MIN_ASPECT


def page_bands(mask: np.ndarray, min_gap: int, row_ink: RowInk | None = None) -> list[list[int]]:
    """A page's lines (`line_bands`) from its ink mask, with ruled lines taken out: their rows
    (`dense_rows`) count as blank where the lines they leave are long and the rules thin beside
    them, else nothing is taken out. `row_ink`: on a page read as a page (`line_bands`)."""
    counts = np.count_nonzero(mask, axis=1)
    extent = ink_extent(mask)
    rules = dense_rows(mask, counts, extent)
    if rules.any():
        bands = line_bands((counts > 0) & ~rules, min_gap, row_ink)
        heights = [e - s for s, e in bands]
        long_lines = bool(bands) and extent >= TILT_MIN_ASPECT * float(np.median(heights))
        if long_lines and np.count_nonzero(rules) <= sum(heights) / 2:
            return bands
    return line_bands(counts > 0, min_gap, row_ink)


@dataclass(frozen=True)
class RowInk:
    """A page's ink row by row: how much, and its leftmost and rightmost column (inf and -inf in a
    row without ink)."""

    count: np.ndarray
    left: np.ndarray
    right: np.ndarray
    ys: np.ndarray  # the ink pixels' rows, sorted
    columns: np.ndarray  # ... and their columns, rounded

    @classmethod
    def of(cls, ys: np.ndarray, xs: np.ndarray, rows: int) -> RowInk:
        """Of ink pixels at (xs, ys), ys in [0, rows)."""
        left, right = np.full(rows, np.inf), np.full(rows, -np.inf)
        order = np.argsort(ys, kind="stable")
        y, x = ys[order], xs[order].astype(np.float64)
        if len(y):
            starts = np.flatnonzero(np.r_[True, y[1:] != y[:-1]])
            left[y[starts]] = np.minimum.reduceat(x, starts)
            right[y[starts]] = np.maximum.reduceat(x, starts)
        return cls(np.bincount(ys, minlength=rows), left, right, y, np.rint(x).astype(np.int64))

    def covered(self, start: int, end: int) -> int:
        """How many columns rows [start, end) hold ink in."""
        a, b = np.searchsorted(self.ys, (start, end))
        return int(np.unique(self.columns[a:b]).size)

    def within(self, start: int, end: int) -> tuple[int, float, float]:
        """Rows [start, end)'s ink, leftmost and rightmost column."""
        return (
            int(self.count[start:end].sum()),
            float(self.left[start:end].min()),
            float(self.right[start:end].max()),
        )


def over_its_word(band: list[int], word: list[int], ink: RowInk, ink_share: float) -> bool:
    """Whether rows `band` hold an accent's ink for rows `word`: under `ink_share` of the word's, and
    over or under it within its own width (an accent may be written past its word's end)."""
    (mass, left, right), (its_mass, its_left, its_right) = ink.within(*band), ink.within(*word)
    width = right - left + 1
    return mass < ink_share * its_mass and left - width <= its_right and right + width >= its_left


def line_bands(rows: np.ndarray, min_gap: int, page_ink: RowInk | None = None) -> list[list[int]]:
    """Lines as [start, end) row ranges, from which rows hold ink: runs closer than `min_gap` join,
    and runs under `_MINOR_BAND_SHARE` of the tallest join their nearer neighbour. On a page (its
    `page_ink` given), a drawn line apart from the writing is left out (`_RULE_*`), a short word of
    a list ("và" under "nguyên") is a line all the same (`_WORD_*`), and a floating accent joins its
    word however tall it is (`_ACCENT_*`)."""
    bands = joined_runs(rows, min_gap)
    if not bands:
        return bands
    # Against the tallest band as found: bands grown by merging must not make others look minor.
    tallest = max(e - s for s, e in bands)
    minor_height = _MINOR_BAND_SHARE * tallest

    def gaps(i: int) -> tuple[int | None, int | None]:
        return (
            bands[i][0] - bands[i - 1][1] if i > 0 else None,
            bands[i + 1][0] - bands[i][1] if i + 1 < len(bands) else None,
        )

    def nearer(i: int) -> int:
        """The neighbour band i joins."""
        gap_prev, gap_next = gaps(i)
        return i - 1 if gap_next is None or (gap_prev is not None and gap_prev <= gap_next) else i + 1

    def spacing(i: int) -> tuple[int, int, int | None]:
        """The neighbour band i joins, the gap to it and the next gap out (i's other one, or past
        that neighbour; None with two bands)."""
        j = nearer(i)
        around = gaps(i)
        gap, further = around[j > i], around[j < i] if around[j < i] is not None else gaps(j)[j > i]
        assert gap is not None  # j is a neighbour
        return j, gap, further

    def a_word(i: int, ink: RowInk) -> bool:
        height = bands[i][1] - bands[i][0]
        _, near, further = spacing(i)
        even = further is not None and near >= _WORD_EVEN_GAPS * further  # an accent floats nearer
        if (
            height < (_WORD_EVEN_SHARE if even else _WORD_BAND_SHARE) * tallest
            or near < _WORD_BAND_GAP * height
        ):
            return False
        neighbours = [ink.within(*bands[k])[0] for k in (i - 1, i + 1) if 0 <= k < len(bands)]
        return ink.within(*bands[i])[0] >= (_WORD_EVEN_INK if even else _WORD_BAND_INK) * max(neighbours)

    def an_accent(i: int, ink: RowInk) -> bool:
        j, gap, further = spacing(i)
        height, its_height = bands[i][1] - bands[i][0], bands[j][1] - bands[j][0]
        if further is None:  # two bands: no gap further out to weigh this one by
            if gap >= its_height:
                return False
        elif gap >= _ACCENT_NEAR * further:
            return False
        (mass, _, _), (its_mass, its_left, its_right) = ink.within(*bands[i]), ink.within(*bands[j])
        return (
            over_its_word(bands[i], bands[j], ink, _ACCENT_INK if further is not None else _LONE_ACCENT_INK)
            # one mark where its word's rows cross letters ("là" beside "nghĩa": 0.44 of its ink in
            # all, but 0.66 a row)
            and mass / height < _ACCENT_ROW_INK * its_mass / its_height
            and its_right - its_left + 1 <= _ACCENT_SPAN * its_height
        )

    def a_rule(i: int, ink: RowInk) -> bool:
        """A line drawn apart from the writing (a signature's line, a separator): thin, parted from
        its nearer neighbour by its height, `_RULE_ASPECT` times as long as high, solid along its
        length. Joined to a line as minor, it spoiled that line's reading."""
        start, end = bands[i]
        if end - start >= minor_height:
            return False  # the usual case, decided before counting the columns (a long line's cost)
        mass, left, right = ink.within(start, end)
        width = right - left + 1
        return (
            spacing(i)[1] >= end - start
            and width >= _RULE_ASPECT * (end - start)
            and (covered := ink.covered(start, end)) >= _RULE_COVER * width
            and mass >= _RULE_FILL * covered * (end - start)
        )

    if page_ink is not None:
        bands = [band for k, band in enumerate(bands) if not a_rule(k, page_ink)] or bands

    while len(bands) > 1:
        heights = np.array([e - s for s, e in bands])
        if page_ink is not None:
            for k in range(len(bands)):
                if an_accent(k, page_ink):
                    heights[k] = 0
                elif a_word(k, page_ink):
                    heights[k] = tallest
        i = int(np.argmin(heights))
        if heights[i] >= minor_height:
            break
        j = nearer(i)
        a, b = min(i, j), max(i, j)
        bands[a] = [bands[a][0], bands[b][1]]
        del bands[b]
    return bands
