"""How val handwriting reads under conditions of photos rather than scans. Prints figures.

    python benchmarks/photo_reading.py [--model M] [--data ../shared/data] [--split val] [--n 30]

Each sample is read as the app reads what is loaded (`Recognizer.recognize_page`), as it is and:
- light on dark: the image inverted (chalk on a board, white pen on black paper, a negative);
- on a desk: the paper (the sample's own image) in the middle of a dark, slightly noisy frame
  1.6 times its height and 1.3 times its width, as when a photo shows the table around a note;
- in shade: the light falling to 40 % from left to right (which must not pass for a table);
- on a rule: a 2-px light rule (grey 175) across the sample at 80 % of its height;
- with a margin: a notebook's margin beside the sample (`with_margin`: a strip a tenth of its
  width with a 2-px grey line down the middle, from the image's top edge to its bottom);
- page on a desk: three samples stacked into a page (`page_reading.stack_page`), turned 3
  degrees, in a frame 1.4 times its size;
- ruled page: the same page on paper ruled every half line height (two rules a line);
- squared page: on squared paper (a Vietnamese school notebook's grid), light 1-px lines every
  quarter line height both ways, every fourth one darker;
- squared, 3 degrees: that page turned 3 degrees (its 1-px lines blurred by the turn);
- notebook page: the ruled page with a margin (a 2-px grey line in a strip added at its left);
- notebook, 3 degrees: that page turned 3 degrees (`page_reading.tilt`).
- one line on a notebook page (`line_on_notebook`): the sample as the top line of a sheet five
  times its height, ruled with a margin, photographed on a desk (so the margin ends at the
  paper's edge, not the image's), level and turned 3 degrees.
Reports CER per set and condition; the frames are drawn with a fixed seed, so two versions of the
code read the same images.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import numpy as np
from accuracy import split_records
from page_reading import stack_page, tilt

from hwr_core.data.photo_conditions import (
    in_shade,
    line_on_notebook,
    notebook,
    on_desk,
    ruled,
    squared,
    with_margin,
)
from hwr_core.image_io import load_image, to_grayscale
from hwr_core.metrics import cer
from hwr_core.recognizer import Recognizer
from hwr_core.resources import default_model_path

REPO = Path(__file__).resolve().parents[1]
SETS = ("iam_lines", "vnondb_line", "cinnamon_vi", "vnondb_word")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=None)
    ap.add_argument("--data", default=str(REPO.parent / "shared" / "data"))
    ap.add_argument("--split", default="val")
    ap.add_argument("--n", type=int, default=30, help="samples per set (pages: a third as many)")
    args = ap.parse_args()
    rec = Recognizer.from_file(args.model or default_model_path(), backend="auto")
    rng = np.random.default_rng(0)
    conditions: dict[str, Callable[[np.ndarray], np.ndarray]] = {
        "as it is": lambda im: im,
        "light on dark": lambda im: 255 - im,
        "on a desk": lambda im: on_desk(im, rng, 1.6, 1.3),
        "in shade": lambda im: in_shade(im),
        "on a rule": lambda im: ruled(im, [int(im.shape[0] * 0.8)]),
        "with a margin": lambda im: with_margin(im),
        "line, notebook": lambda im: line_on_notebook(im, rng, 0.0),
        "…, 3 deg": lambda im: line_on_notebook(im, rng, 3.0),
    }
    print(f"model {rec.bundle.path}; {args.n} {args.split} samples a set, read as pages")
    page_conditions: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {
        "page on a desk": lambda page, _: on_desk(page, rng, 1.4, 1.4, 3.0),
        "ruled page": lambda page, pitch: ruled(page, range(pitch // 2, page.shape[0], pitch)),
        "squared page": lambda page, pitch: squared(page, max(4, pitch // 2)),
        "squared, 3 deg": lambda page, pitch: tilt(squared(page, max(4, pitch // 2)), 3.0),
        "notebook page": lambda page, pitch: notebook(page, pitch),
        "notebook, 3 deg": lambda page, pitch: tilt(notebook(page, pitch), 3.0),
    }
    print(f"{'set':14s}" + "".join(f"{c:>16s}" for c in [*conditions, *page_conditions]))
    for name in SETS:
        if not (Path(args.data) / name / "labels.tsv").exists():
            continue
        records = split_records(Path(args.data), name, args.split)[: args.n]
        images = [to_grayscale(load_image(r.path)) for r in records]
        refs = [r.text for r in records]
        row = f"{name:14s}"
        for make in conditions.values():
            hyps = [rec.recognize_page(make(im)) for im in images]
            row += f"{cer(refs, [h.text if h else '' for h in hyps]):16.2%}"
        page_refs: list[str] = []
        page_hyps: dict[str, list[str]] = {c: [] for c in page_conditions}
        for i in range(0, len(images) - 2, 3):
            page = stack_page(images[i : i + 3], rng)
            page_refs.append("\n".join(refs[i : i + 3]))
            pitch = max(8, int(np.median([im.shape[0] for im in images[i : i + 3]])) // 2)
            for c, make_page in page_conditions.items():
                read = rec.recognize_page(make_page(page, pitch))
                page_hyps[c].append(read.text if read else "")
        print(row + "".join(f"{cer(page_refs, hyps):16.2%}" for hyps in page_hyps.values()))


if __name__ == "__main__":
    main()
