"""Which way up a scan or photo of writing is: the quarter turn that sets its lines upright.

A scanner's feeder or a phone held sideways (a photo without its orientation tag) gives a page
lying on its side or upside down, which reads as noise. Two questions, answered apart, since
neither cue answers both (`benchmarks/orientation.py`):

- **Do its lines run across or down?** Geometry: ink closed along its rows merges a line's letters
  into long flat blobs when the lines run across, and into stubs when they run down (`axis_lean`).
  The model cannot tell this: a line read sideways can read about as surely as upright (IAM).
- **Which end is up?** The model: each of 180 val lines (60 of each line set) read surer the right
  way up than upside down, most by a tenth of mean character confidence or more; geometry (more
  ink above a line's middle band than below: ascenders, capitals, accents) tells it only on
  average, and says when the second reading is worth its time (`updown_lean`).

A turn is made only when the turned reading is clearly surer than the image as it was (`_surer`),
and a quarter turn only for enough writing (`_MIN_SPAN` line heights along its lines): a word or a
short name is turned only upside down, and only when far surer (`SHORT_SURER_BY`); nothing the two
cues disagree on is turned.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import cv2
import numpy as np

from .components import components_with_stats
from .image_io import rotate_clockwise, to_grayscale
from .preprocess import ink_mask

R = TypeVar("R")

_AXIS_MARGIN = 0.5  # mean log(width / height) of the blobs, across minus down, to call the lines'
_UPSIDE_DOWN_LEAN = -0.2  # log(ink above / below a line's middle band) under which to look again (session 41)
_MIN_SPAN = 6  # its lines' length (summed) in the tallest one's heights: less, turned only upside down
_CHUNK = 4  # line heights per piece of a line whose middle band is found on its own (lines wave)
_MAX_SIDE = 1200  # longer images are shrunk to this first: the cues are coarse, and time counts
SURER_BY = 0.1  # mean character confidence by which a turned reading must beat the image as it was
# ... for writing under _MIN_SPAN long (a word, a name), upside down only: with the upside-down
# cue, 0 of 1,000 upright VNOnDB val words and 298 Kaggle names turned at 0.25 (1 name at 0.2, 3 at
# 0.1), and 22 % and 13 % of them stored upside down turned back (session 47)
SHORT_SURER_BY = 0.25
_DOUBT = 3  # characters of even odds that a reading's mean confidence is taken with (`_surer`)


@dataclass(frozen=True)
class Upright(Generic[R]):
    """A reading of the image turned `turn` degrees clockwise (0: as it was)."""

    turn: int
    reading: R


def read_upright(
    image: np.ndarray, read: Callable[[np.ndarray], R], confidences: Callable[[R], Sequence[float]]
) -> Upright[R]:
    """Read `image` the way up its writing is: `read` it as it is and, where the cues above say
    so, turned; a turned reading wins only if it is surer (`_surer`)."""
    ink = _small_ink(image)
    lean = axis_lean(ink) if ink is not None else 0.0
    as_is = read(image)
    if ink is None or abs(lean) < _AXIS_MARGIN:
        return Upright(0, as_is)
    if lean > 0:  # lines across: upright or upside down
        span, updown = updown_lean(ink)
        if updown >= _UPSIDE_DOWN_LEAN:
            return Upright(0, as_is)
        margin = SURER_BY if span >= _MIN_SPAN else SHORT_SURER_BY
        turned = Upright(180, read(rotate_clockwise(image, 180)))
        surer = _surer(confidences(turned.reading), confidences(as_is), margin)
        return turned if surer else Upright(0, as_is)
    # lines down: on its left or right side (a word's: never, its lines' way too doubtful)
    span, _ = updown_lean(np.ascontiguousarray(np.rot90(ink)))
    if span < _MIN_SPAN:
        return Upright(0, as_is)
    right = Upright(90, read(rotate_clockwise(image, 90)))
    left = Upright(270, read(rotate_clockwise(image, 270)))
    best = max(right, left, key=lambda u: float(np.mean(confidences(u.reading) or [0.0])))
    return best if _surer(confidences(best.reading), confidences(as_is)) else Upright(0, as_is)


def _surer(turned: Sequence[float], as_is: Sequence[float], margin: float = SURER_BY) -> bool:
    """Whether a turned reading (each character's confidence) beats the image as it was by
    `margin`, each reading's mean confidence taken with `_DOUBT` characters of even odds added:
    a reading of a character or two says little (a page on its side read as one sure "1"), and a
    mean of many characters stays as it is."""

    def sureness(confidences: Sequence[float]) -> float:
        return (sum(confidences) + 0.5 * _DOUBT) / (len(confidences) + _DOUBT)

    return sureness(turned) >= sureness(as_is) + margin


def _small_ink(image: np.ndarray) -> np.ndarray | None:
    """The image's ink (uint8 mask), its longer side shrunk to `_MAX_SIDE` first; None without ink."""
    gray = to_grayscale(image)
    h, w = gray.shape
    if max(h, w) > _MAX_SIDE:
        f = _MAX_SIDE / max(h, w)
        gray = cv2.resize(gray, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA)
    mask = ink_mask(gray)
    return mask if mask is not None and cv2.countNonZero(mask) else None


def axis_lean(ink: np.ndarray) -> float:
    """Positive when the lines run across, negative when down: the blobs left when the ink is
    closed along its rows are that much more elongated (mean log(width / height), weighed by
    area) than when it is closed along its columns. The closing spans 1.5 times the median
    piece's size, enough to join a word's letters and a line's words but not two lines."""
    _, _, stats, _ = components_with_stats(ink)
    stats = stats[1:][stats[1:, cv2.CC_STAT_AREA] >= 4]
    if len(stats) < 2:
        return 0.0
    size = float(np.median(np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT])))
    k = max(3, round(1.5 * size))
    return _elongation(ink, k) - _elongation(np.ascontiguousarray(ink.T), k)


