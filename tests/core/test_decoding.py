"""CTC decoding on hand-made probability matrices, checked against torch's CTC loss and brute force."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from hwr_core.charlm import EOS, CharLM, CharLMConfig
from hwr_core.charset import CTCCodec
from hwr_core.config import DecodeConfig
from hwr_core.decoding import (
    CharSpan,
    Hypothesis,
    Lexicon,
    _backtrack,
    _ctc_dp,
    beam_decode,
    ctc_log_likelihood,
    decode,
    forced_align,
    greedy_decode,
)
from hwr_core.errors import HwrError

BLANK = "_"


def matrix(codec: CTCCodec, rows: list[dict[str, float]]) -> np.ndarray:
    """Log-probs from per-frame {label: prob} ("_" is the blank); unnamed classes share the rest."""
    c = codec.num_classes
    out = np.zeros((len(rows), c), dtype=np.float64)
    for t, row in enumerate(rows):
        named = {0 if k == BLANK else codec.encode(k).ids[0]: v for k, v in row.items()}
        rest = max(0.0, 1.0 - sum(named.values()))
        others = c - len(named)
        out[t, :] = rest / others if others else 0.0
        for k, v in named.items():
            out[t, k] = v
        out[t] /= out[t].sum()
    with np.errstate(divide="ignore"):
        return np.log(out).astype(np.float32)


def peaked(codec: CTCCodec, frames: str, p: float = 0.9) -> np.ndarray:
    """One frame per character of `frames` ("_" = blank), each with probability p."""
    return matrix(codec, [{ch: p} for ch in frames])


def torch_log_likelihood(lp: np.ndarray, ids: list[int]) -> float:
    x = torch.from_numpy(np.asarray(lp, dtype=np.float64)).unsqueeze(1)
    loss = F.ctc_loss(
        x,
        torch.tensor(ids, dtype=torch.long),
        torch.tensor([lp.shape[0]]),
        torch.tensor([len(ids)]),
        blank=0,
        reduction="sum",
    )
    return -float(loss)


def brute_force(lp: np.ndarray) -> dict[tuple[int, ...], float]:
    """log P(text) for every text, by enumerating all C^T paths."""
    t_len, c = lp.shape
    probs: dict[tuple[int, ...], float] = {}
    for path in itertools.product(range(c), repeat=t_len):
        collapsed = tuple(k for i, k in enumerate(path) if k != 0 and (i == 0 or path[i - 1] != k))
        p = math.exp(sum(lp[t, k] for t, k in enumerate(path)))
        probs[collapsed] = probs.get(collapsed, 0.0) + p
    return {k: math.log(v) for k, v in probs.items() if v > 0}


@pytest.fixture
def helo() -> CTCCodec:
    return CTCCodec("helo")


# --- greedy ---------------------------------------------------------------------------------------


def test_greedy_text_and_exact_spans(helo: CTCCodec) -> None:
    lp = matrix(
        helo,
        [{"h": 0.8}, {"h": 0.95}, {BLANK: 0.9}, {"e": 0.7}, {"l": 0.9}, {BLANK: 0.9}]
        + [{"l": 0.6}, {"l": 0.85}, {"o": 0.9}, {BLANK: 0.9}],
    )
    hyp = greedy_decode(lp, helo)
    assert hyp.text == "hello"
    assert [(s.char, s.start, s.end) for s in hyp.spans] == [
        ("h", 0, 1),
        ("e", 3, 3),
        ("l", 4, 4),
        ("l", 6, 7),
        ("o", 8, 8),
    ]
    # Confidence of a span: the peak probability within its run.
    assert [round(s.confidence, 4) for s in hyp.spans] == [0.95, 0.7, 0.9, 0.85, 0.9]
    assert hyp.confidence == pytest.approx(0.7, abs=1e-5)  # weakest character
    assert hyp.score == pytest.approx(float(lp.max(axis=1).sum()), abs=1e-5)
    assert hyp.score <= 0.0
    assert hyp.num_frames == 10


def test_repeats_need_a_blank_between(helo: CTCCodec) -> None:
    merged = peaked(helo, "ll")
    separate = peaked(helo, "l_l")
    assert greedy_decode(merged, helo).text == "l"
    assert greedy_decode(separate, helo).text == "ll"
    assert beam_decode(merged, helo)[0].text == "l"
    assert beam_decode(separate, helo)[0].text == "ll"
    spans = beam_decode(separate, helo)[0].spans
    assert [(s.start, s.end) for s in spans] == [(0, 0), (2, 2)]


def test_empty_input_and_all_blank(helo: CTCCodec) -> None:
    empty = np.zeros((0, helo.num_classes), dtype=np.float32)
    for hyp in (greedy_decode(empty, helo), beam_decode(empty, helo)[0]):
        assert hyp.text == "" and hyp.spans == () and hyp.score == 0.0 and hyp.confidence == 0.0
    assert len(beam_decode(empty, helo)) == 1

    blanks = peaked(helo, "_____", p=0.99)
    g = greedy_decode(blanks, helo)
    b = beam_decode(blanks, helo)
    assert g.text == "" and b[0].text == ""
    # Empty text: confidence is the per-frame (geometric mean) blank probability.
    assert g.confidence == pytest.approx(0.99, abs=1e-5)
    assert b[0].confidence == pytest.approx(0.99, abs=1e-5)
    assert b[0].score == pytest.approx(5 * math.log(0.99), abs=1e-5)


def test_rejects_wrong_shapes(helo: CTCCodec) -> None:
    with pytest.raises(ValueError, match="classes"):
        greedy_decode(np.zeros((3, 7), dtype=np.float32), helo)
    with pytest.raises(ValueError, match="shape"):
        beam_decode(np.zeros(5, dtype=np.float32), helo)
    with pytest.raises(ValueError, match="NaN"):
        greedy_decode(np.full((2, helo.num_classes), np.nan, dtype=np.float32), helo)
    with pytest.raises(ValueError):
        beam_decode(peaked(helo, "h"), helo, beam_width=0)


# --- beam -----------------------------------------------------------------------------------------


def test_beam_agrees_with_greedy_on_peaked_input(helo: CTCCodec) -> None:
    lp = peaked(helo, "hh_e_l_ll_o__", p=0.9)
    g = greedy_decode(lp, helo)
    assert g.text == "hello"
    for width in (1, 4, 8):
        top = beam_decode(lp, helo, beam_width=width)[0]
        assert top.text == g.text
        assert [(s.start, s.end) for s in top.spans] == [(s.start, s.end) for s in g.spans]
        assert top.score >= g.score  # the sum over paths includes the best path


def test_beam_beats_greedy_when_paths_add_up() -> None:
    codec = CTCCodec("a")
    # Each frame: blank 0.6, "a" 0.4. Best path blank-blank (0.36) reads "", but "a" has three
    # paths (a a, a _, _ a): 0.16 + 0.24 + 0.24 = 0.64.
    lp = matrix(codec, [{BLANK: 0.6, "a": 0.4}] * 2)
    greedy = greedy_decode(lp, codec)
    beams = beam_decode(lp, codec, beam_width=4)
    assert greedy.text == ""
    assert greedy.score == pytest.approx(math.log(0.36), abs=1e-6)
    assert beams[0].text == "a" != greedy.text
    assert beams[0].score == pytest.approx(math.log(0.64), abs=1e-6)
    assert beams[0].score == pytest.approx(torch_log_likelihood(lp, [1]), abs=1e-4)
    # "aa" needs a blank between, so 3 frames: impossible here and not offered.
    assert [h.text for h in beams] == ["a", ""]
    assert beams[1].score == pytest.approx(math.log(0.36), abs=1e-6)


def test_beam_scores_are_exact_ctc_likelihoods() -> None:
    codec = CTCCodec("abcd")
    rng = np.random.default_rng(7)
    logits = rng.normal(0, 2, (12, codec.num_classes))
    lp = torch.log_softmax(torch.from_numpy(logits), dim=1).numpy().astype(np.float32)
    hyps = beam_decode(lp, codec, beam_width=6, n_best=6)
    assert len(hyps) == 6
    for h in hyps:
        ids = codec.encode(h.text).ids
        assert h.score == pytest.approx(torch_log_likelihood(lp, ids), abs=1e-4)
        assert h.score == pytest.approx(ctc_log_likelihood(lp, ids), abs=1e-6)


def test_n_best_sorted_distinct_and_bounded(helo: CTCCodec) -> None:
    rng = np.random.default_rng(3)
    lp = torch.log_softmax(torch.from_numpy(rng.normal(0, 1.5, (15, helo.num_classes))), 1).numpy()
    for n_best in (1, 3, 5, 12):
        hyps = beam_decode(lp, helo, beam_width=4, n_best=n_best)
        assert 1 <= len(hyps) <= n_best
        texts = [h.text for h in hyps]
        assert len(set(texts)) == len(texts)
        scores = [h.score for h in hyps]
        assert scores == sorted(scores, reverse=True)
        assert all(s <= 0.0 for s in scores)
        for h in hyps:
            assert len(h.spans) == len(h.text)
            assert "".join(s.char for s in h.spans) == h.text
    # n_best may exceed beam_width: the last step's candidates are all ranked.
    assert len(beam_decode(lp, helo, beam_width=2, n_best=5)) == 5


def test_n_best_drops_spacing_variants() -> None:
    codec = CTCCodec("ab ")
    lp = matrix(codec, [{"a": 0.9}, {" ": 0.4, BLANK: 0.5}, {"b": 0.9}, {" ": 0.3, BLANK: 0.6}])
    hyps = beam_decode(lp, codec, beam_width=8, n_best=5)
    visible = [" ".join(h.text.split()) for h in hyps]
    assert len(visible) == len(set(visible))
    assert hyps[0].text == "ab" and "ab " not in [h.text for h in hyps]
    assert "a b" in [h.text for h in hyps]  # a different reading stays


def test_lexicon_flips_a_close_call() -> None:
    codec = CTCCodec("acot")
    lp = matrix(codec, [{"c": 0.9}, {BLANK: 0.9}, {"o": 0.5, "a": 0.45}, {BLANK: 0.9}, {"t": 0.9}])
    plain = beam_decode(lp, codec)
    assert plain[0].text == "cot" and plain[1].text == "cat"
    lex = Lexicon(["cat", "dog"])
    rescored = beam_decode(lp, codec, lexicon=lex, lexicon_weight=0.5)
    assert rescored[0].text == "cat"
    assert rescored[0].lexicon_bonus == pytest.approx(0.5)
    assert rescored[0].score == pytest.approx(plain[1].score)  # score stays the CTC likelihood
    ranks = [h.rank_score for h in rescored]
    assert ranks == sorted(ranks, reverse=True)
    # Weight 0 or no lexicon: plain ranking.
    assert beam_decode(lp, codec, lexicon=lex, lexicon_weight=0.0)[0].text == "cot"
    # A clear reading is not overridden by a small bonus.
    clear = matrix(codec, [{"c": 0.9}, {"o": 0.95}, {"t": 0.9}])
    assert beam_decode(clear, codec, lexicon=lex, lexicon_weight=0.5)[0].text == "cot"


def test_lexicon_bonus_counts_every_in_lexicon_word() -> None:
    codec = CTCCodec("acot ")
    frames = [{"c": 0.9}, {"o": 0.5, "a": 0.45}, {"t": 0.9}, {" ": 0.9}]
    frames += [{"t": 0.9}, {"o": 0.5, "a": 0.45}, {"c": 0.9}, {BLANK: 0.9}]
    lp = matrix(codec, frames)
    assert beam_decode(lp, codec)[0].text == "cot toc"
    hyps = beam_decode(lp, codec, lexicon=Lexicon(["cat", "tac"]), lexicon_weight=0.4)
    assert hyps[0].text == "cat tac"
    assert hyps[0].lexicon_bonus == pytest.approx(0.8)
    by_text = {h.text: h.lexicon_bonus for h in hyps}
    if "cat toc" in by_text:
        assert by_text["cat toc"] == pytest.approx(0.4)


def test_decode_dispatches_on_config(helo: CTCCodec) -> None:
    lp = peaked(helo, "h_e_l_l_o")
    assert [h.text for h in decode(lp, helo, DecodeConfig(decoder="greedy"))] == ["hello"]
    beams = decode(lp, helo, DecodeConfig(decoder="beam", beam_width=4, n_best=3))
    assert beams[0].text == "hello" and len(beams) <= 3


def test_vietnamese_characters_come_out_precomposed() -> None:
    codec = CTCCodec()
    lp = matrix(codec, [{"h": 0.9}, {"o": 0.9}, {"à": 0.9}, {BLANK: 0.9}])
    assert greedy_decode(lp, codec).text == "hoà"
    assert beam_decode(lp, codec)[0].text == "hoà"


# --- forced alignment -----------------------------------------------------------------------------


def test_forced_align_is_monotonic_and_covers_labels() -> None:
    rng = np.random.default_rng(11)
    for _ in range(20):
        c = int(rng.integers(2, 6))
        t_len = int(rng.integers(1, 25))
        lp = torch.log_softmax(torch.from_numpy(rng.normal(0, 2, (t_len, c))), 1).numpy()
        n = int(rng.integers(0, t_len // 2 + 1))
        ids = [int(i) for i in rng.integers(1, c, n)]
        spans = forced_align(lp, ids)
        assert len(spans) == len(ids)
        prev_end = -1
        for start, end, conf in spans:
            assert 0 <= start <= end < t_len
            assert start > prev_end
            assert 0.0 < conf <= 1.0
            prev_end = end
        for i in range(1, len(ids)):  # repeated labels are separated by at least one blank
            if ids[i] == ids[i - 1]:
                assert spans[i][0] > spans[i - 1][1] + 1


def test_forced_align_is_the_best_path() -> None:
    rng = np.random.default_rng(5)
    c, t_len = 3, 7
    for _ in range(5):
        lp = torch.log_softmax(torch.from_numpy(rng.normal(0, 2, (t_len, c))), 1).numpy()
        ids = [1, 2, 2]
        best, best_lp = None, -math.inf
        for path in itertools.product(range(c), repeat=t_len):
            collapsed = [k for i, k in enumerate(path) if k != 0 and (i == 0 or path[i - 1] != k)]
            score = sum(lp[t, k] for t, k in enumerate(path))
            if collapsed == ids and score > best_lp:
                best, best_lp = path, score
        assert best is not None
        runs = []  # (start, end) of each non-blank run of the best path
        t = 0
        while t < t_len:
            if best[t] != 0:
                start = t
                while t + 1 < t_len and best[t + 1] == best[t]:
                    t += 1
                runs.append((start, t))
            t += 1
        assert [(s, e) for s, e, _ in forced_align(lp, ids)] == runs


def test_forced_align_rejects_impossible_and_invalid_labels() -> None:
    lp = np.log(np.full((3, 3), 1 / 3))
    assert forced_align(lp, []) == []
    with pytest.raises(ValueError, match="timesteps"):
        forced_align(lp, [1, 1, 1])  # needs 5 frames
    with pytest.raises(ValueError, match="label ids"):
        forced_align(lp, [0, 1])
    with pytest.raises(ValueError, match="label ids"):
        forced_align(lp, [3])
    assert ctc_log_likelihood(lp, [1, 1, 1]) == -math.inf


def test_ctc_log_likelihood_matches_torch_and_brute_force() -> None:
    rng = np.random.default_rng(2)
    lp = torch.log_softmax(torch.from_numpy(rng.normal(0, 2, (6, 3))), 1).numpy()
    exact = brute_force(lp)
    for ids in ([], [1], [2, 1], [1, 1], [1, 2, 1], [2, 2, 2]):
        assert ctc_log_likelihood(lp, ids) == pytest.approx(exact[tuple(ids)], abs=1e-9)
        assert ctc_log_likelihood(lp, ids) == pytest.approx(torch_log_likelihood(lp, ids), abs=1e-6)


def test_likelihood_survives_extreme_log_probs() -> None:
    # Log-probs far below exp()'s range must not underflow to -inf.
    lp = np.full((4, 3), -2000.0)
    lp[:, 0] = 0.0
    assert ctc_log_likelihood(lp, [1]) == pytest.approx(-2000.0 + math.log(4), abs=1e-6)
    assert ctc_log_likelihood(lp, [1]) == pytest.approx(torch_log_likelihood(lp, [1]), abs=1e-6)


def test_batched_rescoring_matches_torch_and_single_alignments_on_long_inputs() -> None:
    # The n-best are rescored side by side in one lattice (padding between them), rescaled every
    # few steps: over a long input, each text's likelihood and alignment must be what it is alone.
    rng = np.random.default_rng(11)
    t_len = 160
    lp = torch.log_softmax(torch.from_numpy(rng.normal(0, 3, (t_len, 5))), 1).numpy()
    seqs = [
        [3, 1, 2],
        [],
        [1],
        [2, 2, 2, 4],
        rng.integers(1, 5, 45).tolist(),
        rng.integers(1, 3, 70).tolist(),  # many repeats: close to what 160 frames can hold
        [1] * 81,  # needs 161 frames: cannot fit
    ]
    totals, vit, lat = _ctc_dp(lp, seqs)
    for k, ids in enumerate(seqs[:-1]):
        assert totals[k] == pytest.approx(torch_log_likelihood(lp, ids), abs=1e-6, rel=1e-9)
        if ids:
            assert _backtrack(lp, vit, lat, k, ids) == forced_align(lp, ids)
    assert totals[-1] == -math.inf


def test_batched_rescoring_redoes_only_an_underflowing_text_in_log_space() -> None:
    # "c" is near impossible: a text with three of them sits ~e^-2700 below the others, beyond
    # float64 even after rescaling, and must still get its exact likelihood, as must its neighbours.
    rng = np.random.default_rng(5)
    lp = torch.log_softmax(torch.from_numpy(rng.normal(0, 1, (40, 4))), 1).numpy()
    lp[:, 3] = -900.0
    seqs = [[1, 2], [3, 1, 3, 3], [2]]
    totals, _, _ = _ctc_dp(lp, seqs)
    for k, ids in enumerate(seqs):
        assert totals[k] == pytest.approx(torch_log_likelihood(lp, ids), abs=1e-6, rel=1e-9)
    assert totals[1] < -2600


# --- property: beam search is at least as good as greedy ------------------------------------------


@st.composite
def small_log_probs(draw: st.DrawFn) -> np.ndarray:
    """(T, C) with every prefix of length <= T fitting in a width-16 beam, so no pruning happens."""
    c = draw(st.integers(2, 4))
    max_t = {2: 10, 3: 3, 4: 2}[c]
    t_len = draw(st.integers(1, max_t))
    logits = draw(
        st.lists(st.floats(-6, 6, allow_nan=False), min_size=t_len * c, max_size=t_len * c).map(
            lambda xs: np.array(xs).reshape(t_len, c)
        )
    )
    return torch.log_softmax(torch.from_numpy(logits), dim=1).numpy()


@settings(max_examples=150, deadline=None)
@given(small_log_probs())
def test_beam_finds_at_least_greedys_text(lp: np.ndarray) -> None:
    codec = CTCCodec("abc"[: lp.shape[1] - 1])
    greedy = greedy_decode(lp, codec)
    top = beam_decode(lp, codec, beam_width=16, n_best=3, char_min_prob=0.0)[0]
    greedy_ll = ctc_log_likelihood(lp, codec.encode(greedy.text).ids)
    assert greedy_ll >= greedy.score - 1e-9  # a text's likelihood includes its best path
    assert top.score >= greedy_ll - 1e-4
    exact = brute_force(lp)
    assert top.score == pytest.approx(max(exact.values()), abs=1e-6)


def reference_beam(
    lp: np.ndarray,
    codec: CTCCodec,
    width: int,
    lexicon: Lexicon,
    weight: float,
    lm: CharLM | None = None,
    lm_weight: float = 0.0,
    lm_char_bonus: float = 0.0,
) -> list[str]:
    """Textbook prefix beam search with a word bonus and character model fusion, no shortcuts: every
    prefix is scored, then pruned."""
    lse = np.logaddexp
    alphabet = codec.alphabet

    def text(prefix: tuple[int, ...]) -> str:
        return "".join(alphabet[c - 1] for c in prefix)

    def lm_bonus(prefix: tuple[int, ...], char: str) -> float:
        return (
            lm_weight * lm.log_prob(text(prefix), char) + (lm_char_bonus if char != EOS else 0.0)
            if lm
            else 0.0
        )

    def word_bonus(prefix: tuple[int, ...]) -> float:
        word = "".join(alphabet[c - 1] for c in prefix).split(" ")[-1]
        return weight if word and lexicon.rewards(word) else 0.0

    beams: dict[tuple[int, ...], list[float]] = {(): [0.0, -np.inf]}
    bonus: dict[tuple[int, ...], float] = {(): 0.0}
    for t in range(lp.shape[0]):
        nxt: dict[tuple[int, ...], list[float]] = {}
        for prefix, (pb, pnb) in beams.items():
            e = nxt.setdefault(prefix, [-np.inf, -np.inf])
            e[0] = lse(e[0], lse(pb, pnb) + lp[t, 0])
            if prefix:
                e[1] = lse(e[1], pnb + lp[t, prefix[-1]])
            for c in range(1, lp.shape[1]):
                new = (*prefix, c)
                if new not in bonus:
                    space = alphabet[c - 1] == " "
                    bonus[new] = bonus[prefix] + (word_bonus(prefix) if space else 0.0)
                    bonus[new] += lm_bonus(prefix, alphabet[c - 1])
                p = (pb if prefix and c == prefix[-1] else lse(pb, pnb)) + lp[t, c]
                e = nxt.setdefault(new, [-np.inf, -np.inf])
                e[1] = lse(e[1], p)
        ranked = sorted(nxt, key=lambda k: lse(*nxt[k]) + bonus[k], reverse=True)
        beams = {k: nxt[k] for k in (ranked if t == lp.shape[0] - 1 else ranked[:width])}
    final = sorted(
        beams, key=lambda k: lse(*beams[k]) + bonus[k] + word_bonus(k) + lm_bonus(k, EOS), reverse=True
    )
    return [codec.decode(list(k)) for k in final]


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 9), st.integers(1, 4))
def test_beam_pruning_matches_a_textbook_beam_search(seed: int, t_len: int, width: int) -> None:
    """The search's early cut-offs are exact: same best text as scoring every prefix, then pruning."""
    codec = CTCCodec("ab ")
    rng = np.random.default_rng(seed)
    lp = torch.log_softmax(torch.from_numpy(rng.normal(0, 2, (t_len, 4))), 1).numpy()
    lexicon = Lexicon(["ab", "ba"])
    got = beam_decode(
        lp, codec, width, n_best=1, lexicon=lexicon, lexicon_weight=1.5, char_top_k=3, char_min_prob=0.0
    )
    assert got[0].text == reference_beam(lp, codec, width, lexicon, 1.5)[0]


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 9), st.integers(1, 4), st.sampled_from([0.0, 0.7, 2.0]))
def test_beam_pruning_with_a_character_model_matches_a_textbook_beam_search(
    seed: int, t_len: int, width: int, char_bonus: float
) -> None:
    """The cut-offs stay exact when every extension also earns a character model's score."""
    codec = CTCCodec("ab ")
    rng = np.random.default_rng(seed)
    lp = torch.log_softmax(torch.from_numpy(rng.normal(0, 2, (t_len, 4))), 1).numpy()
    lexicon = Lexicon(["ab", "ba"])
    lm = CharLM.build(["abba ab", "ba ba", "aab"], CharLMConfig(order=3, min_count=1))
    got = beam_decode(
        lp, codec, width, n_best=1, lexicon=lexicon, lexicon_weight=1.0, lm=lm, lm_weight=0.8,
        lm_char_bonus=char_bonus, char_top_k=3, char_min_prob=0.0,
    )  # fmt: skip
    assert got[0].text == reference_beam(lp, codec, width, lexicon, 1.0, lm, 0.8, char_bonus)[0]


