"""CTC decoding of one sample's log-softmax output: greedy (best path) and prefix beam search.

Input everywhere is a float (T, C) array of log-probabilities, already cut to the sample's valid
length, with C = codec.num_classes and the blank at class 0.

Scores are natural-log probabilities. Greedy reports the probability of its single best path;
beam search reports, for each returned text, the exact CTC likelihood (sum over all alignments)
recomputed by a forward pass, so scores stay exact even though the search itself prunes.
Per-character spans of beam hypotheses come from a Viterbi forced alignment of the text.
"""

from __future__ import annotations

import heapq
import math
import os
import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from .charlm import EOS, CharLM
from .charset import CTCCodec, normalize_text
from .config import DecodeConfig
from .errors import HwrError

_NEG_INF = -math.inf
#: Characters below this probability at a timestep are not tried as beam extensions (speed).
#: Measured on the val sets with the shipped model: 3e-3 reads as 1e-4 did (CER within 0.05
#: points on every set) and decodes a line 10-15 % faster, mostly fewer character-model look-ups.
DEFAULT_CHAR_MIN_PROB = 3e-3
_PUNCT = string.punctuation + "°"
#: The scaled forward pass rescales every this many steps: at most 3^8 growth in between, and
#: rows whose mass falls below _TINY (about e^-645) are redone in log space.
_RESCALE_EVERY = 8
_TINY = 1e-280


@dataclass(frozen=True)
class CharSpan:
    """One decoded character and the timesteps it was read from.

    `confidence` is the highest probability the model gave this character at any timestep of
    its run: a character is emitted at one peak frame, so the peak (not the mean over the run,
    which blank-ish edge frames would drag down) is what says how sure the model was.
    """

    char: str
    start: int  # first timestep of this character's run (inclusive)
    end: int  # last timestep (inclusive)
    confidence: float


@dataclass(frozen=True)
class Hypothesis:
    """A decoded text.

    `score` is a natural-log probability (<= 0): the best path's for greedy, the text's total CTC
    likelihood for beam. `lexicon_bonus` and `lm_bonus` are what beam search added for listed
    words and for the character model's opinion of the text (ranking is by their sum with the
    score); `num_frames` is T, used for the confidence of an empty text.
    """

    text: str
    score: float
    spans: tuple[CharSpan, ...]
    lexicon_bonus: float = 0.0
    num_frames: int = 0
    lm_bonus: float = 0.0

    @property
    def confidence(self) -> float:
        """The weakest character's confidence: one misread letter makes the whole reading doubtful.

        For an empty text: the per-frame geometric mean of its probability, exp(score / T), i.e. how
        sure the model is that nothing is written; 0.0 when there were no frames at all.
        """
        if self.spans:
            return min(s.confidence for s in self.spans)
        if self.num_frames <= 0:
            return 0.0
        return math.exp(self.score / self.num_frames)

    @property
    def rank_score(self) -> float:
        return self.score + self.lexicon_bonus + self.lm_bonus


class Lexicon:
    """A word list for beam rescoring. Words are normalised (`normalize_text`) like model output.

    Membership (`in`) is case-insensitive; which casings earn the beam bonus is `rewards`.
    """

    def __init__(self, words: Iterable[str]) -> None:
        exact: set[str] = set()
        for w in words:
            w = normalize_text(w).strip()
            if w:
                exact.add(w)
        self._words = frozenset(exact)
        self._lower = frozenset(w.lower() for w in exact)
        # Entries listed in lower or Title case: their lower/Title forms are rewarded too ("The" for
        # "the"); an entry listed only in capitals ("UBND") is rewarded as written only.
        self._plain = frozenset(w.lower() for w in exact if w in (w.lower(), w.capitalize()))

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Lexicon:
        """One word per line, UTF-8 (a BOM is accepted); blank lines are skipped."""
        try:
            with open(path, encoding="utf-8-sig") as f:
                return cls(line.strip() for line in f)
        except FileNotFoundError:
            raise HwrError(f"word list not found: {os.fspath(path)}") from None
        except UnicodeDecodeError as e:
            raise HwrError(f"word list {os.fspath(path)} is not UTF-8 text: {e.reason}") from None
        except OSError as e:
            raise HwrError(f"cannot read word list {os.fspath(path)}: {e.strerror or e}") from None

    def __contains__(self, word: object) -> bool:
        if not isinstance(word, str):
            return False
        w = normalize_text(word)
        return w in self._words or w.lower() in self._lower

    def rewards(self, word: str) -> bool:
        """Whether beam search gives `word` the lexicon bonus: listed as written, or a listed word in
        lower or Title case (two letters or more). Other casings (ALL CAPS, mIxed) only match when
        listed as such: capitals are mostly names and acronyms, which a word list cannot judge, and
        matching them freely lets the decoder split an unknown name into short listed pieces
        ("ELIHA" -> "E LI HA")."""
        w = normalize_text(word)
        if w in self._words:
            return True
        # A lone capital is Title case too, but far more often an initial than a word.
        plausible = w == w.lower() or (len(w) > 1 and w == w.capitalize())
        return plausible and w.lower() in self._plain

    def __len__(self) -> int:
        return len(self._words)

    def __repr__(self) -> str:
        return f"Lexicon({len(self)} words)"


