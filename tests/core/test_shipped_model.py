"""The shipped default model: it loads within the size budget and reads words it never saw.

The words are rendered here from fonts held out of its training (see training/train-default.sh),
in English and Vietnamese, printed and drawn as canvas strokes. Skips, with the reason, until the
model file is in resources/models/ or when ../shared/fonts is absent.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont
from testdata import FONTS, SHIPPED_CER_BOUND, SHIPPED_MODEL, needs_fonts, needs_shipped_model

from hwr_core.metrics import cer
from hwr_core.recognizer import Recognizer
from hwr_core.strokes import text_to_strokes

pytestmark = needs_shipped_model

HELD_OUT_PRINT = "Pangolin-Regular.ttf"  # held out of training; covers Vietnamese
HELD_OUT_ROUND = "ShantellSans-Regular.ttf"
ENGLISH = ["hello", "garden", "window", "Monday", "yellow", "number"]
VIETNAMESE = ["Việt", "người", "đường", "tiếng", "nhà", "học"]


def printed(text: str, font_file: str, size: int = 44) -> np.ndarray:
    font = ImageFont.truetype(str(FONTS / font_file), size)
    left, top, right, bottom = font.getbbox(text)
    image = Image.new("L", (right - left + 24, bottom - top + 24), 255)
    ImageDraw.Draw(image).text((12 - left, 12 - top), text, font=font, fill=0)
    return np.asarray(image)


@pytest.fixture(scope="module", params=["own-decoding", "greedy"])
def recognizer(request: pytest.FixtureRequest) -> Recognizer:
    """The model read as the app does (onnxruntime where installed; beam + built-in word list, which
    contains these words, + character model), and greedy in PyTorch, which has no word list to lean
    on: the bound holds for both."""
    if request.param == "greedy":
        rec = Recognizer.from_file(SHIPPED_MODEL, backend="torch")
        return rec.with_options(dataclasses.replace(rec.decode_cfg, decoder="greedy"))
    return Recognizer.from_file(SHIPPED_MODEL, backend="auto")


def test_loads_within_budget(recognizer: Recognizer) -> None:
    assert SHIPPED_MODEL.stat().st_size <= 10 * 1024 * 1024
    for ch in "aăâđêôơưAĐỆữ":
        assert ch in recognizer.codec, ch


@needs_fonts
@pytest.mark.parametrize("font_file", [HELD_OUT_PRINT, HELD_OUT_ROUND])
@pytest.mark.parametrize("words", [ENGLISH, VIETNAMESE], ids=["en", "vi"])
def test_reads_printed_words_in_held_out_fonts(
    recognizer: Recognizer, font_file: str, words: list[str]
) -> None:
    hyps = [recognizer.recognize(printed(w, font_file)).text for w in words]
    rate = cer(words, hyps)
    print(f"\n{font_file}: CER {rate:.1%}: {list(zip(words, hyps, strict=True))}")
    assert rate <= SHIPPED_CER_BOUND


@needs_fonts
@pytest.mark.parametrize("words", [ENGLISH, VIETNAMESE], ids=["en", "vi"])
def test_reads_words_drawn_as_canvas_strokes(recognizer: Recognizer, words: list[str]) -> None:
    rng = np.random.default_rng(7)
    hyps = []
    for w in words:
        strokes = text_to_strokes(w, FONTS / HELD_OUT_PRINT, size=56, rng=rng, jitter=1.0)
        hyps.append(recognizer.recognize_strokes(strokes, pen_width=3.0).text)
    rate = cer(words, hyps)
    print(f"\nstrokes: CER {rate:.1%}: {list(zip(words, hyps, strict=True))}")
    assert rate <= SHIPPED_CER_BOUND