def test_character_model_flips_a_close_call_and_reports_its_bonus() -> None:
    codec = CTCCodec("acot ")
    lp = matrix(codec, [{"c": 0.9}, {BLANK: 0.9}, {"o": 0.5, "a": 0.45}, {BLANK: 0.9}, {"t": 0.9}])
    plain = beam_decode(lp, codec)
    assert plain[0].text == "cot"
    lm = CharLM.build(["cat", "a cat", "the cat sat"] * 3, CharLMConfig(order=3))
    fused = beam_decode(lp, codec, lm=lm, lm_weight=0.5, lm_char_bonus=0.3)
    assert fused[0].text == "cat"
    for h in fused:
        assert h.lm_bonus == pytest.approx(0.5 * lm.score(h.text) + 0.3 * len(h.text))
        assert h.score == pytest.approx(ctc_log_likelihood(lp, codec.encode(h.text).ids))
    ranks = [h.rank_score for h in fused]
    assert ranks == sorted(ranks, reverse=True)
    # Weight 0 is no character model at all: the same readings, scores and no bonus.
    off = beam_decode(lp, codec, lm=lm, lm_weight=0.0, lm_char_bonus=0.3)
    assert [(h.text, h.score, h.lm_bonus) for h in off] == [(h.text, h.score, 0.0) for h in plain]
    # A clear reading is not overridden.
    clear = matrix(codec, [{"c": 0.9}, {"o": 0.95}, {"t": 0.9}])
    assert beam_decode(clear, codec, lm=lm, lm_weight=0.5, lm_char_bonus=0.3)[0].text == "cot"


