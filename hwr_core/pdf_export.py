"""A searchable PDF: each image as a page, what was read laid over it as invisible text.

What Tesseract and gImageReader make of a scan, and what a reader of handwritten notes wants from
them: the page looks as the photo or scan does, and its words can be searched, selected and copied
where they lie (each word's text stretched over its box, along a tilted line's slant). The text is
drawn invisibly (render mode 3) in a font with no glyphs, as Tesseract's PDFs do: a Type 0 font
whose character codes are the text's UTF-16 code units (Identity-H) and whose ToUnicode map gives
them back, so any Unicode text (Vietnamese in NFC) is found by search and copied as written.

Written by hand: the format is plain, and no PDF library is a dependency.
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from . import __version__
from .errors import HwrError
from .fileio import atomic_write_bytes
from .image_io import load_image_pixels
from .image_pages import split_page_path
from .layout_export import PageLines, PlacedLine

DEFAULT_DPI = 300.0  # a page's pixels per inch where its file says nothing believable
_DPI_RANGE = (100.0, 1200.0)  # a phone photo's EXIF says 72: its page would be metres wide
_ADVANCE = 0.5  # each character's width, in the font's em (its /DW 500)
_JPEG_QUALITY = 90
_MAX_PAGE_SIDE = 14400.0  # points (200 inches): the largest page PDF viewers show
_FONT = "GlyphLessFont"


@dataclass(frozen=True)
class PdfPage:
    """An image's pixels (as read: gray HxW or RGB HxWx3) and what was read on it."""

    pixels: np.ndarray
    lines: PageLines
    dpi: float = DEFAULT_DPI


def pdf_pages(pages: Sequence[PageLines], max_pixels: int = 80_000_000) -> list[PdfPage]:
    """Each image's pixels loaded for its page, in its own colours and turned as it was read."""
    out = []
    for page in pages:
        pixels = load_image_pixels(page.path, max_pixels)
        if pixels.shape[:2] != (page.height, page.width):
            raise HwrError(
                f"{page.path}: the image is {pixels.shape[1]}x{pixels.shape[0]} now, "
                f"{page.width}x{page.height} when it was read: read it again first"
            )
        out.append(PdfPage(pixels, page, _file_dpi(page.path)))
    return out


def _file_dpi(path: Path) -> float:
    """The resolution the image's file gives, where it is believable; else DEFAULT_DPI."""
    try:
        with Image.open(split_page_path(path)[0]) as im:
            dpi = im.info.get("dpi")
    except Exception:  # noqa: BLE001 - loaded already; a size is all this is for
        return DEFAULT_DPI
    if not dpi:
        return DEFAULT_DPI
    value = float(dpi[0])
    return value if _DPI_RANGE[0] <= value <= _DPI_RANGE[1] else DEFAULT_DPI


def searchable_pdf(pages: Sequence[PdfPage]) -> bytes:
    """One PDF document, a page for each image in order, its lines' words over it, invisible."""
    if not pages:
        raise HwrError("a PDF needs at least one page read")
    doc = _Document()
    catalog, tree, font = doc.reserve(), doc.reserve(), _add_font(doc)
    kids = [_add_page(doc, page, tree, font) for page in pages]
    doc.put(tree, f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] /Count {len(kids)} >>")
    doc.put(catalog, f"<< /Type /Catalog /Pages {tree} 0 R >>")
    info = doc.add(f"<< /Producer ({_ascii(f'HWR Studio {__version__}')}) >>")
    return doc.bytes(catalog, info)


def write_searchable_pdf(pages: Sequence[PageLines], out: str | os.PathLike[str]) -> Path:
    """Every image's page, its reading searchable, in one PDF file (`searchable_pdf`), atomically."""
    out = Path(out)
    atomic_write_bytes(out, searchable_pdf(pdf_pages(pages)))
    return out


