"""The Python API: a reader opened on a model file reads files and arrays as `hwr recognize` does,
each line and word placed in the image's pixels."""

import math

import cv2
import numpy as np
import pytest
from pdf_reader import PdfReadBack
from rapidfuzz.distance import Levenshtein
from testdata import SHIPPED_CER_BOUND, SHIPPED_MODEL, needs_shipped_model

from hwr_core.api import decoding, open_reader, write_pdf
from hwr_core.batch import read_files
from hwr_core.charset import CTCCodec
from hwr_core.config import DecodeConfig
from hwr_core.errors import HwrError
from hwr_core.modelfile import new_bundle, save_model


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    return save_model(new_bundle("tiny", CTCCodec()), tmp_path_factory.mktemp("m") / "tiny.safetensors")


def _page():
    page = np.full((200, 520), 250, np.uint8)
    for i, text in enumerate(("first line", "second one")):
        cv2.putText(page, text, (20, 70 + 90 * i), cv2.FONT_HERSHEY_SIMPLEX, 1.5, 20, 3, cv2.LINE_AA)
    return page


def test_a_file_and_its_array_read_alike_as_the_cli_reads_them(tmp_path, tiny_model, monkeypatch):
    # an untrained model's confidences say nothing: never let them prefer the page read whole
    monkeypatch.setattr("hwr_core.recognizer.WHOLE_READING_MARGIN", -math.inf)
    reader = open_reader(tiny_model, backend="torch")
    cv2.imwrite(str(tmp_path / "page.png"), _page())
    from_file = reader.read(tmp_path / "page.png")
    from_array = reader.read(_page())
    (cli,) = read_files(reader.recognizer, [tmp_path / "page.png"])
    assert from_file.text == from_array.text == cli.text and from_file.path == tmp_path / "page.png"
    assert from_array.path is None and from_file.lines == from_array.lines
    first, second = from_file.lines  # each where it is in the image
    assert max(y for _, y in first.outline) < 115 < min(y for _, y in second.outline)
    assert all(0 <= x <= 520 and 0 <= y <= 200 for line in from_file.lines for x, y in line.outline)
    whole = reader.read(_page(), lines=False)
    assert len(whole.lines) <= 1 and whole.result.lines == ()


def test_a_bad_file_or_array_is_a_clear_error_and_the_rest_are_read(tmp_path, tiny_model):
    reader = open_reader(tiny_model, backend="torch")
    cv2.imwrite(str(tmp_path / "good.png"), _page())
    (tmp_path / "bad.png").write_bytes(b"not a png")
    good, bad, missing = reader.read_many(
        [tmp_path / "good.png", tmp_path / "bad.png", tmp_path / "gone.png"]
    )
    assert good.text == reader.read(tmp_path / "good.png").text
    assert isinstance(bad, HwrError) and "bad.png" in str(bad)
    assert isinstance(missing, HwrError) and "gone.png" in str(missing)
    with pytest.raises(HwrError, match="channels"):
        reader.read(np.zeros((40, 100, 5), np.uint8))
    assert reader.read(np.ones((40, 100), np.float32)).text == ""  # a blank page (floats are 0..1)
    with pytest.raises(HwrError, match="none.safetensors: no such model file"):
        open_reader(tmp_path / "none.safetensors")


def test_the_files_read_make_one_searchable_pdf(tmp_path, tiny_model, monkeypatch):
    monkeypatch.setattr("hwr_core.recognizer.WHOLE_READING_MARGIN", -math.inf)  # read by lines
    reader = open_reader(tiny_model, backend="torch")
    cv2.imwrite(str(tmp_path / "page.png"), _page())
    readings = list(reader.read_many([tmp_path / "page.png", tmp_path / "gone.png", tmp_path / "page.png"]))
    pdf = PdfReadBack(write_pdf(readings, tmp_path / "out.pdf").read_bytes())
    pages = pdf.pages()
    assert len(pages) == 2 and readings[0].size == (520, 200)  # the error passed over
    assert pdf.text(pages[0]).split() == readings[0].text.split()
    with pytest.raises(HwrError, match="not an array"):
        write_pdf([reader.read(_page())], tmp_path / "array.pdf")


def test_no_default_model_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("HWR_MODEL", str(tmp_path / "none.safetensors"))
    with pytest.raises(HwrError, match="no default model"):
        open_reader()


def test_decoding_changes_only_what_is_asked():
    base = DecodeConfig(decoder="beam", beam_width=12, lexicon="builtin", lm="builtin")
    assert decoding(base) == base
    assert decoding(base, greedy=True).decoder == "greedy"
    assert decoding(base, beam=4).beam_width == 4
    assert decoding(base, greedy=True, word_list="none").decoder == "greedy"  # greedy wins
    plain = DecodeConfig(decoder="greedy")
    assert decoding(plain, word_list="builtin").decoder == "beam"  # a word list needs the beam
    assert decoding(plain, word_list="none").decoder == "greedy"
    assert decoding(base, allowed="0123456789").allowed == "0123456789"


@needs_shipped_model
def test_the_shipped_model_reads_a_word_and_places_it():
    from PIL import Image, ImageDraw, ImageFont

    from hwr_core.resources import resources_dir

    font = ImageFont.truetype(str(resources_dir() / "fonts" / "PatrickHand-Regular.ttf"), 64)
    canvas = Image.new("L", (420, 120), 255)
    ImageDraw.Draw(canvas).text((30, 15), "handwriting", font=font, fill=20)
    image = np.array(canvas)
    reader = open_reader(SHIPPED_MODEL)
    page = reader.read(image)
    assert Levenshtein.distance(page.text, "handwriting") / 11 <= SHIPPED_CER_BOUND
    ((word,),) = [line.words for line in page.lines]
    xs, ys = [x for x, _ in word.outline], [y for _, y in word.outline]
    ink_ys, ink_xs = np.nonzero(image < 128)
    assert min(xs) <= ink_xs.min() + 4 and max(xs) >= ink_xs.max() - 4  # its box holds the word
    assert min(ys) <= ink_ys.min() + 4 and max(ys) >= ink_ys.max() - 4
    assert word.confidence is not None and 0 < word.confidence <= 1
