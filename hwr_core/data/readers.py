"""Readers for the label formats we meet: our labels.tsv, IAM, Kaggle CSV, Cinnamon JSON.

Every reader returns `(records, report)`. A bad *row* never raises: it is skipped and counted by
reason, so one typo does not cost a night of training. The *file* being unusable does raise a
one-line `DatasetError`: missing, unreadable, wrong format, a requested split that is absent, or no
usable rows at all.
"""

from __future__ import annotations

import csv
import json
import logging
import os
from collections.abc import Iterable
from pathlib import Path

from ..charset import CTCCodec, normalize_text
from ..errors import DatasetError
from ..image_pages import image_exists, split_page_path
from .records import ReadReport, Record

log = logging.getLogger(__name__)

__all__ = ["clean_text", "read_labels_tsv", "read_iam", "read_kaggle_csv", "read_cinnamon_json"]

IAM_LEVELS = ("lines", "words")


def clean_text(text: str) -> str:
    """Normalised label text: NFC + one tone convention, stripped, whitespace runs collapsed to one space."""
    return " ".join(normalize_text(text).split())


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _RowChecker:
    """The checks shared by all readers, in one order, so reports read the same for every format."""

    def __init__(self, report: ReadReport, codec: CTCCodec | None, check_images: bool = False) -> None:
        self.report = report
        self.codec = codec
        self.check_images = check_images
        self._seen: set[tuple[str, str]] = set()

    def accept(self, where: str, raw_path: str, image: Path, raw_text: str) -> str | None:
        """The cleaned text if the row is usable, else None (the reason is recorded)."""
        report = self.report
        text = clean_text(raw_text)
        if not text:
            report.skip("empty text", f"{where}: empty text {raw_path}")
            return None
        key = (raw_path, text)
        if key in self._seen:
            report.skip("duplicate row", f"{where}: duplicate row {raw_path}")
            return None
        self._seen.add(key)
        if self.codec is not None:
            unknown = sorted({c for c in text if c not in self.codec})
            if unknown:
                shown = " ".join(f"{c!r} (U+{ord(c):04X})" for c in unknown)
                report.skip(
                    "characters outside the alphabet",
                    f"{where}: characters outside the alphabet {shown} in {_short(text)!r}",
                )
                return None
        # a cheap stat (a page's: its file's); opening every image is only done on request.
        if not image_exists(image):
            report.skip("missing image", f"{where}: missing image {raw_path}")
            return None
        if self.check_images and not _image_ok(image):
            report.skip("unreadable image", f"{where}: unreadable image {raw_path}")
            return None
        return text


def _image_ok(path: Path) -> bool:
    from PIL import Image  # local: only needed with check_images

    try:
        with Image.open(split_page_path(path)[0]) as im:  # a page's file: verify checks all of it
            im.verify()
    except Exception:  # noqa: BLE001 - any decoder failure means "unreadable"
        return False
    return True


def _finish(records: list[Record], report: ReadReport, what: str) -> tuple[list[Record], ReadReport]:
    report.usable = len(records)
    if not records:
        raise DatasetError(f"{what}: no usable rows ({report.summary()})")
    if report.skipped_total:
        log.info("%s", report.summary())
    return records, report


def _source_name(path: Path) -> str:
    """Dataset name for reports: the folder for generic file names (labels.tsv), else the file stem."""
    if path.stem.lower() in ("labels", "label", "gt", "ground_truth") and path.parent.name:
        return path.parent.name
    return path.stem


def _read_bytes(path: Path, what: str) -> bytes:
    if not path.exists():
        raise DatasetError(f"no such file: {path}")
    if path.is_dir():
        raise DatasetError(f"{path} is a folder, expected a {what} file")
    try:
        return path.read_bytes()
    except OSError as e:
        raise DatasetError(f"cannot read {path}: {e.strerror or e}") from e


