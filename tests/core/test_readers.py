"""Readers and data specs on tiny fixtures written to tmp_path (no real dataset files are copied)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from hwr_core.charset import DEFAULT_ALPHABET, CTCCodec, normalize_text
from hwr_core.data import (
    DataSpec,
    ReadReport,
    load_records,
    parse_spec,
    read_cinnamon_json,
    read_iam,
    read_kaggle_csv,
    read_labels_tsv,
)
from hwr_core.errors import DatasetError


def png(path: Path, size: tuple[int, int] = (12, 8)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("L", size, 255).save(path)
    return path


def write_tsv(
    folder: Path, lines: list[str], images: list[str], *, crlf: bool = False, bom: bool = False
) -> Path:
    for name in images:
        png(folder / name)
    data = ("\r\n" if crlf else "\n").join(lines).encode("utf-8")
    path = folder / "labels.tsv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data + b"\n")
    return path


# ------------------------------------------------------------------------------------------ TSV


def test_tsv_three_columns_crlf_bom(tmp_path: Path) -> None:
    path = write_tsv(
        tmp_path / "ds",
        [
            "images/a.png\tSố 12  đường\ttrain",
            "images/b.png\thoà bình\tval",
            "",
            "images/c.png\t  x  \ttrain",
        ],
        ["images/a.png", "images/b.png", "images/c.png"],
        crlf=True,
        bom=True,
    )
    records, report = read_labels_tsv(path)
    assert [r.text for r in records] == ["Số 12 đường", normalize_text("hoà bình"), "x"]
    assert records[0].path == tmp_path / "ds" / "images" / "a.png"
    assert [r.split for r in records] == ["train", "val", "train"]
    assert report.source == "ds" and report.rows == 3 and report.usable == 3 and not report.skipped
    assert all(r.source == "ds" for r in records)


def test_tsv_two_columns_and_folder_path(tmp_path: Path) -> None:
    write_tsv(tmp_path, ["a.png\tabc", "b.png\tdef"], ["a.png", "b.png"])
    records, report = read_labels_tsv(tmp_path)  # a folder means its labels.tsv
    assert [r.text for r in records] == ["abc", "def"]
    assert all(r.split is None for r in records)
    assert report.summary() == f"{tmp_path.name}: 2 rows, 2 usable"


def test_tsv_bad_rows_are_counted_not_raised(tmp_path: Path) -> None:
    folder = tmp_path / "set"
    for name in ("ok.png", "dup.png", "empty.png", "odd.png", "latin1.png"):
        png(folder / name)
    lines = [
        b"ok.png\tgood\ttrain",
        b"dup.png\tsame\ttrain",
        b"dup.png\tsame\ttrain",  # duplicate row: first one kept
        b"empty.png\t   \ttrain",  # empty text
        b"odd.png\ttoo\tmany\tcolumns",  # wrong column count
        b"justonecolumn",  # wrong column count
        b"latin1.png\tcaf\xe9\ttrain",  # not UTF-8
        b"gone.png\tmissing\ttrain",  # missing image
        b"ab\xc3.png\tx\ttrain",  # truncated UTF-8 sequence
    ]
    (folder / "labels.tsv").write_bytes(b"\n".join(lines))
    records, report = read_labels_tsv(folder / "labels.tsv")
    assert [r.text for r in records] == ["good", "same"]
    assert report.rows == 9 and report.usable == 2
    assert report.skipped == {
        "duplicate row": 1,
        "empty text": 1,
        "wrong column count": 2,
        "not UTF-8": 2,
        "missing image": 1,
    }
    assert report.skipped_total + report.usable == report.rows
    assert any(e.startswith("line 8: missing image gone.png") for e in report.examples)
    assert "skipped 7 (" in report.summary() and "not UTF-8 2" in report.summary()


def test_tsv_codec_filters_unknown_characters(tmp_path: Path) -> None:
    path = write_tsv(tmp_path, ["a.png\tab c", "b.png\tabd", "c.png\tcab"], ["a.png", "b.png", "c.png"])
    records, report = read_labels_tsv(path, codec=CTCCodec(alphabet="abc "))
    assert [r.text for r in records] == ["ab c", "cab"]
    assert report.skipped == {"characters outside the alphabet": 1}
    assert "'d' (U+0064)" in report.examples[0]


def test_tsv_split_filter_and_unknown_split(tmp_path: Path) -> None:
    path = write_tsv(
        tmp_path,
        ["a.png\tone\ttrain", "b.png\ttwo\tval", "c.png\tthree\ttrain", "d.png\tfour"],
        ["a.png", "b.png", "c.png", "d.png"],
    )
    train, report = read_labels_tsv(path, split="train")
    assert [r.text for r in train] == ["one", "three"] and report.rows == 2
    val, _ = read_labels_tsv(path, split="val")
    assert [r.text for r in val] == ["two"]
    with pytest.raises(
        DatasetError, match=r"split 'tset' not found in labels.tsv; splits present: train, val"
    ):
        read_labels_tsv(path, split="tset")


def test_tsv_check_images_skips_unreadable(tmp_path: Path) -> None:
    path = write_tsv(tmp_path, ["a.png\tgood", "bad.png\tbroken"], ["a.png"])
    (tmp_path / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    records, _ = read_labels_tsv(path)  # existence only: cheap, both kept
    assert len(records) == 2
    records, report = read_labels_tsv(path, check_images=True)
    assert [r.text for r in records] == ["good"]
    assert report.skipped == {"unreadable image": 1}


def test_tsv_no_usable_rows_and_missing_file(tmp_path: Path) -> None:
    path = write_tsv(tmp_path, ["gone.png\ttext", "x.png\t"], [])
    with pytest.raises(DatasetError, match="no usable rows"):
        read_labels_tsv(path)
    with pytest.raises(DatasetError, match="no such file"):
        read_labels_tsv(tmp_path / "nope.tsv")


def test_report_merge_and_summary() -> None:
    a = ReadReport("a", rows=3, usable=2)
    a.skip("missing image", "line 1: missing image x.png")
    b = ReadReport("a", rows=5, usable=1)
    b.skip("empty text", "line 2: empty text y.png")
    b.skip("empty text", "line 3: empty text z.png")
    b.skip("missing image", "line 4: missing image w.png")
    b.skip("missing image", "line 5: missing image v.png")
    m = a.merge(b)
    assert (m.source, m.rows, m.usable) == ("a", 8, 3)
    assert m.skipped == {"missing image": 3, "empty text": 2}
    assert m.summary() == "a: 8 rows, 3 usable, skipped 5 (missing image 3, empty text 2)"
    assert len(m.examples) == 5


_TEXT = st.text(alphabet=st.sampled_from(DEFAULT_ALPHABET), min_size=1, max_size=30)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(_TEXT, min_size=1, max_size=8))
def test_tsv_roundtrips_any_text_over_the_alphabet(
    tmp_path_factory: pytest.TempPathFactory, texts: list[str]
) -> None:
    folder = tmp_path_factory.mktemp("prop")
    png(folder / "img.png")
    expected = [" ".join(normalize_text(t).split()) for t in texts]
    lines = [f"img.png\t{t}\ttrain" for t in texts]
    (folder / "labels.tsv").write_text("\n".join(lines), encoding="utf-8")
    if not any(expected):
        with pytest.raises(DatasetError):
            read_labels_tsv(folder / "labels.tsv")
        return
    records, report = read_labels_tsv(folder / "labels.tsv")
    # Same image + same text is a duplicate row: the first is kept; empty texts are skipped.
    want = list(dict.fromkeys(e for e in expected if e))
    assert [r.text for r in records] == want
    assert report.usable == len(want) and report.rows == len(texts)


# ------------------------------------------------------------------------------------------ IAM

IAM_LINES = """#--- lines.txt ---
# format: a01-000u-00 ok 154 19 408 746 1661 89 A|MOVE|to|stop|Mr.|Gaitskell|from
a01-000u-00 ok 154 19 408 746 1661 89 A|MOVE|to|stop|Mr.|Gaitskell|from
a01-000u-01 err 156 19 395 932 1850 105 nominating|any|more|Labour
a01-000x-00 ok 154 19 408 746 1661 89 image|is|gone
b02-010-03 ok 154 19 408 746 1661 89 it|'s|here|,|"
broken line
"""
IAM_WORDS = """# words.txt
a01-000u-00-00 ok 154 408 768 27 51 AT A
a01-000u-00-01 ok 154 507 766 213 48 NN MOVE
a01-000u-00-02 err 154 796 764 70 50 TO to
b02-010-03-00 ok 154 796 764 70 50 PPS it
"""


def make_iam(root: Path, with_ascii: bool = True) -> Path:
    labels = root / "ascii" if with_ascii else root
    labels.mkdir(parents=True)
    (labels / "lines.txt").write_text(IAM_LINES)
    (labels / "words.txt").write_text(IAM_WORDS)
    for lid in ("a01-000u-00", "a01-000u-01", "b02-010-03"):
        w, form = lid.split("-")[0], "-".join(lid.split("-")[:2])
        png(root / "lines" / w / form / f"{lid}.png")
    for wid in ("a01-000u-00-00", "a01-000u-00-01", "a01-000u-00-02", "b02-010-03-00"):
        w, form = wid.split("-")[0], "-".join(wid.split("-")[:2])
        png(root / "words" / w / form / f"{wid}.png")
    return root


def test_iam_lines(tmp_path: Path) -> None:
    root = make_iam(tmp_path / "iam")
    records, report = read_iam(root)
    assert [r.text for r in records] == [
        "A MOVE to stop Mr. Gaitskell from",
        "nominating any more Labour",
        "it 's here , \"",
    ]
    assert records[0].path == root / "lines" / "a01" / "a01-000u" / "a01-000u-00.png"
    assert report.skipped == {"missing image": 1, "wrong column count": 1}
    assert report.source == "iam_lines"


def test_untokenize_option_reads_transcriptions_as_people_write(tmp_path: Path) -> None:
    # IAM spaces its punctuation; a network trained on that learns to write "here ." (session 32).
    root = make_iam(tmp_path / "iam")
    records, _ = load_records(parse_spec(f"iam:{root}?untokenize=1"))
    assert [r.text for r in records] == [
        "A MOVE to stop Mr. Gaitskell from",
        "nominating any more Labour",
        "it's here, \"",  # a lone quote opens (untokenize's rule)
    ]
    path = write_tsv(
        tmp_path / "ds",
        ["a.png\tit 's here , he said .\ttrain", "b.png\tsố 12 : đường\ttrain"],
        ["a.png", "b.png"],
    )
    tokenized, _ = load_records(parse_spec(f"{path}?split=train"))
    assert [r.text for r in tokenized] == ["it 's here , he said .", "số 12 : đường"]
    records, _ = load_records(parse_spec(f"{path}?split=train&untokenize=yes&name=mine"))
    assert [r.text for r in records] == ["it's here, he said.", "số 12: đường"]
    assert [r.path for r in records] == [r.path for r in tokenized] and {r.source for r in records} == {
        "mine"
    }
    with pytest.raises(DatasetError, match="untokenize"):
        parse_spec(f"kaggle:{path}?untokenize=1")


def test_iam_words_skip_err_and_flat_layout(tmp_path: Path) -> None:
    root = make_iam(tmp_path / "iam", with_ascii=False)
    records, report = read_iam(root, level="words")
    assert [r.text for r in records] == ["A", "MOVE", "it"]
    assert records[1].path == root / "words" / "a01" / "a01-000u" / "a01-000u-00-01.png"
    assert report.skipped == {"segmentation error": 1}
    with pytest.raises(DatasetError, match="level"):
        read_iam(root, level="pages")


def test_iam_split_files(tmp_path: Path) -> None:
    root = make_iam(tmp_path / "iam")
    records, _ = read_iam(root, split="train")  # no splits/ folder: split ignored
    assert len(records) == 3
    (root / "splits").mkdir()
    (root / "splits" / "train.txt").write_text("a01-000u\n")
    (root / "splits" / "val.txt").write_text("b02-010-03\n")
    assert [r.text for r in read_iam(root, split="val")[0]] == ["it 's here , \""]
    assert len(read_iam(root, split="train")[0]) == 2
    assert [r.text for r in read_iam(root, split="val", level="words")[0]] == ["it"]
    with pytest.raises(DatasetError, match="split 'test' not found.*splits present: train, val"):
        read_iam(root, split="test")


def test_iam_missing_label_file(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="no IAM lines.txt"):
        read_iam(tmp_path / "empty")


# --------------------------------------------------------------------------------------- Kaggle


def test_kaggle_csv(tmp_path: Path) -> None:
    for i in range(1, 7):
        png(tmp_path / "validation_v2" / "validation" / f"VALIDATION_{i:04d}.jpg")
    csv_path = tmp_path / "written_name_validation_v2.csv"
    csv_path.write_text(
        "FILENAME,IDENTITY\n"
        "VALIDATION_0001.jpg,BILEL\n"
        "VALIDATION_0002.jpg,UNREADABLE\n"
        "VALIDATION_0003.jpg,EMPTY\n"
        "VALIDATION_0004.jpg,\n"
        'VALIDATION_0005.jpg,"JEAN-MICHEL"\n'
        "VALIDATION_0006.jpg,NaN\n"
        "VALIDATION_0009.jpg,LOST\n"
    )
    records, report = read_kaggle_csv(csv_path, split="val")
    assert [r.text for r in records] == ["BILEL", "JEAN-MICHEL"]
    assert records[0].path == tmp_path / "validation_v2" / "validation" / "VALIDATION_0001.jpg"
    assert report.skipped == {"UNREADABLE label": 1, "empty text": 3, "missing image": 1}
    assert report.rows == 7
    with pytest.raises(DatasetError, match="no SPLIT column"):
        read_kaggle_csv(csv_path, split="train")
    bad = tmp_path / "bad.csv"
    bad.write_text("name,label\nx,y\n")
    with pytest.raises(DatasetError, match="FILENAME,IDENTITY"):
        read_kaggle_csv(bad)


# ------------------------------------------------------------------------------------- Cinnamon


def test_cinnamon_json(tmp_path: Path) -> None:
    png(tmp_path / "0000_samples.png")
    png(tmp_path / "0001_samples.png")
    labels = {
        "0000_samples.png": "Số 253 đường Trần Phú",
        "0001_samples.png": "",
        "0002_samples.png": "x",
        "z": 3,
    }
    (tmp_path / "labels.json").write_text(json.dumps(labels, ensure_ascii=False), encoding="utf-8")
    records, report = read_cinnamon_json(tmp_path / "labels.json")
    assert [r.text for r in records] == ["Số 253 đường Trần Phú"]
    assert report.skipped == {"empty text": 1, "missing image": 1, "not a text": 1}
    (tmp_path / "list.json").write_text("[1, 2]")
    with pytest.raises(DatasetError, match="expected an object"):
        read_cinnamon_json(tmp_path / "list.json")


# ----------------------------------------------------------------------------------------- spec


def test_parse_spec_kinds_and_autodetect(tmp_path: Path) -> None:
    tsv_dir = tmp_path / "vnondb_word"
    write_tsv(tsv_dir, ["a.png\tab\ttrain"], ["a.png"])
    iam = make_iam(tmp_path / "iam")
    csv_path = tmp_path / "written_name_train_v2.csv"
    csv_path.write_text("FILENAME,IDENTITY\n")
    (tmp_path / "cin").mkdir()
    (tmp_path / "cin" / "labels.json").write_text("{}")
    fonts = tmp_path / "fonts"
    fonts.mkdir()
    (fonts / "X-Regular.ttf").write_bytes(b"")

    s = parse_spec(str(tsv_dir))
    assert (s.kind, s.path, s.split, s.weight, s.options) == ("tsv", tsv_dir / "labels.tsv", None, 1.0, {})
    assert s.name == "vnondb_word"
    assert parse_spec(str(tsv_dir / "labels.tsv")).kind == "tsv"
    assert parse_spec(str(iam)).kind == "iam"
    assert parse_spec(str(csv_path)).kind == "kaggle"
    assert parse_spec(str(tmp_path / "cin" / "labels.json")).kind == "cinnamon"
    assert parse_spec(str(tmp_path / "cin")).path == tmp_path / "cin" / "labels.json"
    assert parse_spec(str(fonts)).kind == "synth"

    s = parse_spec(f"iam:{iam}?split=val&weight=2.5&level=words")
    assert (s.kind, s.split, s.weight, s.options) == ("iam", "val", 2.5, {"level": "words"})
    s = parse_spec(f"synth:{fonts}?n=500&lang=en,vi&kind=line&fonts=Allura,Yomogi")
    assert s.options == {"n": "500", "lang": "en,vi", "kind": "line", "fonts": "Allura,Yomogi"}
    assert parse_spec(str(s)) == s  # __str__ gives a spec string back
    t = parse_spec(f"TSV:{tsv_dir}?split=train&weight=0.5")
    assert str(t) == f"tsv:{tsv_dir / 'labels.tsv'}?split=train&weight=0.5" and parse_spec(str(t)) == t


def test_parse_spec_errors(tmp_path: Path) -> None:
    write_tsv(tmp_path, ["a.png\tab"], ["a.png"])
    with pytest.raises(DatasetError, match=r"unknown data kind 'foo' in 'foo:bar' \(known: tsv, iam"):
        parse_spec("foo:bar")
    with pytest.raises(DatasetError, match="no such file"):
        parse_spec(f"tsv:{tmp_path / 'missing.tsv'}")
    with pytest.raises(DatasetError, match="no such file"):
        parse_spec(str(tmp_path / "missing"))
    with pytest.raises(DatasetError, match="weight"):
        parse_spec(f"{tmp_path}?weight=-1")
    with pytest.raises(DatasetError, match="unknown option 'spilt'"):
        parse_spec(f"{tmp_path}?spilt=train")
    with pytest.raises(DatasetError, match="key=value"):
        parse_spec(f"{tmp_path}?split")
    with pytest.raises(DatasetError, match="empty"):
        parse_spec("  ")
    other = tmp_path / "plain"
    other.mkdir()
    with pytest.raises(DatasetError, match="cannot tell"):
        parse_spec(str(other))


def test_parse_spec_colon_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A prefix that is not a known kind is part of the path when that path exists (e.g. "my:data").
    folder = tmp_path / "my:data"
    write_tsv(folder, ["a.png\tab"], ["a.png"])
    monkeypatch.chdir(tmp_path)
    assert parse_spec("my:data").path == Path("my:data") / "labels.tsv"
    assert parse_spec("tsv:my:data?split=x").split == "x"


def test_load_records_dispatch(tmp_path: Path) -> None:
    write_tsv(tmp_path / "ds", ["a.png\tab\ttrain", "b.png\tcd\tval"], ["a.png", "b.png"])
    records, report = load_records(parse_spec(f"{tmp_path / 'ds'}?split=val&name=mine"))
    assert [r.text for r in records] == ["cd"] and report.source == "mine" and records[0].source == "mine"
    records, _ = load_records(parse_spec(str(tmp_path / "ds")), codec=CTCCodec("ab"))
    assert [r.text for r in records] == ["ab"]
    fonts = tmp_path / "fonts"
    fonts.mkdir()
    (fonts / "X.ttf").write_bytes(b"")
    with pytest.raises(DatasetError, match="SyntheticSource"):
        load_records(parse_spec(str(fonts)))
    assert isinstance(parse_spec(str(fonts)), DataSpec)
