"""Metrics: known edit distances, normalisation, corpus weighting, confusions, edge cases."""

from __future__ import annotations

import random
import unicodedata

import pytest

from hwr_core.metrics import (
    Confusion,
    EvalSummary,
    accuracy,
    cer,
    char_confusions,
    normalize_for_scoring,
    paired_bootstrap,
    per_char_error_rates,
    summarize,
    wer,
    word_changes,
)


def test_kitten_sitting() -> None:
    assert cer(["kitten"], ["sitting"]) == pytest.approx(3 / 6)
    assert wer(["kitten"], ["sitting"]) == 1.0
    assert accuracy(["kitten"], ["sitting"]) == 0.0


def test_vietnamese_nfd_and_tone_style_are_not_errors() -> None:
    nfc = "Tiếng Việt hoà bình"
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfd != nfc
    assert cer([nfc], [nfd]) == 0.0
    assert wer([nfc], [nfd]) == 0.0
    assert accuracy([nfc], [nfd]) == 1.0
    # Old-style tone placement "hòa" is the same word as "hoà".
    assert cer(["hòa"], ["hoà"]) == 0.0
    assert accuracy(["thủy hòa"], ["thuỷ hoà"]) == 1.0
    # A real tone difference still counts.
    assert cer(["hoà"], ["hoá"]) == pytest.approx(1 / 3)


def test_whitespace_is_collapsed_and_stripped() -> None:
    assert normalize_for_scoring("  a \t b\n\nc  ") == "a b c"
    assert cer(["a b c"], ["  a  b\tc "]) == 0.0
    assert wer(["the cat sat"], ["the  cat   sat "]) == 0.0
    assert accuracy(["x y"], ["x\u00a0y"]) == 1.0  # no-break space is a space


def test_corpus_level_weighting() -> None:
    # 1 edit in a 10-char line + 1 edit in a 2-char line: 2 / 12, not the mean of 0.1 and 0.5.
    refs = ["abcdefghij", "ab"]
    hyps = ["abcdefghiX", "aX"]
    assert cer(refs, hyps) == pytest.approx(2 / 12)
    assert wer(["a b c d", "e f"], ["a b c X", "e f"]) == pytest.approx(1 / 6)
    assert accuracy(refs + ["ok"], hyps + ["ok"]) == pytest.approx(1 / 3)


def test_wer_counts_word_edits() -> None:
    assert wer(["the quick brown fox"], ["the quick fox"]) == pytest.approx(1 / 4)  # deletion
    assert wer(["a b"], ["a x b y"]) == pytest.approx(2 / 2)  # two insertions
    assert wer(["xin chào"], ["xin chao"]) == pytest.approx(1 / 2)


def test_cer_can_exceed_one_with_insertions() -> None:
    assert cer(["a"], ["abc"]) == pytest.approx(2.0)


def test_empty_edge_cases() -> None:
    assert cer([], []) == 0.0 and wer([], []) == 0.0 and accuracy([], []) == 1.0
    assert cer([""], [""]) == 0.0 and wer(["  "], [""]) == 0.0 and accuracy([""], [" "]) == 1.0
    assert cer([""], ["abc"]) == 1.0 and wer([""], ["x y"]) == 1.0
    assert cer(["abcd", ""], ["abcd", "xy"]) == pytest.approx(2 / 4)  # insertions against other refs
    assert cer(["abc"], [""]) == 1.0
    s = summarize([], [])
    assert s.n == 0 and s.confusions == [] and s.worst_chars == []


def test_length_mismatch_and_bare_strings_are_rejected() -> None:
    with pytest.raises(ValueError, match="2 references but 1"):
        cer(["a", "b"], ["a"])
    for fn in (wer, accuracy, char_confusions, per_char_error_rates, summarize):
        with pytest.raises(ValueError):
            fn(["a"], [])
    with pytest.raises(TypeError):
        cer("abc", "abd")


def test_confusions_find_a_planted_substitution() -> None:
    refs = ["hello world", "cold coffee", "old man", "a"]
    hyps = ["hella warld", "cald coffee", "ald man", ""]
    conf = char_confusions(refs, hyps)
    assert conf[0] == Confusion("o", "a", 4)
    assert Confusion("a", "", 1) in conf  # deletion
    assert char_confusions(["ab"], ["abc"]) == [Confusion("", "c", 1)]  # insertion
    assert len(char_confusions(refs, hyps, top=1)) == 1
    counts = [c.count for c in conf]
    assert counts == sorted(counts, reverse=True)


