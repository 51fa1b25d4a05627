"""PAGE and ALTO XML as training data: each transcribed line cut out of its page, from this app's
export or a Transkribus- or eScriptorium-style folder, any schema version; what cannot be used is
reported, not fatal."""

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import cv2
import numpy as np
import pytest

from hwr_core.batch import FileSummary
from hwr_core.charset import CTCCodec
from hwr_core.data.spec import load_records, parse_spec
from hwr_core.errors import DatasetError
from hwr_core.layout_export import page_lines, write_alto_xml, write_page_xml

TEXTS = ("first line", "the second", "third one here")


def _page(shown=TEXTS):
    page = np.full((260, 520), 245, np.uint8)
    for i, text in enumerate(shown):
        cv2.putText(page, text, (30, 60 + 80 * i), cv2.FONT_HERSHEY_SIMPLEX, 1.3, 20, 3, cv2.LINE_AA)
    return page


def _exported(folder, outlines=None, write=write_page_xml, subfolder="page", placed_words=False):
    """The page and its PAGE (or ALTO) XML as this app writes it, each line's outline a box around
    its ink (and with `placed_words`, each word placed along it)."""
    folder.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(folder / "scan.png"), _page())
    boxes = outlines or tuple(
        ((20, 20 + 80 * i), (500, 20 + 80 * i), (500, 78 + 80 * i), (20, 78 + 80 * i)) for i in range(3)
    )
    words = tuple(
        tuple((k / len(t.split()), (k + 1) / len(t.split())) for k in range(len(t.split()))) for t in TEXTS
    )
    words = words if placed_words else ()
    summary = FileSummary("\n".join(TEXTS), 0.9, 3, size=(520, 260), outlines=boxes, words=words)
    write(
        [page_lines(folder / "scan.png", "\n".join(TEXTS), summary)],
        folder / subfolder,
        datetime(2026, 12, 2, tzinfo=UTC),
    )
    return folder


@pytest.mark.parametrize(("write", "subfolder"), [(write_page_xml, "page"), (write_alto_xml, "alto")])
def test_each_line_of_an_exported_page_is_a_sample_cut_from_its_image(tmp_path, write, subfolder):
    folder = _exported(tmp_path / "export", write=write, subfolder=subfolder, placed_words=True)
    spec = parse_spec(f"{folder}?cache={tmp_path / 'cache'}")  # the kind told by its page/ (alto/) folder
    assert spec.kind == "page"
    records, report = load_records(spec)
    assert [r.text for r in records] == list(TEXTS) and report.usable == 3 and report.source == "export"
    for i, record in enumerate(records):
        crop = cv2.imread(str(record.path), cv2.IMREAD_GRAYSCALE)
        alone = _page(tuple(t if k == i else "" for k, t in enumerate(TEXTS)))
        box = alone[20 + 80 * i - 4 : 78 + 80 * i + 4, 16:504]
        assert (
            crop.shape == box.shape and np.abs(crop.astype(int) - box.astype(int)).max() <= 1
        )  # its ink only
    made = {p: p.stat().st_mtime_ns for p in (tmp_path / "cache").iterdir()}
    again, _ = load_records(spec)  # cut once: read from the cache the second time
    assert [r.path for r in again] == [r.path for r in records]
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "cache").iterdir()} == made


def test_a_line_transcribed_only_word_by_word_is_its_words_joined(tmp_path):
    # Some exports transcribe Words and leave their TextLine without a TextEquiv of its own.
    folder = _exported(tmp_path / "export")
    xml = folder / "page" / "scan.xml"
    tree = ET.parse(xml)
    ns = tree.getroot().tag.split("}")[0] + "}"
    for k, line in enumerate(tree.iter(f"{ns}TextLine")):
        if k == 0:
            continue  # the first keeps its own text
        line.remove(line.find(f"{ns}TextEquiv"))
        for i, text in enumerate(TEXTS[k].split()):
            word = ET.SubElement(line, f"{ns}Word", id=f"w{k}{i}")
            ET.SubElement(word, f"{ns}Coords", points="0,0 1,0 1,1")
            if not (k == 2 and i == 1):  # the third line's second word has no text
                ET.SubElement(ET.SubElement(word, f"{ns}TextEquiv"), f"{ns}Unicode").text = text
    tree.write(xml, encoding="utf-8")
    records, report = load_records(parse_spec(f"page:{folder}?cache={tmp_path / 'cache'}"))
    # not all of the third line is known: it is no sample
    assert [r.text for r in records] == ["first line", "the second"]
    assert report.skipped == {"line without text or outline": 1}


def test_what_lies_outside_a_lines_outline_is_painted_as_paper(tmp_path):
    # The third line's outline holds only its first 180 px, with a thin spike along its top to the
    # right edge: its box reaches across the line, and the ink there, outside, is painted out.
    outlines = (
        ((20, 20), (500, 20), (500, 78), (20, 78)),
        ((20, 100), (500, 100), (500, 158), (20, 158)),
        ((20, 178), (500, 178), (500, 182), (200, 182), (200, 240), (20, 240)),
    )
    folder = _exported(tmp_path / "export", outlines)
    records, _ = load_records(parse_spec(f"page:{folder / 'page'}?cache={tmp_path / 'cache'}"))
    third = cv2.imread(str(records[2].path), cv2.IMREAD_GRAYSCALE)  # x from 16, y from 174
    assert third.shape[1] == 500 + 4 - 16 and (third[:, : 200 - 16] < 128).any()
    assert not (third[182 + 4 + 1 - 174 :, 200 + 4 + 1 - 16 :] < 128).any()


