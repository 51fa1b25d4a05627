"""How well a sideways or upside-down image is turned upright by itself. Prints figures.

    python benchmarks/orientation.py [--model M] [--data ../shared/data] [--n 40] [--seed 0]

`--n` val images of each set, and `--n` / 2 pages of 2-4 val lines (`page_reading.pages`), are
stored turned by 0, 90, 180 and 270 degrees and read as the app reads them with *Turn upright*
on (`orientation.read_upright` around `recognize_page`). Per set and turn it counts the images
set right, left as they were, and turned wrong (the count that must stay at zero for images
stored upright), and the readings it took per image (1 is the cost of reading without it).

For contrast, the rule it replaced as a plan: keep the surest of the four readings. That rule is
counted on the upright images only: how many of them it would have turned.
"""

from __future__ import annotations

import argparse
import random
from collections import Counter
from pathlib import Path

import numpy as np
from page_reading import pages

from hwr_core.image_io import load_image, rotate_clockwise
from hwr_core.orientation import read_upright
from hwr_core.recognizer import RecognitionResult, Recognizer, char_confidences, mean_char_confidence
from hwr_core.resources import default_model_path

REPO = Path(__file__).resolve().parents[1]
SETS = ("cinnamon_vi", "iam_lines", "vnondb_line", "vnondb_word", "kaggle_names")
TURNS = (0, 90, 180, 270)


def _confidence(result: RecognitionResult | None) -> float:
    return mean_char_confidence(result) if result is not None else 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=None)
    ap.add_argument("--data", default=str(REPO.parent / "shared" / "data"))
    ap.add_argument("--n", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    rec = Recognizer.from_file(args.model or default_model_path())
    rng = random.Random(args.seed)
    groups: list[tuple[str, list[np.ndarray]]] = []
    for name in SETS:
        labels = Path(args.data) / name / "labels.tsv"
        if not labels.is_file():
            print(f"{name}: absent")
            continue
        rows = [line.split("\t") for line in labels.read_text("utf-8").splitlines() if line.endswith("\tval")]
        picked = rng.sample(rows, min(args.n, len(rows)))
        groups.append((name, [load_image(labels.parent / path) for path, _text, _split in picked]))
    groups.append(("pages", [page for page, _texts in pages(Path(args.data), "val", args.n // 2, args.seed)]))

    print("set, stored turned by: right / left as it was / WRONG, readings per image")
    wrong_upright = surest_wrong = upright_total = 0
    for name, images in groups:
        cells = []
        for turn in TURNS:
            outcome: Counter[str] = Counter()
            reads = 0
            for image in images:
                stored = rotate_clockwise(image, (360 - turn) % 360)
                readings: list[RecognitionResult | None] = []

                def read(img: np.ndarray, readings: list = readings) -> RecognitionResult | None:
                    readings.append(rec.recognize_page(img))
                    return readings[-1]

                got = read_upright(stored, read, char_confidences).turn
                reads += len(readings)
                outcome["right" if got == turn else "left" if got == 0 else "wrong"] += 1
                if turn == 0:
                    as_is = _confidence(readings[0])
                    others = [_confidence(rec.recognize_page(rotate_clockwise(stored, t))) for t in TURNS[1:]]
                    surest_wrong += max(others) > as_is
            if turn == 0:
                wrong_upright += outcome["wrong"]
                upright_total += len(images)
            cells.append(
                f"{turn}°: {outcome['right']}/{outcome['left']}/{outcome['wrong']}, {reads / len(images):.2f}"
            )
        print(f"{name} ({len(images)}): " + "; ".join(cells))
    print(
        f"upright images turned: {wrong_upright} of {upright_total} (the surest of four readings: {surest_wrong})"
    )


if __name__ == "__main__":
    main()
