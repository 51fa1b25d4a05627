"""Image files and arrays in (`hwr_core.image_io`): formats, modes, EXIF, pages, bad files and
bombs refused by name, quarter turns and regions."""

from __future__ import annotations

import io
import struct
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from hwr_core.errors import HwrError, ImageLoadError, ImageTooLargeError
from hwr_core.image_io import crop_region, decode_image_bytes, load_image, rotate_clockwise, to_grayscale


def pil_info(path: Path) -> tuple[str, int]:
    """(mode, frame count) of a saved file, closing it again."""
    with Image.open(path) as im:
        return im.mode, getattr(im, "n_frames", 1)


def test_rotate_clockwise_and_crop_region() -> None:
    image = np.arange(12, dtype=np.uint8).reshape(3, 4)
    assert np.array_equal(rotate_clockwise(image, 90), [[8, 4, 0], [9, 5, 1], [10, 6, 2], [11, 7, 3]])
    assert np.array_equal(rotate_clockwise(rotate_clockwise(image, 90), 270), image)
    assert np.array_equal(rotate_clockwise(image, 180), image[::-1, ::-1])
    with pytest.raises(HwrError, match="quarter turns"):
        rotate_clockwise(image, 45)
    assert np.array_equal(crop_region(image, (1, 0, 3, 2)), [[1, 2], [5, 6]])
    assert np.array_equal(crop_region(image, (3, 2, 1, 0)), [[1, 2], [5, 6]])  # any corner order
    assert np.array_equal(crop_region(image, (-5, 1, 99, 99)), image[1:])  # clamped to the image
    with pytest.raises(HwrError, match="holds nothing"):
        crop_region(image, (4, 0, 9, 3))


# ---------------------------------------------------------------------------------------------
# to_grayscale
# ---------------------------------------------------------------------------------------------


def test_to_grayscale_dtypes_and_channels() -> None:
    rgb = np.zeros((4, 5, 3), np.uint8)
    rgb[..., 1] = 255  # pure green
    g = to_grayscale(rgb)
    assert g.shape == (4, 5) and g.dtype == np.uint8 and 140 < g[0, 0] < 160
    assert to_grayscale(np.ones((3, 3), bool))[0, 0] == 255
    assert to_grayscale(np.full((3, 3), 0.5, np.float64))[0, 0] in (127, 128)
    assert to_grayscale(np.full((3, 3), 65535, np.uint16))[0, 0] == 255
    assert to_grayscale(np.full((3, 3, 1), 7, np.uint8))[0, 0] == 7
    rgba = np.zeros((2, 2, 4), np.uint8)  # transparent black -> white
    rgba[0, 0, 3] = 255  # one opaque black pixel
    out = to_grayscale(rgba)
    assert out[0, 0] == 0 and out[1, 1] == 255


@pytest.mark.parametrize("bad", [np.zeros((0, 3), np.uint8), np.zeros(5), np.zeros((2, 2, 7))])
def test_to_grayscale_rejects_bad_arrays(bad: np.ndarray) -> None:
    with pytest.raises(ImageLoadError):
        to_grayscale(bad)


# ---------------------------------------------------------------------------------------------
# load_image / decode_image_bytes
# ---------------------------------------------------------------------------------------------


def _strokes_pil(size: tuple[int, int] = (80, 40)) -> Image.Image:
    im = Image.new("L", size, 255)
    ImageDraw.Draw(im).line([(10, 20), (70, 20)], fill=0, width=5)
    return im


def test_load_rgba_transparent_background_becomes_white(tmp_path: Path) -> None:
    rgba = np.zeros((40, 80, 4), np.uint8)  # transparent *black* background
    rgba[18:23, 10:70, 3] = 255  # opaque black strokes
    path = tmp_path / "ink.png"
    Image.fromarray(rgba, "RGBA").save(path)
    g = load_image(path)
    assert g.shape == (40, 80) and g.dtype == np.uint8
    assert g[20, 40] == 0 and g[5, 5] == 255


