"""Text -> pen strokes, as if a person wrote it on the app's canvas.

GUI tests, screenshots, the "teach my handwriting" synthetic user and canvas-like training data need
polylines, not images. The text is rendered with a handwriting font, thinned to a 1-px skeleton
(Zhang-Suen, vectorized with a 256-entry lookup table), and the skeleton is walked into polylines:
first from its endpoints, then what is left (loops, bridges between junctions). Small blobs (i-dots,
the dot below "ạ") become one-point strokes. Each polyline is lightly smoothed and simplified
(Ramer-Douglas-Peucker), and the strokes are ordered left to right like handwriting.

Coordinates are canvas pixels, (x, y) with y down, the same convention as
`hwr_core.preprocess.render_strokes`. Fonts differ in weight: a pen of 0.02-0.1 * size px
(about 0.07 for PatrickHand or Kalam, 0.04 for DancingScript) redraws the font's look.
"""

from __future__ import annotations

import math
import os
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .components import components_with_stats
from .data.synth import FontInfo, SyntheticRenderer
from .data.textgen import TextGenerator
from .errors import HwrError

__all__ = [
    "Point",
    "Stroke",
    "scale_strokes",
    "strokes_bbox",
    "text_to_strokes",
    "trace_ink",
    "trace_skeleton",
    "zhang_suen_thin",
]

Point = tuple[float, float]
Stroke = list[Point]

# Neighbour order P2..P9 of Zhang & Suen (N, NE, E, SE, S, SW, W, NW) as (drow, dcol); bit k of a
# neighbourhood code is neighbour k.
_OFFSETS: tuple[tuple[int, int], ...] = ((-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1))
_N, _NE, _E, _SE, _S, _SW, _W, _NW = range(8)


def _bits(code: int) -> list[int]:
    return [(code >> k) & 1 for k in range(8)]


def _ring_components(code: int) -> int:
    """8-connected components among the set neighbours (adjacent when their offsets touch)."""
    on = [k for k, b in enumerate(_bits(code)) if b]
    parent = {k: k for k in on}

    def find(k: int) -> int:
        while parent[k] != k:
            k = parent[k]
        return k

    for i in on:
        for j in on:
            (r1, c1), (r2, c2) = _OFFSETS[i], _OFFSETS[j]
            if i < j and max(abs(r1 - r2), abs(c1 - c2)) == 1:
                parent[find(i)] = find(j)
    return len({find(k) for k in on})


def _build_luts() -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, ...]]:
    """Deletion tables for the two Zhang-Suen subiterations and the four staircase passes."""
    zs1 = np.zeros(256, np.uint8)
    zs2 = np.zeros(256, np.uint8)
    corners = [np.zeros(256, np.uint8) for _ in range(4)]
    for code in range(256):
        p = _bits(code)
        b = sum(p)
        a = sum(1 for k in range(8) if p[k] == 0 and p[(k + 1) % 8] == 1)
        if 2 <= b <= 6 and a == 1:
            if p[_N] * p[_E] * p[_S] == 0 and p[_E] * p[_S] * p[_W] == 0:
                zs1[code] = 1
            if p[_N] * p[_E] * p[_W] == 0 and p[_N] * p[_S] * p[_W] == 0:
                zs2[code] = 1
        # Staircase: a pixel at the inner corner of two 4-neighbours whose shared diagonal is empty is
        # redundant for 8-connectivity; removing it leaves degree-2 lines, so junctions are real ones.
        # (not a crossing or T centre: those have three or four 4-neighbours and must stay)
        simple = p[_N] + p[_E] + p[_S] + p[_W] == 2 and _ring_components(code) == 1
        for i, (u, v, diag) in enumerate(((_N, _E, _NE), (_E, _S, _SE), (_S, _W, _SW), (_W, _N, _NW))):
            if simple and p[u] and p[v] and not p[diag]:
                corners[i][code] = 1
    return zs1, zs2, tuple(corners)