def _elongation(ink: np.ndarray, k: int) -> float:
    closed = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, np.ones((1, k), np.uint8))
    _, _, stats, _ = components_with_stats(closed)
    stats = stats[1:][stats[1:, cv2.CC_STAT_AREA] >= 4]
    if not len(stats):
        return 0.0
    area = stats[:, cv2.CC_STAT_AREA].astype(float)
    return float(
        np.sum(area * np.log(stats[:, cv2.CC_STAT_WIDTH] / stats[:, cv2.CC_STAT_HEIGHT])) / area.sum()
    )


def updown_lean(ink: np.ndarray) -> tuple[float, float]:
    """(lines' lengths in the tallest one's heights, log(ink above / ink below) the middle band) of
    ink whose lines run across. Each line (a band of inked rows; smaller bands, accents and dots, left out) is taken in
    pieces `_CHUNK` heights long, since a long line's baseline wanders; a piece's middle band runs
    from its first to its last row holding at least half as much ink as its fullest (not only the
    rows next to the fullest: in thin print the x-height's top and bottom strokes fill rows that
    its middle rows do not, and whether the top or the bottom row is fullest turns on rendering). Writing upright has more
    ink above it (ascenders, capitals, accents) than below (descenders), so a negative lean hints
    at a page upside down; alone it is wrong too often (a line of capitals, a form's print)."""
    inked = ink.any(axis=1)
    edges = np.diff(np.concatenate([[0], inked.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    if not len(starts):
        return 0.0, 0.0
    tallest = int((ends - starts).max())
    above = below = span = 0.0
    for top, bottom in zip(starts.tolist(), ends.tolist(), strict=True):
        height = bottom - top
        if height < 0.4 * tallest:
            continue
        line = ink[top:bottom] > 0
        ink_columns = np.flatnonzero(line.any(axis=0))
        span += (ink_columns[-1] - ink_columns[0] + 1) / tallest  # (a stroke's thin band: no line)
        step = _CHUNK * height
        for x in range(int(ink_columns[0]), int(ink_columns[-1]) + 1, step):
            rows = line[:, x : x + step].sum(axis=1).astype(float)
            if not rows.any():
                continue
            full = np.flatnonzero(rows >= 0.5 * rows.max())
            above += rows[: full[0]].sum()
            below += rows[full[-1] + 1 :].sum()
    return span, float(np.log((above + 1.0) / (below + 1.0)))
