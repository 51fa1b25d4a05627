"""Text generation (no fonts needed) and synthetic rendering with the shared handwriting fonts."""

from __future__ import annotations

import pickle
import re
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from testdata import FONTS, needs_fonts

from hwr_core.charset import ASCII_PRINTABLE, DEFAULT_ALPHABET, VIETNAMESE_LETTERS, normalize_text
from hwr_core.data import (
    SyntheticRenderer,
    SyntheticSource,
    TextGenerator,
    load_fonts,
    load_wordlist,
    parse_spec,
    split_fonts,
)
from hwr_core.data.synth import FontInfo, fade_hairlines
from hwr_core.data.textgen import generated_numbers
from hwr_core.errors import DatasetError
from hwr_core.strokes import zhang_suen_thin

# ------------------------------------------------------------------------- no fonts needed


def _contrast_glyph() -> np.ndarray:
    """A downstroke 9 px broad joined by a 1-px hairline to another: a copybook letter's make-up."""
    mask = np.zeros((60, 80), np.uint8)
    mask[10:50, 10:19] = 255
    mask[10:50, 55:64] = 255
    mask[30, 19:55] = 255
    return mask


def test_fade_hairlines_takes_thin_strokes_off_and_keeps_broad_ones() -> None:
    mask = _contrast_glyph()
    for seed in range(5):
        faded = fade_hairlines(mask, np.random.default_rng(seed))
        assert not (faded[28:33, 25:50] > 127).any(), seed  # the hairline is gone
        kept = np.count_nonzero(faded[10:50, 10:19] > 127)
        assert kept >= 0.8 * 40 * 9, seed  # the downstrokes stay (their corners rounded)
    # an even pen: every stroke as broad as the broadest, nothing to take off
    even = np.zeros((60, 80), np.uint8)
    even[10:50, 10:16] = 255
    even[30:36, 16:60] = 255
    faded = fade_hairlines(even, np.random.default_rng(0))
    assert np.count_nonzero(faded > 127) >= 0.95 * np.count_nonzero(even > 127)
    # a hand of hairlines only would lose most of its ink: kept as it was
    thin = np.zeros((60, 80), np.uint8)
    thin[30, 5:75] = 255
    thin[5:55, 40] = 255
    thin[20:24, 38:42] = 255  # one small blot, the broadest "stroke"
    assert np.array_equal(fade_hairlines(thin, np.random.default_rng(0)), thin)


def test_wordlists_cover_every_vietnamese_letter() -> None:
    words, phrases = load_wordlist("vi")
    text = " ".join(words + phrases)
    assert len(words) + len(phrases) > 2000
    assert [c for c in VIETNAMESE_LETTERS if c not in text] == []
    en_words, _ = load_wordlist("en")
    assert len(en_words) > 2000 and all(w == normalize_text(w) for w in words)


def test_textgen_alphabet_determinism_and_coverage() -> None:
    gen = TextGenerator()
    alphabet = set(DEFAULT_ALPHABET)
    a = [gen.sample(np.random.default_rng([7, i]), "mixed") for i in range(300)]
    b = [gen.sample(np.random.default_rng([7, i]), "mixed") for i in range(300)]
    assert a == b
    assert a != [gen.sample(np.random.default_rng([8, i]), "mixed") for i in range(300)]
    for t in a:
        assert t and set(t) <= alphabet and t == normalize_text(t) and t == " ".join(t.split())

    rng = np.random.default_rng(0)
    seen: set[str] = set()
    for _ in range(20000):  # ~5000 words cover all 134 letters on average; 20000 leaves a wide margin
        seen.update(gen.word(rng, "vi"))
    missing = [c for c in VIETNAMESE_LETTERS if c not in seen]
    assert missing == [], f"letters never generated: {''.join(missing)}"


def test_textgen_kinds_and_lengths() -> None:
    gen = TextGenerator(langs=("en",))
    rng = np.random.default_rng(1)
    words = [gen.sample(rng, "word") for _ in range(200)]
    lines = [gen.line(rng, max_chars=30) for _ in range(200)]
    assert all(set(w) <= set(ASCII_PRINTABLE + "°") for w in words + lines)  # "30°C" is English too
    assert max(len(w.split()) for w in words) <= 2  # a token (rare phrases aside: "C:\\", "1+1=2")
    assert all(len(line) <= 30 or " " not in line for line in lines)
    assert any(any(c.isdigit() for c in w) for w in words)
    assert any(w.isupper() for w in words) and any(w[:1].isupper() and w[1:].islower() for w in words)
    vi = TextGenerator(langs=("vi",))
    addresses = [vi.address(rng) for _ in range(50)]
    assert any(a.startswith("Số ") and "Phường" in a for a in addresses)
    with pytest.raises(DatasetError):
        TextGenerator(langs=("fr",))
    with pytest.raises(DatasetError):
        gen.sample(rng, "page")
    numbers = [gen.sample(rng, "number") for _ in range(200)]  # every one holds a digit
    assert all(any(c.isdigit() for c in n) for n in numbers) and any("." in n for n in numbers)