def _add_page(doc: _Document, page: PdfPage, tree: int, font: int) -> int:
    height, width = page.pixels.shape[:2]
    scale = min(72.0 / page.dpi, _MAX_PAGE_SIDE / max(width, height))  # points per pixel
    frame = _Frame.upright(width, height, scale, _quarter_turns(page.lines))
    image = _add_image(doc, page.pixels)
    # the image's unit square onto the page: pixel (x, y) is (x / width, 1 - y / height) there
    top, bottom = frame.matrix @ np.diag([width, -height])
    e, f = frame.to_page(np.array([0.0, height]))
    ops = [f"q {_nums([top[0], bottom[0], top[1], bottom[1], e, f])} cm /Im0 Do Q", "BT 3 Tr /F1 1 Tf"]
    for line in page.lines.lines:
        ops += _line_text(line, frame)
    ops.append("ET")
    contents = doc.add_stream("\n".join(ops).encode("ascii"))
    return doc.add(
        f"<< /Type /Page /Parent {tree} 0 R /MediaBox [0 0 {_nums(frame.size)}] "
        f"/Resources << /XObject << /Im0 {image} 0 R >> /Font << /F1 {font} 0 R >> >> "
        f"/Contents {contents} 0 R >>"
    )


@dataclass(frozen=True)
class _Frame:
    """Where an image's pixels lie on its page (points, y up), the image turned upright: page =
    matrix @ (x, y) + offset."""

    matrix: np.ndarray
    offset: np.ndarray
    size: tuple[float, float]

    @classmethod
    def upright(cls, width: int, height: int, scale: float, quarters: int) -> _Frame:
        """The frame of an image whose writing runs `quarters` quarter turns anticlockwise from
        left to right (1: upwards, a photo taken sideways): shown turned back clockwise, so that a
        viewer shows it, and finds its text, the right way up (PDFium finds no text laid upwards)."""
        w, h = width * scale, height * scale
        frames = {
            0: (((scale, 0.0), (0.0, -scale)), (0.0, h), (w, h)),
            1: (((0.0, -scale), (-scale, 0.0)), (h, w), (h, w)),
            2: (((-scale, 0.0), (0.0, scale)), (w, 0.0), (w, h)),
            3: (((0.0, scale), (scale, 0.0)), (0.0, 0.0), (h, w)),
        }
        matrix, offset, size = frames[quarters % 4]
        return cls(np.array(matrix), np.array(offset), size)

    def to_page(self, point: np.ndarray) -> np.ndarray:
        return self.matrix @ point + self.offset


def _quarter_turns(lines: PageLines) -> int:
    """How many quarter turns anticlockwise the page's writing runs, on the whole (its lines'
    directions summed, each start corner to its next)."""
    run = sum(
        (np.subtract(line.outline[1], line.outline[0], dtype=np.float64) for line in lines.lines), np.zeros(2)
    )
    if not np.any(run):
        return 0
    return round(np.degrees(np.arctan2(-run[1], run[0])) / 90.0) % 4


def _line_text(line: PlacedLine, frame: _Frame) -> list[str]:
    """Text operators laying each word of a line over its outline (the line's text over the line's,
    where its words were not placed). A word is followed by a space stretched over the gap to
    the next, so that copied text keeps its spaces."""
    placed = [(w.outline, w.text) for w in line.words if w.text] or [(line.outline, line.text)]
    ops = []
    for k, (outline, text) in enumerate(placed):
        if not text.strip():
            continue
        corners = np.array(outline, dtype=np.float64)  # clockwise from where the word starts
        start, end, bottom = corners[0], corners[1], corners[3]
        if k + 1 < len(placed):  # reach to where the next word starts
            end = np.array(placed[k + 1][0][0], dtype=np.float64)
            text += " "
        start, end, bottom = (frame.to_page(p) for p in (start, end, bottom))
        along, up = end - start, start - bottom
        if np.hypot(*along) < 1e-6 or np.hypot(*up) < 1e-6:
            continue
        a, b = along / (len(text) * _ADVANCE)
        ops.append(f"{_nums([a, b, up[0], up[1], bottom[0], bottom[1]])} Tm <{_utf16_hex(text)}> Tj")
    return ops


