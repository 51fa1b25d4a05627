"""The Train tab end to end on a tiny generated word set: runs, stop/resume, pause, errors, data check.

All data is made in tmp dirs (no ../shared); the model is the `tiny` variant, so each run is a few
seconds even on a busy 2-core CPU.
"""

from __future__ import annotations

import dataclasses
import random
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from PySide6.QtCore import QSettings, Qt
from uiprobe import StallProbe

from app.active_model import ActiveModel
from app.widgets.data_sources_box import join_weight, split_weight
from app.widgets.train_tab import TrainTab
from app.workers.training import TrainingRequest
from hwr_core.config import TrainConfig
from hwr_core.training import BatchEnd, CheckpointSaved, amp_supported

WORDS = ["cat", "dog", "sun", "tree", "moon", "book", "rain", "fish", "bird", "star", "road", "blue"]


@pytest.fixture(scope="module")
def word_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """40 small printed-word PNGs and a labels.tsv: 32 train, 8 val."""
    root = tmp_path_factory.mktemp("words")
    rng = random.Random(0)
    lines = []
    for i in range(40):
        word = rng.choice(WORDS)
        img = np.full((28, 14 * len(word) + 12), 255, np.uint8)
        cv2.putText(img, word, (5, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.6, 0, 1, cv2.LINE_AA)
        cv2.imwrite(str(root / f"w{i:02d}.png"), img)
        lines.append(f"w{i:02d}.png\t{word}\t{'val' if i % 5 == 0 else 'train'}")
    (root / "labels.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


@pytest.fixture
def tab(qtbot, tmp_path: Path):  # type: ignore[no-untyped-def]
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    widget = TrainTab(ActiveModel(), settings)
    qtbot.addWidget(widget)
    yield widget
    assert widget.stop_and_wait(20_000), "the training thread did not end"


def make_request(
    data: list[str], out_dir: Path, epochs: int = 2, samples: int = 32, resume: bool = False
) -> TrainingRequest:
    cfg = TrainConfig(
        epochs=epochs,
        batch_size=8,
        samples_per_epoch=samples,
        checkpoint_every_batches=0,
        early_stopping_patience=0,
        device="cpu",
        seed=1,
    )
    return TrainingRequest(
        data=data, val=None, cfg=cfg, out_dir=str(out_dir), variant="tiny", height=32, resume=resume
    )


def test_every_button_of_the_settings_panel_shows_whole(qtbot, tab: TrainTab) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QPoint
    from PySide6.QtWidgets import QAbstractButton

    tab.resize(1300, 850)
    tab.show()
    qtbot.waitExposed(tab)
    viewport = tab.settings_panel.viewport()
    buttons = [b for b in tab.settings_panel.widget().findChildren(QAbstractButton) if b.isVisible()]
    assert len(buttons) > 10
    clipped = [b.text() for b in buttons if b.mapTo(viewport, QPoint(b.width(), 0)).x() > viewport.width()]
    assert clipped == []  # (a fixed width once cut the validation row's "Remove" and "bfloat16")


def test_weight_column_round_trip() -> None:
    assert split_weight("tsv:/a?split=train&weight=2") == ("tsv:/a?split=train", 2.0)
    assert join_weight("tsv:/a?weight=3", 1.0) == "tsv:/a"
    assert join_weight("tsv:/a?split=train", 0.5) == "tsv:/a?split=train&weight=0.5"


def test_tiny_run_plots_predictions_and_files(qtbot, tab: TrainTab, word_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    with qtbot.waitSignal(tab.controller.sig_finished, timeout=120_000) as blocker:
        assert tab.start_training(make_request([f"tsv:{word_data}"], out))
    ev = blocker.args[0]
    assert ev.reason == "completed" and ev.epochs_done == 2

    tab.plots.refresh()
    assert tab.plots.loss_points() == 8  # 2 epochs x 32 samples / batch 8
    assert tab.plots.epoch_points() == 2
    assert tab.predictions_table.rowCount() > 0
    assert tab.predictions_table.item(0, 0).text() == "2"  # newest epoch first
    assert (out / "model.safetensors").is_file()
    assert (out / "last.ckpt.safetensors").is_file()
    assert tab.last_model_path == out / "model.safetensors"
    assert not tab.is_training()
    assert tab.save_button.isEnabled() and tab.use_button.isEnabled()

    saved = tab.save_model_to(tmp_path / "copy")
    assert saved == tmp_path / "copy.safetensors" and saved.is_file()
    tab.use_as_active_model()
    assert tab.active_model.bundle is not None and tab.active_model.bundle.model.config.variant == "tiny"


def test_a_run_started_here_can_load_batches_in_processes(
    qtbot, tab: TrainTab, word_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loader processes are spawned from the GUI's worker thread and re-import the core."""
    from hwr_core import training

    pools: list[int] = []
    real_pool = training._loader_pool
    monkeypatch.setattr(training, "_loader_pool", lambda s, n: pools.append(n) or real_pool(s, n))
    request = make_request([f"tsv:{word_data}"], tmp_path / "run")
    request = dataclasses.replace(request, cfg=dataclasses.replace(request.cfg, loader_workers=1))
    with qtbot.waitSignal(tab.controller.sig_finished, timeout=180_000) as blocker:
        assert tab.start_training(request)
    assert blocker.args[0].reason == "completed" and blocker.args[0].epochs_done == 2
    assert (tmp_path / "run" / "model.safetensors").is_file() and pools == [1]


def test_stop_is_quick_and_resume_continues(qtbot, tab: TrainTab, word_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    request = make_request([f"tsv:{word_data}"], out, epochs=30, samples=64)
    batches: list[BatchEnd] = []
    checkpoints: list[CheckpointSaved] = []
    cancelled_at: list[float] = []
    tab.controller.sig_batch.connect(batches.append)
    tab.controller.sig_checkpoint.connect(checkpoints.append)
    tab.controller.sig_cancelled.connect(lambda _ev: cancelled_at.append(time.perf_counter()))

    assert tab.start_training(request)
    qtbot.waitUntil(lambda: len(batches) >= 3, timeout=60_000)
    with qtbot.waitSignal(tab.controller.sig_cancelled, timeout=10_000) as blocker:
        asked = time.perf_counter()
        tab.stop()
    latency = cancelled_at[0] - asked
    print(f"\nstop latency: {latency * 1000:.0f} ms")
    assert latency < 2.0
    ev = blocker.args[0]
    assert ev.reason == "stopped"
    assert ev.checkpoint_path == out / "last.ckpt.safetensors" and ev.checkpoint_path.is_file()
    stop_ckpt = [c for c in checkpoints if c.reason == "stop"][-1]
    last_step = batches[-1].step
    assert tab.last_model_path == ev.checkpoint_path
    assert tab.resume_check.isChecked()

    batches.clear()
    assert tab.start_training(dataclasses.replace(request, resume=True))
    qtbot.waitUntil(lambda: len(batches) >= 1, timeout=60_000)
    first = batches[0]
    assert first.step == last_step + 1 > 1
    assert (first.epoch, first.batch) == (stop_ckpt.epoch, stop_ckpt.batch + 1)
    assert tab.stop_and_wait(20_000)
    assert not tab.is_training() and tab.start_button.isEnabled()


def test_ui_thread_is_not_stalled_by_training(qtbot, tab: TrainTab, word_data: Path, tmp_path: Path) -> None:
    # Creating the first torch optimizer imports torch._dynamo (~800 modules), which holds the GIL
    # for 100-250 ms at a time once per process; measure the steady state, whatever ran before.
    import torch

    torch.optim.AdamW([torch.zeros(1, requires_grad=True)])
    tab.resize(1200, 800)
    tab.show()
    qtbot.waitExposed(tab)
    probe = StallProbe()
    batches: list[BatchEnd] = []
    tab.controller.sig_batch.connect(batches.append)
    probe.start()
    with qtbot.waitSignal(tab.controller.sig_finished, timeout=120_000):
        assert tab.start_training(make_request([f"tsv:{word_data}"], tmp_path / "run", epochs=4, samples=64))
    probe.stop()
    print(f"\n{probe.summary()}, {len(batches)} batches")
    assert len(batches) == 32
    assert len(probe.gaps) >= 50, "the run was too short to measure anything"
    assert probe.worst < 0.25


def test_pause_holds_batches_and_resume_continues(
    qtbot, tab: TrainTab, word_data: Path, tmp_path: Path
) -> None:
    batches: list[BatchEnd] = []
    tab.controller.sig_batch.connect(batches.append)
    assert tab.start_training(make_request([f"tsv:{word_data}"], tmp_path / "run", epochs=30, samples=64))
    qtbot.waitUntil(lambda: len(batches) >= 2, timeout=60_000)
    tab.pause()
    assert tab.controller.is_paused() and tab.pause_button.text() == "Resume"
    qtbot.wait(400)  # the batch in flight when Pause was pressed may still land
    seen = len(batches)
    cpu = time.process_time()
    qtbot.wait(500)
    cpu = time.process_time() - cpu
    assert len(batches) == seen, "a batch ran while paused"
    assert cpu < 0.25, f"paused run used {cpu:.2f} s of CPU in 0.5 s"
    tab.resume()
    assert not tab.controller.is_paused()
    qtbot.waitUntil(lambda: len(batches) > seen, timeout=10_000)


def test_bad_source_fails_with_one_line_and_tab_stays_usable(qtbot, tab: TrainTab, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "labels.tsv"
    messages: list[str] = []
    tab.status_message.connect(messages.append)
    with qtbot.waitSignal(tab.controller.sig_failed, timeout=30_000) as blocker:
        assert tab.start_training(make_request([f"tsv:{missing}"], tmp_path / "run"))
    message = blocker.args[0]
    assert str(missing) in message and "\n" not in message
    qtbot.waitUntil(lambda: not tab.is_training(), timeout=5_000)
    assert tab.start_button.isEnabled() and not tab.stop_button.isEnabled()
    assert str(missing) in tab.error_label.text()
    assert any(str(missing) in m for m in messages)
    # Still usable: the form reports its own problems instead of raising into Qt.
    tab.start_button.click()
    assert "add at least one training data source" in tab.error_label.text()
    assert not tab.is_training()


def test_an_add_button_that_fails_says_so_and_adds_nothing(qtbot, tab: TrainTab, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QPushButton

    def unreadable(*args: object) -> str:
        raise PermissionError("the folder cannot be read")

    monkeypatch.setattr(tab.data_sources, "_pick_folder", unreadable)
    button = next(b for b in tab.data_sources.findChildren(QPushButton) if b.text() == "Add IAM folder…")
    button.click()  # the error must not escape into Qt's event loop
    assert "Could not add the source: the folder cannot be read" in tab.error_label.text()
    assert tab.data_sources.sources() == []


def test_check_data_reports_counts_and_previews(qtbot, tab: TrainTab, word_data: Path) -> None:
    tab.data_sources.add_source(f"tsv:{word_data}?weight=2")
    assert tab.data_sources.sources() == [f"tsv:{word_data}?weight=2"]
    with qtbot.waitSignal(tab.data_checked, timeout=30_000) as blocker:
        assert tab.check_data()
    lines = blocker.args[0]
    assert any("32 rows, 32 usable" in line for line in lines)  # the train split
    assert any("8 usable" in line for line in lines)  # the val split
    assert tab.preview_count() >= 1
    assert "usable" in tab.data_report.toPlainText()


def test_predictions_newest_epoch_first_and_matches_green(tab: TrainTab) -> None:
    from hwr_core.training import EpochEnd

    tab.controller.sig_epoch.emit(EpochEnd(0, 2, 1.0, 1e-3, 1.0, predictions=(("cat", "ct"),)))
    tab.controller.sig_epoch.emit(EpochEnd(1, 2, 0.5, 1e-3, 1.0, predictions=(("cat", "cat"), ("dog", ""))))
    table = tab.predictions_table
    assert [table.item(r, 0).text() for r in range(table.rowCount())] == ["2", "2", "1"]
    assert table.item(0, 2).background().color().green() > table.item(0, 2).background().color().red()
    assert table.item(1, 2).text() == "(empty)"
    assert table.item(2, 2).background().style() == Qt.BrushStyle.NoBrush  # not a match: no colour


def test_build_request_from_the_form(qtbot, tab: TrainTab, word_data: Path, tmp_path: Path) -> None:
    from hwr_core.charset import CTCCodec
    from hwr_core.modelfile import new_bundle

    tab.data_sources.add_source(f"tsv:{word_data}?weight=3")
    tab.epochs_spin.setValue(3)
    tab.batch_spin.setValue(4)
    tab.lr_spin.setValue(3e-4)
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    (earlier / "last.ckpt.safetensors").write_bytes(b"x")
    tab.out_edit.setText(str(earlier))
    tab.active_model.set_bundle(new_bundle("tiny", CTCCodec()))  # an unsaved model: no path
    tab.finetune_radio.setChecked(True)
    tab.freeze_check.setChecked(True)
    tab.freeze_spin.setValue(2)

    req = tab.build_request()
    assert req.data == [f"tsv:{word_data}?weight=3"] and req.val is None
    assert (req.cfg.epochs, req.cfg.batch_size, req.cfg.lr) == (3, 4, pytest.approx(3e-4))
    assert req.cfg.freeze_backbone_epochs == 2 and not req.resume
    out = Path(req.out_dir)
    assert out != earlier and out.parent == tmp_path  # a new run never lands on an earlier one
    assert req.init == str(out / "init.safetensors") and Path(req.init).is_file()
    assert req.cfg.amp == amp_supported(torch.device("cpu"))  # on by default where it is fast
    tab.amp_check.setChecked(False)
    assert tab.build_request().cfg.amp is False
    assert req.cfg.loader_workers == (
        0 if not torch.cuda.is_available() else min(4, tab.workers_spin.maximum() - 1)
    )
    tab.workers_spin.setValue(2)
    assert tab.build_request().cfg.loader_workers == 2


def test_validation_cer_curve_per_source(qtbot) -> None:  # type: ignore[no-untyped-def]
    from app.widgets.metric_plots import MetricPlots
    from hwr_core.training import EpochEnd

    plots = MetricPlots()
    qtbot.addWidget(plots)
    for epoch, scale in enumerate((1.0, 0.5)):
        by_source = {"vnondb_word": 0.4 * scale, "iam_lines": 0.6 * scale}
        plots.add_epoch(EpochEnd(epoch, 2, 1.0, 1e-3, 1.0, 2.0, 0.5 * scale, val_cer_by_source=by_source))
    plots.refresh()
    assert plots.source_names() == ["vnondb_word", "iam_lines"]
    legend = [label.text for _, label in plots.cer_plot.legend.items]
    assert legend == ["all", "vnondb_word", "iam_lines"]
    plots.add_epoch(EpochEnd(2, 3, 1.0, 1e-3, 1.0, 2.0, 0.2, val_cer_by_source={"only": 0.2}))
    assert plots.source_names() == ["vnondb_word", "iam_lines"]  # one source adds no curve of its own
    plots.clear()
    assert plots.source_names() == [] and [label.text for _, label in plots.cer_plot.legend.items] == ["all"]


def test_loss_plots_name_their_curves_above_them_not_over_them(qtbot) -> None:  # type: ignore[no-untyped-def]
    from app.widgets.metric_plots import MetricPlots

    plots = MetricPlots()
    qtbot.addWidget(plots)
    for plot in (plots.loss_plot, plots.epoch_loss_plot):
        names = [item.name() for item in plot.listDataItems()]
        assert len(names) == 2 and plot.legend is None  # a legend inside the plot covered its curves
        assert all(name in plot.titleLabel.text for name in names)


@pytest.mark.parametrize("sources", [0, 6])
def test_validation_legend_keeps_each_label_beside_its_line(qtbot, sources: int) -> None:  # type: ignore[no-untyped-def]
    """The CER legend sits in a layout cell as tall as the plot; stretched to it, its rows spread
    and a lone "all" stood 100 px above its line sample."""
    from app.widgets.metric_plots import MetricPlots
    from hwr_core.training import EpochEnd

    plots = MetricPlots()
    qtbot.addWidget(plots)
    plots.resize(900, 600)
    plots.show()
    by_source = {f"set{i}": 0.1 * (i + 1) for i in range(sources)}
    plots.add_epoch(EpochEnd(0, 1, 1.0, 1e-3, 1.0, 2.0, 0.5, val_cer_by_source=by_source))
    plots.refresh()
    qtbot.wait(50)  # the layout settles
    rows = plots.cer_plot.legend.items
    assert len(rows) == 1 + sources
    for sample, label in rows:
        text = label.item.sceneBoundingRect()  # the text itself, not its stretched cell
        gap = abs(sample.sceneBoundingRect().center().y() - text.center().y())
        assert gap < 6, (label.text, gap)


def test_a_narrow_panel_shows_the_validation_legend_whole(qtbot) -> None:  # type: ignore[no-untyped-def]
    """Beside a wider neighbour (the Teach tab at 1024 px) the plots were given less than their
    least width, and the legend, rightmost, was cut off."""
    from PySide6.QtWidgets import QHBoxLayout, QTextEdit, QWidget

    from app.widgets.metric_plots import MetricPlots
    from hwr_core.training import EpochEnd

    window = QWidget()
    qtbot.addWidget(window)
    row = QHBoxLayout(window)
    plots = MetricPlots()
    row.addWidget(QTextEdit(), 3)
    row.addWidget(plots, 2)
    window.resize(700, 500)
    window.show()
    names = ("cinnamon_vi", "iam_lines", "kaggle_names", "synth", "vnondb_line", "vnondb_word")
    plots.add_epoch(EpochEnd(0, 1, 1.0, 1e-3, 1.0, 2.0, 0.5, val_cer_by_source=dict.fromkeys(names, 0.1)))
    plots.refresh()
    qtbot.wait(50)  # the layout settles
    view = plots._view
    legend = view.mapFromScene(plots.cer_plot.legend.sceneBoundingRect()).boundingRect()
    assert legend.right() <= view.viewport().width(), (legend.right(), view.viewport().width())


def test_a_page_xml_folder_trains_and_validates(qtbot, tab: TrainTab, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from hwr_core.batch import FileSummary
    from hwr_core.layout_export import page_lines, write_page_xml

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # where the lines are cut to
    page = np.full((160, 400), 245, np.uint8)
    boxes = []
    for i, word in enumerate(("cat", "dog")):
        cv2.putText(page, word, (20, 50 + 70 * i), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 20, 3, cv2.LINE_AA)
        boxes.append(((10, 15 + 70 * i), (200, 15 + 70 * i), (200, 65 + 70 * i), (10, 65 + 70 * i)))
    cv2.imwrite(str(tmp_path / "scan.png"), page)
    summary = FileSummary("cat\ndog", 0.9, 2, size=(400, 160), outlines=tuple(boxes))
    write_page_xml(
        [page_lines(tmp_path / "scan.png", "cat\ndog", summary)], tmp_path / "page", datetime.now(UTC)
    )
    monkeypatch.setattr(tab.data_sources, "_pick_folder", lambda *args: str(tmp_path))
    tab.data_sources._add_page()
    tab.data_sources._add_val_page()
    assert tab.data_sources.sources() == [f"page:{tmp_path}"] and tab.data_sources.validation_sources() == [
        f"page:{tmp_path}"
    ]
    with qtbot.waitSignal(tab.data_checked, timeout=30_000) as blocker:
        assert tab.check_data()
    assert any("2 rows, 2 usable" in line for line in blocker.args[0])
