"""Preprocessing: any handwriting image -> the model's float32 input; a page -> its lines' crops.

Images come in through `image_io`; `line_bands` says which rows hold a page's lines.

The output is (cfg.height x W) float32 with INK = 1.0 on BACKGROUND = 0.0, so zero padding in a
batch is background. Training and inference run exactly this code; with `keep_stages=True` every
step is also returned as a display image (dark ink on white) for the GUI's stage strip.

Pipeline: grayscale -> [invert | surroundings] -> denoise -> binarize -> [margin] -> smooth -> [rules]
-> [line] -> crop -> [thicken] -> deskew -> slant -> resize -> pad (bracketed stages only where they
change something: `_writing_surface`, `printed_margin`, `rule_rows`, `_fine_pen_radius`; `line`: an
image of several lines whose others are print or cut off is read by its written line, and one
that starts with a printed label ending in a colon, "NOM :", by what follows it;
`hwr_core.line_choice`). `split_lines` also takes printed lines (a margin, a grid) off a page before
cutting it into lines (`remove_paper_lines`).
Binarizing keeps hairlines (`PreprocessConfig.hairlines`, on): thin strokes fainter than the
threshold that join the ink (a nib's upstrokes, a fine pen's light ends; `_hairlines`).
The grayscale stage is the working resolution: huge inputs are shrunk, and inputs under twice the
model height are enlarged, since thresholding small text merges a letter's strokes.
Internally, after binarization the work image is uint8 "inkness" (ink high, 0..255) because
OpenCV warps/resizes uint8 fastest; a separate binary mask drives all measurements (crop box,
skew, slant) even when `binarize="none"` keeps gray levels.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from .components import components_with_stats
from .config import PreprocessConfig
from .image_io import to_grayscale
from .line_bands import (
    BAND_GAP,
    RowInk,
    few_lines,
    flag_runs,
    joined_runs,
    line_bands,
    long_lines,
    maybe_accents,
    over_its_word,
    page_bands,
)
from .line_choice import CUT_LINE_SHARE, after_label_window, written_line_rows
from .paper import (
    flatten_background,
    hist_quantile,
    mean_stroke_width,
    noise_sigma,
    odd,
    otsu_from_hist,
    paper_estimate,
    paper_threshold,
)
from .paper_lines import (
    LINE_MIN_STROKES,
    LINE_SPAN,
    drawn_mask,
    printed_margin,
    remove_paper_lines,
    rule_rows,
)

__all__ = [
    "PreprocessResult",
    "PageSplit",
    "Stage",
    "box_outline",
    "ink_mask",
    "preprocess",
    "render_strokes",
    "split_lines",
]

_MIN_CONTRAST = 20  # max-min gray levels below this: a blank (or all-black) page, no ink
_WORK_MAX_PIXELS = 4_000_000  # bigger inputs are shrunk first: bounds time; 32-px output needs no more
_MIN_WORK_HEIGHT_FACTOR = 2  # smaller inputs are enlarged to this many times the model height first
_DOWN_THE_PAGE = 0.6  # share of a page's rows a column inked along is not writing (`_main_rows`)
# `_main_rows`: a page's one line is cut this many of its heights above and below, and a band in
# there that is a floating accent (`_an_accent`: under _ACCENT_SHARE of the word's ink) joins it.
_ACCENT_REACH = 1.6
_ACCENT_SHARE = 0.5
_ACCENT_ASPECT = 8.0
# What the median filter erases whole comes back if it is a pen's dot: this many pixels or more (a
# lone pixel or two is noise), and round (the pieces of a light printed line left beside a page's
# lines are thin dashes: on squared paper turned 3 degrees they stretched a line's crop to the edge)
_DOT_MIN_AREA = 3
_DOT_MAX_ASPECT = 2.0
# A mark of this many pixels is kept at the crop even where the pen is too fine for a quarter of
# its dot to reach it (strokes under 2.83 px, where 0.25 * width^2 < 2: always smoothed first, and
# the smoothing takes a lone pixel off): a fine pen's full stop thresholds to 2 px (at 3, VNOnDB's val lines
# lost 28 more of their full stops)
_SPECK_MIN_AREA = 2
# The median filter is skipped unless the strokes it keeps keep this share of their ink: it took a
# quarter of the ink off a fine pen's 2-px strokes (VNOnDB lines, 64 px high) and broke them
_MEDIAN_MIN_KEPT = 0.9
_NOISE_SPLIT = 0.3  # ... unless this share of the image passes for ink: no writing is that dark
# ... and it is undone where the strokes it leaves threshold this much wider than without it (a
# blurred fine pen: VNOnDB lines on a notebook photo turned 3 degrees widened 1.22-1.36x and read
# 9.55 % CER, 6.07 % without; the val sets' plain images widen 1.07-1.19x at the median)
_MEDIAN_MAX_WIDENING = 1.2
_BROAD_PEN = 4.0  # px: strokes this wide get `_smooth`'s wider blur on a page's mask, none for the model
_MAX_SKEW_DEG = 10.0
_MAX_SHEAR = 0.6
_MEASURE_MAX_POINTS = 8_000  # skew/slant are estimated on at most this many ink pixels
_PAGE_MEASURE_POINTS = 4_000  # a page's tilt (split_lines), on every read: half the time of 8,000
# A line the image's edge runs through crosses its strokes at least this often (three letters'
# worth); a whole line that only touches the edge does with a few tips (`without_cut_edge_lines`).
CUT_CROSSINGS = 6
_LINE_SEARCH_POINTS = 6_000  # a tilted margin's search (split_lines, when a tilted image does not split)
_UPRIGHT_RUN = 9  # ... among ink runs this many pixels upright (a 2-px line tilted 10 degrees: 11)
_RENDER_MAX_PIXELS = 16_000_000  # render_strokes output cap (absurd coordinates)
_SURFACE_PIXELS = 256 * 256  # ink polarity and the paper's edge are judged at about this size
_SURROUNDINGS_MIN_SHARE = 0.03  # less dark solid area than this outside the paper: nothing to mask
_SURROUNDINGS_MIN_STEP = 50  # grey levels from the surroundings up to the paper at its edge (not a shadow)
# Grey paper on a white ground (a scanner's lid, a page turned in an editor): the white is this
# much whiter than the paper
_LIGHT_SURROUNDINGS_MIN_STEP = 15
_LIGHT_SURROUNDINGS_MAX_SPREAD = 10  # grey levels from its 10th to its 90th percentile: an even white
# A pen too fine for the size of its writing (strokes under this share of a line's height: a 1-px
# pen, which `mean_stroke_width` measures as 2 px, on writing over 100 px tall, as drawing apps export
# it) fades when the line is scaled to the model's height; its strokes are widened towards
# _THICKENED_SHARE (the canvas reads with 0.07, hwr_core/canvas_ink.py). Real scans and photos are
# over 0.02: 1 of the val sets' 7,395 readings changed (at 0.03 more did, and tilted pages read worse).
_FINE_PEN_SHARE = 0.02
_THICKENED_SHARE = 0.05
_MAX_THICKENING = 10  # px of radius: widened fully up to lines ~440 px tall; a 90,000-px line took minutes
# A hairline is this much darker than the paper (or 4 sigma of its noise; 10 cost VNOnDB words
# 0.13 point) ...
_HAIRLINE_DROP = 25
_HAIRLINE_CONTRAST = 12  # ... and than what lies a pixel either side of it (3x3 black-hat)
_HAIRLINE_MIN_LENGTH = 4  # pixels: shorter additions are the blurred tips and corners of strokes
_HAIRLINE_MAX_ASPECT = 5  # ... longer than this many times their breadth, level or upright: paper's lines
# ... and not on a light printed line (`_paper_line_pieces`): a row or column that is, off the ink,
# mostly (this share) this much darker than the paper. At half, a copybook hand's hairline arches
# along its x-height passed for one (synthetic English 7.4 -> 8.0 %); a row of strong camera grain
# may pass, which costs only the hairlines
_PAPER_LINE_DROP = 10
_PAPER_LINE_SHARE = 0.6
_DEFAULT_CFG = PreprocessConfig()  # frozen, so a shared default is safe


@dataclass(frozen=True)
class Stage:
    """One pipeline step for display: uint8 HxW, dark ink on white."""

    name: str
    image: np.ndarray


@dataclass(frozen=True)
class PreprocessResult:
    """The model input plus (optionally) every stage; `empty` when no ink was found."""

    image: np.ndarray  # float32 (cfg.height, W), ink 1.0 on 0.0
    stages: tuple[Stage, ...]
    empty: bool
    written_line: bool = False  # read from the one written line of several (stage `line`)
    # Where the ink the model input holds lies in the image given: 4 corners (x, y) clockwise from
    # the top left, around the ink as deskewing levelled it (a tilted line's box is tilted), so a
    # word's share of the input's width is about its share of this outline (`word_boxes`). Not
    # sheared by the deslanting: word boxes stay upright, as hOCR's are (sheared, they reached into
    # their neighbours: benchmarks/word_boxes.py). A written line chosen out of several has its
    # own ink's (a form's name, not its label). None when empty, or for a written line chosen out
    # of a page levelled to split it (`PageSplit.tops`).
    ink_outline: np.ndarray | None = None


@dataclass(frozen=True)
class PageSplit:
    """An image's line crops (`split_page`), and whether its split may be a word's accents apart."""

    crops: list[np.ndarray]
    # Two lines, the upper light and close above the lower (`line_bands.maybe_accents`): a word's floating
    # accents look so, and so does a short line over a longer one. Geometry cannot tell them apart.
    maybe_accents: bool = False
    # Where each crop's line lies in the image: 4 corners (x, y), clockwise from the top left, around
    # its ink (a tilted page's lines are tilted boxes). For showing the lines and exporting them.
    outlines: list[np.ndarray] = field(default_factory=list)
    # The crops are the image with its paper's printed lines (a margin, rules), or a line drawn
    # apart from the writing, taken out (one line's: cut to it, `_main_line`): the image read whole
    # has the lines in it.
    without_paper_lines: bool = False
    # The row each crop starts at in the image, where the crops are the image's own rows, whole
    # (not levelled); empty otherwise. Where a line chosen out of them lies (`preprocess`).
    tops: list[int] = field(default_factory=list)

    def without_cut_edge_lines(self, image: np.ndarray) -> PageSplit:
        """The split without its first (last) line where the image's top (bottom) edge cuts it,
        as the bottom of the next field under a form's name box, which read as junk ("PRENON /
        LISA / FAARARELAARMER ARER"): the edge runs through its letters (it crosses the ink at
        least CUT_CROSSINGS times where the line lies), and its ink stands under CUT_LINE_SHARE
        of the tallest line's (heights levelled: a tilted page's short line has a tall box).
        Never a word's accents (`maybe_accents`), and one line at least is kept."""
        if len(self.crops) < 2 or len(self.outlines) != len(self.crops) or self.maybe_accents:
            return self
        edge_rows = {0: 0, len(self.crops) - 1: image.shape[0] - 1}  # line -> the image's row at its edge
        edge_rows = {
            k: row
            for k, row in edge_rows.items()
            if self.outlines[k][:, 1].min() <= row <= self.outlines[k][:, 1].max()
        }
        ink = ink_mask(to_grayscale(image)) if edge_rows else None
        if ink is None:
            return self
        tall = [_ink_height(crop) for crop in self.crops]
        cut: set[int] = set()
        for k, row in edge_rows.items():
            xs = np.clip(self.outlines[k][:, 0], 0, ink.shape[1]).astype(int)
            crossings = len(flag_runs(ink[row, xs.min() : xs.max()] > 0))  # one a stroke crossed
            if crossings >= CUT_CROSSINGS and tall[k] < CUT_LINE_SHARE * max(tall):
                cut.add(k)
        keep = [k for k in range(len(self.crops)) if k not in cut]
        if not cut or not keep:
            return self
        return replace(
            self,
            crops=[self.crops[k] for k in keep],
            outlines=[self.outlines[k] for k in keep],
            tops=[self.tops[k] for k in keep] if self.tops else [],
        )