def _add_image(doc: _Document, pixels: np.ndarray) -> int:
    """The image as an XObject: JPEG for colour photos, lossless (Flate) for gray scans."""
    height, width = pixels.shape[:2]
    if pixels.ndim == 3:
        ok, jpeg = cv2.imencode(
            ".jpg", cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, _JPEG_QUALITY]
        )
        if not ok:
            raise HwrError("the page's image could not be encoded for the PDF")
        data, space, codec = jpeg.tobytes(), "/DeviceRGB", "/DCTDecode"
    else:
        data, space, codec = (
            zlib.compress(np.ascontiguousarray(pixels).tobytes(), 6),
            "/DeviceGray",
            "/FlateDecode",
        )
    return doc.add_stream(
        data,
        f"/Type /XObject /Subtype /Image /Width {width} /Height {height} /ColorSpace {space} "
        f"/BitsPerComponent 8 /Filter {codec}",
        compress=False,
    )


def _add_font(doc: _Document) -> int:
    """A Type 0 font of no visible glyphs: codes are UTF-16 code units (Identity-H), every code
    drawn by one empty glyph half an em wide, ToUnicode mapping each code to itself."""
    truetype = _glyphless_truetype()
    font_file = doc.add_stream(truetype, f"/Length1 {len(truetype)}")
    descriptor = doc.add(
        f"<< /Type /FontDescriptor /FontName /{_FONT} /Flags 5 /FontBBox [0 0 {int(_ADVANCE * 1000)} 1000] "
        f"/ItalicAngle 0 /Ascent 1000 /Descent 0 /CapHeight 1000 /StemV 80 /FontFile2 {font_file} 0 R >>"
    )
    to_gid = doc.add_stream(b"\x00\x01" * 65536)  # every code: glyph 1
    cid_font = doc.add(
        f"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /{_FONT} "
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
        f"/FontDescriptor {descriptor} 0 R /DW {int(_ADVANCE * 1000)} /CIDToGIDMap {to_gid} 0 R >>"
    )
    to_unicode = doc.add_stream(_identity_to_unicode())
    return doc.add(
        f"<< /Type /Font /Subtype /Type0 /BaseFont /{_FONT} /Encoding /Identity-H "
        f"/DescendantFonts [{cid_font} 0 R] /ToUnicode {to_unicode} 0 R >>"
    )


def _identity_to_unicode() -> bytes:
    """A CMap taking each two-byte code to the UTF-16 code unit it is (a surrogate pair's two codes
    to the pair). bfrange may only vary a range's last byte: 256 ranges, at most 100 a block."""
    ranges = [f"<{hi:02X}00> <{hi:02X}FF> <{hi:02X}00>" for hi in range(256)]
    blocks = []
    for i in range(0, len(ranges), 100):
        chunk = ranges[i : i + 100]
        blocks.append(f"{len(chunk)} beginbfrange\n" + "\n".join(chunk) + "\nendbfrange")
    return (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        + "\n".join(blocks)
        + "\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"
    ).encode("ascii")


