"""What was read with where its lines lie in the image: PAGE XML, ALTO XML and hOCR.

PAGE XML (one file per image) is what Transkribus, eScriptorium and OCR-D import; ALTO XML (one
file per image, version 4) is what eScriptorium imports and library systems and newspaper archives
keep; hOCR (one HTML file for many images, a page each) is what Tesseract writes and gImageReader
and hocr-tools read. All three carry each line's text and outline in the image's pixels
(`batch.FileSummary.outlines`), so a correction made here lands on the right line there, and each
word's, placed along its line where its characters were read (`word_boxes`).
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from . import __version__
from .batch import FileSummary, Outline, pixel_outline, text_file_names
from .fileio import atomic_write_bytes
from .image_pages import split_page_path
from .word_boxes import even_fractions, word_outlines

PAGE_NS = "http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15"
ALTO_NS = "http://www.loc.gov/standards/alto/ns-v4#"
_ALTO_SCHEMA = "http://www.loc.gov/standards/alto/v4/alto-4-4.xsd"
_XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
XHTML_NS = "http://www.w3.org/1999/xhtml"
CREATOR = f"HWR Studio {__version__}"


@dataclass(frozen=True)
class PlacedWord:
    outline: Outline
    text: str
    confidence: float | None = None  # the reading's, 0..1; None for a word the user wrote


@dataclass(frozen=True)
class PlacedLine:
    """A line's text and outline in the image, and its words' (none where unknown)."""

    outline: Outline
    text: str
    words: tuple[PlacedWord, ...] = ()


@dataclass(frozen=True)
class PageLines:
    """One image's lines, in reading order."""

    path: Path  # the image (a multi-page file's page: `scan.tif#page=2`)
    width: int
    height: int
    lines: tuple[PlacedLine, ...]

    @property
    def page(self) -> int | None:
        return split_page_path(self.path)[1]

    def to_json(self) -> dict[str, object]:
        """The image's size and each line's text and corners (x, y in its pixels, clockwise from
        where the line starts), with its words'."""

        def corners(outline: Outline) -> list[list[int]]:
            return [[x, y] for x, y in outline]

        return {
            "width": self.width,
            "height": self.height,
            "lines": [
                {
                    "text": line.text,
                    "outline": corners(line.outline),
                    "words": [
                        {"text": w.text, "outline": corners(w.outline), "confidence": w.confidence}
                        for w in line.words
                    ],
                }
                for line in self.lines
            ],
        }


def page_lines(path: Path, text: str, summary: FileSummary | None) -> PageLines | None:
    """`text` (the reading, or the user's correction) on the lines found in the image, in order,
    each line's words where they were read, or by their share of its characters where the words
    differ from those read; a word as read keeps the reading's confidence. Where the text has another number of lines than were found (a
    correction that joined or split them), it goes whole on one line around them all, its words
    not placed. None when there is nothing to place it on (not read, or canvas strokes)."""
    if summary is None or summary.size is None or not summary.outlines:
        return None
    texts = text.split("\n")
    if len(texts) != len(summary.outlines):
        whole = " ".join(t.strip() for t in texts if t.strip())
        return PageLines(Path(path), *summary.size, (PlacedLine(_box(*_bounds(summary.outlines)), whole),))
    lines = []
    read_lines = summary.text.split("\n")
    for i, (outline, line) in enumerate(zip(summary.outlines, texts, strict=True)):
        words = line.split()
        read = summary.words[i] if i < len(summary.words) else ()
        fractions = read if len(read) == len(words) else even_fractions(line) if summary.words else ()
        placed = [pixel_outline(o, *summary.size) for o in word_outlines(outline, fractions)]
        read_words = read_lines[i].split() if i < len(read_lines) else []
        sure = summary.word_confidences[i] if i < len(summary.word_confidences) else ()
        if len(sure) != len(read_words):
            sure = ()
        lines.append(
            PlacedLine(
                outline,
                line,
                tuple(
                    # the reading's confidence for a word as it was read, at its place; none for the user's
                    PlacedWord(o, w, sure[k] if k < len(sure) and read_words[k] == w else None)
                    for k, (o, w) in enumerate(zip(placed, words, strict=False))
                ),
            )
        )
    return PageLines(Path(path), *summary.size, tuple(lines))


def _box(x0: int, y0: int, x1: int, y1: int) -> Outline:
    return ((x0, y0), (x1, y0), (x1, y1), (x0, y1))


def _bounds(outlines: Sequence[Outline]) -> tuple[int, int, int, int]:
    xs = [x for outline in outlines for x, _ in outline]
    ys = [y for outline in outlines for _, y in outline]
    return min(xs), min(ys), max(xs), max(ys)


def _points(outline: Outline) -> str:
    return " ".join(f"{x},{y}" for x, y in outline)


def _iso(when: datetime) -> str:
    return when.isoformat(timespec="seconds")


# ------------------------------------------------------------------------------------ PAGE XML