def _ink_height(crop: np.ndarray) -> int:
    """Rows from a crop's first row of ink to its last (0 without ink)."""
    mask = ink_mask(crop)
    rows = np.flatnonzero(mask.any(axis=1)) if mask is not None else np.empty(0, int)
    return int(rows[-1] - rows[0] + 1) if rows.size else 0


# --------------------------------------------------------------------------------------------
# Pipeline helpers (all ink-high uint8 unless noted)
# --------------------------------------------------------------------------------------------


def _denoise(gray: np.ndarray, norm: np.ndarray) -> np.ndarray:
    """Median 3x3 against specks of noise, unless it would thin or erase the strokes themselves
    (a fine pen, 1-px lines, tiny renders).

    The marks it erases whole come back when they are a pen's dot: a full stop, the dot of an
    "i" or the Vietnamese dot below are hardly bigger than the noise it is for (VNOnDB lines lost
    them: "đáp ứng nhu cầu." was read without its full stop). `norm` is `gray` flattened
    (`flatten_background`)."""
    med = cv2.medianBlur(gray, 3)
    # Judged on the paper flattened: under uneven light (a shadow across a photo) Otsu on the raw
    # greys split the paper itself, its dark side passed for ink, and the median thinned the strokes
    t, raw = cv2.threshold(norm, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    raw_ink = cv2.countNonZero(raw)
    if raw_ink == 0:
        return med
    dark = cv2.bitwise_and(raw, (cv2.medianBlur(norm, 3) <= t).view(np.uint8))
    n, marks, stats, _ = components_with_stats(raw)
    kept = np.bincount(marks[dark > 0], minlength=n)  # dark is within raw: never the background's
    area = stats[:, cv2.CC_STAT_AREA]
    strokes = kept > 0  # what the median leaves some of; the rest it erased whole
    # Over _NOISE_SPLIT of the image "ink": Otsu split the paper's own noise (a blank, grainy page),
    # which is what the filter is for, however little of it survives
    splits_noise = raw_ink > _NOISE_SPLIT * raw.size
    if not splits_noise and kept.sum() < max(0.6 * raw_ink, _MEDIAN_MIN_KEPT * area[strokes].sum()):
        return gray
    w, h = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    round_ = np.maximum(w, h) <= _DOT_MAX_ASPECT * np.minimum(w, h)
    dots = ~strokes & (area >= _DOT_MIN_AREA) & round_
    dots[0] = False
    if dots.any():
        back = dots[marks]
        med[back] = gray[back]
    return med


def _wider(mask: np.ndarray, than: np.ndarray, factor: float) -> bool:
    """Whether `mask`'s strokes are over `factor` times as wide as `than`'s (neither empty)."""
    if cv2.countNonZero(mask) == 0 or cv2.countNonZero(than) == 0:
        return False
    return mean_stroke_width(mask) > factor * mean_stroke_width(than)


def _binarize(
    gray: np.ndarray, method: str, noise: float, norm: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(content, mask): content is inkness 0..255 (ink high); mask is binary 0/255 for measuring.

    `noise` is the pixel-noise sigma of the image *before* denoising (a median filter fools the
    estimator), used by the adaptive method to keep blank paper blank. `norm`: `gray` flattened,
    where the caller has it already.
    """
    if method == "adaptive":
        h = gray.shape[0]
        block = min(255, max(3, odd(0.6 * h)))  # >> stroke width on a line: no hollow strokes
        c = max(8.0, 4.0 * noise)  # blank paper's noise never crosses mean - C
        mask = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, c)
        return mask, mask
    if method not in ("otsu", "none"):
        raise ValueError(f"unknown binarize method {method!r} (expected none, otsu or adaptive)")
    norm = flatten_background(gray) if norm is None else norm
    t, paper, sigma = paper_threshold(norm)
    if t < 0:
        mask = np.zeros_like(norm)
    else:
        _, mask = cv2.threshold(norm, t, 255, cv2.THRESH_BINARY_INV)
    if method == "otsu":
        return mask, mask
    # "none": keep gray levels, stretched so typical ink ~1 and paper (within noise) 0
    ink_hist = cv2.calcHist([norm], [0], mask, [256], [0, 256]).ravel()
    lo = hist_quantile(ink_hist, 0.1) if ink_hist.sum() > 0 else 0
    hi = paper - 2.0 * sigma
    if hi - lo < 1.0:
        hi = lo + 1.0
    levels = np.arange(256, dtype=np.float32)
    lut = np.clip((hi - levels) / (hi - lo), 0.0, 1.0) * 255.0
    content = cv2.LUT(norm, np.rint(lut).astype(np.uint8))
    return content, mask


def _hairlines(norm: np.ndarray, mask: np.ndarray) -> np.ndarray | None:
    """Thin faint strokes that the threshold (and the median filter before it) lost but that join
    the ink of `mask`: the hairline upstrokes of a nib or a fine pen, the thin ends of a fast
    stroke. Read without them, a school copybook hand fell apart into its downstrokes ("card" read
    "nh"). `norm` is the image before denoising, flattened (`flatten_background`); None when
    nothing is added."""
    t, paper, sigma = paper_threshold(norm)
    if t < 0:
        return None
    ink = mask > 0
    thin = cv2.morphologyEx(norm, cv2.MORPH_BLACKHAT, np.ones((3, 3), np.uint8)) >= _HAIRLINE_CONTRAST
    faint = thin & (norm <= paper - max(_HAIRLINE_DROP, 4.0 * sigma)) & ~ink
    faint &= ~_paper_line_pieces(norm, paper, ink)
    if not faint.any():
        return None
    n, parts, stats, _ = components_with_stats(faint.view(np.uint8))
    keep = np.zeros(n, bool)
    keep[parts[faint & (cv2.dilate(mask, np.ones((3, 3), np.uint8)) > 0)]] = True  # joined to the ink
    w, h = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    length, breadth = np.maximum(w, h), np.minimum(w, h)
    # a rule or a grid line that meets the writing is thin and faint too, but runs level or upright
    keep &= (length >= _HAIRLINE_MIN_LENGTH) & (length < _HAIRLINE_MAX_ASPECT * breadth)
    keep[0] = False
    if not keep.any():
        return None
    hairlines = np.zeros(faint.shape, bool)
    hairlines[faint] = keep[parts[faint]]
    return hairlines


def _paper_line_pieces(norm: np.ndarray, paper: int, ink: np.ndarray) -> np.ndarray:
    """The rows and columns of a light printed line (a rule, a grid's line, a margin), as bool
    pixels: between close letters its pieces join the writing as a hairline would, and read as
    strokes ("món" read "trón" on squared paper). Judged on the greys (`_PAPER_LINE_DROP`), in
    each row's darkest of three (a line drawn between two rows or levelled with its page, and the
    rows beside it: its soft edges), not on what passes for a hairline: a page's line turned and
    levelled again is broken, and `split_lines` paints it as paper but near the strokes. A
    hairline that crosses such a line is cut there."""
    pieces = np.zeros(norm.shape, bool)
    off_ink = ~ink
    paper_for_ink = np.where(ink, np.uint8(paper), norm)  # the ink's grey is no line's beside it
    for axis, pool in ((1, (3, 1)), (0, (1, 3))):
        darkest = cv2.erode(paper_for_ink, np.ones(pool, np.uint8))
        lined = np.count_nonzero(off_ink & (darkest <= paper - _PAPER_LINE_DROP), axis=axis)
        lines = (lined > 0) & (lined >= _PAPER_LINE_SHARE * np.count_nonzero(off_ink, axis=axis))
        pieces |= lines[:, None] if axis == 1 else lines[None, :]
    return pieces


def _smooth(mask: np.ndarray, stroke_width: float) -> np.ndarray:
    """Blur + rethreshold: drops lone pixels, fills pinholes and notches.

    For thin strokes a 3x3 [1,2,1] blur gives a 1-px line 0.5, a diagonal 1-px line 0.375 and a
    lone pixel 0.25, hence the 0.3 threshold: no pixel with an inked neighbour is lost. Broad
    strokes get a wider blur at 0.5, which takes off whatever is under 2 px thin: on a page, the
    remnants of a light grid between its lines (`split_lines`); in the writing, its thin joins,
    which is why the model input does without it (`preprocess`).
    """
    if stroke_width >= _BROAD_PEN:
        blur = cv2.GaussianBlur(mask, (5, 5), 1.0)
        _, out = cv2.threshold(blur, 127, 255, cv2.THRESH_BINARY)
    else:
        blur = cv2.GaussianBlur(mask, (3, 3), 0)
        _, out = cv2.threshold(blur, 76, 255, cv2.THRESH_BINARY)
    return out


def _remove_specks(
    mask: np.ndarray, stroke_width: float
) -> tuple[np.ndarray, tuple[int, int, int, int] | None]:
    """Drop connected components much smaller than a dot of the pen; return (mask, ink box)."""
    n, labels, stats, _ = components_with_stats(mask)
    if n <= 1:
        return mask, None
    areas = stats[1:, cv2.CC_STAT_AREA]
    # a speck is well under a pen dot; never more than a small share of all ink (safety net)
    min_area = min(
        max(_SPECK_MIN_AREA, int(0.25 * stroke_width * stroke_width)),
        max(_SPECK_MIN_AREA, int(0.02 * areas.sum())),
    )
    keep = areas >= min_area
    if not keep.any():
        return np.zeros_like(mask), None
    kept = stats[1:][keep]
    x0 = int(kept[:, cv2.CC_STAT_LEFT].min())
    y0 = int(kept[:, cv2.CC_STAT_TOP].min())
    x1 = int((kept[:, cv2.CC_STAT_LEFT] + kept[:, cv2.CC_STAT_WIDTH]).max())
    y1 = int((kept[:, cv2.CC_STAT_TOP] + kept[:, cv2.CC_STAT_HEIGHT]).max())
    if not keep.all():
        lut = np.concatenate(([0], keep.astype(np.uint8) * 255)).astype(np.uint8)
        mask = lut[labels]
    return mask, (x0, y0, x1 - x0, y1 - y0)


def _ink_box(mask: np.ndarray, hairlines: np.ndarray) -> tuple[int, int, int, int] | None:
    """The box of `mask`'s ink without its hairlines (None: nothing else): a descender's faint tail
    made an IAM line 10 % taller, and its letters as much smaller in the model input."""
    strokes = np.where(hairlines, np.uint8(0), mask)
    return cv2.boundingRect(strokes) if cv2.countNonZero(strokes) else None


def _profile_scores(coord_a: np.ndarray, coord_b: np.ndarray, factors: np.ndarray, sq: bool) -> np.ndarray:
    """Sum of squared 1-px histograms of `coord_a + f * coord_b` (or rotated rows) per candidate."""
    if sq:  # rotation: rows of -x sin(a) + y cos(a)
        rad = np.radians(factors)[:, None]
        proj = coord_b[None, :] * np.cos(rad) - coord_a[None, :] * np.sin(rad)
    else:  # shear: columns of x + s * y
        proj = coord_a[None, :] + factors[:, None] * coord_b[None, :]
    hist = _histograms(proj).astype(np.float64)
    return (hist * hist).sum(axis=1)


def _histograms(proj: np.ndarray) -> np.ndarray:
    """1-px histograms of each row of `proj` (one row of projected points per candidate), all
    from that row's minimum and as long as the longest: (candidates, bins), in one bincount."""
    proj -= proj.min(axis=1, keepdims=True)
    bins = proj.astype(np.int64)
    length = int(bins.max()) + 1
    bins += (np.arange(len(proj), dtype=np.int64) * length)[:, None]
    return np.bincount(bins.ravel(), minlength=len(proj) * length).reshape(len(proj), length)


def _search(score: Callable[[np.ndarray], np.ndarray], limit: float, coarse: float, fine: float) -> float:
    """Coarse-to-fine argmax over [-limit, limit]; prefers 0 on (near) ties."""
    grid = np.linspace(-limit, limit, int(round(2 * limit / coarse)) + 1)
    scores = score(grid)
    best = float(grid[int(np.argmax(scores))])
    lo, hi = max(-limit, best - coarse), min(limit, best + coarse)
    grid2 = np.linspace(lo, hi, int(round((hi - lo) / fine)) + 1)
    grid2 = np.concatenate((grid2, [0.0]))
    scores2 = score(grid2)
    idx = int(np.argmax(scores2))
    if scores2[idx] <= scores2[-1] * 1.0005:  # no real gain over doing nothing
        return 0.0
    return float(grid2[idx])


def _estimate_skew(xs: np.ndarray, ys: np.ndarray) -> float:
    """Rotation (degrees) that makes the text line horizontal: max row-profile energy."""
    return _search(lambda a: _profile_scores(xs, ys, a, sq=True), _MAX_SKEW_DEG, 1.0, 0.1)


def _rotation(degrees: float) -> np.ndarray:
    """The 2x2 map (as `_warp_fit` takes it) that undoes a skew of `degrees` (`_estimate_skew`)."""
    rad = math.radians(degrees)
    return np.array([[math.cos(rad), math.sin(rad)], [-math.sin(rad), math.cos(rad)]])


def _estimate_slant(xs: np.ndarray, ys: np.ndarray) -> float:
    """Shear s (x += s*y) that makes strokes upright: max column-profile energy."""
    return _search(lambda s: _profile_scores(xs, ys, s, sq=False), _MAX_SHEAR, 0.1, 0.02)


def _warp_fit(
    content: np.ndarray,
    lin: np.ndarray,
    xs: np.ndarray,
    ys: np.ndarray,
    margin: int,
    fit_ink: bool,
) -> np.ndarray:
    """Apply the 2x2 map `lin` with the output sized to the ink (or the whole frame) + margin."""
    h, w = content.shape
    if fit_ink:
        px, py = xs, ys
        m = margin
    else:
        px, py = _corners(w, h)
        m = 0
    tx = lin[0, 0] * px + lin[0, 1] * py
    ty = lin[1, 0] * px + lin[1, 1] * py
    x0, x1 = float(tx.min()), float(tx.max())
    y0, y1 = float(ty.min()), float(ty.max())
    out_w = int(math.ceil(x1 - x0)) + 1 + 2 * m
    out_h = int(math.ceil(y1 - y0)) + 1 + 2 * m
    mat = np.array(
        [[lin[0, 0], lin[0, 1], m - x0], [lin[1, 0], lin[1, 1], m - y0]],
        np.float64,
    )
    return cv2.warpAffine(
        content, mat, (out_w, out_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0
    )


def _corners(w: int, h: int) -> tuple[np.ndarray, np.ndarray]:
    """A w x h image's corner pixels (xs, ys)."""
    return np.array([0, w - 1, 0, w - 1], np.float64), np.array([0, 0, h - 1, h - 1], np.float64)


def _frame_origin(lin: np.ndarray, w: int, h: int) -> np.ndarray:
    """Where `_warp_fit(..., fit_ink=False)` puts the top left of its output, in the mapped frame:
    the w x h image's corners mapped by `lin` start there."""
    px, py = _corners(w, h)
    return np.array([(lin[0, 0] * px + lin[0, 1] * py).min(), (lin[1, 0] * px + lin[1, 1] * py).min()])


def _unwarp(points: np.ndarray, lin: np.ndarray, w: int, h: int) -> np.ndarray:
    """Points (x, y) of `_warp_fit(image, lin, ..., fit_ink=False)`'s output, back in the w x h image."""
    return (np.linalg.inv(lin) @ (points + _frame_origin(lin, w, h)).T).T


def _ink_corners(xs: np.ndarray, ys: np.ndarray, rot: np.ndarray) -> np.ndarray:
    """The box around ink pixels (xs, ys) as the rotation `rot` levels them, its corners
    (`box_outline`) back where they lie among the pixels."""
    tx = rot[0, 0] * xs + rot[0, 1] * ys
    ty = rot[1, 0] * xs + rot[1, 1] * ys
    box = box_outline(tx.min(), ty.min(), tx.max() + 1, ty.max() + 1)
    return (rot.T @ box.T).T  # a rotation's inverse


def box_outline(x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    """A box's corners clockwise from the top left, as `PageSplit.outlines` holds them."""
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float64)


def _fine_pen_radius(mask: np.ndarray, stroke_width: float) -> int:
    """How far to widen strokes too fine for their writing (`_FINE_PEN_SHARE`; 0: not): towards
    `_THICKENED_SHARE` of the tallest line's height (`line_bands`), not the page's, and at most
    `_MAX_THICKENING`."""
    bands = line_bands(np.count_nonzero(mask, axis=1) > 0, BAND_GAP)
    height = max((end - start for start, end in bands), default=0)
    if stroke_width >= _FINE_PEN_SHARE * height:
        return 0
    return min(_MAX_THICKENING, int(round((_THICKENED_SHARE * height - stroke_width) / 2)))


def _resize_to_height(content: np.ndarray, cfg: PreprocessConfig) -> np.ndarray:
    h, w = content.shape
    target_h = cfg.height
    new_w = max(1, int(round(w * target_h / h * cfg.width_scale)))
    new_w = min(new_w, cfg.max_width)  # wider inputs are squeezed, keeping memory bounded
    out = content
    # shrink each axis with INTER_AREA first (no aliasing of thin strokes), then grow linearly
    mid = (min(w, new_w), min(h, target_h))
    if mid != (w, h):
        out = cv2.resize(out, mid, interpolation=cv2.INTER_AREA)
    if mid != (new_w, target_h):
        out = cv2.resize(out, (new_w, target_h), interpolation=cv2.INTER_LINEAR)
    if new_w < cfg.min_width:  # narrow glyphs are centred on background, not stretched
        left = (cfg.min_width - new_w) // 2
        out = cv2.copyMakeBorder(out, 0, 0, left, cfg.min_width - new_w - left, cv2.BORDER_CONSTANT, value=0)
    return out


def _display(ink: np.ndarray) -> np.ndarray:
    """Ink-high uint8 -> dark ink on white for the stage strip."""
    return cv2.bitwise_not(ink)


def _empty_result(cfg: PreprocessConfig, stages: list[Stage]) -> PreprocessResult:
    return PreprocessResult(
        image=np.zeros((cfg.height, cfg.min_width), np.float32), stages=tuple(stages), empty=True
    )


def _writing_surface(gray: np.ndarray, white_ground: bool = False) -> tuple[np.ndarray, str]:
    """Dark ink on light paper, as the rest of the pipeline expects: (image, what was changed:
    "" for nothing, "invert" or "surroundings").

    Light writing on a dark ground (chalk, white pen, a negative) is turned over: its light class
    is thin everywhere, like strokes, and the dark one is not. A photo of a page on a dark desk has
    the desk painted over in the paper's grey: dark areas too solid to be strokes (an opening wider
    than three times the ink's stroke width keeps them) outside the paper's convex hull, where the
    grey steps up to the paper (a shadow fades into it instead). With `white_ground`, a white ground
    around grey paper is painted over too (`_light_surroundings`): a line's preprocessing, not a
    page's split, whose search for printed lines needs them to reach the paper's edge. Judged on a
    copy of about `_SURFACE_PIXELS`. Ordinary scans, crops and canvas drawings come back as they
    are (every val and train image of the five real sets, measured).
    """
    h, w = gray.shape
    f = min(1.0, math.sqrt(_SURFACE_PIXELS / (h * w)))
    small = (
        cv2.resize(gray, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA)
        if f < 1.0
        else gray
    )
    split, light = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    dark = cv2.bitwise_not(light)
    light_width = mean_stroke_width(light)
    if 2.0 * light_width < mean_stroke_width(dark) and _solid_share(light, 2.0 * light_width) < 0.2:
        return cv2.bitwise_not(gray), "invert"
    k = max(5, round(0.08 * min(small.shape)))
    if white_ground and (white := _light_surroundings(small, light, int(split), k)) is not None:
        return _painted(gray, white, f), "surroundings"
    paper = cv2.morphologyEx(light, cv2.MORPH_OPEN, np.ones((k, k), np.uint8))
    if paper[0, 0] and paper[0, -1] and paper[-1, 0] and paper[-1, -1]:
        return gray, ""  # paper in every corner: nothing lies outside it
    contours, _ = cv2.findContours(paper, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return gray, ""
    hull = np.zeros_like(paper)
    cv2.fillConvexPoly(hull, cv2.convexHull(np.concatenate(contours)), 255)
    if cv2.countNonZero(hull) > (1.0 - _SURROUNDINGS_MIN_SHARE) * hull.size:
        return gray, ""
    ink_width = mean_stroke_width(cv2.bitwise_and(dark, hull))
    k = max(k, round(3.0 * ink_width) + 1)
    solid = cv2.bitwise_and(cv2.morphologyEx(dark, cv2.MORPH_OPEN, np.ones((k, k), np.uint8)), 255 - hull)
    if cv2.countNonZero(solid) < _SURROUNDINGS_MIN_SHARE * solid.size:
        return gray, ""
    # A table meets the paper at a step; a shadow across the paper fades into it: compare the
    # grey just outside the dark region with the grey just inside its edge.
    ring = np.ones((5, 5), np.uint8)
    edge_out = cv2.subtract(cv2.dilate(solid, ring), solid)
    edge_in = cv2.subtract(solid, cv2.erode(solid, ring, borderType=cv2.BORDER_REPLICATE))
    if not edge_out.any() or not edge_in.any():
        return gray, ""
    if np.median(small[edge_out > 0]) - np.median(small[edge_in > 0]) < _SURROUNDINGS_MIN_STEP:
        return gray, ""
    # The dark regions the solid parts belong to, up to just inside the paper's edge: the desk's
    # thin rim along the edge too (it would read as a long line), but not writing that touches it.
    _, regions = cv2.connectedComponents(dark)
    touched = np.unique(regions[solid > 0])
    outside = np.isin(regions, touched[touched > 0]).astype(np.uint8) * 255
    outside = cv2.bitwise_and(outside, cv2.bitwise_not(cv2.erode(hull, np.ones((5, 5), np.uint8))))
    return _painted(gray, outside, f, hull, slivers_below=int(split)), "surroundings"


def _painted(
    gray: np.ndarray,
    outside: np.ndarray,
    f: float,
    paper: np.ndarray | None = None,
    slivers_below: int | None = None,
) -> np.ndarray:
    """`gray` with `outside` (a mask of its copy at scale `f`) painted in the paper's grey: the
    median of the rest, or of `paper` (the same scale) but `outside`. With `slivers_below`, the
    desk's slivers left along the border beside what was painted, darker than that, too
    (`_border_slivers`)."""
    h, w = gray.shape
    if f < 1.0:
        outside = cv2.resize(outside, (w, h), interpolation=cv2.INTER_NEAREST)
        paper = None if paper is None else cv2.resize(paper, (w, h), interpolation=cv2.INTER_NEAREST)
    grow = 2 * int(math.ceil(1.0 / f)) + 1  # the rim's antialiased edge, at full size
    outside = cv2.dilate(outside, np.ones((grow, grow), np.uint8))
    rest = outside == 0 if paper is None else (paper > 0) & (outside == 0)
    out = gray.copy()
    out[outside > 0] = grey = int(np.median(gray[rest]))
    if slivers_below is not None:
        slivers = _border_slivers(out < slivers_below, outside, grow)
        if slivers.any():
            out[cv2.dilate(slivers, np.ones((grow, grow), np.uint8)) > 0] = grey
    return out


def _border_slivers(dark: np.ndarray, painted: np.ndarray, band: int) -> np.ndarray:
    """The desk's slivers (a mask) along the image's border beside `painted`: where a sheet turned a
    few degrees nears the border, the desk between them narrows to a sliver that the small copy
    `_writing_surface` judges from blurs into the paper. Left, it lay as a dash at the levelled
    page's top or bottom edge, which a page's split took for a line. A sliver: in each column
    (each row, at the sides) `dark` from the border in for under `band` pixels, in an unbroken run
    of such columns reaching a painted one, bridged over a margin or a rule that crosses it (dark
    further in, up to `band` columns wide: not painted). Writing does not lie along the border
    beside the desk."""
    out = np.zeros_like(painted)
    if min(out.shape) <= 2 * band:  # no room for paper between two borders' slivers
        return out
    for turns in range(4):  # each side in turn as the bottom one
        side_dark, side_painted, side_out = (np.rot90(a, turns) for a in (dark, painted, out))
        depth = np.cumprod(side_dark[::-1][:band], axis=0).sum(axis=0)  # dark rows from the border in
        thin = (depth > 0) & (depth < band)
        deep = depth >= band
        for start, stop in flag_runs(deep):
            deep[start:stop] = stop - start <= band  # a line across the border, not the desk itself
        sliver = np.zeros_like(thin)
        for start, stop in flag_runs(thin | deep | (side_painted[-1] > 0)):
            if (side_painted[-1, start:stop] > 0).any():
                sliver[start:stop] = thin[start:stop]
        from_border = np.arange(band)[::-1, None]  # each of the last rows' distance from the border
        side_out[-band:] |= (from_border < np.where(sliver, depth, 0)).astype(np.uint8) * np.uint8(255)
    return out


def _light_surroundings(small: np.ndarray, light: np.ndarray, split: int, k: int) -> np.ndarray | None:
    """A mask of `small` (a copy of the image; `light`: its Otsu light class, over `split`) for a
    white ground around grey paper, or None: the light class's brighter part, solid (opened by
    `k`), touching the image's edge, a tenth to 60 % of the image, even,
    `_LIGHT_SURROUNDINGS_MIN_STEP` whiter than the rest of the paper, with no ink within it (its
    holes filled). Flattened by the white beside it (`paper_estimate` takes the brightest grey
    about), grey paper stayed as grey as faint ink, and the threshold fell under the writing's."""
    hist = cv2.calcHist([small], [0], None, [256], [0, 256]).ravel()
    hist[: split + 1] = 0  # the light class's
    cum = np.cumsum(hist)
    paper = hist_quantile(hist, 0.5)  # the light class's median: the paper's grey
    # where there is more paper than white. Most images stop here: no room for a whiter ground, or
    # under 5 % of the image over 10 grey levels whiter than the paper
    if paper > 255 - _LIGHT_SURROUNDINGS_MIN_STEP or cum[-1] - cum[paper + 10] < 0.05 * small.size:
        return None
    t = otsu_from_hist(hist)  # the paper and the white
    bright = cv2.morphologyEx((small > t).view(np.uint8) * 255, cv2.MORPH_OPEN, np.ones((k, k), np.uint8))
    if cv2.countNonZero(bright) < 0.1 * bright.size:
        return None
    n, labels = cv2.connectedComponents(bright)
    at_edge = np.zeros(n, np.uint8)
    at_edge[np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])] = 255
    at_edge[0] = 0
    white = at_edge[labels]
    if cv2.countNonZero(white) < 0.1 * white.size or cv2.countNonZero(white) > 0.6 * white.size:
        return None
    low, high = np.percentile(small[white > 0], [10, 90])
    if high - low > _LIGHT_SURROUNDINGS_MAX_SPREAD:
        return None  # not one even white: the bright side of a page in shade
    rest = small[(light > 0) & (white == 0)]
    if rest.size == 0 or np.median(small[white > 0]) - np.median(rest) < _LIGHT_SURROUNDINGS_MIN_STEP:
        return None  # the paper is as white (a rule under a word parts it from the rest)
    contours, _ = cv2.findContours(white, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    filled = cv2.drawContours(np.zeros_like(white), contours, -1, 255, cv2.FILLED)
    inner = cv2.erode(filled, np.ones((5, 5), np.uint8))
    if cv2.countNonZero(cv2.bitwise_and(inner, cv2.bitwise_not(light))):
        return None  # ink within it: it is the paper (white paper on a grey desk)
    return white


def _keep_near(content: np.ndarray, mask: np.ndarray, binary: bool) -> np.ndarray:
    """The work image after `mask` changed: the mask itself in binary mode; in gray mode the gray
    levels within a pixel of its ink, zero elsewhere (paper texture, specks, what was taken out)."""
    return mask if binary else cv2.bitwise_and(content, cv2.dilate(mask, np.ones((3, 3), np.uint8)))


def _solid_share(mask: np.ndarray, width: float) -> float:
    """The share of a mask's pixels inside squares wider than `width` that fit in it."""
    k = int(round(width)) + 1
    opened = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((k, k), np.uint8))
    return cv2.countNonZero(opened) / max(cv2.countNonZero(mask), 1)


# --------------------------------------------------------------------------------------------
# Public pipeline
# --------------------------------------------------------------------------------------------


def preprocess(
    image: np.ndarray, cfg: PreprocessConfig = _DEFAULT_CFG, keep_stages: bool = False
) -> PreprocessResult:
    """Turn a handwriting image (any dtype/channels) into the model input; see the module doc."""
    stages: list[Stage] = []

    def record(name: str, display: np.ndarray) -> None:
        if keep_stages:
            stages.append(Stage(name, display))

    arr = np.asarray(image)
    if arr.ndim in (2, 3) and arr.size == 0:  # zero-area selection: nothing to read
        return _empty_result(cfg, stages)
    gray = to_grayscale(arr)
    record("load", gray)

    h, w = gray.shape
    work_h = _MIN_WORK_HEIGHT_FACTOR * cfg.height
    lines_from = gray  # where a written line is looked for (`line` below): as given, or shrunk
    if h * w > _WORK_MAX_PIXELS:
        f = math.sqrt(_WORK_MAX_PIXELS / (h * w))
        gray = cv2.resize(gray, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA)
        lines_from = gray
    elif h < work_h and round(w * work_h / h) * work_h <= _WORK_MAX_PIXELS:
        # Small text (a 31-px form crop): thresholding and smoothing at that size merge a letter's
        # strokes into a blob, so work at twice the model's height instead.
        gray = cv2.resize(gray, (max(1, round(w * work_h / h)), work_h), interpolation=cv2.INTER_CUBIC)
    record("grayscale", gray)
    to_input = np.array([w / gray.shape[1], h / gray.shape[0]])  # from the working size back

    lo, hi, _, _ = cv2.minMaxLoc(gray)
    if hi - lo < _MIN_CONTRAST:  # blank page, all-black page, 1x1
        return _empty_result(cfg, stages)
    gray, changed = _writing_surface(gray, white_ground=True)
    if changed:
        record(changed, gray)

    noise = noise_sigma(gray) if cfg.binarize == "adaptive" else 0.0

    def threshold(gray: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
        """(denoised gray, content, mask, the hairlines added to the mask)"""
        norm = flatten_background(gray)  # once: the filter's test, the threshold and the hairlines
        denoised = _denoise(gray, norm) if cfg.denoise else gray
        content, mask = _binarize(denoised, cfg.binarize, noise, norm if denoised is gray else None)
        if denoised is not gray:
            # The filter quietens the paper, so the threshold moves towards it and takes in the
            # blur beside a fine pen's strokes: a photo turned and levelled again read in blobs
            plain = _binarize(gray, cfg.binarize, noise, norm)
            if _wider(mask, plain[1], _MEDIAN_MAX_WIDENING):
                denoised, (content, mask) = gray, plain
        hairlines = _hairlines(norm, mask) if cfg.hairlines and content is mask else None
        if hairlines is not None:
            content = mask = np.where(hairlines, np.uint8(255), mask)
        return denoised, content, mask, hairlines

    denoised, content, mask, hairlines = threshold(gray)
    if cfg.denoise:
        record("denoise", denoised)
    binary = content is mask
    record("binarize", _display(content))
    if cv2.countNonZero(mask) == 0:
        return _empty_result(cfg, stages)

    sw = mean_stroke_width(mask)
    margin_line = printed_margin(mask, denoised, sw)
    if margin_line is not None:
        # a notebook's margin through one line: painted as paper, then denoised and thresholded
        # again (its grey swayed both)
        gray = gray.copy()
        gray[margin_line] = paper_estimate(gray)[margin_line]
        _, content, mask, hairlines = threshold(gray)
        record("margin", _display(content))
        sw = mean_stroke_width(mask)

    if cfg.smooth:
        # A broad pen's strokes stay as thresholded (the median filter before thresholding
        # smooths them): the wider blur took their thin joins off (IAM lines 13.26 -> 12.96 %). A
        # fine pen's smoothing keeps every hairline pixel, since each has an inked neighbour.
        if sw < _BROAD_PEN:
            mask = _smooth(mask, sw)
        content = _keep_near(content, mask, binary)
        record("smooth", _display(content))
        if cv2.countNonZero(mask) == 0:
            return _empty_result(cfg, stages)

    rules = rule_rows(mask)
    if rules.any():  # ruled paper, an underline: not part of the text
        mask = mask.copy()
        mask[rules] = 0
        content = _keep_near(content, mask, binary)
        record("rules", _display(content))

    line = None
    at: np.ndarray | None = None  # where `line` starts in `lines_from` (x, y), where known
    if cfg.written_line and cfg.crop:
        # (cheap) only with few lines split at full cost
        split = split_page(lines_from) if few_lines(mask) else PageSplit([])
        found = written_line_rows(split.crops)
        if found is not None:
            k, rows = found
            line = split.crops[k][rows]
            at = np.array([0.0, split.tops[k] + rows.start]) if split.tops else None
        source, base = (lines_from, np.zeros(2)) if line is None else (line, at)
        window = after_label_window(source)
        if window is not None:
            rows, cols = window
            line = source[rows, cols]
            at = None if base is None else base + (cols.start, rows.start)
    if line is not None:
        # a form's printed label, a neighbour's line cut by the crop: the written line is read
        # alone, from its own grays (thresholds measured with the rest in swayed them)
        chosen = preprocess(line, replace(cfg, written_line=False), keep_stages)
        shown = (*stages[:1], Stage("line", line), *chosen.stages[1:])
        outline = None
        if chosen.ink_outline is not None and at is not None:  # in the image given, as any reading's
            outline = (chosen.ink_outline + at) * (np.array([w, h]) / lines_from.shape[::-1])
        return replace(chosen, stages=shown, written_line=True, ink_outline=outline)

    margin = 1
    origin = np.zeros(2)  # the crop's top left
    if cfg.crop:
        clean, box = _remove_specks(mask, sw)
        if box is None:
            return _empty_result(cfg, stages)
        if clean is not mask:
            content = _keep_near(content, clean, binary)
            mask = clean
        if hairlines is not None:  # they join strokes but do not set the writing's extent
            box = _ink_box(clean, hairlines) or box
        bx, by, bw, bh = box
        margin = max(1, bh // 32)
        x0, y0 = max(0, bx - margin), max(0, by - margin)
        x1, y1 = min(mask.shape[1], bx + bw + margin), min(mask.shape[0], by + bh + margin)
        mask = mask[y0:y1, x0:x1]
        content = mask if binary else content[y0:y1, x0:x1]
        origin = np.array([x0, y0], np.float64)
        record("crop", _display(content))

    radius = _fine_pen_radius(mask, sw)
    if radius > 0:
        disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
        mask = cv2.dilate(mask, disc)
        content = mask if binary else cv2.dilate(content, disc)
        record("thicken", _display(content))

    ys_all, xs_all = np.nonzero(mask)
    xs_f = xs_all.astype(np.float64)
    ys_f = ys_all.astype(np.float64)
    rot = np.eye(2)
    if (cfg.deskew or cfg.slant) and xs_f.size:
        step = -(-len(xs_f) // _MEASURE_MAX_POINTS)  # ceil
        xs_s = xs_f[::step] - xs_f.mean()
        ys_s = ys_f[::step] - ys_f.mean()
        angle = 0.0
        ink_w = int(xs_all.max() - xs_all.min()) + 1
        ink_h = int(ys_all.max() - ys_all.min()) + 1
        # a short word's row profile says little about its baseline: leave it alone
        if cfg.deskew and ink_w >= 3 * ink_h and len(xs_s) >= 50:
            angle = _estimate_skew(xs_s, ys_s)
        rot = _rotation(angle)
        if cfg.deskew:
            rotated = _warp_fit(content, rot, xs_f, ys_f, margin, cfg.crop) if angle != 0.0 else content
            record("deskew", _display(rotated))
        shear = 0.0
        if cfg.slant and len(xs_s) >= 20:
            xr = rot[0, 0] * xs_s + rot[0, 1] * ys_s
            yr = rot[1, 0] * xs_s + rot[1, 1] * ys_s
            shear = _estimate_slant(xr, yr)
        if angle != 0.0 or shear != 0.0:
            # one combined warp: a single interpolation instead of two
            lin = np.array([[1.0, shear], [0.0, 1.0]]) @ rot
            content = _warp_fit(content, lin, xs_f, ys_f, margin, cfg.crop)
        if cfg.slant:
            record("slant", _display(content))

    out = _resize_to_height(content, cfg)
    record("resize", _display(out))
    if cfg.pad > 0:
        out = cv2.copyMakeBorder(out, 0, 0, cfg.pad, cfg.pad, cv2.BORDER_CONSTANT, value=0)
    record("pad", _display(out))
    result = out.astype(np.float32) * np.float32(1.0 / 255.0)
    outline = (_ink_corners(xs_f, ys_f, rot) + origin) * to_input if xs_f.size else None
    return PreprocessResult(image=result, stages=tuple(stages), empty=False, ink_outline=outline)


# --------------------------------------------------------------------------------------------
# Canvas rendering and line splitting
# --------------------------------------------------------------------------------------------


def render_strokes(
    strokes: Sequence[Sequence[tuple[float, float]]],
    pen_width: float = 3.0,
    margin: float = 8,
    scale: float = 1.0,
    nib: tuple[float, float] | None = None,
) -> np.ndarray:
    """Canvas polylines (canvas pixel coordinates) -> uint8 gray, black antialiased ink on white.

    Round caps and joins (OpenCV thick lines); a one-point stroke is a dot. The image spans the
    points' bounding box plus margin and half the pen; no points -> a 32x32 white image.
    `nib` (thin, angle): drawn with a broad nib held at `angle` radians from the horizontal
    instead of a round pen, each piece of a stroke as wide as the nib's edge across it, from
    `thin` x `pen_width` (along the edge: a fountain pen's hairline) to `pen_width` (across it).
    """
    if not (math.isfinite(scale) and scale > 0):
        raise ValueError(f"render_strokes: scale must be a positive number, got {scale!r}")
    pen = float(pen_width) if math.isfinite(pen_width) and pen_width > 0 else 1.0
    polys: list[np.ndarray] = []
    for stroke in strokes:
        pts = np.asarray(stroke, dtype=np.float64).reshape(-1, 2)
        pts = pts[np.isfinite(pts).all(axis=1)]
        if len(pts):
            polys.append(pts)
    if not polys:
        return np.full((32, 32), 255, np.uint8)
    allp = np.concatenate(polys)
    mn = allp.min(axis=0)
    extent = allp.max(axis=0) - mn
    border = max(0, margin) + pen / 2.0
    size = (extent + 2.0 * border) * scale
    if size[0] * size[1] > _RENDER_MAX_PIXELS or size.max() > 16384:  # absurd coordinates: shrink
        shrink = min(math.sqrt(_RENDER_MAX_PIXELS / max(size[0] * size[1], 1.0)), 16384 / size.max())
        scale *= shrink
        size = size * shrink
    out_w, out_h = int(math.ceil(size[0])) + 1, int(math.ceil(size[1])) + 1
    # supersample then INTER_AREA: exact fractional pen widths and clean antialiasing
    ss = 4 if out_w * out_h * 16 <= 8_000_000 else (2 if out_w * out_h * 4 <= 8_000_000 else 1)
    canvas = np.full((out_h * ss, out_w * ss), 255, np.uint8)
    shift = 4
    fixed = float(1 << shift)
    px_per_unit = scale * ss
    thickness = max(1, int(round(pen * px_per_unit)))
    line_type = cv2.LINE_8 if ss > 1 else cv2.LINE_AA
    for pts in polys:
        p = (pts - mn + border) * px_per_unit
        ip = np.rint(p * fixed).astype(np.int32)
        if len(ip) == 1 or np.ptp(ip, axis=0).max() == 0:
            radius = int(round(thickness / 2.0 * fixed))
            cv2.circle(canvas, (int(ip[0, 0]), int(ip[0, 1])), max(radius, 1), 0, -1, line_type, shift)
        elif nib is None:
            cv2.polylines(canvas, [ip.reshape(-1, 1, 2)], False, 0, thickness, line_type, shift)
        else:
            thin, angle = nib
            steps = np.diff(p, axis=0)
            across = np.abs(np.sin(np.arctan2(steps[:, 1], steps[:, 0]) - angle))
            widths = np.maximum(1, np.rint(thickness * (thin + (1.0 - thin) * across))).astype(int)
            for a, b, width in zip(ip[:-1].tolist(), ip[1:].tolist(), widths.tolist(), strict=True):
                cv2.line(canvas, a, b, 0, width, line_type, shift)
    if ss > 1:
        canvas = cv2.resize(canvas, (out_w, out_h), interpolation=cv2.INTER_AREA)
    return canvas


def split_lines(gray: np.ndarray, min_gap: int = 3, level: bool = True) -> list[np.ndarray]:
    """Split a multi-line page into uint8 line crops (top to bottom): `split_page`'s crops."""
    return split_page(gray, min_gap, level).crops


def split_page(
    gray: np.ndarray, min_gap: int = 3, level: bool = True, words_apart: bool = False
) -> PageSplit:
    """Split a multi-line page into uint8 line crops (top to bottom) by the row ink profile.

    Bands under half the tallest one's height (diacritics, i-dots) join the nearest line: against
    the median instead, a word's floating accent counted as a line of its own in 16 % of VNOnDB's
    single words (6 % now; `_MINOR_BAND_SHARE`). The price: a line under half the tallest one's
    height (only x-height letters in a much larger hand) joins its neighbour too.
    A tilted page's lines share rows (two degrees over a line's length is more than the gap
    between lines), so the page is also measured levelled (`_page_rotation`), and cut there when
    that finds more lines (`level=False`: never). Only then: a single word's tilt is a guess, and
    levelling words by it changed how their accents split. One line -> [the image]; no ink -> [].
    Two lines may be a word's accents and its letters (`maybe_accents`): `PageSplit.maybe_accents`.
    `words_apart`: a page read as a page, where a short word may be a line of its own (`line_bands`);
    not where its paper's lines were taken out (what is left of them would count as lines too).
    """
    none = PageSplit([])
    g = to_grayscale(gray)
    lo, hi, _, _ = cv2.minMaxLoc(g)
    if hi - lo < _MIN_CONTRAST:
        return none
    g, _ = _writing_surface(g)
    norm = flatten_background(g)
    t, paper, _ = paper_threshold(norm)
    g, paper_lined = remove_paper_lines(g, norm, paper)
    if paper_lined:  # measured again without them
        words_apart = False  # what is left of them must join the writing as before
        norm = flatten_background(g)
        t, paper, _ = paper_threshold(norm)
    if t < 0:
        return none
    _, mask = cv2.threshold(norm, t, 255, cv2.THRESH_BINARY_INV)
    sw = mean_stroke_width(mask)
    mask, box = _remove_specks(_smooth(mask, sw), sw)
    if box is None:
        return none
    page = g
    ys, xs = np.nonzero(mask)
    bands = page_bands(mask, min_gap, RowInk.of(ys, xs, mask.shape[0]) if words_apart else None)
    band_ys = ys  # the ink's rows in the bands' frame
    rot = _page_rotation(xs, ys) if level else None
    levelled: tuple[np.ndarray, np.ndarray, int] | None = None  # (page, flattened, paper level)
    one_line: PageSplit | None = None  # the page levelled, its paper's lines taken out, as one line
    if (
        rot is not None
        and np.ptp(ys) >= LINE_MIN_STROKES * sw  # else no line found could count (remove_paper_lines)
        and (upright := _upright_line_rotation(drawn_mask(norm, paper))) is not None
    ):
        # A margin (or a grid) on a tilted page joins its lines, in every row whichever way the
        # page is turned (or splits them wrongly); it is found once it stands upright, and tells
        # the tilt better than the writing does.
        turned = 255 - _warp_fit(255 - g, upright, xs, ys, 0, False)
        turned_norm = flatten_background(turned)
        levelled = (turned, turned_norm, paper_threshold(turned_norm)[1])
        painted, lined = remove_paper_lines(*levelled)
        if lined and len((lines := split_page(painted, min_gap, level=False)).crops) > 1:
            return _turned_back(replace(lines, without_paper_lines=True), upright, g.shape)
        if lined and lines.crops:  # one line, or not all of the lines were found (a grid's, in pieces)
            one_line = _turned_back(_main_line(lines), upright, g.shape)
    band_xs: np.ndarray = xs
    page_turn: np.ndarray | None = None  # the rotation from g to `page`, where they differ
    if rot is not None:  # a tilted page's lines share rows: count them levelled
        frame_left, frame_top = _frame_origin(rot, g.shape[1], g.shape[0])
        level_y = np.rint(rot[1, 0] * xs + rot[1, 1] * ys - frame_top).astype(np.int64)
        level_x = rot[0, 0] * xs + rot[0, 1] * ys
        level_ink = np.bincount(level_y)
        row_ink = RowInk.of(level_y, level_x, len(level_ink)) if words_apart else None
        level_bands = line_bands(level_ink > 0, min_gap, row_ink)  # rules: edges blur here
        if len(level_bands) > len(bands) and long_lines(level_bands, level_y, level_x):
            page = 255 - _warp_fit(255 - g, rot, xs, ys, 0, False)  # uncovered corners: white
            # No margin told the tilt: the paper's printed lines, turned with it, are looked for
            # levelled by the ink's (a word on a ruled sheet: its rules had passed for lines)
            if levelled is None and (ruled := _without_paper_lines(page, min_gap)) is not None:
                return _turned_back(ruled, rot, g.shape)
            bands, band_ys, band_xs = level_bands, level_y, level_x - frame_left
            page_turn = rot
    if (len(bands) <= 1 or one_line is not None) and levelled is not None:
        # Still one band, or one line once the paper's lines were taken out: a light grid's thin
        # lines, blurred by the turn and the levelling, may have come in pieces too short to count;
        # looked for again, pieced together. Else that one line it is: the other bands the page
        # splits into levelled are its paper's lines.
        painted, lined = remove_paper_lines(*levelled, pieces=True)
        if lined and len((lines := split_page(painted, min_gap, level=False)).crops) > 1:
            return _turned_back(replace(lines, without_paper_lines=True), upright, g.shape)
        if lined and one_line is not None and lines.crops:  # more of its paper's lines taken out
            one_line = _turned_back(_main_line(lines), upright, g.shape)
        if one_line is not None:
            return one_line
    if len(bands) <= 1:  # one line, as it came: preprocessing levels a line itself
        x, y, w, h = box
        one = PageSplit([g], outlines=[box_outline(x, y, x + w, y + h)])
        ruled_off = bool(bands) and (bands[0][0] > y or bands[0][1] < y + h)  # a line drawn apart
        return _main_line(one) if paper_lined or ruled_off else one
    crops: list[np.ndarray] = []
    outlines: list[np.ndarray] = []
    tops: list[int] = []
    for k, (s, e) in enumerate(bands):
        pad = max(2, (e - s) // 4)
        top = max(0, s - pad)
        bottom = min(page.shape[0], e + pad)
        if k > 0:  # never reach past the middle of the gap into the neighbouring line
            top = max(top, (bands[k - 1][1] + s) // 2)
        if k + 1 < len(bands):
            bottom = min(bottom, (e + bands[k + 1][0] + 1) // 2)
        crops.append(page[top:bottom].copy())
        tops.append(top)
        along = band_xs[(band_ys >= s) & (band_ys < e)]
        left, right = (float(along.min()), float(along.max()) + 1) if along.size else (0.0, page.shape[1])
        outline = box_outline(left, top, right, bottom)
        outlines.append(outline if page_turn is None else _unwarp(outline, page_turn, g.shape[1], g.shape[0]))
    return PageSplit(
        crops,
        maybe_accents(bands, band_ys),
        outlines,
        without_paper_lines=paper_lined,
        tops=tops if page_turn is None else [],
    )


def _without_paper_lines(page: np.ndarray, min_gap: int) -> PageSplit | None:
    """`page`'s lines with its paper's printed lines taken out (one line: `_main_line`), or None
    when it has no such lines."""
    painted, lined = _paper_lines_painted(page)
    if not lined or not (lines := split_page(painted, min_gap, level=False)).crops:
        return None
    return replace(lines, without_paper_lines=True) if len(lines.crops) > 1 else _main_line(lines)


def _paper_lines_painted(image: np.ndarray) -> tuple[np.ndarray, bool]:
    """`remove_paper_lines` on `image` as it is, its paper measured flattened."""
    norm = flatten_background(image)
    return remove_paper_lines(image, norm, paper_threshold(norm)[1])


def _main_line(split: PageSplit) -> PageSplit:
    """A page's one line, its paper's printed lines taken out (`PageSplit.without_paper_lines`):
    cut to the band of rows holding the most ink and 1.6 of its height above and below it, its rules
    looked for again there (on the page, a stray mark past the writing's end, what is left of a
    desk's edge, kept them: they must reach past both ends of the writing), then cut to that band
    and the bands within half its height of it (descenders, accents; an accent within its height,
    `_an_accent`). Stray marks further off had made the line a sliver of the page."""
    (page,) = split.crops
    rows = _main_rows(page, grow=False)
    if rows is None:
        return replace(split, without_paper_lines=True)
    line, _ = _paper_lines_painted(page[rows[0] : rows[1]])
    top, bottom = _main_rows(line, grow=True) or (0, line.shape[0])
    cut = line[top:bottom].copy()
    mask = ink_mask(cut)
    columns = np.flatnonzero(mask.any(axis=0)) if mask is not None else np.array([])
    left, right = (float(columns[0]), float(columns[-1]) + 1) if columns.size else (0.0, float(cut.shape[1]))
    outline = box_outline(left, rows[0] + top, right, rows[0] + bottom)
    return PageSplit([cut], outlines=[outline], without_paper_lines=True)


def ink_mask(image: np.ndarray) -> np.ndarray | None:
    """The ink of an image (its background flattened, thresholded); None when it has none."""
    norm = flatten_background(image)
    t, _, _ = paper_threshold(norm)
    return None if t < 0 else cv2.threshold(norm, t, 255, cv2.THRESH_BINARY_INV)[1]


def _main_rows(image: np.ndarray, grow: bool) -> tuple[int, int] | None:
    """The rows around the band of `image` holding the most ink: `_ACCENT_REACH` of its height above
    and below it, or (`grow`) the bands within half its height of it and its accents
    (`_an_accent`), with an eighth of their height around."""
    mask = ink_mask(image)
    if mask is None:
        return None
    # a column inked down most of the page is a margin or a border left in it, not writing: counted,
    # it made every row hold ink, and the page one band. So are the columns either side of it: a
    # line turned and levelled again is blurred, its edges inked in dashes that joined the rows.
    down = (np.count_nonzero(mask, axis=0) >= _DOWN_THE_PAGE * mask.shape[0]).astype(np.uint8)
    writing = cv2.dilate(down[None, :], np.ones((1, 5), np.uint8))[0] == 0
    ys, xs = np.nonzero(mask[:, writing])
    ink = RowInk.of(ys, np.flatnonzero(writing)[xs], mask.shape[0])
    runs = joined_runs(ink.count > 0, 3)
    if not runs:
        return None
    first = last = max(range(len(runs)), key=lambda k: ink.within(*runs[k])[0])
    height = runs[first][1] - runs[first][0]
    if not grow:  # wide enough for a word's accents floating a band's height off (`_an_accent`)
        reach = round(_ACCENT_REACH * height)
        return max(0, runs[first][0] - reach), min(image.shape[0], runs[first][1] + reach)
    main = runs[first]
    while first > 0 and (
        runs[first][0] - runs[first - 1][1] <= height / 2 or _an_accent(runs[first - 1], main, ink)
    ):
        first -= 1
    while last + 1 < len(runs) and (
        runs[last + 1][0] - runs[last][1] <= height / 2 or _an_accent(runs[last + 1], main, ink)
    ):
        last += 1
    pad = max(2, (runs[last][1] - runs[first][0]) // 8)
    return max(0, runs[first][0] - pad), min(image.shape[0], runs[last][1] + pad)


def _an_accent(band: list[int], word: list[int], ink: RowInk) -> bool:
    """Whether `band` is `word`'s floating accent (a VNOnDB acute floats 0.6 of the word's height
    off, over a notebook's rule): within the word's height of it, lower than half of it, holding
    under `_ACCENT_SHARE` of its ink, over or under it within its own width, and no longer than
    `_ACCENT_ASPECT` times its height (a signature's line drawn under the writing is)."""
    height = word[1] - word[0]
    gap = band[0] - word[1] if band[0] >= word[1] else word[0] - band[1]
    _, left, right = ink.within(*band)
    return (
        gap <= height
        and band[1] - band[0] < height / 2
        and right - left + 1 <= _ACCENT_ASPECT * (band[1] - band[0])
        and over_its_word(band, word, ink, _ACCENT_SHARE)
    )


def _turned_back(split: PageSplit, turn: np.ndarray, shape: tuple[int, ...]) -> PageSplit:
    """A split of the image turned by `turn` (`_warp_fit`, whole frame) with its outlines in the
    image before the turn, of `shape`."""
    h, w = shape[:2]
    return replace(split, outlines=[_unwarp(o, turn, w, h) for o in split.outlines])


def _upright_line_rotation(mask: np.ndarray) -> np.ndarray | None:
    """The rotation (as `_page_rotation`) that stands a long straight line in a mask (`drawn_mask`) upright,
    if there is one: a column holding `LINE_SPAN` of the ink's height at some angle within
    `_MAX_SKEW_DEG` (every quarter degree), then the angle fitted to that column's points.
    Searched among the ink's upright runs only (at most `_LINE_SEARCH_POINTS` of them): a line
    within 10 degrees of upright is made of such runs, and most of the writing is not."""
    ys, xs = np.nonzero(cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((_UPRIGHT_RUN, 1), np.uint8)))
    step = max(1, -(-len(xs) // _LINE_SEARCH_POINTS))  # ceil; none upright (a fine pen's ink): 1
    x, y = xs[::step].astype(np.float64), ys[::step].astype(np.float64)
    if len(x) < 50:
        return None
    rad = np.radians(np.arange(-_MAX_SKEW_DEG, _MAX_SKEW_DEG + 1e-9, 0.25))[:, None]
    counts = _histograms(np.rint(x * np.cos(rad) + y * np.sin(rad)))  # x after each rotation
    best = int(np.argmax(counts.max(axis=1)))
    if counts[best].max() * step < LINE_SPAN * float(np.ptp(ys)):
        return None
    a = float(rad[best, 0])
    column = float(np.argmax(counts[best])) + float((x * math.cos(a) + y * math.sin(a)).min())
    on = np.abs(xs * math.cos(a) + ys * math.sin(a) - column) <= 2.0
    slope = np.polyfit(ys[on].astype(np.float64), xs[on].astype(np.float64), 1)[0]  # x = slope * y + c
    fitted = math.degrees(math.atan(-slope))
    # strokes that happen to line up (a thick hand's stems) fit no line at the search's angle
    return _rotation(fitted) if abs(fitted - math.degrees(a)) <= 0.5 else None


def _page_rotation(xs: np.ndarray, ys: np.ndarray) -> np.ndarray | None:
    """The rotation (2x2, as `_warp_fit` takes it) that levels a page's ink pixels (xs, ys), or
    None when they are level already: the measure of a single line's deskew, since rows are
    sharpest when the lines run along them."""
    step = -(-len(xs) // _PAGE_MEASURE_POINTS)  # ceil
    xs_s = xs[::step].astype(np.float64)
    ys_s = ys[::step].astype(np.float64)
    if len(xs_s) < 50:
        return None
    angle = _estimate_skew(xs_s - xs_s.mean(), ys_s - ys_s.mean())
    return _rotation(angle) if angle != 0.0 else None
