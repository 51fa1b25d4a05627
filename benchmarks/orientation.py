"""Could a sideways photo be turned upright by itself, by the surest reading? Prints figures.

    python benchmarks/orientation.py [--model M] [--data ../shared/data] [--n 25] [--seed 0]

`--n` val images of each set are read as pages (`recognize_page`, as the app reads an image) at
0, 90, 180 and 270 degrees clockwise. Turning an image to its surest reading (the mean confidence
of the characters read, `mean_char_confidence`) is only safe if the upright reading is the surest
for (nearly) every upright image. Reported: each set's mean confidence at each angle, and the upright
images some other angle read surer.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import numpy as np

from hwr_core.preprocess import load_image, rotate_clockwise
from hwr_core.recognizer import Recognizer, mean_char_confidence
from hwr_core.resources import default_model_path

REPO = Path(__file__).resolve().parents[1]
SETS = ("cinnamon_vi", "iam_lines", "vnondb_line", "vnondb_word", "kaggle_names")
ANGLES = (0, 90, 180, 270)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=None)
    ap.add_argument("--data", default=str(REPO.parent / "shared" / "data"))
    ap.add_argument("--n", type=int, default=25)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    rec = Recognizer.from_file(args.model or default_model_path())
    rng = random.Random(args.seed)
    turned_total = images_total = 0
    for name in SETS:
        labels = Path(args.data) / name / "labels.tsv"
        if not labels.is_file():
            continue
        rows = [line.split("\t") for line in labels.read_text("utf-8").splitlines() if line.endswith("\tval")]
        confs = np.zeros((min(args.n, len(rows)), len(ANGLES)))
        for i, (path, _text, _split) in enumerate(rng.sample(rows, len(confs))):
            image = load_image(labels.parent / path)
            for j, angle in enumerate(ANGLES):
                result = rec.recognize_page(rotate_clockwise(image, angle))
                confs[i, j] = mean_char_confidence(result) if result is not None else 0.0
        turned = int((confs[:, 1:].max(axis=1) >= confs[:, 0]).sum())
        turned_total += turned
        images_total += len(confs)
        means = ", ".join(f"{a}°: {m:.3f}" for a, m in zip(ANGLES, confs.mean(axis=0), strict=True))
        print(f"{name} ({len(confs)}): mean confidence {means}; {turned} upright read surer turned")
    print(f"all: {turned_total} of {images_total} upright images would have been turned")


if __name__ == "__main__":
    main()
