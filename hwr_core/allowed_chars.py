"""Reading with only some characters allowed: a form's field of capitals, of digits, of a date.

Masking the other characters alone (as EasyOCR's allowlist does) would lose letters: where the
network is torn between "e" and "E" in a capitals-only field, dropping "e" can leave the blank as
the best class, and the letter vanishes. So a character that is not allowed passes its probability
on to the nearest allowed one: the same letter in the other case, else without its tone mark, else
its bare letter ("é" -> "E" among capitals; "ặ" -> "ă" -> "a"); only a character with no allowed
relative is dropped. Each timestep is then renormalised, and decoding (greedy or beam) runs on the
result; the heatmap shows it too.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np

from .charset import CTCCodec, normalize_text
from .errors import CharsetError


def parse_allowed(allowed: str, codec: CTCCodec) -> str:
    """The allowed characters, normalised and deduplicated in order ("" allows all).
    Raises CharsetError for characters the model cannot write."""
    chars = "".join(dict.fromkeys(normalize_text(allowed)))
    unknown = sorted(c for c in chars if c not in codec)
    if unknown:
        shown = ", ".join(f"{c!r}" for c in unknown)
        raise CharsetError(f"allowed characters not in this model's alphabet: {shown}")
    return chars


def language_allowed(allowed: str, language: str, codec: CTCCodec) -> str:
    """The characters a reading told its language (`DecodeConfig.language`) may use: `allowed`
    ("" any), without the Vietnamese letters where the language is English. Raises CharsetError for
    characters the model cannot write, or where no allowed character is English."""
    chars = parse_allowed(allowed, codec)
    if language != "en":
        return chars
    kept = "".join(c for c in (chars or codec.alphabet) if not is_vietnamese_letter(c))
    if not kept:
        raise CharsetError(f"none of the allowed characters {chars!r} is written in English")
    return kept


def is_vietnamese_letter(ch: str) -> bool:
    """A letter English does not write: every letter of the alphabet outside ASCII (ă, â, đ, ê, ô,
    ơ, ư and the toned vowels)."""
    return ch.isalpha() and not ch.isascii()


_TONE_MARKS = "\u0300\u0301\u0309\u0303\u0323"  # Vietnamese tones: grave, acute, hook, tilde, dot below
_BARE_LETTER = {"đ": "d", "Đ": "D"}  # no Unicode decomposition, but "d" is the letter it is built on


def _nearest_allowed(ch: str, allowed: str) -> str | None:
    """The other case; else without its tone mark ("ặ" -> "ă"); else the bare letter ("ặ" -> "a",
    "đ" -> "d")."""
    decomposed = unicodedata.normalize("NFD", ch)
    toneless = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONE_MARKS))
    base = _BARE_LETTER.get(ch, decomposed[0])
    for candidate in (ch.swapcase(), toneless, toneless.swapcase(), base, base.swapcase()):
        if len(candidate) == 1 and candidate in allowed:
            return candidate
    return None


@dataclass(frozen=True)
class Folding:
    """Where each class's probability goes: `sources[starts[k]:starts[k + 1]]` (or to the end) all
    go to class `targets[k]`; classes in no group are dropped."""

    num_classes: int
    sources: np.ndarray
    starts: np.ndarray
    targets: np.ndarray


def folding(codec: CTCCodec, allowed: str) -> Folding | None:
    """The folding of `allowed` for this codec (None: every character allowed). The blank is always
    allowed. Raises CharsetError for characters the model cannot write."""
    chars = parse_allowed(allowed, codec)
    if not chars:
        return None
    target_of = {0: 0}
    for i, ch in enumerate(codec.alphabet, start=1):
        target = ch if ch in chars else _nearest_allowed(ch, chars)
        if target is not None:
            target_of[i] = codec.encode(target).ids[0]
    sources = np.array(sorted(target_of, key=lambda i: (target_of[i], i)), np.intp)
    targets_sorted = np.array([target_of[i] for i in sources], np.intp)
    starts = np.flatnonzero(np.diff(targets_sorted, prepend=-1))
    return Folding(codec.num_classes, sources, starts, targets_sorted[starts])


def restrict(log_probs: np.ndarray, fold: Folding) -> np.ndarray:
    """(T, C) log-probabilities -> the same with only the allowed classes left, renormalised."""
    probs = np.exp(log_probs[:, fold.sources])
    out = np.zeros((log_probs.shape[0], fold.num_classes), np.float32)
    # a gather and a segmented sum, no BLAS: a (T, C) x (C, C) matmul here took ~1.4 ms a line beside
    # onnxruntime's threads (0.12 ms alone)
    out[:, fold.targets] = np.add.reduceat(probs, fold.starts, axis=1)
    out /= np.maximum(out.sum(axis=1, keepdims=True), 1e-30)
    return np.log(np.maximum(out, 1e-30))  # finite: a dropped class is ~-69
