"""Settings read back as numbers and switches: what a hand-edited ini file may hold."""

import pytest
from PySide6.QtCore import QSettings

from app.settings_values import setting_bool, setting_float, setting_int


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        (None, 3.0),
        ("2.5", 2.5),
        ("thick", 3.0),
        ("", 3.0),
        ("nan", 3.0),
        ("inf", 3.0),
        ("-1", 0.5),
        ("99", 40.0),
    ],
)
def test_setting_float_reads_a_number_in_range_or_the_default(settings, stored, expected):
    if stored is not None:
        settings.setValue("pen", stored)
    assert setting_float(settings, "pen", 3.0, 0.5, 40.0) == expected


def test_setting_int_rounds_and_clamps(settings):
    settings.setValue("a", "7.6")
    settings.setValue("b", "1e9")
    settings.setValue("c", "ten")
    assert setting_int(settings, "a", 1, 0, 10) == 8
    assert setting_int(settings, "b", 1, 0, 10) == 10
    assert setting_int(settings, "c", 4, 0, 10) == 4
    assert setting_int(settings, "missing", 4, 0, 10) == 4


@pytest.mark.parametrize(("stored", "expected"), [("true", True), (" On ", True), ("1", True), ("false", False), ("maybe", False), (True, True), (False, False)])  # fmt: skip
def test_setting_bool_reads_an_ini_files_words(settings, stored, expected):
    settings.setValue("flag", stored)
    assert setting_bool(settings, "flag", not expected) is expected
    assert setting_bool(settings, "missing", True) is True
