"""Reading with only some characters allowed: folding to the nearest allowed character, not masking."""

import dataclasses

import numpy as np
import pytest

from hwr_core.allowed_chars import folding, is_vietnamese_letter, language_allowed, parse_allowed, restrict
from hwr_core.charset import CTCCodec
from hwr_core.config import DecodeConfig
from hwr_core.decoding import greedy_decode
from hwr_core.errors import CharsetError, HwrError
from hwr_core.modelfile import new_bundle
from hwr_core.recognizer import Recognizer

CAPITALS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ -'"
CODEC = CTCCodec()


def _log_probs(*frames: dict[str, float]) -> np.ndarray:
    """One timestep per dict of {character or "" for the blank: probability}; the rest share 1e-6."""
    lp = np.full((len(frames), CODEC.num_classes), 1e-6)
    for t, frame in enumerate(frames):
        for ch, p in frame.items():
            lp[t, 0 if ch == "" else CODEC.encode(ch).ids[0]] = p
    lp /= lp.sum(axis=1, keepdims=True)
    return np.log(lp).astype(np.float32)


def test_a_letter_not_allowed_counts_as_its_other_case_instead_of_vanishing():
    lp = _log_probs({"e": 0.5, "": 0.3, "E": 0.2}, {"": 0.9})
    fold = folding(CODEC, CAPITALS)
    assert greedy_decode(restrict(lp, fold), CODEC).text == "E"
    masked = lp.copy()  # masking alone (no folding) would read the blank there: nothing
    masked[:, [CODEC.encode(c).ids[0] for c in "e"]] = -np.inf
    assert greedy_decode(masked, CODEC).text == ""


@pytest.mark.parametrize(
    ("allowed", "read", "expected"),
    [
        (CAPITALS, "é", "E"),  # base letter, other case
        (CAPITALS, "ế", "E"),  # Vietnamese: both marks off
        ("abcdefghijklmnopqrstuvwxyz", "Ấ", "a"),
        ("aăâ", "ặ", "ă"),  # the tone goes first, the breve stays
        ("aâ", "ặ", "a"),
        ("ĂA", "ặ", "Ă"),
    ],
)
def test_nearest_allowed_character(allowed, read, expected):
    lp = _log_probs({read: 0.9}, {"": 0.9})
    assert greedy_decode(restrict(lp, folding(CODEC, allowed)), CODEC).text == expected


def test_a_character_with_no_allowed_relative_is_dropped_and_rows_stay_distributions():
    lp = _log_probs({"x": 0.6, "7": 0.3}, {"": 0.9})
    out = restrict(lp, folding(CODEC, "0123456789"))
    assert greedy_decode(out, CODEC).text == "7"
    probs = np.exp(out)
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    allowed_ids = [0] + [CODEC.encode(c).ids[0] for c in "0123456789"]
    others = np.delete(probs, allowed_ids, axis=1)
    assert np.isfinite(out).all() and others.max() < 1e-20


def test_allowed_characters_are_checked_against_the_model():
    assert folding(CODEC, "") is None
    assert parse_allowed("AAB  ", CODEC) == "AB "
    with pytest.raises(CharsetError, match="not in this model's alphabet: '€'"):
        folding(CODEC, "AB€")


def test_recognizer_reads_only_allowed_characters():
    rec = Recognizer(new_bundle("tiny", CTCCodec()))
    rec = rec.with_options(dataclasses.replace(DecodeConfig(), decoder="greedy", allowed="ab"))
    image = np.full((40, 300), 255, np.uint8)
    image[15:25, 20:270] = 0
    result = rec.recognize(image)
    assert set(result.text) <= {"a", "b"}
    assert np.allclose(result.probs.sum(axis=1), 1.0, atol=1e-5)  # the heatmap shows what was decoded
    bad = rec.with_options(dataclasses.replace(rec.decode_cfg, allowed="a€"))
    with pytest.raises(CharsetError):
        bad.prepare()


def test_describe_names_the_allowed_characters():
    assert DecodeConfig(decoder="greedy", allowed="0123").describe() == "greedy, only '0123'"
    assert DecodeConfig(decoder="beam", beam_width=4).describe() == "beam 4"


def test_read_as_english_no_vietnamese_letter_is_written():
    rec = Recognizer(new_bundle("tiny", CTCCodec()))
    english = rec.with_options(dataclasses.replace(DecodeConfig(), decoder="greedy", language="en"))
    lp = _log_probs({"d": 0.9}, {"": 0.9}, {"ị": 0.6, "i": 0.3}, {"": 0.9}, {"p": 0.9})
    assert greedy_decode(lp, CODEC).text == "dịp"  # read as both languages
    assert greedy_decode(restrict(lp, english._allowed_folding()), CODEC).text == "dip"
    lp = _log_probs({"Đ": 0.9}, {"": 0.9}, {"ư": 0.9})  # no decomposition, yet built on D; ư is u + horn
    assert greedy_decode(restrict(lp, english._allowed_folding()), CODEC).text == "Du"
    vietnamese = rec.with_options(dataclasses.replace(english.decode_cfg, language="vi"))
    assert vietnamese._allowed_folding() is None  # Vietnamese writes every letter English does


def test_english_narrows_the_allowed_characters_and_says_so():
    assert language_allowed("", "", CODEC) == ""
    assert language_allowed("aăb", "vi", CODEC) == "aăb"
    assert language_allowed("aăb", "en", CODEC) == "ab"
    everything_english = language_allowed("", "en", CODEC)
    assert "°" in everything_english and "0" in everything_english and "z" in everything_english
    assert not any(is_vietnamese_letter(c) for c in everything_english)
    assert all(is_vietnamese_letter(c) for c in "ăâđêôơưàỹĐ") and not any(map(is_vietnamese_letter, "aZ°1 "))
    with pytest.raises(CharsetError, match="written in English"):
        language_allowed("ăơ", "en", CODEC)
    assert DecodeConfig(decoder="greedy", language="en").describe() == "greedy, English only"
    with pytest.raises(HwrError, match="unknown reading language 'fr'"):
        DecodeConfig(language="fr")
