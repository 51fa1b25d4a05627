import dataclasses
import math
import unicodedata

import cv2
import numpy as np
import pytest
import torch
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication
from testdata import word_image

from app.main_window import MainWindow, load_startup_model
from app.widgets.teach_tab import KEY_FOLDER
from hwr_core.canvas_ink import clean_strokes
from hwr_core.charset import CTCCodec
from hwr_core.modelfile import new_bundle, save_model


@pytest.fixture
def settings(tmp_path):
    s = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    s.setValue(KEY_FOLDER, str(tmp_path / "samples"))  # the Teach tab's store: not the user's own
    return s


@pytest.fixture
def model_path(tmp_path):
    bundle = new_bundle("tiny", CTCCodec())
    bundle.metadata["name"] = "tiny-test"
    return save_model(bundle, tmp_path / "tiny.safetensors")


@pytest.fixture
def window(qtbot, settings, model_path):
    bundle, problem = load_startup_model(settings, str(model_path))
    assert problem is None
    win = MainWindow(settings, bundle, confirm_quit=False)
    qtbot.addWidget(win)
    yield win
    win.recognize_tab.shutdown()


def _menu_actions(win):
    out = {}
    for menu_action in win.menuBar().actions():
        for act in menu_action.menu().actions():
            out[act.text().replace("&", "")] = act
    return out


def test_menus_and_shortcuts(window):
    acts = _menu_actions(window)
    for name, key in [("Open image…", "Ctrl+O"), ("Paste image", "Ctrl+V"), ("Undo stroke", "Ctrl+Z"),
                      ("Clear canvas", "Ctrl+Backspace"), ("Save reading…", "Ctrl+S"), ("Recognize now", "Ctrl+R"), ("Read many images…", "Ctrl+Shift+O"), ("Batch tab", "Ctrl+2"), ("Correct and teach…", "Ctrl+T"), ("Quit", "Ctrl+Q")]:  # fmt: skip
        assert name in acts, name
        assert acts[name].shortcut().toString() == key, (name, acts[name].shortcut().toString())
    assert "About HWR Studio" in acts


def test_open_recent_in_the_file_menu_follows_the_recognize_tab(qtbot, window, tmp_path):
    first, second = tmp_path / "first.png", tmp_path / "second.png"
    for path in (first, second):
        cv2.imwrite(str(path), word_image("cat"))
        assert window.open_image(str(path))
    for menu in (window.recent_menu, window.recognize_tab.recent_menu):
        names = [a.text() for a in menu.actions() if not a.isSeparator()]
        assert names == ["second.png", "first.png", "Clear recent"] and menu.isEnabled()
    window.recent_menu.actions()[1].trigger()  # reopen the older file: it becomes the newest
    assert window.recognize_tab.recent_files() == [str(first.resolve()), str(second.resolve())]
    window.recent_menu.actions()[-1].trigger()  # "Clear recent"
    assert window.recent_menu.actions() == [] and not window.recent_menu.isEnabled()
    assert not window.recognize_tab.recent_button.isEnabled()


def test_status_bar_names_the_model_and_about_box(window):
    assert "tiny-test" in window._model_label.text()
    assert "tiny-test" in window.about_text()


