"""Pages of a multi-page image file (a scanner's TIFF), named as paths: `scan.tif#page=2`.

A page's path goes wherever an image's path goes (`load_image`, a labels.tsv row, `hwr recognize`,
the Batch tab's list), so every reader of images reads single pages with no change. Pages are
numbered from 1, as a viewer shows them. A file really named `x.tif#page=2` is that file.
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

from PIL import Image

_PAGE_MARK = re.compile(r"^(?P<file>.+)#page=(?P<number>[1-9][0-9]*)$")
# Only these hold pages of a document; a GIF's or WebP's frames are an animation, an MPO's a preview.
_PAGED_FORMATS = frozenset({"TIFF"})
PAGED_SUFFIXES = frozenset({".tif", ".tiff"})  # worth opening to count pages when listing a folder


def page_path(path: str | os.PathLike[str], number: int) -> Path:
    """The path naming page `number` (from 1) of a multi-page file."""
    if number < 1:
        raise ValueError(f"pages are numbered from 1, not {number}")
    return Path(f"{os.fspath(path)}#page={number}")


def split_page_path(path: str | os.PathLike[str]) -> tuple[str, int | None]:
    """(the file, its page number) for a page's path; (the path, None) for a file's."""
    name = os.fsdecode(os.fspath(path))
    match = _PAGE_MARK.match(name)
    if match is None or os.path.exists(name):
        return name, None
    return match["file"], int(match["number"])


def image_exists(path: str | os.PathLike[str]) -> bool:
    """Whether the file exists (a page's: its file; whether the page does is for reading to say)."""
    return os.path.isfile(split_page_path(path)[0])


def page_count(path: str | os.PathLike[str]) -> int:
    """How many pages a file holds: a multi-page TIFF's count, else 1 (also for a file that cannot
    be opened: reading it says why). Reads the file's page directory, not its pixels."""
    file, number = split_page_path(path)
    if number is not None:
        return 1
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(file) as im:
                return int(getattr(im, "n_frames", 1)) if im.format in _PAGED_FORMATS else 1
    except Exception:  # noqa: BLE001 - a broken file is one "page" whose reading gives the reason
        return 1


def shown_name(path: str | os.PathLike[str]) -> str:
    """A file's name as a list shows it: `scan.tif, page 2` for a page."""
    file, number = split_page_path(path)
    name = Path(file).name
    return name if number is None else f"{name}, page {number}"
