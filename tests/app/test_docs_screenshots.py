"""docs/make_screenshots.py still runs: it drives the app's widgets by their names, and a renamed
method (the Train tab's sources, session 52) broke it for three sessions without a test noticing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QImage
from testdata import DATA, needs_shipped_model

DOCS = Path(__file__).resolve().parents[2] / "docs"
SHARED_SETS = ("cinnamon_vi", "vnondb_line", "iam_lines", "kaggle_names")  # the Batch and page shots'


@needs_shipped_model
def test_the_readme_screenshots_can_be_made_again(tmp_path: Path) -> None:
    before = {p.name: p.stat().st_mtime_ns for p in DOCS.glob("*.png")}
    run = subprocess.run(
        [sys.executable, str(DOCS / "make_screenshots.py"), "--out", str(tmp_path)],
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    made = ["recognize.png", "train.png"]
    if all((DATA / name / "labels.tsv").is_file() for name in SHARED_SETS):
        made += ["batch.png", "page.png"]  # of ../shared's val images, where they are present
    for name in made:
        image = QImage(str(tmp_path / name))
        assert not image.isNull() and image.width() >= 1200, name  # the whole window, not an empty grab
    assert {p.name: p.stat().st_mtime_ns for p in DOCS.glob("*.png")} == before  # docs/ left alone