def test_generated_decimals_are_mostly_small_as_written() -> None:
    # A character model counts these numbers: with whole parts uniform in 0-99 (session 19), a
    # digit was followed by a colon (a time) far more often than by a point, and "3.14" read "3:14".
    numbers = generated_numbers(4000, seed=0)
    decimals = [n for n in numbers if re.fullmatch(r"\d+[.,]\d{1,2}", n)]
    assert len(decimals) > 200
    assert {n[-2] for n in decimals} & {".", ","}  # one decimal digit occurs as well as two
    assert sum(re.match(r"\d[.,]", n) is not None for n in decimals) / len(decimals) > 0.3
    times = sum(re.fullmatch(r"\d:\d\d", n) is not None for n in numbers)
    one_digit_decimals = sum(re.match(r"\d[.,]\d", n) is not None for n in numbers)
    assert one_digit_decimals > times / 2


def test_load_fonts_errors(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="no .ttf or .otf"):
        load_fonts(tmp_path)
    with pytest.raises(DatasetError, match="no such font folder"):
        load_fonts(tmp_path / "nope")


def test_split_fonts_without_files() -> None:
    fonts = [FontInfo(Path(f"{n}.ttf"), n, i % 3 == 0) for i, n in enumerate(f"Fam{i}" for i in range(30))]
    train, held = split_fonts(fonts, 0.3, seed=0)
    assert {f.family for f in train}.isdisjoint(f.family for f in held)
    assert len(train) + len(held) == 30
    assert any(f.vietnamese for f in held) and any(not f.vietnamese for f in held)
    # Stable: adding families never moves an existing one to the other side (threshold per family;
    # here both groups have a family under the threshold, so the one-per-group fallback is unused).
    more = fonts + [FontInfo(Path(f"New{i}.ttf"), f"New{i}", i % 2 == 0) for i in range(10)]
    _, held2 = split_fonts(more, 0.3, seed=0)
    assert {f.family for f in held} <= {f.family for f in held2}
    _, named = split_fonts(fonts, ["fam3", "Fam4"])
    assert [f.family for f in named] == ["Fam3", "Fam4"]
    with pytest.raises(DatasetError):
        split_fonts(fonts, ["Nope"])


# ------------------------------------------------------------------------- real fonts


@pytest.fixture(scope="module")
def fonts() -> list[FontInfo]:
    return load_fonts(FONTS)


@needs_fonts
def test_load_fonts_manifest(fonts: list[FontInfo]) -> None:
    viet = {f.family for f in fonts if f.vietnamese}
    assert len(viet) == 28 and {"PlaywriteVN", "Allura", "Yomogi"} <= viet
    assert "Caveat" not in viet  # 32.8 % coverage: composing marks is unreliable
    chosen = load_fonts(FONTS, families=["allura", "Caveat"], exclude=["caveat"])
    assert [f.family for f in chosen] == ["Allura"]
    with pytest.raises(DatasetError, match="unknown font family"):
        load_fonts(FONTS, families=["NoSuchFont"])


@needs_fonts
def test_load_fonts_without_manifest_detects_vietnamese(tmp_path: Path) -> None:
    # Font files are OFL and copied to tmp only; Caveat maps just a third of the Vietnamese letters.
    for name in ("Allura-Regular.ttf", "Caveat-Regular.ttf"):
        shutil.copy(FONTS / name, tmp_path / name)
    found = {f.family: f.vietnamese for f in load_fonts(tmp_path)}
    assert found == {"Allura": True, "Caveat": False}


@needs_fonts
def test_heldout_fonts_disjoint_and_stable(fonts: list[FontInfo]) -> None:
    train, held = split_fonts(fonts, 0.15, seed=0)
    assert {f.family for f in train}.isdisjoint({f.family for f in held})
    assert any(f.vietnamese for f in held) and any(not f.vietnamese for f in held)
    assert split_fonts(list(reversed(fonts)), 0.15, seed=0)[1] == list(reversed(held))
    without_one = [f for f in fonts if f.family != train[0].family]
    assert split_fonts(without_one, 0.15, seed=0)[1] == held


