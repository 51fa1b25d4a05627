"""Image files and arrays -> uint8 grayscale, dark ink on light paper: the one way every image enters.

Loading never trusts a file: its size is checked from the header before any pixel is decoded (a
decompression bomb is refused by name), each problem is one `ImageLoadError` line naming the file,
a multi-page file's page is read by its path (`image_pages.page_path`), and EXIF orientation is
applied. Also the views the app reads of an image: turned by quarter turns, cropped to a region,
and where such a view lies in the file (`ViewPlacement`).
"""

from __future__ import annotations

import io
import os
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

import cv2
import numpy as np
from PIL import Image, ImageOps

from .errors import HwrError, ImageLoadError, ImageTooLargeError
from .image_pages import split_page_path

__all__ = [
    "ViewPlacement",
    "clamp_region",
    "crop_region",
    "decode_image_bytes",
    "load_image",
    "load_image_pixels",
    "load_view",
    "rotate_clockwise",
    "to_grayscale",
    "turn_points",
]

# PIL's bomb limit is a module global; we only lift it (briefly, serialized) to read the header
# size of an image PIL already refused, so the error can name its dimensions.
_PIL_LIMIT_LOCK = threading.Lock()


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def _too_large(name: str, width: int, height: int, max_pixels: int) -> ImageTooLargeError:
    mp = width * height / 1e6
    return ImageTooLargeError(
        f"{name}: image is {width}x{height} = {mp:.1f} MP, over the {max_pixels / 1e6:.1f} MP limit"
    )


@contextmanager
def _pil_unlimited() -> Iterator[None]:
    """Temporarily disable PIL's own bomb check (restored on exit, serialized by a lock)."""
    with _PIL_LIMIT_LOCK:
        old = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = None
        try:
            yield
        finally:
            Image.MAX_IMAGE_PIXELS = old


