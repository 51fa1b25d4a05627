"""Live training plots: loss and learning rate per step, validation loss and CER per epoch.

Following pyqtgraph's PanningPlot example: every curve is created once; events only append to
numpy buffers, and a ~10 Hz QTimer pushes the buffers to the curves with `setData`, so a fast
run (hundreds of batches a second) never repaints per batch. Long series use clip-to-view and
peak downsampling.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QSizePolicy, QVBoxLayout, QWidget

from hwr_core.training import BatchEnd, EpochEnd

REFRESH_MS = 100  # 10 Hz
EMA_ALPHA = 0.05  # smoothing of the per-batch loss; debiased so the first points are not pulled to 0
# per-source validation CER curves (a mixed val set), in order of first appearance
SOURCE_COLORS = ("#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#d62728", "#1f77b4")


class _Series:
    """Growable (x, y) float64 buffers; appending is amortised O(1)."""

    def __init__(self, capacity: int = 1024) -> None:
        self._x = np.empty(capacity)
        self._y = np.empty(capacity)
        self.n = 0

    def append(self, x: float, y: float) -> None:
        if self.n == len(self._x):
            self._x = np.resize(self._x, 2 * self.n)
            self._y = np.resize(self._y, 2 * self.n)
        self._x[self.n] = x
        self._y[self.n] = y
        self.n += 1

    def data(self) -> tuple[np.ndarray, np.ndarray]:
        return self._x[: self.n], self._y[: self.n]

    def clear(self) -> None:
        self.n = 0


def _epoch_curve(
    plot: pg.PlotItem, color: QColor, name: str, width: int = 2, symbol_size: int = 6
) -> pg.PlotDataItem:
    """A line with a dot per epoch."""
    return plot.plot(
        pen=pg.mkPen(color, width=width),
        symbol="o",
        symbolSize=symbol_size,
        symbolBrush=color,
        symbolPen=None,
        name=name,
    )


def _coloured(text: str, colour: QColor) -> str:
    return f"<span style='color: {colour.name()}; font-weight: bold;'>{text}</span>"


def _titled(title: str, *keys: str) -> str:
    """A plot's title over a smaller line naming its curves (a blank line when it has one curve)."""
    return f"{title}<br><span style='font-size: 8pt;'>{' · '.join(keys) or '&nbsp;'}</span>"


