"""What each decoding costs per image, measured interleaved on real val images. Prints figures.

    python benchmarks/decoding_latency.py [--model M] [--against M2] [--backend auto|torch|onnx]
                                          [--data ../shared/data] [--n 150]

For every image, the whole recognizer (preprocessing, model, decoding) runs once per decoding, in
turn, so that the machine's drift hits every decoding alike: greedy, beam + word list, and beam +
word list + character model (the shipped decoding); then the image is read as the app reads it
("app reads": `Recognizer.recognize_page` with the app's `jobs`, read whole and split into lines,
side by side where it is large enough; "lines" counts the images read as more than one line),
with a character model of its own, whose memo holds only what that column read. This column is
the one the issue's latency targets are about. Reports p50 per decoding and the ratio of each to
greedy's, per val set. The order is fixed: a decoding that follows another on the same image may
find some of its work warm (session 9 measured 20-30 % for the same decode run twice), so the later
columns can read a little low. The character models start cold (nothing remembered), as in a new
app session. The engine is the app's ("auto": onnxruntime where installed) unless --backend says
otherwise. Compare ratios: absolute times on a shared machine are noise.

--against M2 compares two model files instead: on every image the first model and M2 each read
once with their own decoding, M2 first on every other image, and nothing else runs. That keeps it
symmetric: with the columns above in the loop, the first model's engine was always the one that
had just run, and a model compared with itself read 5-15 % slower as "M2" (session 10). It reports
both p50s and their ratio: the way to compare two models' latency on one machine. With
--against-backend the second model reads with another engine: `--against SAME_FILE --backend onnx
--against-backend onnx-int8` compares the engines on the whole read.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

import numpy as np

from hwr_core.charlm import builtin_char_model_path
from hwr_core.config import BACKENDS, BUILTIN_LEXICON, BUILTIN_LM, NO_LM
from hwr_core.data.spec import load_records, parse_spec
from hwr_core.image_io import load_image
from hwr_core.parallel import default_jobs
from hwr_core.recognizer import Recognizer
from hwr_core.resources import default_model_path

REPO = Path(__file__).resolve().parents[1]
SETS = ("vnondb_word", "kaggle_names", "vnondb_line", "iam_lines", "cinnamon_vi")


def compare(name: str, images: list[np.ndarray], first: Recognizer, second: Recognizer) -> None:
    """Both models read every image once, the order alternating; prints p50s and their ratio."""
    times: tuple[list[float], list[float]] = ([], [])
    for i, image in enumerate(images):
        for k in (0, 1) if i % 2 else (1, 0):
            t = time.perf_counter()
            (first, second)[k].recognize(image)
            times[k].append((time.perf_counter() - t) * 1000)
    a, b = (float(np.median(x)) for x in times)
    print(f"{name:14s}{a:10.1f}{b:10.1f}{b / a:10.2f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=None)
    ap.add_argument("--data", default=str(REPO.parent / "shared" / "data"))
    ap.add_argument("--n", type=int, default=150, help="images per val set")
    ap.add_argument(
        "--backend", choices=BACKENDS, default="auto", help="inference engine (default: the app's)"
    )
    ap.add_argument("--against", default=None, help="a second model file, timed in the same loop")
    ap.add_argument(
        "--against-backend",
        choices=BACKENDS,
        default=None,
        help="the second model's engine (default: --backend)",
    )
    args = ap.parse_args()
    base = Recognizer.from_file(args.model or default_model_path(), backend=args.backend)
    other = (
        Recognizer.from_file(args.against, backend=args.against_backend or args.backend)
        if args.against
        else None
    )
    decodings: dict[str, Recognizer] = {}
    if other is not None:  # the engines, word lists and character models loaded outside the timings
        base.prepare()
        other.prepare()
        print(
            f"p50 ms per image, each model with its own decoding, {args.n} images per set; "
            f"engines {base.engine} / {other.engine}"
        )
        print(f"{'val set':14s}{'model':>10s}{'against':>10s}{'ratio':>11s}")
    else:
        beam = dataclasses.replace(base.decode_cfg, decoder="beam").with_word_list(BUILTIN_LEXICON)
        decodings = {
            "greedy": base.with_options(dataclasses.replace(beam, decoder="greedy")),
            "beam + word list": base.with_options(dataclasses.replace(beam, lm=NO_LM)),
            "+ character model": base.with_options(beam.with_char_model(BUILTIN_LM)),
        }
        for rec in decodings.values():
            rec.prepare()
        # as `app.active_model` reads, but with a character model of its own: the built-in one is
        # loaded once per process, and the columns above warm its memo on the same image
        app = base.with_jobs(default_jobs())
        if app.decode_cfg.lm == BUILTIN_LM:
            app = app.with_options(app.decode_cfg.with_char_model(str(builtin_char_model_path())))
        app.prepare()
        print(
            f"model: {base.bundle.path}; engine: {base.backend}; "
            f"p50 ms per image (ratio to greedy), {args.n} images per set"
        )
        print(
            f"{'val set':14s}"
            + "".join(f"{name:>24s}" for name in decodings)
            + f"{'app reads':>24s}{'lines':>7s}"
        )
    for name in SETS:
        tsv = Path(args.data) / name / "labels.tsv"
        if not tsv.exists():
            print(f"{name:14s} absent")
            continue
        records, _ = load_records(parse_spec(f"{tsv}?split=val"))
        images = [load_image(r.path) for r in records[: args.n]]
        if other is not None:
            compare(name, images, base, other)
            continue
        times: dict[str, list[float]] = {k: [] for k in [*decodings, "app"]}
        lines = 0
        for image in images:
            for key, rec in decodings.items():
                t = time.perf_counter()
                rec.recognize(image)
                times[key].append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            page = app.recognize_page(image)
            times["app"].append((time.perf_counter() - t) * 1000)
            lines += page is not None and "\n" in page.text
        greedy = float(np.median(times["greedy"]))
        cells = [f"{np.median(v):8.1f} ({np.median(v) / greedy:4.2f}x)" for v in times.values()]
        print(f"{name:14s}" + "".join(f"{c:>24s}" for c in cells) + f"{lines:>7d}")


if __name__ == "__main__":
    main()
