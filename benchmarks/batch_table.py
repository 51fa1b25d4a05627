"""How the Batch tab's table keeps up as a batch grows. Prints figures.

    python benchmarks/batch_table.py [--sizes 200 800]

For each size, that many files are put in the Batch tab's list (no model: nothing is read), sorted
by Unsure as a user checking the worst first would, and a reading is delivered for each in turn as
the worker delivers them, events processed after each. Printed: the UI thread's time per file, and
its ratio to the smallest size's (1.0: the time a file costs does not grow with the batch).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[200, 800])
    args = ap.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings, Qt
    from PySide6.QtWidgets import QApplication

    from app.widgets.batch_tab import UNSURE, BatchTab
    from hwr_core.batch import BatchRow, FileSummary

    app = QApplication.instance() or QApplication([])
    settings = QSettings(str(Path(tempfile.mkdtemp()) / "s.ini"), QSettings.Format.IniFormat)
    first = None
    for n in args.sizes:
        tab = BatchTab(lambda: None, settings)
        tab.resize(1200, 800)
        tab.show()
        keys = tab._append([BatchRow(Path(f"/scans/page{i}.png")) for i in range(n)])
        tab.table.sortByColumn(UNSURE, Qt.SortOrder.DescendingOrder)
        start = time.perf_counter()
        for i, key in enumerate(keys):
            tab._on_read(key, FileSummary(f"line {i} of a page\nand its second line", 0.5, 2, i % 7))
            app.processEvents()
        per_file = (time.perf_counter() - start) / n * 1000
        first = first or per_file
        print(
            f"{n} files: {per_file:.2f} ms of the UI thread a file ({per_file / first:.2f}x the first size)"
        )
        tab.close()
        tab.deleteLater()
        app.processEvents()


if __name__ == "__main__":
    main()
