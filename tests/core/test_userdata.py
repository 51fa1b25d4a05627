"""User sample store (folder layout, edits, split, zip exchange) and the built-in prompts."""

from __future__ import annotations

import json
import math
import zipfile
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
import pytest

from hwr_core import userdata
from hwr_core.canvas_ink import READING_RENDER_VERSION, render_strokes
from hwr_core.charset import VIETNAMESE_LETTERS, normalize_text
from hwr_core.data.prompts import PromptDeck, load_prompts
from hwr_core.data.readers import read_labels_tsv
from hwr_core.errors import HwrError
from hwr_core.userdata import UserSampleStore, default_user_data_dir, split_ids


def _strokes(k: int) -> list[list[tuple[float, float]]]:
    """A distinct little drawing per k (two strokes and a dot)."""
    wave = [(10.0 + 3 * i, 40.0 + 12 * math.sin(i / 2 + k)) for i in range(20)]
    bar = [(20.0 + k % 7, 10.0), (20.0 + k % 7, 70.0)]
    return [wave, bar, [(80.0 + k, 20.0)]]


def _fill(store: UserSampleStore, n: int, start: int = 0) -> None:
    for k in range(start, start + n):
        store.add(_strokes(k), f"word {k}", 3.0)


def test_add_writes_the_folder_layout(tmp_path: Path) -> None:
    store = UserSampleStore(tmp_path / "s")
    s = store.add(_strokes(0), "  Thuỷ   thủ ", 3.5)
    assert s.text == normalize_text("Thuỷ thủ") and s.split == "train"
    assert s.image_path == tmp_path / "s" / "images" / f"{s.id}.png"
    img = cv2.imread(str(s.image_path), cv2.IMREAD_GRAYSCALE)
    assert img is not None and img.min() < 100 and img.max() == 255  # dark ink on white
    data = json.loads(s.meta_path.read_text("utf-8"))
    assert set(data) == {"text", "strokes", "pen_width", "created"}
    assert data["text"] == s.text and data["pen_width"] == 3.5 and len(data["strokes"]) == 3
    assert (tmp_path / "s" / "labels.tsv").read_text("utf-8") == f"images/{s.id}.png\t{s.text}\ttrain\n"
    assert store.strokes(s.id)[2] == [(80.0, 20.0)]
    # reopening reads the same samples back
    again = UserSampleStore(tmp_path / "s")
    assert [x.id for x in again.samples()] == [s.id] and again.samples()[0].text == s.text


def test_images_drawn_by_an_older_app_are_drawn_again_once(tmp_path: Path) -> None:
    # Before session 30 a sample's image was its strokes in the pen on screen; now the model reads
    # them in a pen sized to the writing, and fine-tuning must train on what reading sees.
    store = UserSampleStore(tmp_path / "s")
    _fill(store, 3)
    mark = tmp_path / "s" / "images" / ".rendered"
    assert mark.read_text("utf-8") == str(READING_RENDER_VERSION)
    current = {s.id: cv2.imread(str(s.image_path), cv2.IMREAD_GRAYSCALE) for s in store.samples()}
    for s in store.samples():  # what the old app stored: a 12-px screen pen
        assert cv2.imwrite(str(s.image_path), render_strokes(store.strokes(s.id), pen_width=12.0))
    assert not any(np.array_equal(cv2.imread(str(s.image_path), 0), current[s.id]) for s in store.samples())

    UserSampleStore(tmp_path / "s")  # the mark is current: the images are left as they are
    assert not any(np.array_equal(cv2.imread(str(s.image_path), 0), current[s.id]) for s in store.samples())

    mark.unlink()  # a store from before the mark
    again = UserSampleStore(tmp_path / "s")
    assert all(np.array_equal(cv2.imread(str(s.image_path), 0), current[s.id]) for s in again.samples())
    assert [s.id for s in again.samples()] == list(current)
    assert mark.read_text("utf-8") == str(READING_RENDER_VERSION)