def _check_log_probs(log_probs: np.ndarray, codec: CTCCodec | None) -> np.ndarray:
    lp = np.asarray(log_probs)
    if lp.ndim != 2:
        raise ValueError(f"log_probs must be a (T, C) array for one sample, got shape {lp.shape}")
    if codec is not None and lp.shape[1] != codec.num_classes:
        raise ValueError(f"log_probs has {lp.shape[1]} classes but the codec has {codec.num_classes}")
    lp = lp.astype(np.float64, copy=False)
    if np.isnan(lp).any():
        raise ValueError("log_probs contains NaN")
    return lp


def _empty(num_frames: int, score: float) -> Hypothesis:
    return Hypothesis(text="", score=score, spans=(), num_frames=num_frames)


def greedy_decode(log_probs: np.ndarray, codec: CTCCodec) -> Hypothesis:
    """Best path: argmax per timestep, merge repeats, drop blanks. Spans are the argmax runs."""
    lp = _check_log_probs(log_probs, codec)
    t_len = lp.shape[0]
    if t_len == 0:
        return _empty(0, 0.0)
    best = lp.argmax(axis=1)
    best_lp = lp[np.arange(t_len), best]
    score = float(best_lp.sum())
    # Run boundaries: where the argmax class changes.
    starts = np.flatnonzero(np.r_[True, best[1:] != best[:-1]])
    ends = np.r_[starts[1:], t_len] - 1
    spans: list[CharSpan] = []
    for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
        cls = int(best[s])
        if cls == 0:
            continue
        conf = math.exp(float(best_lp[s : e + 1].max()))
        spans.append(CharSpan(codec.label(cls), s, e, conf))
    text = "".join(sp.char for sp in spans)
    return Hypothesis(text=text, score=score, spans=tuple(spans), num_frames=t_len)


def _lse(a: float, b: float) -> float:
    """log(exp(a) + exp(b)) without overflow; -inf is the log of zero."""
    if a < b:
        a, b = b, a
    if b == _NEG_INF:
        return a
    return a + math.log1p(math.exp(b - a))


@dataclass(frozen=True)
class _Lattice:
    """Several label sequences' CTC states side by side in one flat row, so that each timestep of
    the dynamic programmes is a few numpy calls on one contiguous array, whatever the number of
    sequences (per-call overhead, not arithmetic, is their cost at these sizes).

    Sequence k's extended labels (blank, l1, blank, l2, ..., blank: S_k = 2 L_k + 1 states) start
    at `starts[k]`; two padding states lie before each sequence and after the last. Padding can
    never emit, so no mass or path crosses from one sequence into the next.
    """

    ext: np.ndarray  # (L,) class id per state (0 for blanks and padding)
    valid: np.ndarray  # (L,) False on padding
    skip: np.ndarray  # (L,) may jump s-2 -> s: a label different from the previous one
    starts: np.ndarray  # (N,) each sequence's first state
    ends: np.ndarray  # (N,) each sequence's last state (its final blank)
    first: np.ndarray  # (2N,) where a path may begin: each start and the state after (padding if L_k = 0)

    @classmethod
    def of(cls, label_seqs: Sequence[Sequence[int]]) -> _Lattice:
        s_lens = np.array([2 * len(ids) + 1 for ids in label_seqs])
        starts = 2 + np.r_[0, np.cumsum(s_lens + 2)[:-1]]
        total = int(starts[-1] + s_lens[-1] + 2)
        ext = np.zeros(total, dtype=np.int64)
        valid = np.zeros(total, dtype=bool)
        skip = np.zeros(total, dtype=bool)
        for start, s_len, ids in zip(starts.tolist(), s_lens.tolist(), label_seqs, strict=True):
            labels = np.asarray(ids, dtype=np.int64)
            ext[start + 1 : start + s_len : 2] = labels
            valid[start : start + s_len] = True
            skip[start + 3 : start + s_len : 2] = labels[1:] != labels[:-1]
        return cls(ext, valid, skip, starts, starts + s_lens - 1, np.r_[starts, starts + 1])


