import dataclasses
import math

import cv2
import numpy as np
import pytest
import torch

from hwr_core.canvas_ink import READING_PEN_FACTORS
from hwr_core.charset import CTCCodec
from hwr_core.config import PreprocessConfig
from hwr_core.decoding import CharSpan, Hypothesis
from hwr_core.errors import HwrError
from hwr_core.modelfile import new_bundle
from hwr_core.preprocess import split_page
from hwr_core.recognizer import (
    DRAWN_SURE_CONFIDENCE,
    WHOLE_READING_MARGIN,
    WIDTH_BUCKET,
    RecognitionResult,
    Recognizer,
    combine_lines,
    mean_char_confidence,
    padded_width,
    search_score_per_frame,
)
from hwr_core.userdata import line_samples


@pytest.mark.parametrize(("width", "padded"), [(1, 32), (32, 32), (33, 64), (800, 800), (801, 832)])
def test_padded_width_rounds_up_to_the_bucket(width, padded):
    assert WIDTH_BUCKET == 32
    assert padded_width(width) == padded


def test_network_sees_bucketed_widths_but_results_keep_their_own_length(monkeypatch):
    rec = Recognizer(new_bundle("tiny", CTCCodec()))
    seen: list[tuple[int, ...]] = []
    logits = rec.logits
    monkeypatch.setattr(rec, "logits", lambda batch: seen.append(batch.shape) or logits(batch))
    image = np.full((40, 300), 255, np.uint8)
    image[15:25, 20:270] = 0  # one dark bar: some ink, so the model runs
    result = rec.recognize(image)
    assert len(seen) == 1 and seen[0][3] % WIDTH_BUCKET == 0
    true_width = result.model_input.shape[1]
    assert seen[0][3] >= true_width
    lengths = rec.bundle.model.output_lengths(torch.tensor([true_width, seen[0][3]])).tolist()
    assert result.probs.shape[0] == lengths[0]  # the padding's timesteps are cut off
    assert true_width % WIDTH_BUCKET != 0 and lengths[1] > lengths[0]  # (so there was padding to cut)


def _two_line_page() -> np.ndarray:
    page = np.full((260, 600), 245, np.uint8)
    cv2.putText(page, "first line", (20, 90), cv2.FONT_HERSHEY_SIMPLEX, 2.0, 20, 4, cv2.LINE_AA)
    cv2.putText(page, "second one", (20, 210), cv2.FONT_HERSHEY_SIMPLEX, 2.0, 20, 4, cv2.LINE_AA)
    return page


def _read_with(
    monkeypatch,
    rec: Recognizer,
    page: np.ndarray,
    whole: float,
    line: float,
    written_line: bool = False,
    whole_frames: int = 4,
) -> list[str]:
    """Make `rec.recognize` read the whole page as "ab" with character confidence `whole` in
    `whole_frames` timesteps (read by its one written line if `written_line`), and each line as
    "cd" with `line` in 4; returns what it was asked to read ("page" / "line")."""
    calls: list[str] = []

    def fake(image: np.ndarray, keep_stages: bool = False) -> RecognitionResult:
        is_page = image.shape == page.shape
        calls.append("page" if is_page else "line")
        text, conf = ("ab", whole) if is_page else ("cd", line)
        spans = tuple(CharSpan(c, i, i, conf) for i, c in enumerate(text))
        return RecognitionResult(
            text=text,
            confidence=conf,
            hypotheses=(Hypothesis(text, -1.0, spans),),
            probs=np.zeros((whole_frames if is_page else 4, rec.codec.num_classes), np.float32),
            model_input=np.zeros((32, 64), np.float32),
            timings_ms={"model": 1.0},
            written_line=written_line and is_page,
        )

    monkeypatch.setattr(rec, "recognize", fake)
    return calls


