"""Word lists by name, and the recognizer taking its word list from the decode config."""

from __future__ import annotations

import dataclasses

import pytest

from hwr_core.charset import CTCCodec
from hwr_core.config import DecodeConfig
from hwr_core.decoding import Lexicon
from hwr_core.errors import HwrError
from hwr_core.lexicons import builtin_lexicon, resolve_lexicon
from hwr_core.modelfile import new_bundle
from hwr_core.recognizer import Recognizer


def test_builtin_list_has_english_vietnamese_and_syllables() -> None:
    lex = builtin_lexicon()
    assert lex is builtin_lexicon() is builtin_lexicon("")  # built once, however asked for
    for word in ("the", "hello", "người", "nghiêng", "quỳnh", "Việt"):
        assert lex.rewards(word), word
    assert not lex.rewards("tng") and not lex.rewards("đườờng")


def test_resolve_by_name(tmp_path) -> None:
    assert resolve_lexicon("") is None and resolve_lexicon("none") is None
    assert resolve_lexicon("builtin") is builtin_lexicon()
    path = tmp_path / "words.txt"
    path.write_text("cat\ndog\n", encoding="utf-8")
    own = resolve_lexicon(str(path))
    assert isinstance(own, Lexicon) and len(own) == 2
    with pytest.raises(HwrError, match="nowhere.txt"):
        resolve_lexicon(str(tmp_path / "nowhere.txt"))


def test_recognizer_takes_the_word_list_its_config_names() -> None:
    bundle = new_bundle("tiny", CTCCodec())
    bundle.decode = DecodeConfig(decoder="beam", lexicon="builtin", lexicon_weight=2.0)
    rec = Recognizer(bundle)
    assert rec.lexicon is builtin_lexicon()
    own = Lexicon(["cat"])
    assert Recognizer(bundle, lexicon=own).lexicon is own  # an explicit list wins
    # Other options keep the list; naming another list swaps it.
    explicit = Recognizer(bundle, lexicon=own)
    assert explicit.with_options(dataclasses.replace(explicit.decode_cfg, beam_width=3)).lexicon is own
    assert rec.with_options(dataclasses.replace(rec.decode_cfg, lexicon="none")).lexicon is None
    assert Recognizer(new_bundle("tiny", CTCCodec())).lexicon is None  # a plain model: no list


def test_one_language_takes_its_part_of_the_builtin_list(tmp_path) -> None:
    english, vietnamese = builtin_lexicon("en"), builtin_lexicon("vi")
    assert english.rewards("the") and english.rewards("I") and not english.rewards("người")
    assert vietnamese.rewards("người") and vietnamese.rewards("quỳnh") and not vietnamese.rewards("would")
    assert len(english) + len(vietnamese) >= len(builtin_lexicon())  # both, as before
    assert resolve_lexicon("builtin", "en") is english
    path = tmp_path / "words.txt"
    path.write_text("cat\n", encoding="utf-8")
    assert len(resolve_lexicon(str(path), "vi")) == 1  # a file is the user's, whatever the language
    bundle = new_bundle("tiny", CTCCodec())
    bundle.decode = DecodeConfig(decoder="beam", lexicon="builtin", lexicon_weight=2.0)
    rec = Recognizer(bundle)
    assert rec.lexicon is builtin_lexicon()
    assert rec.with_options(dataclasses.replace(rec.decode_cfg, language="en")).lexicon is english
    named = Recognizer(bundle).with_options(dataclasses.replace(rec.decode_cfg, lexicon=str(path)))
    own = named.lexicon
    assert named.with_options(dataclasses.replace(named.decode_cfg, language="en")).lexicon is own  # kept