def test_a_folder_stays_unmarked_until_every_old_image_is_drawn_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = UserSampleStore(tmp_path / "s")
    _fill(store, 3)
    mark = tmp_path / "s" / "images" / ".rendered"
    current = {s.id: cv2.imread(str(s.image_path), cv2.IMREAD_GRAYSCALE) for s in store.samples()}
    for s in store.samples():
        assert cv2.imwrite(str(s.image_path), render_strokes(store.strokes(s.id), pen_width=12.0))
    mark.unlink()
    stuck = store.samples()[1].image_path
    write = userdata.atomic_write_bytes

    def failing_write(path: Path, data: bytes) -> None:
        if Path(path) == stuck:
            raise PermissionError(13, "Permission denied", str(path))
        write(path, data)

    monkeypatch.setattr(userdata, "atomic_write_bytes", failing_write)
    opened = UserSampleStore(tmp_path / "s")  # opens, with that one image as it was
    assert len(opened) == 3 and not mark.exists()
    assert not np.array_equal(cv2.imread(str(stuck), 0), current[store.samples()[1].id])
    monkeypatch.setattr(userdata, "atomic_write_bytes", write)
    again = UserSampleStore(tmp_path / "s")  # the next opening draws it
    assert all(np.array_equal(cv2.imread(str(s.image_path), 0), current[s.id]) for s in again.samples())
    assert mark.read_text("utf-8") == str(READING_RENDER_VERSION)


def test_refuses_empty_text_strokes_and_duplicates(tmp_path: Path) -> None:
    store = UserSampleStore(tmp_path)
    with pytest.raises(HwrError, match="no text"):
        store.add(_strokes(0), "   ")
    with pytest.raises(HwrError, match="no strokes"):
        store.add([], "hello")
    with pytest.raises(HwrError, match="no strokes"):
        store.add([[(float("nan"), 1.0)]], "hello")
    store.add(_strokes(0), "hello")
    with pytest.raises(HwrError, match="already stored"):
        store.add(_strokes(0), "other")
    assert len(store) == 1


def test_edit_delete_filter(tmp_path: Path) -> None:
    store = UserSampleStore(tmp_path)
    _fill(store, 6)
    ids = [s.id for s in store.samples()]
    store.update_label(ids[1], "Xin chào")
    assert store.get(ids[1]).text == "Xin chào"
    assert json.loads(store.get(ids[1]).meta_path.read_text("utf-8"))["text"] == "Xin chào"
    with pytest.raises(HwrError):
        store.update_label(ids[1], " ")
    assert [s.id for s in store.filter("CHÀO")] == [ids[1]]
    assert len(store.filter("word")) == 5 and len(store.filter("")) == 6
    deleted = store.get(ids[2])
    store.delete(ids[2])
    assert ids[2] not in store and not deleted.image_path.exists() and not deleted.meta_path.exists()
    with pytest.raises(HwrError):
        store.delete(ids[2])
    reopened = UserSampleStore(tmp_path)
    assert [s.id for s in reopened.samples()] == [i for i in ids if i != ids[2]]
    assert reopened.get(ids[1]).text == "Xin chào"
    # labels.tsv is a normal dataset file: the project's reader takes it as it is
    records, report = read_labels_tsv(tmp_path / "labels.tsv")
    assert report.usable == 5 and {r.split for r in records} == {"train", "val"}
    assert not list(tmp_path.glob(".labels.tsv.*"))  # no temp files left behind


def test_split_holds_out_at_least_20_percent_deterministically(tmp_path: Path) -> None:
    assert split_ids([]) == {} and split_ids(["a"]) == {"a": "train"}
    for n in (2, 3, 5, 10, 37, 200):
        ids = [f"{k:016x}" for k in range(n)]
        split = split_ids(ids)
        n_val = sum(v == "val" for v in split.values())
        assert n_val >= max(1, math.ceil(0.2 * n)) and n_val <= n - 1, n
        assert split_ids(list(reversed(ids))) == split  # a function of the ids, not their order
    store = UserSampleStore(tmp_path)
    _fill(store, 12)
    val = store.records("val")
    assert len(val) >= 3 and len(store.records("train")) + len(val) == 12
    assert all(r.source == "user" and r.path is not None and r.path.exists() for r in val)
    # growing the set keeps most held-out samples held out (hash threshold, not a re-shuffle)
    before = {r.path for r in val}
    _fill(store, 20, start=100)
    after = {r.path for r in store.records("val")}
    assert len(before & after) >= len(before) - 1


