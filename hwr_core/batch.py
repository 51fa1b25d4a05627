"""Reading many files at once: find the images in folders, read each, write what was read.

The app's Batch tab and `hwr recognize DIR… --txt-dir/--tsv/--joined` share it. One file that cannot
be read is reported with its reason and the rest go on; what is written is written atomically.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import HwrError
from .fileio import atomic_write_bytes
from .image_io import ViewPlacement, load_image, load_view
from .image_pages import PAGED_SUFFIXES, page_count, page_path, split_page_path
from .parallel import in_order
from .preprocess import box_outline
from .recognizer import RecognitionResult, Recognizer, combine_lines
from .userdata import line_samples
from .word_boxes import Fractions, word_confidences, word_fractions

log = logging.getLogger(__name__)

# What `load_image` reads (Pillow), by suffix: a folder's other files (labels, notes) are left alone.
IMAGE_SUFFIXES = frozenset(
    {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".gif", ".webp", ".pbm", ".pgm", ".ppm"}
)
STROKES_SUFFIX = ".json"  # canvas strokes (a Teach sample's strokes file), read as the canvas is
LAYOUT_SUFFIX = ".xml"  # a PAGE or ALTO file: the lines another tool found in an image (`read_layout_file`)


def natural_key(path: Path) -> list[list[tuple[int, int | str]]]:
    """Sort key under which page2 comes before page10 (digits compare as numbers), folder by folder."""
    return [
        [(0, int(piece)) if piece.isdigit() else (1, piece.casefold()) for piece in re.split(r"(\d+)", part)]
        for part in path.parts
    ]


def _images_in(folder: Path, recursive: bool) -> Iterator[Path]:
    """A folder's image files; hidden folders (.git, .thumbnails) are not entered, links to folders
    not followed (a link loop would never end)."""
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")] if recursive else []
        for name in files:
            if not name.startswith(".") and Path(name).suffix.lower() in IMAGE_SUFFIXES:
                yield Path(root) / name


def find_images(paths: Iterable[str | os.PathLike[str]], recursive: bool = True) -> list[Path]:
    """The files to read: a file as given (reading it says if it is missing or no image), a folder's
    images by suffix, in natural order, its subfolders' too when `recursive` (hidden ones skipped);
    a folder without images, its PAGE or ALTO files (a Transkribus export's `page/` folder: its
    lines read on the images one folder up). A multi-page TIFF is its pages
    (`image_pages.page_path`). Each file or page once, in the order given."""
    from .data.page_reader import page_files

    found: list[Path] = []
    seen: set[Path] = set()

    def add(path: Path) -> None:
        pages = page_count(path) if path.suffix.lower() in PAGED_SUFFIXES else 1
        for p in [path] if pages == 1 else [page_path(path, n) for n in range(1, pages + 1)]:
            key = p.resolve()
            if key not in seen:
                seen.add(key)
                found.append(p)

    for given in paths:
        path = Path(given)
        if path.is_dir():
            images = sorted(_images_in(path, recursive), key=natural_key)
            for p in images or sorted(page_files(path), key=natural_key):
                add(p)
        else:
            add(path)
    return found


@dataclass(frozen=True)
class FileReading:
    """One file's reading, or why it has none (`error`)."""

    path: Path
    result: RecognitionResult | None = None
    error: str = ""
    placement: ViewPlacement | None = None  # where what was read lies in the file (None: strokes)
    layout: Path | None = None  # the PAGE or ALTO file whose lines of `path` were read, if one was
    layout_lines: tuple[int, ...] = ()  # and which of its TextLines each line read is (`read_layout`'s order)

    def _lines(self) -> tuple[RecognitionResult, ...]:
        if self.result is None or self.placement is None:
            return ()
        return self.result.lines or (self.result,)

    def line_outlines(self) -> list[np.ndarray]:
        """Where each line read lies in the file's image: 4 corners (x, y) clockwise from where the
        line starts (its top left, as read). A page's lines where it was read line by line, else the
        ink read (an image read whole, or its written line chosen out of several), else all that
        was read (a written line chosen out of a levelled page's, whose place is not kept)."""
        found = [line.outline for line in self._lines()]
        if any(o is None for o in found):
            found = [self.placement.outline()] if self.placement is not None else []
        return [self.placement.to_file(o) for o in found]  # type: ignore[union-attr, arg-type]

    def _placed_lines(self) -> tuple[RecognitionResult, ...]:
        """The lines read where their outlines are their ink, so their words can be placed; () where
        that is not known (a written line chosen out of a levelled page's)."""
        lines = self._lines()
        return () if any(line.outline is None for line in lines) else lines

    def word_fractions(self) -> tuple[Fractions, ...]:
        """Where each line's words lie along it (`word_boxes.word_fractions`), line by line."""
        return tuple(word_fractions(line) for line in self._placed_lines())

    def word_confidences(self) -> tuple[tuple[float, ...], ...]:
        """Each line's words' confidences (`word_boxes.word_confidences`), as `word_fractions` places them."""
        return tuple(word_confidences(line) for line in self._placed_lines())

    @property
    def text(self) -> str:
        return self.result.text if self.result is not None else ""

    @property
    def confidence(self) -> float | None:
        """The weakest character's (the weakest line's, for a page); None when not read."""
        return self.result.confidence if self.result is not None else None

    def positions_below(self, confidence: float) -> tuple[int, ...]:
        """Where in `text` the characters read less sure than `confidence` are (a page's lines
        joined by newlines, as its text is); a character is matched to its span in order."""
        if self.result is None:
            return ()
        out: list[int] = []
        offset = 0
        for line in self.result.lines or (self.result,):
            spans = line.spans
            i = 0
            for j, ch in enumerate(line.text):
                if i < len(spans) and spans[i].char == ch:
                    if spans[i].confidence < confidence:
                        out.append(offset + j)
                    i += 1
            offset += len(line.text) + 1
        return tuple(out)

    @property
    def line_count(self) -> int:
        if self.result is None or self.result.empty:
            return 0
        return len(self.result.lines) or 1


