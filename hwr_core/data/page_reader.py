"""Training data from PAGE XML and ALTO XML: the transcribed lines of Transkribus, eScriptorium and
OCR-D exports, and of the PAGE and ALTO files this app writes (`hwr_core.layout_export`) once
corrected elsewhere.

Each TextLine with a text and an outline becomes one sample: in PAGE, its own TextEquiv's Unicode,
else its Words' joined by spaces, and its Coords; in ALTO, its Strings' CONTENT joined by spaces (a
hyphen, HYP, kept at the end), and its Shape's Polygon, else its box (HPOS, VPOS, WIDTH, HEIGHT, in
pixels: a file measured in mm10 or inch1200 says so and is skipped). The line's box is cut out of
its page image, what lies outside its outline painted in the page's paper grey (a neighbour's
ascenders and descenders reach into the box). The crops are written once to a cache folder (PNG,
named by a hash of the layout file, the line and the image), so a dataset of thousands of lines is
read from disk like any other, not held in memory, and a second run cuts nothing. Any PAGE or ALTO
schema version is read (elements are matched by name, not namespace).
"""

from __future__ import annotations

import hashlib
import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import platformdirs

from .. import APP_NAME
from ..charset import CTCCodec
from ..errors import DatasetError, HwrError
from ..fileio import atomic_write_bytes
from ..image_io import load_image
from .readers import _finish, _RowChecker
from .records import ReadReport, Record

_MARGIN = 4  # pixels kept around a line's outline, for its soft edges


def default_crop_cache() -> Path:
    return Path(platformdirs.user_cache_dir(APP_NAME)) / "page-lines"


def page_files(path: Path) -> list[Path]:
    """The PAGE (or ALTO) files of `path`: itself (a .xml file), or a folder's, its `page/` and
    `alto/` subfolders' too (where Transkribus puts PAGE files beside the images, and this app its
    ALTO files)."""
    if path.is_file():
        return [path]
    found = sorted(path.glob("*.xml"))
    for sub in ("page", "alto"):
        found += sorted((path / sub).glob("*.xml")) if (path / sub).is_dir() else []
    return [f for f in found if f.name.lower() != "mets.xml"]


def local_name(element: ET.Element) -> str:
    """An element's name without its namespace: PAGE's schema versions each have their own."""
    return element.tag.rsplit("}", 1)[-1]


def layout_text_lines(root: ET.Element) -> list[ET.Element]:
    """A PAGE or ALTO file's TextLines in document order: how `read_layout` numbers its lines."""
    return [e for e in root.iter() if local_name(e) == "TextLine"]


def _child(element: ET.Element, name: str) -> ET.Element | None:
    return next((c for c in element if local_name(c) == name), None)


def _line_text(line: ET.Element) -> str | None:
    """The line's transcription: its own (`_own_text`), else its Words' joined by spaces, when each
    has one (an export that transcribes words only); None when neither is there."""
    own = _own_text(line)
    if own is not None:
        return own
    words = [_own_text(c) for c in line if local_name(c) == "Word"]
    if not words or any(w is None for w in words):
        return None
    return " ".join(w.strip() for w in words if w and w.strip())


def _own_text(element: ET.Element) -> str | None:
    """An element's own transcription: its TextEquiv's Unicode (the first, or index 0's)."""
    equivs = [c for c in element if local_name(c) == "TextEquiv"]
    equivs.sort(key=lambda e: e.get("index", "0") != "0")
    for equiv in equivs:
        unicode = _child(equiv, "Unicode")
        if unicode is not None:
            return unicode.text or ""
    return None


def _points(points: str | None) -> np.ndarray | None:
    """A polygon's corners from "x,y x,y ..." (PAGE, ALTO) or "x y x y ..." (ALTO as kraken writes it)."""
    if not points:
        return None
    try:
        values = [float(v) for v in points.replace(",", " ").split()]
    except ValueError:
        return None
    if len(values) % 2:
        return None
    arr = np.array(values, np.float64).reshape(-1, 2)
    return arr if len(arr) >= 3 else None


@dataclass(frozen=True)
class Layout:
    """One layout file's page: its image's name as the file gives it, and each TextLine's id, text
    and outline (None where the file has none); `unusable` says why none of it can be used."""

    image: str
    lines: list[tuple[str | None, str | None, np.ndarray | None]]
    unusable: str = ""


def read_layout(xml: Path) -> Layout:
    """The page of a PAGE or ALTO file. Raises DatasetError for a file that is neither."""
    try:
        root = ET.parse(xml).getroot()
    except (ET.ParseError, OSError) as exc:
        raise DatasetError(f"{xml}: not a readable PAGE or ALTO file ({exc})") from None
    page = next((e for e in root.iter() if local_name(e) == "Page"), None)
    if page is None:
        raise DatasetError(f"{xml}: not a PAGE or ALTO file (no Page element)")
    return _alto_layout(root) if local_name(root) == "alto" else _page_layout(page)


def _page_layout(page: ET.Element) -> Layout:
    lines = layout_text_lines(page)
    coords = [_child(line, "Coords") for line in lines]
    return Layout(
        page.get("imageFilename", ""),
        [
            (line.get("id"), _line_text(line), None if c is None else _points(c.get("points")))
            for line, c in zip(lines, coords, strict=True)
        ],
    )