def _glyphless_truetype() -> bytes:
    """The smallest TrueType font a PDF may embed for a CIDFontType2: the tables PDF asks for
    (head, hhea, hmtx, loca, maxp, glyf), two empty glyphs (.notdef and the one every code draws),
    each half an em wide."""
    glyphs, advance = 2, int(_ADVANCE * 1000)
    # version, revision, checksum adjustment (set below), magic number, flags, units per em,
    # created, modified, bounding box, style, smallest readable size, direction, short loca, format
    head = (0x10000, 0x10000, 0, 0x5F0F3CF5, 0x000B, 1000, 0, 0, 0, 0, advance, 1000, 0, 3, 2, 0, 0)
    # version, ascender, descender, line gap, widest advance, least side bearings and extent,
    # caret slope (upright) and offset, 4 reserved, metric format, metrics given
    hhea = (0x10000, 1000, 0, 0, advance, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, glyphs)
    # version, glyphs, then the largest points, contours, ..., of which zones: 1 (no instructions)
    maxp = (0x10000, glyphs, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0)
    tables = {
        b"head": struct.pack(">IIIIHHqqhhhhHHhhh", *head),
        b"hhea": struct.pack(">I3hH3h3h4hhH", *hhea),
        b"maxp": struct.pack(">IH13H", *maxp),
        b"hmtx": struct.pack(f">{2 * glyphs}H", *[advance, 0] * glyphs),
        b"loca": struct.pack(f">{glyphs + 1}H", *[0] * (glyphs + 1)),
        b"glyf": b"",
    }
    tags = sorted(tables)
    count = len(tags)
    power = 1 << (count.bit_length() - 1)
    header = struct.pack(
        ">IHHHH", 0x00010000, count, power * 16, power.bit_length() - 1, count * 16 - power * 16
    )
    offset = len(header) + 16 * count
    records, body = b"", b""
    for tag in tags:
        data = tables[tag]
        padded = data + b"\0" * (-len(data) % 4)
        records += struct.pack(">4sIII", tag, _checksum(padded), offset + len(body), len(data))
        body += padded
    font = bytearray(header + records + body)
    head_at = offset + sum(len(tables[t]) + (-len(tables[t]) % 4) for t in tags[: tags.index(b"head")])
    struct.pack_into(">I", font, head_at + 8, (0xB1B0AFBA - _checksum(bytes(font))) & 0xFFFFFFFF)
    return bytes(font)


def _checksum(data: bytes) -> int:
    data += b"\0" * (-len(data) % 4)
    return sum(struct.unpack(f">{len(data) // 4}I", data)) & 0xFFFFFFFF


def _utf16_hex(text: str) -> str:
    return text.encode("utf-16-be").hex().upper()


def _ascii(text: str) -> str:
    """A PDF literal string's inside, ASCII only."""
    safe = text.encode("ascii", "replace").decode("ascii")
    return safe.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _nums(values: Sequence[float]) -> str:
    """Numbers as a PDF writes them: at most 4 decimals, no trailing zeros."""
    texts = (f"{float(v):.4f}".rstrip("0").rstrip(".") for v in values)
    return " ".join("0" if t in ("", "-0") else t for t in texts)


class _Document:
    """Numbered objects, written with their cross-reference table."""

    def __init__(self) -> None:
        self._objects: dict[int, bytes] = {}
        self._next = 1

    def reserve(self) -> int:
        number, self._next = self._next, self._next + 1
        return number

    def put(self, number: int, body: str | bytes) -> None:
        self._objects[number] = body.encode("ascii") if isinstance(body, str) else body

    def add(self, body: str | bytes) -> int:
        number = self.reserve()
        self.put(number, body)
        return number

    def add_stream(self, data: bytes, entries: str = "", compress: bool = True) -> int:
        if compress:
            data, entries = zlib.compress(data, 9), f"{entries} /Filter /FlateDecode".strip()
        head = f"<< {entries} /Length {len(data)} >>\nstream\n".encode("ascii")
        return self.add(head + data + b"\nendstream")

    def bytes(self, catalog: int, info: int) -> bytes:
        out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        offsets = {}
        for number in sorted(self._objects):
            offsets[number] = len(out)
            out += f"{number} 0 obj\n".encode("ascii") + self._objects[number] + b"\nendobj\n"
        xref = len(out)
        size = max(self._objects) + 1
        out += f"xref\n0 {size}\n0000000000 65535 f \n".encode("ascii")
        for number in range(1, size):
            out += f"{offsets[number]:010d} 00000 n \n".encode("ascii")
        trailer = f"<< /Size {size} /Root {catalog} 0 R /Info {info} 0 R >>"
        out += f"trailer\n{trailer}\nstartxref\n{xref}\n%%EOF\n".encode("ascii")
        return bytes(out)
