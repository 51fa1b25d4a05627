"""`hwr-studio` / `python -m app`: start the desktop app, or render a screenshot offscreen.

hwr-studio [--model M]
hwr-studio --screenshot OUT.png [--tab recognize|train|model] [--image IMG] [--text "word to draw"]
hwr-studio --selftest [--model M]
hwr-studio --install-desktop-entry | --uninstall-desktop-entry
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import hwr_core

log = logging.getLogger("hwr_studio")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="hwr-studio", description="HWR Studio: read handwriting, see why, train the model."
    )
    p.add_argument("--version", action="version", version=f"hwr-studio {hwr_core.__version__}")
    p.add_argument("--model", help="model file to open with (default: the last used, else the shipped model)")
    p.add_argument("--screenshot", metavar="OUT.png", help="render the window offscreen to a PNG and exit")
    p.add_argument(
        "--tab",
        choices=["recognize", "batch", "teach", "train", "model"],
        default="recognize",
        help="tab to show",
    )
    p.add_argument(
        "--image",
        metavar="IMG",
        help="open this image in the Recognize tab (a folder: read its images in the Batch tab)",
    )
    p.add_argument(
        "files",
        nargs="*",
        metavar="FILE",
        help="images to open, as a file manager's Open With passes them (the .desktop file's %%F): "
        "one in the Recognize tab, several or a folder in the Batch tab",
    )
    p.add_argument("--text", help="draw this text on the canvas (with the bundled handwriting font)")
    p.add_argument("--size", default="1280x900", help="window size for --screenshot, WxH")
    p.add_argument("--settings", metavar="INI", help="settings file (default: the user's QSettings)")
    p.add_argument("--debug", action="store_true")
    p.add_argument(
        "--selftest",
        action="store_true",
        help="offscreen: load the model, read a drawn word and the bundled sample, print them and the time; exit 0 if both are right",
    )
    p.add_argument(
        "--install-desktop-entry",
        action="store_true",
        help="add HWR Studio to the desktop menu for this user (XDG .desktop file and icons)",
    )
    p.add_argument(
        "--uninstall-desktop-entry", action="store_true", help="remove what --install-desktop-entry added"
    )
    return p


def bundled_font() -> Path:
    from hwr_core.resources import resources_dir

    return resources_dir() / "fonts" / "PatrickHand-Regular.ttf"


def open_files(window, paths: Sequence[str]) -> None:  # type: ignore[no-untyped-def]
    """What the app was started with (`--image`, a file manager's Open With): one image on the
    Recognize tab, several files or a folder read in the Batch tab."""
    if len(paths) == 1 and not os.path.isdir(paths[0]):
        window.recognize_tab.load_image_file(paths[0])
    elif paths:
        window.read_many(list(paths))


def draw_text_on_canvas(window, text: str) -> None:  # type: ignore[no-untyped-def]
    """Write `text` on the canvas as pen strokes, as a person would; a newline starts a new line."""
    from hwr_core.strokes import text_to_strokes

    canvas = window.recognize_tab.canvas
    canvas.clear()
    for i, line in enumerate(text.split("\n")):
        for stroke in text_to_strokes(line, bundled_font(), size=56, origin=(30.0, 40.0 + 100.0 * i)):
            canvas.add_stroke(stroke)


def _wait_for_result(app, tab, timeout_s: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    """Pump events until the tab's recognition result arrives (screenshots must show it)."""
    done = []
    tab.result_ready.connect(lambda _r: done.append(True))
    end = time.monotonic() + timeout_s
    while not done and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def _wait_for_batch(app, tab, timeout_s: float = 120.0) -> None:  # type: ignore[no-untyped-def]
    """Pump events until the Batch tab has read every file."""
    end = time.monotonic() + timeout_s
    while tab.reader.is_busy() and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def freeze_startup_heap() -> None:
    """Exempt what startup built (torch, Qt, the model: ~10^5 objects that live as long as the app)
    from garbage collection. A full collection walks every tracked object while holding the GIL, so
    one triggered by a training worker would otherwise stall the UI for the whole heap."""
    gc.collect()
    gc.freeze()


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.INFO, format="%(levelname)s %(name)s: %(message)s"
    )
    if args.selftest:
        from .selftest import run_selftest

        return run_selftest(args.model)
    if args.install_desktop_entry or args.uninstall_desktop_entry:
        from .desktop_entry import install_desktop_entry, uninstall_desktop_entry

        if args.uninstall_desktop_entry:
            removed = uninstall_desktop_entry()
            print("\n".join(f"removed {p}" for p in removed) or "nothing to remove")
        else:
            for p in install_desktop_entry():
                print(f"wrote {p}")
        return 0
    if args.screenshot:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"

    from PySide6.QtCore import QSettings
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from hwr_core.resources import resources_dir

    from .main_window import MainWindow, load_startup_model

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("HWR Studio")
    app.setOrganizationName("hwr-studio")
    app.setDesktopFileName("hwr-studio")
    icon = resources_dir() / "icons" / "hwr-studio.svg"
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    settings = QSettings(args.settings, QSettings.Format.IniFormat) if args.settings else QSettings()
    bundle, problem = load_startup_model(settings, args.model)
    window = MainWindow(settings, bundle, confirm_quit=not args.screenshot)
    if problem:
        window.show_status(problem)
        log.warning("%s", problem)
    window.select_tab(args.tab)
    opened = ([args.image] if args.image else []) + list(args.files)
    open_files(window, opened)
    if args.text:
        draw_text_on_canvas(window, args.text)

    if args.screenshot:
        w, h = (int(v) for v in args.size.lower().split("x"))
        window.resize(w, h)
        window.show()
        if window.batch_tab.reader.is_busy():
            _wait_for_batch(app, window.batch_tab)
        elif (opened or args.text) and bundle is not None:
            if args.text:
                window.recognize_tab.recognize_now()
            _wait_for_result(app, window.recognize_tab)
        for _ in range(20):  # let plots and layouts settle
            app.processEvents()
            time.sleep(0.02)
        ok = window.grab().save(args.screenshot)
        window.close()
        print(f"saved {args.screenshot}" if ok else f"could not save {args.screenshot}")
        return 0 if ok else 1

    window.show()
    freeze_startup_heap()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
