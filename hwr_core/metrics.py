"""Recognition metrics: CER, WER, exact-match accuracy, confusions and per-character error rates;
and the words one reading changes in another.

Both sides are normalised the same way before scoring (`normalize_for_scoring`): NFC, the one
tone-mark convention of `normalize_text`, whitespace collapsed and stripped, so that encoding and
style differences are never counted as recognition errors.

CER and WER are corpus-level: total edits over total reference length, so long lines weigh more
than short ones (the usual definition; a mean of per-line rates would let a 2-character line
count as much as a 60-character one).

`paired_bootstrap` says whether one reader's loss against another on the same samples is more than
chance: a small set swings by points between two nearly equal models, a large one by tenths.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from rapidfuzz.distance import Levenshtein

from .charset import normalize_text


def normalize_for_scoring(s: str) -> str:
    return " ".join(normalize_text(s).split())


def _pairs(refs: Sequence[str], hyps: Sequence[str]) -> list[tuple[str, str]]:
    if isinstance(refs, str) or isinstance(hyps, str):
        raise TypeError("refs and hyps must be sequences of strings, not a single string")
    if len(refs) != len(hyps):
        raise ValueError(f"{len(refs)} references but {len(hyps)} hypotheses")
    return [(normalize_for_scoring(r), normalize_for_scoring(h)) for r, h in zip(refs, hyps, strict=True)]


def _rate(edits: int, ref_total: int, hyp_total: int) -> float:
    # With no reference units the rate is undefined; call it 0 if nothing was produced either
    # (nothing to read, nothing read) and 1 if anything was (all of it is wrong).
    if ref_total == 0:
        return 0.0 if hyp_total == 0 else 1.0
    return edits / ref_total


def _cer(pairs: list[tuple[str, str]]) -> float:
    edits = sum(Levenshtein.distance(r, h) for r, h in pairs)
    return _rate(edits, sum(len(r) for r, _ in pairs), sum(len(h) for _, h in pairs))


def _wer(pairs: list[tuple[str, str]]) -> float:
    vocab: dict[str, int] = {}  # words -> ints: rapidfuzz compares any hashable sequence, ints fastest
    edits = ref_total = hyp_total = 0
    for r, h in pairs:
        rw = [vocab.setdefault(w, len(vocab)) for w in r.split()]
        hw = [vocab.setdefault(w, len(vocab)) for w in h.split()]
        edits += Levenshtein.distance(rw, hw)
        ref_total += len(rw)
        hyp_total += len(hw)
    return _rate(edits, ref_total, hyp_total)


def _accuracy(pairs: list[tuple[str, str]]) -> float:
    if not pairs:
        return 1.0  # consistent with CER = WER = 0 on nothing: no error was made
    return sum(r == h for r, h in pairs) / len(pairs)


def cer(refs: Sequence[str], hyps: Sequence[str]) -> float:
    """Character error rate: total edit distance / total reference characters (can exceed 1).

    All references empty: 0.0 if all hypotheses are empty too, else 1.0.
    """
    return _cer(_pairs(refs, hyps))


def wer(refs: Sequence[str], hyps: Sequence[str]) -> float:
    """Word error rate over whitespace tokens, corpus-level like `cer`."""
    return _wer(_pairs(refs, hyps))


def accuracy(refs: Sequence[str], hyps: Sequence[str]) -> float:
    """Fraction of exactly matching lines after normalisation (1.0 for no lines)."""
    return _accuracy(_pairs(refs, hyps))


def word_changes(reading: str, other: str) -> list[tuple[str, str]]:
    """What `other` changes in `reading`, word by word: one (words of reading, words of other) pair
    per run of changed words, "" for a side with none. Alternatives of a long line, or readings that
    differ in one tone mark, cannot be told apart by eye; the changes can."""
    a, b = reading.split(), other.split()
    spans: list[list[int]] = []  # [i1, i2, j1, j2] per run; adjacent edits (replace + delete) join
    for op in Levenshtein.opcodes(a, b):
        if op.tag == "equal":
            continue
        if spans and spans[-1][1] == op.src_start and spans[-1][3] == op.dest_start:
            spans[-1][1], spans[-1][3] = op.src_end, op.dest_end
        else:
            spans.append([op.src_start, op.src_end, op.dest_start, op.dest_end])
    return [(" ".join(a[i1:i2]), " ".join(b[j1:j2])) for i1, i2, j1, j2 in spans]


@dataclass(frozen=True)
class Confusion:
    """A character-level error: hyp "" is a deletion, ref "" an insertion."""

    ref: str
    hyp: str
    count: int


def _confusions(pairs: list[tuple[str, str]], top: int) -> list[Confusion]:
    counts: Counter[tuple[str, str]] = Counter()
    for r, h in pairs:
        for op in Levenshtein.editops(r, h):
            if op.tag == "replace":
                counts[r[op.src_pos], h[op.dest_pos]] += 1
            elif op.tag == "delete":
                counts[r[op.src_pos], ""] += 1
            elif op.tag == "insert":
                counts["", h[op.dest_pos]] += 1
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))  # ties: stable, by characters
    return [Confusion(ref, hyp, n) for (ref, hyp), n in ranked[: max(0, top)]]


def char_confusions(refs: Sequence[str], hyps: Sequence[str], top: int = 20) -> list[Confusion]:
    """The `top` most frequent substitutions, deletions and insertions, most frequent first.

    Counted on one minimal alignment per line (rapidfuzz's editops); where several alignments are
    equally cheap, which of them is counted is rapidfuzz's choice.
    """
    return _confusions(_pairs(refs, hyps), top)


def _per_char(pairs: list[tuple[str, str]], min_count: int) -> list[tuple[str, float, int]]:
    seen: Counter[str] = Counter()
    wrong: Counter[str] = Counter()
    for r, h in pairs:
        seen.update(r)
        for op in Levenshtein.editops(r, h):
            if op.tag in ("replace", "delete"):  # insertions have no reference character
                wrong[r[op.src_pos]] += 1
    rows = [(ch, wrong[ch] / n, n) for ch, n in seen.items() if n >= min_count]
    rows.sort(key=lambda x: (-x[1], -x[2], x[0]))
    return rows


def per_char_error_rates(
    refs: Sequence[str], hyps: Sequence[str], min_count: int = 5
) -> list[tuple[str, float, int]]:
    """(char, error rate, occurrences) for reference characters seen >= min_count times, worst first.

    A reference character is wrong when the alignment substitutes or deletes it. This answers
    "which characters does the model not recognise"; rare characters are left out because a rate
    over two occurrences says little.
    """
    return _per_char(_pairs(refs, hyps), min_count)


@dataclass(frozen=True)
class EvalSummary:
    n: int
    cer: float
    wer: float
    accuracy: float
    confusions: list[Confusion]
    worst_chars: list[tuple[str, float, int]]

    def to_dict(self) -> dict[str, object]:
        """JSON-able form (for reports and model-file metadata)."""
        return asdict(self)


def summarize(refs: Sequence[str], hyps: Sequence[str], top: int = 20, min_count: int = 5) -> EvalSummary:
    """All metrics at once, normalising each line only once."""
    pairs = _pairs(refs, hyps)
    return EvalSummary(
        n=len(pairs),
        cer=_cer(pairs),
        wer=_wer(pairs),
        accuracy=_accuracy(pairs),
        confusions=_confusions(pairs, top),
        worst_chars=_per_char(pairs, min_count)[: max(0, top)],
    )


@dataclass(frozen=True)
class PairedChange:
    """A metric for two readers of the same samples: `other - base`, with a bootstrap's 5th and 95th
    percentiles of that change (each a one-sided 95 % bound)."""

    base: float
    other: float
    change: float
    low: float
    high: float

    @property
    def direction(self) -> int:
        """-1 or 1 when the whole interval lies below or above zero; 0 when it spans it (within chance)."""
        return -1 if self.high < 0 else 1 if self.low > 0 else 0


def paired_bootstrap(
    refs: Sequence[str],
    base: Sequence[str],
    other: Sequence[str],
    resamples: int = 10_000,
    seed: int = 0,
) -> dict[str, PairedChange]:
    """CER and accuracy changes from `base` to `other`, resampling samples (not characters) with
    replacement, both readers on the same draw: that pairing cancels how hard the drawn samples are,
    so the bounds measure how the readers differ, not how the set does."""
    pairs_b, pairs_o = _pairs(refs, base), _pairs(refs, other)
    if not pairs_b:
        raise ValueError("no samples to compare")
    length = np.array([len(r) for r, _ in pairs_b], dtype=np.int64)
    edits_b = np.array([Levenshtein.distance(r, h) for r, h in pairs_b], dtype=np.int64)
    edits_o = np.array([Levenshtein.distance(r, h) for r, h in pairs_o], dtype=np.int64)
    right_b = np.array([r == h for r, h in pairs_b], dtype=np.int64)
    right_o = np.array([r == h for r, h in pairs_o], dtype=np.int64)
    n = len(length)
    rng = np.random.default_rng(seed)
    d_cer, d_acc = [], []
    chunk = max(1, 2_000_000 // n)  # resamples per step: bounded memory for any set size
    for start in range(0, resamples, chunk):
        idx = rng.integers(0, n, size=(min(chunk, resamples - start), n))
        chars = np.maximum(length[idx].sum(axis=1), 1)
        d_cer.append((edits_o[idx].sum(axis=1) - edits_b[idx].sum(axis=1)) / chars)
        d_acc.append((right_o[idx].sum(axis=1) - right_b[idx].sum(axis=1)) / n)

    def change(b: float, o: float, draws: list[np.ndarray]) -> PairedChange:
        low, high = np.percentile(np.concatenate(draws), [5, 95])
        return PairedChange(base=b, other=o, change=o - b, low=float(low), high=float(high))

    return {
        "cer": change(_cer(pairs_b), _cer(pairs_o), d_cer),
        "accuracy": change(_accuracy(pairs_b), _accuracy(pairs_o), d_acc),
    }
