"""A character n-gram language model (interpolated Kneser-Ney) for beam search.

The network reads each stroke well but knows little about which letters follow which; a character
model of real text ("Thành phố Hồ Chí M" -> "i", "the qu" -> "e") lets beam search prefer
plausible spellings where the ink is ambiguous. Characters, not words: Vietnamese and English share
one model, and names or numbers outside any word list still get a sensible score.

Files are gzip-compressed JSON (never pickle): the order, the discount, per order each context's
count total, its back-off mass and its continuation counts, and the case model's counts. `build` prunes rare n-grams
(`min_count`), which keeps files small and keeps the model from storing whole sentences verbatim.
Version 2 writes one JSON document per line: the header, then the count tables in chunks of
`_CHUNK` contexts. One `json.loads` of the whole file held the GIL for 0.08-0.28 s, and the app
loads the model in a worker while someone may be drawing; between chunks the UI thread gets its turn.
Version 1 files (one document) still load.
"""

from __future__ import annotations

import functools
import gzip
import json
import math
import os
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .charset import normalize_text
from .config import BUILTIN_LM, NO_LM
from .errors import HwrError
from .fileio import atomic_write_bytes
from .resources import models_dir

FORMAT = "hwr-charlm"
VERSION = 2
_READABLE_VERSIONS = (1, 2)
_CHUNK = 2000  # contexts per line of a version 2 file: a few milliseconds to parse
BOS = "\x02"  # pads the context before a text's first character
EOS = "\x03"  # the end of a text: a predicted symbol, so short readings are not favoured for free
_CACHE_LIMIT = 200_000  # probabilities remembered per model (~30 MB); cleared when full
CASE_ORDER = 3  # character classes of context the case model looks at
# The case of a word's first letter given the letters before it (CharLM): each longer context's
# estimate is its counts plus this many pseudo-counts of the shorter one's, so a context seen twice
# moves P(capital) halfway from the shorter context's estimate to its own.
CASE_PRIOR = 2.0


def _case_class(ch: str) -> str:
    """B(egin), U(pper) / L(ower) letter, S(pace), P (sentence end), O(ther: digits, punctuation)."""
    if ch == BOS:
        return "B"
    if ch.lower() != ch.upper():
        return "U" if ch.isupper() else "L"
    if ch.isspace():
        return "S"
    return "P" if ch in ".!?" else "O"


def _opens_word(classes: str) -> bool:
    """Whether a letter after these case classes is a word's first: no letter right before it.
    The letters' case counts are kept, and looked up, for such letters only."""
    return classes[-1] not in "UL"


@dataclass(frozen=True)
class CharLMConfig:
    order: int = 6  # characters of context + 1
    discount: float = 0.75  # absolute discount of Kneser-Ney, every order
    min_count: int = 2  # n-grams of order >= 3 seen fewer times are pruned (their mass backs off)
    # Count letters regardless of case, and case apart (see CharLM): capitals then share the rich
    # statistics of lower case, and a word in capitals is judged by its letters.
    fold_case: bool = True
    # With fold_case: the case of a word's first letter also depends on the letter and the
    # (case-folded) order-1 characters before it: "Việt Nam", "Thành phố Hồ", a capital after "tỉnh ".
    # Off: classes only, as before session 29.
    case_by_letters: bool = True