def test_per_char_error_rates() -> None:
    # "o" appears 6 times, misread 3 times; "l" 7 times, never wrong; "x" only once.
    refs = ["lol", "lol", "lol", "lox", "oo"]
    hyps = ["lal", "lal", "lol", "lax", "oo"]
    rates = per_char_error_rates(refs, hyps, min_count=5)
    assert rates == [("o", pytest.approx(3 / 6), 6), ("l", 0.0, 7)]
    assert all(ch != "x" for ch, _, _ in rates)
    assert ("x", 0.0, 1) in per_char_error_rates(refs, hyps, min_count=1)
    # A deleted character counts as wrong.
    assert per_char_error_rates(["ab"], ["a"], min_count=1)[0] == ("b", 1.0, 1)


def test_summarize_matches_individual_metrics() -> None:
    refs = ["Tiếng Việt", "hello world", "xin chào", "abc"]
    hyps = [unicodedata.normalize("NFD", "Tiếng Viet"), "hello  word", "xin chào", "abd"]
    s = summarize(refs, hyps, min_count=1)
    assert isinstance(s, EvalSummary)
    assert s.n == 4
    assert s.cer == pytest.approx(cer(refs, hyps))
    assert s.wer == pytest.approx(wer(refs, hyps))
    assert s.accuracy == pytest.approx(0.25)
    assert s.confusions == char_confusions(refs, hyps)
    assert s.worst_chars == per_char_error_rates(refs, hyps, min_count=1)[:20]
    d = s.to_dict()
    assert d["n"] == 4 and isinstance(d["confusions"], list)


def test_word_changes_name_the_changed_words_only() -> None:
    assert word_changes("Xin chào thế giới", "Xin chảo thế giới") == [("chào", "chảo")]
    assert word_changes("Xin chào thế giới", "xin chào thế giói") == [("Xin", "xin"), ("giới", "giói")]
    # a run of changes is one pair, whatever mix of edits it is; "" where a side has no word
    assert word_changes("a b c d", "a x d") == [("b c", "x")]
    assert word_changes("a b", "a b c") == [("", "c")]
    assert word_changes("a b c", "b c") == [("a", "")]
    assert word_changes("hello  world", "hello world ") == []  # spacing is not a change
    assert word_changes("", "hi") == [("", "hi")]


def test_paired_bootstrap_tells_a_real_loss_from_chance() -> None:
    rng = random.Random(0)
    refs = ["".join(rng.choice("abcdefgh") for _ in range(8)) for _ in range(400)]
    base = list(refs)
    # A reader that drops the last letter of every fourth sample: worse beyond any doubt.
    worse = [r[:-1] if i % 4 == 0 else r for i, r in enumerate(refs)]
    loss = paired_bootstrap(refs, base, worse, resamples=2000)
    assert loss["cer"].change == pytest.approx(100 / 3200)
    assert loss["cer"].low > 0 and loss["accuracy"].high < 0
    # Two readers that each miss different single samples: a change within chance either way.
    a = [r[:-1] if i == 7 else r for i, r in enumerate(refs)]
    b = [r[:-1] if i == 8 else r for i, r in enumerate(refs)]
    even = paired_bootstrap(refs, a, b, resamples=2000)
    assert even["cer"].change == 0
    assert even["cer"].low < 0 < even["cer"].high
    assert even["accuracy"].low < 0 < even["accuracy"].high


def test_paired_bootstrap_is_repeatable_and_pairs_samples() -> None:
    refs = ["abcd", "efgh", "ijkl", "mnop"] * 25
    a = ["abce", "efgh", "ijkl", "mnop"] * 25
    first = paired_bootstrap(refs, refs, a, resamples=500, seed=3)
    assert first == paired_bootstrap(refs, refs, a, resamples=500, seed=3)
    # Identical readers: every resample's change is exactly zero, however hard the drawn samples.
    same = paired_bootstrap(refs, a, a, resamples=500)
    assert (same["cer"].low, same["cer"].high) == (0.0, 0.0)
    with pytest.raises(ValueError, match="no samples"):
        paired_bootstrap([], [], [])
