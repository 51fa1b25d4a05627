"""How well pages of several handwritten lines are read, straight and tilted. Prints figures.

    python benchmarks/page_reading.py [--model M] [--data ../shared/data] [--split val]
                                      [--pages 24] [--angles 0,1,2,3,5] [--sets vnondb_word]

The app reads whatever is drawn or loaded as a page (`Recognizer.recognize_page`: split into
lines by the row ink profile, each line read). A photo of a note is rarely level, and a tilt of a
degree or two makes neighbouring lines overlap in every row, so they no longer split. This stacks
2-4 lines of one val set (IAM, VNOnDB lines, Cinnamon; `--sets vnondb_word`: a list of words) into a page, with gaps of 0.2-0.6 times the
line height as in ordinary handwriting, turns it by each angle (alternating sign) and reports per
angle: the page CER (lines joined by newlines, as the app shows them), how many pages split into
exactly their number of lines, and the p50 time of `split_page` (as a page is read). The pages are drawn with a fixed
seed, so two runs (or two versions of the code) read the same pages.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2
import numpy as np
from accuracy import split_records

from hwr_core.image_io import load_image, to_grayscale
from hwr_core.metrics import cer
from hwr_core.preprocess import split_page
from hwr_core.recognizer import Recognizer
from hwr_core.resources import default_model_path

REPO = Path(__file__).resolve().parents[1]
LINE_SETS = ("iam_lines", "vnondb_line", "cinnamon_vi")


def stack_page(lines: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """Lines (gray, dark ink on light paper) one under another, left-aligned on one sheet: the
    space around them in their paper's grey (their median), not white, which around grey scans
    (Cinnamon's) makes a patchwork of rectangles no photo of a page shows."""
    height = int(np.median([im.shape[0] for im in lines]))
    width = max(im.shape[1] for im in lines)
    paper = int(np.median(np.concatenate([im.ravel() for im in lines])))
    rows: list[np.ndarray] = []
    for i, im in enumerate(lines):
        if i:
            rows.append(np.full((int(height * rng.uniform(0.2, 0.6)), width), paper, np.uint8))
        row = np.full((im.shape[0], width), paper, np.uint8)
        row[:, : im.shape[1]] = im
        rows.append(row)
    return np.vstack(rows)


def tilt(page: np.ndarray, degrees: float) -> np.ndarray:
    """The page turned by `degrees` (counter-clockwise) on a white canvas that holds all of it."""
    h, w = page.shape
    rot = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    cos, sin = abs(rot[0, 0]), abs(rot[0, 1])
    new_w, new_h = int(w * cos + h * sin) + 1, int(w * sin + h * cos) + 1
    rot[0, 2] += new_w / 2 - w / 2
    rot[1, 2] += new_h / 2 - h / 2
    return cv2.warpAffine(page, rot, (new_w, new_h), flags=cv2.INTER_LINEAR, borderValue=255)


def pages(
    data: Path, split: str, n: int, seed: int = 0, sets: tuple[str, ...] = LINE_SETS
) -> list[tuple[np.ndarray, list[str]]]:
    """n pages per set present: (image, the texts of its lines, top to bottom)."""
    rng = np.random.default_rng(seed)
    out = []
    for name in sets:
        if not (data / name / "labels.tsv").exists():
            continue
        records = split_records(data, name, split)
        picks = rng.permutation(len(records))
        used = 0
        for _ in range(n):
            k = int(rng.integers(2, 5))
            chosen = [records[int(i)] for i in picks[used : used + k]]
            used += k
            images = [to_grayscale(load_image(r.path)) for r in chosen]
            out.append((stack_page(images, rng), [r.text for r in chosen]))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=None)
    ap.add_argument("--data", default=str(REPO.parent / "shared" / "data"))
    ap.add_argument("--split", default="val")
    ap.add_argument("--pages", type=int, default=24, help="pages per line set")
    ap.add_argument("--angles", default="0,1,2,3,5", help="tilts in degrees, comma-separated")
    ap.add_argument(
        "--sets", default=",".join(LINE_SETS), help="comma-separated; vnondb_word: lists of words"
    )
    args = ap.parse_args()
    sets = tuple(args.sets.split(","))
    rec = Recognizer.from_file(args.model or default_model_path(), backend="auto")
    book = pages(Path(args.data), args.split, args.pages, sets=sets)
    if not book:
        raise SystemExit(f"none of {', '.join(sets)} under {args.data}")
    print(f"{len(book)} pages of 2-4 {args.split} lines ({', '.join(sets)}); model {rec.bundle.path}")
    print(f"{'tilt':>6s} {'page CER':>9s} {'split right':>12s} {'split_page p50 ms':>19s}")
    for angle in (float(a) for a in args.angles.split(",")):
        refs, hyps, right, times = [], [], 0, []
        for i, (page, texts) in enumerate(book):
            image = tilt(page, angle if i % 2 == 0 else -angle) if angle else page
            t = time.perf_counter()
            right += len(split_page(image, words_apart=True).crops) == len(texts)  # as read
            times.append((time.perf_counter() - t) * 1000)
            result = rec.recognize_page(image)
            refs.append("\n".join(texts))
            hyps.append(result.text if result is not None else "")
        print(f"{angle:5.1f}° {cer(refs, hyps):9.2%} {right:5d} of {len(book):<4d} {np.median(times):19.2f}")


if __name__ == "__main__":
    main()