def _split_error(split: str, name: str, present: Iterable[str]) -> DatasetError:
    names = sorted(set(present))
    listed = ", ".join(names) if names else "none (the file has no split column)"
    return DatasetError(f"split {split!r} not found in {name}; splits present: {listed}")


# --------------------------------------------------------------------------------------------- TSV


def read_labels_tsv(
    path: str | os.PathLike[str],
    split: str | None = None,
    codec: CTCCodec | None = None,
    check_images: bool = False,
    *,
    source: str | None = None,
) -> tuple[list[Record], ReadReport]:
    """`relative_path \\t text [\\t split]` per line, UTF-8, no header; paths relative to the file's folder.

    A folder is accepted too and means its `labels.tsv`.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "labels.tsv"
    data = _read_bytes(path, "labels.tsv")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    base = path.parent
    report = ReadReport(source or _source_name(path))
    checker = _RowChecker(report, codec, check_images)
    records: list[Record] = []
    splits_present: set[str] = set()
    for lineno, raw in enumerate(data.split(b"\n"), start=1):
        raw = raw.rstrip(b"\r")
        if not raw.strip():
            continue  # blank lines (often a trailing one) are not rows
        where = f"line {lineno}"
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            report.rows += 1
            report.skip("not UTF-8", f"{where}: not UTF-8 {_short(raw.decode('utf-8', 'replace'))}")
            continue
        cols = line.split("\t")
        if len(cols) not in (2, 3):
            report.rows += 1  # its split is unknown: counted whatever split was asked for
            report.skip("wrong column count", f"{where}: wrong column count ({len(cols)}) {_short(line)}")
            continue
        row_split = (cols[2].strip() or None) if len(cols) == 3 else None
        if row_split is not None:
            splits_present.add(row_split)
        if split is not None and row_split != split:
            continue  # other splits (and split-less rows) are filtered, not skipped
        report.rows += 1
        rel = cols[0].strip()
        if not rel:
            report.skip("missing image", f"{where}: missing image (empty path)")
            continue
        image = base / rel
        text = checker.accept(where, rel, image, cols[1])
        if text is not None:
            records.append(Record(text=text, path=image, split=row_split, source=report.source))
    if split is not None and split not in splits_present:
        raise _split_error(split, path.name, splits_present)
    return _finish(records, report, str(path))


# --------------------------------------------------------------------------------------------- IAM


def _iam_label_file(root: Path, level: str) -> Path:
    for cand in (root / "ascii" / f"{level}.txt", root / f"{level}.txt"):
        if cand.is_file():
            return cand
    raise DatasetError(f"no IAM {level}.txt in {root} (looked for ascii/{level}.txt and {level}.txt)")


def _iam_split_ids(root: Path, split: str) -> set[str] | None:
    """Ids listed in root/splits/{split}.txt (form, line or word ids), or None when IAM has no split files."""
    split_dir = root / "splits"
    split_file = split_dir / f"{split}.txt"
    if not split_dir.is_dir():
        log.warning("IAM at %s has no splits/ folder: split %r ignored, all rows used", root, split)
        return None
    if not split_file.is_file():
        raise _split_error(split, f"{split_dir}", (p.stem for p in split_dir.glob("*.txt")))
    ids = set()
    for line in split_file.read_text("utf-8", errors="replace").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            ids.add(line.split()[0])
    return ids


def read_iam(
    root: str | os.PathLike[str],
    split: str | None = None,
    level: str = "lines",
    codec: CTCCodec | None = None,
) -> tuple[list[Record], ReadReport]:
    """The IAM database layout: ascii/lines.txt (or words.txt) and lines/a01/a01-000u/a01-000u-00.png.

    `split` uses root/splits/{split}.txt (one form, line or word id per line) when that folder
    exists; IAM itself ships no split files, so without the folder the split is ignored.
    """
    root = Path(root)
    if level not in IAM_LEVELS:
        raise DatasetError(f"IAM level must be one of {', '.join(IAM_LEVELS)}, got {level!r}")
    if not root.is_dir():
        raise DatasetError(f"no such folder: {root}" if not root.exists() else f"{root} is not a folder")
    label_file = _iam_label_file(root, level)
    data = _read_bytes(label_file, f"IAM {level}.txt")
    wanted = _iam_split_ids(root, split) if split is not None else None
    report = ReadReport(f"iam_{level}")
    checker = _RowChecker(report, codec)
    records: list[Record] = []
    image_root = root / level
    for lineno, raw in enumerate(data.split(b"\n"), start=1):
        line = raw.rstrip(b"\r").decode("utf-8", errors="replace")
        if not line.strip() or line.startswith("#"):
            continue
        where = f"line {lineno}"
        fields = line.split(" ")
        # Both files have 8 fields before the transcription (lines: id status gray ncomp x y w h;
        # words: id status gray x y w h tag).
        ids = fields[0].split("-")
        if wanted is not None:
            form = "-".join(ids[:2])
            line_id = "-".join(ids[:3])
            if not ({fields[0], form, line_id} & wanted):
                continue
        report.rows += 1
        if len(fields) < 9 or len(ids) < (3 if level == "lines" else 4):
            report.skip("wrong column count", f"{where}: wrong column count {_short(line)}")
            continue
        if level == "words" and fields[1] == "err":
            # Word segmentation errors: the box is wrong. For lines `err` only concerns words.
            report.skip("segmentation error", f"{where}: segmentation error {fields[0]}")
            continue
        text = " ".join(fields[8:])
        if level == "lines":
            text = text.replace("|", " ")
        rel = f"{ids[0]}/{ids[0]}-{ids[1]}/{fields[0]}.png"
        image = image_root / rel
        if not os.path.exists(image) and os.path.exists(image.with_suffix(".jpg")):
            image = image.with_suffix(".jpg")  # re-encoded copies circulate as JPEG
        text_ok = checker.accept(where, f"{level}/{rel}", image, text)
        if text_ok is not None:
            records.append(Record(text=text_ok, path=image, split=split, source=report.source))
    return _finish(records, report, str(label_file))


# ------------------------------------------------------------------------------------------ Kaggle

_KAGGLE_EMPTY = {"", "EMPTY", "NAN", "NONE", "NULL"}


def _kaggle_image_dir(csv_path: Path, first_files: list[str]) -> Path:
    """Kaggle's layout: written_name_train_v2.csv next to train_v2/train/*.jpg (or train_v2/*.jpg)."""
    stem = csv_path.stem
    name = stem[len("written_name_") :] if stem.startswith("written_name_") else stem
    base = csv_path.parent / name
    candidates = [base]
    if base.is_dir():
        candidates = [d for d in sorted(base.iterdir()) if d.is_dir()] + [base]
    candidates.append(csv_path.parent)
    probe = [f for f in first_files if f][:5]
    for cand in candidates:
        if probe and any((cand / f).exists() for f in probe):
            return cand
    return next((c for c in candidates if c.is_dir()), csv_path.parent)