def test_zip_round_trip_merges_and_skips_duplicates(tmp_path: Path) -> None:
    a = UserSampleStore(tmp_path / "a")
    _fill(a, 5)
    a.update_label(a.samples()[0].id, "edited")
    z = a.export_zip(tmp_path / "out" / "mine.zip")
    with zipfile.ZipFile(z) as zf:
        names = set(zf.namelist())
    assert "labels.tsv" in names and len(names) == 11

    b = UserSampleStore(tmp_path / "b")
    _fill(b, 2, start=3)  # two of a's samples already here
    assert b.import_zip(z) == 3
    assert len(b) == 5 and b.import_zip(z) == 0
    assert {s.text for s in b.samples()} == {s.text for s in a.samples()}
    assert "edited" in {s.text for s in b.samples()}
    assert all(s.image_path.exists() for s in b.samples())


def _zip(path: Path, members: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_import_refuses_zip_slip_and_foreign_files(tmp_path: Path) -> None:
    store = UserSampleStore(tmp_path / "s")
    good = json.dumps({"text": "hi", "strokes": _strokes(1), "pen_width": 3.0, "created": ""})
    sid = "0123456789abcdef"
    for bad in (
        f"../strokes/{sid}.json",
        f"/etc/{sid}.json",
        f"strokes\\..\\{sid}.json",
        "notes.txt",
        "strokes/evil.json",
    ):
        z = _zip(tmp_path / "bad.zip", {f"strokes/{sid}.json": good, bad: good})
        with pytest.raises(HwrError, match="refusing the zip"):
            store.import_zip(z)
    assert len(store) == 0 and not (tmp_path / "strokes").exists()
    with pytest.raises(HwrError, match="not a valid sample file"):
        store.import_zip(_zip(tmp_path / "junk.zip", {f"strokes/{sid}.json": "{not json"}))
    with pytest.raises(HwrError, match="not a valid strokes file"):
        store.import_zip(_zip(tmp_path / "junk.zip", {f"strokes/{sid}.json": '{"strokes": [[["x", 1]]]}'}))
    with pytest.raises(HwrError, match="holds no samples"):
        store.import_zip(_zip(tmp_path / "empty.zip", {"labels.tsv": ""}))
    (tmp_path / "nozip.zip").write_bytes(b"hello")
    with pytest.raises(HwrError, match="cannot open"):
        store.import_zip(tmp_path / "nozip.zip")
    assert store.import_zip(_zip(tmp_path / "ok.zip", {f"strokes/{sid}.json": good})) == 1


def _scan(k: int, size: tuple[int, int] = (60, 240)) -> np.ndarray:
    """A distinct photo-like line per k: grey paper, dark writing."""
    image = np.full(size, 200, np.uint8)
    cv2.putText(image, f"line {k}", (8, size[0] - 15), cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, 1.2, 40, 2)
    return image


def test_kept_images_are_samples_beside_drawings(tmp_path: Path) -> None:
    store = UserSampleStore(tmp_path)
    _fill(store, 3)
    s = store.add_image(np.dstack([_scan(0)] * 3), " Số 12  đường ", source="page.jpg")
    assert not s.drawn and all(x.drawn for x in store.samples()[:3])
    assert s.meta_path == tmp_path / "scans" / f"{s.id}.json" and s.source == "page.jpg"
    assert np.array_equal(cv2.imread(str(s.image_path), cv2.IMREAD_GRAYSCALE), _scan(0))  # kept as it was
    assert json.loads(s.meta_path.read_text("utf-8"))["text"] == normalize_text("Số 12 đường")
    with pytest.raises(HwrError, match="already stored"):
        store.add_image(_scan(0), "again")
    with pytest.raises(HwrError, match="blank"):
        store.add_image(np.full((50, 200), 180, np.uint8), "nothing")
    with pytest.raises(HwrError, match="no text"):
        store.add_image(_scan(1), "  ")
    with pytest.raises(HwrError, match="no strokes"):
        store.strokes(s.id)
    # a huge photo is kept scaled down to the pixel cap, its writing intact
    big = store.add_image(cv2.resize(_scan(2), None, fx=12, fy=12), "line 2")
    kept = cv2.imread(str(big.image_path), cv2.IMREAD_GRAYSCALE)
    assert kept.shape[0] * kept.shape[1] <= userdata.MAX_IMAGE_PIXELS and kept.min() < 100
    # edits, reopening (an image is never drawn again) and deletion work as for drawings
    store.update_label(s.id, "Số 13")
    reopened = UserSampleStore(tmp_path)
    assert [x.id for x in reopened.samples()] == [x.id for x in store.samples()]
    assert reopened.get(s.id).text == "Số 13" and reopened.get(s.id).source == "page.jpg"
    assert {r.path for r in reopened.records()} == {x.image_path for x in store.samples()}
    big.image_path.unlink()  # the only copy of a kept image: its sample goes, with a warning
    assert big.id not in UserSampleStore(tmp_path)
    store.delete(s.id)
    assert not s.image_path.exists() and not s.meta_path.exists() and s.id not in UserSampleStore(tmp_path)


def test_add_images_keeps_what_it_can_and_rewrites_the_labels_once(tmp_path: Path, monkeypatch) -> None:
    store = UserSampleStore(tmp_path)
    writes: list[int] = []
    real = store._write_labels
    monkeypatch.setattr(store, "_write_labels", lambda: writes.append(1) or real())
    items = [(_scan(k), f"line {k}", f"p{k}.png") for k in range(3)] + [(_scan(0), "again", "p.png")]
    kept, refused = store.add_images(iter(items))  # a generator will do
    assert [s.source for s in kept] == ["p0.png", "p1.png", "p2.png"] and len(writes) == 1
    assert len(refused) == 1 and "already stored" in refused[0]
    assert [s.text for s in UserSampleStore(tmp_path).samples()] == ["line 0", "line 1", "line 2"]


def test_zip_round_trip_carries_kept_images(tmp_path: Path) -> None:
    a = UserSampleStore(tmp_path / "a")
    _fill(a, 2)
    kept = [a.add_image(_scan(k), f"line {k}", source=f"p{k}.png") for k in range(3)]
    z = a.export_zip(tmp_path / "a.zip")
    b = UserSampleStore(tmp_path / "b")
    b.add_image(_scan(0), "line 0")  # already here: skipped
    assert b.import_zip(z) == 4 and len(b) == 5 and b.import_zip(z) == 0
    for s in kept:
        assert np.array_equal(
            cv2.imread(str(b.get(s.id).image_path), cv2.IMREAD_GRAYSCALE), _scan(int(s.text[-1]))
        )
    assert b.get(kept[2].id).source == "p2.png"
    # a kept image's file is checked like a loaded one: not an image, or a pixel bomb, refuses the zip
    sid = "0123456789abcdef"
    meta = json.dumps({"text": "hi", "source": "", "created": ""})
    files = sorted(p.name for p in (tmp_path / "b").rglob("*"))
    good = json.dumps({"text": "new", "strokes": _strokes(50), "pen_width": 3.0, "created": ""})
    bad = {f"strokes/{'a' * 16}.json": good, f"scans/{sid}.json": meta, f"images/{sid}.png": "not a png"}
    with pytest.raises(HwrError, match="refusing the zip"):
        b.import_zip(_zip(tmp_path / "bad.zip", bad))
    # all or nothing: the good drawing written before the bad image was found is gone again
    assert len(b) == 5 and sorted(p.name for p in (tmp_path / "b").rglob("*")) == files
    assert len(UserSampleStore(tmp_path / "b")) == 5
    ok, bomb = cv2.imencode(".png", np.full((3000, 3000), 255, np.uint8))
    with zipfile.ZipFile(tmp_path / "bomb.zip", "w") as zf:
        zf.writestr(f"scans/{sid}.json", meta)
        zf.writestr(f"images/{sid}.png", bomb.tobytes())
    with pytest.raises(HwrError, match="refusing the zip"):
        b.import_zip(tmp_path / "bomb.zip")
    # a kept image's JSON without its image is skipped, not imported as nothing
    assert b.import_zip(_zip(tmp_path / "half.zip", {f"scans/{sid}.json": meta})) == 0
    assert len(b) == 5


def test_line_samples_pair_a_pages_lines_with_the_texts_lines() -> None:
    from hwr_core.recognizer import RecognitionResult

    def read(crop: np.ndarray | None = None, lines: tuple[RecognitionResult, ...] = ()) -> RecognitionResult:
        return RecognitionResult(
            "", 0.5, (), np.zeros((1, 2), np.float32), np.zeros((2, 2)), lines=lines, crop=crop
        )

    page, crops = _scan(9), [_scan(k) for k in range(3)]
    whole = read()
    assert [(c is page, t) for c, t in userdata.line_samples(page, whole, "a b\n")] == [(True, "a b")]
    with pytest.raises(HwrError, match="read as 1 line but the text has 2 lines"):
        userdata.line_samples(page, whole, "a\nb")
    split = read(lines=tuple(read(c) for c in crops))
    pairs = userdata.line_samples(page, split, "one\n\nthree\n\n")  # an empty line skips its line
    assert [(c is crops[k], t) for (c, t), k in zip(pairs, (0, 2), strict=True)] == [
        (True, "one"),
        (True, "three"),
    ]
    with pytest.raises(HwrError, match="read as 3 lines but the text has 2"):
        userdata.line_samples(page, split, "one\ntwo")
    with pytest.raises(HwrError, match="no text"):
        userdata.line_samples(page, split, "\n \n")


def test_default_folder_is_under_the_user_data_dir() -> None:
    path = default_user_data_dir()
    assert path.name == "samples" and "hwr-studio" in str(path)


# ------------------------------------------------------------------------------ prompts


def test_vietnamese_prompts_cover_every_letter() -> None:
    prompts = load_prompts("vi")
    text = "".join(prompts)
    missing = [c for c in VIETNAMESE_LETTERS if c not in text]
    assert not missing, f"no prompt has {''.join(missing)}"
    assert len(VIETNAMESE_LETTERS) == 134
    for p in prompts + load_prompts("en"):
        assert p == normalize_text(p) and 1 <= len(p.split()) <= 4, p


def test_prompt_deck_cycles_and_favours_unwritten_letters() -> None:
    deck = PromptDeck(("en",), seed=3)
    n = len(deck)
    first = [deck.next() for _ in range(n)]
    assert sorted(first) == sorted(load_prompts("en"))  # one full pass deals each prompt once
    assert PromptDeck(("en",), seed=3).next() == first[0]  # repeatable
    assert deck.next() in first  # then it starts over

    # with a history, prompts with letters written least come first (the same shuffle otherwise)
    history = [p for p in load_prompts("vi") if not set("ỵỹẵẫ") & set(p.casefold())][:120]
    counts = Counter(c for p in history for c in p.casefold() if c.isalpha())

    def rarity(p: str) -> float:
        return sum(1.0 / (1.0 + counts[c]) for c in {c for c in p.casefold() if c.isalpha()})

    favouring = PromptDeck(("vi",), seed=0, written=history)
    plain = PromptDeck(("vi",), seed=0)
    fav = [rarity(favouring.next()) for _ in range(30)]
    base = [rarity(plain.next()) for _ in range(30)]
    assert sum(fav) > 1.5 * sum(base)