def _open_checked(open_fn: Callable[[], Image.Image], name: str, max_pixels: int) -> Image.Image:
    """Open lazily (header only) and enforce `max_pixels` before any pixel is decoded."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = open_fn()
    except Image.DecompressionBombError:
        # PIL refused on its own (> 2x its limit): reopen header-only to report the real size.
        try:
            with _pil_unlimited():
                im = open_fn()
        except Exception as exc:  # any failure here is "too large" anyway
            raise ImageTooLargeError(f"{name}: image is too large ({_one_line(exc)})") from None
    except Image.UnidentifiedImageError:
        raise ImageLoadError(f"{name}: not an image (unrecognized or unsupported format)") from None
    except PermissionError:
        raise ImageLoadError(f"{name}: cannot read the file (permission denied)") from None
    except Exception as exc:  # PIL raises many types; the user gets one line
        raise ImageLoadError(f"{name}: cannot open image ({_one_line(exc)})") from None
    width, height = im.size
    if width <= 0 or height <= 0:
        im.close()
        raise ImageLoadError(f"{name}: image has no pixels ({width}x{height})")
    if width * height > max_pixels:
        im.close()
        raise _too_large(name, width, height, max_pixels)
    return im


def _seek_page(im: Image.Image, name: str, page: int, max_pixels: int) -> None:
    """Go to frame `page` (0: the first of a GIF/WebP/TIFF stack) and check its size: a TIFF's
    pages each have their own, and only the first was checked on opening."""
    count = getattr(im, "n_frames", 1) if page else 1  # counted before a failed seek can upset it
    if page >= count:
        raise ImageLoadError(
            f"{name}: the file has {count} page{'s' if count != 1 else ''}, no page {page + 1}"
        )
    im.seek(page)
    width, height = im.size
    if width * height > max_pixels:
        raise _too_large(name, width, height, max_pixels)


#: A JPEG decoder given too little data fills the rest with mid-grey (every coefficient zero);
#: this many full-width rows of exactly that grey at the bottom mean the data ended early.
_JPEG_FILL = 128
_JPEG_MIN_LOST_ROWS = 8


def _check_jpeg_complete(im: Image.Image, name: str) -> None:
    """ImageLoadError for a JPEG whose data ends early but which still decodes (its end marker
    there, or its middle overwritten): PIL raises for a file cut short, but for these it fills the
    rest of the image with grey and says nothing, and the reading of the half image would be wrong
    without a word. A photo's rows are never exactly one grey across their width, so the check
    costs one row for every other image."""
    if im.format != "JPEG" or im.mode not in ("L", "RGB"):
        return
    width, height = im.size

    def grey(top: int, bottom: int) -> np.ndarray:  # per row: all exactly the fill grey
        rows = np.asarray(im.crop((0, top, width, bottom)))
        return (rows == _JPEG_FILL).reshape(bottom - top, -1).all(axis=1)

    if height < 2 * _JPEG_MIN_LOST_ROWS or not grey(height - 1, height)[0]:
        return
    lost, bottom = 0, height
    while bottom > 0:
        top = max(bottom - 256, 0)
        rows = grey(top, bottom)
        kept = np.flatnonzero(~rows)
        if kept.size:
            lost += bottom - 1 - int(kept[-1])
            break
        lost += bottom - top
        bottom = top
    if _JPEG_MIN_LOST_ROWS <= lost < height:  # all grey: a flat picture, or nothing to read either way
        raise ImageLoadError(
            f"{name}: damaged JPEG: its data ends early, and the bottom {lost} of its {height} rows "
            "are blank grey (the file was cut short or overwritten)"
        )


def _pil_to_gray(opened: Image.Image, name: str, page: int = 0, max_pixels: int = 80_000_000) -> np.ndarray:
    """Decode frame `page`, apply EXIF orientation, flatten alpha on white -> uint8 gray."""
    return to_grayscale(_pil_pixels(opened, name, page, max_pixels))


def _pil_pixels(opened: Image.Image, name: str, page: int = 0, max_pixels: int = 80_000_000) -> np.ndarray:
    """Frame `page` decoded, EXIF orientation applied: uint8 gray HxW, RGB or RGBA HxWx3/4."""
    im = opened
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PIL warns about odd palettes/EXIF; errors still raise
            _seek_page(im, name, page, max_pixels)
            im.load()
            _check_jpeg_complete(im, name)
            try:
                im = ImageOps.exif_transpose(im)
            except Exception:  # broken EXIF: keep the stored orientation
                pass
            mode = im.mode
            if mode in ("1", "L"):
                arr = np.asarray(im.convert("L"))
            elif mode.startswith("I") or mode == "F":
                # 16/32-bit integer and float gray: scale by the actual range (see _to_uint8)
                arr = _to_uint8(np.asarray(im if mode in ("I", "F") else im.convert("I")))
            elif mode in ("LA", "La", "PA", "RGBA", "RGBa") or (mode == "P" and "transparency" in im.info):
                arr = np.asarray(im.convert("RGBA"))
            else:  # P, CMYK, YCbCr, LAB, HSV, RGBX, ...
                arr = np.asarray(im.convert("RGB"))
    except HwrError:
        raise
    except Image.DecompressionBombError as exc:
        raise ImageTooLargeError(f"{name}: image is too large ({_one_line(exc)})") from None
    except MemoryError:
        raise ImageLoadError(f"{name}: not enough memory to decode the image") from None
    except Exception as exc:  # truncated/corrupt data surfaces as many types
        raise ImageLoadError(f"{name}: truncated or corrupt image ({_one_line(exc)})") from None
    finally:
        opened.close()  # releases the file handle (multi-frame files keep it open until closed)
        if im is not opened:
            im.close()
    return np.array(arr)


def load_image(path: str | os.PathLike[str], max_pixels: int = 80_000_000) -> np.ndarray:
    """Read an image file as uint8 grayscale HxW, dark ink on light paper; a page of a multi-page
    file by its page's path (`image_pages.page_path`: `scan.tif#page=2`), else the first page.

    Raises ImageLoadError / ImageTooLargeError with one line naming the file and the problem.
    """
    return to_grayscale(_decoded(path, max_pixels))


def load_image_pixels(path: str | os.PathLike[str], max_pixels: int = 80_000_000) -> np.ndarray:
    """The image `load_image` reads (its page, turned by its EXIF tag) in its own colours: uint8
    gray HxW, or RGB HxWx3 with any transparency flattened on white (a PDF of it shows it so)."""
    pixels = _decoded(path, max_pixels)
    if pixels.ndim == 3 and pixels.shape[2] == 4:
        return to_grayscale(pixels) if _gray_colours(pixels[:, :, :3]) else _on_white(pixels)
    return to_grayscale(pixels) if pixels.ndim == 2 or _gray_colours(pixels) else pixels


def _decoded(path: str | os.PathLike[str], max_pixels: int) -> np.ndarray:
    """A file's image as `_pil_pixels` decodes it, each problem an ImageLoadError naming it."""
    name = os.fsdecode(os.fspath(path))
    file, page = split_page_path(name)
    if not os.path.exists(file):
        raise ImageLoadError(f"{name}: no such file")
    if os.path.isdir(file):
        raise ImageLoadError(f"{name}: is a directory, not an image file")
    try:
        size = os.path.getsize(file)
    except OSError as exc:
        raise ImageLoadError(f"{name}: cannot read the file ({_one_line(exc)})") from None
    if size == 0:
        raise ImageLoadError(f"{name}: empty file (0 bytes)")
    im = _open_checked(lambda: Image.open(file), name, max_pixels)
    return _pil_pixels(im, name, 0 if page is None else page - 1, max_pixels)