def _ctc_dp(lp: np.ndarray, label_seqs: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray, _Lattice]:
    """Forward (sum) and Viterbi (max) passes over the CTC topology for several label sequences at once.

    Returns the total log-likelihood per sequence, the Viterbi table (T, L) over the `_Lattice`'s
    states, and the lattice. Batched so that rescoring the n-best costs a few numpy calls per
    timestep instead of a few per hypothesis.
    """
    lat = _Lattice.of(label_seqs)
    emit = lp[:, lat.ext]  # (T, L)
    emit[:, ~lat.valid] = _NEG_INF
    skip_pen = np.where(lat.skip, 0.0, _NEG_INF)

    # Viterbi in log space (only max and add: cheap and exact), one row of the table per step.
    vit = np.full(emit.shape, _NEG_INF)
    vit[0, lat.first] = emit[0, lat.first]
    jump_pen = skip_pen[2:]
    for t in range(1, emit.shape[0]):
        prev, cur = vit[t - 1], vit[t]
        np.maximum(prev[1:], prev[:-1], out=cur[1:])
        np.maximum(cur[2:], prev[:-2] + jump_pen, out=cur[2:])
        cur += emit[t]

    total = _forward_scaled(emit, lat)
    bad = ~np.isfinite(total)
    if bad.any():  # underflow despite scaling (extreme inputs): redo those in log space
        total[bad] = _forward_log(emit, skip_pen, lat)[bad]
    return total, vit, lat


def _forward_scaled(emit: np.ndarray, lat: _Lattice) -> np.ndarray:
    """CTC forward pass in probability space, rescaled as it goes (4-5x faster than logaddexp).

    Emissions are divided by their per-step maximum, and each sequence's alpha by its own maximum
    every `_RESCALE_EVERY` steps (alpha grows at most 3x per step, so nothing overflows in
    between); the logs of those factors are summed back. Returns -inf for a sequence whose mass
    fell below `_TINY` at a rescale (underflowed, or near it, where float64 loses digits): the
    caller redoes those in log space.
    """
    em_max = emit.max(axis=1, keepdims=True)
    em_max = np.where(np.isfinite(em_max), em_max, 0.0)
    pe = np.exp(emit - em_max)
    n = len(lat.starts)
    log_scale = np.full(n, float(em_max.sum()))
    segments = lat.starts - 2  # each sequence with the padding before it, for reduceat
    seg_lens = np.diff(np.r_[segments, len(lat.ext)])
    jump_ok = lat.skip[2:].astype(np.float64)
    a = np.zeros(len(lat.ext))
    a[lat.first] = pe[0, lat.first]
    weak = np.zeros(n, dtype=bool)
    last_t = emit.shape[0] - 1
    for t in range(1, last_t + 1):
        jump = a[:-2] * jump_ok  # s-2 -> s, from the previous step's alpha
        a[1:] += a[:-1]  # s-1 -> s (numpy buffers the overlapping operands)
        a[2:] += jump
        a *= pe[t]
        if t % _RESCALE_EVERY == 0 or t == last_t:
            m = np.maximum.reduceat(a, segments)
            weak |= m < _TINY
            m[m <= 0.0] = 1.0
            a /= np.repeat(m, seg_lens)
            log_scale += np.log(m)
    with np.errstate(divide="ignore"):
        # the accepting states: the last label and the final blank (padding, 0, for an empty text)
        total = np.log(a[lat.ends] + a[lat.ends - 1]) + log_scale
    total[weak] = _NEG_INF
    return total


def _forward_log(emit: np.ndarray, skip_pen: np.ndarray, lat: _Lattice) -> np.ndarray:
    """CTC forward pass in log space: slower, immune to underflow."""
    fwd = np.full(emit.shape[1], _NEG_INF)
    fwd[lat.first] = emit[0, lat.first]
    shift1 = np.full_like(fwd, _NEG_INF)
    shift2 = np.full_like(fwd, _NEG_INF)
    for t in range(1, emit.shape[0]):
        shift1[1:] = fwd[:-1]
        shift2[2:] = fwd[:-2]
        fwd = np.logaddexp(np.logaddexp(fwd, shift1), shift2 + skip_pen) + emit[t]
    return np.logaddexp(fwd[lat.ends], fwd[lat.ends - 1])


