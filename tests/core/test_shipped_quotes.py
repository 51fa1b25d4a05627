"""The shipped character model keeps quotation marks: with it, the shipped model reads printed
words in quotes ('word', "word") with nearly as many of their marks as best-path decoding.

Before `default.charlm` counted quoted words (session 29), a text that began with a quote, or a
word that ended in one, was so unlikely to it that beam search dropped marks the network had read
("'event'" -> "event"): on these words it kept 207 marks where best path read 327 (of 402), and CER
was 17.0 % against 7.4 %; the session-29 file keeps 315 (8.1 %). Not part of the shipping gate
(`training/gate-candidate.sh`), which judges networks.
"""

from __future__ import annotations

from test_shipped_model import read_printed_both_ways
from testdata import needs_fonts, needs_shipped_model

from hwr_core.data.textgen import quoted_words
from hwr_core.metrics import cer

pytestmark = needs_shipped_model


def _marks(texts: list[str]) -> int:
    return sum(t.count("'") + t.count('"') for t in texts)


@needs_fonts
def test_character_model_keeps_quotation_marks() -> None:
    # seed 1: not the quoted words default.charlm counted (seed 0)
    refs, with_lm, best_path = read_printed_both_ways(quoted_words(100, seed=1))
    print(
        f"\nquoted words: CER {cer(refs, with_lm):.2%} with the character model, {cer(refs, best_path):.2%}"
        f" best path; marks read {_marks(with_lm)} and {_marks(best_path)} of {_marks(refs)}"
    )
    assert _marks(with_lm) >= 0.9 * _marks(best_path)
    assert cer(refs, with_lm) <= cer(refs, best_path) + 0.01
    assert _marks(best_path) > 0.75 * _marks(refs)  # the network itself reads most of them
