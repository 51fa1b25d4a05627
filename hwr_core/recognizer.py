"""Recognizer: numpy image in, text with evidence out (stages, per-timestep probabilities, n-best).

One object wraps a loaded model and a backend (torch, or onnxruntime for speed: "auto" picks it
where it is installed); the GUI and the CLI both call `recognize()`. Instances hold no global state
and may be used from one worker thread.
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal, get_args

import numpy as np
import torch

from .allowed_chars import Folding, folding, language_allowed, restrict
from .canvas_ink import READING_PEN_FACTORS, reading_renders
from .charlm import CharLM, resolve_char_model
from .config import BACKENDS, BUILTIN_LEXICON, DecodeConfig, PreprocessConfig
from .decoding import CharSpan, Hypothesis, Lexicon, decode
from .engine_cache import EngineCache
from .errors import HwrError
from .image_io import load_image
from .lexicons import resolve_lexicon
from .metrics import word_changes
from .modelfile import ModelBundle, load_model
from .orientation import read_upright
from .ort_session import OrtSession, onnxruntime_installed
from .parallel import in_order
from .preprocess import PageSplit, PreprocessResult, Stage, box_outline, preprocess, split_page

Backend = Literal["torch", "onnx", "onnx-int8", "auto"]  # see config.BACKENDS
ResolvedBackend = Literal["torch", "onnx", "onnx-int8"]


def resolve_backend(backend: str) -> ResolvedBackend:
    """The engine a backend name means: "auto" is onnxruntime with 8-bit weights (hwr_core/quantization.py)
    where onnxruntime is installed, else torch. onnxruntime reads a line in about 2/3 of torch's
    model time with the same logits; with 8-bit weights, in about half of that again."""
    if backend == "auto":
        return "onnx-int8" if onnxruntime_installed() else "torch"
    if backend in get_args(ResolvedBackend):
        return backend  # type: ignore[return-value]
    raise HwrError(f"unknown backend {backend!r} ({', '.join(BACKENDS)})")


@dataclass(frozen=True)
class RecognitionResult:
    text: str
    confidence: float  # 0..1 summary of the best hypothesis
    hypotheses: tuple[Hypothesis, ...]  # n-best, best first
    probs: np.ndarray  # (T, C) softmax per timestep, for the heatmap
    model_input: np.ndarray  # (H, W) float32 the network saw
    stages: tuple[Stage, ...] = ()
    empty: bool = False  # no ink found: text is "" by construction, not by the model
    written_line: bool = False  # the image's one written line was read, its print set aside
    timings_ms: dict[str, float] = field(default_factory=dict)
    # A page of several lines (see `combine_lines`): each line's own result, top to bottom. The
    # page's text joins them; its evidence fields (probs, stages, n-best) are the first line's.
    lines: tuple[RecognitionResult, ...] = ()
    # One of a page's lines: the part of the image it was read from (uint8 grey), which Teach keeps
    # as a sample of the line's corrected text (also an image read by `recognize_page` as its one
    # line: its crop where its paper's lines were taken out; None for a whole input). Where the line
    # lies in the image: 4 corners x, y clockwise from the top left (`PageSplit.outlines`; for an
    # image read whole, the ink it was read from, `PreprocessResult.ink_outline`). None where that
    # is not known (a page's combined result; a written line chosen out of a levelled page's).
    crop: np.ndarray | None = None
    outline: np.ndarray | None = None
    # The image was read turned this many degrees clockwise, its writing having lain on its side
    # or upside down (`Recognizer.recognize_upright`); outlines are in the turned image.
    turned: int = 0
    # A drawing read with several pens (`Recognizer.recognize_drawn`): the pen its reading was
    # surest with, in multiples of the reading pen (`canvas_ink.READING_PEN_FACTORS`).
    pen: float = 1.0
    # How long the whole read took by the clock, where its caller measured it (the app's worker).
    # `timings_ms` sums the work of every part, and a page's lines read side by side
    # (`Recognizer.jobs`) take less time than their sum.
    elapsed_ms: float | None = None

    @property
    def spans(self) -> tuple[CharSpan, ...]:
        return self.hypotheses[0].spans if self.hypotheses else ()

    def to_json(self, n_best: bool = True) -> dict[str, object]:
        out: dict[str, object] = {
            "text": self.text,
            "confidence": round(self.confidence, 4),
            "empty": self.empty,
        }
        if self.turned:
            out["turned"] = self.turned
        if self.pen != 1.0:
            out["pen"] = self.pen
        if self.lines:  # a page: each line carries its own evidence
            out["lines"] = [line.to_json(n_best) for line in self.lines]
            return out
        out["chars"] = [
            {"char": s.char, "start": s.start, "end": s.end, "confidence": round(s.confidence, 4)}
            for s in self.spans
        ]
        if n_best:
            best = self.hypotheses[0].text if self.hypotheses else ""
            out["n_best"] = [
                # what each alternative changes, word by word, as the app's n-best list shows it
                {"text": h.text, "score": round(h.score, 4), "changes": word_changes(best, h.text)}
                for h in self.hypotheses
            ]
        out["timesteps"] = int(self.probs.shape[0])
        out["timings_ms"] = {k: round(v, 2) for k, v in self.timings_ms.items()}
        return out


def summed_timings(results: Iterable[RecognitionResult]) -> dict[str, float]:
    """Every result's `timings_ms`, stage by stage: what reading them all cost."""
    timings: dict[str, float] = {}
    for r in results:
        for k, v in r.timings_ms.items():
            timings[k] = timings.get(k, 0.0) + v
    return timings


