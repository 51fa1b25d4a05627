"""The searchable PDF (`hwr_core.pdf_export`), read back as a PDF viewer finds its text
(`pdf_reader.PdfReadBack`)."""

from __future__ import annotations

import re
import struct
import unicodedata
from pathlib import Path

import cv2
import numpy as np
import pytest
from pdf_reader import PdfReadBack
from PIL import Image
from testdata import needs_shipped_model

from hwr_core.cli import main
from hwr_core.errors import HwrError
from hwr_core.image_io import load_image_pixels
from hwr_core.layout_export import PageLines, PlacedLine, PlacedWord
from hwr_core.pdf_export import DEFAULT_DPI, _glyphless_truetype, searchable_pdf, write_searchable_pdf


def _image(tmp_path: Path, name: str = "scan.png", size: tuple[int, int] = (400, 160)) -> Path:
    page = np.full((size[1], size[0]), 240, np.uint8)
    cv2.putText(page, "hello world", (20, 60), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 20, 3)
    path = tmp_path / name
    Image.fromarray(page).save(path)
    return path


def _box(x0: int, y0: int, x1: int, y1: int) -> tuple[tuple[int, int], ...]:
    return ((x0, y0), (x1, y0), (x1, y1), (x0, y1))


def _lines(path: Path, width: int = 400, height: int = 160) -> PageLines:
    words = (PlacedWord(_box(20, 30, 120, 70), "hello", 0.9), PlacedWord(_box(140, 30, 260, 70), "world"))
    second = PlacedLine(_box(20, 90, 300, 130), "Việt Nam")  # no words placed: the line's text over it
    return PageLines(path, width, height, (PlacedLine(_box(20, 30, 260, 70), "hello world", words), second))


def test_a_page_shows_its_image_and_its_words_where_they_lie(tmp_path: Path) -> None:
    pdf = PdfReadBack(write_searchable_pdf([_lines(_image(tmp_path))], tmp_path / "out.pdf").read_bytes())
    (page,) = pdf.pages()
    scale = 72.0 / DEFAULT_DPI
    media = [float(v) for v in re.search(rb"/MediaBox \[([^\]]*)\]", page)[1].split()]  # type: ignore[index]
    assert media == pytest.approx([0, 0, 400 * scale, 160 * scale], abs=1e-3)
    image = pdf.objects[pdf.ref(page, "Im0")]
    assert b"/Width 400 /Height 160 /ColorSpace /DeviceGray" in image  # a gray scan stays gray, lossless
    pixels = np.frombuffer(pdf.stream(pdf.ref(page, "Im0")), np.uint8).reshape(160, 400)
    assert np.array_equal(pixels, load_image_pixels(tmp_path / "scan.png"))
    words = pdf.words(page)
    assert [text for _, text in words] == ["hello ", "world", "Việt Nam"]  # a space over the gap
    (a, b, c, d, e, f), _ = words[0]
    # "hello " runs from the word's start (20 px) to the next word's (140 px), its box 40 px tall,
    # from its bottom-left corner (20, 70) in points from the page's bottom
    assert (a * 6 * 0.5, b, c, d) == pytest.approx((120 * scale, 0, 0, 40 * scale), abs=1e-3)
    assert (e, f) == pytest.approx((20 * scale, (160 - 70) * scale), abs=1e-3)
    assert unicodedata.is_normalized("NFC", words[2][1])


def _read(pages: list[PageLines], out: Path) -> PdfReadBack:
    return PdfReadBack(write_searchable_pdf(pages, out).read_bytes())


def test_a_tilted_words_text_runs_along_its_slant(tmp_path: Path) -> None:
    tilted = ((20, 60), (220, 40), (224, 80), (24, 100))  # 200 px along, rising to the right
    line = PlacedLine(tilted, "slant", (PlacedWord(tilted, "slant"),))
    pdf = _read([PageLines(_image(tmp_path), 400, 160, (line,))], tmp_path / "t.pdf")
    ((a, b, c, d, _, _), text) = pdf.words(pdf.pages()[0])[0]
    assert text == "slant"
    assert b / a == pytest.approx(20 / 200)  # up 20 px over 200 (the page's y runs up)
    assert c / d == pytest.approx(-4 / 40)  # its left edge leans as its outline's does


