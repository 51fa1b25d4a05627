"""The character language model: a proper distribution, its files, case folding, untokenising."""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path

import pytest

from hwr_core import charlm
from hwr_core.charlm import EOS, CharLM, CharLMConfig, corpus_texts, resolve_char_model
from hwr_core.charset import untokenize
from hwr_core.config import BUILTIN_LM, NO_LM
from hwr_core.errors import HwrError

CORPUS = ["the cat sat on the mat", "the car is red", "a cat and a hat", "Thành phố Hồ Chí Minh"] * 2


def total_mass(lm: CharLM, context: str) -> float:
    """Over every character the model can be asked about: its vocabulary and, case folded, capitals."""
    chars = set(lm.vocab)
    if lm.fold_case:
        chars |= {c.upper() for c in lm.vocab if c.lower() != c.upper() and len(c.upper()) == 1}
    return sum(math.exp(lm.log_prob(context, ch)) for ch in chars)


@pytest.mark.parametrize("min_count", [1, 2, 5])
@pytest.mark.parametrize("context", ["", "the c", "Hồ Chí M", "zzzz", "THE CA", "the cat sat on the m"])
@pytest.mark.parametrize("fold_case", [True, False])
def test_every_context_is_a_distribution_over_the_vocabulary(
    min_count: int, context: str, fold_case: bool
) -> None:
    # Pruning frees mass to the lower orders rather than losing it; the case model splits each
    # letter's mass between its two cases.
    cfg = CharLMConfig(order=5, min_count=min_count, fold_case=fold_case)
    lm = CharLM.build(CORPUS, cfg, extra_chars="xyz")
    assert total_mass(lm, context) == pytest.approx(1.0, abs=1e-9)


def test_seen_continuations_beat_unseen_ones() -> None:
    lm = CharLM.build(CORPUS, CharLMConfig(order=4, min_count=1))
    assert lm.log_prob("the ca", "t") > lm.log_prob("the ca", "q")
    assert lm.log_prob("Hồ Chí M", "i") > lm.log_prob("Hồ Chí M", "a")
    assert lm.score("the cat") > lm.score("the cqt")
    # The end is predicted too: a text cut short is less likely to end there.
    assert lm.log_prob("the ca", EOS) < lm.log_prob("the cat sat on the mat", EOS)
    # A character the corpus never had still has a small, finite probability.
    assert -math.inf < lm.log_prob("the", "€") < lm.log_prob("the", " ")


def test_case_folding_judges_letters_in_any_case_and_case_apart(tmp_path: Path) -> None:
    corpus = CORPUS + ["NGUYEN VAN AN", "TRAN THI BINH"]
    folded = CharLM.build(corpus, CharLMConfig(order=4))
    # Letters share one set of statistics: capitals are told apart exactly as lower case is...
    margin_lower = folded.score("the cat") - folded.score("the cqt")
    assert margin_lower > 2
    assert folded.score("THE CAT") - folded.score("THE CQT") == pytest.approx(margin_lower)
    # ...while a case-keeping model has almost no capitals to learn from.
    kept = CharLM.build(corpus, CharLMConfig(order=4, fold_case=False))
    assert kept.score("THE CAT") - kept.score("THE CQT") < margin_lower / 2
    # Case comes from the case model: a capital is likely after capitals, rare inside a lower word.
    assert folded.log_prob("NGU", "Y") > folded.log_prob("NGU", "y")
    assert folded.log_prob("the ca", "t") > folded.log_prob("the ca", "T")
    folded.save(tmp_path / "f.charlm")
    again = CharLM.load(tmp_path / "f.charlm")
    assert again.score("THE Cat") == pytest.approx(folded.score("THE Cat"), abs=1e-12)