def read_kaggle_csv(
    csv_path: str | os.PathLike[str],
    image_dir: str | os.PathLike[str] | None = None,
    split: str | None = None,
    codec: CTCCodec | None = None,
) -> tuple[list[Record], ReadReport]:
    """Kaggle "handwriting-recognition" CSV: header FILENAME,IDENTITY (an optional SPLIT column is honoured).

    Without a SPLIT column, `split` must name the CSV itself ("train" for written_name_train_v2.csv,
    "val" for ..._validation_v2.csv): Kaggle ships one CSV per split.
    """
    csv_path = Path(csv_path)
    data = _read_bytes(csv_path, "CSV")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")  # old Kaggle exports; names are ASCII anyway
        log.warning("%s is not UTF-8; read as Latin-1", csv_path)
    rows = list(csv.reader(text.splitlines()))
    if not rows:
        raise DatasetError(f"{csv_path} is empty")
    header = [h.strip().upper() for h in rows[0]]
    if "FILENAME" not in header or "IDENTITY" not in header:
        raise DatasetError(f"{csv_path}: expected a header FILENAME,IDENTITY, got {','.join(rows[0])!r}")
    i_file, i_text = header.index("FILENAME"), header.index("IDENTITY")
    i_split = header.index("SPLIT") if "SPLIT" in header else None
    if split is not None and i_split is None:
        stem = csv_path.stem.lower()
        aliases = {"val": ("val", "validation"), "valid": ("val", "validation")}.get(split, (split,))
        if not any(a in stem for a in aliases):
            raise DatasetError(
                f"split {split!r} not found in {csv_path.name}: it has no SPLIT column (use the CSV of that split)"
            )
    body = rows[1:]
    folder = (
        Path(image_dir)
        if image_dir is not None
        else _kaggle_image_dir(csv_path, [r[i_file] for r in body[:20] if len(r) > i_file])
    )
    if image_dir is not None and not folder.is_dir():
        raise DatasetError(f"no such folder: {folder}")
    report = ReadReport(_source_name(csv_path))
    checker = _RowChecker(report, codec)
    records: list[Record] = []
    splits_present: set[str] = set()
    for lineno, row in enumerate(body, start=2):
        if not any(c.strip() for c in row):
            continue
        where = f"line {lineno}"
        row_split = row[i_split].strip() if i_split is not None and len(row) > i_split else None
        if row_split:
            splits_present.add(row_split)
        if split is not None and i_split is not None and row_split != split:
            continue
        report.rows += 1
        if len(row) != len(header):
            report.skip(
                "wrong column count", f"{where}: wrong column count ({len(row)}) {_short(','.join(row))}"
            )
            continue
        fname, label = row[i_file].strip(), row[i_text].strip()
        if label.upper() == "UNREADABLE":
            report.skip("UNREADABLE label", f"{where}: UNREADABLE label {fname}")
            continue
        if label.upper() in _KAGGLE_EMPTY:
            report.skip("empty text", f"{where}: empty text {fname}")
            continue
        text_ok = checker.accept(where, fname, folder / fname, label)
        if text_ok is not None:
            records.append(
                Record(text=text_ok, path=folder / fname, split=row_split or split, source=report.source)
            )
    if split is not None and i_split is not None and split not in splits_present:
        raise _split_error(split, csv_path.name, splits_present)
    return _finish(records, report, str(csv_path))


