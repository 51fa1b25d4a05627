"""How canvas writing reads with any pen at any size: the pen as drawn against the reading pen. Prints figures.

    python benchmarks/canvas_pens.py [--model M] [--fonts ../shared/fonts] [--data ../shared/data]
                                     [--n 60] [--split val|train]

Words are written as canvas strokes two ways: in the handwriting fonts (held out of training for
`--split val`, the training fonts for `--split train`) at 40, 56, 96 and 160 px, and VNOnDB's
word images of that split traced to strokes (skeleton -> polylines) at 0.75, 1.5 and 3 times their
size. Each is read with the strokes drawn with every pen from 1 to 12 px (`render_strokes`, as the
canvas drew them before session 30), and drawn with the pen `canvas_ink` sizes to the writing
(`canvas_ink.render_for_reading`, what the app and `recognize_strokes` read now, whatever the pen;
since session 57 small writing is drawn at 64 px, which the fixed pens' columns are not). Both are
read as the app reads its canvas, as a page (`recognize_page`). Reported: CER per size and pen, over
every pen, with the reading pen, and with the reading pens (`recognize_strokes`, what the app and
`hwr recognize` read since session 60: the reading pen, a finer and a broader one, the surest
reading kept), and how many samples the reading pens read better and worse than the reading pen.
Session 30 chose the reading pen's ratio with `--split train`; session 60 the pens' with it.
"""

from __future__ import annotations

import argparse
import csv
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from rapidfuzz.distance import Levenshtein

from hwr_core.canvas_ink import render_for_reading
from hwr_core.data.synth import load_fonts, split_fonts
from hwr_core.data.textgen import load_wordlist
from hwr_core.image_io import load_image
from hwr_core.preprocess import render_strokes
from hwr_core.recognizer import Recognizer
from hwr_core.resources import default_model_path
from hwr_core.strokes import Stroke, scale_strokes, text_to_strokes, trace_ink

REPO = Path(__file__).resolve().parents[1]
PENS = (1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0)
FONT_SIZES = (40, 56, 96, 160)
TRACE_SCALES = (0.75, 1.5, 3.0)


def font_words(fonts_dir: Path, split: str, n: int) -> list[tuple[str, str, list[Stroke]]]:
    """(group, text, strokes): n words a language at each size, fonts taken in turn."""
    train, held = split_fonts(load_fonts(fonts_dir))
    fonts = held if split == "val" else train
    out = []
    for lang in ("en", "vi"):
        singles, _ = load_wordlist(lang)
        words = [singles[i] for i in np.random.default_rng(5).choice(len(singles), n, replace=False)]
        usable = [f for f in fonts if f.vietnamese or lang == "en"]
        for size in FONT_SIZES:
            rng = np.random.default_rng(11)
            for i, w in enumerate(words):
                font = usable[i % len(usable)]
                out.append(
                    (f"fonts {lang} {size} px", w, text_to_strokes(w, font.path, size, rng, jitter=1.0))
                )
    return out


def traced_words(data_dir: Path, split: str, n: int) -> list[tuple[str, str, list[Stroke]]]:
    """(group, text, strokes): 2n VNOnDB words of the split, evenly spaced, traced and scaled."""
    root = data_dir / "vnondb_word"
    with open(root / "labels.tsv", encoding="utf-8") as f:
        rows = [r for r in csv.reader(f, delimiter="\t") if len(r) > 2 and r[2] == split]
    rows = rows[:: max(1, len(rows) // (2 * n))][: 2 * n]
    traced = []
    for path, text, _ in rows:
        traced.append((text, trace_ink(load_image(root / path))))
    return [(f"VNOnDB x{s:g}", text, scale_strokes(st, s)) for s in TRACE_SCALES for text, st in traced]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=str(default_model_path()))
    ap.add_argument("--fonts", type=Path, default=REPO.parent / "shared" / "fonts")
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--n", type=int, default=60, help="words a language (fonts); 2n VNOnDB words")
    ap.add_argument("--split", choices=("val", "train"), default="val")
    args = ap.parse_args()

    rec = Recognizer.from_file(args.model)
    items = font_words(args.fonts, args.split, args.n)
    if (args.data / "vnondb_word" / "labels.tsv").is_file():
        items += traced_words(args.data, args.split, args.n)
    errors: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])  # (row, column) -> [edits, chars]
    better_worse: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # reading pens against the reading pen
    seconds: dict[str, list[tuple[float, float]]] = defaultdict(list)  # reading pen, reading pens

    def add(group: str, columns: tuple[str, ...], text: str, reading: str) -> None:
        for row in (group, group.split()[0] + " (all)"):
            for column in columns:
                errors[(row, column)][0] += Levenshtein.distance(text, reading)
                errors[(row, column)][1] += len(text)

    for group, text, strokes in items:
        for pen in PENS:  # as the app read the canvas before session 30: the pen on screen
            reading = rec.recognize_page(render_strokes(strokes, pen_width=pen))
            add(group, (f"{pen:g} px", "every pen"), text, reading.text if reading else "")
        start = time.perf_counter()
        one = rec.recognize_page(render_for_reading(strokes))  # whatever the pen
        middle = time.perf_counter()
        surest = rec.recognize_strokes(strokes).text
        seconds[group.split()[0]].append((middle - start, time.perf_counter() - middle))
        add(group, ("reading pen",), text, one.text if one else "")
        add(group, ("reading pens",), text, surest)
        change = Levenshtein.distance(text, surest) - Levenshtein.distance(text, one.text if one else "")
        for row in (group, group.split()[0] + " (all)"):
            better_worse[row][0] += change < 0
            better_worse[row][1] += change > 0

    columns = [f"{p:g} px" for p in PENS] + ["every pen", "reading pen", "reading pens"]
    rows = sorted({row for row, _ in errors})
    print(f"model {args.model}; {args.split} split; CER of the pen as drawn, and of the reading pen")
    print(f"{'':22s}" + "".join(f"{c:>13s}" for c in columns) + f"{'better/worse':>15s}")
    for row in rows:
        cells = [errors.get((row, c)) for c in columns]
        better, worse = better_worse[row]
        print(
            f"{row:22s}"
            + "".join(f"{e / n:13.2%}" if (e, n) != (0, 0) else f"{'':13s}" for e, n in cells)
            + f"{better:>9d}/{worse}"
        )
    for kind, pairs in seconds.items():
        one, surest = (1000 * np.median(column) for column in zip(*pairs, strict=True))
        print(
            f"{kind}: p50 ms per read, reading pen {one:.1f}, reading pens {surest:.1f} ({surest / one:.2f}x)"
        )


if __name__ == "__main__":
    main()
