"""Lines read with where they lie in the file: outlines back in the file's pixels through a turn and a
region, and written as PAGE XML, ALTO XML and hOCR that parse back to the same lines."""

import json
import math
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
import pytest
from testdata import needs_shipped_model

from hwr_core.batch import FileSummary, file_line_samples, read_files
from hwr_core.charset import CTCCodec
from hwr_core.cli import main
from hwr_core.data.page_reader import cut_line
from hwr_core.errors import HwrError
from hwr_core.layout_export import (
    ALTO_NS,
    PAGE_NS,
    XHTML_NS,
    PageLines,
    PlacedLine,
    PlacedWord,
    alto_xml,
    page_lines,
    page_xml,
    write_alto_xml,
    write_hocr,
    write_page_xml,
)
from hwr_core.modelfile import new_bundle, save_model
from hwr_core.recognizer import Recognizer
from hwr_core.word_boxes import even_fractions, word_outlines

WORDS = ("hello there", "second", "the third line")
PAGE = {"p": PAGE_NS}
ALTO = {"a": ALTO_NS}
WHEN = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def recognizer():
    return Recognizer(new_bundle("tiny", CTCCodec()), backend="torch")


@pytest.fixture(autouse=True)
def read_by_lines(monkeypatch):
    # an untrained model's confidences say nothing: never let them prefer a page read whole
    monkeypatch.setattr("hwr_core.recognizer.WHOLE_READING_MARGIN", -math.inf)


def _page(shown=WORDS):
    page = np.full((250, 480), 255, np.uint8)
    for i, text in enumerate(shown):
        cv2.putText(page, text, (20 + 10 * i, 60 + 75 * i), cv2.FONT_HERSHEY_SIMPLEX, 1.3, 0, 3, cv2.LINE_AA)
    return page


def _held(outline, ink):
    inside = np.zeros(ink.shape, np.uint8)
    cv2.fillPoly(inside, [np.array(outline, np.int32)], 1)
    return np.count_nonzero(ink & (inside > 0)) / np.count_nonzero(ink)