def combine_lines(results: Sequence[RecognitionResult]) -> RecognitionResult:
    """One result for a page read line by line: the texts joined by newlines, the weakest line's
    confidence, summed timings, and every line's own result in `lines`. One line: itself."""
    if len(results) == 1:
        return results[0]
    if not results:
        raise ValueError("combine_lines needs at least one line")
    read = [r for r in results if not r.empty]
    return dataclasses.replace(
        results[0],
        text="\n".join(r.text for r in results),
        confidence=min((r.confidence for r in read), default=0.0),
        empty=not read,
        timings_ms=summed_timings(results),
        lines=tuple(results),
        crop=None,
        outline=None,
    )


# A drawing whose reading with the reading pen is this sure of its weakest character is not read
# with the other pens (`Recognizer.recognize_drawn`): on VNOnDB's train words traced to strokes and
# the training fonts, 60 % of drawings, which the other pens read no better (session 60).
DRAWN_SURE_CONFIDENCE = 0.9


def search_score_per_frame(result: RecognitionResult) -> float:
    """How sure the decoding is of a reading: its best hypotheses' search scores (network log
    probability + word-list and character-model bonuses), every line's, per timestep read, so
    that readings of one drawing with different pens compare (-inf for no ink)."""
    best = [line.hypotheses[0] for line in (result.lines or (result,)) if line.hypotheses and not line.empty]
    if not best:
        return -math.inf
    return sum(h.rank_score for h in best) / max(1, sum(h.num_frames for h in best))


def char_confidences(result: RecognitionResult | None) -> list[float]:
    """The confidence of every character read (all lines of a page); none for no reading."""
    lines = (result.lines or (result,)) if result is not None else ()
    return [span.confidence for line in lines for span in line.spans]


def mean_char_confidence(result: RecognitionResult) -> float:
    """The mean confidence of every character read (all lines of a page); 0 for no text."""
    confidences = char_confidences(result)
    return float(np.mean(confidences)) if confidences else 0.0


# recognize_page: a split into lines is dropped when the image read whole is at least about as sure.
# split_lines cannot tell a word's floating accents from a line of their own by geometry alone (it
# still split 5.3 % of VNOnDB's 5,000 val words, whose lines then read "ở se" for "sẽ"); the
# network can: read whole, such a word is about as sure as its lines are, or surer, while a real
# page squeezed into one line reads as noise. Chosen on the first 1,200 VNOnDB val words and 253
# pages stacked from 2-3 val lines or words of four sets (whole minus lines: at most -0.18 for the
# pages, above -0.05 for 73 of the 77 split words). Checked on fresh stacks and all 5,000 words:
# 240 of 265 split words read whole (page-mode CER 12.6 -> 7.6 %), 1 of 381 stacked pages.
WHOLE_READING_MARGIN = 0.05
# ... and a wider one where the split may be a word's floating accents (`PageSplit.maybe_accents`):
# "nổ" traced from VNOnDB onto the canvas read "17\nno", its accents a line, and the whole read
# ("nó") was 0.06-0.13 less sure (at 0.75-3 times its size). Chosen on 3,000 VNOnDB train words
# and 297 pages stacked from train lines and words: of the 7 words that look so and still read as
# two lines, 5 now read whole (each better), and no page does (whole minus lines: -0.29 at most
# for the pages that look so). Checked on the 5,000 val words and 299 fresh pages: 9 of 16 words
# read whole (each better; edits in the 265 split words 87 -> 56), no page changed (nearest
# -0.26). 0.2 would take 4 more words and leave 0.06 to that page.
ACCENTS_READING_MARGIN = 0.15
# recognize_page reads an image whole and splits it side by side (`Recognizer.jobs` > 1) from this
# many pixels: a page, a long scanned line. Handing a small image's split to a thread cost more
# than it saved (as pages, p50 on the 2-core machine: VNOnDB words 5.7 -> 6.8 ms, Kaggle names
# 12.2 -> 14.2 ms; VNOnDB lines, ~55k px, even; Cinnamon lines, ~190k px, 1.07x faster. Session
# 63, interleaved: Cinnamon lines even, val pages of 2-4 lines level or at 3 degrees 1.14-1.16x faster).
SIDE_BY_SIDE_PIXELS = 150_000