class CharLM:
    """P(next character | the previous order-1 characters).

    `vocab` lists every character the model knows plus EOS; each gets at least a uniform share of
    the lowest order's freed mass, and so does a character outside it. With `fold_case`, a letter's
    probability is that of its lower case (from case-folded counts) times the probability of its
    case given the classes of the last CASE_ORDER characters (`case_counts`: "after a space
    following a lower-case letter, capitals are rare"; "after two capitals, a capital"), so letters
    and case are learnt apart and a corpus with few words in capitals still reads "AGENT" well.
    A word's first letter's case also depends on the letter and the folded characters before it
    (`letter_case_counts`, smoothed by CASE_PRIOR): "Việt Nam", not "Việt nam". Inside a word case
    is the classes' alone: there it is the word's style (AGENT, Agent), and the letters, seen
    mostly in lower case, misjudged words in capitals ("AGENT" read "ASENT", session 29).
    Probabilities are computed per (context, character) on demand and remembered, since beam
    search asks for the same ones again and again.
    """

    def __init__(
        self,
        order: int,
        discount: float,
        vocab: str,
        tables: list[dict[str, list]],
        fold_case: bool = False,
        info: dict | None = None,
        case_counts: dict[str, list[float]] | None = None,
        letter_case_counts: dict[str, list[float]] | None = None,
    ) -> None:
        if order < 1 or len(tables) != order:
            raise HwrError(f"character model: order {order} with {len(tables)} count tables")
        if EOS not in vocab:
            raise HwrError("character model: the vocabulary lacks the end symbol")
        self.order = order
        self.discount = discount
        self.vocab = vocab
        self.fold_case = fold_case
        # case-class context -> [capitals, lower case] seen after it (None: case is not modelled)
        self._case_counts = case_counts if fold_case else None
        # classes + folded letters of context + the folded letter -> [capitals, lower case]
        self._letter_case_counts = letter_case_counts if fold_case else None
        self.info: dict = dict(info or {})  # provenance: sources, sizes, settings (free-form JSON)
        # per context length k: context -> [total count, freed mass, chars seen after it, their counts]
        self._tables = tables
        self._memo: dict[str, float] = {}  # context + char -> P, for every context length
        self._log_memo: dict[str, float] = {}  # full context + char -> log P: what beam search asks
        # last CASE_ORDER context characters -> (their case classes, P(capital) after them)
        self._upper_memo: dict[str, tuple[str, float]] = {}
        self._uniform = 1.0 / len(vocab)
        #: the context before a text's first character
        self.start = BOS * (order - 1)

    def next_log_prob(self, context: str, char: str) -> float:
        """log P(char | context), where `context` is exactly order-1 characters (pad with `start`)."""
        key = context + char
        cached = self._log_memo.get(key)
        if cached is None:
            if len(self._memo) >= _CACHE_LIMIT:
                self._log_memo.clear()
                self._memo.clear()
                self._upper_memo.clear()
            if self.fold_case:
                folded = _fold(context)
                p = self._prob(folded, _fold(char)) * self._case_prob(context, folded, char)
            else:
                p = self._prob(context, char)
            cached = self._log_memo[key] = math.log(p)
        return cached

    def _case_prob(self, context: str, folded: str, char: str) -> float:
        """P(char's case | the classes of the last CASE_ORDER characters); 1 for uncased characters.
        `folded` is `_fold(context)`."""
        if self._case_counts is None or char.lower() == char.upper():
            return 1.0
        last = context[-CASE_ORDER:]
        remembered = self._upper_memo.get(last)
        if remembered is None:  # a few thousand distinct endings: remembered, as beam search asks again
            classes = "".join(map(_case_class, (BOS * CASE_ORDER + last)[-CASE_ORDER:]))
            upper, lower = self._case_counts.get(classes, (0.0, 0.0))
            p_upper = (upper + 0.5) / (upper + lower + 1.0)  # add-half smoothing
            remembered = self._upper_memo[last] = (classes, p_upper)
        classes, p_upper = remembered
        if self._letter_case_counts and _opens_word(classes):
            # ever longer contexts, each estimate smoothed towards the shorter one's; a context
            # seen too rarely to be kept has no longer one kept either
            head = classes + _fold(char)
            for j in range(len(folded) + 1):
                row = self._letter_case_counts.get(head + folded[len(folded) - j :])
                if row is None:
                    break
                upper, lower = row
                p_upper = (upper + CASE_PRIOR * p_upper) / (upper + lower + CASE_PRIOR)
        return p_upper if char.isupper() else 1.0 - p_upper

    def _prob(self, context: str, char: str) -> float:
        """Interpolated Kneser-Ney P(char | context), for a context of any length up to order-1.

        Recursive, one context character shorter each step, and remembered at every length: a new
        context mostly shares its shorter suffixes with ones already asked about.
        """
        key = context + char
        p = self._memo.get(key)
        if p is None:
            lower = self._prob(context[1:], char) if context else self._uniform
            row = self._tables[len(context)].get(context)
            if row is None:
                p = lower  # an unseen context leaves all its mass to the lower order
            else:
                total, backoff_num, chars, counts = row
                i = chars.find(char)
                seen = max(counts[i] - self.discount, 0.0) if i >= 0 else 0.0
                p = (backoff_num * lower + seen) / total
            self._memo[key] = p
        return p

    def log_prob(self, context: str, char: str) -> float:
        """log P(char | the text so far): any length of context, padded or cut to the model's order."""
        last = (self.start + context)[len(context) :]  # the last order-1 characters, padded
        return self.next_log_prob(last, char)

    def score(self, text: str) -> float:
        """Natural-log probability of a whole text as the model writes it (normalised), its end included."""
        ctx = self.start
        total = 0.0
        for ch in text + EOS:
            total += self.next_log_prob(ctx, ch)
            ctx = (ctx + ch)[1:] if ctx else ""
        return total

    # ------------------------------------------------------------------ building

    @classmethod
    def build(cls, texts: Iterable[str], cfg: CharLMConfig = CharLMConfig(), extra_chars: str = "") -> CharLM:
        """Count every text (normalised like labels) and smooth with interpolated Kneser-Ney.

        `extra_chars` (e.g. the model's alphabet) join the vocabulary even if no text uses them,
        so they get a small uniform share instead of none.
        """
        n = cfg.order
        if n < 1 or not 0.0 < cfg.discount < 1.0 or cfg.min_count < 1:
            raise HwrError(f"bad character model settings: {cfg}")
        top: Counter[str] = Counter()  # full n-grams (context + char), BOS-padded
        case_counts: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
        # classes + a word's folded first letter + the folded characters before it -> [capitals,
        # lower case], for every context length from 0 to order-1
        letter_case_counts: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
        vocab: set[str] = set(extra_chars)
        n_texts = n_chars = 0
        for raw in texts:
            text = " ".join(normalize_text(raw).replace(BOS, "").replace(EOS, "").split())
            if not text:
                continue
            if cfg.fold_case:
                classes = "B" * CASE_ORDER + "".join(map(_case_class, text))
                seen = min(n - 1, CASE_ORDER)  # a query sees no further back than the model's context
                folded = BOS * (n - 1) + _fold(text)
                for i, ch in enumerate(text):
                    if ch.lower() != ch.upper():
                        ctx = "B" * (CASE_ORDER - seen) + classes[i + CASE_ORDER - seen : i + CASE_ORDER]
                        case = 0 if ch.isupper() else 1
                        case_counts[ctx][case] += 1
                        if cfg.case_by_letters and _opens_word(ctx):
                            head = ctx + folded[i + n - 1]
                            for j in range(n):
                                letter_case_counts[head + folded[i + n - 1 - j : i + n - 1]][case] += 1
                text = _fold(text)
            n_texts += 1
            n_chars += len(text)
            vocab.update(text)
            padded = BOS * (n - 1) + text + EOS
            for i in range(n - 1, len(padded)):
                top[padded[i - n + 1 : i + 1]] += 1
        if not n_texts:
            raise HwrError("no text to build a character model from")
        vocab.discard(BOS)
        vocab.discard(EOS)
        vocab_str = "".join(sorted(vocab)) + EOS
        # Kneser-Ney: the highest order uses counts; each lower order counts how many distinct
        # characters precede an n-gram (continuation counts), computed from the order above.
        counts: list[Counter[str]] = [Counter() for _ in range(n)]
        counts[n - 1] = top
        for k in range(n - 1, 0, -1):
            lower = counts[k - 1]
            for gram in counts[k]:
                lower[gram[1:]] += 1
        tables: list[dict[str, list]] = []
        for k in range(n):
            grouped: dict[str, dict[str, int]] = defaultdict(dict)
            for gram, c in counts[k].items():
                grouped[gram[:-1]][gram[-1]] = c
            table: dict[str, list] = {}
            for ctx, nxt in grouped.items():
                total = sum(nxt.values())
                kept = {ch: c for ch, c in nxt.items() if k < 2 or c >= cfg.min_count}
                # freed mass: the discount of every kept type plus all of each pruned one
                pruned = sum(c for ch, c in nxt.items() if ch not in kept)
                backoff_num = cfg.discount * len(kept) + pruned  # every count is >= 1 > discount
                if not kept and k >= 2:
                    continue  # nothing left: the lower order answers alone, exactly as before
                chars = "".join(kept)
                table[ctx] = [total, backoff_num, chars, [kept[ch] for ch in chars]]
            tables.append(table)
        sizes = [len(t) for t in tables]
        info = {
            "texts": n_texts,
            "characters": n_chars,
            "contexts_per_order": sizes,
            "min_count": cfg.min_count,
        }
        return cls(
            n,
            cfg.discount,
            vocab_str,
            tables,
            fold_case=cfg.fold_case,
            info=info,
            case_counts=dict(case_counts) if cfg.fold_case else None,
            # a context seen once is kept only without letters before it: it says little
            letter_case_counts={
                k: v
                for k, v in letter_case_counts.items()
                if len(k) == CASE_ORDER + 1 or sum(v) >= cfg.min_count
            },
        )

    # ------------------------------------------------------------------ files

    def save(self, path: str | os.PathLike[str]) -> None:
        header = {
            "format": FORMAT,
            "version": VERSION,
            "order": self.order,
            "discount": self.discount,
            "vocab": self.vocab,
            "fold_case": self.fold_case,
            "case_counts": self._case_counts,
            "letter_case_counts": self._letter_case_counts,
            "info": self.info,
        }
        docs: list[object] = [header]
        for k, table in enumerate(self._tables):
            items = list(table.items())
            docs += ([k, dict(items[i : i + _CHUNK])] for i in range(0, len(items), _CHUNK))
        lines = (json.dumps(d, ensure_ascii=False, separators=(",", ":")) for d in docs)
        atomic_write_bytes(Path(path), gzip.compress("\n".join(lines).encode("utf-8"), mtime=0))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> CharLM:
        path = Path(path)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise HwrError(f"character model not found: {os.fspath(path)}") from None
        except OSError as e:
            raise HwrError(f"cannot read character model {os.fspath(path)}: {e.strerror or e}") from None
        try:
            # JSON escapes newlines inside strings: every line break separates two documents
            first, _, rest = gzip.decompress(raw).decode("utf-8").partition("\n")
            doc = json.loads(first)
        except (OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError, gzip.BadGzipFile):
            raise HwrError(
                f"{os.fspath(path)} is not a character model (expected gzip-compressed JSON)"
            ) from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise HwrError(f"{os.fspath(path)} is not a character model file")
        if doc.get("version") not in _READABLE_VERSIONS:
            raise HwrError(
                f"{os.fspath(path)}: character model version {doc.get('version')} is not supported"
            )
        try:
            tables = list(doc["tables"]) if doc["version"] == 1 else _read_chunks(int(doc["order"]), rest)
            _check_tables(tables)
            case_counts = _checked_case_counts(doc, "case_counts")
            letter_case_counts = _checked_case_counts(doc, "letter_case_counts")  # since session 29
            return cls(
                int(doc["order"]),
                float(doc["discount"]),
                str(doc["vocab"]),
                tables,
                fold_case=bool(doc.get("fold_case", False)),
                info=doc.get("info") if isinstance(doc.get("info"), dict) else None,
                case_counts=case_counts,
                letter_case_counts=letter_case_counts,
            )
        except (KeyError, TypeError, ValueError) as e:
            raise HwrError(f"{os.fspath(path)}: damaged character model ({e})") from None


