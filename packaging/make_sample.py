"""Make the selftest's sample image: resources/samples/sample.png and its text, sample.txt.

    python packaging/make_sample.py [--text "..."]

The text is written as pen strokes with the bundled handwriting font (hwr_core.strokes), with a
fixed-seed wobble so it is not pixel-identical to what the selftest draws itself, rendered like the
canvas renders ink (hwr_core.preprocess.render_strokes) and saved as an 8-bit gray PNG. Ours, made
from the bundled OFL font: no third-party data. The PNG is committed; re-run only to change it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from hwr_core.preprocess import render_strokes
from hwr_core.strokes import text_to_strokes

ROOT = Path(__file__).resolve().parents[1]
FONT = ROOT / "resources" / "fonts" / "PatrickHand-Regular.ttf"
OUT_DIR = ROOT / "resources" / "samples"
DEFAULT_TEXT = "world"
SEED = 20240601


def make(text: str, out_dir: Path = OUT_DIR) -> tuple[Path, Path]:
    strokes = text_to_strokes(text, FONT, size=64, rng=np.random.default_rng(SEED), jitter=0.6)
    image = render_strokes(strokes, pen_width=4.5, margin=16)
    out_dir.mkdir(parents=True, exist_ok=True)
    png, txt = out_dir / "sample.png", out_dir / "sample.txt"
    Image.fromarray(image, mode="L").save(png, optimize=True)
    txt.write_text(text + "\n", encoding="utf-8")
    return png, txt


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--text", default=DEFAULT_TEXT)
    ap.add_argument("--out", type=Path, default=OUT_DIR)
    args = ap.parse_args()
    png, txt = make(args.text, args.out)
    w, h = Image.open(png).size
    print(f"wrote {png} ({w}x{h}, {png.stat().st_size} bytes) and {txt}: {args.text!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
