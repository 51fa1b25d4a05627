"""A larger re-run of the shipping gate's word checks, on fresh words: is a pass more than luck?

    python training/confirm_candidate.py MODEL [--n 40] [--greedy]

The gate (gate-candidate.sh) reads 6 words per group, so a candidate picked because it passed
could pass by chance. This reads N other words per group, drawn with a fixed seed from the
project's word lists, in the same held-out fonts (printed, and drawn as canvas pen strokes), and
prints each group's CER against the gate's bound; exits 1 when a group is over it. Decoding is the model's own (as the app's), or
best path with --greedy. The words come from the lists the built-in word list is made of, so with
the shipped decoding the lexicon helps here more than on arbitrary text.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tests"), str(REPO / "tests" / "core")]  # the gate's own helpers

from test_shipped_model import ENGLISH, HELD_OUT_PRINT, HELD_OUT_ROUND, VIETNAMESE, printed  # noqa: E402
from testdata import FONTS, SHIPPED_CER_BOUND  # noqa: E402

from hwr_core.metrics import cer  # noqa: E402
from hwr_core.recognizer import Recognizer  # noqa: E402
from hwr_core.strokes import text_to_strokes  # noqa: E402

WORDLISTS = REPO / "hwr_core" / "data" / "wordlists"


def fresh_words(lang: str, n: int, exclude: set[str]) -> list[str]:
    words = [w for w in (WORDLISTS / f"{lang}.txt").read_text(encoding="utf-8").split() if len(w) >= 3]
    words = [w for w in dict.fromkeys(words) if w not in exclude]
    rng = np.random.default_rng(2026)
    return [words[i] for i in rng.choice(len(words), size=n, replace=False)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("--n", type=int, default=40)
    ap.add_argument("--greedy", action="store_true", help="best-path decoding instead of the model's own")
    args = ap.parse_args()
    rec = Recognizer.from_file(args.model)
    if args.greedy:
        rec = rec.with_options(dataclasses.replace(rec.decode_cfg, decoder="greedy"))
    print(f"decoding: {rec.decode_cfg.describe()}")
    worst = 0.0
    for lang, gate_words in (("en", ENGLISH), ("vi", VIETNAMESE)):
        words = fresh_words(lang, args.n, set(gate_words))
        groups = {
            f"printed {HELD_OUT_PRINT}": [rec.recognize(printed(w, HELD_OUT_PRINT)).text for w in words],
            f"printed {HELD_OUT_ROUND}": [rec.recognize(printed(w, HELD_OUT_ROUND)).text for w in words],
        }
        rng = np.random.default_rng(7)
        groups[f"strokes {HELD_OUT_PRINT}"] = [
            rec.recognize_strokes(
                text_to_strokes(w, FONTS / HELD_OUT_PRINT, size=56, rng=rng, jitter=1.0)
            ).text
            for w in words
        ]
        for name, hyps in groups.items():
            rate = cer(words, hyps)
            worst = max(worst, rate)
            wrong = [(w, h) for w, h in zip(words, hyps, strict=True) if w != h][:6]
            print(f"{lang} {name:34s} CER {rate:6.1%}  e.g. {wrong}")
    verdict = "within" if worst <= SHIPPED_CER_BOUND else "OVER"
    print(f"worst group {worst:.1%}: {verdict} the gate's bound of {SHIPPED_CER_BOUND:.0%}")
    sys.exit(1 if worst > SHIPPED_CER_BOUND else 0)


if __name__ == "__main__":
    main()