_ZS1, _ZS2, _CORNERS = _build_luts()  # read-only constants
_CROSS_MIN_COS = 0.8  # a walk crosses a walked junction only when it goes on within ~37 degrees
_HEADING_STEPS = 8  # the pen's direction is taken over this many pixels: longer than a junction's bridge
_HOP_PIXELS = 4  # the most walked pixels a crossing walk passes over (a junction knot, 2x rendering)
_LOOKAHEAD_STEPS = 5  # how far past a junction the way on is measured (junctions kink the skeleton)


def _codes(padded: np.ndarray) -> np.ndarray:
    """Neighbourhood code (0..255) of every interior pixel of a zero-padded 0/1 uint8 image."""
    h, w = padded.shape[0] - 2, padded.shape[1] - 2
    code = np.zeros((h, w), np.uint8)
    for k, (dr, dc) in enumerate(_OFFSETS):
        code |= padded[1 + dr : 1 + dr + h, 1 + dc : 1 + dc + w] << np.uint8(k)
    return code


def zhang_suen_thin(mask: np.ndarray) -> np.ndarray:
    """Binary image (nonzero = ink) -> bool skeleton, 1 px wide and 8-connected.

    Zhang-Suen thinning (both subiterations as table lookups), then a staircase clean-up so that
    line pixels have exactly two neighbours. Blobs of 2x2 px or less may vanish; callers that need
    dots keep them from the original mask.
    """
    m = np.asarray(mask)
    if m.ndim != 2:
        raise ValueError(f"zhang_suen_thin: expected a 2-D image, got shape {m.shape}")
    out = np.zeros(m.shape, bool)
    rows = np.flatnonzero(m.any(axis=1))
    if rows.size == 0:
        return out
    cols = np.flatnonzero(m.any(axis=0))
    r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    padded = np.zeros((r1 - r0 + 2, c1 - c0 + 2), np.uint8)  # work on the ink box only: speed
    inner = padded[1:-1, 1:-1]
    inner[...] = m[r0:r1, c0:c1] != 0
    while True:
        changed = False
        for lut in (_ZS1, _ZS2):
            delete = inner & lut[_codes(padded)]
            if delete.any():
                inner ^= delete
                changed = True
        if not changed:
            break
    for lut in _CORNERS:
        inner ^= inner & lut[_codes(padded)]
    out[r0:r1, c0:c1] = inner.astype(bool)
    return out


# -------------------------------------------------------------------------------------- tracing


def _rdp(pts: np.ndarray, tol: float) -> np.ndarray:
    """Ramer-Douglas-Peucker on an (n, 2) array (closed paths too: a zero-length chord uses point distance)."""
    n = len(pts)
    if n < 3 or tol <= 0:
        return pts
    keep = np.zeros(n, bool)
    keep[0] = keep[-1] = True
    stack = [(0, n - 1)]
    while stack:
        i, j = stack.pop()
        if j <= i + 1:
            continue
        a, d = pts[i], pts[j] - pts[i]
        rel = pts[i + 1 : j] - a
        length = math.hypot(d[0], d[1])
        if length < 1e-9:
            dist = np.hypot(rel[:, 0], rel[:, 1])
        else:
            dist = np.abs(d[0] * rel[:, 1] - d[1] * rel[:, 0]) / length
        k = int(np.argmax(dist))
        if dist[k] > tol:
            m = i + 1 + k
            keep[m] = True
            stack.append((i, m))
            stack.append((m, j))
    return pts[keep]


def _simplify(pts: np.ndarray, tol: float) -> np.ndarray:
    # A [1, 2, 1] smoothing first turns the skeleton's pixel staircase into a curve, so RDP keeps
    # the shape's corners rather than the pixel steps. Ends stay put (they attach to junctions).
    if len(pts) >= 4:
        pts = pts.copy()
        pts[1:-1] = 0.25 * pts[:-2] + 0.5 * pts[1:-1] + 0.25 * pts[2:]
    return _rdp(pts, tol)