# ---------------------------------------------------------------------------------------- Cinnamon


def read_cinnamon_json(
    json_path: str | os.PathLike[str], codec: CTCCodec | None = None
) -> tuple[list[Record], ReadReport]:
    """Cinnamon-style labels.json: {"file_name.png": "text", ...}, images relative to the JSON's folder."""
    json_path = Path(json_path)
    if json_path.is_dir():
        json_path = json_path / "labels.json"
    data = _read_bytes(json_path, "labels.json")
    try:
        labels = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise DatasetError(f"{json_path} is not valid UTF-8 JSON: {e}") from e
    if not isinstance(labels, dict):
        raise DatasetError(
            f"{json_path}: expected an object {{file name: text}}, got {type(labels).__name__}"
        )
    report = ReadReport(_source_name(json_path))
    checker = _RowChecker(report, codec)
    records: list[Record] = []
    base = json_path.parent
    for i, (fname, label) in enumerate(labels.items(), start=1):
        report.rows += 1
        where = f"entry {i}"
        if not isinstance(label, str):
            report.skip("not a text", f"{where}: not a text {fname}: {_short(repr(label))}")
            continue
        text_ok = checker.accept(where, fname, base / fname, label)
        if text_ok is not None:
            records.append(Record(text=text_ok, path=base / fname, source=report.source))
    return _finish(records, report, str(json_path))
