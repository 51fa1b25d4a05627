"""Every kind of bad or odd image through `hwr recognize`: a clear one-line error or a result, never a crash."""

import io
import time

import numpy as np
import pytest
from PIL import Image

from hwr_core.charset import CTCCodec
from hwr_core.cli import main
from hwr_core.modelfile import new_bundle, save_model


def _ink(h: int = 60, w: int = 200) -> np.ndarray:
    a = np.full((h, w), 255, np.uint8)
    a[h // 3 : 2 * h // 3, w // 8 : w - w // 8 : 7] = 0
    return a


def _png(img: Image.Image, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=kw.pop("format", "PNG"), **kw)
    return buf.getvalue()


def _exif_rotated() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6
    return _png(Image.fromarray(_ink()).convert("RGB"), format="JPEG", exif=exif)


def _gif() -> bytes:
    frames = [Image.fromarray(_ink()).convert("P"), Image.fromarray(255 - _ink()).convert("P")]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:])
    return buf.getvalue()


BAD = {  # name -> (bytes factory, words expected in the one-line error)
    "zero.png": (lambda: b"", "empty"),
    "truncated.png": (lambda: _png(Image.fromarray(_ink()))[:60], "truncated"),
    "text.png": (lambda: b"hello, I am not an image\n" * 20, "not an image"),
    "bomb.png": (lambda: _png(Image.new("1", (30000, 30000), 1)), "limit"),
}
ODD = {  # must give a result (possibly empty), exit 0
    "one.png": lambda: _png(Image.new("L", (1, 1), 0)),
    "long.png": lambda: _png(Image.new("L", (100000, 1), 255)),
    "sixteen.png": lambda: _png(Image.fromarray(_ink().astype(np.uint16) * 257)),
    "cmyk.jpg": lambda: _png(Image.fromarray(_ink()).convert("CMYK"), format="JPEG"),
    "palette.png": lambda: _png(Image.fromarray(_ink()).convert("P")),
    "alpha.png": lambda: _png(
        Image.fromarray(np.dstack([np.zeros((60, 200, 3), np.uint8), 255 - _ink()]), "RGBA")
    ),
    "anim.gif": _gif,
    "white.png": lambda: _png(Image.new("L", (800, 600), 255)),
    "black.png": lambda: _png(Image.new("L", (800, 600), 0)),
    "exif.jpg": _exif_rotated,
    "wrong_ext.jpg": lambda: _png(Image.fromarray(_ink())),  # a PNG named .jpg
}


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return save_model(new_bundle("tiny", CTCCodec()), tmp_path_factory.mktemp("m") / "m.safetensors")


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_image_one_line_error(tmp_path, capsys, model, name):
    factory, words = BAD[name]
    path = tmp_path / name
    path.write_bytes(factory())
    t = time.perf_counter()
    code = main(["recognize", str(path), "--model", str(model)])
    elapsed = time.perf_counter() - t
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, err
    assert name in err[0] and words in err[0], err[0]
    assert elapsed < 10  # refused without decoding 900 MP


@pytest.mark.parametrize("name", sorted(ODD))
def test_odd_image_gives_a_result(tmp_path, capsys, model, name):
    path = tmp_path / name
    path.write_bytes(ODD[name]())
    code = main(["recognize", str(path), "--model", str(model), "--json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert '"text"' in out.out


def test_blank_pages_are_empty_not_guesses(tmp_path, capsys, model):
    for name in ("white.png", "black.png"):
        (tmp_path / name).write_bytes(ODD[name]())
        assert main(["recognize", str(tmp_path / name), "--model", str(model), "--json"]) == 0
        assert '"empty": true' in capsys.readouterr().out


def test_one_bad_file_does_not_stop_the_others(tmp_path, capsys, model):
    good = tmp_path / "good.png"
    good.write_bytes(_png(Image.fromarray(_ink())))
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"junk")
    code = main(["recognize", str(bad), str(good), "--model", str(model)])
    out = capsys.readouterr()
    assert code == 2
    assert str(good) in out.out and "bad.png" in out.err