@needs_fonts
def test_a_folder_of_one_family_serves_both_roles_unless_a_role_is_asked_for(tmp_path: Path) -> None:
    shutil.copy(FONTS / "Allura-Regular.ttf", tmp_path / "Allura-Regular.ttf")
    train, held = split_fonts(load_fonts(tmp_path), 0.15, seed=0)
    empty_role = "train" if not train else "heldout"  # one family: one of the two is empty
    for split in ("train", "val"):
        source = SyntheticSource(parse_spec(f"synth:{tmp_path}?n=2&split={split}"))
        assert [f.family for f in source.fonts] == ["Allura"]
    with pytest.raises(DatasetError, match=f"no {empty_role} fonts"):
        SyntheticSource(parse_spec(f"synth:{tmp_path}?n=2&heldout={empty_role}"))


@needs_fonts
def test_render_vietnamese_not_clipped(fonts: list[FontInfo]) -> None:
    renderer = SyntheticRenderer(fonts)
    text = "Ễ Ặ Quỳnh gặp Đỗ ỹ"
    for font in (f for f in fonts if f.vietnamese):
        img = renderer.render(text, np.random.default_rng(3), font=font, size=40)
        assert img.dtype == np.uint8 and img.ndim == 2
        ink = img < (int(img.max()) + int(img.min())) // 2
        assert ink.any(), font.family
        # Margins of at least 2 px on every side: nothing touches (so nothing was cut at) the border.
        assert not (ink[:2].any() or ink[-2:].any() or ink[:, :2].any() or ink[:, -2:].any()), font.family
        assert np.median(img) > img.min() + 60  # light background, dark ink
    # A tall diacritic makes the image taller than the bare letter with the same randomness.
    font = next(f for f in fonts if f.family == "PatrickHand")
    tall = renderer.render("Ễ", np.random.default_rng(5), font=font, size=48)
    bare = renderer.render("E", np.random.default_rng(5), font=font, size=48)
    assert tall.shape[0] > bare.shape[0]


@needs_fonts
def test_render_deterministic_and_vietnamese_font_choice(fonts: list[FontInfo]) -> None:
    renderer = SyntheticRenderer(fonts)
    a, ta = renderer.sample(np.random.default_rng(11), "mixed")
    b, tb = renderer.sample(np.random.default_rng(11), "mixed")
    assert ta == tb and np.array_equal(a, b)
    rng = np.random.default_rng(2)
    for _ in range(30):
        font = renderer.pick_font("Nguyễn Thị Ỹ", rng)
        assert font is not None and font.vietnamese
    assert renderer.pick_font("plain", rng) is not None
    copy = pickle.loads(pickle.dumps(renderer))  # DataLoader workers pickle the source
    c, tc = copy.sample(np.random.default_rng(11), "mixed")
    assert tc == ta and np.array_equal(c, a)


@needs_fonts
def test_synthetic_source(tmp_path: Path) -> None:
    spec = parse_spec(f"synth:{FONTS}?n=20&lang=vi&kind=word&split=train")
    src = SyntheticSource(spec, seed=5)
    assert len(src) == 20
    r1, r2 = src.get(3, 1), src.get(3, 1)
    assert r1.text == r2.text and np.array_equal(r1.image, r2.image)
    assert r1.path is None and r1.split == "train" and r1.source == "synth"
    assert src.get(3, 2).text != r1.text or not np.array_equal(src.get(3, 2).image, r1.image)
    train_fams = {f.family for f in src.fonts}
    held = SyntheticSource(parse_spec(f"synth:{FONTS}?n=5&split=val"))
    assert train_fams.isdisjoint(f.family for f in held.fonts)
    with pytest.raises(IndexError):
        src.get(20)
    first = src.first(3)  # epoch 0's first samples: a fixed val or eval set
    assert [r.text for r in first] == [src.get(i, 0).text for i in range(3)]
    assert all(np.array_equal(r.image, src.get(i, 0).image) for i, r in enumerate(first))
    assert len(src.first()) == len(src.first(99)) == 20
    with pytest.raises(DatasetError):
        SyntheticSource(parse_spec(f"synth:{FONTS}?lang=fr"))


@needs_fonts
def test_synthetic_source_writes_canvas_strokes(tmp_path: Path) -> None:
    strokes = SyntheticSource(
        parse_spec(f"synth:{FONTS}?n=6&lang=en,vi&kind=word&split=train&strokes=1"), seed=3
    )
    typeset = SyntheticSource(parse_spec(f"synth:{FONTS}?n=6&lang=en,vi&kind=word&split=train"), seed=3)
    for i in range(6):
        a, b = strokes.get(i, 0), strokes.get(i, 0)
        assert a.text == b.text and np.array_equal(
            a.image, b.image
        )  # a pure function of (seed, epoch, index)
        img = a.image
        assert img.dtype == np.uint8 and img.min() < 64  # dark canvas ink ...
        assert np.median(img) == 255  # ... on the canvas's pure white, unlike the papers of typeset samples
        assert not np.array_equal(img, typeset.get(i, 0).image)
    with pytest.raises(DatasetError, match="strokes"):
        SyntheticSource(parse_spec(f"synth:{FONTS}?strokes=2"))