def test_teach_keeps_the_drawing_on_the_recognize_tab_with_what_was_written(qtbot, window, tmp_path):
    rt, tt = window.recognize_tab, window.teach_tab
    assert tt.store.folder == tmp_path / "samples" and len(tt.store) == 0
    assert not rt.teach_button.isEnabled()
    assert not rt.teach("Việt Nam")
    assert "Write something" in window.statusBar().currentMessage()
    rt.input_tabs.setCurrentIndex(rt.IMAGE)
    rt.teach_dialog()  # no image loaded: said at once, no dialog
    assert "Open an image first" in window.statusBar().currentMessage()
    rt.input_tabs.setCurrentIndex(rt.DRAW)

    rt.canvas.set_strokes([[(10, 40), (30, 80), (50, 40)], [(60, 40), (61, 80)], [(52, 30), (58, 26)]])
    assert rt.teach_button.isEnabled()
    with qtbot.waitSignal(rt.result_ready, timeout=30_000) as shown:
        rt.recognize_now()
    # the dialog is filled in with the reading on show, a page's lines joined on one line
    assert rt.drawing_reading() == " ".join(shown.args[0].text.split())
    rt.last_result = dataclasses.replace(shown.args[0], text="Việt\nNam")
    assert rt.drawing_reading() == "Việt Nam"
    assert not rt.teach("  ")
    assert "Type what was written" in window.statusBar().currentMessage()
    assert len(tt.store) == 0

    assert rt.teach(unicodedata.normalize("NFD", "Việt  Nam"))  # typed decomposed, two spaces
    (sample,) = tt.store.samples()
    assert sample.text == "Việt Nam"
    assert tt.store.strokes(sample.id) == clean_strokes(rt.canvas.strokes())
    assert sample.image_path.is_file()
    assert tt.gallery.count() == 1
    assert "Kept “Việt Nam” for teaching" in window.statusBar().currentMessage()

    rt.teach("Việt Nam")  # the same drawing twice: the store refuses, and says why
    assert len(tt.store) == 1
    assert "already stored" in window.statusBar().currentMessage()


def test_teach_keeps_each_line_of_a_loaded_image_with_its_line_of_text(qtbot, window, monkeypatch):
    monkeypatch.setattr("hwr_core.recognizer.WHOLE_READING_MARGIN", -math.inf)  # untrained: read by lines
    rt, tt = window.recognize_tab, window.teach_tab
    words = [word_image(w) for w in ("cat", "sun", "dog")]
    width = max(w.shape[1] for w in words)
    page = np.vstack([np.pad(w, ((8, 8), (0, width - w.shape[1])), constant_values=255) for w in words])
    assert not rt.image_teach_button.isEnabled()
    with qtbot.waitSignal(rt.result_ready, timeout=30_000) as shown:
        assert rt.set_image(page, "page.png")
        assert not rt.teach("cat\nsun\ndog")  # the reading is not in yet: nothing to pair lines with
        assert "Wait for the image's reading" in window.statusBar().currentMessage()
    assert rt.image_teach_button.isEnabled() and len(shown.args[0].lines) == 3
    assert not rt.teach("cat\nsun")
    assert "read as 3 lines but the text has 2" in window.statusBar().currentMessage() and len(tt.store) == 0
    seen = {}

    def answer() -> None:  # the dialog, filled in with the page's reading, one line per line read
        dialog = QApplication.activeModalWidget()
        seen["text"] = dialog.textValue()
        dialog.setTextValue("cat\n\ndog\n")  # an empty line leaves "sun" out; a trailing newline is no line
        dialog.accept()

    QTimer.singleShot(0, answer)
    rt.teach_dialog()
    assert seen["text"] == shown.args[0].text and seen["text"].count("\n") == 2
    assert [(s.text, s.source, s.drawn) for s in tt.store.samples()] == [("cat", "page.png", False), ("dog", "page.png", False)]  # fmt: skip
    kept = [cv2.imread(str(s.image_path), cv2.IMREAD_GRAYSCALE) for s in tt.store.samples()]
    assert all(k.shape[0] < page.shape[0] / 2 for k in kept)  # each line's own crop, not the page
    assert tt.gallery.count() == 2 and "Kept 2 lines for teaching" in window.statusBar().currentMessage()
    assert rt.teach("cat\nsun\ndog") and len(tt.store) == 3  # "cat" and "dog" are stored: only "sun" is new
    assert "Kept “sun”" in window.statusBar().currentMessage()
    assert "2 lines not kept (this image is already stored" in window.statusBar().currentMessage()