def read_file(
    recognizer: Recognizer,
    path: str | os.PathLike[str],
    *,
    lines: bool = True,
    rotate: int = 0,
    region: tuple[int, int, int, int] | None = None,
    upright: bool = False,
) -> FileReading:
    """Read an image file (split into lines when `lines`; turned and cropped first as the Image tab's
    buttons and box do) or a canvas strokes file. `upright` (without a region: a box drawn on the
    image is read as it is): turned further where its writing lies on its side or upside down
    (`Recognizer.recognize_upright`, read as a page; `result.turned` says how far). Raises
    HwrError when the file cannot be read."""
    from .canvas_ink import load_strokes

    if Path(path).suffix.lower() == STROKES_SUFFIX:
        return FileReading(Path(path), recognizer.recognize_strokes(load_strokes(path)))
    if Path(path).suffix.lower() == LAYOUT_SUFFIX:
        _refuse_turn(path, rotate, region)
        return read_layout_file(recognizer, path)
    max_pixels = recognizer.preprocess_cfg.max_pixels
    image, placement = load_view(path, max_pixels=max_pixels, rotate=rotate, region=region)
    if upright and not region:
        result = recognizer.recognize_upright(image)
        if result is not None and result.turned:  # where its lines lie in the file, turned so
            placement = dataclasses.replace(placement, rotate=(rotate + result.turned) % 360)
    else:
        result = recognizer.recognize_page(image) if lines else recognizer.recognize(image)
    assert result is not None  # None only when asked to stop, which is not asked here
    return FileReading(Path(path), result, placement=placement)


def _refuse_turn(path: str | os.PathLike[str], rotate: int, region: object) -> None:
    if rotate or region:
        raise HwrError(
            f"{path}: a PAGE or ALTO file's lines are read where it puts them (no turn, no region)"
        )