def trace_ink(image: np.ndarray, simplify: float = 0.7) -> list[Stroke]:
    """The pen strokes of a uint8 gray image's dark ink (below mid-grey): thinned, then traced."""
    ink = (np.asarray(image) < 128).astype(np.uint8)
    return trace_skeleton(zhang_suen_thin(ink), simplify=simplify) if ink.any() else []


def trace_skeleton(skeleton: np.ndarray, simplify: float = 0.7, prune: int = 0) -> list[Stroke]:
    """1-px skeleton (nonzero = on) -> polylines of (x, y) pixel coordinates, each pixel walked once.

    Walks start at endpoints (one neighbour), left to right; the rest (loops, bridges between
    junctions) is walked after, from its leftmost pixel in both directions. A walk that stops next
    to an already walked pixel (a junction, or its own start for a loop) is joined to it, so strokes
    meet. Branches of at most `prune` px from an endpoint to a junction (thinning spurs) are removed
    first; one-pixel fragments are dropped unless isolated (kept as one-point dots). `simplify` is
    the RDP tolerance in px (0 keeps every pixel).
    """
    sk = np.asarray(skeleton) != 0
    if sk.ndim != 2:
        raise ValueError(f"trace_skeleton: expected a 2-D image, got shape {sk.shape}")
    if not sk.any():
        return []
    h, w = sk.shape
    w2 = w + 2
    padded = np.zeros((h + 2, w2), bool)
    padded[1:-1, 1:-1] = sk
    offsets = [dr * w2 + dc for dr, dc in _OFFSETS]
    flat = np.flatnonzero(padded)
    # Python sets/dicts of flat indices: per-pixel access is far cheaper than numpy indexing here.
    pix: set[int] = set(flat.tolist())
    nbrs: dict[int, list[int]] = {p: [p + o for o in offsets if p + o in pix] for p in pix}

    if prune > 0:
        for tip in [q for q in pix if len(nbrs[q]) == 1]:
            branch: list[int] = []
            prev, cur = -1, tip
            while cur in nbrs and len(nbrs[cur]) <= 2 and len(branch) <= prune:
                branch.append(cur)
                nxt = [q for q in nbrs[cur] if q != prev]
                if not nxt:
                    break  # a free segment, not a spur
                prev, cur = cur, nxt[0]
            if cur in nbrs and len(nbrs[cur]) >= 3 and len(branch) <= prune:
                for q in branch:
                    pix.discard(q)
                    for r in nbrs.pop(q):
                        nbrs[r].remove(q)

    def xy(p: int) -> tuple[int, int]:
        r, c = divmod(p, w2)
        return c - 1, r - 1

    def heading(path: list[int]) -> tuple[float, float]:
        """Unit direction of the last few steps (0, 0) when there are none."""
        cx, cy = xy(path[-1])
        rx, ry = xy(path[max(0, len(path) - _HEADING_STEPS)])
        norm = math.hypot(cx - rx, cy - ry)
        return ((cx - rx) / norm, (cy - ry) / norm) if norm else (0.0, 0.0)

    def ahead(q: int, avoid: set[int], visited: set[int], dx: float, dy: float) -> int:
        """Where unwalked pixels lead a few steps on from q, always taking the straightest step
        along (dx, dy) and never into `avoid`; nothing is walked."""
        seen = avoid | {q}
        for _ in range(_LOOKAHEAD_STEPS):
            qx, qy = xy(q)
            nxt = [r for r in nbrs[q] if r not in visited and r not in seen]
            if not nxt:
                break
            q = max(nxt, key=lambda r, qx=qx, qy=qy: dx * (xy(r)[0] - qx) + dy * (xy(r)[1] - qy))
            seen.add(q)
        return q

    def cross_over(path: list[int], visited: set[int]) -> list[int]:
        """Walked pixels to pass, then an unwalked pixel beyond them, continuing the line nearly
        straight; [] when there is none. Lets a walk cross a line walked before ("t", "x", "f"),
        so a stem or a diagonal stays one stroke; junction knots take up to _HOP_PIXELS pixels."""
        cur = path[-1]
        if len(path) < 3:
            return []
        dx, dy = heading(path)
        cx, cy = xy(cur)
        best: list[int] = []
        best_cos = _CROSS_MIN_COS
        parent: dict[int, int] = {p: -1 for p in path[-3:]}
        frontier = [cur]
        for _ in range(_HOP_PIXELS):
            reached = []
            for f in frontier:
                for j in nbrs[f]:
                    if j in visited and j not in parent:
                        parent[j] = f
                        reached.append(j)
            for j in reached:
                for q in nbrs[j]:
                    if q in visited:
                        continue
                    ax, ay = xy(ahead(q, {j}, visited, dx, dy))
                    ox, oy = ax - cx, ay - cy
                    cos = (dx * ox + dy * oy) / math.hypot(ox, oy)
                    if cos > best_cos:
                        chain = [q, j]
                        while parent[chain[-1]] != cur:
                            chain.append(parent[chain[-1]])
                        best, best_cos = chain[::-1], cos
            if best:
                return best
            frontier = reached
        return []

    def extend(path: list[int], visited: set[int]) -> None:
        while True:
            cur = path[-1]
            cand = [q for q in nbrs[cur] if q not in visited]
            if not cand:
                hop = cross_over(path, visited)
                if not hop:
                    return
                path.extend(hop[:-1])  # the junction is shared, not walked again
                cand = hop[-1:]
            if len(cand) > 1:
                # At a junction keep going the way the pen was moving, judged a few pixels on (the
                # first step out of a junction is often askew); straight steps win ties.
                dx, dy = heading(path)
                cx, cy = xy(cur)
                scores = []
                for q in cand:
                    ax, ay = xy(ahead(q, {cur, *cand} - {q}, visited, dx, dy))
                    ox, oy = ax - cx, ay - cy
                    diagonal = abs(q - cur) not in (1, w2)
                    scores.append((dx * ox + dy * oy) / math.hypot(ox, oy) - (0.01 if diagonal else 0.0))
                cand = [cand[int(np.argmax(scores))]]
            visited.add(cand[0])
            path.append(cand[0])

    def attach(path: list[int], visited: set[int]) -> int | None:
        """A walked neighbour of the path's end that is not just behind it (4-neighbours first)."""
        end, recent = path[-1], set(path[-3:])
        best = None
        for q in nbrs[end]:
            if q in visited and q not in recent and (best is None or abs(q - end) in (1, w2)):
                best = q
        return best

    visited: set[int] = set()
    strokes: list[Stroke] = []
    endpoints = sorted((p for p in pix if len(nbrs[p]) == 1), key=xy)
    rest = sorted(pix, key=xy)
    for start in [*endpoints, *rest]:
        if start in visited:
            continue
        visited.add(start)
        path = [start]
        extend(path, visited)
        path.reverse()
        extend(path, visited)  # the other way from a mid-line start (no-op from an endpoint)
        own = len(path)
        if own < 2 and nbrs[start]:
            continue  # a stray pixel beside a walked line
        for _ in range(2):  # join both ends to what was walked before
            joint = attach(path, visited)
            if joint is not None and not (own <= 3 and joint == path[0]):  # no 3-px triangles
                path.append(joint)
            path.reverse()
        pts = np.array([xy(p) for p in path], np.float64)
        closed = len(path) > 2 and path[0] == path[-1]
        # write like a person: open strokes start at their top-left end
        if not closed and pts[-1].sum() < pts[0].sum():
            pts = pts[::-1]
        pts = _simplify(pts, simplify)
        strokes.append([(float(x), float(y)) for x, y in pts])
    strokes.sort(key=lambda s: min(p[0] for p in s))
    return strokes


