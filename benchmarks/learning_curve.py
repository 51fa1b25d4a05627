"""Plot a run's history.jsonl (train/val loss, val CER per epoch) to a PNG for the model card.

python benchmarks/learning_curve.py RUN_DIR/history.jsonl [PHASE2_DIR/history.jsonl ...] OUT.png

Several histories are phases of one model (a later one fine-tuned from the earlier one's final
weights, `hwr train --init`): their epochs are numbered on from the end of the previous history,
and a dashed line marks where each phase starts.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any


def main() -> None:
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    *histories, out = sys.argv[1:]
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import numpy as np
    import pyqtgraph as pg
    import pyqtgraph.exporters
    from PySide6.QtWidgets import QApplication

    rows: list[dict[str, Any]] = []
    starts: list[int] = []  # the first epoch (1-based, numbered on) of each later phase
    for path in histories:
        offset = rows[-1]["epoch"] + 1 if rows else 0
        phase = [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
        if rows:
            starts.append(offset + 1)
        rows += [{**r, "epoch": r["epoch"] + offset} for r in phase]
    app = QApplication.instance() or QApplication([])
    pg.setConfigOptions(background="w", foreground="k", antialias=True)
    win = pg.GraphicsLayoutWidget()
    win.resize(900, 420)
    epochs = np.array([r["epoch"] + 1 for r in rows], float)
    loss = win.addPlot(title="loss per epoch")
    loss.addLegend()
    loss.plot(
        epochs,
        [r["train_loss"] for r in rows],
        pen=pg.mkPen("b", width=2),
        symbol="o",
        name="train (mean CTC)",
    )
    if "val_loss" in rows[0]:
        loss.plot(
            epochs,
            [r["val_loss"] / 10 for r in rows],
            pen=pg.mkPen("r", width=2),
            symbol="s",
            name="val (sum / 10)",
        )
    loss.setLabel("bottom", "epoch")
    plots = [loss]
    if "val_cer" in rows[0]:
        cer = win.addPlot(title="validation CER (%)")
        plots.append(cer)
        cer.addLegend()
        cer.plot(
            epochs, [100 * r["val_cer"] for r in rows], pen=pg.mkPen("g", width=3), symbol="o", name="all"
        )
        # per-source curves exist from the epochs whose history has them
        sources = sorted({k for r in rows for k in r.get("val_cer_by_source", {})})
        for i, name in enumerate(sources):
            pts = [
                (r["epoch"] + 1, 100 * r["val_cer_by_source"][name])
                for r in rows
                if name in r.get("val_cer_by_source", {})
            ]
            color = pg.intColor(i, hues=max(len(sources), 1), values=1, maxValue=200)
            cer.plot(
                *zip(*pts, strict=True),
                pen=pg.mkPen(color, width=1),
                symbol="t",
                symbolSize=6,
                symbolBrush=color,
                name=name,
            )
        cer.setLabel("bottom", "epoch")
        cer.showGrid(y=True, alpha=0.3)
    for plot in plots:
        for start in starts:
            plot.addItem(pg.InfiniteLine(start - 0.5, pen=pg.mkPen("k", style=pg.QtCore.Qt.DashLine)))
    win.show()
    app.processEvents()
    pg.exporters.ImageExporter(win.scene()).export(out)
    print(f"saved {out}")


if __name__ == "__main__":
    main()
