"""The Image tab's view: zoom where the pointer is, pan, fit; a box dragged while zoomed reads the
part of the image under it."""

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

from app.widgets.image_view import MAX_ZOOM, ImageView


@pytest.fixture
def view(qtbot):
    widget = ImageView()
    qtbot.addWidget(widget)
    widget.resize(404, 304)
    widget.show()
    image = np.full((1000, 2000), 255, np.uint8)
    image[400:600, 900:1100] = 0
    widget.set_array(image)
    return widget


def _close(a: QPointF, b: QPointF) -> bool:
    return abs(a.x() - b.x()) < 1e-6 and abs(a.y() - b.y()) < 1e-6


def test_zoom_keeps_the_point_under_the_pointer_and_zooming_out_fits(view):
    fitted = view.zoom()
    assert view.is_fitted() and fitted == pytest.approx(0.2, abs=0.01)  # 2000 px into ~400
    pointer = QPointF(150, 120)
    under = view._image_point(pointer)
    view.zoom_at(4, pointer)
    assert not view.is_fitted() and view.zoom() == pytest.approx(4 * fitted)
    assert _close(view._image_point(pointer), under)
    view.zoom_at(100)
    assert view.zoom() == MAX_ZOOM
    view.zoom_at(1 / 1000)
    assert view.is_fitted() and view.zoom() == fitted


def test_a_box_dragged_while_zoomed_is_the_part_of_the_image_under_it(qtbot, view):
    view.zoom_at(5, view._to_widget((1000, 500, 1000, 500)).topLeft())  # zoom in on the black square
    box = view._to_widget((950, 450, 1050, 560))
    assert box.width() == pytest.approx(100 * view.zoom())  # shown larger than when fitted
    with qtbot.waitSignal(view.region_changed) as chosen:
        qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=box.topLeft().toPoint())
        qtbot.mouseMove(view, box.bottomRight().toPoint())
        qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=box.bottomRight().toPoint())
    x0, y0, x1, y1 = chosen.args[0]
    assert abs(x0 - 950) <= 1 and abs(y0 - 450) <= 1 and abs(x1 - 1050) <= 1 and abs(y1 - 560) <= 1


def test_a_middle_button_drag_pans_and_a_double_click_fits(qtbot, view):
    view.zoom_at(4)
    center = view._image_point(view._view_box().center())
    qtbot.mousePress(view, Qt.MouseButton.MiddleButton, pos=QPoint(200, 150))
    qtbot.mouseMove(view, QPoint(150, 150))
    qtbot.mouseRelease(view, Qt.MouseButton.MiddleButton, pos=QPoint(150, 150))
    moved = view._image_point(view._view_box().center())
    assert moved.x() == pytest.approx(center.x() + 50 / view.zoom()) and moved.y() == pytest.approx(
        center.y()
    )
    for _ in range(50):  # a pan cannot lose the image: the centre stays on it
        qtbot.mousePress(view, Qt.MouseButton.MiddleButton, pos=QPoint(380, 150))
        qtbot.mouseMove(view, QPoint(20, 150))
        qtbot.mouseRelease(view, Qt.MouseButton.MiddleButton, pos=QPoint(20, 150))
    assert view._image_point(view._view_box().center()).x() == pytest.approx(2000)
    qtbot.mouseDClick(view, Qt.MouseButton.LeftButton, pos=QPoint(200, 150))
    assert view.is_fitted()


def test_the_zoom_is_zeroed_by_a_new_image_and_said_on_the_toolbar(qtbot, tmp_path):
    from PySide6.QtCore import QSettings

    from app.active_model import ActiveModel
    from app.widgets.recognize_tab import RecognizeTab

    tab = RecognizeTab(ActiveModel(None), QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(tab)
    tab.resize(900, 700)
    tab.show()
    image = np.full((800, 1600), 255, np.uint8)
    tab.set_image(image, "page.png")
    assert not tab.fit_action.isEnabled() and " at " not in tab.image_name_label.text()
    tab.image_view.zoom_at(3)
    assert tab.fit_action.isEnabled() and tab.image_name_label.text().endswith(
        f"at {tab.image_view.zoom():.0%}"
    )
    tab.rotate_image(90)  # a new image shows whole
    assert tab.image_view.is_fitted() and not tab.fit_action.isEnabled()
    tab.image_view.zoom_at(3)
    tab.fit_action.trigger()
    assert tab.image_view.is_fitted() and " at " not in tab.image_name_label.text()
    tab.shutdown()