def read_layout_file(recognizer: Recognizer, path: str | os.PathLike[str]) -> FileReading:
    """The lines a PAGE or ALTO file puts on its image (another tool's segmentation: Transkribus',
    eScriptorium's, OCR-D's), each cut out as `hwr train` cuts them (`page_reader.cut_line`) and
    read, its transcription in the file set aside. The reading is of the image (`path`; `layout`
    names the file), so exports name and place it there: each line's outline is the ink read within
    the file's line (tilted as read), its words along it; each line's `crop` is its cut. Raises
    HwrError for a file with no image beside it or no line to read."""
    from .data.page_reader import cut_line, layout_image, read_layout

    xml = Path(path)
    layout = read_layout(xml)
    if layout.unusable:
        raise HwrError(f"{xml}: {layout.unusable}")
    image_path = layout_image(xml, layout.image)
    if image_path is None:
        raise HwrError(f"{xml}: no image {layout.image!r} beside it or one folder up")
    image = load_image(image_path, max_pixels=recognizer.preprocess_cfg.max_pixels)
    lines, which = [], []
    for k, (_, _, outline) in enumerate(layout.lines):
        cut = None if outline is None else cut_line(image, outline)
        if cut is None:  # a line without an outline, or outside the image
            continue
        which.append(k)
        crop, origin = cut
        read = recognizer.recognize(crop)
        if read.outline is not None:
            placed = read.outline + origin
        else:  # nothing read, or a written line chosen out of a levelled page's: the file's line, as a box
            placed = box_outline(*outline.min(axis=0), *outline.max(axis=0))
        lines.append(dataclasses.replace(read, crop=crop, outline=placed))
    if not lines:
        raise HwrError(f"{xml}: no TextLine with an outline on its image")
    height, width = image.shape[:2]
    placement = ViewPlacement(width, height)
    return FileReading(
        image_path, combine_lines(lines), placement=placement, layout=xml, layout_lines=tuple(which)
    )


Outline = tuple[tuple[int, int], ...]  # corners (x, y) in whole pixels, clockwise from where a line starts


def pixel_outline(outline: np.ndarray, width: int, height: int) -> Outline:
    """Corners in whole pixels inside a width x height image (a tilted line's may reach past it)."""
    xs = np.clip(np.rint(outline[:, 0]), 0, width).astype(int)
    ys = np.clip(np.rint(outline[:, 1]), 0, height).astype(int)
    return tuple((int(x), int(y)) for x, y in zip(xs, ys, strict=True))


UNSURE_BELOW = 0.6  # a character less sure than this is red on the app's Recognize tab


@dataclass(frozen=True)
class FileSummary:
    """What a batch keeps of one file's reading (not its evidence: megabytes a page)."""

    text: str = ""
    confidence: float = math.nan  # the weakest character's; nan when not read
    lines: int = 0
    unsure: int = 0  # characters read with a confidence under UNSURE_BELOW
    error: str = ""
    unsure_at: tuple[int, ...] = ()  # where those characters are in `text`
    size: tuple[int, int] | None = None  # the image's width and height; None: strokes, or not read
    outlines: tuple[Outline, ...] = ()  # where each line of `text` lies in the image (`line_outlines`)
    words: tuple[Fractions, ...] = ()  # where each line's words lie along it (`word_fractions`)
    word_confidences: tuple[tuple[float, ...], ...] = ()  # and how sure each was read
    turned: int = 0  # degrees clockwise it was turned further to read it upright (`read_file`'s upright)
    image: str = ""  # the image read, where the file is a PAGE or ALTO file's lines on it
    layout_lines: tuple[int, ...] = ()  # which of that file's lines each line of `text` is

    @classmethod
    def of(cls, reading: FileReading) -> FileSummary:
        if reading.error:
            return cls(error=reading.error)
        confidence = reading.confidence
        unsure_at = reading.positions_below(UNSURE_BELOW)
        placement = reading.placement
        size = None if placement is None else (placement.width, placement.height)
        return cls(
            text=reading.text,
            confidence=math.nan if confidence is None else confidence,
            lines=reading.line_count,
            unsure=len(unsure_at),
            unsure_at=unsure_at,
            size=size,
            outlines=tuple(pixel_outline(o, *size) for o in reading.line_outlines()) if size else (),
            words=reading.word_fractions(),
            word_confidences=reading.word_confidences(),
            turned=reading.result.turned if reading.result is not None else 0,
            image=str(reading.path) if reading.layout is not None else "",
            layout_lines=reading.layout_lines,
        )


def file_line_samples(
    recognizer: Recognizer,
    path: str | os.PathLike[str],
    text: str,
    *,
    rotate: int = 0,
    region: tuple[int, int, int, int] | None = None,
) -> list[tuple[np.ndarray, str]]:
    """An image file's lines, read as the app reads them (a page split where that reads surer), or
    a PAGE or ALTO file's lines cut from its image, each with its line of `text`, what was written
    (`line_samples`): Teach samples. HwrError, with how the file reads, when the line counts differ."""
    if Path(path).suffix.lower() == LAYOUT_SUFFIX:
        _refuse_turn(path, rotate, region)
        result = read_layout_file(recognizer, path).result
        image = None  # each line has its cut (`crop`)
    else:
        image, _ = load_view(
            path, max_pixels=recognizer.preprocess_cfg.max_pixels, rotate=rotate, region=region
        )
        result = recognizer.recognize_page(image)
    assert result is not None  # None only when asked to stop, which is not asked here
    try:
        return line_samples(image, result, text)
    except HwrError as e:
        raise HwrError(f"{e}; it reads:\n{result.text}") from None