def page_xml(page: PageLines, created: datetime) -> bytes:
    """The PAGE XML (2019 schema) of one image: one text region holding its lines in reading order."""
    # plain names in the default namespace declared on the root: ElementTree's `default_namespace`
    # refuses plain attribute names
    root = ET.Element("PcGts", xmlns=PAGE_NS)
    meta = ET.SubElement(root, "Metadata")
    ET.SubElement(meta, "Creator").text = CREATOR
    ET.SubElement(meta, "Created").text = _iso(created)
    ET.SubElement(meta, "LastChange").text = _iso(created)
    image = ET.SubElement(
        root,
        "Page",
        imageFilename=Path(split_page_path(page.path)[0]).name,
        imageWidth=str(page.width),
        imageHeight=str(page.height),
    )
    region = ET.SubElement(image, "TextRegion", id="r1", type="paragraph")
    ET.SubElement(region, "Coords", points=_points(_box(*_bounds([line.outline for line in page.lines]))))
    for i, placed in enumerate(page.lines, start=1):
        line = ET.SubElement(region, "TextLine", id=f"r1l{i}")
        ET.SubElement(line, "Coords", points=_points(placed.outline))
        for k, word in enumerate(placed.words, start=1):
            element = ET.SubElement(line, "Word", id=f"r1l{i}w{k}")
            ET.SubElement(element, "Coords", points=_points(word.outline))
            conf = {} if word.confidence is None else {"conf": f"{word.confidence:.3f}"}
            ET.SubElement(ET.SubElement(element, "TextEquiv", conf), "Unicode").text = word.text
        ET.SubElement(ET.SubElement(line, "TextEquiv"), "Unicode").text = placed.text
    whole = "\n".join(line.text for line in page.lines)
    ET.SubElement(ET.SubElement(region, "TextEquiv"), "Unicode").text = whole
    ET.indent(root)
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True) + b"\n"


def page_xml_names(pages: Sequence[PageLines], folder: str | os.PathLike[str]) -> list[Path]:
    """Where each image's PAGE (or ALTO) XML goes: its text file's name (`text_file_names`) with
    `.xml`, a multi-page file's pages as `scan-page2.xml`."""
    names = text_file_names([p.path for p in pages], folder)
    return [
        name.with_suffix(".xml") if page.page is None else name.with_name(f"{name.stem}-page{page.page}.xml")
        for name, page in zip(names, pages, strict=True)
    ]


def write_page_xml(
    pages: Sequence[PageLines], folder: str | os.PathLike[str], created: datetime
) -> list[Path]:
    """One PAGE XML file per image (`page_xml_names`), atomically; the files written."""
    return _write_each(pages, folder, lambda page: page_xml(page, created))


def _write_each(
    pages: Sequence[PageLines], folder: str | os.PathLike[str], render: Callable[[PageLines], bytes]
) -> list[Path]:
    names = page_xml_names(pages, folder)
    for name, page in zip(names, pages, strict=True):
        atomic_write_bytes(name, render(page))
    return names


# ------------------------------------------------------------------------------------ ALTO XML


def alto_xml(page: PageLines, created: datetime) -> bytes:
    """The ALTO XML (version 4.4) of one image: one text block holding its lines in reading order,
    each line its words (`String`, with the reading's confidence as `WC`; a word the user wrote is
    marked corrected, `CS`) set apart by spaces (`SP`). A line whose words were not placed is one
    String of its whole text on the line's box, as eScriptorium writes its own lines. Tilted lines
    and words keep their corners in a `Shape` beside the upright box ALTO asks for."""
    root = ET.Element(
        "alto",
        {
            "xmlns": ALTO_NS,
            "xmlns:xsi": _XSI_NS,
            "xsi:schemaLocation": f"{ALTO_NS} {_ALTO_SCHEMA}",
            "SCHEMAVERSION": "4.4",
        },
    )
    description = ET.SubElement(root, "Description")
    ET.SubElement(description, "MeasurementUnit").text = "pixel"
    source = ET.SubElement(description, "sourceImageInformation")
    ET.SubElement(source, "fileName").text = Path(split_page_path(page.path)[0]).name
    processing = ET.SubElement(description, "Processing", ID="reading")
    ET.SubElement(processing, "processingCategory").text = "contentGeneration"
    ET.SubElement(processing, "processingDateTime").text = _iso(created)
    software = ET.SubElement(processing, "processingSoftware")
    ET.SubElement(software, "softwareName").text = "HWR Studio"
    ET.SubElement(software, "softwareVersion").text = __version__
    layout = ET.SubElement(root, "Layout")
    size = {"WIDTH": str(page.width), "HEIGHT": str(page.height)}
    number = str(page.page or 1)
    element = ET.SubElement(layout, "Page", {"ID": "p1", "PHYSICAL_IMG_NR": number, **size})
    space = ET.SubElement(element, "PrintSpace", {"HPOS": "0", "VPOS": "0", **size})
    block = ET.SubElement(
        space, "TextBlock", {"ID": "b1", **_alto_box([line.outline for line in page.lines])}
    )
    for i, placed in enumerate(page.lines, start=1):
        line = ET.SubElement(block, "TextLine", {"ID": f"b1l{i}", **_alto_box([placed.outline])})
        _alto_shape(line, placed.outline)
        if not placed.words:
            ET.SubElement(
                line, "String", {"ID": f"b1l{i}w1", "CONTENT": placed.text, **_alto_box([placed.outline])}
            )
        for k, word in enumerate(placed.words, start=1):
            if k > 1:
                ET.SubElement(line, "SP")
            sure = {"CS": "true"} if word.confidence is None else {"WC": f"{word.confidence:.3f}"}
            string = ET.SubElement(
                line,
                "String",
                {"ID": f"b1l{i}w{k}", "CONTENT": word.text, **_alto_box([word.outline]), **sure},
            )
            _alto_shape(string, word.outline)
    ET.indent(root)
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True) + b"\n"