class MetricPlots(QWidget):
    """Four plots in a 2x2 grid; feed with `add_batch` / `add_epoch`, drawn by a 10 Hz timer."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        pal = self.palette()
        fg = pal.color(QPalette.ColorRole.Text)
        accent = QColor(31, 119, 180)
        orange = QColor(230, 120, 20)
        faint = QColor(accent)
        faint.setAlpha(70)

        self._view = pg.GraphicsLayoutWidget()
        self._view.setBackground(pal.color(QPalette.ColorRole.Base))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._view)

        def make_plot(row: int, col: int, title: str, xlabel: str) -> pg.PlotItem:
            plot = self._view.addPlot(row=row, col=col)
            plot.setTitle(title, color=fg, size="10pt")
            plot.setLabel("bottom", xlabel)
            # No grid: translucent grid lines tripled the software-rendered paint time of a frame.
            for name in ("left", "bottom"):
                axis = plot.getAxis(name)
                axis.setPen(fg)
                axis.setTextPen(fg)
            plot.setMenuEnabled(False)
            return plot

        # The loss plots name their curves under the title, in the curves' colours: a legend inside
        # the plot covered the curves it named (a falling loss passes under its top right corner).
        # Every title has that second line, so that the plots of a row stay level.
        light = accent.lighter(150)
        self.loss_plot = make_plot(
            0,
            0,
            _titled("Training loss", _coloured("per batch", light), _coloured("smoothed", accent)),
            "step",
        )
        self.lr_plot = make_plot(0, 1, _titled("Learning rate"), "step")
        self.epoch_loss_plot = make_plot(
            1,
            0,
            _titled("Loss per epoch", _coloured("train", accent), _coloured("validation", orange)),
            "epoch",
        )
        self.cer_plot = make_plot(1, 1, _titled("Validation CER (%)"), "epoch")

        def step_curve(plot: pg.PlotItem, pen: pg.QtGui.QPen, name: str | None = None) -> pg.PlotDataItem:
            curve = plot.plot(pen=pen, name=name)
            curve.setClipToView(True)
            curve.setDownsampling(auto=True, method="peak")
            return curve

        self._loss_raw = step_curve(self.loss_plot, pg.mkPen(faint, width=1), "per batch")
        self._loss_ema = step_curve(self.loss_plot, pg.mkPen(accent, width=2), "smoothed")
        self._lr = step_curve(self.lr_plot, pg.mkPen(orange, width=2))
        self._train_epoch = _epoch_curve(self.epoch_loss_plot, accent, "train")
        self._val_epoch = _epoch_curve(self.epoch_loss_plot, orange, "validation")
        # A legend in its own layout cell beside the plot: one row per validation source would
        # cover the curves it names if it sat inside the plot.
        self.cer_plot.legend = pg.LegendItem(labelTextColor=fg, labelTextSize="8pt", verSpacing=-10)
        # At its own height, at the top of the cell: stretched to the plot's height, its rows
        # spread and each label drifted away from its line sample.
        self.cer_plot.legend.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self._view.addItem(self.cer_plot.legend, row=1, col=2)
        self._view.ci.layout.setAlignment(self.cer_plot.legend, Qt.AlignmentFlag.AlignTop)
        self._cer = _epoch_curve(self.cer_plot, QColor(44, 160, 44), "all")
        self._cer_by_source: dict[str, tuple[_Series, pg.PlotDataItem]] = {}
        self._keep_layout_whole()

        self._raw = _Series()
        self._ema = _Series()
        self._lrs = _Series()
        self._ema_value = 0.0
        self._ema_weight = 0.0
        self._train_loss = _Series(64)
        self._val_loss = _Series(64)
        self._val_cer = _Series(64)
        self._dirty = False
        self._loss_plotted = 0
        self._epoch_plotted = 0

        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh)

    # ------------------------------------------------------------------ feeding

    def add_batch(self, ev: BatchEnd) -> None:
        """Append one batch; cheap, no drawing."""
        if not ev.skipped and math.isfinite(ev.loss):
            self._raw.append(ev.step, ev.loss)
            self._ema_value = (1 - EMA_ALPHA) * self._ema_value + EMA_ALPHA * ev.loss
            self._ema_weight = (1 - EMA_ALPHA) * self._ema_weight + EMA_ALPHA
            self._ema.append(ev.step, self._ema_value / self._ema_weight)
        self._lrs.append(ev.step, ev.lr)
        self._mark_dirty()

    def add_epoch(self, ev: EpochEnd) -> None:
        x = ev.epoch + 1  # plotted 1-based: "after epoch 1"
        if math.isfinite(ev.train_loss):
            self._train_loss.append(x, ev.train_loss)
        if ev.val_loss is not None and math.isfinite(ev.val_loss):
            self._val_loss.append(x, ev.val_loss)
        if ev.val_cer is not None and math.isfinite(ev.val_cer):
            self._val_cer.append(x, 100.0 * ev.val_cer)
        if len(ev.val_cer_by_source) > 1:  # one source: its curve would repeat "all"
            for name, rate in ev.val_cer_by_source.items():
                if math.isfinite(rate):
                    self._source_series(name).append(x, 100.0 * rate)
        self._mark_dirty()

    def _source_series(self, name: str) -> _Series:
        if name not in self._cer_by_source:
            color = QColor(SOURCE_COLORS[len(self._cer_by_source) % len(SOURCE_COLORS)])
            curve = _epoch_curve(self.cer_plot, color, name, width=1, symbol_size=4)
            self._cer_by_source[name] = (_Series(64), curve)
            self._keep_layout_whole()
        return self._cer_by_source[name][0]

    def _keep_layout_whole(self) -> None:
        """Ask the widget's layout for the plots' and legend's least width: the graphics layout
        does not pass it on, and in a narrow panel (the Teach tab at 1024 px) the scene was cut at
        the right edge, legend first."""
        grid = self._view.ci.layout
        grid.invalidate()
        grid.activate()
        self._view.setMinimumWidth(math.ceil(grid.minimumWidth()))

    def source_names(self) -> list[str]:
        """Validation sources with a CER curve of their own."""
        return list(self._cer_by_source)

    def clear(self) -> None:
        for s in (self._raw, self._ema, self._lrs, self._train_loss, self._val_loss, self._val_cer):
            s.clear()
        for _, curve in self._cer_by_source.values():
            self.cer_plot.removeItem(curve)  # also leaves the legend
        self._cer_by_source.clear()
        self._keep_layout_whole()
        self._ema_value = self._ema_weight = 0.0
        self._dirty = True
        self.refresh()

    # ------------------------------------------------------------------ drawing

    def _mark_dirty(self) -> None:
        self._dirty = True
        if not self._timer.isActive():
            self._timer.start()

    def refresh(self) -> None:
        """Push the buffers to the curves (the timer calls this; tests may call it directly)."""
        if not self._dirty:
            self._timer.stop()  # idle: no wake-ups until the next event
            return
        self._dirty = False
        for curve, series in (
            (self._loss_raw, self._raw),
            (self._loss_ema, self._ema),
            (self._lr, self._lrs),
            (self._train_epoch, self._train_loss),
            (self._val_epoch, self._val_loss),
            (self._cer, self._val_cer),
            *((curve, series) for series, curve in self._cer_by_source.values()),
        ):
            x, y = series.data()
            # Views, no copies: appends only write past n (or into a new array after a resize).
            curve.setData(x, y)
        self._loss_plotted = self._raw.n
        self._epoch_plotted = self._train_loss.n

    # ------------------------------------------------------------------ read access for tests

    def loss_points(self) -> int:
        """Points on the per-batch loss curve as of the last refresh."""
        return self._loss_plotted

    def epoch_points(self) -> int:
        """Points on the per-epoch training-loss curve as of the last refresh."""
        return self._epoch_plotted