def test_alto_as_escriptorium_and_kraken_write_it(tmp_path):
    # A line as one String holding its spaces, a polygon as "x y x y", a line hyphenated at its end;
    # a line with only a box; a file measured in tenths of millimetres, which cannot be placed.
    cv2.imwrite(str(tmp_path / "scan.png"), _page())
    alto = """<?xml version="1.0" encoding="UTF-8"?>
<alto xmlns="http://www.loc.gov/standards/alto/ns-v4#">
  <Description><MeasurementUnit>pixel</MeasurementUnit>
    <sourceImageInformation><fileName>/home/someone/scans/scan.png</fileName></sourceImageInformation>
  </Description>
  <Layout><Page ID="p" PHYSICAL_IMG_NR="1" WIDTH="520" HEIGHT="260"><PrintSpace><TextBlock ID="b">
    <TextLine ID="l1" HPOS="0" VPOS="0" WIDTH="0" HEIGHT="0">
      <Shape><Polygon POINTS="20 20 500 20 500 78 20 78"/></Shape>
      <String CONTENT="first line"/></TextLine>
    <TextLine ID="l2" HPOS="20" VPOS="100" WIDTH="480" HEIGHT="58">
      <String CONTENT="the"/><SP/><String CONTENT="sec"/><HYP CONTENT="-"/></TextLine>
    <TextLine ID="l3"><String CONTENT="no place"/></TextLine>
  </TextBlock></PrintSpace></Page></Layout>
</alto>"""
    (tmp_path / "scan.xml").write_text(alto, "utf-8")
    records, report = load_records(parse_spec(f"{tmp_path / 'scan.xml'}?cache={tmp_path / 'cache'}"))
    assert [r.text for r in records] == ["first line", "the sec-"]
    assert report.skipped == {"line without text or outline": 1}
    first = cv2.imread(str(records[0].path), cv2.IMREAD_GRAYSCALE)
    second = cv2.imread(str(records[1].path), cv2.IMREAD_GRAYSCALE)
    assert first.shape == (78 - 20 + 8, 500 - 20 + 8) and second.shape == (158 - 100 + 8, 500 - 20 + 8)
    (tmp_path / "tenths.xml").write_text(alto.replace(">pixel<", ">mm10<"), "utf-8")
    records, report = load_records(parse_spec(f"page:{tmp_path}?cache={tmp_path / 'cache'}"))
    assert [r.text for r in records] == ["first line", "the sec-"]
    assert report.skipped == {"line without text or outline": 1, "unusable file": 3}
    assert "tenths.xml line l1: measured in 'mm10', not pixels" in " ".join(report.examples)


def test_what_cannot_be_used_is_reported(tmp_path):
    folder = _exported(tmp_path / "export")
    xml = folder / "page" / "scan.xml"
    text = xml.read_text("utf-8")
    # another schema version, a line without Coords, one with a character outside the alphabet
    text = text.replace("2019-07-15", "2013-07-15").replace(
        '<Coords points="20,100 500,100 500,158 20,158" />', ""
    )
    xml.write_text(text.replace("third one here", "third one ☃"), "utf-8")
    (folder / "page" / "other.xml").write_text(text.replace("scan.png", "gone.png"), "utf-8")
    (folder / "page" / "broken.xml").write_text("<PcGts", "utf-8")
    records, report = load_records(parse_spec(f"page:{folder}?cache={tmp_path / 'cache'}"), CTCCodec())
    assert [r.text for r in records] == ["first line"]
    assert report.skipped == {
        "line without text or outline": 1,
        "characters outside the alphabet": 1,
        "missing image": 3,
        "not a readable PAGE or ALTO file": 1,
    }
    with pytest.raises(DatasetError, match="PAGE and ALTO XML have no splits"):
        load_records(parse_spec(f"page:{folder}?split=train"))
    with pytest.raises(DatasetError, match="no PAGE or ALTO XML files"):
        load_records(parse_spec(f"page:{tmp_path / 'cache'}"))


def test_hwr_teach_keeps_a_page_folders_lines_as_samples(tmp_path, capsys):
    from hwr_core.cli import main
    from hwr_core.userdata import UserSampleStore

    folder = _exported(tmp_path / "export")
    spec = f"page:{folder}?cache={tmp_path / 'cache'}"
    assert main(["teach", "--from", spec, "--samples", str(tmp_path / "samples")]) == 0
    assert sorted(s.text for s in UserSampleStore(tmp_path / "samples").samples()) == sorted(TEXTS)
    assert "3 of 3 kept" in capsys.readouterr().err
    assert main(["teach", "--from", f"synth:{tmp_path}", "--samples", str(tmp_path / "samples")]) == 2
