"""Every well-formed Vietnamese syllable, spelled the way the model writes them (`normalize_text`).

Vietnamese is written one syllable per space-separated token, and its syllables are a closed set:
an onset, a rime and one of six tones, with a few spelling rules. Generating them from those rules
gives a word list that covers the language with no corpus behind it, and that a decoder can use to
tell "tầng" (a syllable) from "tng" or "đườờng" (not syllables). The set over-generates on purpose
(about 17,500 forms, a few thousand of which are in use): it only has to be a superset.
"""

from __future__ import annotations

import unicodedata

from .charset import normalize_text

# Onsets as sounds; "k", "gh" and "ngh" are spelled in `_spell_onset` before front vowels.
_ONSETS = (
    "", "b", "c", "ch", "d", "đ", "g", "gi", "h", "kh", "l", "m", "n", "ng", "nh",
    "p", "ph", "qu", "r", "s", "t", "th", "tr", "v", "x",
)  # fmt: skip

# Rimes (medial + nucleus + final), written without a tone.
_RIMES = (
    "a ai ao au ay am an ang anh ap at ac ach "
    "ăm ăn ăng ăp ăt ăc "
    "âu ây âm ân âng âp ât âc "
    "e eo em en eng ep et ec "
    "ê êu êm ên ênh êp êt êch "
    "i ia iu im in inh ip it ich "
    "iêu iêm iên iêng iêp iêt iêc "
    "yêu yêm yên yêng yêt y "
    "o oi om on ong op ot oc oong ooc "
    "ô ôi ôm ôn ông ôp ôt ôc "
    "ơ ơi ơm ơn ơp ơt "
    "u ua ui um un ung up ut uc "
    "uôi uôm uôn uông uôt uôc "
    "ư ưa ưi ưu ưm ưn ưng ưt ưc "
    "ươi ươu ươm ươn ương ươp ươt ươc "
    "oa oai oay oao oam oan oang oanh oap oat oac oach oăm oăn oăng oăt oăc "
    "oe oeo oen oet "
    "uân uâng uât uây uê uêch uênh uơ uy uya uyu uych uynh uyt uyn uyp uyên uyêt"
).split()

_TONES = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")  # level, grave, acute, hook, tilde, dot
_STOP_FINALS = ("p", "t", "c", "ch")  # a syllable ending in a stop takes only the acute or the dot
_VOWELS = set("aăâeêioôơuưy")
_MARKED = set("ăâêôơư")  # vowels with a quality mark: they carry the tone when present


def _tone_index(rime: str) -> int:
    """Index in `rime` of the vowel that carries the tone: a vowel with a quality mark, else the
    last vowel of a closed syllable, else the second of open oa/oe/uy (the project's convention,
    see `normalize_text`), the middle of three, or the first of two."""
    n = 0
    while n < len(rime) and rime[n] in _VOWELS:
        n += 1
    marked = [i for i in range(n) if rime[i] in _MARKED]
    if marked:
        return marked[-1]  # ươ -> ơ, uô -> ô, iê/yê -> ê
    if n < len(rime) or n == 1:
        return n - 1  # closed syllable: the last vowel
    if rime[:n] in ("oa", "oe", "uy"):
        return 1
    return 1 if n == 3 else 0  # open: oai, uyu -> middle; ai, ao, ia, ua -> first


def _with_tone(rime: str, tone: str) -> str:
    i = _tone_index(rime)
    return unicodedata.normalize("NFC", rime[: i + 1] + tone + rime[i + 1 :])


def _spell_onset(onset: str, rime: str) -> str | None:
    """The onset's spelling before this rime, or None where the pair does not occur."""
    if onset and rime.startswith("yê"):
        return None  # yê is the onsetless spelling of iê
    if not onset and rime.startswith("iê"):
        return None
    front = rime[0] in "eêiy"
    if onset == "c":
        return "k" if front else "c"
    if onset == "g":
        return "gh" if front else "g"
    if onset == "ng":
        return "ngh" if front else "ng"
    if onset == "qu":
        if rime.startswith("uy"):
            return "q"  # quy, quyết, quỳnh: q + the uy rimes
        if rime[0] in "uưo" or rime in ("ia", "iu"):
            return None  # the u is already in the onset: qu + ô (quốc) occurs, qu + oa does not
        return "qu"  # includes "qui"/"quí", the older spelling of quy/quý, and "quít"
    if onset == "gi" and rime[0] == "i":
        # gi + in is spelled "gin" (gìn); gi + ia / iu would only respell gia / giu with the tone
        # on the wrong letter ("gía"), so they are left out.
        return None if rime in ("ia", "iu") else "g"
    return onset


def syllables() -> frozenset[str]:
    """All generated syllables, lower case and normalised like model output."""
    out: set[str] = set()
    for rime in _RIMES:
        tones = _TONES[2:3] + _TONES[5:] if rime.endswith(_STOP_FINALS) else _TONES
        toned = [_with_tone(rime, t) for t in tones]
        for onset in _ONSETS:
            spelled = _spell_onset(onset, rime)
            if spelled is None:
                continue
            out.update(normalize_text(spelled + r) for r in toned)
    return frozenset(out)