def _alto_layout(alto: ET.Element) -> Layout:
    unit = next((e.text or "" for e in alto.iter() if local_name(e) == "MeasurementUnit"), "pixel").strip()
    image = next((e.text or "" for e in alto.iter() if local_name(e) == "fileName"), "").strip()
    lines = layout_text_lines(alto)
    found = [(line.get("ID"), _alto_text(line), _alto_outline(line)) for line in lines]
    why = "" if unit == "pixel" else f"measured in {unit!r}, not pixels (its scan's resolution is not known)"
    return Layout(image, found, why)


def _alto_text(line: ET.Element) -> str | None:
    """A TextLine's Strings joined by spaces, a hyphen (HYP) kept at the end; None without a String."""
    words = [c.get("CONTENT", "") for c in line if local_name(c) == "String"]
    if not words:
        return None
    hyphen = next((c.get("CONTENT", "") for c in line if local_name(c) == "HYP"), "")
    return " ".join(w.strip() for w in words if w.strip()) + hyphen


def _alto_outline(line: ET.Element) -> np.ndarray | None:
    shape = _child(line, "Shape")
    polygon = None if shape is None else _child(shape, "Polygon")
    if polygon is not None and (corners := _points(polygon.get("POINTS"))) is not None:
        return corners
    try:
        x, y, w, h = (float(line.get(k, "")) for k in ("HPOS", "VPOS", "WIDTH", "HEIGHT"))
    except ValueError:
        return None
    return np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]]) if w > 0 and h > 0 else None


def layout_image(xml: Path, name: str) -> Path | None:
    """The page image a layout file names: beside it or one folder up (a `page/` folder's files),
    as named or, for a path from elsewhere, by its file name."""
    name = name.removeprefix("file://")
    if not name:
        return None
    for folder in (xml.parent, xml.parent.parent):
        for candidate in (folder / name, folder / Path(name).name):
            if candidate.is_file():
                return candidate
    return None


def cut_line(image: np.ndarray, outline: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(crop, its top left in the image): the line's box with `_MARGIN`, what lies outside its
    outline painted as paper; None if it holds no pixels."""
    h, w = image.shape
    x0, y0 = np.floor(outline.min(axis=0)).astype(int) - _MARGIN
    x1, y1 = np.ceil(outline.max(axis=0)).astype(int) + _MARGIN
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    crop = image[y0:y1, x0:x1].copy()
    inside = np.zeros(crop.shape, np.uint8)
    cv2.fillPoly(inside, [np.rint(outline - (x0, y0)).astype(np.int32)], 255)
    inside = cv2.dilate(inside, np.ones((2 * _MARGIN + 1, 2 * _MARGIN + 1), np.uint8))
    crop[inside == 0] = int(np.median(image))  # the page's paper: most of a page is paper
    return crop, np.array([x0, y0], np.float64)


def read_page_xml(
    path: str | os.PathLike[str],
    codec: CTCCodec | None = None,
    cache: str | os.PathLike[str] | None = None,
    source: str | None = None,
) -> tuple[list[Record], ReadReport]:
    """The transcribed lines of the PAGE and ALTO files of `path` (`page_files`) as samples, each its
    line cut out of the page image into `cache` (default: the user's cache folder)."""
    root = Path(path)
    files = page_files(root)
    if not files:
        raise DatasetError(
            f"no PAGE or ALTO XML files in {root} (looked for *.xml, page/*.xml and alto/*.xml)"
        )
    cache_dir = Path(cache) if cache is not None else default_crop_cache()
    name = source or (root.parent.name if root.name == "page" else root.name if root.is_dir() else root.stem)
    report = ReadReport(source=name)
    checker = _RowChecker(report, codec)
    records: list[Record] = []
    for xml in files:
        try:
            layout = read_layout(xml)
        except DatasetError as exc:
            report.skip("not a readable PAGE or ALTO file", str(exc))
            continue
        image_path = layout_image(xml, layout.image)
        if layout.unusable or image_path is None:
            report.rows += len(layout.lines)
            reason, why = (
                ("unusable file", layout.unusable)
                if layout.unusable
                else ("missing image", f"no image {layout.image!r}")
            )
            for line_id, *_ in layout.lines:
                report.skip(reason, f"{xml.name} line {line_id}: {why}")
            continue
        stamp = f"{xml.resolve()}|{xml.stat().st_mtime_ns}|{image_path.stat().st_mtime_ns}"
        found = []  # (where, text, outline, crop file)
        for i, (line_id, text, outline) in enumerate(layout.lines):
            report.rows += 1
            where = f"{xml.name} line {line_id or i + 1}"
            if text is None or outline is None:
                report.skip(
                    "line without text or outline", f"{where}: no {'text' if text is None else 'outline'}"
                )
                continue
            digest = hashlib.sha1(f"{stamp}|{i}|{outline.tobytes().hex()}".encode()).hexdigest()
            found.append((where, text, outline, cache_dir / f"{digest}.png"))
        image: np.ndarray | None = None
        if any(not crop.exists() for *_, crop in found):
            try:
                image = load_image(image_path)
            except HwrError as exc:
                for where, *_ in found:
                    report.skip("unreadable image", f"{where}: {exc}")
                continue
        for where, text, outline, crop_path in found:
            if image is not None and not crop_path.exists():
                cut = cut_line(image, outline)
                if cut is None:
                    report.skip("line outside its image", f"{where}: its outline holds no pixels")
                    continue
                atomic_write_bytes(crop_path, cv2.imencode(".png", cut[0])[1].tobytes())
            clean = checker.accept(where, where, crop_path, text)
            if clean is not None:
                records.append(Record(clean, crop_path, source=name))
    return _finish(records, report, str(root))