def _backtrack(
    lp: np.ndarray, vit: np.ndarray, lat: _Lattice, k: int, ids: Sequence[int]
) -> list[tuple[int, int, float]]:
    """Viterbi path of sequence k -> (start, end, confidence) per label."""
    t_len = lp.shape[0]
    start, end = int(lat.starts[k]), int(lat.ends[k])
    at = vit.item  # plain floats: numpy scalar look-ups and comparisons cost several times more
    s = end - start
    if s > 0 and at(t_len - 1, start + s - 1) > at(t_len - 1, start + s):
        s -= 1
    if at(t_len - 1, start + s) == _NEG_INF:
        raise ValueError(f"{len(ids)} labels cannot be aligned to {t_len} timesteps")
    first = [t_len] * len(ids)
    last = [-1] * len(ids)
    for t in range(t_len - 1, -1, -1):
        if s % 2 == 1:
            j = s // 2
            first[j] = t
            if last[j] < 0:
                last[j] = t
        if t == 0:
            break
        col = start + s
        best_s, best_v = s, at(t - 1, col)
        if s >= 1:
            v = at(t - 1, col - 1)
            if v > best_v:
                best_s, best_v = s - 1, v
        if s >= 3 and s % 2 == 1 and ids[s // 2] != ids[s // 2 - 1] and at(t - 1, col - 2) > best_v:
            best_s = s - 2
        s = best_s
    # each label's highest log-prob within its run, all runs in one gather
    runs = np.array(first), np.array(last)
    lens = runs[1] - runs[0] + 1
    offsets = np.r_[0, np.cumsum(lens)[:-1]]
    rows = np.arange(int(lens.sum())) + np.repeat(runs[0] - offsets, lens)
    peaks = np.maximum.reduceat(lp[rows, np.repeat(ids, lens)], offsets)
    return [(f, e, math.exp(p)) for f, e, p in zip(first, last, peaks.tolist(), strict=True)]


def _check_ids(ids: Sequence[int], n_cls: int) -> list[int]:
    out = [int(i) for i in ids]
    if any(i <= 0 or i >= n_cls for i in out):
        raise ValueError(f"label ids must be in 1..{n_cls - 1} (0 is the blank), got {out}")
    return out


def forced_align(log_probs: np.ndarray, ids: Sequence[int]) -> list[tuple[int, int, float]]:
    """Viterbi CTC alignment of a label sequence: per label (start, end, confidence).

    start/end are the inclusive timesteps of the label's run on the single most likely path;
    confidence is the label's highest probability within that run. Raises ValueError when the
    labels cannot fit (T shorter than the labels plus one blank per repeated pair).
    """
    lp = _check_log_probs(log_probs, None)
    ids = _check_ids(ids, lp.shape[1])
    if not ids:
        return []
    needed = len(ids) + sum(a == b for a, b in zip(ids, ids[1:], strict=False))
    if lp.shape[0] < needed:
        raise ValueError(f"{len(ids)} labels need at least {needed} timesteps, got {lp.shape[0]}")
    _, vit, lat = _ctc_dp(lp, [ids])
    return _backtrack(lp, vit, lat, 0, ids)


def ctc_log_likelihood(log_probs: np.ndarray, ids: Sequence[int]) -> float:
    """Exact log P(labels | x): the sum over all CTC alignments (-inf if they cannot fit)."""
    lp = _check_log_probs(log_probs, None)
    ids = _check_ids(ids, lp.shape[1])
    if lp.shape[0] == 0:
        return 0.0 if not ids else _NEG_INF
    total, _, _ = _ctc_dp(lp, [ids])
    return float(total[0])


def _word_bonus(word: str, lexicon: Lexicon, weight: float) -> float:
    """`weight` for a word the lexicon rewards (`Lexicon.rewards`), ignoring surrounding punctuation; else 0.

    Tokens without letters (numbers, punctuation) are neutral: a word list cannot judge them.
    """
    core = word.strip(_PUNCT)
    if not any(ch.isalpha() for ch in core):
        return 0.0
    return weight if lexicon.rewards(core) else 0.0


def _text_bonus(text: str, lexicon: Lexicon | None, weight: float) -> float:
    if lexicon is None or weight <= 0.0:
        return 0.0
    return sum(_word_bonus(w, lexicon, weight) for w in text.split())


def beam_decode(
    log_probs: np.ndarray,
    codec: CTCCodec,
    beam_width: int = 8,
    n_best: int = 5,
    lexicon: Lexicon | None = None,
    lexicon_weight: float = 0.0,
    *,
    lm: CharLM | None = None,
    lm_weight: float = 0.0,
    lm_char_bonus: float = 0.0,
    char_top_k: int | None = None,
    char_min_prob: float = DEFAULT_CHAR_MIN_PROB,
) -> list[Hypothesis]:
    """CTC prefix beam search (Hannun et al. 2014) in log space; up to `n_best` distinct texts.

    Each prefix keeps two log-probabilities: of the paths ending in a blank and ending in its last
    character, so that "aa" is only read through a blank in between. At each timestep only the
    `char_top_k` (default: beam_width) most likely characters with probability >= `char_min_prob`
    are tried as extensions; `beam_width` prefixes survive each step.

    Lexicon rescoring (lexicon given and lexicon_weight > 0): every completed word found in the
    lexicon adds `lexicon_weight` (a log-probability bonus) — at the whitespace ending it during the
    search, so pruning already prefers dictionary words, and for the last word at the end. The
    bonus is reported in `Hypothesis.lexicon_bonus`.

    Character model fusion (lm given and lm_weight > 0): every character added to a prefix scores
    lm_weight * log P_lm(char | the prefix so far) + lm_char_bonus, and the end of the text
    lm_weight * log P_lm(end | text). The bonus per character offsets the model's cost, which
    would otherwise favour dropping characters. Reported in `Hypothesis.lm_bonus`. Results are
    sorted by score + lexicon_bonus + lm_bonus.

    Returned scores are exact CTC log-likelihoods of each text (recomputed by a forward pass over
    all alignments), and spans come from a Viterbi forced alignment.
    """
    if beam_width < 1 or n_best < 1:
        raise ValueError(f"beam_width and n_best must be >= 1, got {beam_width} and {n_best}")
    lp = _check_log_probs(log_probs, codec)
    t_len, n_cls = lp.shape
    if t_len == 0:
        return [_empty(0, 0.0)]
    use_lex = lexicon is not None and lexicon_weight > 0.0
    alphabet = codec.alphabet
    space_ids = frozenset(i + 1 for i, ch in enumerate(alphabet) if ch.isspace())

    # Candidate extensions per timestep, chosen for all timesteps at once in numpy.
    k = min(char_top_k if char_top_k is not None else beam_width, n_cls - 1)
    if k <= 0:
        return [_empty(t_len, float(lp[:, 0].sum()))]
    # The last step may try up to n_best characters, so that n_best > beam_width can be filled.
    k_all = min(max(k, n_best), n_cls - 1)
    chars_lp = lp[:, 1:]
    if k_all < n_cls - 1:
        idx = np.argpartition(chars_lp, n_cls - 1 - k_all, axis=1)[:, -k_all:]
    else:
        idx = np.broadcast_to(np.arange(n_cls - 1), chars_lp.shape)
    vals = np.take_along_axis(chars_lp, idx, axis=1)
    order = np.argsort(-vals, axis=1, kind="stable")  # most likely first, so the loop can stop early
    idx = np.take_along_axis(idx, order, axis=1)
    vals = np.take_along_axis(vals, order, axis=1)
    min_lp = math.log(char_min_prob) if char_min_prob > 0 else _NEG_INF
    cand_lists = [
        [(c + 1, v) for c, v in zip(ci, cv, strict=True) if v >= min_lp and v > _NEG_INF]
        for ci, cv in zip(idx.tolist(), vals.tolist(), strict=True)
    ]
    blank_col = lp[:, 0].tolist()
    lp_at = lp.item
    lm_next = lm.next_log_prob if lm is not None and lm_weight > 0.0 else None
    # the most a single extension can gain: a completed word, and a character (log P_lm <= 0)
    lm_gain = max(lm_char_bonus, 0.0) if lm_next else 0.0
    slack = (lexicon_weight if use_lex else 0.0) + lm_gain

    # Prefixes are nodes of a trie (node 0: the empty prefix), so extending one and hashing it are
    # O(1); tuples would cost O(length) per extension on long lines.
    parent: list[int] = [-1]
    char_of: list[int] = [0]
    # lexicon bonus of the words completed (followed by whitespace) + the character model's score
    bonus_of: list[float] = [0.0]
    child: dict[int, int] = {}  # node * n_cls + char -> node
    # the character model's context at each node: its last order-1 characters, padded at the start
    lm_ctx: list[str] = [lm.start if lm is not None else ""]

    def labels(node: int) -> list[int]:
        out: list[int] = []
        while node > 0:
            out.append(char_of[node])
            node = parent[node]
        out.reverse()
        return out

    word_bonus_cache: dict[int, float] = {}

    def last_word_bonus(node: int) -> float:
        # Memoised per node: lexicon look-ups normalise text, too slow to repeat every step.
        cached = word_bonus_cache.get(node)
        if cached is None:
            cached = word_bonus_cache[node] = _last_word_bonus(node)
        return cached

    def _last_word_bonus(node: int) -> float:
        chars: list[str] = []
        while node > 0 and char_of[node] not in space_ids:
            chars.append(alphabet[char_of[node] - 1])
            node = parent[node]
        if not chars or lexicon is None:
            return 0.0
        return _word_bonus("".join(reversed(chars)), lexicon, lexicon_weight)

    # node -> [log P(paths ending in blank), log P(paths ending in the last char)]
    beams: dict[int, list[float]] = {0: [0.0, _NEG_INF]}
    lse = _lse
    for t in range(t_len):
        lp_blank = blank_col[t]
        final_step = t == t_len - 1
        cands = cand_lists[t] if final_step else cand_lists[t][:k]
        if not cands and not final_step:
            # No character is likely enough to try (a quarter of a line's frames): every prefix
            # only stays, and no more of them than survived the last step.
            beams = {
                node: [lse(pb, pnb) + lp_blank, pnb + lp_at(t, char_of[node]) if char_of[node] else _NEG_INF]
                for node, (pb, pnb) in beams.items()
            }
            continue
        nxt: dict[int, list[float]] = {}
        # 1) Stay on the same prefix: emit a blank, or repeat the last character.
        totals: list[float] = []
        stay_ranks: list[float] = []
        for node, (pb, pnb) in beams.items():
            total = lse(pb, pnb)
            totals.append(total)
            last = char_of[node]
            stay_b = total + lp_blank
            stay_nb = pnb + lp_at(t, last) if last else _NEG_INF
            nxt[node] = [stay_b, stay_nb]
            stay_ranks.append(lse(stay_b, stay_nb) + bonus_of[node])
        # A new prefix is reached by one extension only, so its score is known at once; each beam's
        # final score is >= its stay score. `best` holds the beam_width highest of these lower
        # bounds (one per prefix), so its minimum bounds the score a prefix needs to survive:
        # skipping anything below it is exact, and it rises as good extensions are found.
        best = [] if final_step else heapq.nlargest(beam_width, stay_ranks)
        heapq.heapify(best)
        cutoff = best[0] if len(best) == beam_width else _NEG_INF
        # Prefixes already in the beam get extension mass too ("a" -> "ab" while "ab" is a beam).
        kids: dict[int, set[int]] = {}
        for node in beams:
            if parent[node] in beams:
                kids.setdefault(parent[node], set()).add(char_of[node])
        # 2) Extend: a repeated character only counts after a blank.
        for (node, (pb, _pnb)), total in zip(beams.items(), totals, strict=True):
            last = char_of[node]
            own_kids = kids.get(node, ())
            b_node = bonus_of[node]
            base = node * n_cls
            ctx = lm_ctx[node] if lm_next else ""
            for c, lc in cands:
                if total + lc + b_node + slack < cutoff and not own_kids:
                    break  # candidates are sorted: none further can make it
                p = (pb if c == last else total) + lc
                b_new = b_node + last_word_bonus(node) if use_lex and c in space_ids else b_node
                if lm_next:
                    if p + b_new + lm_gain < cutoff and c not in own_kids:
                        continue  # cannot survive even if the character model liked it best
                    b_new += lm_weight * lm_next(ctx, alphabet[c - 1]) + lm_char_bonus
                if c not in own_kids:
                    if p + b_new < cutoff:
                        continue
                    if not final_step:
                        if len(best) < beam_width:
                            heapq.heappush(best, p + b_new)
                        else:
                            heapq.heapreplace(best, p + b_new)
                        if len(best) == beam_width:
                            cutoff = best[0]
                new = child.get(base + c)
                if new is None:
                    new = len(parent)
                    child[base + c] = new
                    parent.append(node)
                    char_of.append(c)
                    bonus_of.append(b_new)
                    if lm_next:
                        lm_ctx.append((ctx + alphabet[c - 1])[1:] if ctx else "")
                e = nxt.get(new)
                if e is None:
                    nxt[new] = [_NEG_INF, p]
                else:
                    e[1] = lse(e[1], p)
        if final_step:
            beams = nxt
            break
        if len(nxt) > beam_width:
            # sorted() beats heapq.nlargest at these sizes (a few hundred prefixes), measured
            ranked_nxt = sorted([(lse(e[0], e[1]) + bonus_of[nd], nd) for nd, e in nxt.items()], reverse=True)
            beams = {nd: nxt[nd] for _, nd in ranked_nxt[:beam_width]}
        else:
            beams = nxt

    # Final ranking over all candidates of the last step (so n_best may exceed beam_width); the
    # last word has no whitespace after it, so its lexicon bonus is added here, as is the end of text.
    ranked = sorted(
        (
            (
                lse(e[0], e[1])
                + bonus_of[nd]
                + (last_word_bonus(nd) if use_lex else 0.0)
                + (lm_weight * lm_next(lm_ctx[nd], EOS) if lm_next else 0.0),
                nd,
            )
            for nd, e in beams.items()
        ),
        reverse=True,
    )
    # Texts that differ only in spacing ("Việt Nam", "Việt  Nam", "Việt Nam ") read the same: the
    # n-best keeps the best of them only. A prefix whose every path hit a -inf log-prob (possible
    # only with -inf in the input) is no reading.
    prefixes: list[list[int]] = []
    texts: list[str] = []
    seen: set[str] = set()
    for r, nd in ranked:
        if r == _NEG_INF or len(prefixes) == n_best:
            break
        prefix = labels(nd)
        text = codec.decode(prefix)
        visible = " ".join(text.split())
        if visible not in seen:
            seen.add(visible)
            prefixes.append(prefix)
            texts.append(text)
    if not prefixes:
        return [_empty(t_len, float(lp[:, 0].sum()))]
    bonuses = [_text_bonus(txt, lexicon, lexicon_weight) if use_lex else 0.0 for txt in texts]
    lm_bonuses = [
        lm_weight * lm.score(txt) + lm_char_bonus * len(txt) if lm_next and lm else 0.0 for txt in texts
    ]
    scores, vit, lat = _ctc_dp(lp, prefixes)
    hyps = []
    for k_, (prefix, text) in enumerate(zip(prefixes, texts, strict=True)):
        spans: tuple[CharSpan, ...] = ()
        if prefix:
            aligned = _backtrack(lp, vit, lat, k_, prefix)
            spans = tuple(
                CharSpan(alphabet[c - 1], s, e, conf) for c, (s, e, conf) in zip(prefix, aligned, strict=True)
            )
        hyps.append(
            Hypothesis(
                text=text,
                score=min(0.0, float(scores[k_])),
                spans=spans,
                lexicon_bonus=bonuses[k_],
                num_frames=t_len,
                lm_bonus=lm_bonuses[k_],
            )
        )
    hyps.sort(key=lambda h: h.rank_score, reverse=True)
    return hyps


def decode(
    log_probs: np.ndarray,
    codec: CTCCodec,
    cfg: DecodeConfig,
    lexicon: Lexicon | None = None,
    lm: CharLM | None = None,
) -> list[Hypothesis]:
    """Decode as configured: greedy gives a one-element list, beam its n-best (best first).

    The lexicon and the character model only affect beam search (greedy has no alternatives to
    choose between).
    """
    if cfg.decoder == "greedy":
        return [greedy_decode(log_probs, codec)]
    if cfg.decoder == "beam":
        return beam_decode(
            log_probs,
            codec,
            beam_width=cfg.beam_width,
            n_best=cfg.n_best,
            lexicon=lexicon,
            lexicon_weight=cfg.lexicon_weight,
            lm=lm,
            lm_weight=cfg.lm_weight,
            lm_char_bonus=cfg.lm_char_bonus,
        )
    raise HwrError(f"unknown decoder {cfg.decoder!r} (expected 'greedy' or 'beam')")
