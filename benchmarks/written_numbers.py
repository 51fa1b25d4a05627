"""Numbers written by hand: decimal points, commas, colons, slashes, $ and %. Prints figures.

    python benchmarks/written_numbers.py [--model M] [--fonts ../shared/fonts] [--split val|train]

Ten numbers ("3.14", "12.50", "$4.99", "10:30", "15/08/2024" ...) are written in each held-out
font (`split_fonts`; `--split train`: the first ten training fonts, which the network has seen
writing such numbers) two ways: as canvas strokes (`text_to_strokes` with jitter, read as the app
reads its canvas) and as images rendered with the font (read as pages). Each is read with the
model's own decoding, greedy decoding, and beam search without the word list and the character
model, so that a miss can be told apart as the network's or the decoding's. Reported: numbers read
right of those written, and each miss of the shipped decoding on the strokes.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from hwr_core.data.synth import load_fonts, split_fonts
from hwr_core.errors import HwrError
from hwr_core.recognizer import Recognizer
from hwr_core.resources import default_model_path
from hwr_core.strokes import text_to_strokes

REPO = Path(__file__).resolve().parents[1]
NUMBERS = ("3.14", "12.50", "0.75", "$4.99", "2.5 kg", "1,234", "10:30", "25%", "v2.0", "15/08/2024")


def font_image(text: str, font_path: Path, size: int = 56) -> np.ndarray:
    font = ImageFont.truetype(str(font_path), size)
    left, top, right, bottom = font.getbbox(text)
    image = Image.new("L", (right - left + 40, bottom - top + 40), 255)
    ImageDraw.Draw(image).text((20 - left, 20 - top), text, font=font, fill=0)
    return np.asarray(image)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=None)
    ap.add_argument("--fonts", default=str(REPO.parent / "shared" / "fonts"))
    ap.add_argument("--split", choices=("val", "train"), default="val")
    args = ap.parse_args()

    base = Recognizer.from_file(args.model or default_model_path())
    train_fonts, held_out = split_fonts(load_fonts(args.fonts))
    fonts = held_out if args.split == "val" else train_fonts[: len(held_out)]
    rng = np.random.default_rng(0)
    samples = []  # (text, strokes, image)
    for font in fonts:
        for text in NUMBERS:
            try:
                strokes = text_to_strokes(text, font.path, size=56, rng=rng, jitter=1.0)
            except HwrError:  # the font lacks a character
                continue
            samples.append((text, strokes, font_image(text, font.path)))
    shipped = base.decode_cfg
    decodings = {
        "shipped decoding": shipped,
        "greedy": dataclasses.replace(shipped, decoder="greedy"),
        "beam, no word list or character model": shipped.with_char_model("none").with_word_list("none"),
    }
    which = "held-out" if args.split == "val" else "training"
    print(f"{len(samples)} numbers in {len(fonts)} {which} fonts; right of those written:")
    misses = []
    for name, cfg in decodings.items():
        rec = base.with_options(decode_cfg=cfg)
        drawn = [rec.recognize_strokes(strokes).text for _, strokes, _ in samples]
        shown = [rec.recognize_page(image) for _, _, image in samples]
        right_drawn = sum(t == r for (t, _, _), r in zip(samples, drawn, strict=True))
        right_shown = sum(r is not None and t == r.text for (t, _, _), r in zip(samples, shown, strict=True))
        print(f"  {name}: strokes {right_drawn}, images {right_shown}")
        if cfg is shipped:
            misses = [(t, r) for (t, _, _), r in zip(samples, drawn, strict=True) if t != r]
    print("misses of the shipped decoding on the strokes: " + ", ".join(f"{t!r} -> {r!r}" for t, r in misses))


if __name__ == "__main__":
    main()