@pytest.mark.parametrize("jobs", [1, 2])  # lines read one by one, or side by side
def test_recognize_page_keeps_the_split_when_the_whole_image_reads_less_sure(monkeypatch, jobs):
    rec = Recognizer(new_bundle("tiny", CTCCodec()), jobs=jobs)
    page = _two_line_page()
    calls = _read_with(monkeypatch, rec, page, whole=0.5, line=0.9)
    result = rec.recognize_page(page)
    assert calls == ["page", "line", "line"]
    assert result.text == "cd\ncd" and len(result.lines) == 2
    assert result.timings_ms["model"] == 3.0  # both reads' cost
    # each line keeps the crop it was read from (what Teach keeps as its sample); the page none
    crops = split_page(page).crops
    assert result.crop is None and all(
        line.crop is not None and np.array_equal(line.crop, c)
        for line, c in zip(result.lines, crops, strict=True)
    )


def test_recognize_page_reads_a_list_of_words_a_line_each(monkeypatch):
    # "one" is short beside its neighbours (a list of words, `split_page`'s words_apart)
    page = np.full((420, 400), 245, np.uint8)
    for y, text, size in ((100, "Hey", 2.0), (225, "one", 1.4), (330, "dog", 2.0)):
        cv2.putText(page, text, (40, y), cv2.FONT_HERSHEY_SIMPLEX, size, 20, 4, cv2.LINE_AA)
    rec = Recognizer(new_bundle("tiny", CTCCodec()))
    calls = _read_with(monkeypatch, rec, page, whole=0.5, line=0.9)
    assert rec.recognize_page(page).text == "cd\ncd\ncd" and calls == ["page", "line", "line", "line"]


def test_recognize_page_reads_whole_when_that_is_about_as_sure(monkeypatch):
    # e.g. a word whose accents float in a band of their own: its "lines" read as noise
    rec = Recognizer(new_bundle("tiny", CTCCodec()))
    page = _two_line_page()
    _read_with(monkeypatch, rec, page, whole=0.9 - WHOLE_READING_MARGIN + 0.01, line=0.9)
    result = rec.recognize_page(page)
    assert result.text == "ab" and result.lines == ()
    assert result.timings_ms["model"] == 3.0
    _read_with(monkeypatch, rec, page, whole=0.9 - WHOLE_READING_MARGIN - 0.01, line=0.9)
    assert rec.recognize_page(page).text == "cd\ncd"


def test_recognize_page_keeps_the_split_when_the_whole_read_has_too_few_frames(monkeypatch):
    # CTC gives every character a frame at least: a page squeezed into fewer frames than its lines
    # read characters cannot be read whole, however sure that reading is (a notebook page read "l").
    rec = Recognizer(new_bundle("tiny", CTCCodec()))
    page = _two_line_page()
    _read_with(monkeypatch, rec, page, whole=0.99, line=0.9, whole_frames=3)  # lines: 4 characters
    assert rec.recognize_page(page).text == "cd\ncd"
    _read_with(monkeypatch, rec, page, whole=0.99, line=0.9, whole_frames=4)
    assert rec.recognize_page(page).text == "ab"


def test_recognize_page_reads_a_form_field_by_its_written_line(monkeypatch):
    # Read whole, the image was read by its one written line: its other lines are print (a form's
    # labels) or cut off, so they are not read as lines of their own, however sure they read.
    rec = Recognizer(new_bundle("tiny", CTCCodec()))
    page = _two_line_page()
    calls = _read_with(monkeypatch, rec, page, whole=0.5, line=0.9, written_line=True)
    result = rec.recognize_page(page)
    assert calls == ["page"]
    assert result.text == "ab" and result.written_line and result.lines == ()


def test_a_copy_with_other_jobs_shares_the_network_and_leaves_the_original_as_it_was():
    rec = Recognizer(new_bundle("tiny", CTCCodec()), jobs=2)
    assert rec.with_jobs(2) is rec and Recognizer(rec.bundle, jobs=0).jobs == 1
    one = rec.with_jobs(1)
    assert one.jobs == 1 and rec.jobs == 2 and one.bundle is rec.bundle and one.decode_cfg == rec.decode_cfg