def test_load_la_and_palette_with_transparency(tmp_path: Path) -> None:
    la = Image.new("LA", (60, 30), (0, 0))
    ImageDraw.Draw(la).line([(5, 15), (55, 15)], fill=(0, 255), width=3)
    la.save(tmp_path / "la.png")
    g = load_image(tmp_path / "la.png")
    assert g[15, 30] == 0 and g[2, 2] == 255

    pal = Image.new("P", (60, 30), 0)
    pal.putpalette([0, 0, 0, 0, 0, 0] + [0] * 762)  # index 0 and 1 both black
    ImageDraw.Draw(pal).line([(5, 15), (55, 15)], fill=1, width=3)
    pal.save(tmp_path / "pal.png", transparency=0)
    g = load_image(tmp_path / "pal.png")
    assert g[15, 30] == 0 and g[2, 2] == 255


def test_load_palette_png(tmp_path: Path) -> None:
    rgb = Image.new("RGB", (60, 30), (250, 250, 245))
    ImageDraw.Draw(rgb).line([(5, 15), (55, 15)], fill=(20, 20, 120), width=3)
    rgb.convert("P", palette=Image.Palette.ADAPTIVE, colors=4).save(tmp_path / "p.png")
    assert pil_info(tmp_path / "p.png")[0] == "P"
    g = load_image(tmp_path / "p.png")
    assert g[15, 30] < 60 and g[2, 2] > 230


def test_load_16bit_png(tmp_path: Path) -> None:
    arr = np.full((30, 60), 60000, np.uint16)
    arr[10:20, 10:50] = 3000
    Image.fromarray(arr).save(tmp_path / "deep.png")
    assert pil_info(tmp_path / "deep.png")[0].startswith("I")
    g = load_image(tmp_path / "deep.png")
    assert g.dtype == np.uint8
    assert g[0, 0] == round(60000 / 257) and g[15, 30] == round(3000 / 257)
    twelve = np.full((30, 60), 4000, np.uint16)  # 12-bit data must not come out black
    twelve[10:20, 10:50] = 100
    Image.fromarray(twelve).save(tmp_path / "twelve.png")
    g = load_image(tmp_path / "twelve.png")
    assert g[0, 0] > 240 and g[15, 30] < 10


def test_load_cmyk_jpeg(tmp_path: Path) -> None:
    im = Image.new("CMYK", (60, 30), (0, 0, 0, 0))
    ImageDraw.Draw(im).rectangle([10, 10, 50, 20], fill=(0, 0, 0, 255))
    im.save(tmp_path / "cmyk.jpg", quality=95)
    assert pil_info(tmp_path / "cmyk.jpg")[0] == "CMYK"
    g = load_image(tmp_path / "cmyk.jpg")
    assert g[15, 30] < 40 and g[2, 2] > 215


def test_load_applies_exif_orientation(tmp_path: Path) -> None:
    im = Image.new("L", (60, 30), 255)  # stored landscape, block top-left
    ImageDraw.Draw(im).rectangle([0, 0, 9, 9], fill=0)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    im.save(tmp_path / "rot.jpg", exif=exif.tobytes(), quality=95)
    g = load_image(tmp_path / "rot.jpg")
    assert g.shape == (60, 30)  # portrait now
    assert g[:8, -8:].mean() < 40  # block moved to the top-right
    assert g[:8, :8].mean() > 200


def test_load_animated_gif_first_frame(tmp_path: Path) -> None:
    frames = []
    for x in (5, 45):
        f = Image.new("L", (60, 30), 255)
        ImageDraw.Draw(f).rectangle([x, 10, x + 9, 19], fill=0)
        frames.append(f.convert("P"))
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert pil_info(tmp_path / "anim.gif")[1] == 2
    g = load_image(tmp_path / "anim.gif")
    assert g[15, 8] < 40 and g[15, 48] > 200


def test_load_rgb_webp_bmp_tiff(tmp_path: Path) -> None:
    im = _strokes_pil().convert("RGB")
    for ext in ("webp", "bmp", "tiff", "jpg"):
        path = tmp_path / f"x.{ext}"
        im.save(path, **({"lossless": True} if ext == "webp" else {}))
        g = load_image(path)
        assert g.shape == (40, 80), ext
        assert g[20, 40] < 50 and g[2, 2] > 220, ext


def _assert_load_error(path: Path, words: str) -> None:
    with pytest.raises(ImageLoadError) as info:
        load_image(path)
    msg = str(info.value)
    assert str(path) in msg and "\n" not in msg
    assert words in msg.lower()


