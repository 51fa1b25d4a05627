"""A reading written back into the PAGE or ALTO file whose lines it read.

Another tool found the lines (Transkribus, eScriptorium, OCR-D); this app read them
(`batch.read_layout_file`). What goes back is that tool's own file with each read line's text put
in it, its ids, outlines, regions and reading order as they were, so it imports back as the same
layout with a transcription. PAGE: a TextLine gets one TextEquiv, and its Words theirs where they
are as many as the words read (else they go: they would hold the old text); a TextRegion that had
a TextEquiv gets its lines' texts joined. ALTO: a TextLine's Strings get the words read where they
are as many, else one String per word replaces them, set apart by SP (without positions: the
words were read along the line, not placed by the file). A word as read carries how sure it was
(PAGE's `conf`, ALTO's `WC`; a line's is its weakest word's), a word the user wrote none. Lines not
read stay as they were. ElementTree rewrites the file: comments go, other namespaces' prefixes may
change; the content does not.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from .batch import text_file_names
from .data.page_reader import layout_text_lines
from .data.page_reader import local_name as _name
from .errors import HwrError
from .fileio import atomic_write_bytes

# PAGE's TextLine and Word children that come before their TextEquiv (the 2019 schema's sequences)
_BEFORE_TEXT = {"AlternativeImage", "Coords", "Baseline", "Word", "Glyph"}
# what an ALTO String says of its old content: confidences, hyphenation, styles by content
_ALTO_STALE = ("WC", "CC", "SUBS_TYPE", "SUBS_CONTENT")


def filled_layout(xml: str | os.PathLike[str], texts: Sequence[FilledLine], changed: datetime) -> bytes:
    """The file `xml` with each line's text put in its TextLine. Raises HwrError for a file that
    cannot be read or a line it does not have."""
    try:
        root = ET.parse(xml).getroot()
    except (ET.ParseError, OSError) as exc:
        raise HwrError(f"{xml}: not a readable PAGE or ALTO file ({exc})") from None
    lines = layout_text_lines(root)
    alto = _name(root) == "alto"
    namespace = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    for filled in texts:
        if not 0 <= filled.line < len(lines):
            raise HwrError(f"{xml}: has no line {filled.line + 1} (it has {len(lines)})")
        (_fill_alto_line if alto else _fill_page_line)(lines[filled.line], filled, namespace)
    if not alto:
        _refill_regions(root, {id(lines[filled.line]) for filled in texts}, namespace)
        _stamp_page(root, changed)
    # its own elements written without a prefix, in the default namespace it had
    for element in root.iter():
        if namespace and element.tag.startswith(f"{{{namespace}}}"):
            element.tag = _name(element)
    if namespace:
        root.set("xmlns", namespace)
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True) + b"\n"


class FilledLine(NamedTuple):
    """A file's `line`-th TextLine (document order, as `page_reader.read_layout` numbers them), its
    text, and how sure each of its words was read (none for words the user wrote)."""

    line: int
    text: str
    confidences: tuple[float, ...] = ()


@dataclass(frozen=True)
class LayoutText:
    """What was read (or written, as corrected) on a PAGE or ALTO file's lines: `text` has a line
    for each of its TextLines numbered in `lines` (`FileSummary.layout_lines`); `read` is what was
    read, each line's words read as surely as `confidences` says."""

    xml: Path
    lines: tuple[int, ...]
    text: str
    read: str = ""
    confidences: tuple[tuple[float, ...], ...] = ()

    def filled_lines(self) -> list[FilledLine] | None:
        """Each line read with its text, its words' confidences where it is as read; None when the
        text has another number of lines."""
        texts = self.text.split("\n")
        while len(texts) > len(self.lines) and not texts[-1].strip():
            texts.pop()
        if len(texts) != len(self.lines):
            return None
        read = self.read.split("\n")
        filled = []
        for i, (k, text) in enumerate(zip(self.lines, texts, strict=True)):
            sure = (
                self.confidences[i] if i < len(self.confidences) and i < len(read) and read[i] == text else ()
            )
            filled.append(FilledLine(k, text, sure if len(sure) == len(text.split()) else ()))
        return filled


def filled_names(files: Sequence[Path], folder: str | os.PathLike[str]) -> list[Path]:
    """Where each filled file goes in `folder`: its own name, under the subfolders it has below the
    files' common folder (so `folder` may be theirs: filled in place)."""
    return [name.with_suffix(".xml") for name in text_file_names(list(files), folder)]