@pytest.mark.parametrize("jobs", [1, 2])  # lines read one by one, or side by side
def test_recognize_page_one_line_reads_once_and_stop_gives_none(monkeypatch, jobs):
    rec = Recognizer(new_bundle("tiny", CTCCodec()), jobs=jobs)
    page = _two_line_page()
    calls = _read_with(monkeypatch, rec, page, whole=0.5, line=0.9)
    assert rec.recognize_page(page, should_stop=lambda: True) is None
    one_line = page[:130]
    calls.clear()
    assert rec.recognize_page(one_line).text == "cd"  # (not the page's shape: the fake's "line")
    assert calls == ["line"]


def test_one_line_on_a_notebook_page_is_read_without_the_papers_lines(monkeypatch):
    # Read with its margin (down the page, far past the line) the line was a sliver of a tall
    # crop; read whole it still is, so the line without the paper's lines is what is read, whatever
    # the two readings' confidences (a stray mark read as "B" is surer than a long line).
    page = np.full((400, 700), 245, np.uint8)
    cv2.putText(page, "one line written here", (60, 90), cv2.FONT_HERSHEY_SIMPLEX, 1.4, 20, 3, cv2.LINE_AA)
    page[40:360, 30:32] = 90  # the margin, the sheet's height but not the image's
    for y in range(110, 360, 35):
        page[y : y + 2, 40:680] = 175  # rules
    split = split_page(page)
    assert len(split.crops) == 1 and split.without_paper_lines
    rec = Recognizer(new_bundle("tiny", CTCCodec()))
    seen: list[np.ndarray] = []
    read = rec.recognize
    monkeypatch.setattr(rec, "recognize", lambda image, keep_stages=False: seen.append(image) or read(image))
    result = rec.recognize_page(page)
    assert len(seen) == 2 and seen[0] is page and np.array_equal(seen[1], split.crops[0])
    assert np.array_equal(result.model_input, read(split.crops[0]).model_input)
    assert result.timings_ms["model"] > 0 and result.outline is not None
    assert np.array_equal(result.crop, split.crops[0])  # what Correct & teach keeps of it
    ((sample, text),) = line_samples(page, result, "one line written here")
    assert sample is result.crop and text == "one line written here"


def test_mean_char_confidence_covers_every_line():
    def result(confs: list[float]) -> RecognitionResult:
        spans = tuple(CharSpan("x", i, i, c) for i, c in enumerate(confs))
        hyp = Hypothesis("x" * len(confs), -1.0, spans)
        return RecognitionResult("x" * len(confs), 0.0, (hyp,), np.zeros((1, 2)), np.zeros((1, 1)))

    assert mean_char_confidence(result([])) == 0.0
    assert mean_char_confidence(result([0.2, 0.4])) == pytest.approx(0.3)
    page = combine_lines([result([1.0]), result([0.1, 0.1, 0.1])])
    assert mean_char_confidence(page) == pytest.approx(0.325)


def test_the_input_geometry_is_the_model_s():
    bundle = new_bundle("tiny", CTCCodec(list("ab")), PreprocessConfig(width_scale=1.5))
    with pytest.raises(HwrError, match="width scale 1.5"):
        Recognizer(bundle, preprocess_cfg=PreprocessConfig())
    rec = Recognizer(bundle)
    assert rec.with_options(preprocess_cfg=PreprocessConfig(deskew=False)).preprocess_cfg == PreprocessConfig(
        width_scale=1.5, deskew=False
    )