def test_model_tab_reports_bad_file_and_keeps_model(window, tmp_path):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"nonsense" * 10)
    assert not window.model_tab.activate(bad)
    assert "bad.safetensors" in window.statusBar().currentMessage()
    assert window.active_model.bundle.name == "tiny-test"
    assert "tiny-test" in window.model_tab.card.toPlainText()


def test_settings_edited_into_nonsense_read_as_defaults(qtbot, settings, model_path):
    """An ini file edited by hand (or by another version) must not stop the window from opening."""
    for key, value in [
        ("canvas/pen_width", "thick"), ("recognize/beam_width", "lots"), ("recognize/deskew", "maybe"),
        ("train/epochs", "ten"), ("train/batch_size", ""), ("train/lr", "nan"), ("train/amp", "no"),
        ("train/loader_workers", "x"), ("teach/epochs", "1e9"), ("teach/freeze_epochs", "-3"),
    ]:  # fmt: skip
        settings.setValue(key, value)
    bundle, _ = load_startup_model(settings, str(model_path))
    win = MainWindow(settings, bundle, confirm_quit=False)
    qtbot.addWidget(win)
    try:
        assert win.recognize_tab.canvas.pen_width() == 3.0
        assert win.recognize_tab.options.beam_spin.value() == bundle.decode.beam_width
        assert not win.recognize_tab.options.deskew_check.isChecked()  # "maybe" is not a yes
        assert (win.train_tab.epochs_spin.value(), win.train_tab.batch_spin.value()) == (10, 32)
        assert win.train_tab.lr_spin.value() == 1e-3 and not win.train_tab.amp_check.isChecked()
        spin = win.train_tab.workers_spin  # its default: no loader processes without a GPU
        assert spin.value() == (min(4, spin.maximum() - 1) if torch.cuda.is_available() else 0)
        assert win.teach_tab.epochs_spin.value() == 200  # out of range: the nearest it takes
        assert win.teach_tab.freeze_spin.value() == 0
    finally:
        win.recognize_tab.shutdown()


def test_broken_remembered_model_falls_back_with_message(settings, tmp_path):
    settings.setValue("model/active", str(tmp_path / "gone.safetensors"))
    bundle, problem = load_startup_model(settings)
    assert problem and "gone.safetensors" in problem


def test_hwr_model_env_names_the_default_when_nothing_is_remembered(settings, model_path, monkeypatch):
    monkeypatch.setenv("HWR_MODEL", str(model_path))
    bundle, problem = load_startup_model(settings)
    assert problem is None and bundle is not None and bundle.name == "tiny-test"


def test_settings_remembered_between_runs(qtbot, settings, model_path):
    bundle, _ = load_startup_model(settings, str(model_path))
    win = MainWindow(settings, bundle, confirm_quit=False)
    qtbot.addWidget(win)
    win.resize(760, 560)  # inside the offscreen screen, so the window manager does not clamp it
    win.tabs.setCurrentIndex(3)
    saved = win.size()
    win.close()
    win2 = MainWindow(settings, load_startup_model(settings)[0], confirm_quit=False)
    qtbot.addWidget(win2)
    assert win2.tabs.currentIndex() == 3
    assert win2.size() == saved
    assert win2.active_model.bundle.name == "tiny-test"  # the active model is remembered
    win2.close()


def test_quit_while_training_stops_and_saves_checkpoint(qtbot, settings, model_path, tmp_path):
    from testdata import write_word_set

    from app.workers.training import TrainingRequest
    from hwr_core.config import TrainConfig

    tsv = write_word_set(tmp_path / "data", n=64)
    win = MainWindow(settings, load_startup_model(settings, str(model_path))[0], confirm_quit=False)
    qtbot.addWidget(win)
    out = tmp_path / "run"
    request = TrainingRequest(
        data=[str(tsv)], val=[], out_dir=str(out), variant="tiny",
        cfg=TrainConfig(epochs=50, batch_size=4, augment_enabled=False, checkpoint_every_batches=0),
    )  # fmt: skip
    with qtbot.waitSignals([win.train_tab.controller.sig_batch] * 3, timeout=60000):
        win.train_tab.start_training(request)
    assert win.train_tab.is_training()
    win.close()
    assert not win.train_tab.is_training()
    assert (out / "last.ckpt.safetensors").exists()