def read_files(
    recognizer: Recognizer,
    paths: Iterable[str | os.PathLike[str]],
    *,
    should_stop: Callable[[], bool] | None = None,
    jobs: int = 1,
    **options: object,
) -> Iterator[FileReading]:
    """Each file's reading in turn (`read_file`'s options), `jobs` files read at once
    (`hwr_core.parallel.in_order`). A file that cannot be read gives its reason instead, and the rest
    are read; `should_stop`, asked before each file, ends the run early."""
    reader = recognizer.with_jobs(1) if jobs > 1 else recognizer  # the cores go to the files
    return in_order(lambda path: _read_or_fail(reader, path, options), paths, jobs, should_stop)


def file_error(path: str | os.PathLike[str], exc: HwrError) -> str:
    """`exc`'s message with the file named: the loader's errors name it; others (a region, a line
    count) are named here."""
    message = str(exc)
    return message if str(path) in message else f"{path}: {message}"


def _read_or_fail(
    recognizer: Recognizer, path: str | os.PathLike[str], options: dict[str, object]
) -> FileReading:
    try:
        return read_file(recognizer, path, **options)  # type: ignore[arg-type]
    except HwrError as exc:
        return FileReading(Path(path), error=file_error(path, exc))
    except Exception as exc:  # noqa: BLE001 - one odd file must not end a run of hundreds
        log.exception("reading %s failed", path)
        return FileReading(Path(path), error=f"{path}: reading failed ({type(exc).__name__}: {exc})")


# ------------------------------------------------------------------------------------ writing


def one_line(text: str) -> str:
    """A page's lines joined by spaces: a labels.tsv row holds one line of text, no tabs."""
    return " ".join(part.strip() for part in re.split(r"[\t\r\n]+", text) if part.strip())


def write_labels_tsv(rows: Sequence[tuple[Path, str]], out: str | os.PathLike[str]) -> Path:
    """`path \\t text` per image, UTF-8: the labels.tsv that `hwr eval`, `hwr train` and `hwr teach
    --from` read. Paths are relative to the file's folder where they lie under it, else absolute."""
    out = Path(out)
    base = out.resolve().parent
    lines = []
    for path, text in rows:
        full = Path(path).resolve()
        shown = full.relative_to(base) if full.is_relative_to(base) else full
        lines.append(f"{shown.as_posix()}\t{one_line(text)}\n")
    atomic_write_bytes(out, "".join(lines).encode("utf-8"))
    return out


def text_file_names(paths: Sequence[Path], folder: str | os.PathLike[str]) -> list[Path]:
    """Where each image's text goes in `folder`: its name with `.txt`, under the subfolders it has
    below the images' common folder; `page.png.txt` where two images share a stem (page.png, page.jpg).
    The pages of a multi-page file go to their file's."""
    folder = Path(folder)
    if not paths:
        return []
    files = [Path(split_page_path(p)[0]).resolve() for p in paths]
    root = Path(os.path.commonpath([f.parent for f in files]))
    plain = {f: folder / f.relative_to(root).with_suffix(".txt") for f in files}
    taken = Counter(plain.values())
    return [
        plain[f] if taken[plain[f]] == 1 else folder / f.relative_to(root).parent / f"{f.name}.txt"
        for f in files
    ]


PAGE_BREAK = "\f"  # between a multi-page file's pages in its text file, as Tesseract and pdftotext write


def write_text_files(rows: Sequence[tuple[Path, str]], folder: str | os.PathLike[str]) -> list[Path]:
    """One UTF-8 text file per image (`text_file_names`), each line read on a line of its own; a
    multi-page file's pages in page order, a form feed between them. The files written, in order."""
    names = text_file_names([path for path, _ in rows], folder)
    pages: dict[Path, list[tuple[int, str]]] = {}
    for name, (path, text) in zip(names, rows, strict=True):
        pages.setdefault(name, []).append((split_page_path(path)[1] or 0, text))
    for name, texts in pages.items():
        texts.sort(key=lambda page: page[0])
        atomic_write_bytes(name, PAGE_BREAK.join(t.rstrip("\n") + "\n" for _, t in texts).encode("utf-8"))
    return list(pages)


