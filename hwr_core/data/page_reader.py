"""Training data from PAGE XML: the transcribed lines of Transkribus, eScriptorium and OCR-D exports,
and of the PAGE files this app writes (`hwr_core.layout_export`) once corrected elsewhere.

Each TextLine with a text (its own TextEquiv's Unicode, else its Words' joined by spaces) and an
outline (Coords) becomes one sample:
the line's box cut out of its page image, what lies outside its outline painted in the page's
paper grey (a neighbour's ascenders and descenders reach into the box). The crops are written once
to a cache folder (PNG, named by a hash of the page file, the line and the image), so a dataset of
thousands of lines is read from disk like any other, not held in memory, and a second run cuts
nothing. Any PAGE schema version is read (elements are matched by name, not namespace).
"""

from __future__ import annotations

import hashlib
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import cv2
import numpy as np
import platformdirs

from .. import APP_NAME
from ..charset import CTCCodec
from ..errors import DatasetError, HwrError
from ..fileio import atomic_write_bytes
from ..preprocess import load_image
from .readers import _finish, _RowChecker
from .records import ReadReport, Record

_MARGIN = 4  # pixels kept around a line's outline, for its soft edges


def default_crop_cache() -> Path:
    return Path(platformdirs.user_cache_dir(APP_NAME)) / "page-lines"


def page_files(path: Path) -> list[Path]:
    """The PAGE files of `path`: itself (a .xml file), or a folder's, its `page/` subfolder's too
    (where Transkribus puts them beside the images)."""
    if path.is_file():
        return [path]
    found = sorted(path.glob("*.xml")) + (
        sorted((path / "page").glob("*.xml")) if (path / "page").is_dir() else []
    )
    return [f for f in found if f.name.lower() != "mets.xml"]


def _name(element: ET.Element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def _child(element: ET.Element, name: str) -> ET.Element | None:
    return next((c for c in element if _name(c) == name), None)


def _line_text(line: ET.Element) -> str | None:
    """The line's transcription: its own (`_own_text`), else its Words' joined by spaces, when each
    has one (an export that transcribes words only); None when neither is there."""
    own = _own_text(line)
    if own is not None:
        return own
    words = [_own_text(c) for c in line if _name(c) == "Word"]
    if not words or any(w is None for w in words):
        return None
    return " ".join(w.strip() for w in words if w and w.strip())


def _own_text(element: ET.Element) -> str | None:
    """An element's own transcription: its TextEquiv's Unicode (the first, or index 0's)."""
    equivs = [c for c in element if _name(c) == "TextEquiv"]
    equivs.sort(key=lambda e: e.get("index", "0") != "0")
    for equiv in equivs:
        unicode = _child(equiv, "Unicode")
        if unicode is not None:
            return unicode.text or ""
    return None


def _points(coords: ET.Element | None) -> np.ndarray | None:
    if coords is None or not coords.get("points"):
        return None
    try:
        pts = [tuple(float(v) for v in p.split(",")) for p in coords.get("points", "").split()]
        arr = np.array(pts, np.float64).reshape(-1, 2)
    except ValueError:
        return None
    return arr if len(arr) >= 3 else None


def _image_of(xml: Path, page: ET.Element) -> Path | None:
    name = page.get("imageFilename", "")
    if not name:
        return None
    name = name.removeprefix("file://")
    for folder in (xml.parent, xml.parent.parent):
        if (folder / name).is_file():
            return folder / name
    return None


def _cut(image: np.ndarray, outline: np.ndarray) -> np.ndarray | None:
    """The line's box with `_MARGIN`, what lies outside its outline painted as paper; None if empty."""
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
    return crop


def read_page_xml(
    path: str | os.PathLike[str],
    codec: CTCCodec | None = None,
    cache: str | os.PathLike[str] | None = None,
    source: str | None = None,
) -> tuple[list[Record], ReadReport]:
    """The transcribed lines of the PAGE files of `path` (`page_files`) as samples, each its line cut
    out of the page image into `cache` (default: the user's cache folder)."""
    root = Path(path)
    files = page_files(root)
    if not files:
        raise DatasetError(f"no PAGE XML files in {root} (looked for *.xml, and page/*.xml)")
    cache_dir = Path(cache) if cache is not None else default_crop_cache()
    name = source or (root.parent.name if root.name == "page" else root.name if root.is_dir() else root.stem)
    report = ReadReport(source=name)
    checker = _RowChecker(report, codec)
    records: list[Record] = []
    for xml in files:
        try:
            tree = ET.parse(xml)
        except (ET.ParseError, OSError) as exc:
            report.skip("unreadable PAGE file", f"{xml.name}: {exc}")
            continue
        page = next((e for e in tree.getroot().iter() if _name(e) == "Page"), None)
        if page is None:
            report.skip("not a PAGE file", f"{xml.name}: no Page element")
            continue
        image_path = _image_of(xml, page)
        lines = [e for e in page.iter() if _name(e) == "TextLine"]
        if image_path is None:
            report.rows += len(lines)
            for line in lines:
                report.skip(
                    "missing image",
                    f"{xml.name} line {line.get('id')}: no image {page.get('imageFilename')!r}",
                )
            continue
        stamp = f"{xml.resolve()}|{xml.stat().st_mtime_ns}|{image_path.stat().st_mtime_ns}"
        found = []  # (where, text, outline, crop file)
        for i, line in enumerate(lines):
            report.rows += 1
            where = f"{xml.name} line {line.get('id') or i + 1}"
            text, outline = _line_text(line), _points(_child(line, "Coords"))
            if text is None or outline is None:
                report.skip(
                    "line without text or outline", f"{where}: no {'text' if text is None else 'Coords'}"
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
                crop = _cut(image, outline)
                if crop is None:
                    report.skip("line outside its image", f"{where}: its outline holds no pixels")
                    continue
                atomic_write_bytes(crop_path, cv2.imencode(".png", crop)[1].tobytes())
            clean = checker.accept(where, where, crop_path, text)
            if clean is not None:
                records.append(Record(clean, crop_path, source=name))
    return _finish(records, report, str(root))