@pytest.mark.parametrize("stored", [90, 180, 270])
def test_a_page_read_turned_is_shown_upright_with_its_text_level(tmp_path: Path, stored: int) -> None:
    # a photo taken sideways (or upside down), read turned: its lines run up, down or backwards in
    # the file. PDFium finds no text laid upwards, and a reader wants the page the right way up.
    upright = np.full((160, 400), 240, np.uint8)
    cv2.putText(upright, "hello", (20, 60), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 20, 3)
    Image.fromarray(np.ascontiguousarray(np.rot90(upright, -stored // 90))).save(tmp_path / "turned.png")
    corners = np.array(_box(20, 30, 120, 70), dtype=np.float64)  # the word, upright
    width, height = (400, 160) if stored == 180 else (160, 400)
    box = tuple((int(x), int(y)) for x, y in _turned_corners(corners, stored, 400, 160))
    line = PlacedLine(box, "hello", (PlacedWord(box, "hello"),))
    pdf = _read([PageLines(tmp_path / "turned.png", width, height, (line,))], tmp_path / "t.pdf")
    (page,) = pdf.pages()
    assert b"/MediaBox [0 0 96 38.4]" in page  # landscape again: 400 x 160 px at 300 dpi
    (((a, b, c, d, e, f), text),) = pdf.words(page)
    scale = 72 / DEFAULT_DPI
    assert text == "hello" and b == c == 0 and a > 0 and d > 0  # level, as written
    assert (e, f) == pytest.approx((20 * scale, (160 - 70) * scale), abs=1e-3)  # where the word is


def _turned_corners(corners: np.ndarray, degrees: int, width: int, height: int) -> np.ndarray:
    """Points of a width x height image where they lie once it is turned `degrees` clockwise."""
    x, y = corners[:, 0], corners[:, 1]
    return {
        90: np.stack([height - y, x], axis=1),
        180: np.stack([width - x, height - y], axis=1),
        270: np.stack([y, width - x], axis=1),
    }[degrees]


def test_every_code_of_the_text_is_mapped_back_to_itself(tmp_path: Path) -> None:
    # Vietnamese in NFC, a curly quote, a character outside the BMP (a surrogate pair): copied
    # from the PDF as written
    text = "Nguyễn Thị Ánh “ở” 𝑥"
    line = PlacedLine(_box(10, 10, 390, 60), text)
    pdf = _read([PageLines(_image(tmp_path), 400, 160, (line,))], tmp_path / "v.pdf")
    assert pdf.text(pdf.pages()[0]) == text


def test_a_colour_photo_is_a_jpeg_page_turned_as_it_was_read(tmp_path: Path) -> None:
    photo = np.zeros((120, 200, 3), np.uint8)
    photo[:, :, 0], photo[:, :, 2] = 200, 90  # reddish paper
    exif = Image.Exif()
    exif[0x0112] = 6  # stored on its side: shown (and read) turned a quarter turn clockwise
    Image.fromarray(photo).save(tmp_path / "photo.jpg", exif=exif, dpi=(150, 150))
    page = PageLines(tmp_path / "photo.jpg", 120, 200, (PlacedLine(_box(10, 10, 110, 40), "red"),))
    pdf = _read([page], tmp_path / "p.pdf")
    (shown,) = pdf.pages()
    assert b"/Width 120 /Height 200 /ColorSpace /DeviceRGB" in pdf.objects[pdf.ref(shown, "Im0")]
    jpeg = cv2.imdecode(np.frombuffer(pdf.stream(pdf.ref(shown, "Im0")), np.uint8), cv2.IMREAD_COLOR)
    assert jpeg.shape == (200, 120, 3) and abs(int(jpeg[..., 2].mean()) - 200) < 8  # BGR: red as red
    media = [float(v) for v in re.search(rb"/MediaBox \[([^\]]*)\]", shown)[1].split()]  # type: ignore[index]
    assert media[2:] == pytest.approx([120 * 72 / 150, 200 * 72 / 150])  # at the file's 150 dpi


def test_a_pages_image_keeps_its_colours_and_gray_stays_gray(tmp_path: Path) -> None:
    rgba = np.zeros((20, 30, 4), np.uint8)
    rgba[..., 0], rgba[..., 3] = 255, 128  # half-transparent red: on white, pink
    Image.fromarray(rgba).save(tmp_path / "pink.png")
    pink = load_image_pixels(tmp_path / "pink.png")
    assert pink.shape == (20, 30, 3) and tuple(pink[0, 0]) == (255, 127, 127)
    gray = np.stack([np.arange(30, dtype=np.uint8)[None, :].repeat(20, 0)] * 3, axis=2)
    Image.fromarray(gray).save(tmp_path / "gray.png")  # gray stored as RGB: one channel is enough
    assert np.array_equal(load_image_pixels(tmp_path / "gray.png"), gray[..., 0])


def test_a_phone_photos_72_dpi_is_not_believed(tmp_path: Path) -> None:
    path = _image(tmp_path)
    Image.open(path).save(tmp_path / "phone.png", dpi=(72, 72))
    pdf = _read([_lines(tmp_path / "phone.png")], tmp_path / "q.pdf")
    assert b"/MediaBox [0 0 96 38.4]" in pdf.pages()[0]  # 400 x 160 px at 300 dpi, not 72


def test_a_very_long_scan_is_shrunk_to_a_page_viewers_show(tmp_path: Path) -> None:
    strip = np.full((100, 64000), 235, np.uint8)  # a scroll scanned at 300 dpi: 213 inches long
    Image.fromarray(strip).save(tmp_path / "scroll.png")
    line = PlacedLine(_box(0, 20, 64000, 80), "a scroll")
    pdf = _read([PageLines(tmp_path / "scroll.png", 64000, 100, (line,))], tmp_path / "s.pdf")
    assert b"/MediaBox [0 0 14400 22.5]" in pdf.pages()[0]  # 200 inches, the limit


def test_an_image_changed_since_it_was_read_is_refused_and_nothing_written(tmp_path: Path) -> None:
    path = _image(tmp_path, size=(300, 160))
    out = tmp_path / "out.pdf"
    with pytest.raises(HwrError, match="300x160 now, 400x160 when it was read"):
        write_searchable_pdf([_lines(path)], out)
    with pytest.raises(HwrError, match="no such file"):
        write_searchable_pdf([_lines(tmp_path / "gone.png")], out)
    with pytest.raises(HwrError, match="at least one page"):
        searchable_pdf([])
    assert not out.exists()


def test_the_font_is_a_well_formed_truetype_file() -> None:
    font = _glyphless_truetype()
    _, count = struct.unpack(">IH", font[:6])
    records = [struct.unpack(">4sIII", font[12 + 16 * i : 28 + 16 * i]) for i in range(count)]
    tags = [tag for tag, *_ in records]
    assert tags == sorted(tags) and set(tags) == {b"glyf", b"head", b"hhea", b"hmtx", b"loca", b"maxp"}
    padded = font + b"\0" * (-len(font) % 4)
    assert sum(struct.unpack(f">{len(padded) // 4}I", padded)) & 0xFFFFFFFF == 0xB1B0AFBA
    tables = {tag: font[offset : offset + length] for tag, _, offset, length in records}
    assert struct.unpack(">H", tables[b"maxp"][4:6])[0] == 2  # .notdef and the glyph every code draws
    assert struct.unpack(">I", tables[b"head"][12:16])[0] == 0x5F0F3CF5


@needs_shipped_model
def test_the_cli_writes_the_pages_it_read_as_one_searchable_pdf(tmp_path: Path, capsys) -> None:
    page = np.full((220, 640), 250, np.uint8)
    for i, text in enumerate(("the quick brown fox", "jumps over a dog")):
        cv2.putText(page, text, (20, 70 + 100 * i), cv2.FONT_HERSHEY_SIMPLEX, 1.6, 20, 3, cv2.LINE_AA)
    cv2.imwrite(str(tmp_path / "a.png"), page)
    cv2.imwrite(str(tmp_path / "b.png"), page[:110])
    args = ["recognize", str(tmp_path / "a.png"), str(tmp_path / "b.png"), "--pdf"]
    assert main([*args, str(tmp_path / "out.pdf")]) == 0
    rows = [row.split("\t") for row in capsys.readouterr().out.splitlines()]  # a file's path, a tab, a line
    read_a, read_b = (
        " ".join(text for path, text in rows if path == str(tmp_path / n)) for n in ("a.png", "b.png")
    )
    pdf = PdfReadBack((tmp_path / "out.pdf").read_bytes())
    first, second = pdf.pages()
    assert pdf.text(first).split() == read_a.split() and pdf.text(second).split() == read_b.split()
    assert len(pdf.text(first).split()) >= 6  # both lines' words
