"""Reading many files: finding them, reading each (failures reported, the rest read), writing texts."""

import io
import json
import sys

import cv2
import numpy as np
import pytest
from testdata import word_image

from hwr_core.batch import (
    find_images,
    one_line,
    read_files,
    text_file_names,
    write_joined_text,
    write_labels_tsv,
    write_text_files,
)
from hwr_core.charset import CTCCodec
from hwr_core.cli import main
from hwr_core.cli_commands import with_progress_line
from hwr_core.data.readers import read_labels_tsv
from hwr_core.modelfile import new_bundle
from hwr_core.recognizer import Recognizer


@pytest.fixture(scope="module")
def recognizer():
    return Recognizer(new_bundle("tiny", CTCCodec()), backend="torch")


def _image(path, text="cat"):
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), word_image(text))
    return path


def test_find_images_takes_a_folders_images_in_natural_order(tmp_path):
    for name in (
        "page10.png",
        "page2.jpg",
        "page1.PNG",
        "sub/page3.tif",
        ".hidden/x.png",
        "sub/.y.png",
        "a b/z.png",
    ):
        _image(tmp_path / name)
    (tmp_path / "notes.txt").write_text("not an image", encoding="utf-8")
    (tmp_path / "sub" / "loop").symlink_to(tmp_path)  # a link back up: not followed, so it ends
    found = find_images([tmp_path])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "a b/z.png",
        "page1.PNG",
        "page2.jpg",
        "page10.png",
        "sub/page3.tif",
    ]
    assert [p.name for p in find_images([tmp_path], recursive=False)] == [
        "page1.PNG",
        "page2.jpg",
        "page10.png",
    ]
    # a file as given (even no image, or missing: reading says so), each once, in the order given
    given = [tmp_path / "notes.txt", tmp_path / "page2.jpg", tmp_path / "gone.png", tmp_path]
    found = find_images(given)
    assert found[:3] == given[:3] and len(found) == 7 and found.count(tmp_path / "page2.jpg") == 1
    assert find_images([tmp_path / "sub" / ".hidden-only"]) == [tmp_path / "sub" / ".hidden-only"]
    # beside images, PAGE or ALTO files are not read (each page would be read twice) ...
    (tmp_path / "page").mkdir()
    for name in ("scan10.xml", "scan2.xml"):
        (tmp_path / "page" / name).write_text("<PcGts/>", encoding="utf-8")
    assert not any(p.suffix == ".xml" for p in find_images([tmp_path]))
    # ... but a folder of them alone (a Transkribus export's page/ folder) is its files, in order
    assert [p.name for p in find_images([tmp_path / "page"])] == ["scan2.xml", "scan10.xml"]


def test_read_files_reports_a_bad_file_and_reads_the_rest(tmp_path, recognizer, monkeypatch):
    good = _image(tmp_path / "a.png")
    broken = tmp_path / "b.png"
    broken.write_bytes(b"not a png")
    odd = tmp_path / "c.png"
    cv2.imwrite(str(odd), np.full((5, 7), 255, np.uint8))
    last = _image(tmp_path / "d.png")
    real = recognizer.recognize_page

    def crashes_on_odd(image, **kwargs):  # a bug met on one file must not end the run
        if image.shape == (5, 7):
            raise RuntimeError("boom")
        return real(image, **kwargs)

    monkeypatch.setattr(recognizer, "recognize_page", crashes_on_odd)
    readings = list(read_files(recognizer, [good, broken, odd, tmp_path / "gone.png", last]))
    assert [bool(r.error) for r in readings] == [False, True, True, True, False]
    assert "b.png: not an image" in readings[1].error
    assert "c.png: reading failed (RuntimeError: boom)" in readings[2].error
    assert "gone.png: no such file" in readings[3].error
    assert readings[0].result is not None and readings[0].text == readings[0].result.text
    assert readings[1].confidence is None and readings[1].line_count == 0
    # a region holding nothing is that file's failure, named with it
    (reading,) = read_files(recognizer, [good], region=(0, 0, 0, 0))
    assert reading.error.startswith(f"{good}: the region")
    asked = []

    def stop_after_two():
        asked.append(1)
        return len(asked) > 2

    assert len(list(read_files(recognizer, [good, last, good], should_stop=stop_after_two))) == 2