def test_model_card_shows_decoding_and_the_accuracy_table():
    from app.widgets.model_tab import card_html
    from hwr_core.config import DecodeConfig, PreprocessConfig
    from hwr_core.modelfile import INT8_CALIBRATION_KEY

    bundle = new_bundle("tiny", CTCCodec())
    bundle.decode = DecodeConfig(decoder="beam", beam_width=8, lexicon="builtin", lexicon_weight=2.0)
    row = {"n": 179, "cer": 0.094, "wer": 0.3, "accuracy": 0.034, "latency_ms_p50": 40.0}
    bundle.metadata["metrics"] = {"cinnamon_vi": row, "iam_lines": "absent"}
    bundle.metadata["metrics_greedy"] = {"cinnamon_vi": {**row, "cer": 0.106}}
    page = card_html(bundle)
    assert "beam 8 + word list builtin (bonus 2)" in page
    assert "<td>cinnamon_vi</td><td>179</td><td>9.4%</td><td>3.4%</td><td>10.6%</td>" in page
    assert "iam_lines" not in page  # absent sets are not rows
    bundle.metadata["metrics"] = {"val": {"val_cer": 0.2}}  # a trainer's summary: shown as JSON
    assert "val_cer" in card_html(bundle)
    assert "Input" in page and "32 px high" in page and "stretched" not in page
    bundle.preprocess = PreprocessConfig(width_scale=1.5)
    assert "32 px high, stretched 1.5x in width" in card_html(bundle)
    assert "no convolution ranges" in page
    bundle.metadata[INT8_CALIBRATION_KEY] = {"fingerprint": "x", "inputs": 511, "ranges": {}}
    assert "convolution ranges measured on 511 training images" in card_html(bundle)


def test_files_given_at_start_open_as_a_file_manager_asks(qtbot, window, tmp_path):
    # The .desktop file's Exec passes %F: the files a user opened the app with, one or several.
    import cv2
    from testdata import word_image

    from app.main import build_parser, open_files

    paths = [str(tmp_path / f"w{i}.png") for i in range(2)]
    for path in paths:
        cv2.imwrite(path, word_image("cat"))
    assert build_parser().parse_args(paths).files == paths  # no "unrecognized arguments" any more
    with qtbot.waitSignal(window.recognize_tab.result_ready, timeout=10_000):
        open_files(window, paths[:1])
    assert (
        window.recognize_tab.current_image() is not None
        and window.tabs.currentWidget() is not window.batch_tab
    )
    with qtbot.waitSignal(window.batch_tab.reader.idle, timeout=30_000):
        open_files(window, paths)
    assert window.tabs.currentWidget() is window.batch_tab and window.batch_tab.table.rowCount() == 2
    window.batch_tab.shutdown()


def test_the_window_fits_a_screen_1024_px_wide(window) -> None:  # type: ignore[no-untyped-def]
    """A 1280-px screen at 125 % scaling is 1024 px wide. The Train tab's ETA label, at a fixed
    170 px beside the progress bar, made the window at least 1035 px wide; a training run's six
    validation sources (their curves' legend beside the CER plot) must fit as well."""
    from hwr_core.training import EpochEnd

    sources = ("cinnamon_vi", "iam_lines", "kaggle_names", "synth", "vnondb_line", "vnondb_word")
    frame = 16  # a window manager's borders, generously
    assert window.minimumSizeHint().width() + frame <= 1024
    window.train_tab.plots.add_epoch(
        EpochEnd(0, 1, 1.0, 1e-3, 1.0, 2.0, 0.5, val_cer_by_source=dict.fromkeys(sources, 0.1))
    )
    window.train_tab.plots.refresh()
    assert window.minimumSizeHint().width() + frame <= 1024