def test_a_words_first_letter_takes_its_case_from_the_letters_before_it(tmp_path: Path) -> None:
    corpus = ["đi Việt Nam", "ở Việt Nam", "NGUYEN VAN AN"] * 3 + ["the cat sat on the mat", "a nice hat"] * 5
    by_letters = CharLM.build(corpus, CharLMConfig(order=5))
    by_classes = CharLM.build(corpus, CharLMConfig(order=5, case_by_letters=False))
    # After a lower-case word and a space, capitals are rare: the classes alone say "Việt nam"...
    assert by_classes.log_prob("Việt ", "N") < by_classes.log_prob("Việt ", "n")
    # ...and the letters before it say "Việt Nam", while an unseen word after a space keeps lower case.
    assert by_letters.log_prob("Việt ", "N") > by_letters.log_prob("Việt ", "n") + 1
    assert by_letters.log_prob("the ", "H") < by_letters.log_prob("the ", "h")
    # Inside a word case is the word's style, the classes' alone: "NGUY" reads as it did.
    for ctx, ch in (("NGU", "Y"), ("NGU", "y"), ("Ng", "U"), ("the ca", "T")):
        assert by_letters.log_prob(ctx, ch) == pytest.approx(by_classes.log_prob(ctx, ch), abs=1e-12)
    # Saved and loaded, it reads the same; a file from before session 29 (no such counts) reads
    # by the classes, as it did.
    path = tmp_path / "m.charlm"
    by_letters.save(path)
    texts = ("đi Việt Nam", "đi Việt nam", "THE CAT", "the cat")
    assert [CharLM.load(path).score(t) for t in texts] == [by_letters.score(t) for t in texts]
    header, *chunks = documents(path)
    del header["letter_case_counts"]
    write_documents(path, [header, *chunks])
    assert [CharLM.load(path).score(t) for t in texts] == [by_classes.score(t) for t in texts]
    header["letter_case_counts"] = {"LLSn": [1, "x"]}
    write_documents(path, [header, *chunks])
    with pytest.raises(HwrError, match="damaged character model .*bad letter case counts"):
        CharLM.load(path)


def test_remembered_probabilities_do_not_depend_on_the_order_asked() -> None:
    # Beam search leans on the model's memos (per context, per case ending): a value must be the
    # same whether it is asked first, after its neighbours, or after the memos were cleared.
    corpus = CORPUS + ["NGUYEN VAN AN", "Ha Noi, 12 PHO HUE.", "the CAT sat"]
    queries = [
        (ctx[-(5 - 1) :].rjust(4, "\x02"), ch)
        for text in ["the cat SAT", "Hồ Chí MINH", "a. B c", "12 PHO hue", "UU c", "LSU c"]
        for ctx in (text[:i] for i in range(len(text) + 1))
        for ch in "aAtTHh .1"
    ]
    forward = CharLM.build(corpus, CharLMConfig(order=5, min_count=1))
    backward = CharLM.build(corpus, CharLMConfig(order=5, min_count=1))
    one_by_one = CharLM.build(corpus, CharLMConfig(order=5, min_count=1))
    expected = [forward.next_log_prob(c, ch) for c, ch in queries]
    got = [backward.next_log_prob(c, ch) for c, ch in reversed(queries)][::-1]
    assert got == expected
    fresh = []
    for c, ch in queries:
        fresh.append(one_by_one.next_log_prob(c, ch))
        one_by_one._memo.clear()
        one_by_one._log_memo.clear()
        one_by_one._upper_memo.clear()
    assert fresh == expected


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    lm = CharLM.build(CORPUS, CharLMConfig(order=5, min_count=1))
    lm.info["sources"] = ["test corpus"]
    path = tmp_path / "m.charlm"
    lm.save(path)
    again = CharLM.load(path)
    assert again.order == 5 and again.vocab == lm.vocab and again.info == lm.info
    for text in ("the cat", "Thành phố", "unseen words"):
        assert again.score(text) == pytest.approx(lm.score(text), abs=1e-12)
    header, *chunks = documents(path)  # plain data: no pickle anywhere
    assert header["format"] == "hwr-charlm" and header["info"]["texts"] == len(CORPUS)
    assert sorted({k for k, _ in chunks}) == list(range(5))


def documents(path: Path) -> list:
    """A version 2 file's JSON documents, one per line: the header, then [order, {context: row}] chunks."""
    return [json.loads(line) for line in gzip.decompress(path.read_bytes()).decode("utf-8").splitlines()]


def write_documents(path: Path, docs: list) -> None:
    path.write_bytes(gzip.compress("\n".join(json.dumps(d, ensure_ascii=False) for d in docs).encode()))


def test_tables_span_several_chunks_and_version_1_files_still_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A file is read a chunk of contexts at a time (the GIL is free between them), so a table
    # split over many chunks must come back whole; and a file written before chunks still loads.
    monkeypatch.setattr(charlm, "_CHUNK", 7)
    lm = CharLM.build(CORPUS + ["NGUYEN VAN AN", "Ha Noi"], CharLMConfig(order=5, min_count=1))
    chunked = tmp_path / "chunked.charlm"
    lm.save(chunked)
    header, *chunks = documents(chunked)
    assert len(chunks) > 10 and all(len(part) <= 7 for _, part in chunks)
    old = tmp_path / "v1.charlm"
    write_documents(old, [{**header, "version": 1, "tables": lm._tables}])
    texts = ("the cat", "Thành phố Hồ", "NGUYEN", "zzz", "")
    for again in (CharLM.load(chunked), CharLM.load(old)):
        assert again._tables == lm._tables
        assert [again.score(t) for t in texts] == [lm.score(t) for t in texts]


