"""The generated syllable inventory: real syllables in, malformed spellings out."""

from __future__ import annotations

import csv
import unicodedata
from pathlib import Path

import pytest

from hwr_core.charset import normalize_text
from hwr_core.vietnamese import syllables

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


@pytest.fixture(scope="module")
def inventory() -> frozenset[str]:
    return syllables()


def test_common_and_tricky_syllables_are_in(inventory: frozenset[str]) -> None:
    words = (
        "người đường tầng nghiêng kiếm gì gìn giữ quốc quyết quỳnh quý qua khuya khuỷu hoà hòa thuỷ "
        "thủy yêu uyên việt nam ở ý oẳn xoong chiếc nhà trường học"
    )
    missing = [w for w in words.split() if normalize_text(w) not in inventory]
    assert not missing


def test_malformed_spellings_are_out(inventory: frozenset[str]) -> None:
    # No vowel, a doubled marked vowel, gh/ngh/k before the wrong vowels, c before e, stop + grave.
    for bad in ("tng", "đườờng", "ngha", "ghá", "kang", "cé", "qoa", "ngờp", "hàt"):
        assert normalize_text(bad) not in inventory, bad


def test_entries_are_normalised_lower_case_nfc(inventory: frozenset[str]) -> None:
    assert 10_000 < len(inventory) < 30_000
    for s in inventory:
        assert s == normalize_text(s) == s.lower() == unicodedata.normalize("NFC", s)
        assert " " not in s


@pytest.mark.skipif(not (DATA / "vnondb_word" / "labels.tsv").exists(), reason="../shared/data is not here")
def test_covers_real_vietnamese_words(inventory: frozenset[str]) -> None:
    # What is left out are abbreviations (TP, UBND), foreign names and single letters.
    total = hit = 0
    with open(DATA / "vnondb_word" / "labels.tsv", encoding="utf-8") as f:
        for _path, text, _split in csv.reader(f, delimiter="\t"):
            word = normalize_text(text).strip(".,;:!?\"'()-/").lower()
            if word.isalpha():
                total += 1
                hit += word in inventory
    assert hit / total > 0.97
