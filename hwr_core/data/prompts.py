"""Prompts for collecting a user's handwriting: short English and Vietnamese words and phrases.

The lists are package data (`wordlists/prompts_{lang}.txt`). The Vietnamese list covers every
precomposed Vietnamese letter, capitals included, so a user who works through it has written
each diacritic at least once. `PromptDeck` deals them in a shuffled, repeatable order and, when
told what the user has already written, prefers prompts with the letters written least.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from importlib import resources

import numpy as np

from ..charset import DEFAULT_ALPHABET, normalize_text
from ..errors import DatasetError
from .textgen import LANGS

log = logging.getLogger(__name__)

__all__ = ["PromptDeck", "load_prompts"]

_ALPHABET = frozenset(DEFAULT_ALPHABET)
#: How many upcoming prompts the deck compares when favouring rarely written letters.
_WINDOW = 24


def load_prompts(lang: str) -> list[str]:
    """The built-in prompts of one language, normalised (normalize_text, single spaces), in file order."""
    if lang not in LANGS:
        raise DatasetError(f"unknown prompt language {lang!r} (known: {', '.join(LANGS)})")
    try:
        raw = resources.files("hwr_core.data").joinpath("wordlists", f"prompts_{lang}.txt").read_text("utf-8")
    except (FileNotFoundError, OSError) as e:
        raise DatasetError(f"prompt list for {lang!r} is missing from the installation: {e}") from e
    out: list[str] = []
    seen: set[str] = set()
    for line in raw.splitlines():
        entry = " ".join(normalize_text(line).split())
        if not entry or entry.startswith("#") or entry in seen:
            continue
        if not set(entry) <= _ALPHABET:
            log.warning("prompt list %s: %r has characters outside the alphabet, dropped", lang, entry)
            continue
        seen.add(entry)
        out.append(entry)
    return out


class PromptDeck:
    """Deals prompts in a shuffled order (a pure function of `seed`), reshuffling after each full pass.

    `note_written(text)` (or `written=` at construction) counts the letters the user has written;
    `next()` then picks, among the next few prompts of the order, the one whose letters are rarest
    so far, so diacritics the user has not written yet come up sooner.
    """

    def __init__(
        self, langs: Sequence[str] = ("en", "vi"), seed: int = 0, written: Iterable[str] = ()
    ) -> None:
        langs = tuple(langs)
        if not langs:
            raise DatasetError("PromptDeck needs at least one language")
        self.langs = langs
        self.prompts: list[str] = []
        for lang in langs:
            self.prompts.extend(p for p in load_prompts(lang) if p not in self.prompts)
        if not self.prompts:
            raise DatasetError(f"no prompts for {', '.join(langs)}")
        self._rng = np.random.default_rng(seed)
        self._order: list[str] = []
        self._counts: Counter[str] = Counter()
        for text in written:
            self.note_written(text)

    def __len__(self) -> int:
        return len(self.prompts)

    def note_written(self, text: str) -> None:
        """Count the letters of a sample the user wrote (case-folded: 'Ấ' and 'ấ' are one letter to practise)."""
        self._counts.update(ch for ch in normalize_text(text).casefold() if ch.isalpha())

    def _rarity(self, prompt: str) -> float:
        letters = {ch for ch in prompt.casefold() if ch.isalpha()}
        return sum(1.0 / (1.0 + self._counts[ch]) for ch in letters)

    def next(self) -> str:
        if not self._order:
            self._order = [self.prompts[i] for i in self._rng.permutation(len(self.prompts))]
        window = self._order[:_WINDOW]
        # Without counts every prompt ties and the shuffled order is kept as is.
        best = max(range(len(window)), key=lambda i: (self._rarity(window[i]), -i)) if self._counts else 0
        return self._order.pop(best)
