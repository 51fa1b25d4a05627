"""Model tab: the active model's card, the models found on disk, load / activate."""

from __future__ import annotations

import html
import json
import logging
from pathlib import Path

import platformdirs
from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from hwr_core.errors import HwrError
from hwr_core.modelfile import ModelBundle, read_metadata
from hwr_core.resources import models_dir

from ..active_model import ActiveModel

log = logging.getLogger(__name__)


def user_models_dir() -> Path:
    return Path(platformdirs.user_data_dir("hwr-studio")) / "models"


def _percent(row: object, key: str) -> str:
    value = row.get(key) if isinstance(row, dict) else None
    return f"{value:.1%}" if isinstance(value, int | float) else "—"


def _accuracy_table(metrics: dict, greedy: object) -> str:  # type: ignore[type-arg]
    """`benchmarks/accuracy.py` results ({set: {n, cer, accuracy, ...}}) as an HTML table; "" for
    anything else (a trainer's val summary is shown as JSON)."""
    sets = {k: v for k, v in metrics.items() if isinstance(v, dict) and "cer" in v}
    if not sets:
        return ""
    greedy = greedy if isinstance(greedy, dict) else {}
    with_greedy = any(isinstance(greedy.get(k), dict) for k in sets)
    head = "<th>set</th><th>n</th><th>CER</th><th>accuracy</th>" + (
        "<th>CER greedy</th>" if with_greedy else ""
    )
    lines = []
    for name, r in sets.items():
        cells = f"<td>{html.escape(name)}</td><td>{html.escape(str(r.get('n', '?')))}</td>"
        cells += f"<td>{_percent(r, 'cer')}</td><td>{_percent(r, 'accuracy')}</td>"
        if with_greedy:
            cells += f"<td>{_percent(greedy.get(name), 'cer')}</td>"
        lines.append(f"<tr>{cells}</tr>")
    return f"<table cellspacing='0' cellpadding='3'><tr>{head}</tr>{''.join(lines)}</table>"


def _input_geometry(card: dict) -> str:
    text = f"{card['input_height']} px high"
    if card["width_scale"] != 1.0:
        text += f", stretched {card['width_scale']:g}x in width"
    return text


def card_html(bundle: ModelBundle) -> str:
    """The model card as HTML: what it reads, how it was trained, how well it does."""
    card = bundle.card()
    rows = [
        ("Name", card["name"]),
        ("File", card["path"] or "(not saved)"),
        ("Variant", f"{card['variant']} — {card['parameters']:,} parameters"),
        ("Input", _input_geometry(card)),
        ("Characters", f"{card['classes'] - 1} (+ CTC blank)"),
        ("Decoding", card["decoding"]),
        (
            "8-bit engine",
            f"convolution ranges measured on {card['int8_ranges_images']} training images"
            if card["int8_ranges_images"]
            else "no convolution ranges: the convolutions read in float",
        ),
        ("Created", card["created"] or "?"),
        ("App version", card["app_version"] or "?"),
    ]
    training = card.get("training") or {}
    if training:
        rows.append(
            (
                "Training",
                f"{training.get('epochs_done', '?')} epochs, {training.get('steps', '?')} steps, "
                f"{training.get('seconds', 0) / 3600:.1f} h",
            )
        )
        data = training.get("data") or {}
        if data.get("train"):
            rows.append(("Training data", "<br>".join(html.escape(s) for s in data["train"])))
        if training.get("command"):
            rows.append(("Command", f"<code>{html.escape(training['command'])}</code>"))
    metrics = card.get("metrics") or {}
    if metrics:
        table = _accuracy_table(metrics, card.get("metrics_greedy") or {})
        shown = table or f"<pre>{html.escape(json.dumps(metrics, indent=1, ensure_ascii=False))}</pre>"
        rows.append(("Metrics", shown))
    body = "".join(
        f"<tr><td style='padding-right:12px'><b>{html.escape(k)}</b></td><td>{v if k in ('Training data', 'Command', 'Metrics') else html.escape(str(v))}</td></tr>"
        for k, v in rows
    )
    alphabet = html.escape(card["alphabet"])
    desc = html.escape(card.get("description") or "")
    return f"<h2>{html.escape(card['name'])}</h2><p>{desc}</p><table>{body}</table><h3>Alphabet</h3><p style='font-size:14pt'>{alphabet}</p>"


class ModelTab(QWidget):
    status_message = Signal(str)

    def __init__(self, active_model: ActiveModel, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.active_model = active_model
        self.settings = settings
        self.models_list = QListWidget()
        self.models_list.itemDoubleClicked.connect(self._activate_item)
        self.card = QTextBrowser()
        self.card.setOpenExternalLinks(False)
        open_btn = QPushButton("Open model file…")
        open_btn.clicked.connect(self.open_model_dialog)
        use_btn = QPushButton("Use selected")
        use_btn.clicked.connect(lambda: self._activate_item(self.models_list.currentItem()))
        refresh_btn = QPushButton("Refresh")
        refresh_btn.clicked.connect(self.refresh)

        left = QWidget()
        lv = QVBoxLayout(left)
        lv.addWidget(QLabel("Models found (double-click to use):"))
        lv.addWidget(self.models_list)
        buttons = QHBoxLayout()
        for b in (open_btn, use_btn, refresh_btn):
            buttons.addWidget(b)
        lv.addLayout(buttons)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.card)
        splitter.setSizes([350, 750])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        active_model.changed.connect(lambda _: self.show_card())
        self.refresh()
        self.show_card()

    def refresh(self) -> None:
        self.models_list.clear()
        for folder in (models_dir(), user_models_dir()):
            for path in sorted(folder.glob("*.safetensors")) if folder.exists() else []:
                try:
                    meta = read_metadata(path)
                except HwrError as e:
                    log.info("not listing %s: %s", path, e)
                    continue
                metrics = (meta.get("metrics") or {}).get("val") or {}
                label = f"{meta.get('name') or path.stem}  ({meta.get('model', {}).get('variant', '?')})"
                if metrics.get("val_cer") is not None:
                    label += f"  val CER {metrics['val_cer']:.1%}"
                item = QListWidgetItem(label)
                item.setData(Qt.ItemDataRole.UserRole, str(path))
                item.setToolTip(str(path))
                self.models_list.addItem(item)

    def show_card(self) -> None:
        bundle = self.active_model.bundle
        self.card.setHtml(
            card_html(bundle) if bundle else "<h2>No model loaded</h2><p>Open a model file.</p>"
        )

    def _activate_item(self, item: QListWidgetItem | None) -> None:
        if item is not None:
            self.activate(Path(item.data(Qt.ItemDataRole.UserRole)))

    def activate(self, path: Path) -> bool:
        try:
            bundle = self.active_model.load(path)
        except HwrError as e:
            self.status_message.emit(str(e))
            return False
        self.settings.setValue("model/active", str(path))
        self.status_message.emit(f"Active model: {bundle.name}")
        return True

    def open_model_dialog(self) -> None:
        start = self.settings.value("paths/last_model_dir", str(user_models_dir()))
        path, _ = QFileDialog.getOpenFileName(
            self, "Open model", str(start), "HWR Studio models (*.safetensors);;All files (*)"
        )
        if path:
            self.settings.setValue("paths/last_model_dir", str(Path(path).parent))
            self.activate(Path(path))