def _alto_box(outlines: Sequence[Outline]) -> dict[str, str]:
    x0, y0, x1, y1 = _bounds(outlines)
    return {"HPOS": str(x0), "VPOS": str(y0), "WIDTH": str(x1 - x0), "HEIGHT": str(y1 - y0)}


def _alto_shape(parent: ET.Element, outline: Outline) -> None:
    """The outline's corners, where they are not already the upright box (a tilted line's)."""
    if outline != _box(*_bounds([outline])):
        ET.SubElement(ET.SubElement(parent, "Shape"), "Polygon", POINTS=_points(outline))


def write_alto_xml(
    pages: Sequence[PageLines], folder: str | os.PathLike[str], created: datetime
) -> list[Path]:
    """One ALTO XML file per image, named as the PAGE XML files are (`page_xml_names`), atomically;
    the files written."""
    return _write_each(pages, folder, lambda page: alto_xml(page, created))


# ------------------------------------------------------------------------------------ hOCR


def hocr(pages: Sequence[PageLines], base: str | os.PathLike[str]) -> bytes:
    """One hOCR document, a page for each image in order; image paths relative to the folder `base`
    where they lie under it (the document's own folder), else absolute."""

    def title(box: tuple[int, int, int, int]) -> str:
        return f"bbox {' '.join(map(str, box))}"

    base = Path(base).resolve()
    root = ET.Element("html", {"xmlns": XHTML_NS, "lang": "und"})
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = "HWR Studio reading"
    ET.SubElement(head, "meta", {"http-equiv": "Content-Type", "content": "text/html;charset=utf-8"})
    ET.SubElement(head, "meta", name="ocr-system", content=CREATOR)
    ET.SubElement(
        head, "meta", name="ocr-capabilities", content="ocr_page ocr_carea ocr_par ocr_line ocrx_word"
    )
    body = ET.SubElement(root, "body")
    for n, page in enumerate(pages, start=1):
        full = Path(split_page_path(page.path)[0]).resolve()
        shown = (full.relative_to(base) if full.is_relative_to(base) else full).as_posix()
        page_title = f'image "{shown}"; {title((0, 0, page.width, page.height))}; ppageno {n - 1}'
        div = ET.SubElement(body, "div", {"class": "ocr_page", "id": f"page_{n}", "title": page_title})
        box = _bounds([line.outline for line in page.lines])
        area = ET.SubElement(div, "div", {"class": "ocr_carea", "id": f"block_{n}_1", "title": title(box)})
        par = ET.SubElement(area, "p", {"class": "ocr_par", "id": f"par_{n}_1", "title": title(box)})
        for k, placed in enumerate(page.lines, start=1):
            line_id = f"line_{n}_{k}"
            line = ET.SubElement(
                par, "span", {"class": "ocr_line", "id": line_id, "title": title(_bounds([placed.outline]))}
            )
            if not placed.words:
                line.text = placed.text
            for w, word in enumerate(placed.words, start=1):
                word_title = title(_bounds([word.outline]))
                if word.confidence is not None:  # Tesseract's word confidence, 0..100
                    word_title += f"; x_wconf {round(100 * word.confidence)}"
                attributes = {"class": "ocrx_word", "id": f"word_{n}_{k}_{w}", "title": word_title}
                ET.SubElement(line, "span", attributes).text = word.text
    ET.indent(root)
    doctype = (
        b'<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
        b'"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
    )
    xml = ET.tostring(root, encoding="UTF-8", xml_declaration=True)
    declaration, _, rest = xml.partition(b"\n")
    return declaration + b"\n" + doctype + rest + b"\n"


def write_hocr(pages: Sequence[PageLines], out: str | os.PathLike[str]) -> Path:
    """Every image's lines in one hOCR file (`hocr`), atomically."""
    out = Path(out)
    atomic_write_bytes(out, hocr(pages, out.resolve().parent))
    return out