def write_filled_layouts(
    rows: Sequence[LayoutText], folder: str | os.PathLike[str], changed: datetime
) -> list[Path]:
    """Each row's file filled (`filled_layout`) in `folder` (`filled_names`), atomically; the files
    written. HwrError, before anything is written, for a row whose text does not fit its lines."""
    filled = []
    for row in rows:
        lines = row.filled_lines()
        if lines is None:
            raise HwrError(f"{row.xml}: the text has another number of lines than the {len(row.lines)} read")
        filled.append(filled_layout(row.xml, lines, changed))
    names = filled_names([row.xml for row in rows], folder)
    for name, data in zip(names, filled, strict=True):
        atomic_write_bytes(name, data)
    return names


def _qualified(namespace: str, name: str) -> str:
    return f"{{{namespace}}}{name}" if namespace else name


def _text_equiv(namespace: str, text: str, confidence: float | None = None) -> ET.Element:
    conf = {} if confidence is None else {"conf": f"{confidence:.3f}"}
    equiv = ET.Element(_qualified(namespace, "TextEquiv"), conf)
    ET.SubElement(equiv, _qualified(namespace, "Unicode")).text = text
    return equiv


def _fill_page_line(line: ET.Element, filled: FilledLine, namespace: str) -> None:
    """The line's TextEquiv (its weakest word's confidence, where known); its Words each get
    theirs where they are as many as the text's words (the other tool's word boxes kept), else
    they go (they would hold the old text)."""
    words, written = [c for c in line if _name(c) == "Word"], filled.text.split()
    keep = len(words) == len(written) > 0
    sure = filled.confidences or (None,) * len(written)
    for word, text, confidence in zip(words, written, sure, strict=True) if keep else ():
        _set_page_text(word, text, confidence, namespace, drop=("Glyph",))
    weakest = min(filled.confidences, default=None)
    _set_page_text(line, filled.text, weakest, namespace, drop=() if keep else ("Word",))


def _set_page_text(
    element: ET.Element, text: str, confidence: float | None, namespace: str, drop: tuple[str, ...]
) -> None:
    """`element`'s one TextEquiv, in its place in the schema's sequence, `drop`'s children gone."""
    for child in [c for c in element if _name(c) in ("TextEquiv", *drop)]:
        element.remove(child)
    at = max((i + 1 for i, c in enumerate(element) if _name(c) in _BEFORE_TEXT), default=0)
    element.insert(at, _text_equiv(namespace, text, confidence))


def _line_unicode(line: ET.Element) -> str:
    equiv = next((c for c in line if _name(c) == "TextEquiv"), None)
    unicode = None if equiv is None else next((c for c in equiv if _name(c) == "Unicode"), None)
    return (unicode.text or "") if unicode is not None else ""


def _refill_regions(root: ET.Element, filled: set[int], namespace: str) -> None:
    """A region's TextEquiv, where it has one, is its lines' texts joined by newlines (PAGE's
    consistency rule): brought up to date where one of its lines was filled."""
    for region in root.iter():
        if _name(region) != "TextRegion":
            continue
        lines = [c for c in region if _name(c) == "TextLine"]
        equivs = [i for i, c in enumerate(region) if _name(c) == "TextEquiv"]
        if not equivs or not any(id(line) in filled for line in lines):
            continue
        at = equivs[0]
        for i in reversed(equivs):
            del region[i]
        region.insert(at, _text_equiv(namespace, "\n".join(_line_unicode(line) for line in lines)))


def _stamp_page(root: ET.Element, changed: datetime) -> None:
    meta = next((c for c in root if _name(c) == "Metadata"), None)
    last = None if meta is None else next((c for c in meta if _name(c) == "LastChange"), None)
    if last is not None:
        last.text = changed.isoformat(timespec="seconds")


def _fill_alto_line(line: ET.Element, filled: FilledLine, namespace: str) -> None:
    """ALTO's TextLine holds (String, (SP | HYP)?)+ after its Shape: its Strings get the text's
    words where they are as many (their boxes kept), else one String per word replaces them; each
    with its confidence (`WC`) where known."""
    strings, words = [c for c in line if _name(c) == "String"], filled.text.split()
    sure = filled.confidences or (None,) * len(words)
    if len(strings) != len(words) or not words or any(_name(c) == "HYP" for c in line):
        for child in [c for c in line if _name(c) in ("String", "SP", "HYP")]:
            line.remove(child)
        strings = []
        for i in range(len(words) or 1):  # a line read empty keeps the String its content model asks for
            if i:
                ET.SubElement(line, _qualified(namespace, "SP"))
            strings.append(ET.SubElement(line, _qualified(namespace, "String")))
        words, sure = (words, sure) if words else ([""], (None,))
    for string, word, confidence in zip(strings, words, sure, strict=True):
        for stale in _ALTO_STALE:
            string.attrib.pop(stale, None)
        for child in [c for c in string if _name(c) in ("ALTERNATIVE", "Glyph")]:
            string.remove(child)  # the old word's other readings and letters
        string.set("CONTENT", word)
        if confidence is not None:
            string.set("WC", f"{confidence:.3f}")