def test_beam_beats_greedy_text_on_a_realistic_line() -> None:
    codec = CTCCodec()
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 1, (120, codec.num_classes))
    logits[:, 0] += 4
    for t in range(0, 120, 3):
        logits[t, rng.integers(1, codec.num_classes)] += 7
        logits[t, rng.integers(1, codec.num_classes)] += 6
    lp = torch.log_softmax(torch.from_numpy(logits), 1).numpy().astype(np.float32)
    greedy = greedy_decode(lp, codec)
    top = beam_decode(lp, codec)[0]
    assert top.score >= ctc_log_likelihood(lp, codec.encode(greedy.text).ids) - 1e-4


# --- lexicon --------------------------------------------------------------------------------------


def test_lexicon_membership_and_file(tmp_path: Path) -> None:
    lex = Lexicon(["Hello", "hoà", "", "  "])
    assert len(lex) == 2
    assert "Hello" in lex and "hello" in lex and "HELLO" in lex
    assert "hòa" in lex  # old-style tone placement normalises to the same word
    assert "ho\u0300a" in lex  # NFD
    assert "help" not in lex

    path = tmp_path / "words.txt"
    path.write_text("\ufeffcat\n\ndog\r\nThe\n", encoding="utf-8")
    from_file = Lexicon.from_file(path)
    assert len(from_file) == 3 and "dog" in from_file and "the" in from_file

    missing = tmp_path / "nope.txt"
    with pytest.raises(HwrError, match="nope.txt"):
        Lexicon.from_file(missing)
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe\xfa")
    with pytest.raises(HwrError, match="bad.txt"):
        Lexicon.from_file(bad)