# ------------------------------------------------------------------------------------ text -> strokes


def _check_coverage(font_path: Path, text: str) -> None:
    """HwrError naming the characters the font has no glyph for (the synthetic renderer's test)."""
    info = FontInfo(font_path, font_path.stem, False)
    renderer = SyntheticRenderer([info], TextGenerator(("en",)))
    missing = sorted({ch for ch in text if not renderer.covers(info, ch)})
    if missing:
        shown = ", ".join(f"{ch!r} (U+{ord(ch):04X})" for ch in missing)
        raise HwrError(f"font {font_path.name} has no glyph for {shown}")


def _open_font(font_path: Path, size: int) -> ImageFont.FreeTypeFont:
    if not font_path.is_file():
        raise HwrError(f"no such font file: {font_path}")
    try:
        return ImageFont.truetype(str(font_path), size)
    except OSError as exc:
        raise HwrError(f"cannot open font {font_path}: {exc}") from None


def _render_mask(text: str, font: ImageFont.FreeTypeFont, size: int) -> np.ndarray:
    """Text -> bool ink mask, laid out by Pillow (raqm when present) with room for marks and descenders."""
    probe = ImageDraw.Draw(Image.new("L", (1, 1)))
    left, top, right, bottom = probe.textbbox((0, 0), text, font=font)
    pad = size // 4 + 4
    canvas = Image.new("L", (max(1, right - left) + 2 * pad, max(1, bottom - top) + 2 * pad), 0)
    ImageDraw.Draw(canvas).text((pad - left, pad - top), text, font=font, fill=255)
    return np.asarray(canvas) >= 128


