"""Word lists for beam search by name: the built-in English + Vietnamese list (or one language's part of
it), none, or a file.

A model file's decode config names its word list (`DecodeConfig.lexicon`), so the CLI, the app and
the selftest decode the shipped model the same way without carrying a path around.
"""

from __future__ import annotations

import functools

from .config import BUILTIN_LEXICON, NO_LEXICON
from .data.textgen import load_wordlist
from .decoding import Lexicon
from .vietnamese import syllables


def builtin_lexicon(language: str = "") -> Lexicon:
    """The package's word lists for `language` ("en", "vi"; "": both, ~22k entries): every
    Vietnamese syllable with the Vietnamese list, "I" with the English one.

    Built once per process and language (about 0.2 s): it is immutable, so sharing it is safe.
    """
    return _builtin_lexicon(language)  # one positional key: `()` and `("")` share the cached list


@functools.cache
def _builtin_lexicon(language: str) -> Lexicon:
    words: set[str] = set()
    if language in ("", "vi"):
        words.update(syllables())
    if language in ("", "en"):
        words.add("I")  # the one word always written as a lone capital
    for lang in ("en", "vi") if not language else (language,):
        singles, phrases = load_wordlist(lang)
        words.update(singles)
        words.update(w for p in phrases for w in p.split())
    return Lexicon(words)


def resolve_lexicon(name: str, language: str = "") -> Lexicon | None:
    """ "" or "none": no word list; "builtin": `builtin_lexicon(language)`; anything else: a
    word-list file (whatever the language)."""
    if not name or name == NO_LEXICON:
        return None
    if name == BUILTIN_LEXICON:
        return builtin_lexicon(language)
    return Lexicon.from_file(name)
