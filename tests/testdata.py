"""Tiny datasets the tests draw themselves; where the shared fonts and data and the shipped model are."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import cv2
import numpy as np
import pytest

WORDS = ["cat", "dog", "sun", "map", "hat", "pen", "cup", "box", "red", "bed", "top", "net"]


def word_image(text: str, rng: np.random.Generator | None = None) -> np.ndarray:
    """A printed-ish word, dark on white, with a little variation."""
    rng = rng or np.random.default_rng(0)
    scale = float(rng.uniform(0.9, 1.2))
    (w, h), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 2)
    img = np.full((h + base + 16, w + 16), 255, np.uint8)
    cv2.putText(
        img, text, (8, h + 8), cv2.FONT_HERSHEY_SIMPLEX, scale, 0, int(rng.integers(1, 3)), cv2.LINE_AA
    )
    return img


def write_word_set(folder: Path, n: int = 48, val_every: int = 4, seed: int = 0) -> Path:
    """labels.tsv + PNGs of random words from WORDS, every val_every-th row in split val."""
    rng = np.random.default_rng(seed)
    (folder / "images").mkdir(parents=True, exist_ok=True)
    lines = []
    for i in range(n):
        text = WORDS[int(rng.integers(len(WORDS)))]
        rel = f"images/{i:04d}.png"
        cv2.imwrite(str(folder / rel), word_image(text, rng))
        lines.append(f"{rel}\t{text}\t{'val' if i % val_every == 0 else 'train'}")
    (folder / "labels.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder / "labels.tsv"


def on_notebook_page(word: np.ndarray, degrees: float = 0.0) -> np.ndarray:
    """`word` (gray) written on the second ruled line of a notebook sheet, five times its height
    and eight times as wide, its rules (grey 175) half its height apart, so they cross it, and its
    margin (grey 90) 40 px in; the sheet turned `degrees` about its middle."""
    h, w = word.shape
    paper = int(np.median(word))
    sheet = cv2.copyMakeBorder(word, h, 3 * h, 80, max(w // 20, 8 * h - w), cv2.BORDER_CONSTANT, value=paper)
    pitch = max(8, h // 2)
    for y in range(pitch // 2, sheet.shape[0], pitch):
        sheet[y : y + 2] = np.minimum(sheet[y : y + 2], 175)
    sheet[:, 40:42] = 90
    turn = cv2.getRotationMatrix2D((sheet.shape[1] / 2, sheet.shape[0] / 2), degrees, 1.0)
    return cv2.warpAffine(sheet, turn, sheet.shape[::-1], flags=cv2.INTER_LINEAR, borderValue=paper)


#: Handwriting fonts in ../shared (absent on machines without the shared folder).
FONTS = Path(__file__).resolve().parents[1].parent / "shared" / "fonts"


def needs_fonts(test):  # type: ignore[no-untyped-def]
    """Skip a test, with the reason, when ../shared/fonts is absent."""
    return pytest.mark.skipif(not FONTS.is_dir(), reason=f"shared fonts not found at {FONTS}")(test)


#: The labelled handwriting sets in ../shared (absent on machines without the shared folder).
DATA = FONTS.parent / "data"


def data_rows(name: str, split: str) -> list[tuple[Path, str]]:
    """(image path, text) of one split of a ../shared/data set; skips the test when the set is absent."""
    labels = DATA / name / "labels.tsv"
    if not labels.is_file():
        pytest.skip(f"{labels} is not present on this machine")
    with open(labels, encoding="utf-8", newline="") as f:
        return [(DATA / name / p, t) for p, t, s in csv.reader(f, delimiter="\t") if s == split]


#: The shipped default model (issue #3), absent until it is trained and committed.
#: $HWR_SHIPPED_MODEL points the same tests at a candidate before it ships (training/gate-candidate.sh).
SHIPPED_MODEL = Path(
    os.environ.get("HWR_SHIPPED_MODEL")
    or Path(__file__).resolve().parents[1] / "resources" / "models" / "default.safetensors"
)
#: Summed edit distance / summed reference length the shipped model must stay under, per test group.
SHIPPED_CER_BOUND = 0.15
#: Skips a test (or a module, as `pytestmark`), with the reason, until the shipped model exists.
needs_shipped_model = pytest.mark.skipif(
    not SHIPPED_MODEL.is_file(), reason=f"no shipped model yet at {SHIPPED_MODEL}"
)


def val_page(name: str, first: int, n: int = 3) -> tuple[np.ndarray, list[str]]:
    """`n` val lines of a ../shared/data set from the `first`, one under another on white, as a
    page (uint8 grey), and their texts; skips the test when the set is absent."""
    from hwr_core.image_io import load_image, to_grayscale

    rows = data_rows(name, "val")[first : first + n]
    lines = [to_grayscale(load_image(path)) for path, _ in rows]
    width = max(im.shape[1] for im in lines)
    gap = np.full((20, width), 255, np.uint8)
    parts = [
        cv2.copyMakeBorder(im, 0, 0, 0, width - im.shape[1], cv2.BORDER_CONSTANT, value=255) for im in lines
    ]
    return np.vstack([p for im in parts for p in (im, gap)]), [t for _, t in rows]