def _stroke_width(mask: np.ndarray, skeleton: np.ndarray) -> float:
    """Typical pen width of the rendering: twice the distance-to-paper along the skeleton."""
    if not skeleton.any():
        return 1.0
    dist = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 3)
    return max(1.0, 2.0 * float(np.median(dist[skeleton])) - 1.0)


def _jitter(
    strokes: list[np.ndarray], rng: np.random.Generator, jitter: float, amp: float
) -> list[np.ndarray]:
    """One "handwriting sample": slight slant and scale for the whole text (growing with `jitter`,
    capped so text stays text), then per stroke a small offset and a smooth wobble along its length
    (displacements of about `amp` px)."""
    allp = np.concatenate(strokes)
    centre = (allp.min(axis=0) + allp.max(axis=0)) / 2.0
    height = max(float(np.ptp(allp[:, 1])), 1.0)
    k = min(jitter, 3.0)
    shear = float(np.clip(rng.normal(0.0, 0.04 * k), -0.25, 0.25))  # 0.04 ~ 2.3 degrees
    scale = 1.0 + float(np.clip(rng.normal(0.0, 0.02 * k), -0.1, 0.1))
    aspect = 1.0 + float(np.clip(rng.normal(0.0, 0.02 * k), -0.1, 0.1))
    out = []
    for pts in strokes:
        p = pts - centre
        p = np.stack([(p[:, 0] - shear * p[:, 1]) * scale * aspect, p[:, 1] * scale], axis=1) + centre
        p = p + rng.uniform(-0.6 * amp, 0.6 * amp, size=2)
        if len(p) > 1:
            arc = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(p, axis=0).T))])
            for axis in range(2):
                wavelength = height * rng.uniform(0.6, 1.6)  # low frequency: about a letter
                phase = rng.uniform(0.0, 2.0 * math.pi)
                p[:, axis] += 0.5 * amp * np.sin(2.0 * math.pi * arc / wavelength + phase)
        out.append(p)
    return out