def test_bad_files_give_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(HwrError, match="not found"):
        CharLM.load(tmp_path / "missing.charlm")
    junk = tmp_path / "junk.charlm"
    junk.write_bytes(b"\x00not gzip at all")
    with pytest.raises(HwrError, match="not a character model"):
        CharLM.load(junk)
    other = tmp_path / "other.charlm"
    other.write_bytes(gzip.compress(json.dumps({"format": "something-else"}).encode()))
    with pytest.raises(HwrError, match="not a character model file"):
        CharLM.load(other)
    newer = tmp_path / "newer.charlm"
    newer.write_bytes(gzip.compress(json.dumps({"format": "hwr-charlm", "version": 99}).encode()))
    with pytest.raises(HwrError, match="version 99"):
        CharLM.load(newer)
    damaged = tmp_path / "damaged.charlm"
    damaged.write_bytes(
        gzip.compress(json.dumps({"format": "hwr-charlm", "version": 1, "order": 3}).encode())
    )
    with pytest.raises(HwrError, match="damaged"):
        CharLM.load(damaged)
    # A row cut short: refused on load, not when beam search first reaches it.
    good = tmp_path / "good.charlm"
    CharLM.build(CORPUS, CharLMConfig(order=3)).save(good)
    docs = documents(good)
    k, part = next(d for d in docs[1:] if d[0] == 2)
    ctx = next(iter(part))
    part[ctx] = part[ctx][:3]
    write_documents(damaged, docs)
    with pytest.raises(HwrError, match="damaged character model .*bad row"):
        CharLM.load(damaged)
    # A file cut off inside a chunk, and a chunk for a table the model does not have.
    text = gzip.decompress(good.read_bytes())
    damaged.write_bytes(gzip.compress(text[: len(text) - 20]))
    with pytest.raises(HwrError, match="damaged character model"):
        CharLM.load(damaged)
    write_documents(damaged, [*documents(good), [3, {"abc": [1, 0, "x", [1]]}]])
    with pytest.raises(HwrError, match="damaged character model .*chunk"):
        CharLM.load(damaged)


def test_build_refuses_no_text_and_bad_settings() -> None:
    with pytest.raises(HwrError, match="no text"):
        CharLM.build(["", "   "])
    with pytest.raises(HwrError, match="settings"):
        CharLM.build(CORPUS, CharLMConfig(discount=1.5))


def test_rare_ngrams_are_pruned() -> None:
    full = CharLM.build(CORPUS + ["a one-off sentence"], CharLMConfig(order=6, min_count=1))
    pruned = CharLM.build(CORPUS + ["a one-off sentence"], CharLMConfig(order=6, min_count=2))
    assert sum(pruned.info["contexts_per_order"]) < sum(full.info["contexts_per_order"])
    # The once-seen sentence is no longer memorised (-8 -> -36 nats here); the twice-seen ones
    # lose only the mass pruning moved to lower orders (-3.2 -> -5.6).
    once = full.score("a one-off sentence") - pruned.score("a one-off sentence")
    twice = full.score("the car is red") - pruned.score("the car is red")
    assert once > 20 and 0 <= twice < 5


@pytest.mark.parametrize(
    ("iam", "written"),
    [
        ('a song " Bella Marie " ( Parlophone ) , a hit .', 'a song "Bella Marie" (Parlophone), a hit.'),
        ("You 're here , he said ; do n't go ...", "You're here, he said; don't go..."),
        ("it 's Tom 's", "it's Tom's"),
        ("Số 253 đường Trần Phú, Hà Nội", "Số 253 đường Trần Phú, Hà Nội"),
    ],
)
def test_untokenize_writes_iam_text_the_way_people_write(iam: str, written: str) -> None:
    assert untokenize(iam) == written


def test_corpus_sources_and_names(tmp_path: Path) -> None:
    txt = tmp_path / "corpus.txt"
    txt.write_text("\ufeffone line\nanother line\n", encoding="utf-8")
    assert corpus_texts(str(txt)) == ["one line", "another line"]
    tsv = tmp_path / "labels.tsv"
    tsv.write_text("a.png\txin chào\ttrain\nb.png\tval text\tval\n", encoding="utf-8")
    for name in ("a.png", "b.png"):  # labelled data lists existing images; only their texts are read
        (tmp_path / name).touch()
    assert corpus_texts(f"{tsv}?split=train") == ["xin chào"]
    with pytest.raises(HwrError):
        corpus_texts(str(tmp_path / "missing.txt"))
    assert resolve_char_model("") is None and resolve_char_model(NO_LM) is None
    builtin = resolve_char_model(BUILTIN_LM)
    assert builtin is not None and builtin.order >= 3
    assert builtin.score("Thành phố Hồ Chí Minh") > builtin.score("Thành phô Hồ Chí Mính")
