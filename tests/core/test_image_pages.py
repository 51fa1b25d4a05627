"""A multi-page TIFF's pages are images of their own, named `scan.tif#page=2`, wherever a path goes."""

import numpy as np
import pytest
from PIL import Image
from testdata import word_image

from hwr_core.batch import find_images, write_labels_tsv, write_text_files
from hwr_core.data.readers import read_labels_tsv
from hwr_core.errors import ImageLoadError, ImageTooLargeError
from hwr_core.image_io import load_image
from hwr_core.image_pages import page_count, page_path, shown_name, split_page_path


def _tiff(path, pages):
    frames = [Image.fromarray(p) for p in pages]
    frames[0].save(path, save_all=True, append_images=frames[1:])
    return path


@pytest.fixture
def scan(tmp_path):
    return _tiff(tmp_path / "scan.tif", [word_image(w) for w in ("one", "two", "three")])


def test_each_page_is_read_as_its_own_image(scan):
    assert page_count(scan) == 3
    for number, word in enumerate(("one", "two", "three"), start=1):
        assert np.array_equal(load_image(page_path(scan, number)), word_image(word))
    assert np.array_equal(load_image(scan), word_image("one"))  # the file: its first page
    with pytest.raises(ImageLoadError, match=r"scan.tif#page=4: the file has 3 pages, no page 4"):
        load_image(page_path(scan, 4))
    with pytest.raises(ValueError):
        page_path(scan, 0)


def test_a_page_over_the_pixel_limit_is_refused_though_the_first_is_small(tmp_path):
    small, big = np.full((20, 20), 255, np.uint8), np.full((400, 400), 255, np.uint8)
    path = _tiff(tmp_path / "mixed.tif", [small, big])
    assert load_image(page_path(path, 1), max_pixels=10_000).shape == (20, 20)
    with pytest.raises(ImageTooLargeError, match=r"mixed.tif#page=2: image is 400x400"):
        load_image(page_path(path, 2), max_pixels=10_000)


def test_a_file_really_named_like_a_page_is_that_file(tmp_path):
    odd = tmp_path / "x.png#page=2"
    Image.fromarray(word_image("odd")).save(odd, format="PNG")
    assert split_page_path(odd) == (str(odd), None)
    assert np.array_equal(load_image(odd), word_image("odd"))
    assert split_page_path(tmp_path / "y.tif#page=12") == (str(tmp_path / "y.tif"), 12)
    assert shown_name(tmp_path / "y.tif#page=12") == "y.tif, page 12"


def test_a_folder_lists_a_tiffs_pages_and_not_an_animations_frames(tmp_path, scan):
    frames = [Image.fromarray(word_image(w)) for w in ("a", "b")]
    frames[0].save(tmp_path / "moving.gif", save_all=True, append_images=frames[1:])
    found = find_images([tmp_path, page_path(scan, 2)])  # a page given again is listed once
    assert [p.name for p in found] == ["moving.gif", "scan.tif#page=1", "scan.tif#page=2", "scan.tif#page=3"]
    assert page_count(tmp_path / "moving.gif") == 1 and page_count(tmp_path / "missing.tif") == 1


def test_pages_write_one_text_file_in_page_order_and_a_labels_file_that_reads_back(tmp_path, scan):
    pages = [page_path(scan, n) for n in (1, 2, 3)]
    rows = [(pages[1], "two\n"), (pages[0], "one"), (pages[2], "three")]  # as a table sorted them
    assert write_text_files(rows, tmp_path / "texts") == [tmp_path / "texts" / "scan.txt"]
    assert (tmp_path / "texts" / "scan.txt").read_text("utf-8") == "one\n\ftwo\n\fthree\n"
    labels = write_labels_tsv(rows, tmp_path / "labels.tsv")
    records, report = read_labels_tsv(labels)
    assert report.usable == 3 and [r.path for r in records] == [pages[1], pages[0], pages[2]]
    assert np.array_equal(load_image(records[0].path), word_image("two"))