def write_joined_text(rows: Sequence[tuple[Path, str]], out: str | os.PathLike[str]) -> Path:
    """Every image's text in one UTF-8 file, in order, a blank line between images (the pages of a
    letter scanned one by one become one document)."""
    out = Path(out)
    atomic_write_bytes(out, "\n\n".join(text.strip("\n") for _, text in rows).encode("utf-8") + b"\n")
    return out


# ------------------------------------------------------------------------------------ a session


@dataclass
class BatchRow:
    """One file of a batch: its reading (None: not read yet) and the user's correction."""

    path: Path
    reading: FileSummary | None = None
    corrected: str | None = None  # what was written, where the user corrected the reading
    rotate: int = 0  # degrees clockwise the image is turned before it is read (a sideways photo)

    @property
    def image(self) -> Path:
        """The image read: the file itself, or the image a PAGE or ALTO file's lines lie on."""
        return Path(self.reading.image) if self.reading is not None and self.reading.image else self.path

    @property
    def text(self) -> str:
        """The correction where there is one, else the reading ("" for none)."""
        if self.corrected is not None:
            return self.corrected
        return self.reading.text if self.reading is not None else ""


SESSION_VERSION = 1


def save_session(rows: Sequence[BatchRow], path: str | os.PathLike[str]) -> None:
    """Write a batch (files, readings, corrections) as JSON, atomically: a crash keeps the last one."""
    files = []
    for row in rows:
        entry: dict[str, object] = {"path": str(row.path)}
        if row.reading is not None:
            reading = dataclasses.asdict(row.reading)
            if math.isnan(row.reading.confidence):
                reading["confidence"] = None  # JSON has no nan
            entry["reading"] = reading
        if row.corrected is not None:
            entry["corrected"] = row.corrected
        if row.rotate:
            entry["rotate"] = row.rotate
        files.append(entry)
    payload = {"version": SESSION_VERSION, "files": files}
    atomic_write_bytes(Path(path), json.dumps(payload, ensure_ascii=False, indent=1).encode("utf-8"))


def load_session(path: str | os.PathLike[str]) -> list[BatchRow]:
    """A batch saved by `save_session`; [] when there is none. HwrError when the file is not one."""
    path = Path(path)
    if not path.exists():
        return []
    try:
        payload = json.loads(path.read_text("utf-8"))
        if payload.get("version") != SESSION_VERSION:
            raise ValueError(f"version {payload.get('version')!r}, not {SESSION_VERSION}")
        rows = []
        for entry in payload["files"]:
            reading = entry.get("reading")
            summary = None
            if reading is not None:
                confidence = reading.get("confidence")
                size = reading.get("size")
                summary = FileSummary(
                    text=str(reading.get("text", "")),
                    confidence=math.nan if confidence is None else float(confidence),
                    lines=int(reading.get("lines", 0)),
                    unsure=int(reading.get("unsure", 0)),
                    error=str(reading.get("error", "")),
                    unsure_at=tuple(int(i) for i in reading.get("unsure_at", ())),
                    size=None if size is None else (int(size[0]), int(size[1])),
                    outlines=tuple(
                        tuple((int(x), int(y)) for x, y in outline) for outline in reading.get("outlines", ())
                    ),
                    words=tuple(
                        tuple((float(a), float(b)) for a, b in line) for line in reading.get("words", ())
                    ),
                    word_confidences=tuple(
                        tuple(float(c) for c in line) for line in reading.get("word_confidences", ())
                    ),
                    turned=int(reading.get("turned", 0)),
                    image=str(reading.get("image", "")),
                    layout_lines=tuple(int(k) for k in reading.get("layout_lines", ())),
                )
            corrected = entry.get("corrected")
            rotate = int(entry.get("rotate", 0))
            if rotate not in (0, 90, 180, 270):
                raise ValueError(f"a turn of {rotate} degrees")
            rows.append(
                BatchRow(Path(entry["path"]), summary, None if corrected is None else str(corrected), rotate)
            )
    except (OSError, UnicodeDecodeError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise HwrError(f"{path}: not a saved batch ({type(exc).__name__}: {exc})") from None
    return rows
