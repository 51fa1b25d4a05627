"""Where each word of a line lies along it: for exports whose readers place words (hOCR's
`ocrx_word`, which tools that make a searchable PDF from hOCR lay their text by; PAGE XML's Word).

The network reads a line, not words, but CTC says at which timesteps it read each character, and
the timesteps run along the model input's width, which is the line's ink from its first column to
its last: a word's share of that width is its share of the line's outline. Deskewing, deslanting
and the resize bend this a little; `benchmarks/word_boxes.py` measures how well it holds.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import pairwise

import numpy as np

from .recognizer import RecognitionResult

Fractions = tuple[tuple[float, float], ...]  # each word's (start, end) along its line, 0..1
_WORD = re.compile(r"\S+")
_INK = 0.5  # model input columns holding a pixel this dark (1.0 is ink) are the line's ink


def word_fractions(line: RecognitionResult) -> Fractions:
    """Where each word of `line.text` lies along the line's ink, from where its characters were
    read: from its first character's first timestep to its last's last, a character's width wider
    each way (CTC reads a character at a peak inside it, not from its edges), and never past the
    middle of the space to the next word. () when there is no text or the characters cannot be
    placed (a reading without spans)."""
    spans = line.spans
    words = list(_WORD.finditer(line.text))
    ink = np.flatnonzero((line.model_input >= _INK).any(axis=0)) if line.model_input.size else np.array([])
    frames = line.probs.shape[0]
    if not words or len(spans) != len(line.text) or not ink.size or frames == 0:
        return ()
    scale = line.model_input.shape[1] / frames  # model input columns per timestep
    first, last = float(ink[0]), float(ink[-1] + 1)
    width = max(last - first, 1.0)
    bounds = [(spans[m.start()].start * scale, (spans[m.end() - 1].end + 1) * scale) for m in words]
    cuts = [first] + [(a_end + b_start) / 2 for (_, a_end), (b_start, _) in pairwise(bounds)] + [last]
    char = width / len(line.text)  # the line's ink per character read, spaces too
    placed = [
        (max(cut_a, a - char), min(cut_b, b + char))
        for (a, b), (cut_a, cut_b) in zip(bounds, pairwise(cuts), strict=True)
    ]
    return tuple(
        (round(_clip((a - first) / width), 4), round(_clip((b - first) / width), 4)) for a, b in placed
    )


def word_confidences(line: RecognitionResult) -> tuple[float, ...]:
    """Each word of `line.text`'s confidence: its least sure character's (as the app colours it);
    () when the characters cannot be matched to their spans."""
    spans = line.spans
    if len(spans) != len(line.text):
        return ()
    return tuple(
        round(min(s.confidence for s in spans[m.start() : m.end()]), 3) for m in _WORD.finditer(line.text)
    )


def even_fractions(text: str) -> Fractions:
    """Each word's place along a line where nothing says better (a corrected line with other words
    than were read): by its share of the characters, the spaces between words split in the middle."""
    words = list(_WORD.finditer(text))
    if not words:
        return ()
    start, end = words[0].start(), words[-1].end()
    length = max(end - start, 1)
    cuts = [start] + [(a.end() + b.start()) / 2 for a, b in pairwise(words)] + [end]
    return tuple(((a - start) / length, (b - start) / length) for a, b in pairwise(cuts))


def word_outlines(outline: np.ndarray | Sequence[Sequence[float]], fractions: Fractions) -> list[np.ndarray]:
    """Each word's corners within the line's (4 corners clockwise from the top left): the part of
    the line between its fractions, along its top and bottom edges (a tilted line's words tilt too)."""
    if not fractions:
        return []
    top_left, top_right, bottom_right, bottom_left = np.asarray(outline, np.float64).reshape(4, 2)
    out = []
    for a, b in fractions:
        out.append(
            np.array(
                [
                    top_left + a * (top_right - top_left),
                    top_left + b * (top_right - top_left),
                    bottom_left + b * (bottom_right - bottom_left),
                    bottom_left + a * (bottom_right - bottom_left),
                ]
            )
        )
    return out


def _clip(x: float) -> float:
    return min(max(x, 0.0), 1.0)
