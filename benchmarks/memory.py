"""Peak RSS of one `hwr recognize` call over 100 vs 1,000 images: memory must stay flat.

    python benchmarks/memory.py [--model M]

Writes N small synthetic word images to a temp folder and runs the real CLI in a subprocess,
reading its peak RSS from the OS; prints both figures and their ratio.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np


def write_images(folder: Path, n: int) -> list[str]:
    rng = np.random.default_rng(0)
    paths = []
    for i in range(n):
        img = np.full((48, 160), 255, np.uint8)
        cv2.putText(
            img, f"w{int(rng.integers(1000))}", (6, 36), cv2.FONT_HERSHEY_SIMPLEX, 1.1, 0, 2, cv2.LINE_AA
        )
        p = folder / f"{i:05d}.png"
        cv2.imwrite(str(p), img)
        paths.append(str(p))
    return paths


def peak_rss_mb(cmd: list[str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env={**os.environ})
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(before, after) / 1024  # ru_maxrss of children is the max over all waited children


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_images(Path(tmp), 1000)
        base = [sys.executable, "-m", "hwr_core.cli", "recognize"] + (
            ["--model", args.model] if args.model else []
        )
        # Run the small call first: RUSAGE_CHILDREN keeps the maximum, so the order matters.
        small = peak_rss_mb(base + paths[:100])
        large = peak_rss_mb(base + paths)
    print(f"peak RSS, 100 images:   {small:7.1f} MB")
    print(f"peak RSS, 1,000 images: {large:7.1f} MB  (ratio {large / small:.3f})")


if __name__ == "__main__":
    main()