def _checked_case_counts(doc: dict, key: str) -> dict[str, list[float]] | None:
    """A header's case count table (context -> [capitals, lower case]), checked; None if absent."""
    counts = doc.get(key)
    if counts is not None and not (
        isinstance(counts, dict)
        and all(
            isinstance(v, list) and len(v) == 2 and all(isinstance(x, int | float) for x in v)
            for v in counts.values()
        )
    ):
        raise ValueError(f"bad {key.replace('_', ' ')}")
    return counts


def _read_chunks(order: int, text: str) -> list[dict[str, list]]:
    """A version 2 file's count tables: one `[order k, {context: row}]` document per line."""
    tables: list[dict[str, list]] = [{} for _ in range(max(order, 0))]
    # split on "\n" only: json.dumps escapes it, but not other breaks splitlines() knows (U+2028)
    for line in filter(None, text.split("\n")):
        k, part = json.loads(line)  # one chunk at a time: the GIL is free between them
        if not (isinstance(k, int) and 0 <= k < len(tables) and isinstance(part, dict)):
            raise ValueError(f"bad chunk for count table {k!r}")
        tables[k].update(part)
    return tables


def _fold(text: str) -> str:
    """Lower case, character for character (a letter whose lower case is longer stays as it is)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def _check_tables(tables: list) -> None:
    """Every row well-formed, so a damaged file fails on load with one error, not mid-decoding."""
    for k, table in enumerate(tables):
        if not isinstance(table, dict):
            raise ValueError(f"count table {k} is not a mapping")
        for ctx, row in table.items():
            ok = isinstance(row, list) and len(row) == 4 and len(ctx) == k
            if ok:
                total, freed, chars, counts = row
                ok = (
                    isinstance(total, int | float)
                    and total > 0
                    and isinstance(freed, int | float)
                    and freed >= 0
                    and isinstance(chars, str)
                    and isinstance(counts, list)
                    and len(counts) == len(chars)
                )
            if not ok:
                raise ValueError(f"bad row for context {ctx!r} in count table {k}")


def corpus_texts(source: str) -> list[str]:
    """The texts of a corpus source: a plain .txt file (one text per line) or any labelled-data spec
    that `hwr train` reads (e.g. "labels.tsv?split=train"); only the transcriptions are used."""
    path = Path(source.partition("?")[0])
    if path.suffix.lower() == ".txt" and "?" not in source:
        try:
            return path.read_text(encoding="utf-8-sig").splitlines()
        except FileNotFoundError:
            raise HwrError(f"no such file: {path}") from None
        except UnicodeDecodeError as e:
            raise HwrError(f"{path} is not UTF-8 text: {e.reason}") from None
    from .data.spec import load_records, parse_spec

    records, _ = load_records(parse_spec(source))
    return [r.text for r in records]


def builtin_char_model_path() -> Path:
    return models_dir() / "default.charlm"


@functools.cache
def _builtin() -> CharLM:
    return CharLM.load(builtin_char_model_path())


def resolve_char_model(name: str) -> CharLM | None:
    """ "" or "none": no character model; "builtin": the one shipped with the default model; else a file.

    The built-in model is loaded once per process, so its (bounded) probability memo is shared.
    """
    if not name or name == NO_LM:
        return None
    if name == BUILTIN_LM:
        return _builtin()
    return CharLM.load(name)