def _gray_colours(rgb: np.ndarray) -> bool:
    return np.array_equal(rgb[:, :, 0], rgb[:, :, 1]) and np.array_equal(rgb[:, :, 1], rgb[:, :, 2])


def _on_white(rgba: np.ndarray) -> np.ndarray:
    alpha = rgba[:, :, 3:4].astype(np.float32) / 255.0
    return np.rint(rgba[:, :, :3] * alpha + 255.0 * (1.0 - alpha)).astype(np.uint8)


def decode_image_bytes(data: bytes, name: str = "<bytes>", max_pixels: int = 80_000_000) -> np.ndarray:
    """Like `load_image`, from encoded bytes in memory (clipboard, drag and drop)."""
    if not data:
        raise ImageLoadError(f"{name}: empty data (0 bytes)")
    blob = bytes(data)

    def open_fn() -> Image.Image:
        buf: IO[bytes] = io.BytesIO(blob)  # fresh stream per attempt (the bomb path reopens)
        return Image.open(buf)

    im = _open_checked(open_fn, name, max_pixels)
    return _pil_to_gray(im, name, max_pixels=max_pixels)


def rotate_clockwise(image: np.ndarray, degrees: int) -> np.ndarray:
    """The image turned clockwise by a multiple of 90 degrees (a photo taken sideways)."""
    if degrees % 90:
        raise HwrError(f"an image turns by quarter turns: 90, 180 or 270 degrees, not {degrees}")
    return np.ascontiguousarray(np.rot90(image, -(degrees // 90) % 4))


def clamp_region(region: tuple[int, int, int, int], width: int, height: int) -> tuple[int, int, int, int]:
    """A box (x0, y0, x1, y1, any corner order) as x0 <= x1, y0 <= y1 inside a width x height image."""
    x0, x1 = sorted(min(max(int(v), 0), width) for v in region[0::2])
    y0, y1 = sorted(min(max(int(v), 0), height) for v in region[1::2])
    return x0, y0, x1, y1


def crop_region(image: np.ndarray, region: tuple[int, int, int, int]) -> np.ndarray:
    """The part x0 <= x < x1, y0 <= y < y1 of an image (`clamp_region`); HwrError when nothing is left."""
    h, w = image.shape[:2]
    x0, y0, x1, y1 = clamp_region(region, w, h)
    if x1 <= x0 or y1 <= y0:
        raise HwrError(f"the region {tuple(region)} holds nothing of the {w}×{h} image")
    return np.ascontiguousarray(image[y0:y1, x0:x1])


def turn_points(points: np.ndarray, degrees: int, width: int, height: int) -> np.ndarray:
    """Where points (x, y) of a width x height image lie once it is turned clockwise by `degrees`
    (`rotate_clockwise`). Pixel edges: the image spans 0..width, so a box's corners stay its corners."""
    p = np.asarray(points, np.float64).reshape(-1, 2)
    for _ in range(degrees // 90 % 4):
        p = np.stack([height - p[:, 1], p[:, 0]], axis=1)
        width, height = height, width
    return p


@dataclass(frozen=True)
class ViewPlacement:
    """Where a view of an image file (`load_view`: turned, then cropped) lies in the file's image
    as stored: to put what was found in the view back on the file (an export's line coordinates)."""

    width: int  # the file's image
    height: int
    rotate: int = 0
    region: tuple[int, int, int, int] | None = None  # clamped, in the turned image

    def outline(self) -> np.ndarray:
        """The view's own corners, in the view (`PageSplit.outlines`' form)."""
        if self.region is not None:
            x0, y0, x1, y1 = self.region
            w, h = x1 - x0, y1 - y0
        else:
            w, h = (self.height, self.width) if self.rotate % 180 else (self.width, self.height)
        return np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float64)

    def to_file(self, points: np.ndarray) -> np.ndarray:
        """Points (x, y) in the view, in the file's image."""
        p = np.asarray(points, np.float64).reshape(-1, 2)
        if self.region is not None:
            p = p + np.array(self.region[:2], np.float64)
        turned = (self.height, self.width) if self.rotate % 180 else (self.width, self.height)
        return turn_points(p, -self.rotate % 360, *turned)


def load_view(
    path: str | os.PathLike[str],
    max_pixels: int = 80_000_000,
    rotate: int = 0,
    region: tuple[int, int, int, int] | None = None,
) -> tuple[np.ndarray, ViewPlacement]:
    """An image file as the Image tab shows it: turned clockwise by `rotate`, then cropped to
    `region`; and where that lies in the file's image."""
    image = load_image(path, max_pixels=max_pixels)
    h, w = image.shape[:2]
    if rotate:
        image = rotate_clockwise(image, rotate)
    if not region:
        return image, ViewPlacement(w, h, rotate % 360)
    clamped = clamp_region(region, image.shape[1], image.shape[0])
    return crop_region(image, region), ViewPlacement(w, h, rotate % 360, clamped)


def _to_uint8(a: np.ndarray) -> np.ndarray:
    """Any numeric array -> uint8 with the same shape (per channel)."""
    if a.dtype == np.uint8:
        return a
    if a.dtype == np.bool_:
        return a.astype(np.uint8) * np.uint8(255)  # PIL mode "1" convention: True = white
    if np.issubdtype(a.dtype, np.integer):
        lo, hi = int(a.min()), int(a.max())
        if lo >= 0 and hi <= 255:
            return a.astype(np.uint8)
        if lo >= 0 and hi <= 65535:
            # Deep gray stored in a 16-bit container: guess the sensor depth from the range so a
            # 12-bit scan is not crushed to black (x/257 would map 4095 to 16).
            depth = next(b for b in (10, 12, 14, 16) if hi < (1 << b))
            scale = 255.0 / ((1 << depth) - 1)
            return np.clip(np.rint(a.astype(np.float32) * scale), 0, 255).astype(np.uint8)
        lo = max(lo, 0) if hi > 0 else lo
        span = max(hi - lo, 1)
        f = (np.clip(a.astype(np.float64), lo, hi) - lo) * (255.0 / span)
        return np.rint(f).astype(np.uint8)
    if np.issubdtype(a.dtype, np.floating):
        f = a.astype(np.float32)
        finite = np.isfinite(f)
        if not finite.all():
            f = np.where(finite, f, np.float32(f[finite].max()) if finite.any() else np.float32(0))
        hi = float(f.max())
        if hi > 1.5:  # clearly 0..255 (cv2-style float), not the documented 0..1
            f = f / (255.0 if hi <= 255.0 else hi)
        return np.rint(np.clip(f, 0.0, 1.0) * 255.0).astype(np.uint8)
    raise ImageLoadError(f"image array: unsupported pixel type {a.dtype}")


def to_grayscale(image: np.ndarray) -> np.ndarray:
    """HxW, HxWx1, HxWx2 (gray+alpha), HxWx3 (RGB) or HxWx4 (RGBA) of any numeric dtype -> uint8 HxW.

    Alpha is flattened onto white; floats are taken as 0..1.
    """
    a = np.asarray(image)
    if a.ndim not in (2, 3):
        raise ImageLoadError(f"image array: expected HxW or HxWxC, got shape {a.shape}")
    if a.size == 0:
        raise ImageLoadError(f"image array: empty (shape {a.shape})")
    if a.ndim == 3 and a.shape[2] not in (1, 2, 3, 4):
        raise ImageLoadError(f"image array: expected 1-4 channels, got shape {a.shape}")
    a = _to_uint8(a)
    if a.ndim == 2:
        return np.ascontiguousarray(a)
    channels = a.shape[2]
    if channels == 1:
        return np.ascontiguousarray(a[:, :, 0])
    if channels == 2:
        gray, alpha = a[:, :, 0], a[:, :, 1]
    else:
        gray = cv2.cvtColor(np.ascontiguousarray(a[:, :, :3]), cv2.COLOR_RGB2GRAY)
        if channels == 3:
            return gray
        alpha = a[:, :, 3]
    # composite over white: g*a + 255*(1-a), in integers
    g16 = gray.astype(np.uint16)
    a16 = alpha.astype(np.uint16)
    out = (g16 * a16 + 255 * (255 - a16) + 127) // 255
    return out.astype(np.uint8)
