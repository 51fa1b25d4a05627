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


def _ctc_dp(lp: np.ndarray, label_seqs: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Forward (sum) and Viterbi (max) passes over the CTC topology for several label sequences at once.

    Returns the total log-likelihood per sequence, the Viterbi table (T, N, S) and each sequence's
    extended length S_n = 2 L_n + 1 (blank, l1, blank, l2, ..., blank). Batched so that rescoring the
    n-best costs one numpy op per timestep instead of one per hypothesis.
    """
    t_len = lp.shape[0]
    n = len(label_seqs)
    s_lens = [2 * len(ids) + 1 for ids in label_seqs]
    s_max = max(s_lens)
    ext = np.zeros((n, s_max), dtype=np.int64)
    valid = np.zeros((n, s_max), dtype=bool)
    skip = np.zeros((n, s_max), dtype=bool)  # may jump s-2 -> s: a label different from the previous one
    for k, ids in enumerate(label_seqs):
        ext[k, 1 : 2 * len(ids) : 2] = ids
        valid[k, : s_lens[k]] = True
        for j in range(1, len(ids)):
            skip[k, 2 * j + 1] = ids[j] != ids[j - 1]
    emit = lp[:, ext]  # (T, N, S)
    emit[:, ~valid] = _NEG_INF
    skip_pen = np.where(skip, 0.0, _NEG_INF)
    ends = np.array(s_lens) - 1

    # Viterbi in log space (only max and add: cheap and exact).
    vit = np.full((t_len, n, s_max), _NEG_INF)
    vit[0, :, :2] = emit[0, :, :2]
    shift1 = np.full((n, s_max), _NEG_INF)
    shift2 = np.full((n, s_max), _NEG_INF)
    for t in range(1, t_len):
        prev, cur = vit[t - 1], vit[t]
        shift1[:, 1:] = prev[:, :-1]
        shift2[:, 2:] = prev[:, :-2]
        np.maximum(prev, shift1, out=cur)
        np.maximum(cur, shift2 + skip_pen, out=cur)
        cur += emit[t]

    total = _forward_scaled(emit, skip, ends)
    bad = ~np.isfinite(total)
    if bad.any():  # underflow despite scaling (extreme inputs): redo those in log space
        total[bad] = _forward_log(emit[:, bad], skip_pen[bad], ends[bad])
    return total, vit, s_lens


def _end_sum(a: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Mass in the last label or the trailing blank: the two accepting states."""
    rows = np.arange(a.shape[0])
    return a[rows, ends] + np.where(ends > 0, a[rows, np.maximum(ends - 1, 0)], 0.0)


def _forward_scaled(emit: np.ndarray, skip: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """CTC forward pass in probability space, rescaled every step (4-5x faster than logaddexp).

    Emissions are divided by their per-step maximum and alpha by its maximum; the logs of those
    factors are summed back. Returns -inf where a sequence's mass still underflowed.
    """
    em_max = emit.max(axis=2, keepdims=True)
    em_max = np.where(np.isfinite(em_max), em_max, 0.0)
    pe = np.exp(emit - em_max)
    log_scale = em_max[:, :, 0].sum(axis=0)
    n, s_max = skip.shape
    skip_f = skip.astype(np.float64)
    a = np.zeros((n, s_max))
    a[:, :2] = pe[0, :, :2]
    shift1 = np.zeros((n, s_max))
    shift2 = np.zeros((n, s_max))
    for t in range(1, emit.shape[0]):
        shift1[:, 1:] = a[:, :-1]
        shift2[:, 2:] = a[:, :-2]
        a += shift1
        a += shift2 * skip_f
        a *= pe[t]
        m = a.max(axis=1)
        m[m <= 0.0] = 1.0  # a dead row stays zero and ends as -inf
        a /= m[:, None]
        log_scale += np.log(m)
    with np.errstate(divide="ignore"):
        return np.log(_end_sum(a, ends)) + log_scale


def _forward_log(emit: np.ndarray, skip_pen: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """CTC forward pass in log space: slower, immune to underflow."""
    n, s_max = skip_pen.shape
    fwd = np.full((n, s_max), _NEG_INF)
    fwd[:, :2] = emit[0, :, :2]
    shift1 = np.full((n, s_max), _NEG_INF)
    shift2 = np.full((n, s_max), _NEG_INF)
    for t in range(1, emit.shape[0]):
        shift1[:, 1:] = fwd[:, :-1]
        shift2[:, 2:] = fwd[:, :-2]
        fwd = np.logaddexp(np.logaddexp(fwd, shift1), shift2 + skip_pen) + emit[t]
    rows = np.arange(n)
    before = np.where(ends > 0, fwd[rows, np.maximum(ends - 1, 0)], _NEG_INF)
    return np.logaddexp(fwd[rows, ends], before)


def _backtrack(
    lp: np.ndarray, vit: np.ndarray, k: int, ids: Sequence[int], s_len: int
) -> list[tuple[int, int, float]]:
    """Viterbi path of sequence k -> (start, end, confidence) per label."""
    t_len = lp.shape[0]
    v = vit[:, k, :]
    s = s_len - 1
    if s > 0 and v[t_len - 1, s - 1] > v[t_len - 1, s]:
        s -= 1
    if v[t_len - 1, s] == _NEG_INF:
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
        prev = v[t - 1]
        best_s, best_v = s, prev[s]
        if s >= 1 and prev[s - 1] > best_v:
            best_s, best_v = s - 1, prev[s - 1]
        if s >= 3 and s % 2 == 1 and ids[s // 2] != ids[s // 2 - 1] and prev[s - 2] > best_v:
            best_s = s - 2
        s = best_s
    out = []
    for j, label in enumerate(ids):
        conf = math.exp(float(lp[first[j] : last[j] + 1, label].max()))
        out.append((first[j], last[j], conf))
    return out


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
    _, vit, s_lens = _ctc_dp(lp, [ids])
    return _backtrack(lp, vit, 0, ids, s_lens[0])


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
    scores, vit, s_lens = _ctc_dp(lp, prefixes)
    hyps = []
    for k_, (prefix, text) in enumerate(zip(prefixes, texts, strict=True)):
        spans: tuple[CharSpan, ...] = ()
        if prefix:
            aligned = _backtrack(lp, vit, k_, prefix, s_lens[k_])
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
