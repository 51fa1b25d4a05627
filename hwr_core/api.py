"""Reading handwriting from Python, as `hwr recognize` and the app read it.

    from hwr_core.api import open_reader

    reader = open_reader()                   # the shipped model and its decoding (or a model file)
    page = reader.read("scan.jpg")           # a file: an image, a PAGE/ALTO file, canvas strokes
    print(page.text, page.confidence)
    for line in page.lines:                  # each with its outline: corners in the image's pixels
        for word in line.words:
            print(word.text, word.confidence, word.outline)
    reader.read(image)                       # an array: gray, RGB or RGBA (floats 0..1)
    write_pdf(reader.read_many(paths), "notes.pdf")  # the files' images, their text searchable

`page.result` holds the evidence the app shows (stages, per-timestep probabilities, n-best);
`reader.recognizer` is the `Recognizer` underneath, for anything else.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .batch import FileReading, FileSummary, read_file
from .config import NO_LEXICON, NO_LM, DecodeConfig
from .engine_cache import EngineCache
from .errors import HwrError
from .image_io import ViewPlacement, to_grayscale
from .layout_export import PageLines, PlacedLine, page_lines
from .modelfile import load_model
from .parallel import in_order
from .pdf_export import write_searchable_pdf
from .recognizer import Backend, RecognitionResult, Recognizer
from .resources import default_model_path


@dataclass(frozen=True)
class PageReading:
    """What was read in one image, with where each line and word lies in it."""

    text: str  # its lines, one a line
    confidence: float | None  # the weakest character's, 0..1 (None: nothing read)
    lines: tuple[PlacedLine, ...]  # outlines in the image's pixels as stored; none for canvas strokes
    result: RecognitionResult  # the evidence
    path: Path | None = None  # the image read (a PAGE or ALTO file's); None: an array, or strokes
    turned: int = 0  # degrees clockwise it was turned to read its writing upright (`upright`)
    size: tuple[int, int] | None = None  # the image's width and height as read; None for strokes


def _page_reading(reading: FileReading, path: Path | None) -> PageReading:
    assert reading.result is not None
    placed = page_lines(path or Path("image"), reading.text, FileSummary.of(reading))
    return PageReading(
        text=reading.text,
        confidence=reading.confidence,
        lines=placed.lines if placed is not None else (),
        result=reading.result,
        path=path,
        turned=reading.result.turned,
        size=(placed.width, placed.height) if placed is not None else None,
    )


def write_pdf(readings: Iterable[PageReading | HwrError], out: str | os.PathLike[str]) -> Path:
    """The images read from files, each a page of one searchable PDF with its text laid over it
    where it was read (`pdf_export`), in order; `read_many`'s errors are passed over. Raises
    HwrError where a reading has no image file to show (an array, canvas strokes)."""
    pages = []
    for reading in readings:
        if isinstance(reading, HwrError):
            continue
        if reading.path is None or reading.size is None:
            raise HwrError("a PDF page shows the image read: read it from its file, not an array or strokes")
        pages.append(PageLines(reading.path, *reading.size, reading.lines))
    return write_searchable_pdf(pages, out)


class Reader:
    """Reads images, files and arrays with one recognizer (`open_reader`)."""

    def __init__(self, recognizer: Recognizer) -> None:
        self.recognizer = recognizer

    def read(
        self, image: str | os.PathLike[str] | np.ndarray, *, lines: bool = True, upright: bool = False
    ) -> PageReading:
        """Read an image file, a PAGE or ALTO file's lines, a canvas strokes file, or an array;
        split into lines when `lines` (else read as one line), turned first where its writing lies
        on its side or upside down when `upright`. Raises HwrError for a file it cannot read."""
        if isinstance(image, np.ndarray):
            return self._read_array(image, lines=lines, upright=upright)
        reading = read_file(self.recognizer, image, lines=lines, upright=upright)
        return _page_reading(reading, reading.path if reading.placement is not None else None)

    def read_many(
        self,
        images: Iterable[str | os.PathLike[str]],
        *,
        lines: bool = True,
        upright: bool = False,
        jobs: int = 1,
    ) -> Iterator[PageReading | HwrError]:
        """Each file's reading in turn, or the error that kept it from being read: one bad file
        does not end the rest. `jobs` files are read at once (`hwr_core.parallel`; a reader opened
        with `engine_threads=1` then keeps to one core per file), still handed on in order."""

        def read_or_fail(image: str | os.PathLike[str]) -> PageReading | HwrError:
            try:
                return self.read(image, lines=lines, upright=upright)
            except HwrError as exc:
                return exc

        return in_order(read_or_fail, images, jobs)

    def _read_array(self, array: np.ndarray, *, lines: bool, upright: bool) -> PageReading:
        image = to_grayscale(array)  # HwrError for what is no image
        rec = self.recognizer
        if upright:
            result = rec.recognize_upright(image)
        else:
            result = rec.recognize_page(image) if lines else rec.recognize(image)
        assert result is not None  # None only when asked to stop, which is not asked here
        placement = ViewPlacement(image.shape[1], image.shape[0], rotate=result.turned)
        return _page_reading(FileReading(Path(), result, placement=placement), None)


def decoding(
    base: DecodeConfig,
    *,
    beam: int = 0,
    greedy: bool = False,
    n_best: int | None = None,
    word_list: str | None = None,
    word_weight: float | None = None,
    char_model: str | None = None,
    char_weight: float | None = None,
    allowed: str | None = None,
    language: str | None = None,
) -> DecodeConfig:
    """`base` (a model's own decoding) changed where asked: `beam` width or `greedy` (fastest, no
    word list), `n_best` readings kept, a `word_list` or `char_model` file ("builtin", "none"; one
    given makes the decoding beam search unless greedy) and their weights, `allowed` characters, the
    writing's `language` (a key of `config.LANGUAGES`: "en", "vi", "" for both)."""
    replace = dataclasses.replace
    decode = base
    if word_list is not None:
        decode = decode.with_word_list(word_list)
        decode = decode if word_list == NO_LEXICON else replace(decode, decoder="beam")
    if char_model is not None:
        decode = decode.with_char_model(char_model)
        decode = decode if char_model == NO_LM else replace(decode, decoder="beam")
    if greedy:
        decode = replace(decode, decoder="greedy")
    elif beam:
        decode = replace(decode, decoder="beam", beam_width=beam)
    if n_best:
        decode = replace(decode, n_best=n_best)
    if word_weight is not None:
        decode = replace(decode, lexicon_weight=word_weight)
    if char_weight is not None:
        decode = replace(decode, lm_weight=char_weight)
    if allowed is not None:
        decode = replace(decode, allowed=allowed)
    if language is not None:
        decode = replace(decode, language=language)
    return decode


def open_reader(
    model: str | os.PathLike[str] | None = None,
    *,
    backend: Backend = "auto",
    engine_threads: int | None = None,
    **options: Any,
) -> Reader:
    """A reader with a model file (default: the shipped model, or the file $HWR_MODEL names) and its
    own decoding, changed by `options` (`decoding`'s). The word list, character model and
    inference engine are loaded now: a bad file is an error here, not at the first read.
    `engine_threads`: the onnxruntime engine's threads (default: its own choice, one per core); 1
    where files are read side by side (`Reader.read_many`'s `jobs`)."""
    path = Path(model) if model is not None else default_model_path()
    if model is None and not path.exists():
        raise HwrError(f"no default model at {path}; give a model file (train one with 'hwr train')")
    bundle = load_model(path)
    decode = decoding(bundle.decode, **options)
    recognizer = Recognizer(
        bundle, backend=backend, decode_cfg=decode, threads=engine_threads, engine_cache=EngineCache.default()
    )
    recognizer.prepare()
    return Reader(recognizer)
