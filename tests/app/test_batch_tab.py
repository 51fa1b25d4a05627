"""Batch tab: many files read off the UI thread, corrected in the table, exported; nothing lost."""

import time

import cv2
import numpy as np
import pytest
from pdf_reader import PdfReadBack
from PIL import Image
from PySide6.QtCore import QMimeData, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QMessageBox
from testdata import WORDS, word_image

import app.workers.batch as batch_worker
from app.main_window import MainWindow, load_startup_model
from app.widgets.batch_tab import FILE, TEXT, UNSURE, _TeachReport
from app.widgets.reading_delegate import UNSURE_AT_ROLE
from app.widgets.teach_tab import KEY_FOLDER
from hwr_core.batch import find_images, read_files
from hwr_core.charset import CTCCodec
from hwr_core.data.readers import read_labels_tsv
from hwr_core.modelfile import new_bundle, save_model
from hwr_core.pace import PACE_FILES

TIMEOUT = 60_000


@pytest.fixture
def window(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    settings.setValue(KEY_FOLDER, str(tmp_path / "samples"))
    model = save_model(new_bundle("tiny", CTCCodec()), tmp_path / "tiny.safetensors")
    bundle, problem = load_startup_model(settings, str(model))
    assert problem is None
    win = MainWindow(settings, bundle, confirm_quit=False)
    qtbot.addWidget(win)
    yield win
    win.batch_tab.shutdown()
    win.recognize_tab.shutdown()


@pytest.fixture
def scans(tmp_path):
    folder = tmp_path / "scans"
    (folder / "sub").mkdir(parents=True)
    for i, word in enumerate(WORDS[:5]):
        cv2.imwrite(str(folder / ("sub" if i == 4 else "") / f"w{i}.png"), word_image(word))
    (folder / "w9.png").write_bytes(b"\x89PNG but not really")
    return folder


def _texts_in_table(tab):
    return {
        tab.table.item(r, FILE).toolTip(): tab.table.item(r, TEXT).text() for r in range(tab.table.rowCount())
    }


def _red_pixels(tab, row):
    """Pixels of the Recognize tab's red in a row's text cell, as the table paints it."""
    cell = tab.table.visualRect(tab.table.model().index(row, TEXT))
    image = tab.table.viewport().grab(cell).toImage()
    pixels = [image.pixelColor(x, y) for x in range(image.width()) for y in range(image.height())]
    return sum(1 for c in pixels if c.red() > 150 and c.green() < 90 and c.blue() < 90)


def _read_all(qtbot, tab, paths):
    with qtbot.waitSignal(tab.reader.idle, timeout=TIMEOUT) as idle:
        added = tab.add_paths(paths)
    return added, idle.args[0]


def test_find_shows_only_the_files_whose_text_or_name_holds_it(qtbot, window, scans):
    tab = window.batch_tab
    _read_all(qtbot, tab, [scans])
    names = {tab.table.item(r, FILE).text(): r for r in range(tab.table.rowCount())}
    w1 = next(k for k, r in tab._rows.items() if r.path.name == "w1.png")
    tab.table.item(names["w1.png"], TEXT).setText("Đường Việt Nam")  # corrected in the table

    def shown():
        return sorted(
            tab.table.item(r, FILE).text()
            for r in range(tab.table.rowCount())
            if not tab.table.isRowHidden(r)
        )

    tab.find_edit.setText("duong viet")  # without accents, in lower case
    assert shown() == ["w1.png"] and "1 of 6 found" in tab.summary.text()
    tab.find_edit.setText("W0.PNG")  # a file's name
    assert shown() == ["w0.png"]
    tab.find_edit.setText("not an image")  # a file's error is its text
    assert shown() == ["w9.png"]
    tab.table.horizontalHeader().setSortIndicator(FILE, Qt.SortOrder.DescendingOrder)  # sorted: still found
    assert shown() == ["w9.png"] and tab._rows[w1].corrected == "Đường Việt Nam"
    tab.find_edit.clear()
    assert len(shown()) == 6 and "found" not in tab.summary.text()


def test_a_folder_is_read_file_by_file_as_the_core_reads_it(qtbot, window, scans):
    tab = window.batch_tab
    assert tab.hint.isVisible() or not window.isVisible()
    added, stopped = _read_all(qtbot, tab, [scans])
    assert added == 6 and not stopped
    files = [tab.table.item(r, FILE).text() for r in range(tab.table.rowCount())]
    assert files == ["w4.png", "w0.png", "w1.png", "w2.png", "w3.png", "w9.png"]  # sub/ first, then w2 < w9
    expected = {
        str(r.path): r.text for r in read_files(window.recognize_tab.make_recognizer(), find_images([scans]))
    }
    shown = _texts_in_table(tab)
    assert {k: v for k, v in shown.items() if not k.endswith("w9.png")} == {
        k: v for k, v in expected.items() if not k.endswith("w9.png")
    }
    assert "w9.png: not an image" in shown[str(scans / "w9.png")]
    assert "1 could not be read" in tab.summary.text() and tab.progress.format() == "6 of 6 read"
    assert not tab.table.item(5, TEXT).flags() & Qt.ItemFlag.ItemIsEditable  # an error is not a text
    assert tab.add_paths([scans / "w0.png"]) == 0  # already listed: not twice


def test_corrections_survive_sorting_and_reading_again_and_are_exported(qtbot, window, scans, tmp_path):
    tab = window.batch_tab
    _read_all(qtbot, tab, [scans])
    tab.table.sortByColumn(UNSURE, Qt.SortOrder.DescendingOrder)
    row = next(r for r in range(tab.table.rowCount()) if tab.table.item(r, FILE).text() == "w2.png")
    reading = tab._rows[tab._key_of(row)].reading
    assert reading.unsure  # an untrained model is unsure of everything: its unsure characters are marked
    assert tab.table.item(row, TEXT).data(UNSURE_AT_ROLE) == list(reading.unsure_at)
    window.resize(1200, 600)
    window.show()
    window.tabs.setCurrentWidget(tab)
    assert _red_pixels(tab, row) > 20  # painted in red where unsure
    tab.table.item(row, TEXT).setText("sửa lại")  # as the editor commits it; NFD typing is made NFC
    assert tab.table.item(row, TEXT).data(UNSURE_AT_ROLE) is None  # the user's text: nothing marked
    row = next(r for r in range(tab.table.rowCount()) if tab.table.item(r, FILE).text() == "w2.png")
    assert _red_pixels(tab, row) == 0
    assert tab.corrected_count() == 1 and tab.has_unexported_corrections()
    assert dict(tab.texts())[scans / "w2.png"] == "sửa lại"
    assert tab.add_paths([]) == 0
    with qtbot.waitSignal(tab.reader.idle, timeout=TIMEOUT):
        tab.read_again()
    assert dict(tab.texts())[scans / "w2.png"] == "sửa lại" and tab.corrected_count() == 1

    labels = tmp_path / "out" / "labels.tsv"
    assert tab.export_labels(labels) and not tab.has_unexported_corrections()
    records, _ = read_labels_tsv(labels)
    assert len(records) == sum(1 for _, text in tab.texts())
    assert {r.path.name: r.text for r in records}["w2.png"] == "sửa lại"
    assert "without a text left out" in window.statusBar().currentMessage()  # w9.png
    assert (
        tab.export_text_files(tmp_path / "txt")
        and (tmp_path / "txt" / "w2.txt").read_text("utf-8") == "sửa lại\n"
    )
    assert (tmp_path / "txt" / "sub" / "w4.txt").exists()
    assert tab.export_joined(tmp_path / "all.txt") and "sửa lại" in (tmp_path / "all.txt").read_text("utf-8")

    key = next(k for k, r in tab._rows.items() if r.path.name == "w2.png")
    tab.revert([key])
    assert tab.corrected_count() == 0 and dict(tab.texts()).get(scans / "w2.png", "") != "sửa lại"


def test_stop_leaves_the_rest_unread_and_read_again_reads_them(qtbot, window, scans, monkeypatch):
    tab = window.batch_tab
    real_read = batch_worker.read_files

    def slow_read(*args, **kwargs):  # each file takes a while, so Stop comes while the first are read
        time.sleep(0.3)  # (on a busy machine the worker had read on past two files before it came)
        return real_read(*args, **kwargs)

    monkeypatch.setattr(batch_worker, "read_files", slow_read)
    with qtbot.waitSignal(tab.reader.idle, timeout=TIMEOUT) as idle:
        tab.add_paths([scans])
        assert tab.read_button.text() == "Stop"
        tab._on_read_button()  # Stop: the file being read finishes, the rest wait
    assert idle.args == [True] and tab.read_button.text() == "Read again"
    unread = [tab.table.item(r, TEXT).text() for r in range(tab.table.rowCount())].count("not read")
    assert unread >= 4
    with qtbot.waitSignal(tab.reader.idle, timeout=TIMEOUT):
        tab._on_read_button()
    assert "not read" not in _texts_in_table(tab).values()


def test_remove_and_clear_ask_before_losing_corrections(qtbot, window, scans, monkeypatch):
    tab = window.batch_tab
    _read_all(qtbot, tab, [scans])
    tab.table.selectRow(0)
    tab.remove_selected()
    assert tab.table.rowCount() == 5 and scans / "sub" / "w4.png" not in dict(tab.texts())
    session = window.batch_tab._session_file
    session.unlink()
    session.mkdir()  # the session cannot be saved: quitting would lose the correction
    tab.table.item(0, TEXT).setText("mine")
    assert tab.has_unsaved_corrections() and "Cannot save the batch" in window.statusBar().currentMessage()
    answers = []
    monkeypatch.setattr(
        QMessageBox, "question", lambda *a: answers.append(a[2]) or QMessageBox.StandardButton.No
    )
    tab.clear()
    assert tab.table.rowCount() == 5 and "have not been exported" in answers[0]
    window.confirm_quit = True
    assert not window.close()  # kept open
    assert "Quit anyway" in answers[1]
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.Yes)
    tab.clear()
    assert tab.table.rowCount() == 0 and tab.texts() == [] and not tab.has_unexported_corrections()


