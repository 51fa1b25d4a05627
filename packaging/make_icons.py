"""Render resources/icons/hwr-studio.svg to the PNG sizes desktops want (48, 128, 256 px).

    python packaging/make_icons.py            # writes resources/icons/hwr-studio-{48,128,256}.png
    python packaging/make_icons.py --check    # exit 1 if a PNG is missing or older than the SVG

Offscreen Qt (QtSvg ships in PySide6-Essentials); the PNGs are committed, so neither a build nor a
pip install needs to run this. Re-run it after editing the SVG.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ICONS = Path(__file__).resolve().parents[1] / "resources" / "icons"
SVG = ICONS / "hwr-studio.svg"
SIZES = (48, 128, 256)


def png_path(size: int) -> Path:
    return ICONS / f"hwr-studio-{size}.png"


def render(sizes: tuple[int, ...] = SIZES) -> list[Path]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 - QPainter needs one
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        raise SystemExit(f"cannot read {SVG}")
    out = []
    for size in sizes:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        renderer.render(painter)
        painter.end()
        path = png_path(size)
        if not image.save(str(path), "PNG"):
            raise SystemExit(f"cannot write {path}")
        out.append(path)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--check", action="store_true", help="only check that the PNGs exist and are newer than the SVG"
    )
    args = ap.parse_args()
    if args.check:
        stale = [p for p in map(png_path, SIZES) if not p.exists() or p.stat().st_mtime < SVG.stat().st_mtime]
        for p in stale:
            print(f"missing or stale: {p}")
        return 1 if stale else 0
    for p in render():
        print(f"wrote {p} ({p.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