def text_to_strokes(
    text: str,
    font_path: str | os.PathLike[str],
    size: int = 48,
    rng: np.random.Generator | None = None,
    jitter: float = 0.0,
    origin: tuple[float, float] = (10.0, 10.0),
    check_coverage: bool = True,
) -> list[Stroke]:
    """`text` written with the font at `size` px as canvas strokes, ordered left to right.

    Without jitter the strokes' bounding box starts exactly at `origin`. `jitter` > 0 makes each
    call a different sample of the same handwriting: slight random slant and scale, a per-stroke
    offset and a smooth wobble of about `jitter * size / 48` px (a fresh generator when `rng` is
    None). Empty or whitespace-only text -> []. Characters the font lacks raise HwrError naming them
    (`check_coverage` false: the caller knows it has them, as the synthetic renderer's font choice
    does; the check opens the font afresh, a fiftieth of a CPU training step).
    """
    if not isinstance(size, int | np.integer) or size < 6:
        raise ValueError(f"text_to_strokes: size must be an integer >= 6, got {size!r}")
    if not (math.isfinite(jitter) and jitter >= 0):
        raise ValueError(f"text_to_strokes: jitter must be >= 0, got {jitter!r}")
    text = unicodedata.normalize("NFC", text)  # precomposed letters: what the fonts cover
    if not text.strip():
        return []
    # Thin a 2x rendering: at canvas sizes a short thick mark (the circumflex of "ế") has legs about
    # as long as they are wide, and its 1x skeleton collapses to a dash.
    over = 2 if size < 96 else 1
    path = Path(font_path)
    font = _open_font(path, int(size) * over)  # first: a bad file is an HwrError, not a coverage crash
    if check_coverage:
        _check_coverage(path, text)
    mask = _render_mask(text, font, int(size) * over)
    skeleton = zhang_suen_thin(mask)
    width = _stroke_width(mask, skeleton)

    # Small blobs (i-dots, the dot below "ạ") become one dot each; thinning would shrink them to a
    # pixel or lose them altogether.
    dots: list[np.ndarray] = []
    n, labels, stats, centroids = components_with_stats(mask.astype(np.uint8))
    small = [
        i
        for i in range(1, n)
        if max(stats[i, cv2.CC_STAT_WIDTH], stats[i, cv2.CC_STAT_HEIGHT]) <= 1.6 * width + 1
    ]
    if small:
        skeleton &= ~np.isin(labels, small)
        dots = [centroids[i][None, :].astype(np.float64) for i in small]

    traced = trace_skeleton(skeleton, simplify=0.7 * over, prune=int(round(0.6 * width)))
    strokes = [np.array(s, np.float64) / over for s in traced] + [d / over for d in dots]
    if not strokes:
        return []
    # the unjittered box starts at `origin`; a jittered sample stays where that one would be
    shift = np.asarray(origin, np.float64) - np.concatenate(strokes).min(axis=0)
    if jitter > 0:
        gen = rng if rng is not None else np.random.default_rng()
        strokes = _jitter(strokes, gen, jitter, jitter * size / 48.0)
    result = [[(float(x), float(y)) for x, y in pts + shift] for pts in strokes]
    result.sort(key=lambda s: min(p[0] for p in s))
    return result


# ---------------------------------------------------------------------------------------- helpers


def strokes_bbox(strokes: Sequence[Sequence[Point]]) -> tuple[float, float, float, float]:
    """(min x, min y, max x, max y) of all points; ValueError when there are none."""
    pts = [p for s in strokes for p in s]
    if not pts:
        raise ValueError("strokes_bbox: no points")
    arr = np.asarray(pts, np.float64).reshape(-1, 2)
    x0, y0 = arr.min(axis=0)
    x1, y1 = arr.max(axis=0)
    return float(x0), float(y0), float(x1), float(y1)


def scale_strokes(
    strokes: Sequence[Sequence[Point]], factor: float | tuple[float, float], origin: Point = (0.0, 0.0)
) -> list[Stroke]:
    """Strokes scaled by `factor` (one number, or (fx, fy)) about `origin`, as new lists."""
    fx, fy = (float(factor), float(factor)) if isinstance(factor, int | float) else map(float, factor)
    ox, oy = float(origin[0]), float(origin[1])
    return [[(ox + (x - ox) * fx, oy + (y - oy) * fy) for x, y in s] for s in strokes]
