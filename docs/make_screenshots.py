"""Regenerate the README screenshots offscreen.

    python docs/make_screenshots.py [--model M] [--out DIR]

recognize.png: the word "Việt Nam" drawn on the canvas as pen strokes; train.png: the Train tab
after a short live run on words rendered here (no ../shared data needed); batch.png: the Batch tab
after reading the first three val images of four ../shared/data sets (skipped without them), sorted
with the most unsure first, the second one corrected to its transcription; page.png: the Image tab
reading a page of the first three VNOnDB val lines turned 3 degrees, its lines outlined, the
evidence for the second.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

DOCS = Path(__file__).resolve().parent
SHARED_DATA = DOCS.parents[1] / "shared" / "data"
BATCH_SETS = ("cinnamon_vi", "vnondb_line", "iam_lines", "kaggle_names")


def recognize(model: str | None, out: Path) -> None:
    cmd = [sys.executable, "-m", "app", "--screenshot", str(out / "recognize.png"), "--text", "Việt Nam",
           "--settings", str(Path(tempfile.mkdtemp()) / "s.ini")] + (["--model", model] if model else [])  # fmt: skip
    subprocess.run(cmd, check=True)


def _wait(app, busy: Callable[[], bool], seconds: float) -> None:  # type: ignore[no-untyped-def]
    """Run the event loop while `busy()`, `seconds` at most."""
    end = time.monotonic() + seconds
    while busy() and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def _save(app, win, path: Path) -> None:  # type: ignore[no-untyped-def]
    """Let plots and layouts settle, grab the window to `path` and close it (widgets go before
    the QApplication that owns their resources)."""
    for _ in range(30):
        app.processEvents()
        time.sleep(0.02)
    win.grab().save(str(path))
    win.close()
    win.deleteLater()
    app.processEvents()


def train(app, model: str | None, out: Path) -> None:  # type: ignore[no-untyped-def]
    import cv2
    import numpy as np
    from PySide6.QtCore import QSettings

    from app.main_window import MainWindow, load_startup_model
    from app.workers.training import TrainingRequest
    from hwr_core.config import TrainConfig

    tmp = Path(tempfile.mkdtemp())
    rng = np.random.default_rng(0)
    words = ["cat", "dog", "sun", "map", "hat", "pen", "cup", "box", "red", "bed"]
    (tmp / "images").mkdir()
    rows = []
    for i in range(160):
        text = words[int(rng.integers(len(words)))]
        img = np.full((48, 110), 255, np.uint8)
        cv2.putText(
            img, text, (6, 34), cv2.FONT_HERSHEY_SIMPLEX, float(rng.uniform(0.9, 1.2)), 0, 2, cv2.LINE_AA
        )
        cv2.imwrite(str(tmp / f"images/{i}.png"), img)
        rows.append(f"images/{i}.png\t{text}\t{'val' if i % 5 == 0 else 'train'}")
    (tmp / "labels.tsv").write_text("\n".join(rows) + "\n")
    settings = QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings, load_startup_model(settings, model)[0], confirm_quit=False)
    win.resize(1280, 900)
    win.select_tab("train")
    win.show()
    win.train_tab.data_sources.add_source(str(tmp / "labels.tsv"))
    request = TrainingRequest(data=[str(tmp / "labels.tsv")], val=None, out_dir=str(tmp / "run"), variant="tiny",
                              cfg=TrainConfig(epochs=40, batch_size=8, lr=5e-3, augment_enabled=False, early_stopping_patience=0))  # fmt: skip
    win.train_tab.start_training(request)
    _wait(app, win.train_tab.is_training, 300)
    _save(app, win, out / "train.png")


def batch(app, model: str | None, out: Path) -> bool:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QSettings, Qt

    from app.main_window import MainWindow, load_startup_model
    from app.widgets.batch_tab import FILE, TEXT, UNSURE

    tmp = Path(tempfile.mkdtemp())
    truth = {}
    for name in BATCH_SETS:
        labels = SHARED_DATA / name / "labels.tsv"
        if not labels.is_file():
            print(f"batch.png not made: {labels} is absent")
            return False
        rows = [line.split("\t") for line in labels.read_text("utf-8").splitlines()]
        for rel, text, *_ in [r for r in rows if r[-1] == "val"][:3]:
            shutil.copy(labels.parent / rel, tmp / f"{name}_{Path(rel).name}")
            truth[f"{name}_{Path(rel).name}"] = text
    settings = QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings, load_startup_model(settings, model)[0], confirm_quit=False)
    win.resize(1280, 700)
    win.show()
    tab = win.batch_tab
    win.read_many([str(tmp)])
    _wait(app, tab.reader.is_busy, 300)
    tab.table.sortByColumn(UNSURE, Qt.SortOrder.DescendingOrder)
    # the second most unsure file corrected to its transcription, as a user would
    tab.table.item(1, TEXT).setText(truth[tab.table.item(1, FILE).text()])
    _save(app, win, out / "batch.png")
    return True


def page(app, model: str | None, out: Path) -> bool:  # type: ignore[no-untyped-def]
    import cv2
    import numpy as np
    from PySide6.QtCore import QSettings

    from app.main_window import MainWindow, load_startup_model

    labels = SHARED_DATA / "vnondb_line" / "labels.tsv"
    if not labels.is_file():
        print(f"page.png not made: {labels} is absent")
        return False
    rows = [line.split("\t") for line in labels.read_text("utf-8").splitlines()]
    lines = [cv2.imread(str(labels.parent / r[0]), cv2.IMREAD_GRAYSCALE) for r in rows if r[-1] == "val"][:3]
    width = max(line.shape[1] for line in lines) + 80
    sheet = np.vstack(
        [
            cv2.copyMakeBorder(x, 15, 15, 40, width - 40 - x.shape[1], cv2.BORDER_CONSTANT, value=255)
            for x in lines
        ]
    )
    turn = cv2.getRotationMatrix2D((sheet.shape[1] / 2, sheet.shape[0] / 2), 3, 1.0)
    tmp = Path(tempfile.mkdtemp())
    cv2.imwrite(str(tmp / "page.png"), cv2.warpAffine(sheet, turn, sheet.shape[::-1], borderValue=255))
    settings = QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings, load_startup_model(settings, model)[0], confirm_quit=False)
    win.resize(1280, 850)
    win.show()
    tab = win.recognize_tab
    tab.load_image_file(tmp / "page.png")
    _wait(app, lambda: tab.last_result is None, 120)
    tab.line_picker.setCurrentIndex(1)
    _save(app, win, out / "page.png")
    return True


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=None)
    ap.add_argument("--out", type=Path, default=DOCS, help="folder to write the PNGs to (default: docs/)")
    args = ap.parse_args()
    recognize(args.model, args.out)
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    train(app, args.model, args.out)
    made = [
        name for name, make in (("batch.png", batch), ("page.png", page)) if make(app, args.model, args.out)
    ]
    print(
        f"saved {args.out / 'recognize.png'}, {args.out / 'train.png'}"
        + "".join(f", {args.out / n}" for n in made)
    )


if __name__ == "__main__":
    main()