def _reading(text: str, score: float, frames: int, lines: int = 1, sure: float = 0.5) -> RecognitionResult:
    """A reading whose best hypothesis scores `score` (network + bonuses) over `frames` timesteps,
    its weakest character `sure`; with `lines` > 1, a page of that many such lines."""
    one = RecognitionResult(
        text=text,
        confidence=sure,
        hypotheses=(Hypothesis(text, score, (CharSpan(text[0], 0, 0, sure),), num_frames=frames),),
        probs=np.zeros((frames, 3), np.float32),
        model_input=np.zeros((32, 64), np.float32),
        timings_ms={"model": 1.0},
    )
    return combine_lines([one] * lines)


def test_search_score_per_frame_weighs_every_line_by_its_frames():
    assert search_score_per_frame(_reading("ab", -4.0, 8)) == pytest.approx(-0.5)
    assert search_score_per_frame(_reading("ab", -4.0, 8, lines=2)) == pytest.approx(-0.5)
    nothing = dataclasses.replace(_reading("a", -1.0, 4), empty=True, text="")
    assert search_score_per_frame(nothing) == -math.inf


def test_recognize_drawn_keeps_the_surest_reading_per_frame_with_every_reads_time(monkeypatch):
    rec = Recognizer(new_bundle("tiny", CTCCodec()))
    renders = [np.full((40, 100 + k), 255, np.uint8) for k in range(3)]
    # the finer pen's reading scores lower in all but per frame higher: per frame decides
    readings = {
        100: _reading("reading pen", -6.0, 10),
        101: _reading("finer", -8.0, 20),
        102: _reading("broader", -9.0, 10),
    }
    asked: list[int] = []

    def fake_page(image, keep_stages=False, should_stop=None):  # type: ignore[no-untyped-def]
        asked.append(image.shape[1])
        return readings[image.shape[1]]

    monkeypatch.setattr(rec, "recognize_page", fake_page)
    result = rec.recognize_drawn(renders)
    assert asked == [100, 101, 102]  # the reading pen's reading is unsure
    assert result is not None and result.text == "finer" and result.pen == READING_PEN_FACTORS[1]
    assert result.to_json()["pen"] == READING_PEN_FACTORS[1]
    assert result.timings_ms["model"] == 3.0  # all three reads' cost
    readings[101] = _reading("finer", -6.0, 10)  # a tie: the reading pen's (the first) stays
    assert rec.recognize_drawn(renders).text == "reading pen"  # type: ignore[union-attr]
    # a reading pen's reading sure of every character is kept, the other pens not read
    readings[100] = _reading("reading pen", -9.0, 10, sure=DRAWN_SURE_CONFIDENCE)
    asked.clear()
    sure = rec.recognize_drawn(renders)
    assert sure is not None and sure.text == "reading pen" and sure.pen == 1.0 and "pen" not in sure.to_json()
    assert asked == [100]
    readings[100] = _reading("reading pen", -9.0, 10, sure=DRAWN_SURE_CONFIDENCE - 0.01)
    assert rec.recognize_drawn(renders).text == "finer"  # type: ignore[union-attr]
    monkeypatch.setattr(rec, "recognize_page", lambda *a, **k: None)  # asked to stop
    assert rec.recognize_drawn(renders) is None
    with pytest.raises(ValueError):
        rec.recognize_drawn([])


def test_recognize_page_leaves_out_a_line_the_images_edge_cuts(monkeypatch):
    rec = Recognizer(new_bundle("tiny", CTCCodec()))
    page = _two_line_page()[:195]  # "second one" cut through by the bottom edge
    assert len(split_page(page, words_apart=True).crops) == 2  # (a line of its own)
    calls = _read_with(monkeypatch, rec, page, whole=0.5, line=0.9)
    result = rec.recognize_page(page)
    assert calls == ["page"] and result is not None and result.text == "ab" and not result.lines
    whole_page = _two_line_page()
    calls = _read_with(monkeypatch, rec, whole_page, whole=0.5, line=0.9)
    assert rec.recognize_page(whole_page).text == "cd\ncd"  # type: ignore[union-attr]