def test_load_errors_name_the_file(tmp_path: Path) -> None:
    _assert_load_error(tmp_path / "missing.png", "no such file")
    _assert_load_error(tmp_path, "directory")
    (tmp_path / "zero.png").write_bytes(b"")
    _assert_load_error(tmp_path / "zero.png", "0 bytes")
    (tmp_path / "text.png").write_text("this is not an image\n")
    _assert_load_error(tmp_path / "text.png", "not an image")
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (200, 200), np.uint8)).save(buf, "PNG")
    (tmp_path / "cut.png").write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    _assert_load_error(tmp_path / "cut.png", "truncated")


def test_a_jpeg_whose_data_ends_early_is_an_error_not_a_grey_half(tmp_path: Path) -> None:
    """A JPEG cut short with its end marker put back (a copy interrupted, then "repaired") decodes
    without a word from PIL, its lost rows mid-grey; the reading of the rest would be wrong silently."""
    rng = np.random.default_rng(1)
    page = (rng.random((240, 320)) * 60 + 180).astype(np.uint8)
    page[100:140, 40:280] = 20  # some ink
    buf = io.BytesIO()
    Image.fromarray(page).convert("RGB").save(buf, "JPEG", quality=90)
    whole = buf.getvalue()
    (tmp_path / "whole.jpg").write_bytes(whole)
    assert load_image(tmp_path / "whole.jpg").shape == (240, 320)
    (tmp_path / "cut.jpg").write_bytes(whole[: len(whole) // 2] + b"\xff\xd9")
    _assert_load_error(tmp_path / "cut.jpg", "damaged jpeg")
    with pytest.raises(ImageLoadError, match=r"bottom \d+ of its 240 rows are blank grey"):
        load_image(tmp_path / "cut.jpg")
    # a picture that is mid-grey all over, or has a mid-grey band that is not at its bottom, is read
    Image.new("L", (120, 60), 128).save(tmp_path / "flat.jpg")
    assert (load_image(tmp_path / "flat.jpg") == 128).all()
    banded = np.full((64, 64), 230, np.uint8)
    banded[16:48] = 128
    Image.fromarray(banded).save(tmp_path / "band.jpg", quality=95)
    assert load_image(tmp_path / "band.jpg").shape == (64, 64)


def _png_header_bomb(path: Path, width: int, height: int) -> None:
    """A valid 1-bit PNG of width x height zeros, written without ever holding its pixels."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    row = b"\x00" * (1 + (width + 7) // 8)
    comp = zlib.compressobj(9)
    block = row * 1000
    parts = [comp.compress(block) for _ in range(height // 1000)]
    parts.append(comp.compress(row * (height % 1000)))
    parts.append(comp.flush())
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", b"".join(parts)) + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("side", [(30000, 30000), (10000, 9000)], ids=["over-pil-limit", "over-our-limit"])
def test_decompression_bomb_is_refused_before_decoding(tmp_path: Path, side: tuple[int, int]) -> None:
    path = tmp_path / "bomb.png"
    _png_header_bomb(path, *side)
    assert path.stat().st_size < 2_000_000
    limit_before = Image.MAX_IMAGE_PIXELS
    t0 = time.perf_counter()
    with pytest.raises(ImageTooLargeError) as info:
        load_image(path)
    assert time.perf_counter() - t0 < 1.0  # header only: decoding 900 MP would take far longer
    w, h = side
    msg = str(info.value)
    assert str(path) in msg
    assert f"is {w}x{h} = {w * h / 1e6:.1f} MP, over the 80.0 MP limit" in msg
    assert Image.MAX_IMAGE_PIXELS == limit_before


def test_custom_pixel_limit(tmp_path: Path) -> None:
    _strokes_pil().save(tmp_path / "small.png")
    with pytest.raises(ImageTooLargeError, match="80x40"):
        load_image(tmp_path / "small.png", max_pixels=3000)
    assert load_image(tmp_path / "small.png", max_pixels=3200).shape == (40, 80)


def test_decode_image_bytes() -> None:
    buf = io.BytesIO()
    _strokes_pil().save(buf, "PNG")
    g = decode_image_bytes(buf.getvalue())
    assert g.shape == (40, 80) and g[20, 40] == 0
    with pytest.raises(ImageLoadError, match="clipboard"):
        decode_image_bytes(b"garbage bytes", name="clipboard")
    with pytest.raises(ImageLoadError, match="clipboard"):
        decode_image_bytes(b"", name="clipboard")
    with pytest.raises(ImageTooLargeError):
        decode_image_bytes(buf.getvalue(), max_pixels=100)