def _frames_for(page: RecognitionResult, whole: RecognitionResult) -> bool:
    """Whether the image read whole has a frame for every character its lines read: CTC gives
    each character a frame at least, so with fewer the whole read cannot hold the page's text (a
    notebook page squeezed into 22 frames read "l", surer than its three lines' 240 characters)."""
    return len(whole.probs) >= sum(len(line.text) for line in page.lines)


def _log_softmax(x: np.ndarray) -> np.ndarray:
    x = x - x.max(axis=-1, keepdims=True)
    return x - np.log(np.exp(x).sum(axis=-1, keepdims=True))


# Inputs are padded (with blank paper, as training batches are) to a multiple of this width: the
# CPU backend builds its convolution kernels per input shape, and a width it has not seen before
# costs ~40 % more (benchmarks/latency.py); rounded widths repeat, so most calls reuse them.
# The padding is not free of effect: the BiLSTM's backward pass starts in it, which changes a few
# readings (measured on the shipped model: VNOnDB lines CER 19.61 -> 19.52 %, words 8.85 -> 8.44 %).
WIDTH_BUCKET = 32


def padded_width(width: int) -> int:
    return -(-width // WIDTH_BUCKET) * WIDTH_BUCKET


_UNRESOLVED = object()  # Recognizer._lexicon / _lm before the config's word list / model is looked up


class Recognizer:
    def __init__(
        self,
        bundle: ModelBundle,
        backend: Backend = "torch",
        decode_cfg: DecodeConfig | None = None,
        preprocess_cfg: PreprocessConfig | None = None,
        lexicon: Lexicon | None = None,
        threads: int | None = None,
        engine_cache: EngineCache | None = None,
        jobs: int = 1,
    ) -> None:
        self.bundle = bundle
        # a page's lines read at once (`recognize_page`, `hwr_core.parallel`)
        self.jobs = max(1, jobs)
        self.codec = bundle.codec
        self.decode_cfg = decode_cfg or bundle.decode
        self.preprocess_cfg = preprocess_cfg or bundle.preprocess
        model_geometry = (bundle.preprocess.height, bundle.preprocess.width_scale)
        if (self.preprocess_cfg.height, self.preprocess_cfg.width_scale) != model_geometry:
            raise HwrError(
                f"this model needs input height {model_geometry[0]} and width scale {model_geometry[1]}, "
                f"not {self.preprocess_cfg.height} and {self.preprocess_cfg.width_scale}"
            )
        # An explicit word list wins; otherwise the one the decode config names (e.g. the shipped
        # model's built-in list), resolved on first use: in the thread that decodes, not the caller's.
        self._lexicon: Lexicon | None | object = lexicon if lexicon is not None else _UNRESOLVED
        self._lm: CharLM | None | object = _UNRESOLVED
        self.backend = resolve_backend(backend)
        self._min_width = bundle.model.min_input_width()
        # "auto" falls back to PyTorch for a model onnxruntime cannot run; "onnx" reports it
        self._session = (
            OrtSession(
                bundle,
                threads,
                optional=backend == "auto",
                int8=self.backend == "onnx-int8",
                cache=engine_cache,
            )
            if self.backend != "torch"
            else None
        )
        # ((decode_cfg.allowed, decode_cfg.language), their folding)
        self._folding: tuple[tuple[str, str], Folding | None] | None = None
        bundle.model.eval()

    @property
    def lexicon(self) -> Lexicon | None:
        """The word list beam search prefers (None: none). Raises HwrError for an unreadable file."""
        if self._lexicon is _UNRESOLVED:
            self._lexicon = resolve_lexicon(self.decode_cfg.lexicon, self.decode_cfg.language)
        return self._lexicon  # type: ignore[return-value]

    @lexicon.setter
    def lexicon(self, value: Lexicon | None) -> None:
        self._lexicon = value

    @property
    def lm(self) -> CharLM | None:
        """The character model beam search fuses (None: none). Raises HwrError for an unreadable file."""
        if self._lm is _UNRESOLVED:
            self._lm = resolve_char_model(self.decode_cfg.lm)
        return self._lm  # type: ignore[return-value]

    @classmethod
    def from_file(
        cls, path: str | os.PathLike[str], backend: Backend = "torch", **kwargs: object
    ) -> Recognizer:
        return cls(load_model(path), backend=backend, **kwargs)  # type: ignore[arg-type]

    def with_options(
        self, decode_cfg: DecodeConfig | None = None, preprocess_cfg: PreprocessConfig | None = None
    ) -> Recognizer:
        """A copy with other decoding/preprocessing options, sharing the loaded network (and the
        word list, unless the new decode config names another, or another language of the built-in one)."""
        clone = object.__new__(Recognizer)
        clone.__dict__.update(self.__dict__)
        clone.decode_cfg = decode_cfg or self.decode_cfg
        old, new = self.decode_cfg, clone.decode_cfg
        if new.lexicon != old.lexicon or (new.lexicon == BUILTIN_LEXICON and new.language != old.language):
            clone._lexicon = _UNRESOLVED  # another list, or another language's part of the built-in one
        if clone.decode_cfg.lm != self.decode_cfg.lm:
            clone._lm = _UNRESOLVED
        clone.preprocess_cfg = dataclasses.replace(  # the input geometry is the model's
            preprocess_cfg or self.preprocess_cfg,
            height=self.bundle.preprocess.height,
            width_scale=self.bundle.preprocess.width_scale,
        )
        return clone

    def with_jobs(self, jobs: int) -> Recognizer:
        """This recognizer, or a copy sharing everything with it, that reads `jobs` lines of a page at
        once: 1 where files are already read side by side (each page's lines side by side too read
        a folder of pages ~5 % slower on 2 cores)."""
        if max(1, jobs) == self.jobs:
            return self
        clone = self.with_options()
        clone.jobs = max(1, jobs)
        return clone

    @property
    def engine(self) -> str:
        """The inference engine reading now, as a person would name it."""
        if self._session is None or self._session.failure is not None:
            return "PyTorch"
        layers = self._session.int8_layers
        return f"onnxruntime ({layers})" if layers else "onnxruntime"

    def _allowed_folding(self) -> Folding | None:
        """The folding of `decode_cfg.allowed` narrowed to `decode_cfg.language` (None: every
        character allowed). Raises CharsetError for characters the model cannot write."""
        key = (self.decode_cfg.allowed, self.decode_cfg.language)
        if self._folding is None or self._folding[0] != key:
            self._folding = (key, folding(self.codec, language_allowed(*key, self.codec)))
        return self._folding[1]

    def prepare(self) -> None:
        """Load now what the first read would (the word list, the character model, the ONNX export:
        about 1-2 s in all), so that a bad file is one error before any image is read and timings
        start warm. Raises HwrError as that read would. (The app does not call it at start: done in
        its worker while the user starts to draw, it stalled the UI for up to 0.33 s.)"""
        if self.decode_cfg.uses_lexicon:
            _ = self.lexicon
        if self.decode_cfg.uses_lm:
            _ = self.lm
        self._allowed_folding()
        self.logits(np.zeros((1, 1, self.preprocess_cfg.height, WIDTH_BUCKET), np.float32))

    # ------------------------------------------------------------------ core

    def logits(self, batch: np.ndarray) -> np.ndarray:
        """(N, 1, H, W) float32 -> (N, T, C) logits from the chosen backend."""
        if self._session is not None:
            logits = self._session.run(batch)
            if logits is not None:
                return logits
        with torch.inference_mode():
            return self.bundle.model(torch.from_numpy(batch)).numpy()

    def _prepare(self, image: np.ndarray, keep_stages: bool) -> PreprocessResult:
        return preprocess(image, self.preprocess_cfg, keep_stages=keep_stages)

    def recognize(self, image: np.ndarray, keep_stages: bool = False) -> RecognitionResult:
        """Recognise one handwriting image (uint8 gray/RGB/RGBA array, dark ink on light)."""
        return self.recognize_batch([image], keep_stages=keep_stages)[0]

    def recognize_batch(
        self, images: Sequence[np.ndarray], keep_stages: bool = False
    ) -> list[RecognitionResult]:
        t0 = time.perf_counter()
        prepared = [self._prepare(im, keep_stages) for im in images]
        t1 = time.perf_counter()
        height = self.preprocess_cfg.height
        widths = [max(p.image.shape[1], self._min_width) for p in prepared]
        batch = np.zeros((len(prepared), 1, height, padded_width(max(widths))), dtype=np.float32)
        for i, p in enumerate(prepared):
            batch[i, 0, :, : p.image.shape[1]] = p.image
        logits = self.logits(batch)
        t2 = time.perf_counter()
        lengths = self.bundle.model.output_lengths(torch.tensor(widths)).tolist()
        lexicon = self.lexicon if self.decode_cfg.uses_lexicon else None  # greedy reads no list
        lm = self.lm if self.decode_cfg.uses_lm else None
        fold = self._allowed_folding()
        results = []
        for i, p in enumerate(prepared):
            log_probs = _log_softmax(logits[i, : lengths[i]].astype(np.float32))
            if fold is not None:
                log_probs = restrict(log_probs, fold)
            hyps = (
                decode(log_probs, self.codec, self.decode_cfg, lexicon=lexicon, lm=lm) if not p.empty else []
            )
            if not hyps:
                hyps = [Hypothesis(text="", score=0.0, spans=())]
            results.append(
                RecognitionResult(
                    text=hyps[0].text,
                    confidence=0.0 if p.empty else float(hyps[0].confidence),
                    hypotheses=tuple(hyps),
                    probs=np.exp(log_probs),
                    model_input=p.image,
                    stages=p.stages,
                    empty=p.empty,
                    written_line=p.written_line,
                    outline=p.ink_outline,
                )
            )
        t3 = time.perf_counter()
        per = 1000.0 / max(1, len(images))
        timings = {"preprocess": (t1 - t0) * per, "model": (t2 - t1) * per, "decode": (t3 - t2) * per}
        return [dataclasses.replace(r, timings_ms=timings) for r in results]

    def recognize_page(
        self,
        image: np.ndarray,
        keep_stages: bool = False,
        should_stop: Callable[[], bool] | None = None,
    ) -> RecognitionResult | None:
        """Read an image that may hold several lines: split it (`split_page`), read each line, and
        keep the split only if the image read whole is clearly less sure (`WHOLE_READING_MARGIN`;
        `ACCENTS_READING_MARGIN` if the split may be a word's accents apart) or has fewer frames
        than the lines read characters (`_frames_for`). Where the split took the paper's lines out
        (`PageSplit.without_paper_lines`), "whole" is its lines stacked, read as one.
        One line or none, or an image read by its one written line (the others print or cut off,
        `RecognitionResult.written_line`): `recognize(image)`. The lines are read `jobs` at a time.
        `should_stop` is asked before each line; True ends the read early and gives None (the app's
        worker: a newer input has arrived)."""
        # The image read whole and split into lines: side by side where `jobs` lets them and the
        # image is large enough to gain by it (SIDE_BY_SIDE_PIXELS).
        whole_then_split = in_order(
            lambda step: step(),
            (
                lambda: self.recognize(image, keep_stages=keep_stages),
                lambda: split_page(image, words_apart=True).without_cut_edge_lines(image),
            ),
            self.jobs if image.shape[0] * image.shape[1] >= SIDE_BY_SIDE_PIXELS else 1,
        )
        whole = next(whole_then_split)
        assert isinstance(whole, RecognitionResult)
        if whole.written_line:  # its other lines are print or cut off: no second split
            whole_then_split.close()  # (one by one, the split is never made)
            return whole
        split = next(whole_then_split)
        assert isinstance(split, PageSplit)
        if len(split.crops) <= 1:  # where its one line's ink lies, when it has one
            if split.without_paper_lines:  # read without a notebook's margin and rules
                # (not the surer of the two: a page's stray mark read as "B" is surer than a line)
                line = self.recognize(split.crops[0], keep_stages=keep_stages)
                # Teach keeps the crop; the ink's outline is in the crop, so the split's is taken
                timings = summed_timings((line, whole))
                whole = dataclasses.replace(line, timings_ms=timings, crop=split.crops[0], outline=None)
            if whole.outline is None and split.outlines:  # else the ink read, as the reading levelled it
                whole = dataclasses.replace(whole, outline=split.outlines[0])
            return whole
        if split.without_paper_lines:
            # Read whole, the page has its paper's lines in it, and reads as them ("B"): the lines
            # found, stacked as one, are what is weighed against them read apart.
            stacked = np.vstack(split.crops)
            line = self.recognize(stacked, keep_stages=keep_stages)
            timings = summed_timings((line, whole))
            corners = np.concatenate(split.outlines)
            box = box_outline(*corners.min(axis=0), *corners.max(axis=0))  # around all the lines
            whole = dataclasses.replace(line, timings_ms=timings, crop=stacked, outline=box)

        def read_line(part: tuple[np.ndarray, np.ndarray]) -> RecognitionResult:
            crop, outline = part
            return dataclasses.replace(
                self.recognize(crop, keep_stages=keep_stages), crop=crop, outline=outline
            )

        parts = zip(split.crops, split.outlines, strict=True)
        lines = list(in_order(read_line, parts, self.jobs, should_stop))
        if len(lines) < len(split.crops):  # asked to stop
            return None
        page = combine_lines(lines)
        margin = ACCENTS_READING_MARGIN if split.maybe_accents else WHOLE_READING_MARGIN
        keep_whole = (
            bool(whole.spans)
            and _frames_for(page, whole)
            and mean_char_confidence(whole) >= mean_char_confidence(page) - margin
        )
        chosen, other = (whole, page) if keep_whole else (page, whole)
        return dataclasses.replace(chosen, timings_ms=summed_timings((chosen, other)))  # both reads' time

    def recognize_upright(
        self,
        image: np.ndarray,
        keep_stages: bool = False,
        should_stop: Callable[[], bool] | None = None,
    ) -> RecognitionResult | None:
        """`recognize_page` the way up the writing is: turned a quarter or half turn where it lies
        on its side or upside down (`orientation.read_upright`), `turned` saying how far."""

        def read(turned: np.ndarray) -> RecognitionResult | None:
            return self.recognize_page(turned, keep_stages, should_stop)

        upright = read_upright(image, read, char_confidences)
        if upright.reading is None or not upright.turn:
            return upright.reading
        return dataclasses.replace(upright.reading, turned=upright.turn)

    def recognize_file(self, path: str | os.PathLike[str], keep_stages: bool = False) -> RecognitionResult:
        return self.recognize(
            load_image(path, max_pixels=self.preprocess_cfg.max_pixels), keep_stages=keep_stages
        )

    def recognize_drawn(
        self,
        renders: Iterable[np.ndarray],
        keep_stages: bool = False,
        should_stop: Callable[[], bool] | None = None,
    ) -> RecognitionResult | None:
        """One drawing drawn for the model with several pens (`canvas_ink.reading_renders`: the
        pens of READING_PEN_FACTORS, in turn), each read as a page (`recognize_page`): the reading
        the search is surest of (`search_score_per_frame`; the first render's on a tie), with
        every read's time and its `pen`. The first render's reading is kept unread by the others
        when every character of it is DRAWN_SURE_CONFIDENCE sure. `should_stop` as for
        `recognize_page`. (The pens are read one by one: side by side, an unsure drawn word read
        1.10x as fast on an idle 2-core machine but 0.90-0.94x with another process busy.)"""
        readings: list[RecognitionResult] = []
        for image, _ in zip(renders, READING_PEN_FACTORS, strict=False):  # one pen each, the rest unread
            reading = self.recognize_page(image, keep_stages, should_stop)
            if reading is None:
                return None
            readings.append(reading)
            if readings[0].confidence >= DRAWN_SURE_CONFIDENCE:
                break
        if not readings:
            raise ValueError("recognize_drawn needs at least one image")
        scores = [search_score_per_frame(reading) for reading in readings]
        best = scores.index(max(scores))  # the first of equals
        return dataclasses.replace(
            readings[best], timings_ms=summed_timings(readings), pen=READING_PEN_FACTORS[best]
        )

    def recognize_strokes(
        self, strokes: Sequence[Sequence[tuple[float, float]]], keep_stages: bool = False
    ) -> RecognitionResult:
        """Canvas strokes read as the app reads its canvas: drawn for the model with pens sized to the
        writing (`canvas_ink.reading_renders`), each read as a page of one or more lines, the surest
        reading kept (`recognize_drawn`)."""
        result = self.recognize_drawn(reading_renders(strokes), keep_stages=keep_stages)
        assert result is not None  # None only when asked to stop
        return result