@pytest.mark.parametrize(("rotate", "region"), [(0, None), (90, None), (270, (0, 70, 480, 250))])
def test_each_lines_outline_lies_on_its_ink_in_the_file(tmp_path, recognizer, rotate, region):
    # The file is stored sideways, as a phone keeps a photo: the user turns it upright to read it.
    sideways = (lambda a: np.rot90(a, rotate // 90)) if rotate else (lambda a: a)
    path = tmp_path / "page.png"
    cv2.imwrite(str(path), sideways(_page()))
    (reading,) = read_files(recognizer, [path], lines=True, rotate=rotate, region=region)
    summary = FileSummary.of(reading)
    assert summary.size == (sideways(_page()).shape[1], sideways(_page()).shape[0])
    shown = range(1, 3) if region else range(3)  # the region holds the lower two lines
    assert len(summary.outlines) == len(shown) == summary.lines
    for outline, i in zip(summary.outlines, shown, strict=True):
        for j in range(3):
            ink = sideways(_page(tuple(w if k == j else "" for k, w in enumerate(WORDS)))) < 128
            assert _held(outline, ink) > 0.97 if i == j else _held(outline, ink) < 0.03, (i, j)
        if not rotate:  # the first corner is where the line starts: upright, its top left
            assert min(outline, key=sum) == outline[0]


def test_page_xml_holds_each_line_and_a_correction_of_other_lines_on_one(tmp_path):
    outlines = (((5, 10), (290, 8), (291, 60), (6, 62)), ((5, 70), (200, 70), (200, 130), (5, 130)))
    summary = FileSummary("Xin chào\nbạn", 0.4, 2, size=(300, 200), outlines=outlines)
    lines = page_lines(tmp_path / "scan.tif#page=2", "Xin chào\nbạn ơi", summary)
    root = ET.fromstring(page_xml(lines, WHEN))
    assert _page_content_model_errors(root) == []
    page = root.find("p:Page", PAGE)
    assert (
        root.tag == f"{{{PAGE_NS}}}PcGts" and root.find("p:Metadata/p:Created", PAGE).text == WHEN.isoformat()
    )
    assert (page.get("imageFilename"), page.get("imageWidth"), page.get("imageHeight")) == (
        "scan.tif",
        "300",
        "200",
    )
    found = page.findall("p:TextRegion/p:TextLine", PAGE)
    assert [line.find("p:TextEquiv/p:Unicode", PAGE).text for line in found] == ["Xin chào", "bạn ơi"]
    assert [line.find("p:Coords", PAGE).get("points") for line in found] == [
        "5,10 290,8 291,60 6,62",
        "5,70 200,70 200,130 5,130",
    ]
    assert page.find("p:TextRegion/p:Coords", PAGE).get("points") == "5,8 291,8 291,130 5,130"
    joined = page_lines(tmp_path / "a.png", "one line now", summary)  # the user joined the two lines
    assert joined.lines == (PlacedLine(((5, 8), (291, 8), (291, 130), (5, 130)), "one line now"),)
    assert page_lines(tmp_path / "a.json", "drawn", FileSummary("drawn", 0.9, 1)) is None  # no image
    written = write_page_xml([lines, joined], tmp_path / "page", WHEN)
    assert [p.name for p in written] == ["scan-page2.xml", "a.xml"]


def test_hocr_is_one_document_of_pages_and_lines(tmp_path):
    outlines = (((5, 10), (290, 8), (291, 60), (6, 62)),)
    pages = [
        page_lines(
            tmp_path / "scans" / "a.png",
            "first & <last>",
            FileSummary("x", 0.5, 1, size=(300, 100), outlines=outlines),
        ),
        page_lines(tmp_path / "b.png", "second", FileSummary("y", 0.5, 1, size=(320, 90), outlines=outlines)),
    ]
    out = write_hocr(pages, tmp_path / "scans" / "book.hocr")
    text = out.read_text("utf-8")
    assert text.startswith("<?xml") and "<!DOCTYPE html" in text
    root = ET.fromstring(text)
    h = f"{{{XHTML_NS}}}"
    divs = [d for d in root.iter(f"{h}div") if d.get("class") == "ocr_page"]
    assert [d.get("title") for d in divs] == [
        'image "a.png"; bbox 0 0 300 100; ppageno 0',
        f'image "{(tmp_path / "b.png").as_posix()}"; bbox 0 0 320 90; ppageno 1',
    ]
    lines = [s for s in root.iter(f"{h}span") if s.get("class") == "ocr_line"]
    assert [(s.text, s.get("title")) for s in lines] == [
        ("first & <last>", "bbox 5 8 291 62"),
        ("second", "bbox 5 8 291 62"),
    ]


def test_cli_writes_page_xml_and_hocr_of_what_it_read(tmp_path, recognizer, capsys):
    model = save_model(recognizer.bundle, tmp_path / "m.safetensors")
    cv2.imwrite(str(tmp_path / "page.png"), _page())
    args = ["recognize", str(tmp_path / "page.png"), "--model", str(model), "--lines"]
    written = ["--page-xml", str(tmp_path / "xml"), "--hocr", str(tmp_path / "all.hocr")]
    assert main([*args, *written, "--alto", str(tmp_path / "alto")]) == 0
    printed = capsys.readouterr().out.rstrip("\n")
    written = ET.parse(tmp_path / "xml" / "page.xml").getroot()
    assert _page_content_model_errors(written) == []
    found = written.findall("p:Page/p:TextRegion/p:TextLine", PAGE)
    assert "\n".join(line.find("p:TextEquiv/p:Unicode", PAGE).text or "" for line in found) == printed
    alto = ET.parse(tmp_path / "alto" / "page.xml").getroot()
    assert _alto_content_model_errors(alto) == []
    alto_lines = alto.findall(".//a:TextLine", ALTO)
    assert [" ".join(s.get("CONTENT") for s in line.findall("a:String", ALTO)) for line in alto_lines] == [
        line.find("p:TextEquiv/p:Unicode", PAGE).text or "" for line in found
    ]
    for page_line, alto_line in zip(found, alto_lines, strict=True):  # each word where PAGE XML has it
        for word, string in zip(
            page_line.findall("p:Word", PAGE), alto_line.findall("a:String", ALTO), strict=True
        ):
            xs, ys = zip(
                *(map(int, p.split(",")) for p in word.find("p:Coords", PAGE).get("points").split()),
                strict=True,
            )
            box = [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
            assert [int(string.get(k)) for k in ("HPOS", "VPOS", "WIDTH", "HEIGHT")] == box
    assert len(found) == 3 and (tmp_path / "all.hocr").read_text("utf-8").count('class="ocr_line"') == 3
    assert main([*args, "--json"]) == 0  # the JSON says where each line and word lies, as EasyOCR's boxes do
    placed = json.loads(capsys.readouterr().out)["placed"]
    assert (placed["width"], placed["height"]) == (480, 250) and len(placed["lines"]) == 3
    xml_points = [line.find("p:Coords", PAGE).get("points") for line in found]
    assert [" ".join(f"{x},{y}" for x, y in line["outline"]) for line in placed["lines"]] == xml_points
    assert [w["text"] for line in placed["lines"] for w in line["words"]] == printed.split()


def test_words_are_placed_along_their_line_where_read_or_by_their_characters(tmp_path):
    outline = ((10, 20), (210, 20), (210, 60), (10, 60))
    summary = FileSummary(
        "ab cd",
        0.9,
        1,
        size=(300, 100),
        outlines=(outline,),
        words=(((0.0, 0.3), (0.6, 1.0)),),
        word_confidences=((0.93, 0.41),),
    )
    read = page_lines(tmp_path / "a.png", "ab cd", summary).lines[0]
    assert read.words == (
        PlacedWord(((10, 20), (70, 20), (70, 60), (10, 60)), "ab", 0.93),
        PlacedWord(((130, 20), (210, 20), (210, 60), (130, 60)), "cd", 0.41),
    )
    fixed = page_lines(tmp_path / "a.png", "ab ce", summary).lines[0]  # one word corrected: the user's
    assert [(w.text, w.confidence) for w in fixed.words] == [("ab", 0.93), ("ce", None)]
    assert fixed.words[1].outline == read.words[1].outline  # as many words: each where it was read
    corrected = page_lines(tmp_path / "a.png", "a bcd ef", summary).lines[0]  # other words: by characters
    assert [w.text for w in corrected.words] == ["a", "bcd", "ef"]
    assert corrected.words[0].outline[1][0] < corrected.words[1].outline[0][0] + 1
    assert even_fractions("ab cd") == ((0.0, 0.5), (0.5, 1.0)) and even_fractions("  ") == ()
    tilted = word_outlines(((0, 0), (100, 10), (98, 30), (-2, 20)), ((0.5, 1.0),))[0]
    assert np.allclose(tilted, [[50, 5], [100, 10], [98, 30], [48, 25]])  # along the tilted edges
    whole = FileSummary("ab cd", 0.9, 1, size=(300, 100), outlines=(outline,))  # read whole: none
    assert page_lines(tmp_path / "a.png", "ab cd", whole).lines[0].words == ()
    root = ET.fromstring(page_xml(page_lines(tmp_path / "a.png", "ab cd", summary), WHEN))
    assert _page_content_model_errors(root) == []
    words = root.findall("p:Page/p:TextRegion/p:TextLine/p:Word", PAGE)
    assert [w.find("p:TextEquiv/p:Unicode", PAGE).text for w in words] == ["ab", "cd"]
    assert [w.find("p:TextEquiv", PAGE).get("conf") for w in words] == ["0.930", "0.410"]
    assert words[1].find("p:Coords", PAGE).get("points") == "130,20 210,20 210,60 130,60"
    out = write_hocr([page_lines(tmp_path / "a.png", "ab cd", summary)], tmp_path / "a.hocr")
    spans = [s for s in ET.parse(out).getroot().iter(f"{{{XHTML_NS}}}span") if s.get("class") == "ocrx_word"]
    assert [(s.text, s.get("title")) for s in spans] == [
        ("ab", "bbox 10 20 70 60; x_wconf 93"),
        ("cd", "bbox 130 20 210 60; x_wconf 41"),
    ]


def _page_content_model_errors(root: ET.Element) -> list[str]:
    """Where the document breaks PAGE 2019's content model (pagecontent.xsd, 2019-07-15) for the
    elements written: children in the schema's order, the attributes it requires, its points
    pattern (non-negative integers) and confidences in 0..1. (No XSD validator is a dependency.)"""
    p = f"{{{PAGE_NS}}}"
    orders = {  # each element's children, as a regular expression over their names, each with a space
        "PcGts": "Metadata Page ",
        "Metadata": "Creator Created LastChange (Comments )?",
        "Page": "(ReadingOrder )?(TextRegion )*",
        "TextRegion": "Coords (TextLine )*(TextEquiv )*",
        "TextLine": "Coords (Baseline )?(Word )*(TextEquiv )*",
        "Word": "Coords (Glyph )*(TextEquiv )*",
        "TextEquiv": "(PlainText )?Unicode ",
        "Coords": "",
    }
    required = {
        "Page": ("imageFilename", "imageWidth", "imageHeight"),
        "TextRegion": ("id",),
        "TextLine": ("id",),
        "Word": ("id",),
        "Coords": ("points",),
    }
    errors = _content_model_errors(root, PAGE_NS, orders, required, "conf")
    for coords in root.iter(f"{p}Coords"):
        if not re.fullmatch(r"([0-9]+,[0-9]+ )+([0-9]+,[0-9]+)", coords.get("points", "")):
            errors.append(f"points {coords.get('points')!r}")
    ids = [e.get("id") for e in root.iter() if e.get("id")]
    if len(ids) != len(set(ids)):
        errors.append("ids not unique")
    return errors


def _alto_content_model_errors(root: ET.Element) -> list[str]:
    """Where the document breaks ALTO 4.4's content model (alto-4-4.xsd) for the elements written:
    children in the schema's order, the attributes it requires. (No XSD validator is a dependency.)"""
    orders = {  # each element's children, as a regular expression over their names, each with a space
        "alto": "Description Layout ",
        "Description": "MeasurementUnit sourceImageInformation Processing ",
        "sourceImageInformation": "fileName ",
        "Processing": "processingCategory processingDateTime processingSoftware ",
        "processingSoftware": "softwareName softwareVersion ",
        "Layout": "(Page )+",
        "Page": "PrintSpace ",
        "PrintSpace": "(TextBlock )*",
        "TextBlock": "(TextLine )*",
        "TextLine": "(Shape )?(String (SP )?)+",  # at least one String
        "String": "(Shape )?",
        "Shape": "Polygon ",
    }
    required = {
        "Page": ("ID", "PHYSICAL_IMG_NR"),
        "TextBlock": ("ID",),
        "String": ("CONTENT",),
        "Polygon": ("POINTS",),
    }
    return _content_model_errors(root, ALTO_NS, orders, required, "WC")


def _content_model_errors(
    root: ET.Element, ns: str, orders: dict[str, str], required: dict[str, tuple[str, ...]], confidence: str
) -> list[str]:
    """Each element of `root` in namespace `ns` with its children in the order `orders` gives (a
    regular expression over their names, each followed by a space), the attributes `required`
    asks for, and its `confidence` attribute, where it has one, in 0..1."""
    q = f"{{{ns}}}"
    errors = []
    for element in root.iter():
        name = element.tag.removeprefix(q)
        if name == element.tag:
            errors.append(f"{element.tag} outside the namespace")
            continue
        children = "".join(child.tag.removeprefix(q) + " " for child in element)
        if name in orders and not re.fullmatch(orders[name], children):
            errors.append(f"{name}: children {children.strip()!r}")
        errors += [f"{name} without {key}" for key in required.get(name, ()) if key not in element.attrib]
        if confidence in element.attrib and not 0 <= float(element.get(confidence)) <= 1:
            errors.append(f"{confidence} {element.get(confidence)}")
    return errors


def test_alto_xml_holds_each_line_its_words_and_where_they_lie(tmp_path):
    level = ((10, 20), (210, 20), (210, 60), (10, 60))
    tilted = ((10, 80), (210, 90), (208, 130), (8, 120))
    summary = FileSummary(
        "ab cd\nxin",
        0.9,
        2,
        size=(300, 150),
        outlines=(level, tilted),
        words=(((0.0, 0.3), (0.6, 1.0)), ((0.0, 1.0),)),
        word_confidences=((0.93, 0.41), (0.88,)),
    )
    page = page_lines(tmp_path / "scan.tif#page=3", "ab ce\nxin", summary)  # "ce": the user's
    root = ET.fromstring(alto_xml(page, WHEN))
    assert _alto_content_model_errors(root) == []
    assert root.find("a:Description/a:sourceImageInformation/a:fileName", ALTO).text == "scan.tif"
    assert root.find("a:Description/a:Processing/a:processingDateTime", ALTO).text == WHEN.isoformat()
    found = root.find("a:Layout/a:Page", ALTO)
    assert [found.get(k) for k in ("PHYSICAL_IMG_NR", "WIDTH", "HEIGHT")] == ["3", "300", "150"]
    lines = found.findall("a:PrintSpace/a:TextBlock/a:TextLine", ALTO)
    strings = [line.findall("a:String", ALTO) for line in lines]
    assert [[s.get("CONTENT") for s in line] for line in strings] == [["ab", "ce"], ["xin"]]
    assert [len(line.findall("a:SP", ALTO)) for line in lines] == [1, 0]
    first, second = strings[0]
    assert [first.get(k) for k in ("HPOS", "VPOS", "WIDTH", "HEIGHT", "WC")] == [
        "10",
        "20",
        "60",
        "40",
        "0.930",
    ]
    assert second.get("CS") == "true" and "WC" not in second.attrib  # the user's word, where it was read
    assert [lines[1].get(k) for k in ("HPOS", "VPOS", "WIDTH", "HEIGHT")] == ["8", "80", "202", "50"]
    assert lines[0].find("a:Shape", ALTO) is None  # an upright box says it all
    assert lines[1].find("a:Shape/a:Polygon", ALTO).get("POINTS") == "10,80 210,90 208,130 8,120"
    joined = page_lines(tmp_path / "b.png", "all of it", summary)  # lines joined: one String on their box
    root = ET.fromstring(alto_xml(joined, WHEN))
    assert _alto_content_model_errors(root) == []
    (only,) = root.findall(".//a:String", ALTO)
    assert only.get("CONTENT") == "all of it" and only.get("VPOS") == "20" and only.get("HEIGHT") == "110"
    empty = page_lines(tmp_path / "c.png", "", FileSummary("", 0.1, 1, size=(50, 50), outlines=(level,)))
    assert _alto_content_model_errors(ET.fromstring(alto_xml(empty, WHEN))) == []  # still one String
    written = write_alto_xml([page, joined], tmp_path / "alto", WHEN)
    assert [p.name for p in written] == ["scan-page3.xml", "b.xml"]


def test_the_page_check_finds_what_page_forbids():
    page = PageLines(Path("a.png"), 100, 50, (PlacedLine(((0, 0), (90, 0), (90, 40), (0, 40)), "x"),))
    root = ET.fromstring(page_xml(page, WHEN))
    assert _page_content_model_errors(root) == []
    line = root.find(".//p:TextLine", PAGE)
    coords = line.find("p:Coords", PAGE)
    line.remove(coords)
    line.append(coords)  # after TextEquiv
    coords.set("points", "0,0 -3,5")
    del root.find("p:Page", PAGE).attrib["imageWidth"]
    assert _page_content_model_errors(root) == [
        "Page without imageWidth",
        "TextLine: children 'TextEquiv Coords'",
        "points '0,0 -3,5'",
    ]


def test_the_alto_check_finds_what_alto_forbids():
    # the helper above must fail a document that breaks the content model, or it proves nothing
    page = PageLines(Path("a.png"), 100, 50, (PlacedLine(((0, 0), (90, 0), (90, 40), (0, 40)), "x"),))
    root = ET.fromstring(alto_xml(page, WHEN))
    line = root.find(".//a:TextLine", ALTO)
    for string in line.findall("a:String", ALTO):
        line.remove(string)
    ET.SubElement(line, f"{{{ALTO_NS}}}SP")
    del root.find(".//a:Page", ALTO).attrib["PHYSICAL_IMG_NR"]
    assert _alto_content_model_errors(root) == ["Page without PHYSICAL_IMG_NR", "TextLine: children 'SP'"]


@needs_shipped_model
@pytest.mark.parametrize("lines", [True, False], ids=["as-a-page", "read-whole"])
def test_the_shipped_model_places_each_word_on_its_own_ink(tmp_path, lines):
    # Words written apart at known places, read as one line (as a page of one line, or the image
    # read whole, `hwr recognize` without --lines): each word's box holds its ink.
    from hwr_core.resources import default_model_path

    words = ("garden", "umbrella", "sun")  # by their characters, the words would not land there
    line = np.full((90, 900), 255, np.uint8)
    spans = []
    for word, x in zip(words, (20, 260, 700), strict=True):
        cv2.putText(line, word, (x, 60), cv2.FONT_HERSHEY_SIMPLEX, 1.4, 0, 3, cv2.LINE_AA)
        columns = np.flatnonzero((line[:, x : x + 240] < 128).any(axis=0))
        spans.append((x + columns[0], x + columns[-1] + 1))
    cv2.imwrite(str(tmp_path / "line.png"), line)
    rec = Recognizer.from_file(default_model_path())
    (reading,) = read_files(rec, [tmp_path / "line.png"], lines=lines)
    assert reading.text == " ".join(words)
    placed = page_lines(tmp_path / "line.png", reading.text, FileSummary.of(reading)).lines[0].words
    char = (spans[-1][1] - spans[0][0]) / len(reading.text)
    confidences = reading.result.hypotheses[0].spans
    for i, (word, (x0, x1), written) in enumerate(zip(placed, spans, words, strict=True)):
        left, right = min(x for x, _ in word.outline), max(x for x, _ in word.outline)
        assert word.text == written and left <= x0 + 2 and right >= x1 - 2  # holds its ink
        start = sum(len(w) + 1 for w in words[:i])  # its least sure character's confidence
        assert word.confidence == round(
            min(c.confidence for c in confidences[start : start + len(written)]), 3
        )
        assert right - left <= x1 - x0 + 4 * char  # and not much more: two characters' width a side


@needs_shipped_model
def test_a_tilted_line_read_whole_has_its_words_boxes_tilted_on_their_ink(tmp_path):
    # The reading levels the line; the words' boxes go back tilted as the line lies in the image.
    from hwr_core.resources import default_model_path

    words = ("garden", "umbrella", "sun")
    turn = cv2.getRotationMatrix2D((450, 110), 4.0, 1.0)  # up to the right, as a hand drifts

    def written(shown):
        line = np.full((220, 900), 255, np.uint8)
        for word, x in zip(shown, (20, 260, 700), strict=True):
            cv2.putText(line, word, (x, 130), cv2.FONT_HERSHEY_SIMPLEX, 1.4, 0, 3, cv2.LINE_AA)
        return cv2.warpAffine(line, turn, (900, 220), borderValue=255)

    cv2.imwrite(str(tmp_path / "line.png"), written(words))
    (reading,) = read_files(Recognizer.from_file(default_model_path()), [tmp_path / "line.png"])
    assert reading.text == " ".join(words)
    placed = page_lines(tmp_path / "line.png", reading.text, FileSummary.of(reading)).lines[0].words
    assert [w.text for w in placed] == list(words)
    for i, word in enumerate(placed):
        for j in range(3):
            ink = written(tuple(w if k == j else "" for k, w in enumerate(words))) < 128
            assert _held(word.outline, ink) > 0.95 if i == j else _held(word.outline, ink) < 0.05, (i, j)
        top_left, top_right = word.outline[0], word.outline[1]
        assert top_right[1] < top_left[1] - 2  # tilted with the line


def test_a_page_or_alto_files_lines_are_read_as_segmented_there(tmp_path, recognizer, capsys):
    # Another tool's segmentation: two of the three lines, as PAGE XML and as ALTO beside the image;
    # each is cut out where the file puts it and read, and the exports place what was read on it.
    page = _page()
    cv2.imwrite(str(tmp_path / "page.png"), page)
    boxes = (((15, 20), (420, 20), (420, 75), (15, 75)), ((30, 170), (470, 170), (470, 230), (30, 230)))
    summary = FileSummary("old one\nold three", 0.9, 2, size=(480, 250), outlines=boxes)
    layout = page_lines(tmp_path / "page.png", "old one\nold three", summary)
    write_page_xml([layout], tmp_path / "page", WHEN)
    write_alto_xml([layout], tmp_path / "alto", WHEN)
    model = save_model(recognizer.bundle, tmp_path / "m.safetensors")
    for given in (tmp_path / "page" / "page.xml", tmp_path / "alto" / "page.xml"):
        (reading,) = read_files(recognizer, [given])
        assert reading.error == "" and reading.path == tmp_path / "page.png"
        assert len(reading.result.lines) == 2 and "old" not in reading.text  # read, not copied
        ink = page < 128
        for outline, (x0, y0, x1, y1) in zip(
            reading.line_outlines(), [(15, 20, 420, 75), (30, 170, 470, 230)], strict=True
        ):
            assert x0 - 1 <= outline[:, 0].min() and outline[:, 0].max() <= x1 + 1
            assert y0 - 1 <= outline[:, 1].min() and outline[:, 1].max() <= y1 + 1
            assert _held(outline, ink & _rows(ink, y0, y1)) > 0.9
    out = tmp_path / "out"
    assert (
        main(
            ["recognize", str(tmp_path / "alto" / "page.xml"), "--model", str(model), "--page-xml", str(out)]
        )
        == 0
    )
    lines = ET.parse(out / "page.xml").getroot().findall("p:Page/p:TextRegion/p:TextLine", PAGE)
    assert len(lines) == 2 and capsys.readouterr().out.count("\n") == 2
    lost = tmp_path / "elsewhere" / "page"  # its image neither beside it nor one folder up
    lost.mkdir(parents=True)
    (lost / "page.xml").write_bytes((tmp_path / "page" / "page.xml").read_bytes())
    (reading,) = read_files(recognizer, [lost / "page.xml"])
    assert "no image 'page.png'" in reading.error
    (reading,) = read_files(recognizer, [tmp_path / "page" / "page.xml"], rotate=90)
    assert "no turn" in reading.error
    given = tmp_path / "page" / "page.xml"
    (reading,) = read_files(recognizer, [given])
    assert FileSummary.of(reading).image == str(tmp_path / "page.png")  # what a batch exports it as
    # Teach samples: each line the file gives, cut as `hwr train` cuts it, with its line of text
    cuts = [cut_line(page, np.array(box, float))[0] for box in boxes]
    pairs = file_line_samples(recognizer, given, "one\nthree")
    assert [t for _, t in pairs] == ["one", "three"]
    assert all(np.array_equal(crop, cut) for (crop, _), cut in zip(pairs, cuts, strict=True))
    with pytest.raises(HwrError, match="read as 2 lines but the text has 1"):
        file_line_samples(recognizer, given, "one three")


def _rows(ink, y0, y1):
    band = np.zeros(ink.shape, bool)
    band[y0:y1] = True
    return band


def _tools_page(folder):
    """A page and its PAGE XML as another tool writes it: words boxed on the first line, a region
    transcription, a comment, and a third line outside the image (which cannot be read)."""
    folder.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(folder / "page.png"), _page())
    xml = folder / "page.xml"
    xml.write_text(
        f"""<?xml version="1.0" encoding="UTF-8"?>
<PcGts xmlns="{PAGE_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <!-- exported by another tool -->
  <Metadata><Creator>Other</Creator><Created>2026-01-02T03:04:05</Created>
    <LastChange>2026-01-02T03:04:05</LastChange></Metadata>
  <Page imageFilename="page.png" imageWidth="480" imageHeight="250">
    <TextRegion id="tr1"><Coords points="10,10 470,10 470,240 10,240"/>
      <TextLine id="tl1"><Coords points="15,20 420,20 420,75 15,75"/><Baseline points="15,65 420,65"/>
        <Word id="w1"><Coords points="15,20 200,20 200,75 15,75"/><Glyph id="g1"><Coords points="15,20 30,20 30,75 15,75"/><TextEquiv><Unicode>o</Unicode></TextEquiv></Glyph><TextEquiv conf="0.4"><Unicode>old</Unicode></TextEquiv></Word>
        <Word id="w2"><Coords points="200,20 420,20 420,75 200,75"/><TextEquiv><Unicode>words</Unicode></TextEquiv></Word>
        <TextEquiv conf="0.5"><PlainText>old words</PlainText><Unicode>old words</Unicode></TextEquiv></TextLine>
      <TextLine id="tl2"><Coords points="25,95 430,95 430,150 25,150"/><TextEquiv><Unicode>gone</Unicode></TextEquiv></TextLine>
      <TextLine id="tl3"><Coords points="500,300 600,300 600,340 500,340"/><TextEquiv><Unicode>unread</Unicode></TextEquiv></TextLine>
      <TextEquiv><Unicode>old words
gone
unread</Unicode></TextEquiv>
    </TextRegion>
  </Page>
</PcGts>
""",
        "utf-8",
    )
    return xml


def test_what_was_read_goes_back_into_the_other_tools_own_page_file(tmp_path, recognizer):
    from hwr_core.data.page_reader import read_layout
    from hwr_core.layout_fill import LayoutText, write_filled_layouts

    xml = _tools_page(tmp_path)
    before = read_layout(xml)
    (reading,) = read_files(recognizer, [xml])
    assert reading.layout == xml and reading.layout_lines == (0, 1)  # tl3 lies off the image
    assert FileSummary.of(reading).layout_lines == (0, 1)
    # the first line as read, with its words' confidences; the second corrected ("alon" read)
    row = LayoutText(xml, reading.layout_lines, "new pair\nalone", "new pair\nalon", ((0.9, 0.7), (0.5,)))
    assert write_filled_layouts([row], tmp_path, WHEN) == [xml]  # in place
    data = xml.read_bytes()
    root = ET.fromstring(data)
    assert (
        root.tag == f"{{{PAGE_NS}}}PcGts" and b"ns0:" not in data and _page_content_model_errors(root) == []
    )
    after = read_layout(xml)
    assert [t for _, t, _ in after.lines] == ["new pair", "alone", "unread"]
    assert [i for i, _, _ in after.lines] == ["tl1", "tl2", "tl3"] and after.image == before.image
    for (_, _, old), (_, _, new) in zip(before.lines, after.lines, strict=True):
        assert (old is None and new is None) or np.array_equal(old, new)  # the tool's outlines kept
    words = root.findall(".//p:TextLine[@id='tl1']/p:Word", PAGE)
    assert [(w.get("id"), w.find("p:TextEquiv/p:Unicode", PAGE).text) for w in words] == [
        ("w1", "new"),
        ("w2", "pair"),
    ]
    assert words[0].find("p:Glyph", PAGE) is None  # its old letters gone
    assert [w.find("p:TextEquiv", PAGE).get("conf") for w in words] == ["0.900", "0.700"]
    confs = [line.find("p:TextEquiv", PAGE).get("conf") for line in root.iterfind(".//p:TextLine", PAGE)]
    assert confs == ["0.700", None, None]  # the weakest word's; none for a correction or a line not read
    region = root.find(".//p:TextRegion/p:TextEquiv/p:Unicode", PAGE)
    assert region.text == "new pair\nalone\nunread"
    assert root.find("p:Metadata/p:LastChange", PAGE).text == WHEN.isoformat(timespec="seconds")
    assert root.find("p:Metadata/p:Created", PAGE).text == "2026-01-02T03:04:05"

    # three words for the two boxed: the boxes go, with the old text in them
    write_filled_layouts([LayoutText(xml, (0, 1), "three words now\nalone\n")], tmp_path / "out", WHEN)
    again = ET.parse(tmp_path / "out" / "page.xml").getroot()
    assert again.findall(".//p:Word", PAGE) == [] and _page_content_model_errors(again) == []
    assert [t for _, t, _ in read_layout(tmp_path / "out" / "page.xml").lines][0] == "three words now"
    # a text with another number of lines than were read is refused before anything is written
    with pytest.raises(HwrError, match="another number of lines"):
        write_filled_layouts([LayoutText(xml, (0, 1), "one line")], tmp_path, WHEN)
    assert xml.read_bytes() == data


def test_what_was_read_goes_back_into_an_alto_files_strings(tmp_path):
    from hwr_core.data.page_reader import read_layout
    from hwr_core.layout_fill import LayoutText, write_filled_layouts

    boxes = (((15, 20), (420, 20), (420, 75), (15, 75)), ((30, 95), (470, 95), (470, 150), (30, 150)))
    words = (((0.0, 0.5), (0.5, 1.0)), ((0.0, 1.0),))
    summary = FileSummary("old pair\nalone", 0.9, 2, size=(480, 250), outlines=boxes, words=words,
                          word_confidences=((0.4, 0.3), (0.9,)))  # fmt: skip
    (xml,) = write_alto_xml(
        [page_lines(tmp_path / "page.png", summary.text, summary)], tmp_path / "alto", WHEN
    )
    tree = ET.parse(xml)
    strings = tree.getroot().findall(".//a:String", ALTO)
    boxes_before = [{k: s.get(k) for k in ("HPOS", "VPOS", "WIDTH", "HEIGHT")} for s in strings]
    assert all(s.get("WC") for s in strings)
    ET.SubElement(strings[0], f"{{{ALTO_NS}}}ALTERNATIVE").text = "olb"  # another tool's other reading
    tree.write(xml, encoding="UTF-8", xml_declaration=True)
    row = LayoutText(xml, (0, 1), "new pair\nthe rest", "new pair\nthe rest", ((0.8, 0.6), (0.5, 0.4)))
    write_filled_layouts([row], tmp_path / "alto", WHEN)
    root = ET.parse(xml).getroot()
    assert _alto_content_model_errors(root) == [] and b"ns0:" not in xml.read_bytes()
    assert [t for _, t, _ in read_layout(xml).lines] == ["new pair", "the rest"]
    first, second = root.findall(".//a:TextLine", ALTO)
    kept = first.findall("a:String", ALTO)  # as many words as Strings: their boxes kept, the old WC gone
    assert [{k: s.get(k) for k in ("HPOS", "VPOS", "WIDTH", "HEIGHT")} for s in kept] == boxes_before[:2]
    assert [s.get("WC") for s in kept] == ["0.800", "0.600"]  # how sure each was read now
    assert kept[0].find("a:ALTERNATIVE", ALTO) is None  # the old word's other reading gone
    assert [c.tag.split("}")[1] for c in second if c.tag.split("}")[1] in ("String", "SP")] == [
        "String",
        "SP",
        "String",
    ]
    assert [(s.get("HPOS"), s.get("WC")) for s in second.findall("a:String", ALTO)] == [
        (None, "0.500"),
        (None, "0.400"),
    ]
    write_filled_layouts([LayoutText(xml, (0, 1), "new pair\nthe rest")], tmp_path / "alto", WHEN)
    assert [s.get("WC") for s in ET.parse(xml).getroot().iterfind(".//a:String", ALTO)] == [None] * 4


def test_cli_fills_the_page_or_alto_files_it_reads(tmp_path, recognizer, capsys):
    from hwr_core.data.page_reader import read_layout

    xml = _tools_page(tmp_path / "scan")
    model = save_model(recognizer.bundle, tmp_path / "m.safetensors")
    out = tmp_path / "filled"
    assert main(["recognize", str(xml), "--model", str(model), "--fill-layout", str(out)]) == 0
    printed = capsys.readouterr()
    read = printed.out.rstrip("\n").split("\n")
    assert "1 filled PAGE/ALTO file" in printed.err and len(read) == 2
    assert [t for _, t, _ in read_layout(out / "page.xml").lines] == [*read, "unread"]
    assert main(["recognize", str(tmp_path / "scan" / "page.png"), "--model", str(model), "--fill-layout",
                 str(out)]) == 0  # fmt: skip
    assert "none of the files read is a PAGE or ALTO file" in capsys.readouterr().err
