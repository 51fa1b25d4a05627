"""Random but realistic text for synthetic handwriting: words, numbers, punctuation, addresses.

Everything goes through one `np.random.Generator` passed by the caller, so a sample is a pure
function of the seed. Output is normalised (`charset.normalize_text`) and uses only
`charset.DEFAULT_ALPHABET`; random Vietnamese syllables (onset + rhyme + tone) at a small rate make
rare letters (accented capitals, "ẵ", "ỹ", ...) appear, which the real datasets lack.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Sequence
from importlib import resources

import numpy as np

from ..charset import DEFAULT_ALPHABET, normalize_text
from ..errors import DatasetError

log = logging.getLogger(__name__)

__all__ = ["TextGenerator", "LANGS", "load_wordlist"]

LANGS = ("en", "vi")
_ALPHABET = frozenset(DEFAULT_ALPHABET)

# --- Vietnamese syllable parts. '*' follows the vowel that carries the tone mark (the convention of
# charset.normalize_text: "hoà", "thuỷ"). Rhymes ending in c/ch/p/t only take the acute or dot-below tone.
_ONSETS = (
    "", "", "b", "c", "ch", "d", "đ", "g", "gi", "h", "k", "kh", "l", "m", "n", "ng", "nh",
    "p", "ph", "qu", "r", "s", "t", "th", "tr", "v", "x",
)  # fmt: skip
_RHYMES = (
    "a*", "a*c", "a*ch", "a*i", "a*m", "a*n", "a*ng", "a*nh", "a*o", "a*p", "a*t", "a*u", "a*y",
    "ă*c", "ă*m", "ă*n", "ă*ng", "ă*p", "ă*t", "â*c", "â*m", "â*n", "â*ng", "â*p", "â*t", "â*u", "â*y",
    "e*", "e*c", "e*m", "e*n", "e*ng", "e*o", "e*p", "e*t", "ê*", "ê*ch", "ê*m", "ê*n", "ê*nh", "ê*p",
    "ê*t", "ê*u", "i*", "i*a", "i*ch", "i*m", "i*n", "i*nh", "i*p", "i*t", "i*u", "iê*c", "iê*m", "iê*n",
    "iê*ng", "iê*p", "iê*t", "iê*u", "o*", "o*c", "o*i", "o*m", "o*n", "o*ng", "o*p", "o*t", "oa*",
    "oa*c", "oa*ch", "oa*i", "oa*n", "oa*ng", "oa*nh", "oa*t", "oă*c", "oă*n", "oă*ng", "oe*", "oe*n",
    "oe*t", "ô*", "ô*c", "ô*i", "ô*m", "ô*n", "ô*ng", "ô*p", "ô*t", "ơ*", "ơ*i", "ơ*m", "ơ*n", "ơ*p",
    "ơ*t", "u*", "u*a", "u*c", "u*i", "u*m", "u*n", "u*ng", "u*p", "u*t", "uâ*n", "uâ*t", "uê*",
    "uê*nh", "uy*", "uy*ch", "uy*n", "uy*nh", "uy*t", "uyê*n", "uyê*t", "uô*c", "uô*i", "uô*m",
    "uô*n", "uô*ng", "uô*t", "ư*", "ư*a", "ư*c", "ư*i", "ư*ng", "ư*t", "ư*u", "ươ*c", "ươ*i", "ươ*m",
    "ươ*n", "ươ*ng", "ươ*p", "ươ*t", "ươ*u", "y*", "yê*n", "yê*t", "yê*u",
)  # fmt: skip
_TONES = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
_STOP_TONES = ("\u0301", "\u0323")
_FRONT = ("i", "e", "ê", "y")  # c/g/ng are spelt k/gh/ngh before these

# --- Address parts (street names are famous people or events, as on real Vietnamese addresses).
_STREETS = (
    "Lê Lợi", "Trần Hưng Đạo", "Nguyễn Huệ", "Hai Bà Trưng", "Lý Thường Kiệt", "Phan Chu Trinh",
    "Trần Phú", "Nguyễn Trãi", "Lê Duẩn", "Điện Biên Phủ", "Cách Mạng Tháng Tám", "Võ Văn Tần",
    "Nguyễn Thị Minh Khai", "Pasteur", "Lê Thánh Tôn", "Hàng Bài", "Hàng Bông", "Bà Triệu",
    "Quang Trung", "Nguyễn Du", "Lạc Long Quân", "Âu Cơ", "Tôn Đức Thắng", "Phạm Văn Đồng",
    "Hoàng Văn Thụ", "Xô Viết Nghệ Tĩnh", "Nguyễn Văn Cừ", "Lê Hồng Phong", "Ngô Quyền", "Đinh Tiên Hoàng",
    "Lý Tự Trọng", "Nam Kỳ Khởi Nghĩa", "Võ Thị Sáu", "Trường Chinh", "Âu Dương Lân", "Ỷ Lan",
    "Huỳnh Thúc Kháng", "Phan Đình Phùng", "Chu Văn An", "Kim Mã", "Giảng Võ", "Láng Hạ", "Thái Hà",
    "Tây Sơn", "Yên Phụ", "Yết Kiêu", "Mạc Thị Bưởi", "Nguyễn Thái Học", "Phố Huế", "Bạch Đằng",
    "Hùng Vương", "An Dương Vương", "Lý Thái Tổ", "Trần Quốc Toản", "Ông Ích Khiêm", "Ấp Bắc",
    "Út Tịch", "Ưng Văn Khiêm", "Ỷ La", "Hồ Tùng Mậu", "Cầu Giấy", "Xuân Thủy", "Tô Hiến Thành",
)  # fmt: skip
_PROVINCES = (
    "Hà Nội", "Hồ Chí Minh", "Hải Phòng", "Đà Nẵng", "Cần Thơ", "An Giang", "Bà Rịa - Vũng Tàu",
    "Bắc Giang", "Bắc Kạn", "Bạc Liêu", "Bắc Ninh", "Bến Tre", "Bình Định", "Bình Dương",
    "Bình Phước", "Bình Thuận", "Cà Mau", "Cao Bằng", "Đắk Lắk", "Đắk Nông", "Điện Biên", "Đồng Nai",
    "Đồng Tháp", "Gia Lai", "Hà Giang", "Hà Nam", "Hà Tĩnh", "Hải Dương", "Hậu Giang", "Hòa Bình",
    "Hưng Yên", "Khánh Hòa", "Kiên Giang", "Kon Tum", "Lai Châu", "Lâm Đồng", "Lạng Sơn", "Lào Cai",
    "Long An", "Nam Định", "Nghệ An", "Ninh Bình", "Ninh Thuận", "Phú Thọ", "Phú Yên", "Quảng Bình",
    "Quảng Nam", "Quảng Ngãi", "Quảng Ninh", "Quảng Trị", "Sóc Trăng", "Sơn La", "Tây Ninh",
    "Thái Bình", "Thái Nguyên", "Thanh Hóa", "Thừa Thiên Huế", "Tiền Giang", "Trà Vinh",
    "Tuyên Quang", "Vĩnh Long", "Vĩnh Phúc", "Yên Bái",
)  # fmt: skip
_PLACES = (
    "Bình Thạnh", "Gò Vấp", "Tân Bình", "Tân Phú", "Phú Nhuận", "Thủ Đức", "Bình Tân", "Hóc Môn",
    "Củ Chi", "Nhà Bè", "Cần Giờ", "Ba Đình", "Hoàn Kiếm", "Đống Đa", "Hai Bà Trưng", "Cầu Giấy",
    "Thanh Xuân", "Hoàng Mai", "Long Biên", "Tây Hồ", "Hà Đông", "Gia Lâm", "Đông Anh", "Sóc Sơn",
    "Hải Châu", "Sơn Trà", "Ngũ Hành Sơn", "Liên Chiểu", "Ninh Kiều", "Cái Răng", "Ô Môn",
    "Bến Nghé", "Đa Kao", "Tân Định", "Bến Thành", "Cô Giang", "Cầu Kho", "Phạm Ngũ Lão",
    "Yên Hòa", "Dịch Vọng", "Quan Hoa", "Mai Dịch", "Nghĩa Đô", "Kim Liên", "Văn Miếu",
    "Phước Long", "Tân Uyên", "Dĩ An", "Thuận An", "Long Thành", "Nhơn Trạch", "Biên Hòa",
    "Tam Kỳ", "Hội An", "Ea Kar", "Krông Búk", "Ia Grai", "Ân Thi", "Ý Yên", "Ứng Hòa", "Ẳng Nưa",
    "Ẳng Cang", "Ỷ La", "Ô Chợ Dừa", "Ấp Bắc",
)  # fmt: skip
_SYMBOL_TOKENS = (
    "a@b.com", "info@mail.vn", "#12", "#3", "$5", "$4.99", "50%", "100%", "A&B", "3*4", "1+1=2",
    "x<y", "y>0", "[1]", "[a]", "{x}", "x^2", "file_name", "`ls`", "a|b", "~10", "C:\\", "30°C",
    "90°", "5°", "a/b", "@home", "R&D", "*note*", "<br>", "{1,2}", "a_b", "2^8", "~/", "|x|",
)  # fmt: skip


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def load_wordlist(lang: str) -> tuple[list[str], list[str]]:
    """Package word list `wordlists/{lang}.txt` as (single words, multi-word phrases), normalised.

    Entries with characters outside the default alphabet are dropped (and logged), never kept.
    """
    if lang not in LANGS:
        raise DatasetError(f"unknown language {lang!r} (known: {', '.join(LANGS)})")
    try:
        raw = (
            resources.files("hwr_core.data").joinpath("wordlists").joinpath(f"{lang}.txt").read_text("utf-8")
        )
    except (FileNotFoundError, OSError) as e:
        raise DatasetError(f"word list for {lang!r} is missing from the installation: {e}") from e
    words: list[str] = []
    phrases: list[str] = []
    seen: set[str] = set()
    for line in raw.splitlines():
        entry = " ".join(normalize_text(line).split())
        if not entry or entry.startswith("#") or entry in seen:
            continue
        seen.add(entry)
        if not set(entry) <= _ALPHABET:
            log.warning("word list %s: %r has characters outside the alphabet, dropped", lang, entry)
            continue
        (phrases if " " in entry else words).append(entry)
    if not words:
        raise DatasetError(f"word list for {lang!r} is empty")
    return words, phrases


class TextGenerator:
    """Words and lines in English and/or Vietnamese, with the casing, digits and punctuation of real notes.

    All randomness comes from the `rng` given to each call; the instance only holds the word lists.
    """

    def __init__(self, langs: Sequence[str] = LANGS, syllable_rate: float = 0.08) -> None:
        langs = tuple(dict.fromkeys(langs))
        if not langs:
            raise DatasetError("TextGenerator needs at least one language")
        for lang in langs:
            if lang not in LANGS:
                raise DatasetError(f"unknown language {lang!r} (known: {', '.join(LANGS)})")
        self.langs = langs
        self.syllable_rate = syllable_rate
        self._lists = {lang: load_wordlist(lang) for lang in langs}

    # ------------------------------------------------------------------ public API
    def sample(self, rng: np.random.Generator, kind: str = "mixed", lang: str | None = None) -> str:
        """One text: "word", "line", "mixed" (words and lines of varied length, about half each), or
        "number" (`number`: a network that rarely saw a decimal point read it as a colon or not at all)."""
        if kind == "word":
            return self.word(rng, lang)
        if kind == "line":
            return self.line(rng, max_chars=int(rng.integers(20, 81)), lang=lang)
        if kind == "mixed":
            if rng.random() < 0.5:
                return self.word(rng, lang)
            return self.line(rng, max_chars=int(rng.integers(8, 81)), lang=lang)
        if kind == "number":
            return self.number(rng, self._pick_lang(rng, lang))
        raise DatasetError(f"unknown text kind {kind!r} (known: word, line, mixed, number)")

    def word(self, rng: np.random.Generator, lang: str | None = None) -> str:
        """One token: a word in some casing, a number, a word with punctuation, or a symbol token."""
        lang = self._pick_lang(rng, lang)
        r = rng.random()
        if r < 0.10:
            token = self.number(rng, lang)
        elif r < 0.12:
            token = _choice(rng, _SYMBOL_TOKENS)
        else:
            token = self._case(rng, self._raw_word(rng, lang))
            if rng.random() < 0.15:
                token = self._punctuate(rng, token, lang)
        return self._finish(token)

    def line(self, rng: np.random.Generator, max_chars: int = 60, lang: str | None = None) -> str:
        """A phrase, sentence or (Vietnamese) address of at most `max_chars` characters (one token at least)."""
        lang = self._pick_lang(rng, lang)
        if lang == "vi" and rng.random() < 0.25:
            parts = self.address(rng).split(", ")
        else:
            parts = [self._sentence(rng, lang)]
        # Cut at the last component / word boundary that fits, so lines end naturally.
        text = parts[0]
        for part in parts[1:]:
            if len(text) + 2 + len(part) > max_chars:
                break
            text += ", " + part
        if len(text) > max_chars:
            words = text.split(" ")
            text = words[0]
            for w in words[1:]:
                if len(text) + 1 + len(w) > max_chars:
                    break
                text += " " + w
        return self._finish(text)

    @staticmethod
    def number(rng: np.random.Generator, lang: str = "en") -> str:
        """House numbers, dates, phone numbers, prices, times, plain counts."""
        k = int(rng.integers(0, 11))
        n = int(rng.integers(1, 400))
        if k == 0:
            return str(n)
        if k == 1:
            return f"{n}/{int(rng.integers(1, 60))}"
        if k == 2:
            return f"{n}{_choice(rng, 'ABCDEFGH')}"
        if k == 3:
            sep = _choice(rng, "/-.")
            return f"{int(rng.integers(1, 32)):02d}{sep}{int(rng.integers(1, 13)):02d}{sep}{int(rng.integers(1950, 2031))}"
        if k == 4:
            digits = "0" + "".join(str(d) for d in rng.integers(0, 10, size=9))
            style = int(rng.integers(0, 3))
            if style == 0:
                return digits
            if style == 1:
                return f"{digits[:4]} {digits[4:7]} {digits[7:]}"
            return f"{digits[:3]}.{digits[3:6]}.{digits[6:]}"
        if k == 5:
            return f"{int(rng.integers(0, 24))}:{int(rng.integers(0, 60)):02d}"
        if k == 6:
            if lang == "vi":
                return f"{int(rng.integers(1, 999))}.000" + ("đ" if rng.random() < 0.5 else "")
            return f"${int(rng.integers(1, 999))}.{int(rng.integers(0, 100)):02d}"
        if k == 7:
            return f"{int(rng.integers(0, 101))}%"
        if k == 8:  # decimals: mostly small whole parts (3.14, 0.5, 12.75), as written in practice
            whole = int(10 ** rng.uniform(0.0, 3.0)) - 1
            decimals = "".join(str(d) for d in rng.integers(0, 10, size=int(rng.integers(1, 3))))
            return f"{whole}{',' if lang == 'vi' else '.'}{decimals}"
        if k == 9:
            return str(int(rng.integers(1000, 100000)))
        return str(int(rng.integers(1950, 2031)))

    def address(self, rng: np.random.Generator) -> str:
        """A Vietnamese address line: "Số 12 đường Lê Lợi, Phường 3, Quận 5, TP Hồ Chí Minh"."""
        house = self.number(rng, "vi") if rng.random() < 0.3 else str(int(rng.integers(1, 500)))
        if rng.random() < 0.3:
            house = f"{int(rng.integers(1, 400))}/{int(rng.integers(1, 80))}"
        street = _choice(rng, _STREETS)
        ward = str(int(rng.integers(1, 20))) if rng.random() < 0.5 else _choice(rng, _PLACES)
        district = str(int(rng.integers(1, 13))) if rng.random() < 0.4 else _choice(rng, _PLACES)
        province = _choice(rng, _PROVINCES)
        t = int(rng.integers(0, 6))
        if t == 0:
            city = _choice(
                rng, ("TP Hồ Chí Minh", "TP. Hồ Chí Minh", "TP.HCM", "Thành phố Hồ Chí Minh", "Hà Nội")
            )
            return f"Số {house} đường {street}, Phường {ward}, Quận {district}, {city}"
        if t == 1:
            return (
                f"{house} {street}, P.{ward}, Q.{district}, TP. {_choice(rng, ('HCM', 'Hà Nội', 'Đà Nẵng'))}"
            )
        if t == 2:
            return (
                f"Thôn {_choice(rng, _PLACES)}, Xã {_choice(rng, _PLACES)}, "
                f"Huyện {_choice(rng, _PLACES)}, Tỉnh {province}"
            )
        if t == 3:
            return (
                f"Tổ {int(rng.integers(1, 40))}, Khu phố {int(rng.integers(1, 12))}, "
                f"Phường {ward}, Thành phố {_choice(rng, _PROVINCES)}"
            )
        if t == 4:
            return f"Ấp {_choice(rng, _PLACES)}, Xã {_choice(rng, _PLACES)}, Huyện {_choice(rng, _PLACES)}, {province}"
        return f"Số {house} {street}, Thị trấn {_choice(rng, _PLACES)}, Huyện {_choice(rng, _PLACES)}, Tỉnh {province}"

    def syllable(self, rng: np.random.Generator) -> str:
        """A random, mostly well-formed Vietnamese syllable in lower case (all vowels and tones equally likely)."""
        rhyme = _choice(rng, _RHYMES)
        onset = _choice(rng, _ONSETS)
        first = rhyme[0]
        front = first in _FRONT
        if onset in ("c", "k"):
            onset = "k" if front else "c"
        elif onset == "g":
            onset = "gh" if front else "g"
        elif onset == "ng":
            onset = "ngh" if front else "ng"
        if onset == "qu" and first in "uưoô":
            onset = "c" if first != "u" else "h"
        if onset == "gi" and first == "i":
            onset = "g"
        stop = rhyme.endswith(("c", "ch", "p", "t"))
        tone = _choice(rng, _STOP_TONES if stop else _TONES)
        star = rhyme.index("*")
        nucleus = unicodedata.normalize("NFD", rhyme[star - 1])
        # The tone follows any vowel-quality mark in NFD (ô = o + U+0302), then NFC composes.
        return _nfc(onset + rhyme[: star - 1] + nucleus + tone + rhyme[star + 1 :])

    # ------------------------------------------------------------------ internals
    def _pick_lang(self, rng: np.random.Generator, lang: str | None) -> str:
        if lang is None:
            return self.langs[int(rng.integers(0, len(self.langs)))] if len(self.langs) > 1 else self.langs[0]
        if lang not in self._lists:
            raise DatasetError(f"language {lang!r} is not loaded (loaded: {', '.join(self.langs)})")
        return lang

    def _raw_word(self, rng: np.random.Generator, lang: str) -> str:
        if lang == "vi" and rng.random() < self.syllable_rate:
            return self._case_syllable(rng, self.syllable(rng))
        words, _ = self._lists[lang]
        return words[int(rng.integers(0, len(words)))]

    def _phrase(self, rng: np.random.Generator, lang: str) -> str:
        _, phrases = self._lists[lang]
        if phrases and rng.random() < 0.15:
            return phrases[int(rng.integers(0, len(phrases)))]
        return self._raw_word(rng, lang)

    @staticmethod
    def _case(rng: np.random.Generator, word: str) -> str:
        r = rng.random()
        if r < 0.62:
            return word
        if r < 0.88:
            return word[:1].upper() + word[1:]
        return word.upper()

    @staticmethod
    def _case_syllable(rng: np.random.Generator, syl: str) -> str:
        # Capitals more often than in words: accented capitals are what the real datasets lack most.
        r = rng.random()
        if r < 0.45:
            return syl
        if r < 0.65:
            return syl[:1].upper() + syl[1:]
        return syl.upper()

    @staticmethod
    def _punctuate(rng: np.random.Generator, token: str, lang: str) -> str:
        k = int(rng.integers(0, 12))
        if k < 5:
            return token + _choice(rng, (",", ".", ";", ":", "!", "?", ",", "."))
        if k == 5:
            return f"({token})"
        if k == 6:
            return f'"{token}"'
        if k == 7:
            return f"'{token}'"
        if k == 8:
            suffixes = (
                ("like", "based", "free", "up", "in") if lang == "en" else ("nhé", "ạ", "à", "ấy", "hả")
            )
            return f"{token}-{_choice(rng, suffixes)}"
        if k == 9:
            return f"{token}..."
        if k == 10:
            return f"-{token}"
        return f"{token}'s" if lang == "en" else f"{token}:"

    def _sentence(self, rng: np.random.Generator, lang: str) -> str:
        n = int(rng.integers(2, 13))
        words: list[str] = []
        for _ in range(n):
            r = rng.random()
            if r < 0.07:
                words.append(self.number(rng, lang))
            elif r < 0.08:
                words.append(_choice(rng, _SYMBOL_TOKENS))
            else:
                w = self._phrase(rng, lang)
                r2 = rng.random()
                if r2 < 0.12:
                    w = w[:1].upper() + w[1:]
                elif r2 < 0.15:
                    w = w.upper()
                if rng.random() < 0.08:
                    w = self._punctuate(rng, w, lang)
                words.append(w)
        style = rng.random()
        if style < 0.08:
            words = [w.upper() for w in words]  # headings and forms are written in capitals
        elif style < 0.7:
            words[0] = words[0][:1].upper() + words[0][1:]
        text = " ".join(words)
        if rng.random() < 0.5 and text[-1:].isalnum():
            text += _choice(rng, (".", ".", ".", "!", "?", ":", ";", ","))
        return text

    def _finish(self, text: str) -> str:
        text = " ".join(normalize_text(text).split())
        if not set(text) <= _ALPHABET:  # cannot happen with the shipped lists; keep labels valid anyway
            text = "".join(c for c in text if c in _ALPHABET).strip() or "a"
        return text


def _choice(rng: np.random.Generator, items: Sequence[str] | str) -> str:
    return items[int(rng.integers(0, len(items)))]


def generated_numbers(n: int, seed: int = 0) -> list[str]:
    """n numbers as `TextGenerator.number` writes them, alternating English and Vietnamese style:
    a corpus of real transcriptions has few decimals, times or prices, and a character model built
    on it alone reads "3.14" as "314"."""
    rng = np.random.default_rng(seed)
    return [TextGenerator.number(rng, LANGS[i % len(LANGS)]) for i in range(n)]


def quoted_words(n: int, seed: int = 0) -> list[str]:
    """n words of the package's word lists in quotation marks ('word', "word"), alternating English
    and Vietnamese and the two marks: the word lists never quote a word and few transcriptions do,
    so a character model built on them alone read "'event'" as "event" where best path had it right."""
    rng = np.random.default_rng(seed)
    words = {lang: load_wordlist(lang)[0] for lang in LANGS}
    out: list[str] = []
    for i in range(n):
        pool = words[LANGS[i % len(LANGS)]]
        mark = "'\""[(i // 2) % 2]
        out.append(f"{mark}{pool[int(rng.integers(len(pool)))]}{mark}")
    return out