def test_files_read_side_by_side_come_back_in_order_as_read_one_by_one(tmp_path, recognizer):
    paths = [_image(tmp_path / f"{i}.png", word) for i, word in enumerate(("cat", "sun", "a dog", "hi"))]
    paths.insert(2, tmp_path / "gone.png")
    one_by_one = list(read_files(recognizer, paths))
    side_by_side = list(read_files(recognizer, paths, jobs=3))
    assert [r.path for r in side_by_side] == paths
    assert [(r.text, r.error) for r in side_by_side] == [(r.text, r.error) for r in one_by_one]
    assert side_by_side[2].error and "gone.png: no such file" in side_by_side[2].error


def test_text_file_names_keep_subfolders_and_part_images_of_one_stem(tmp_path):
    images = [tmp_path / "in" / n for n in ("a.png", "a.jpg", "b.png", "sub/a.png")]
    names = text_file_names(images, tmp_path / "out")
    assert [p.relative_to(tmp_path / "out").as_posix() for p in names] == [
        "a.png.txt",
        "a.jpg.txt",
        "b.txt",
        "sub/a.txt",
    ]
    assert text_file_names([], tmp_path) == []


def test_writers_write_what_was_read_and_a_labels_file_reads_back(tmp_path):
    images = [_image(tmp_path / "scans" / n) for n in ("p1.png", "p2.png")]
    rows = [(images[0], "Xin chào\nthế giới"), (images[1], "one\tline")]
    written = write_text_files(rows, tmp_path / "scans")
    assert [p.read_text("utf-8") for p in written] == ["Xin chào\nthế giới\n", "one\tline\n"]
    joined = write_joined_text(rows, tmp_path / "all.txt")
    assert joined.read_text("utf-8") == "Xin chào\nthế giới\n\none\tline\n"
    inside = write_labels_tsv(rows, tmp_path / "scans" / "labels.tsv")
    assert inside.read_text("utf-8").splitlines()[0] == "p1.png\tXin chào thế giới"
    records, report = read_labels_tsv(inside)
    assert [r.text for r in records] == ["Xin chào thế giới", "one line"] and report.usable == 2
    assert [r.path for r in records] == images
    outside = write_labels_tsv(rows, tmp_path / "elsewhere" / "labels.tsv")
    assert outside.read_text("utf-8").split("\t")[0] == images[0].resolve().as_posix()
    assert one_line(" a \r\n\n b\t c ") == "a b c"


def test_cli_reads_a_folder_and_writes_each_text(tmp_path, recognizer, capsys):
    from hwr_core.modelfile import save_model

    model = save_model(recognizer.bundle, tmp_path / "m.safetensors")
    scans = tmp_path / "scans"
    for i, word in enumerate(("cat", "sun", "dog")):
        _image(scans / ("sub" if i == 0 else "") / f"w{i}.png", word)
    (scans / "broken.png").write_bytes(b"\x89PNG broken")
    out = tmp_path / "texts"
    code = main(
        [
            "recognize",
            str(scans),
            "--model",
            str(model),
            "--txt-dir",
            str(out),
            "--tsv",
            str(out / "labels.tsv"),
            "--joined",
            str(out / "all.txt"),
            "--json",
        ]
    )
    captured = capsys.readouterr()
    printed = [json.loads(line) for line in captured.out.splitlines()]
    assert (
        code == 2 and "broken.png: not an image" in captured.err and "1 of 4 files not read" in captured.err
    )
    assert [p["file"] for p in printed] == [str(scans / n) for n in ("sub/w0.png", "w1.png", "w2.png")]
    texts = [p["text"] for p in printed]
    assert [(out / n).read_text("utf-8") for n in ("sub/w0.txt", "w1.txt", "w2.txt")] == [
        t + "\n" for t in texts
    ]
    assert (out / "all.txt").read_text("utf-8") == "\n\n".join(t.strip("\n") for t in texts) + "\n"
    assert len((out / "labels.tsv").read_text("utf-8").splitlines()) == 3
    code = main(["recognize", str(tmp_path / "texts"), "--model", str(model)])
    assert code == 2 and "no images in" in capsys.readouterr().err


