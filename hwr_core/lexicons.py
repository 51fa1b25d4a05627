"""Word lists for beam search by name: the built-in English + Vietnamese list, none, or a file.

A model file's decode config names its word list (`DecodeConfig.lexicon`), so the CLI, the app and
the selftest decode the shipped model the same way without carrying a path around.
"""

from __future__ import annotations

import functools

from .config import BUILTIN_LEXICON, NO_LEXICON
from .data.textgen import load_wordlist
from .decoding import Lexicon
from .vietnamese import syllables


@functools.cache
def builtin_lexicon() -> Lexicon:
    """Every Vietnamese syllable plus the package's English and Vietnamese word lists (~22k entries).

    Built once per process (about 0.2 s): it is immutable, so sharing it is safe.
    """
    words: set[str] = set(syllables()) | {"I"}  # the one word always written as a lone capital
    for lang in ("en", "vi"):
        singles, phrases = load_wordlist(lang)
        words.update(singles)
        words.update(w for p in phrases for w in p.split())
    return Lexicon(words)


def resolve_lexicon(name: str) -> Lexicon | None:
    """ "" or "none": no word list; "builtin": `builtin_lexicon()`; anything else: a word-list file."""
    if not name or name == NO_LEXICON:
        return None
    if name == BUILTIN_LEXICON:
        return builtin_lexicon()
    return Lexicon.from_file(name)