@needs_fonts
def test_spaced_block_capitals_leave_words_the_widest_gaps(fonts: list[FontInfo]) -> None:
    """The form-style samples (`spaced`): capitals set apart, a word's space wider than any gap
    between its letters, so only the gaps' widths against each other tell a space."""
    font = next(f for f in fonts if f.family == "PatrickHand")
    renderer = SyntheticRenderer(fonts)
    pil = renderer._font(font.path, 48)
    for seed in range(6):
        mask = SyntheticRenderer._spaced_mask("LE MORVAN", pil, 48, 0, np.random.default_rng(seed))
        ink = (mask > 127).any(axis=0)
        cols = np.flatnonzero(ink)
        inside = ~ink[cols[0] : cols[-1] + 1]
        edges = np.flatnonzero(np.diff(np.r_[0, inside.astype(np.int8), 0]))
        gaps = edges[1::2] - edges[::2]  # blank column runs between glyphs, left to right
        assert len(gaps) == len("LEMORVAN") - 1, seed
        assert int(np.argmax(gaps)) == 1 and gaps[1] > 1.2 * np.delete(gaps, 1).max(), (seed, gaps)
    typeset = renderer.render("LE MORVAN", np.random.default_rng(1), font=font, size=48)
    spaced = renderer.render("LE MORVAN", np.random.default_rng(1), font=font, size=48, spaced=True)
    assert spaced.shape[1] > 1.3 * typeset.shape[1]

    source = SyntheticSource(
        parse_spec(f"synth:{FONTS}?n=8&lang=en,vi&kind=mixed&split=train&spaced=1"), seed=2
    )
    for i in range(8):
        a, b = source.get(i, 0), source.get(i, 0)
        assert a.text == b.text == a.text.upper() and np.array_equal(a.image, b.image)
    with pytest.raises(DatasetError, match="spaced"):
        SyntheticSource(parse_spec(f"synth:{FONTS}?spaced=2"))


@needs_fonts
def test_faded_samples_are_repeatable_and_off_by_default() -> None:
    """`fade`: a share of the typeset texts without their hairlines; 0 (or absent) renders as before."""
    spec = f"synth:{FONTS}?n=6&lang=en&kind=word&fonts=Allura,GreatVibes"
    plain = SyntheticSource(parse_spec(spec), seed=4)
    zero = SyntheticSource(parse_spec(spec + "&fade=0"), seed=4)
    faded = SyntheticSource(parse_spec(spec + "&fade=1"), seed=4)
    for i in range(6):
        assert np.array_equal(plain.get(i, 0).image, zero.get(i, 0).image)
        a, b = faded.get(i, 0), faded.get(i, 0)
        assert a.text == b.text and np.array_equal(a.image, b.image)
    with pytest.raises(DatasetError, match="fade"):
        SyntheticSource(parse_spec(f"synth:{FONTS}?fade=1.5"))


@needs_fonts
def test_nib_samples_are_repeatable_off_by_default_and_thick_and_thin() -> None:
    """`nib`: a share of the samples written as strokes drawn with a broad nib; 0 (or absent)
    renders as before. A nib's strokes vary in width where the round pen's are even."""
    spec = f"synth:{FONTS}?n=6&lang=en&kind=word&strokes=1&fonts=PatrickHand"
    plain = SyntheticSource(parse_spec(spec), seed=4)
    zero = SyntheticSource(parse_spec(spec + "&nib=0"), seed=4)
    nib = SyntheticSource(parse_spec(spec + "&nib=1"), seed=4)

    def width_spread(image: np.ndarray) -> float:  # the strokes' widths along their middles: 90th / 10th
        ink = (image < 160).astype(np.uint8)
        across = 2.0 * cv2.distanceTransform(ink, cv2.DIST_L2, 3)[zhang_suen_thin(ink > 0)]
        return float(np.percentile(across, 90) / max(np.percentile(across, 10), 1.0))

    for i in range(6):
        assert np.array_equal(plain.get(i, 0).image, zero.get(i, 0).image)
        a, b = nib.get(i, 0), nib.get(i, 0)
        assert a.text == b.text and np.array_equal(a.image, b.image)
    assert np.median([width_spread(nib.get(i, 0).image) for i in range(6)]) > 1.5 * np.median(
        [width_spread(plain.get(i, 0).image) for i in range(6)]
    )
    with pytest.raises(DatasetError, match="nib"):
        SyntheticSource(parse_spec(f"synth:{FONTS}?strokes=1&nib=1.5"))
