"""Does the Batch tab's "Unsure" column put the misread files first? Prints figures.

    python benchmarks/batch_triage.py [--model M] [--data ../shared/data] [--n 200] [--seed 0]

`--n` val images of each set are read as the Batch tab reads them (`read_files`, lines split) with
the shipped decoding. A file is misread when its reading differs from its transcription (scored as
`hwr eval` scores). A user checks the files in some order and stops; for each order this prints
the share of the misread files, and of the character errors, found after checking 10, 20, 30 and
50 % of the files (random order: about 10, 20, 30, 50 %), and what checking only the files with an
unsure character finds:
  unsure    most characters under 60 % confidence first, the weaker first among equals (the tab)
  weakest   the weakest character's confidence, lowest first
  mean      the characters' mean confidence, lowest first
  share     the share of characters that are unsure, highest first
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import numpy as np
from rapidfuzz.distance import Levenshtein

from hwr_core.batch import UNSURE_BELOW, FileSummary, read_files
from hwr_core.metrics import normalize_for_scoring
from hwr_core.recognizer import Recognizer, mean_char_confidence
from hwr_core.resources import default_model_path

REPO = Path(__file__).resolve().parents[1]
SETS = ("cinnamon_vi", "iam_lines", "vnondb_line", "vnondb_word", "kaggle_names")
CHECKED = (0.1, 0.2, 0.3, 0.5)
FIGURES = ("misread", "edits", "unsure", "weakest", "mean", "share")


def found_share(order: np.ndarray, counts: np.ndarray, checked: float) -> float:
    """Share of the total of `counts` in the first `checked` of the files in `order`."""
    k = int(round(checked * len(order)))
    return float(counts[order[:k]].sum() / max(counts.sum(), 1))


def report(
    name: str, keys: dict[str, np.ndarray], misread: np.ndarray, edits: np.ndarray, unsure: np.ndarray
) -> None:
    n = len(misread)
    print(
        f"{name}: {n} files, {int(misread.sum())} misread ({misread.mean():.0%}), {int(edits.sum())} character errors"
    )
    print(f"  found after checking {' / '.join(f'{c:.0%}' for c in CHECKED)} of the files:")
    for label, key in keys.items():
        order = np.argsort(key, kind="stable")
        files = " / ".join(f"{found_share(order, misread, c):.0%}" for c in CHECKED)
        chars = " / ".join(f"{found_share(order, edits, c):.0%}" for c in CHECKED)
        print(f"  {label:8s} misread files {files}; character errors {chars}")
    flagged = unsure > 0
    print(
        f"  files with an unsure character: {flagged.sum()} ({flagged.mean():.0%}), holding "
        f"{misread[flagged].sum() / max(misread.sum(), 1):.0%} of the misread; "
        f"{misread[flagged].mean() if flagged.any() else 0:.0%} of them misread, "
        f"{misread[~flagged].mean() if (~flagged).any() else 0:.0%} of the others"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=None)
    ap.add_argument("--data", default=str(REPO.parent / "shared" / "data"))
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    rec = Recognizer.from_file(args.model or default_model_path())
    rng = random.Random(args.seed)
    every: dict[str, list[np.ndarray]] = {}
    for name in SETS:
        labels = Path(args.data) / name / "labels.tsv"
        if not labels.is_file():
            print(f"{name}: absent, skipped")
            continue
        rows = [line.split("\t") for line in labels.read_text("utf-8").splitlines() if line.endswith("\tval")]
        rows = rng.sample(rows, min(args.n, len(rows)))
        misread, edits, unsure, weakest, mean, share = [], [], [], [], [], []
        for (_path, text, _split), reading in zip(
            rows, read_files(rec, [labels.parent / r[0] for r in rows]), strict=True
        ):
            if reading.result is None:
                continue
            summary = FileSummary.of(reading)
            chars = max(len(summary.text.replace("\n", "")), 1)
            hyp, ref = normalize_for_scoring(summary.text), normalize_for_scoring(text)
            misread.append(hyp != ref)
            edits.append(Levenshtein.distance(ref, hyp))
            unsure.append(summary.unsure)
            weakest.append(summary.confidence)
            mean.append(mean_char_confidence(reading.result))
            share.append(summary.unsure / chars)
        arrays = [np.array(a, dtype=float) for a in (misread, edits, unsure, weakest, mean, share)]
        for key, value in zip(FIGURES, arrays, strict=True):
            every.setdefault(key, []).append(value)
        show(name, *arrays)
    if every:
        show("all sets", *(np.concatenate(every[k]) for k in FIGURES))
    print(f"(unsure: a character's confidence under {UNSURE_BELOW:.0%})")


def show(  # noqa: PLR0913 - the orders' inputs, side by side
    name: str,
    misread: np.ndarray,
    edits: np.ndarray,
    unsure: np.ndarray,
    weakest: np.ndarray,
    mean: np.ndarray,
    share: np.ndarray,
) -> None:
    keys = {
        # np.argsort sorts ascending: negate what is worse when higher; a tie in unsure goes weaker first
        "unsure": -unsure + weakest * 1e-3,
        "weakest": weakest,
        "mean": mean,
        "share": -share,
    }
    report(name, keys, misread.astype(bool), edits, unsure)


if __name__ == "__main__":
    main()
