"""training/pack_data.py: a set packed for a GPU machine unpacks to the same rows, near-same pixels."""

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
from testdata import write_word_set

REPO = Path(__file__).resolve().parents[2]
LIMIT = 45  # between the sample heights: some images are shrunk, some kept
SCRIPT = REPO / "training" / "pack_data.py"


def test_pack_then_unpack_round_trip(tmp_path: Path) -> None:
    tsv = write_word_set(tmp_path / "data" / "words", n=12)
    with open(tsv, "a", encoding="utf-8") as f:
        f.write("images/missing.png\tgone\ttrain\n")  # an unreadable row is skipped and counted
    packs, unpacked = tmp_path / "packs", tmp_path / "unpacked"
    run = [sys.executable, str(SCRIPT)]
    out = subprocess.run([*run, "pack", str(packs), "--data", str(tmp_path / "data"), "--sets", "words", "--max-height", str(LIMIT)],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert "words: 12 rows, 1 skipped" in out
    subprocess.run([*run, "unpack", str(packs), str(unpacked)], check=True, capture_output=True)
    again = subprocess.run(
        [*run, "unpack", str(packs), str(unpacked)], check=True, capture_output=True, text=True
    )
    assert "words.hwrpack.xz: already unpacked" in again.stdout  # a second call (packs split over calls)

    original = [line.split("\t") for line in tsv.read_text(encoding="utf-8").splitlines()][:12]
    restored = [
        line.split("\t")
        for line in (unpacked / "words" / "labels.tsv").read_text(encoding="utf-8").splitlines()
    ]
    assert [(t, s) for _, t, s in restored] == [(t, s) for _, t, s in original]
    kept = 0
    for (src, _, _), (dst, _, _) in zip(original, restored, strict=True):
        a = cv2.imread(str(tsv.parent / src), cv2.IMREAD_GRAYSCALE)
        b = cv2.imread(str(unpacked / "words" / dst), cv2.IMREAD_GRAYSCALE)
        assert b.shape[0] == min(LIMIT, a.shape[0])
        if a.shape == b.shape:  # not resized: only the 16-level quantisation differs
            assert np.abs(a.astype(int) - b.astype(int)).max() <= 8
            kept += 1
    assert 0 < kept < len(original)
