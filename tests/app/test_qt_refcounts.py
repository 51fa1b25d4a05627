"""Guard against a Qt binding that leaks references to None (PySide6 6.12.0 on Python 3.11).

Each leaked decrement brings None's refcount closer to zero; a long training session in the GUI
then aborts with "Fatal Python error: none_dealloc". On Python >= 3.12 None is immortal.
"""

import sys

import numpy as np
import pyqtgraph as pg
import pytest


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal on Python >= 3.12")
def test_repaints_and_event_processing_do_not_leak_none(qtbot, qapp):
    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    curve = plot.plot(np.arange(50.0), np.zeros(50))
    plot.resize(300, 200)
    plot.show()
    qapp.processEvents()
    before = sys.getrefcount(None)
    for i in range(100):
        curve.setData(np.arange(50.0 + i), np.random.default_rng(i).random(50 + i))
        plot.repaint()
        qapp.processEvents()
    for _ in range(1000):
        qapp.processEvents()
    # A healthy binding may cache a few references; the broken one loses about 300 per repaint.
    assert sys.getrefcount(None) - before > -200
