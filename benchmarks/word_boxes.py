"""How well words are placed along a line read whole (hOCR's and PAGE XML's word boxes). Prints figures.

    python benchmarks/word_boxes.py [--model M] [--data ../shared/data] [--split val] [--lines 100]

The network reads lines; a word's box comes from the timesteps its characters were read at
(`hwr_core.word_boxes.word_fractions`). No set has word boxes, so lines are made with known ones:
3-6 VNOnDB val words of one writer side by side, centred on one row, gaps of 0.3-0.8 times the
line's height (a fixed seed). Each line is read as the app reads an image (`recognize_page`, with
the shipped decoding). For the lines read with as many words as written, each word's box is
compared with where the word was put, along the line: the overlap over the union (IoU), and the
share of words whose box holds at least 90 % of their own ink columns. The same for boxes by each
word's share of the characters (`even_fractions`, what a corrected line's words fall back to).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from accuracy import split_records

from hwr_core.batch import FileReading, FileSummary
from hwr_core.image_io import ViewPlacement, load_image, to_grayscale
from hwr_core.recognizer import Recognizer
from hwr_core.resources import default_model_path
from hwr_core.word_boxes import even_fractions, word_outlines

REPO = Path(__file__).resolve().parents[1]


def make_line(words: list[np.ndarray], rng: np.random.Generator) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Word images side by side on one sheet, centred on its middle row; each word's ink columns."""
    height = max(w.shape[0] for w in words)
    gaps = [int(height * rng.uniform(0.3, 0.8)) for _ in words[1:]]
    width = sum(w.shape[1] for w in words) + sum(gaps) + 40
    paper = int(np.median(np.concatenate([w.ravel() for w in words])))
    line = np.full((height + 20, width), paper, np.uint8)
    x, spans = 20, []
    for i, word in enumerate(words):
        top = 10 + (height - word.shape[0]) // 2
        line[top : top + word.shape[0], x : x + word.shape[1]] = word
        columns = np.flatnonzero((word < paper - 60).any(axis=0))
        spans.append(
            (x + int(columns[0]), x + int(columns[-1]) + 1) if columns.size else (x, x + word.shape[1])
        )
        x += word.shape[1] + (gaps[i] if i < len(gaps) else 0)
    return line, spans


def iou(a: tuple[float, float], b: tuple[float, float]) -> float:
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    return inter / (max(a[1], b[1]) - min(a[0], b[0])) if inter else 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=None)
    ap.add_argument("--data", default=str(REPO.parent / "shared" / "data"))
    ap.add_argument("--split", default="val")
    ap.add_argument("--lines", type=int, default=100)
    args = ap.parse_args()
    rec = Recognizer.from_file(args.model or default_model_path(), backend="auto")
    rng = np.random.default_rng(0)
    records = split_records(Path(args.data), "vnondb_word", args.split)
    scores: dict[str, list[float]] = {"read": [], "even": []}
    held: dict[str, list[bool]] = {"read": [], "even": []}
    counted = 0
    start = 0
    for _ in range(args.lines):
        n = int(rng.integers(3, 7))
        chosen = records[start : start + n]
        start += n
        if len(chosen) < n:
            break
        line, spans = make_line([to_grayscale(load_image(r.path)) for r in chosen], rng)
        result = rec.recognize_page(line)
        assert result is not None
        placement = ViewPlacement(line.shape[1], line.shape[0])
        summary = FileSummary.of(FileReading(Path("line.png"), result, placement=placement))
        if not summary.words or len(summary.outlines) != 1 or len(result.text.split()) != n:
            continue  # (read with another number of words)
        counted += 1
        for kind, fractions in (("read", summary.words[0]), ("even", even_fractions(result.text))):
            for box, truth in zip(word_outlines(summary.outlines[0], fractions), spans, strict=True):
                found = (float(box[:, 0].min()), float(box[:, 0].max()))
                scores[kind].append(iou(found, truth))
                inside = max(0.0, min(found[1], truth[1]) - max(found[0], truth[0]))
                held[kind].append(inside >= 0.9 * (truth[1] - truth[0]))
    words = len(scores["read"])
    print(
        f"model {rec.bundle.path}; {counted} of {args.lines} lines read with their number of words ({words} words)"
    )
    for kind, label in (("read", "where read (word_fractions)"), ("even", "by characters (even_fractions)")):
        s = np.array(scores[kind])
        print(
            f"{label:32s} IoU mean {s.mean():.3f}, p10 {np.percentile(s, 10):.3f}; "
            f"IoU >= 0.5: {np.mean(s >= 0.5):.1%}; box holds 90 % of its word: {np.mean(held[kind]):.1%}"
        )


if __name__ == "__main__":
    main()