def _drop(paths):
    """A drop of these files, and its mime data: the event holds a bare pointer to it, so the caller
    keeps both alive."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    event = QDropEvent(
        QPointF(5, 5),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    return event, mime


def test_several_files_dropped_on_the_recognize_tab_go_to_the_batch_tab(qtbot, window, scans):
    with qtbot.waitSignal(window.batch_tab.reader.idle, timeout=TIMEOUT):
        event, _mime = _drop([scans / "w0.png", scans / "w1.png"])
        window.recognize_tab.dropEvent(event)
    assert window.tabs.currentWidget() is window.batch_tab and window.batch_tab.table.rowCount() == 2
    with qtbot.waitSignal(window.recognize_tab.result_ready, timeout=TIMEOUT):  # a double-click on a name
        window.batch_tab._on_double_click(window.batch_tab.table.item(1, FILE))
    assert window.tabs.currentWidget() is window.recognize_tab
    assert window.recognize_tab.image_name_label.text().startswith("w1.png")
    with qtbot.waitSignal(window.batch_tab.reader.idle, timeout=TIMEOUT):  # a folder dropped on the tab
        event, _mime = _drop([scans])
        window.batch_tab.dropEvent(event)
    assert window.batch_tab.table.rowCount() == 6  # the two listed already are not added twice


def test_teach_corrections_keeps_each_corrected_files_lines_with_the_text(qtbot, window, scans):
    tab, store = window.batch_tab, window.teach_tab.store
    _read_all(qtbot, tab, [scans])
    assert not tab.teach_button.isEnabled()  # nothing corrected yet
    by_name = {tab.table.item(r, FILE).text(): r for r in range(tab.table.rowCount())}
    tab.table.item(by_name["w0.png"], TEXT).setText("cat")
    tab.table.item(by_name["w1.png"], TEXT).setText("dog")
    w2_read = tab.table.item(by_name["w2.png"], TEXT).text()
    tab.table.item(by_name["w2.png"], TEXT).setText("two\nlines")  # the image reads as one line
    assert tab.teach_button.isEnabled()
    with qtbot.waitSignal(tab.reader.idle, timeout=TIMEOUT):
        assert tab.teach_corrections()
    assert sorted((s.text, s.source) for s in store.samples()) == [("cat", "w0.png"), ("dog", "w1.png")]
    message = window.statusBar().currentMessage()
    assert message.startswith(
        "Kept 2 new lines of 2 corrected files for teaching: Personalise in the Teach tab;"
    )
    assert "; 1 file not kept: " in message and "read as 1 line but the text has 2" in message
    assert "w2.png" in message and message.endswith(f"it reads: “{w2_read}”") and "::" not in message
    assert str(scans) not in message  # the file named as the table names it
    with qtbot.waitSignal(tab.reader.idle, timeout=TIMEOUT):  # again: nothing new
        assert tab.teach_corrections()
    assert len(store) == 2 and "Kept 0 new lines" in window.statusBar().currentMessage()


def test_the_teach_report_is_one_line_with_singulars_and_a_long_reading_cut_short():
    report = _TeachReport(files=2, lines=1, kept=1)
    report.problems.append(
        "p.png: read as 3 lines but the text has 2; it reads:\n" + "\n".join(["x" * 30] * 3)
    )
    text = report.summary(stopped=True)
    assert text.startswith("Kept 1 new line of 1 corrected file for teaching: Personalise in the Teach tab;")
    assert "\n" not in text and f"it reads: “{'x' * 30} / {'x' * 26}…”; stopped before the rest" in text
    assert _TeachReport(files=1).summary(stopped=False) == "Kept 0 new lines of 1 corrected file for teaching"


def test_the_list_and_its_corrections_come_back_in_the_next_session(qtbot, window, scans, tmp_path):
    tab = window.batch_tab
    _read_all(qtbot, tab, [scans])
    row = next(r for r in range(tab.table.rowCount()) if tab.table.item(r, FILE).text() == "w1.png")
    tab.table.item(row, TEXT).setText("mine")  # saved at once: nothing to lose on quitting
    assert not tab.has_unsaved_corrections() and tab.corrected_count() == 1
    texts = tab.texts()
    window.close()
    saved = tmp_path / "batch-session.json"
    assert saved.is_file()

    again = MainWindow(window.settings, window.active_model.bundle, confirm_quit=False)
    qtbot.addWidget(again)
    try:
        assert again.batch_tab.texts() == texts and again.batch_tab.corrected_count() == 1
        assert not again.batch_tab.reader.is_busy()  # read already: not read again
        assert "could not be read" in again.batch_tab.summary.text()  # w9.png's reason came back too
        again.close()
    finally:
        again.batch_tab.shutdown()
        again.recognize_tab.shutdown()

    saved.write_text("{not json", encoding="utf-8")
    third = MainWindow(window.settings, window.active_model.bundle, confirm_quit=False)
    qtbot.addWidget(third)
    try:
        assert third.batch_tab.table.rowCount() == 0
        assert "could not be restored" in third.statusBar().currentMessage()
        assert (tmp_path / "batch-session.json.bad").read_text("utf-8") == "{not json"  # set aside, not lost
    finally:
        third.batch_tab.shutdown()
        third.recognize_tab.shutdown()


def test_a_sideways_file_is_turned_read_again_and_opened_turned(qtbot, window, scans):
    tab = window.batch_tab
    _read_all(qtbot, tab, [scans / "w0.png", scans / "w1.png"])
    key = next(k for k, r in tab._rows.items() if r.path.name == "w1.png")
    with qtbot.waitSignal(tab.reader.idle, timeout=TIMEOUT):
        tab.turn([key], 90)
    (expected,) = read_files(window.recognize_tab.make_recognizer(), [scans / "w1.png"], rotate=90)
    assert tab._rows[key].reading.text == expected.text and tab._rows[key].rotate == 90
    assert tab._items[key].text() == "w1.png  ⟳ 90°"
    tab._save_session()
    from hwr_core.batch import load_session

    assert [r.rotate for r in load_session(tab._session_file)] == [0, 90]
    with qtbot.waitSignal(window.recognize_tab.result_ready, timeout=TIMEOUT):
        tab._open(key)
    upright = cv2.imread(str(scans / "w1.png"), cv2.IMREAD_GRAYSCALE)
    assert window.recognize_tab.current_image().shape == upright.shape[::-1]  # shown turned too


def test_a_multi_page_tiffs_pages_are_rows_exported_to_one_text_file(qtbot, window, tmp_path):
    tab = window.batch_tab
    pages = [Image.fromarray(word_image(w)) for w in WORDS[:2]]
    scan = tmp_path / "scan.tif"
    pages[0].save(scan, save_all=True, append_images=pages[1:])
    added, _ = _read_all(qtbot, tab, [scan])
    assert added == 2
    assert [tab.table.item(r, FILE).text() for r in range(2)] == ["scan.tif, page 1", "scan.tif, page 2"]
    expected = list(read_files(window.recognize_tab.make_recognizer(), find_images([scan])))
    assert [tab.table.item(r, TEXT).text() for r in range(2)] == [r.text for r in expected]
    assert tab.export_text_files(tmp_path / "out")
    assert (tmp_path / "out" / "scan.txt").read_text("utf-8") == "\f".join(r.text + "\n" for r in expected)
    with qtbot.waitSignal(window.recognize_tab.result_ready, timeout=TIMEOUT):
        tab._open(next(k for k, r in tab._rows.items() if str(r.path).endswith("#page=2")))
    recognize = window.recognize_tab
    assert (
        np.array_equal(recognize.current_image(), word_image(WORDS[1])) and recognize.page_spin.value() == 2
    )


def test_page_xml_alto_hocr_and_pdf_exports_put_each_corrected_line_where_it_was_found(
    qtbot, window, tmp_path, monkeypatch
):
    import math
    import xml.etree.ElementTree as ET

    from hwr_core.layout_export import ALTO_NS, PAGE_NS

    monkeypatch.setattr("hwr_core.recognizer.WHOLE_READING_MARGIN", -math.inf)  # read by lines
    tab = window.batch_tab
    page = np.full((180, 420), 255, np.uint8)
    for i, word in enumerate(WORDS[:2]):
        cv2.putText(page, word, (20, 60 + 80 * i), cv2.FONT_HERSHEY_SIMPLEX, 1.4, 0, 3, cv2.LINE_AA)
    cv2.imwrite(str(tmp_path / "page.png"), page)
    cv2.imwrite(str(tmp_path / "word.png"), word_image(WORDS[2]))
    _read_all(qtbot, tab, [tmp_path / "page.png", tmp_path / "word.png"])
    key = next(k for k, r in tab._rows.items() if r.path.name == "page.png")
    assert len(tab._rows[key].reading.outlines) == 2
    row = next(r for r in range(tab.table.rowCount()) if tab.table.item(r, FILE).text() == "page.png")
    tab.table.item(row, TEXT).setText(f"{WORDS[0]}\n{WORDS[1]}")  # corrected in the table
    assert tab.export_page_xml(tmp_path / "xml") and tab.export_hocr(tmp_path / "all.hocr")
    ns = {"p": PAGE_NS}
    lines = ET.parse(tmp_path / "xml" / "page.xml").getroot().findall("p:Page/p:TextRegion/p:TextLine", ns)
    assert [line.find("p:TextEquiv/p:Unicode", ns).text for line in lines] == list(WORDS[:2])
    tops = [
        min(int(p.split(",")[1]) for p in line.find("p:Coords", ns).get("points").split()) for line in lines
    ]
    assert tops[0] < 60 < tops[1] < 140  # the first line's outline above the second's
    assert (tmp_path / "xml" / "word.xml").exists()
    assert (tmp_path / "all.hocr").read_text("utf-8").count('class="ocr_page"') == 2
    assert tab.export_alto_xml(tmp_path / "alto")
    alto = {"a": ALTO_NS}
    alto_lines = ET.parse(tmp_path / "alto" / "page.xml").getroot().findall(".//a:TextLine", alto)
    assert [
        " ".join(s.get("CONTENT") for s in line.findall("a:String", alto)) for line in alto_lines
    ] == list(WORDS[:2])
    assert [int(line.get("VPOS")) for line in alto_lines] == tops  # where PAGE XML puts them
    assert (tmp_path / "alto" / "word.xml").exists()
    assert "ALTO XML per image (eScriptorium, libraries and archives)…" in [
        a.text() for a in tab.export_menu.actions()
    ]
    with qtbot.waitSignal(tab.reader.idle, timeout=TIMEOUT), qtbot.waitSignal(tab.status_message) as said:
        assert tab.export_pdf(tmp_path / "all.pdf")  # written in the worker, said when it is done
    assert "Writing" in said.args[0]
    pdf = PdfReadBack((tmp_path / "all.pdf").read_bytes())
    pages = pdf.pages()
    assert len(pages) == 2 and [text for _, text in pdf.words(pages[0])] == list(WORDS[:2])
    (tmp_path / "word.png").unlink()  # gone since it was read: said, nothing written
    with qtbot.waitSignal(tab.status_message, timeout=TIMEOUT, check_params_cb=lambda m: "PDF" in m) as said:
        assert tab.export_pdf(tmp_path / "none.pdf")
    assert said.args[0].startswith("No PDF written") and "no such file" in said.args[0]
    assert not (tmp_path / "none.pdf").exists()


def test_a_page_xml_files_lines_are_read_corrected_taught_and_exported_on_its_image(qtbot, window, tmp_path):
    # Another tool's segmentation of a page (a Transkribus export): its two lines read where it puts
    # them; the row's corrections are taught as those lines' cuts and exported on its image.
    import xml.etree.ElementTree as ET
    from datetime import UTC, datetime

    from hwr_core.batch import FileSummary
    from hwr_core.data.page_reader import cut_line
    from hwr_core.layout_export import PAGE_NS, page_lines, write_page_xml

    tab, store = window.batch_tab, window.teach_tab.store
    page = np.full((180, 420), 255, np.uint8)
    for i, word in enumerate(WORDS[:2]):
        cv2.putText(page, word, (20, 60 + 80 * i), cv2.FONT_HERSHEY_SIMPLEX, 1.4, 0, 3, cv2.LINE_AA)
    cv2.imwrite(str(tmp_path / "scan.png"), page)
    boxes = (((10, 15), (410, 15), (410, 80), (10, 80)), ((10, 95), (410, 95), (410, 165), (10, 165)))
    summary = FileSummary("a\nb", 0.9, 2, size=(420, 180), outlines=boxes)
    write_page_xml([page_lines(tmp_path / "scan.png", "a\nb", summary)], tmp_path / "page", datetime.now(UTC))
    given = tmp_path / "page" / "scan.xml"
    with qtbot.waitSignal(tab.reader.idle, timeout=TIMEOUT):
        assert window.recognize_tab.load_image_file(given)  # opened there (or dropped): read here
    assert window.tabs.currentWidget() is tab and window.statusBar().currentMessage() == "Read 1 file"
    (key,) = tab._rows
    row = tab._rows[key]
    (expected,) = read_files(window.recognize_tab.make_recognizer(), [given])
    assert row.path == given and row.image == tmp_path / "scan.png"
    assert tab.table.item(0, FILE).toolTip() == f"{given}\nits lines read on {tmp_path / 'scan.png'}"
    assert row.reading.text == expected.text and len(row.reading.outlines) == 2
    tab.turn([key], 90)  # its lines lie where the file says
    assert row.rotate == 0 and "not turned" in window.statusBar().currentMessage()

    tab.table.item(0, TEXT).setText(f"{WORDS[0]}\n{WORDS[1]}")
    with qtbot.waitSignal(tab.reader.idle, timeout=TIMEOUT):
        assert tab.teach_corrections()
    kept = sorted(store.samples(), key=lambda s: s.text)
    assert [(s.text, s.source) for s in kept] == sorted((w, "scan.xml") for w in WORDS[:2])
    cuts = {w: cut_line(page, np.array(b, float))[0] for w, b in zip(WORDS[:2], boxes, strict=True)}
    for sample in kept:  # the file's line, as cut for training
        assert cv2.imread(str(sample.image_path), cv2.IMREAD_GRAYSCALE).shape == cuts[sample.text].shape

    assert tab.export_page_xml(tmp_path / "out") and tab.export_labels(tmp_path / "labels.tsv")
    root = ET.parse(tmp_path / "out" / "scan.xml").getroot()
    assert root.find("p:Page", {"p": PAGE_NS}).get("imageFilename") == "scan.png"
    texts = [u.text for u in root.iterfind(".//p:TextLine/p:TextEquiv/p:Unicode", {"p": PAGE_NS})]
    assert texts == list(WORDS[:2])
    records, _ = read_labels_tsv(tmp_path / "labels.tsv")
    assert [r.path for r in records] == [tmp_path / "scan.png"]
    assert tab.export_filled(tmp_path / "page")  # back into its own file, its line ids kept
    lines = ET.parse(given).getroot().findall(".//p:TextLine", {"p": PAGE_NS})
    assert [(line.get("id"), line.find("p:TextEquiv/p:Unicode", {"p": PAGE_NS}).text) for line in lines] == [
        ("r1l1", WORDS[0]),
        ("r1l2", WORDS[1]),
    ]
    tab.table.item(0, TEXT).setText("joined into one line")
    assert tab.export_filled(tmp_path / "page2") and not (tmp_path / "page2" / "scan.xml").exists()
    assert "1 without a PAGE or ALTO file's lines read" in window.statusBar().currentMessage()
    with qtbot.waitSignal(window.recognize_tab.result_ready, timeout=TIMEOUT):
        tab._open(key)  # the image, read there as a whole
    assert window.recognize_tab.current_image().shape == page.shape


def test_reading_a_folder_says_how_long_the_rest_will_take(qtbot, window, tmp_path):
    tab = window.batch_tab
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(12):
        cv2.imwrite(str(folder / f"w{i:02d}.png"), word_image(WORDS[i % len(WORDS)]))
    ticks = iter(range(0, 10_000, 20))  # every look at the clock: 20 s later
    tab._clock = lambda: float(next(ticks))
    shown = []
    tab.reader.file_read.connect(lambda *_: shown.append(tab.progress.format()))
    _read_all(qtbot, tab, [folder])
    assert shown[0] == "1 of 12 read" and shown[-1] == "12 of 12 read"  # none said before 3 read
    assert any("min left" in text for text in shown[PACE_FILES:-1]), shown
    assert tab.progress.format() == "12 of 12 read"  # said while reading only
    # the bar is wide enough for the longest of them (it was cut to "30 of 179 read / about 10")
    widest = max(tab.progress.fontMetrics().horizontalAdvance(text) for text in shown)
    assert tab.progress.minimumWidth() > widest
