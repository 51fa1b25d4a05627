"""Synthetic handwriting: text from `TextGenerator` rendered with handwriting fonts, then bent a little.

The whole string is laid out by Pillow (raqm when available, so cursive fonts keep their joins and
kerning), then one `cv2.remap` adds a wavy baseline, a slant and uneven letter spacing; stroke
width, ink tone, background and margins vary too. The ink is cropped from a generously padded
canvas, so tall diacritics (Ễ, Ặ) and descenders are never clipped. Paper noise, blur and JPEG are
left to `augment`, which runs on synthetic and real images alike.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..charset import VIETNAMESE_LETTERS, CTCCodec, normalize_text
from ..errors import DatasetError
from .records import Record
from .spec import DataSpec
from .textgen import LANGS, TextGenerator

log = logging.getLogger(__name__)

__all__ = ["FontInfo", "load_fonts", "split_fonts", "SyntheticRenderer", "SyntheticSource"]

FONT_SUFFIXES = (".ttf", ".otf")
_MISSING_PROBE = "\U0010fffd"  # a private-use code point no font maps: renders as .notdef


@dataclass(frozen=True)
class FontInfo:
    path: Path
    family: str
    vietnamese: bool  # covers all 134 precomposed Vietnamese letters
    style: str = ""


# ------------------------------------------------------------------------------------------ fonts


def _basic_font(path: Path, size: int = 32) -> ImageFont.FreeTypeFont:
    # BASIC layout maps code points straight to glyphs; raqm would compose a missing "ỗ" from o + marks,
    # which hides the gap (and places marks unreliably), so coverage checks use BASIC.
    return ImageFont.truetype(str(path), size, layout_engine=ImageFont.Layout.BASIC)


def _glyph_key(font: ImageFont.FreeTypeFont, ch: str) -> tuple[tuple[int, int], bytes]:
    mask = font.getmask(ch)
    return mask.size, bytes(mask)


def _has_vietnamese(path: Path) -> bool:
    """Heuristic for fonts without a manifest: every precomposed letter renders as something other than .notdef."""
    try:
        font = _basic_font(path)
    except OSError:
        return False
    notdef = _glyph_key(font, _MISSING_PROBE)
    return all(_glyph_key(font, ch) != notdef for ch in VIETNAMESE_LETTERS)


def _family_from_file(path: Path) -> str:
    return path.stem.split("-")[0]


def load_fonts(
    font_dir: str | Path, families: Iterable[str] | None = None, exclude: Iterable[str] | None = None
) -> list[FontInfo]:
    """Fonts of a folder, from its `fonts.tsv` manifest when present (viet_cov == 100 means Vietnamese).

    Font files the manifest does not list are added with a rendering-based Vietnamese check.
    `families` / `exclude` are family names (case-insensitive); an unknown name is an error, not a no-op.
    """
    font_dir = Path(font_dir)
    if not font_dir.is_dir():
        raise DatasetError(f"no such font folder: {font_dir}")
    fonts: list[FontInfo] = []
    listed: set[str] = set()
    manifest = font_dir / "fonts.tsv"
    if manifest.is_file():
        with manifest.open(encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh, delimiter="\t"):
                name = (row.get("file") or "").strip()
                if not name:
                    continue
                listed.add(name)
                path = font_dir / name
                if not path.is_file():
                    log.warning("fonts.tsv lists %s but the file is missing", name)
                    continue
                try:
                    viet = float(row.get("viet_cov") or 0) >= 100.0
                except ValueError:
                    viet = False
                family = (row.get("family") or "").strip() or _family_from_file(path)
                fonts.append(FontInfo(path, family, viet, (row.get("style") or "").strip()))
    for path in sorted(font_dir.iterdir()):
        if path.suffix.lower() in FONT_SUFFIXES and path.name not in listed and path.is_file():
            fonts.append(FontInfo(path, _family_from_file(path), _has_vietnamese(path), ""))
    if not fonts:
        raise DatasetError(f"no .ttf or .otf fonts in {font_dir}")

    known = {f.family.lower(): f.family for f in fonts}

    def _names(names: Iterable[str] | None, what: str) -> set[str] | None:
        if names is None:
            return None
        wanted = {n.strip().lower() for n in names if n.strip()}
        unknown = sorted(wanted - set(known))
        if unknown:
            raise DatasetError(
                f"unknown font famil{'ies' if len(unknown) > 1 else 'y'} {', '.join(unknown)} in {what} "
                f"(known: {', '.join(sorted(known.values()))})"
            )
        return wanted

    keep = _names(families, "fonts")
    drop = _names(exclude, "exclude_fonts") or set()
    fonts = [f for f in fonts if (keep is None or f.family.lower() in keep) and f.family.lower() not in drop]
    if not fonts:
        raise DatasetError(f"no fonts left in {font_dir} after the fonts / exclude_fonts selection")
    return fonts


def _family_score(family: str, seed: int) -> float:
    digest = hashlib.sha1(f"{seed}:{family.lower()}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def split_fonts(
    fonts: Sequence[FontInfo], holdout: float | Iterable[str] = 0.15, seed: int = 0
) -> tuple[list[FontInfo], list[FontInfo]]:
    """(train, held-out) by family, so an evaluation can use handwriting styles never seen in training.

    With a fraction, a family is held out when a hash of its name falls below it: adding fonts later
    does not reshuffle the others. Both the Vietnamese-capable and the English-only group get at
    least one held-out family when they have two or more. A list of family names holds out exactly those.
    """
    families: dict[str, bool] = {}
    for f in fonts:
        families[f.family.lower()] = families.get(f.family.lower(), False) or f.vietnamese
    if isinstance(holdout, int | float):
        if not 0.0 <= holdout < 1.0:
            raise DatasetError(f"font holdout fraction must be in [0, 1), got {holdout}")
        held = {fam for fam in families if _family_score(fam, seed) < holdout}
        if holdout > 0:
            for viet in (True, False):
                group = sorted(
                    (fam for fam, v in families.items() if v == viet), key=lambda x: _family_score(x, seed)
                )
                if len(group) >= 2 and not held & set(group):
                    held.add(group[0])
    else:
        held = {h.strip().lower() for h in holdout if h.strip()}
        unknown = sorted(held - set(families))
        if unknown:
            raise DatasetError(f"held-out font families not found: {', '.join(unknown)}")
    train = [f for f in fonts if f.family.lower() not in held]
    heldout = [f for f in fonts if f.family.lower() in held]
    return train, heldout


# --------------------------------------------------------------------------------------- renderer


def fade_hairlines(mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A glyph mask (uint8, ink high) without its strokes under 0.4-0.6 of its broadest stroke's
    width: the faint upstrokes of a nib or a copybook hand, which a scan's threshold loses and
    preprocessing cannot bring back (`EcolierCourt`, a held-out school hand, reaches the network as
    its downstrokes alone; run `fade1`, trained with half its fonts so, read that hand no better:
    training/README.md, session 62). A pen of even width keeps its strokes; the mask is kept as it
    was where less than a third of its ink would be left."""
    ink = (mask > 127).astype(np.uint8)
    broadest = 2.0 * float(cv2.distanceTransform(ink, cv2.DIST_L2, 3).max())
    across = int(round(rng.uniform(0.4, 0.6) * broadest))
    if across < 2:
        return mask
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (across, across))
    opened = cv2.morphologyEx(mask, cv2.MORPH_OPEN, disc)
    return opened if np.count_nonzero(opened > 127) * 3 >= np.count_nonzero(ink) else mask


