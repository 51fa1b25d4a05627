"""The user's own handwriting samples, collected in the app's Teach mode, as a plain dataset folder.

Layout (a normal `labels.tsv` dataset, so `hwr train --data FOLDER` reads it too):

    FOLDER/labels.tsv           images/<id>.png <TAB> text <TAB> train|val, one line per sample
    FOLDER/images/<id>.png      what the model learns from: a drawing's strokes as the model reads
                                them (`canvas_ink.render_for_reading`), or a kept image itself
    FOLDER/strokes/<id>.json    a drawn sample: {"text", "strokes", "pen_width", "created"}; the
                                strokes are the source of truth
    FOLDER/scans/<id>.json      a sample kept from an image (a line of a photo or scan): {"text",
                                "source", "created"}; its image is the source of truth
    FOLDER/images/.rendered     the `canvas_ink.READING_RENDER_VERSION` the drawings' images were
                                drawn with; an older one (or none) has each drawn again on opening

A sample's id is a hash of its strokes or its pixels, so the same drawing or image is never stored
twice and an import recognises samples it already has. The split is a deterministic function of the ids: a sample is
held out (`val`) when its id hashes below 0.25, topped up to at least 20% of the set (and one sample
from two on), so a growing set keeps its held-out samples apart from training. `labels.tsv` is
rewritten atomically after every change.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import logging
import math
import os
import re
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

import cv2
import numpy as np
import platformdirs

from . import APP_NAME
from .canvas_ink import READING_RENDER_VERSION, Point, clean_strokes, render_for_reading
from .charset import normalize_text
from .data.records import Record
from .errors import HwrError
from .fileio import atomic_write_bytes
from .image_io import decode_image_bytes, to_grayscale

if TYPE_CHECKING:
    from .recognizer import RecognitionResult

log = logging.getLogger(__name__)

__all__ = [
    "Sample",
    "UserSampleStore",
    "default_user_data_dir",
    "default_models_dir",
    "line_samples",
    "split_ids",
]

LABELS = "labels.tsv"
RENDERED_MARK = "images/.rendered"
DRAWN, SCANNED = "strokes", "scans"  # a sample's kind is the folder its JSON file lives in
MAX_IMAGE_PIXELS = 4_000_000  # a larger kept image is scaled down: preprocessing shrinks it anyway
_MIN_CONTRAST = 16  # grey levels between an image's darkest and lightest pixel; less is blank
VAL_FRACTION = 0.2  # the least share of samples held out for the before/after score
_VAL_HASH = 0.25  # ids hashing below this are held out; the rest of the 20% comes from the lowest hashes
_ID = re.compile(r"^[0-9a-f]{16}$")
_MAX_IMPORT_MEMBER = 20_000_000  # bytes; a strokes file is a few kB, an image a few tens of kB
_MAX_IMPORT_MEMBERS = 200_000


def default_user_data_dir() -> Path:
    """Where samples go unless the user picks another folder."""
    return Path(platformdirs.user_data_dir(APP_NAME)) / "samples"


def default_models_dir() -> Path:
    """Where personalised models are saved."""
    return Path(platformdirs.user_data_dir(APP_NAME)) / "models"


@dataclass(frozen=True)
class Sample:
    id: str
    text: str
    split: str  # "train" | "val"
    image_path: Path
    meta_path: Path  # strokes/<id>.json (a drawing) or scans/<id>.json (kept from an image)
    pen_width: float = 3.0
    created: str = ""
    source: str = ""  # the file an image sample was kept from, when it had a name

    @property
    def drawn(self) -> bool:
        return self.meta_path.parent.name == DRAWN


def _id_score(sample_id: str) -> float:
    digest = hashlib.sha1(f"split:{sample_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def split_ids(ids: Sequence[str]) -> dict[str, str]:
    """id -> "train" | "val": at least 20% val (and >= 1 from 2 samples), >= 1 train from 2 samples."""
    n = len(ids)
    if n == 0:
        return {}
    if n == 1:
        return {ids[0]: "train"}
    ranked = sorted(ids, key=lambda i: (_id_score(i), i))
    need = max(1, math.ceil(VAL_FRACTION * n))
    n_val = max(need, sum(1 for i in ranked if _id_score(i) < _VAL_HASH))
    n_val = min(n_val, n - 1)
    val = set(ranked[:n_val])
    return {i: "val" if i in val else "train" for i in ids}


def _clean_text(text: str) -> str:
    return " ".join(normalize_text(str(text)).split())


def _strokes_id(strokes: list[list[Point]], pen_width: float) -> str:
    canon = json.dumps([round(pen_width, 2), strokes], separators=(",", ":"))
    return hashlib.sha1(canon.encode()).hexdigest()[:16]


def _image_id(gray: np.ndarray) -> str:
    digest = hashlib.sha1(f"image:{gray.shape[0]}x{gray.shape[1]}:".encode() + gray.tobytes())
    return digest.hexdigest()[:16]


def _sample_image(image: np.ndarray) -> np.ndarray:
    """An image as kept: uint8 grey, at most `MAX_IMAGE_PIXELS`; HwrError when it holds no writing."""
    gray = to_grayscale(image)
    pixels = gray.shape[0] * gray.shape[1]
    if pixels > MAX_IMAGE_PIXELS:
        scale = math.sqrt(MAX_IMAGE_PIXELS / pixels)
        size = (max(1, int(gray.shape[1] * scale)), max(1, int(gray.shape[0] * scale)))
        gray = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
    if int(gray.max()) - int(gray.min()) < _MIN_CONTRAST:
        raise HwrError("the image is blank: there is no writing in it to learn from")
    return np.ascontiguousarray(gray)


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def _lines(n: int) -> str:
    return f"{n} line" if n == 1 else f"{n} lines"


def line_samples(
    image: np.ndarray | None, result: RecognitionResult, text: str
) -> list[tuple[np.ndarray, str]]:
    """(image, text) pairs to keep from an image read as `result` and what was written on it.

    `text` has one line per line the image was read as: a page's lines (`result.lines`) pair with
    their crops, and an image read whole pairs with the one line (`image`, where its result has no
    crop; None for lines each cut already). An empty line of text skips its line. HwrError when the counts differ or no line has text.
    """
    lines = text.split("\n")
    # (an image read as its one line, its paper's lines taken out: that line's crop)
    crops = (
        [line.crop for line in result.lines]
        if result.lines
        else [image if result.crop is None else result.crop]
    )
    while len(lines) > len(crops) and not lines[-1].strip():
        lines.pop()
    if len(lines) != len(crops) or any(c is None for c in crops):
        raise HwrError(
            f"the image was read as {_lines(len(crops))} but the text has {_lines(len(lines))}: "
            "give one line of text per line read (an empty one skips that line)"
        )
    pairs = [
        (crop, line) for crop, line in zip(crops, lines, strict=True) if crop is not None and line.strip()
    ]
    if not pairs:
        raise HwrError("the sample has no text: type what was written")
    return pairs


def _png_bytes(image: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", image)
    if not ok:
        raise HwrError("could not encode the sample image as PNG")
    return buf.tobytes()


class UserSampleStore:
    """A folder of the user's samples; not thread-safe (the GUI uses it from the UI thread)."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder).expanduser()
        try:
            (self.folder / "images").mkdir(parents=True, exist_ok=True)
            (self.folder / "strokes").mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise HwrError(f"cannot use {self.folder} as the sample folder: {e.strerror or e}") from None
        self._samples: dict[str, Sample] = {}  # insertion order = gallery order
        self._load()

    # ------------------------------------------------------------------ reading

    @property
    def labels_path(self) -> Path:
        return self.folder / LABELS

    def _image_path(self, sample_id: str) -> Path:
        return self.folder / "images" / f"{sample_id}.png"

    def _meta_path(self, sample_id: str, kind: str) -> Path:
        return self.folder / kind / f"{sample_id}.json"

    def _read_json(self, path: Path) -> dict[str, object]:
        try:
            data = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError) as e:
            raise HwrError(f"cannot read sample file {path}: {e}") from None
        if not isinstance(data, dict):
            raise HwrError(f"{path} is not a sample file (not a JSON object)")
        if path.parent.name == DRAWN and not isinstance(data.get("strokes"), list):
            raise HwrError(f"{path} is not a sample strokes file (no 'strokes' list)")
        return data

    def _sample(self, sample_id: str, kind: str, text: str, data: dict[str, object]) -> Sample:
        return Sample(
            sample_id,
            text,
            "train",
            self._image_path(sample_id),
            self._meta_path(sample_id, kind),
            float(data.get("pen_width", 3.0)),  # type: ignore[arg-type]
            str(data.get("created", "")),
            str(data.get("source", "")),
        )

    def _load(self) -> None:
        """labels.tsv gives order and texts (it may have been edited by hand); the JSON files fill the rest."""
        texts: dict[str, str] = {}
        if self.labels_path.is_file():
            for lineno, line in enumerate(self.labels_path.read_text("utf-8-sig").splitlines(), 1):
                cols = line.split("\t")
                if not line.strip():
                    continue
                stem = PurePosixPath(cols[0].strip()).stem
                if len(cols) < 2 or not _ID.match(stem):
                    log.warning("%s line %d: not a sample row, ignored", self.labels_path, lineno)
                    continue
                texts[stem] = _clean_text(cols[1])
        on_disk: dict[str, str] = {}  # id -> kind
        for kind in (SCANNED, DRAWN):  # a drawing wins an id that both hold
            on_disk.update({p.stem: kind for p in (self.folder / kind).glob("*.json") if _ID.match(p.stem)})
        stale = self._rendered_version() != READING_RENDER_VERSION
        undrawn = 0  # stale images that could not be drawn again: the folder stays marked stale
        order = [i for i in texts if i in on_disk] + sorted(i for i in on_disk if i not in texts)
        for sample_id in order:
            kind = on_disk[sample_id]
            try:
                data = self._read_json(self._meta_path(sample_id, kind))
            except HwrError as e:
                log.warning("skipping sample: %s", e)
                continue
            text = texts.get(sample_id) or _clean_text(str(data.get("text", "")))
            if not text:
                log.warning("sample %s has no text, skipped", sample_id)
                continue
            if kind == SCANNED:
                if not self._image_path(sample_id).is_file():  # its only copy: nothing to draw it from
                    log.warning("sample %s: its image is missing, skipped", sample_id)
                    continue
            elif not self._image_path(sample_id).is_file():  # e.g. deleted by hand: render it again
                self._draw(sample_id, clean_strokes(data["strokes"]))  # type: ignore[arg-type]
            elif stale:  # drawn as an older app drew strokes: training would not see what reading sees
                try:
                    self._draw(sample_id, clean_strokes(data["strokes"]))  # type: ignore[arg-type]
                except OSError as e:  # a read-only folder still reads, with its old images
                    log.warning("cannot draw sample %s again: %s", sample_id, e)
                    undrawn += 1
            self._samples[sample_id] = self._sample(sample_id, kind, text, data)
        self._resplit()
        if self._samples and not self.labels_path.is_file():
            self._write_labels()
        if stale and not undrawn:
            try:
                atomic_write_bytes(self.folder / RENDERED_MARK, str(READING_RENDER_VERSION).encode())
            except OSError as e:
                log.warning("cannot mark %s as drawn: %s", self.folder, e)

    def _rendered_version(self) -> int:
        """The render version the images were drawn with (1: before stores were marked)."""
        try:
            return int((self.folder / RENDERED_MARK).read_text(encoding="utf-8").strip())
        except (OSError, ValueError):
            return 1

    def _draw(self, sample_id: str, strokes: list[list[Point]]) -> None:
        """The sample's image: its strokes as the model reads them."""
        atomic_write_bytes(self._image_path(sample_id), _png_bytes(render_for_reading(strokes)))

    def __len__(self) -> int:
        return len(self._samples)

    def __contains__(self, sample_id: object) -> bool:
        return sample_id in self._samples

    def samples(self) -> list[Sample]:
        return list(self._samples.values())

    def get(self, sample_id: str) -> Sample:
        try:
            return self._samples[sample_id]
        except KeyError:
            raise HwrError(f"no sample {sample_id!r} in {self.folder}") from None

    def strokes(self, sample_id: str) -> list[list[Point]]:
        sample = self.get(sample_id)
        if not sample.drawn:
            raise HwrError(f"sample {sample_id} was kept from an image: it has no strokes")
        data = self._read_json(sample.meta_path)
        return clean_strokes(data["strokes"])  # type: ignore[arg-type]

    def filter(self, text_substring: str) -> list[Sample]:
        """Samples whose text contains the substring (case-insensitive, normalised like the labels)."""
        needle = _clean_text(text_substring).casefold()
        return [s for s in self._samples.values() if needle in s.text.casefold()]

    def records(self, split: str | None = None) -> list[Record]:
        """Training records ("train"), held-out records ("val") or all (None)."""
        if split not in (None, "train", "val"):
            raise HwrError(f"split must be 'train', 'val' or None, got {split!r}")
        return [
            Record(text=s.text, path=s.image_path, split=s.split, source="user")
            for s in self._samples.values()
            if split is None or s.split == split
        ]

    # ------------------------------------------------------------------ writing

    def _resplit(self) -> None:
        splits = split_ids(list(self._samples))
        self._samples = {i: replace(s, split=splits[i]) for i, s in self._samples.items()}

    def _write_labels(self) -> None:
        lines = [f"images/{s.id}.png\t{s.text}\t{s.split}\n" for s in self._samples.values()]
        atomic_write_bytes(self.labels_path, "".join(lines).encode("utf-8"))

    def _commit(self) -> None:
        self._resplit()
        self._write_labels()

    def _write_sample(self, sample_id: str, kind: str, payload: dict[str, object], image: np.ndarray) -> None:
        # The image first: a JSON file is what makes a sample exist.
        atomic_write_bytes(self._image_path(sample_id), _png_bytes(image))
        meta = self._meta_path(sample_id, kind)
        meta.parent.mkdir(exist_ok=True)
        atomic_write_bytes(meta, json.dumps(payload, ensure_ascii=False).encode("utf-8"))
        self._samples[sample_id] = self._sample(sample_id, kind, str(payload["text"]), payload)

    def _write_drawing(
        self, sample_id: str, strokes: list[list[Point]], text: str, pen_width: float, created: str
    ) -> None:
        payload = {"text": text, "strokes": strokes, "pen_width": pen_width, "created": created}
        self._write_sample(sample_id, DRAWN, payload, render_for_reading(strokes))

    def add(self, strokes: Sequence[Sequence[Sequence[float]]], text: str, pen_width: float = 3.0) -> Sample:
        """Store a written sample; empty text or no strokes, or a drawing already stored, raise HwrError."""
        clean_text = _clean_text(text)
        if not clean_text:
            raise HwrError("the sample has no text: type what was written")
        clean = clean_strokes(strokes)
        if not clean:
            raise HwrError("the sample has no strokes: write something first")
        pen = float(pen_width) if math.isfinite(pen_width) and pen_width > 0 else 3.0
        sample_id = _strokes_id(clean, pen)
        if sample_id in self._samples:
            raise HwrError(f"this drawing is already stored (as {self._samples[sample_id].text!r})")
        self._write_drawing(sample_id, clean, clean_text, pen, _now())
        self._commit()
        return self._samples[sample_id]

    def add_image(self, image: np.ndarray, text: str, source: str = "") -> Sample:
        """Keep an image of writing (a line of a photo or scan) as a sample of `text`; empty text,
        a blank image or an image already stored raise HwrError. `source` names the file it came from."""
        sample = self._keep_image(image, text, source)
        self._commit()
        return sample

    def _keep_image(self, image: np.ndarray, text: str, source: str) -> Sample:
        """`add_image` without rewriting labels.tsv (`add_images` does that once for them all)."""
        clean_text = _clean_text(text)
        if not clean_text:
            raise HwrError("the sample has no text: type what was written")
        gray = _sample_image(image)
        sample_id = _image_id(gray)
        if sample_id in self._samples:
            raise HwrError(f"this image is already stored (as {self._samples[sample_id].text!r})")
        payload = {"text": clean_text, "source": source, "created": _now()}
        self._write_sample(sample_id, SCANNED, payload, gray)
        return self._samples[sample_id]

    def add_images(self, items: Iterable[tuple[np.ndarray, str, str]]) -> tuple[list[Sample], list[str]]:
        """Keep several (image, text, source) as samples, e.g. a page's lines (`line_samples`) or a
        labels file's images, rewriting labels.tsv once: those kept, and why each of the others was
        not (already stored, blank). `items` may be a generator, so images need not all be in memory."""
        kept: list[Sample] = []
        refused: list[str] = []
        try:
            for image, text, source in items:
                try:
                    kept.append(self._keep_image(image, text, source))
                except HwrError as e:
                    refused.append(str(e))
        finally:
            if kept:
                self._commit()
        return kept, refused

    def update_label(self, sample_id: str, text: str) -> Sample:
        clean_text = _clean_text(text)
        if not clean_text:
            raise HwrError("a label cannot be empty; delete the sample instead")
        sample = self.get(sample_id)
        data = self._read_json(sample.meta_path)
        data["text"] = clean_text
        atomic_write_bytes(sample.meta_path, json.dumps(data, ensure_ascii=False).encode("utf-8"))
        self._samples[sample_id] = replace(sample, text=clean_text)
        self._write_labels()  # ids are unchanged, so the split is too
        return self._samples[sample_id]

    def delete(self, sample_id: str) -> None:
        sample = self.get(sample_id)
        del self._samples[sample_id]
        self._commit()  # the index first: a crash leaves orphan files, never a row without files
        sample.meta_path.unlink(missing_ok=True)
        sample.image_path.unlink(missing_ok=True)

    # ------------------------------------------------------------------ zip exchange

    def export_zip(self, path: str | os.PathLike[str]) -> Path:
        """All samples as a zip with the folder's layout (labels.tsv, images/, strokes/, scans/)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        try:
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
                if self.labels_path.is_file():
                    zf.write(self.labels_path, LABELS)
                else:
                    zf.writestr(LABELS, "")
                for s in self._samples.values():
                    zf.write(s.image_path, f"images/{s.id}.png")
                    zf.write(s.meta_path, f"{s.meta_path.parent.name}/{s.id}.json")
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    @staticmethod
    def _check_member(name: str) -> tuple[str, str] | None:
        """(kind, id) of a zip member; None for folders; HwrError for anything unsafe or unexpected."""
        if "\\" in name or name.startswith("/") or re.match(r"^[A-Za-z]:", name):
            raise HwrError(f"refusing the zip: member {name!r} has an absolute or Windows path")
        parts = PurePosixPath(name).parts
        if any(p in ("..", ".") for p in parts):
            raise HwrError(f"refusing the zip: member {name!r} points outside the sample folder")
        if name.endswith("/"):
            if name in ("images/", f"{DRAWN}/", f"{SCANNED}/"):
                return None
            raise HwrError(f"refusing the zip: unexpected folder {name!r} (not a sample set)")
        if name == LABELS:
            return ("labels", "")
        if len(parts) == 2 and _ID.match(PurePosixPath(parts[1]).stem):
            if parts[0] == "images" and parts[1].endswith(".png"):
                return ("image", parts[1][:-4])
            if parts[0] in (DRAWN, SCANNED) and parts[1].endswith(".json"):
                return (parts[0], parts[1][:-5])
        raise HwrError(
            f"refusing the zip: {name!r} is not part of a sample set "
            "(expected labels.tsv, images/<id>.png, strokes/<id>.json, scans/<id>.json)"
        )

    def import_zip(self, path: str | os.PathLike[str]) -> int:
        """Merge a zip made by `export_zip`; returns how many new samples were added (duplicates skipped).

        Every member's name and size is checked before anything is written: a zip with unsafe paths
        (zip-slip) or files that are not samples is refused as a whole, and one whose sample file
        turns out not to be what it claims leaves none of its samples behind. Drawings' images are
        rendered again from their strokes; a kept image is read back and checked like a loaded one.
        """
        path = Path(path)
        try:
            zf = zipfile.ZipFile(path)
        except (OSError, zipfile.BadZipFile) as e:
            raise HwrError(f"cannot open {path} as a zip file: {e}") from None
        with zf:
            infos = zf.infolist()
            if len(infos) > _MAX_IMPORT_MEMBERS:
                raise HwrError(f"refusing the zip: {len(infos)} files is more than a sample set has")
            members: dict[str, tuple[str, zipfile.ZipInfo]] = {}  # id -> (kind, its JSON file)
            images: dict[str, zipfile.ZipInfo] = {}
            labels_info: zipfile.ZipInfo | None = None
            for info in infos:
                kind_id = self._check_member(info.filename)
                if kind_id is None:
                    continue
                if info.file_size > _MAX_IMPORT_MEMBER:
                    raise HwrError(f"refusing the zip: {info.filename} is {info.file_size} bytes")
                kind, sample_id = kind_id
                if kind == "labels":
                    labels_info = info
                elif kind == "image":
                    images[sample_id] = info
                else:
                    members[sample_id] = (kind, info)
            if not members:
                raise HwrError(
                    f"{path.name} holds no samples (no strokes/<id>.json or scans/<id>.json files)"
                )
            texts: dict[str, str] = {}
            if labels_info is not None:
                for line in zf.read(labels_info).decode("utf-8-sig", "replace").splitlines():
                    cols = line.split("\t")
                    if len(cols) >= 2:
                        texts[PurePosixPath(cols[0].strip()).stem] = _clean_text(cols[1])
            written: list[str] = []
            try:
                for sample_id, (kind, info) in members.items():
                    new_id = self._import_member(zf, kind, info, texts.get(sample_id), images.get(sample_id))
                    if new_id is not None:
                        written.append(new_id)
            except BaseException:  # all or nothing: a refused zip leaves none of its samples behind
                for sample_id in written:
                    sample = self._samples.pop(sample_id)
                    sample.meta_path.unlink(missing_ok=True)
                    sample.image_path.unlink(missing_ok=True)
                raise
        added = len(written)
        if added:
            self._commit()
        log.info("imported %d new samples from %s", added, path)
        return added

    def _import_member(
        self,
        zf: zipfile.ZipFile,
        kind: str,
        info: zipfile.ZipInfo,
        text: str | None,
        image: zipfile.ZipInfo | None,
    ) -> str | None:
        """Store one sample of an import; its new id, or None for a duplicate or a sample without
        text (or image). HwrError ("refusing the zip: ...") for a file that is not what it claims."""
        try:
            data = json.loads(zf.read(info).decode("utf-8"))
            if not isinstance(data, dict):
                raise ValueError("not an object")
        except ValueError as e:
            raise HwrError(f"refusing the zip: {info.filename} is not a valid sample file ({e})") from None
        text = text or _clean_text(str(data.get("text", "")))
        created = str(data.get("created", "")) or _now()
        if kind == DRAWN:
            try:
                strokes = clean_strokes(data.get("strokes") or [])
                pen = float(data.get("pen_width", 3.0))
            except (ValueError, TypeError, HwrError) as e:
                raise HwrError(
                    f"refusing the zip: {info.filename} is not a valid strokes file ({e})"
                ) from None
            if not strokes or not text:
                log.warning("import: %s has no strokes or no text, skipped", info.filename)
                return None
            if not (math.isfinite(pen) and pen > 0):
                pen = 3.0
            new_id = _strokes_id(strokes, pen)  # content, not the file name, decides what is a duplicate
            if new_id in self._samples:
                return None
            self._write_drawing(new_id, strokes, text, pen, created)
            return new_id
        if image is None or not text:
            log.warning("import: %s has no image or no text, skipped", info.filename)
            return None
        try:
            gray = _sample_image(decode_image_bytes(zf.read(image), image.filename, MAX_IMAGE_PIXELS))
        except HwrError as e:
            raise HwrError(f"refusing the zip: {e}") from None
        new_id = _image_id(gray)
        if new_id in self._samples:
            return None
        self._write_sample(
            new_id, SCANNED, {"text": text, "source": str(data.get("source", "")), "created": created}, gray
        )
        return new_id