def test_a_session_is_saved_and_loaded_as_it_was(tmp_path):
    import math

    from hwr_core.batch import BatchRow, FileSummary, load_session, save_session
    from hwr_core.errors import HwrError

    rows = [
        BatchRow(
            tmp_path / "a.png",
            FileSummary(
                "Xin chào\nbạn",
                0.41,
                2,
                3,
                unsure_at=(1, 4, 9),
                size=(300, 200),
                outlines=(
                    ((5, 10), (290, 8), (291, 60), (6, 62)),
                    ((5, 70), (200, 70), (200, 130), (5, 130)),
                ),
                words=(((0.0, 0.45), (0.5, 1.0)), ((0.0, 1.0),)),
                word_confidences=((0.9, 0.41), (0.77,)),
            ),
            "Xin chào\nbạn ơi",
        ),
        BatchRow(tmp_path / "b.png", FileSummary(error="b.png: not an image")),
        BatchRow(tmp_path / "c.png", rotate=270),  # not read yet, turned
        BatchRow(tmp_path / "page" / "d.xml", FileSummary("d", 0.9, 1, image=str(tmp_path / "d.png"))),
    ]
    save_session(rows, tmp_path / "s.json")
    loaded = load_session(tmp_path / "s.json")
    assert loaded[0] == rows[0] and loaded[2] == rows[2] and loaded[0].text == "Xin chào\nbạn ơi"
    assert loaded[3] == rows[3] and loaded[3].image == tmp_path / "d.png" and loaded[0].image == rows[0].path
    assert loaded[1].reading.error == "b.png: not an image" and math.isnan(loaded[1].reading.confidence)
    assert load_session(tmp_path / "none.json") == []
    bad_files = ("{", '{"version": 9, "files": []}', '{"version": 1, "files": [{"reading": {}}]}')
    for bad in (*bad_files, '{"version": 1, "files": [{"path": "a.png", "rotate": 45}]}'):
        (tmp_path / "bad.json").write_text(bad, encoding="utf-8")
        with pytest.raises(HwrError, match="not a saved batch"):
            load_session(tmp_path / "bad.json")


def test_unsure_characters_are_found_where_they_are_in_a_pages_text(tmp_path):
    from types import SimpleNamespace as NS

    from hwr_core.batch import FileReading, FileSummary

    def line(text, confidences):  # a space read between words has a span too; "?" none (unmatched)
        spans = [NS(char=c, confidence=p) for c, p in zip(text.replace("?", ""), confidences, strict=True)]
        return NS(
            text=text.replace("?", "x"), spans=tuple(spans), lines=(), empty=False, confidence=0.2, turned=0
        )

    first, second = line("ab c", [0.9, 0.3, 0.95, 0.5]), line("d?e", [0.2, 0.99])
    page = NS(
        text="ab c\ndxe", lines=(first, second), confidence=0.2, empty=False, spans=first.spans, turned=0
    )
    summary = FileSummary.of(FileReading(tmp_path / "p.png", page))
    assert summary.unsure_at == (1, 3, 5) and summary.unsure == 3  # b, c, d: "x" has no span
    assert [summary.text[i] for i in summary.unsure_at] == ["b", "c", "d"]
    assert FileSummary.of(FileReading(tmp_path / "q.png", first)).unsure_at == (1, 3)


def test_a_progress_line_is_written_over_itself_between_the_readings():
    stream = io.StringIO()
    ticks = iter(range(0, 1000, 100))  # every look at the clock: 100 s later
    seen = []
    for reading in with_progress_line(iter("abcd"), 4, stream, clock=lambda: float(next(ticks))):
        seen.append((reading, stream.getvalue().rsplit("\r\x1b[K", 1)[-1]))  # what shows as it is handed on
    assert seen == [("a", ""), ("b", ""), ("c", ""), ("d", "")]  # taken off before each reading
    shown = [part for part in stream.getvalue().split("\r\x1b[K") if part]
    assert shown[:2] == ["hwr: 1 of 4 read", "hwr: 2 of 4 read"]
    assert shown[2].startswith("hwr: 3 of 4 read · about") and shown[2].endswith("left")
    assert shown[3] == "hwr: 4 of 4 read" and stream.getvalue().endswith("\r\x1b[K")


def test_the_cli_shows_its_progress_on_a_terminal_when_the_texts_go_elsewhere(
    tmp_path, recognizer, capsys, monkeypatch
):
    from hwr_core.modelfile import save_model

    model = save_model(recognizer.bundle, tmp_path / "m.safetensors")
    for i, word in enumerate(("cat", "sun", "dog")):
        _image(tmp_path / "scans" / f"w{i}.png", word)
    args = ["recognize", str(tmp_path / "scans"), "--model", str(model), "--txt-dir", str(tmp_path / "out")]
    assert main(args) == 0 and "read" not in capsys.readouterr().err  # stderr no terminal: nothing
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert main(args) == 0
    captured = capsys.readouterr()
    assert "hwr: 3 of 3 read" in captured.err and "of 3 read" not in captured.out