class SyntheticRenderer:
    """Renders text as a uint8 grayscale image, dark ink on light paper. Instances cache fonts; not thread-safe."""

    def __init__(
        self,
        fonts: Sequence[FontInfo],
        text_generator: TextGenerator | None = None,
        min_size: int = 24,
        max_size: int = 72,
    ) -> None:
        if not fonts:
            raise DatasetError("SyntheticRenderer needs at least one font")
        if not 6 <= min_size <= max_size:
            raise DatasetError(
                f"font sizes must satisfy 6 <= min_size <= max_size, got {min_size}, {max_size}"
            )
        self.fonts = list(fonts)
        self.vietnamese_fonts = [f for f in self.fonts if f.vietnamese]
        self.text_generator = text_generator if text_generator is not None else TextGenerator()
        self.min_size = min_size
        self.max_size = max_size
        self._init_caches()

    def _init_caches(self) -> None:
        self._fonts: dict[tuple[Path, int], ImageFont.FreeTypeFont] = {}
        self._coverage: dict[Path, dict[str, bool]] = {}
        self._probes: dict[Path, tuple[ImageFont.FreeTypeFont, tuple[tuple[int, int], bytes]]] = {}

    # FreeType fonts cannot be pickled; DataLoader workers get a copy without the caches and refill them.
    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        for key in ("_fonts", "_coverage", "_probes"):
            state.pop(key, None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._init_caches()

    # ------------------------------------------------------------------ fonts
    def _font(self, path: Path, size: int) -> ImageFont.FreeTypeFont:
        key = (path, size)
        font = self._fonts.get(key)
        if font is None:
            try:
                font = ImageFont.truetype(str(path), size)
            except OSError as e:
                raise DatasetError(f"cannot open font {path}: {e}") from e
            self._fonts[key] = font
        return font

    def covers(self, font: FontInfo, text: str) -> bool:
        """Whether the font has a glyph for every character of `text` (whitespace always passes)."""
        cov = self._coverage.setdefault(font.path, {})
        for ch in set(text):
            ok = cov.get(ch)
            if ok is None:
                if ch.isspace():
                    ok = True
                else:
                    probe = self._probes.get(font.path)
                    if probe is None:
                        basic = _basic_font(font.path)
                        probe = self._probes[font.path] = (basic, _glyph_key(basic, _MISSING_PROBE))
                    ok = _glyph_key(probe[0], ch) != probe[1]
                cov[ch] = ok
            if not ok:
                return False
        return True

    def pick_font(self, text: str, rng: np.random.Generator) -> FontInfo | None:
        """A random font that covers `text` (Vietnamese-capable ones for non-ASCII text), or None."""
        pool = self.fonts if text.isascii() else (self.vietnamese_fonts or self.fonts)
        for _ in range(6):  # cheap random tries first; the exhaustive pass is for unusual characters
            font = pool[int(rng.integers(0, len(pool)))]
            if self.covers(font, text):
                return font
        ok = [f for f in pool if self.covers(f, text)]
        if not ok and pool is not self.fonts:
            ok = [f for f in self.fonts if self.covers(f, text)]
        return ok[int(rng.integers(0, len(ok)))] if ok else None

    # ------------------------------------------------------------------ rendering
    def render(
        self,
        text: str,
        rng: np.random.Generator,
        font: FontInfo | None = None,
        size: int | None = None,
        spaced: bool = False,
        faded: bool = False,
    ) -> np.ndarray:
        """`text` in handwriting: uint8 (H, W), dark ink on a light background, ink never touching the
        border. `spaced`: its letters set apart as on a form (`_spaced_mask`); `faded`: its thin
        strokes taken off (`fade_hairlines`)."""
        if font is None:
            font = self.pick_font(text, rng)
            if font is None:
                log.debug("no font covers %r; rendering with missing glyphs", text)
                font = self.fonts[int(rng.integers(0, len(self.fonts)))]
        if size is None:
            size = int(rng.integers(self.min_size, self.max_size + 1))
        pil = self._font(font.path, size)
        stroke = 1 if size >= 40 and rng.random() < 0.2 else 0

        if spaced:
            mask = self._spaced_mask(text, pil, size, stroke, rng)
        else:
            # Layout on a padded canvas: getbbox is the ink box, the pad absorbs hinting and overhangs.
            left, top, right, bottom = pil.getbbox(text, stroke_width=stroke)
            pad = size // 4 + 2
            w, h = max(1, right - left) + 2 * pad, max(1, bottom - top) + 2 * pad
            canvas = Image.new("L", (w, h), 0)
            ImageDraw.Draw(canvas).text(
                (pad - left, pad - top), text, font=pil, fill=255, stroke_width=stroke, stroke_fill=255
            )
            mask = np.asarray(canvas)

        mask = self._warp(mask, rng, size)
        mask = self._stroke(mask, rng, size, stroke)
        if faded:
            mask = fade_hairlines(mask, rng)
        return self._compose(mask, rng, size)

    @staticmethod
    def _spaced_mask(
        text: str, pil: ImageFont.FreeTypeFont, size: int, stroke: int, rng: np.random.Generator
    ) -> np.ndarray:
        """`text` with its letters set apart, as block capitals are written on a form (the scanned
        names of `kaggle_names`): a gap of 0.1-0.8 of the size after every letter, and a word's space
        1.5-3 such gaps wider, so that only the gap's width against the letters' tells a space."""
        gap = size * rng.uniform(0.1, 0.8)
        space = pil.getlength(" ") + gap * rng.uniform(1.5, 3.0)
        ascent, descent = pil.getmetrics()
        pad = size // 2 + 2
        xs, x = [], float(pad)
        for ch in text:
            xs.append(x)
            x += space if ch == " " else pil.getlength(ch) + gap
        canvas = Image.new("L", (int(x) + pad, ascent + descent + 2 * pad), 0)
        draw = ImageDraw.Draw(canvas)
        for ch, at in zip(text, xs, strict=True):
            if ch != " ":  # "ls": each glyph on the one baseline
                draw.text(
                    (at, pad + ascent),
                    ch,
                    font=pil,
                    fill=255,
                    anchor="ls",
                    stroke_width=stroke,
                    stroke_fill=255,
                )
        return np.asarray(canvas)

    def _warp(self, mask: np.ndarray, rng: np.random.Generator, size: int) -> np.ndarray:
        """Wavy baseline, slant and uneven spacing in one remap (all displacements smooth in x)."""
        h, w = mask.shape
        amp = size * rng.uniform(0.0, 0.06)  # baseline wave amplitude
        jitter = size * rng.uniform(0.0, 0.04)  # per-letter-ish baseline jitter
        stretch = size * rng.uniform(0.0, 0.05)  # horizontal displacement: uneven letter spacing
        shear = rng.uniform(-0.15, 0.35) if rng.random() < 0.7 else 0.0
        pad_y = int(math.ceil(amp + jitter)) + 1
        pad_x = int(math.ceil(stretch + abs(shear) * h)) + 1
        out_h, out_w = h + 2 * pad_y, w + 2 * pad_x

        xs = np.arange(out_w, dtype=np.float32)
        wavelength = size * rng.uniform(2.0, 7.0)
        dy = amp * np.sin(2 * np.pi * xs / wavelength + rng.uniform(0, 2 * np.pi))
        n_knots = max(2, int(out_w / (0.5 * size)) + 2)
        knots = rng.uniform(-jitter, jitter, size=n_knots).astype(np.float32)
        dy += np.interp(xs, np.linspace(0, out_w - 1, n_knots), knots).astype(np.float32)
        dx = stretch * np.sin(2 * np.pi * xs / (size * rng.uniform(1.0, 3.0)) + rng.uniform(0, 2 * np.pi))

        ys = np.arange(out_h, dtype=np.float32)[:, None]
        map_y = (ys - pad_y - dy[None, :]).astype(np.float32)
        map_x = (xs[None, :] - pad_x - dx[None, :] + shear * (ys - pad_y - h / 2)).astype(np.float32)
        return cv2.remap(mask, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)

    @staticmethod
    def _stroke(mask: np.ndarray, rng: np.random.Generator, size: int, stroke: int) -> np.ndarray:
        """Thicker or thinner pen. Thinning only for large text, and undone if it would erase the ink."""
        r = rng.random()
        if r < 0.25 and size >= 28:
            k = 3 if size >= 56 and rng.random() < 0.3 else 2
            return cv2.dilate(mask, np.ones((k, k), np.uint8))
        if r < 0.4 and size >= 44 and stroke == 0:
            thin = cv2.erode(mask, np.ones((2, 2), np.uint8))
            if np.count_nonzero(thin > 127) >= 0.5 * np.count_nonzero(mask > 127):
                return thin
        return mask

    @staticmethod
    def _compose(mask: np.ndarray, rng: np.random.Generator, size: int) -> np.ndarray:
        """Crop to the ink, add random margins, paint ink of a random tone on a light background."""
        rows = np.flatnonzero(mask.max(axis=1))
        cols = np.flatnonzero(mask.max(axis=0))
        if rows.size == 0:  # only spaces: an empty sheet
            mask = np.zeros((size, size), np.uint8)
        else:
            mask = mask[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
        top, bottom = (int(v) for v in rng.integers(2, max(3, size // 4) + 1, size=2))
        left, right = (int(v) for v in rng.integers(2, max(3, size // 3) + 1, size=2))
        mask = cv2.copyMakeBorder(mask, top, bottom, left, right, cv2.BORDER_CONSTANT, value=0)

        background = rng.uniform(210.0, 255.0)
        if rng.random() < 0.2:  # blue ballpoint, as a grayscale scan sees it
            r, g, b = rng.uniform(0, 60), rng.uniform(20, 90), rng.uniform(100, 200)
            ink = 0.299 * r + 0.587 * g + 0.114 * b
        else:
            ink = rng.uniform(0.0, 70.0)
        alpha = mask.astype(np.float32) * (1.0 / 255.0)
        out = background - (background - ink) * alpha
        return np.clip(out + 0.5, 0, 255).astype(np.uint8)

    @staticmethod
    def render_as_strokes(
        text: str, rng: np.random.Generator, font: FontInfo, nib: bool = False
    ) -> np.ndarray:
        """`text` as it looks when written on the app's canvas: the font's glyph skeletons as pen
        strokes (random slant, scale and wobble), drawn with the canvas pen, dark on white. `nib`:
        drawn with a broad nib instead, as a fountain pen writes them: broad strokes across its
        edge, hairlines along it (a school copybook's thick downstrokes and thin joins)."""
        from ..preprocess import render_strokes
        from ..strokes import text_to_strokes  # imported here: strokes imports this module

        size = int(rng.integers(40, 73))
        jitter = float(rng.uniform(0.3, 1.5))
        # the font was chosen for covering the text (`pick_font`)
        strokes = text_to_strokes(text, font.path, size=size, rng=rng, jitter=jitter, check_coverage=False)
        if nib:
            edge = (float(rng.uniform(0.05, 0.25)), math.radians(rng.uniform(-10.0, 45.0)))
            return render_strokes(strokes, pen_width=size * float(rng.uniform(0.06, 0.12)), nib=edge)
        return render_strokes(strokes, pen_width=float(rng.uniform(2.0, 5.0)))

    # ------------------------------------------------------------------ samples
    def sample(
        self,
        rng: np.random.Generator,
        kind: str = "mixed",
        codec: CTCCodec | None = None,
        lang: str | None = None,
        strokes: float = 0.0,
        spaced: float = 0.0,
        fade: float = 0.0,
        nib: float = 0.0,
    ) -> tuple[np.ndarray, str]:
        """(image, text): a generated text in a font that has all its glyphs (and, if given, within
        `codec`); with probability `spaced` in block capitals set apart as on a form (`_spaced_mask`),
        else with probability `strokes` written as canvas pen strokes instead of typeset, and those
        with probability `nib` with a broad nib (`render_as_strokes`). A typeset text has its
        hairlines faded (`fade_hairlines`) with probability `fade`."""
        for _ in range(20):
            text = self.text_generator.sample(rng, kind, lang)
            # (rng drawn only when asked: a spec without the option renders as it always did)
            block = spaced > 0 and rng.random() < spaced
            if block:
                text = normalize_text(text.upper())
            if codec is not None and any(c not in codec for c in text):
                continue
            font = self.pick_font(text, rng)
            if font is not None:
                if strokes > 0 and not block and rng.random() < strokes:
                    with_nib = nib > 0 and rng.random() < nib
                    return self.render_as_strokes(text, rng, font, nib=with_nib), text
                faded = fade > 0 and rng.random() < fade
                return self.render(text, rng, font, spaced=block, faded=faded), text
        raise DatasetError("could not generate a text that the fonts (and alphabet) can show in 20 tries")


# ----------------------------------------------------------------------------------------- source


class SyntheticSource:
    """An epoch of `n` synthetic samples from a `synth:` spec, each a pure function of (seed, epoch, index).

    Options: n (10000), lang (en | vi | en,vi), kind (word | line | mixed | number), strokes (share of samples
    written as canvas pen strokes rather than typeset, 0..1, default 0), spaced (share of samples
    written in block capitals set apart as on a form, typeset, 0..1, default 0), fade (share of typeset
    samples whose hairlines fade, `fade_hairlines`, 0..1, default 0), nib (share of the samples
    written as strokes that a broad nib draws, thick and thin, 0..1, default 0), fonts / exclude_fonts
    (comma-separated families), heldout (train | heldout | all; default from the split: val/test ->
    heldout, train -> train, none or an explicit `fonts` list -> all; `hwr train` gives its sources
    the train split and its validation the val one; a split that would leave no font, in a folder of
    a family or two, uses them all), holdout (fraction of families held out, 0.15), seed.
    """

    def __init__(self, spec: DataSpec, seed: int = 0, codec: CTCCodec | None = None) -> None:
        if spec.kind != "synth":
            raise DatasetError(f"SyntheticSource needs a synth: spec, got '{spec}'")
        opts = spec.options
        self.spec = spec
        self.n = spec.option_int("n", 10000, minimum=1)
        self.seed = spec.option_int("seed", seed)
        self.kind = opts.get("kind", "mixed")
        if self.kind not in ("word", "line", "mixed", "number"):
            raise DatasetError(f"kind must be word, line, mixed or number in '{spec}', got {self.kind!r}")
        langs = tuple(x.strip() for x in opts.get("lang", "en,vi").split(",") if x.strip())
        bad = [x for x in langs if x not in LANGS]
        if bad or not langs:
            raise DatasetError(f"lang must be en, vi or en,vi in '{spec}', got {opts.get('lang')!r}")
        self.codec = codec
        self.strokes = spec.option_share("strokes", 0.0)
        self.spaced = spec.option_share("spaced", 0.0)
        self.fade = spec.option_share("fade", 0.0)
        self.nib = spec.option_share("nib", 0.0)

        def _list(key: str) -> list[str] | None:
            return [x for x in opts[key].split(",") if x.strip()] if key in opts else None

        fonts = load_fonts(spec.path, _list("fonts"), _list("exclude_fonts"))
        which = opts.get("heldout")
        if which is None and "fonts" in opts:
            which = "all"  # families named explicitly are used as named
        elif which is None:
            which = {"train": "train", None: "all"}.get(spec.split, "heldout")
        if which not in ("train", "heldout", "all"):
            raise DatasetError(f"heldout must be train, heldout or all in '{spec}', got {which!r}")
        if which != "all":
            fraction = spec.option_share("holdout", 0.15)
            train, held = split_fonts(fonts, fraction, seed=0)  # fixed seed: the held-out fonts never move
            chosen = train if which == "train" else held
            if not chosen and "heldout" in opts:
                raise DatasetError(f"no {which} fonts in '{spec}' (holdout={fraction})")
            if not chosen:  # a folder of a family or two, split by role: too few to hold any out
                log.warning("'%s': too few font families to split off %s ones; using them all", spec, which)
            fonts = chosen or fonts
        if "vi" in langs and not any(f.vietnamese for f in fonts):
            if langs == ("vi",):
                raise DatasetError(f"no Vietnamese-capable font selected in '{spec}'")
            log.warning("no Vietnamese-capable font in '%s': Vietnamese text will be rare", spec)
        self.fonts = fonts
        self.renderer = SyntheticRenderer(fonts, TextGenerator(langs))
        self.name = spec.name

    def __len__(self) -> int:
        return self.n

    def get(self, index: int, epoch_seed: int = 0) -> Record:
        """Sample `index` of epoch `epoch_seed`; the same arguments always give the same image and text."""
        if not 0 <= index < self.n:
            raise IndexError(f"synthetic sample {index} out of range (0..{self.n - 1})")
        rng = np.random.default_rng([self.seed, int(epoch_seed), int(index)])
        image, text = self.renderer.sample(
            rng, self.kind, self.codec, strokes=self.strokes, spaced=self.spaced, fade=self.fade, nib=self.nib
        )
        return Record(text=text, image=image, split=self.spec.split, source=self.name)

    def __getitem__(self, index: int) -> Record:
        return self.get(index)

    def first(self, limit: int = 0) -> list[Record]:
        """Epoch 0's first `limit` samples (all `n` when 0): a fixed set to validate or evaluate on."""
        return [self.get(i, 0) for i in range(min(limit, self.n) if limit > 0 else self.n)]
