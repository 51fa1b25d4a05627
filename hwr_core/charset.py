"""Text normalisation and the CTC codec (blank = 0).

Text is normalised once, the same way for training labels, model output and scoring:
Unicode NFC, typographic punctuation mapped to ASCII, and one Vietnamese tone-mark convention
("hoà", "hoá", "thuỷ": the mark on the second vowel of an open oa/oe/uy syllable), because the
datasets mix both styles and CER would otherwise count style as error.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .errors import CharsetError

_TONES = ("\u0300", "\u0301", "\u0309", "\u0303", "\u0323")  # grave, acute, hook, tilde, dot below
_VIET_BASES = "aăâeêioôơuưy"


def _vietnamese_letters() -> str:
    """All precomposed Vietnamese letters not in ASCII (67 lower + 67 upper incl. đ/Đ), NFC."""
    lower: list[str] = []
    for base in _VIET_BASES:
        for tone in ("",) + _TONES:
            ch = unicodedata.normalize("NFC", base + tone)
            if len(ch) != 1:
                raise AssertionError(f"{base + tone!r} has no precomposed form")
            if not ch.isascii():
                lower.append(ch)
    lower.append("đ")
    return "".join(lower) + "".join(c.upper() for c in lower)


VIETNAMESE_LETTERS = _vietnamese_letters()
ASCII_PRINTABLE = " " + string.digits + string.ascii_letters + string.punctuation
#: The built-in alphabet: English + Vietnamese letters, digits, ASCII punctuation, space, degree sign.
DEFAULT_ALPHABET = ASCII_PRINTABLE + VIETNAMESE_LETTERS + "°"

_TYPOGRAPHIC = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u2032": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"',
        "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2010": "-",
        "\u00a0": " ", "\t": " ", "\u2026": "...", "\u00ba": "°",
    }
)  # fmt: skip

_LETTERS = "A-Za-z" + VIETNAMESE_LETTERS
# An open syllable ending in o/u carrying the tone + bare a/e/y: move the tone to the last vowel.
# "qu" + y is excluded: there u belongs to the consonant and the tone already sits on y.
_OLD_STYLE = re.compile(
    rf"(?<![{_LETTERS}])([{_LETTERS}]*?)([oOuU])([\u0300\u0301\u0309\u0303\u0323])([aAeEyY])(?![{_LETTERS}\u0300-\u036f])"
)


def _move_tone(m: re.Match[str]) -> str:
    prefix, first, tone, second = m.groups()
    if first in "uU" and second not in "yY":
        return m.group(0)  # "ùa"/"úe" are not the oa/oe/uy diphthongs
    if first in "oO" and second in "yY":
        return m.group(0)
    if first in "uU" and prefix[-1:] in ("q", "Q"):
        return m.group(0)
    return prefix + first + second + tone


def normalize_text(text: str) -> str:
    """NFC, ASCII punctuation, one tone-mark convention. Whitespace is kept (see metrics for collapsing)."""
    text = text.translate(_TYPOGRAPHIC)
    decomposed = unicodedata.normalize("NFD", text)
    # In NFD the tone mark follows any vowel-quality mark (ô = o + U+0302); the oa/oe/uy vowels are plain.
    decomposed = _OLD_STYLE.sub(_move_tone, decomposed)
    return unicodedata.normalize("NFC", decomposed)


_SPACE_BEFORE = re.compile(r" +(?=[,.;:!?)]|'(?:s|ll|re|d|ve|m|t|em)\b|n't\b)")
_SPACE_AFTER = re.compile(r"(?<=\() +")


def untokenize(text: str) -> str:
    """Undo IAM-style tokenisation ("it 's here , \\" he said \\" .") into the way people write.

    A language model learns spacing habits too; a corpus that spaces punctuation would teach
    the decoder to insert those spaces into ordinary writing. Double quotes alternate open/close.
    """
    text = _SPACE_AFTER.sub("", _SPACE_BEFORE.sub("", text))
    if '"' not in text:
        return text
    parts = text.split('"')
    out = parts[0]
    for i, part in enumerate(parts[1:]):
        if i % 2 == 0:  # an opening quote joins the word after it
            out = out + '"' + part.lstrip(" ")
        else:  # a closing quote joins the word before it
            out = out.rstrip(" ") + '"' + part
    return out


@dataclass(frozen=True)
class EncodeResult:
    ids: list[int]
    dropped: Counter[str]  # characters left out in lenient mode, with counts


class CTCCodec:
    """Maps normalised text to class ids and back. Class 0 is the CTC blank; `alphabet[i]` is id i + 1."""

    def __init__(self, alphabet: Iterable[str] = DEFAULT_ALPHABET) -> None:
        chars = list(alphabet)
        if not chars:
            raise CharsetError("the alphabet is empty")
        for ch in chars:
            if len(ch) != 1:
                raise CharsetError(f"alphabet entries must be single characters, got {ch!r}")
            if unicodedata.normalize("NFC", ch) != ch:
                raise CharsetError(f"alphabet character {ch!r} (U+{ord(ch):04X}) is not NFC")
        dupes = [c for c, n in Counter(chars).items() if n > 1]
        if dupes:
            raise CharsetError(f"alphabet has duplicate characters: {''.join(dupes)!r}")
        self._chars: tuple[str, ...] = tuple(chars)
        self._index = {c: i + 1 for i, c in enumerate(chars)}

    @property
    def alphabet(self) -> str:
        return "".join(self._chars)

    @property
    def num_classes(self) -> int:
        """Output layer size: the alphabet plus the blank."""
        return len(self._chars) + 1

    def __len__(self) -> int:
        return self.num_classes

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CTCCodec) and other._chars == self._chars

    def __hash__(self) -> int:
        return hash(self._chars)

    def __contains__(self, ch: object) -> bool:
        return ch in self._index

    def label(self, class_id: int) -> str:
        """Display label of a class: the character, or '∅' for the blank."""
        return "∅" if class_id == 0 else self._chars[class_id - 1]

    def unknown_chars(self, text: str) -> set[str]:
        return {c for c in normalize_text(text) if c not in self._index}

    def encode(self, text: str, strict: bool = True) -> EncodeResult:
        """Normalise and encode. Strict: unknown characters raise; lenient: they are dropped and counted."""
        norm = normalize_text(text)
        ids: list[int] = []
        dropped: Counter[str] = Counter()
        for ch in norm:
            idx = self._index.get(ch)
            if idx is None:
                dropped[ch] += 1
            else:
                ids.append(idx)
        if strict and dropped:
            shown = ", ".join(f"{c!r} (U+{ord(c):04X})" for c in sorted(dropped))
            raise CharsetError(f"text {text!r} has characters outside the alphabet: {shown}")
        return EncodeResult(ids, dropped)

    def decode(self, ids: Sequence[int]) -> str:
        """Class ids (already CTC-collapsed, blanks allowed and skipped) to text."""
        out = []
        for i in ids:
            i = int(i)
            if i == 0:
                continue
            if not 0 < i <= len(self._chars):
                raise CharsetError(f"class id {i} is outside this codec (1..{len(self._chars)})")
            out.append(self._chars[i - 1])
        return "".join(out)

    def extend(self, chars: Iterable[str]) -> CTCCodec:
        """A codec with `chars` appended (existing ids unchanged, so trained weights stay valid)."""
        new = [c for c in dict.fromkeys(normalize_text("".join(chars))) if c not in self._index]
        return CTCCodec(self._chars + tuple(new)) if new else self

    def to_dict(self) -> dict[str, object]:
        return {"alphabet": list(self._chars), "blank": 0}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> CTCCodec:
        alphabet = data.get("alphabet") if isinstance(data, dict) else None
        if not isinstance(alphabet, list) or not all(isinstance(c, str) for c in alphabet):
            raise CharsetError("charset metadata must have an 'alphabet' list of characters")
        if data.get("blank", 0) != 0:
            raise CharsetError("only blank = 0 codecs are supported")
        return cls(alphabet)


def search_key(text: str) -> str:
    """`text` as a search compares it: case, accents and tone marks set aside and "đ" as "d" (so
    "viet nam" finds "Việt Nam", as one types without a Vietnamese keyboard), runs of space as one."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())