def test_lexicon_rewards_listed_casing_only() -> None:
    lex = Lexicon(["hello", "UBND", "li", "ha"])
    assert lex.rewards("hello") and lex.rewards("Hello") and lex.rewards("UBND")
    # ALL CAPS and mixed casing of a lower-case entry are names/acronyms more often than words.
    assert not lex.rewards("HELLO") and not lex.rewards("hElLo") and not lex.rewards("LI")
    assert Lexicon(["e"]).rewards("e") and not Lexicon(["e"]).rewards("E")  # a lone capital: an initial
    assert "HELLO" in lex  # membership itself stays case-insensitive


def test_lexicon_does_not_split_an_unknown_capitalised_name() -> None:
    codec = CTCCodec("ELIHA ")
    # "ELIHA" with a weak space candidate after E and after LI: splitting it into listed short
    # words must not pay off when the pieces are capitals.
    frames = [{"E": 0.9}, {BLANK: 0.7, " ": 0.25}, {"L": 0.9}, {"I": 0.9}, {BLANK: 0.7, " ": 0.25}]
    frames += [{"H": 0.9}, {"A": 0.9}]
    lp = matrix(codec, frames)
    lex = Lexicon(["e", "li", "ha"])
    assert beam_decode(lp, codec, lexicon=lex, lexicon_weight=2.0)[0].text == "ELIHA"
    lower = matrix(
        CTCCodec("eliha "), [{k.lower() if k != BLANK else k: v for k, v in f.items()} for f in frames]
    )
    assert beam_decode(lower, CTCCodec("eliha "), lexicon=lex, lexicon_weight=2.0)[0].text == "e li ha"


def test_dataclasses_are_frozen() -> None:
    span = CharSpan("a", 0, 1, 0.5)
    hyp = Hypothesis("a", -0.1, (span,))
    with pytest.raises(AttributeError):
        hyp.text = "b"  # type: ignore[misc]
    assert hyp.confidence == 0.5 and hyp.lexicon_bonus == 0.0
