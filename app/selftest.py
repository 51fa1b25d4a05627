"""`hwr-studio --selftest`: prove an installed (or frozen) HWR Studio works, offscreen, in seconds.

It loads the model (``--model``, else ``$HWR_MODEL``, else the shipped one), builds the main window
offscreen (so the whole GUI stack is imported and exercised, which is what a PyInstaller bundle most
often gets wrong), then recognises

  (a) the word "hello", written as pen strokes with the bundled handwriting font, and
  (b) the bundled sample image ``resources/samples/sample.png`` (expected text in ``sample.txt``),

prints what it expected, what it read and how long each step took, and returns 0 only when both
readings match (after ``hwr_core.metrics.normalize_for_scoring``). Nothing is written to the user's
settings: the window gets a throw-away settings file.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

SELFTEST_WORD = "hello"
WORD_FONT_SIZE = 56  # what `hwr-studio --text` writes on the canvas
EXIT_OK, EXIT_WRONG, EXIT_BROKEN = 0, 1, 2


def _say(msg: str) -> None:
    print(msg, flush=True)


def _model_path(model_path: str | os.PathLike[str] | None) -> Path:
    if model_path:
        return Path(model_path)
    from hwr_core.resources import default_model_path  # honours $HWR_MODEL

    return default_model_path()


def _check(label: str, expected: str, recognised: str, ms: float) -> bool:
    from hwr_core.metrics import normalize_for_scoring

    ok = normalize_for_scoring(recognised) == normalize_for_scoring(expected)
    _say(
        f"{label:<7} expected {expected!r:<14} recognised {recognised!r:<14} {ms:8.1f} ms  {'OK' if ok else 'WRONG'}"
    )
    return ok


def run_selftest(model_path: str | os.PathLike[str] | None = None) -> int:
    """0: both readings right; 1: the app works but a reading is wrong; 2: something is broken."""
    t_start = time.perf_counter()
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    import hwr_core

    frozen = " (frozen)" if getattr(sys, "frozen", False) else ""
    _say(f"hwr-studio {hwr_core.__version__} selftest{frozen}")
    try:
        from PySide6.QtCore import QSettings
        from PySide6.QtWidgets import QApplication

        from hwr_core.engine_cache import EngineCache
        from hwr_core.recognizer import Recognizer
        from hwr_core.resources import resources_dir
        from hwr_core.strokes import text_to_strokes

        from .main_window import MainWindow, load_startup_model

        t_import = time.perf_counter()
        _say(f"imports  {t_import - t_start:8.2f} s")

        app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "hwr-studio"])
        with tempfile.TemporaryDirectory(prefix="hwr-selftest-") as tmp:
            settings = QSettings(str(Path(tmp) / "selftest.ini"), QSettings.Format.IniFormat)
            path = _model_path(model_path)
            t0 = time.perf_counter()
            bundle, problem = load_startup_model(settings, str(path))
            if bundle is None:
                _say(f"model    {path}: {problem}")
                _say("selftest BROKEN: no model")
                return EXIT_BROKEN
            _say(f"model    {path} ({bundle.name}) loaded in {time.perf_counter() - t0:.2f} s")

            t0 = time.perf_counter()
            window = MainWindow(settings, bundle, confirm_quit=False)
            window.resize(1280, 900)
            window.show()
            for _ in range(5):
                app.processEvents()
            _say(f"window   created and shown offscreen in {time.perf_counter() - t0:.2f} s")

            recognizer = Recognizer(bundle, backend="auto", engine_cache=EngineCache.default())
            _say(f"decoding {recognizer.decode_cfg.describe()} ({recognizer.backend})")
            res = resources_dir()
            strokes = text_to_strokes(
                SELFTEST_WORD,
                res / "fonts" / "PatrickHand-Regular.ttf",
                size=WORD_FONT_SIZE,
                origin=(30.0, 40.0),
            )
            t0 = time.perf_counter()
            word = recognizer.recognize_strokes(strokes).text
            ok_word = _check("strokes", SELFTEST_WORD, word, (time.perf_counter() - t0) * 1000)
            _say(f"engine   {recognizer.engine}")  # after a read: PyTorch if onnxruntime could not run it

            sample = res / "samples" / "sample.png"
            expected = (res / "samples" / "sample.txt").read_text(encoding="utf-8").strip()
            t0 = time.perf_counter()
            got = recognizer.recognize_file(sample).text
            ok_sample = _check("image", expected, got, (time.perf_counter() - t0) * 1000)

            window.close()
            app.processEvents()
            del window
    except Exception as e:  # noqa: BLE001 - a selftest reports every failure as a result
        import traceback

        traceback.print_exc()
        _say(f"selftest BROKEN: {type(e).__name__}: {e}")
        return EXIT_BROKEN

    total = time.perf_counter() - t_start
    if ok_word and ok_sample:
        _say(f"selftest PASSED in {total:.2f} s")
        return EXIT_OK
    _say(f"selftest FAILED ({2 - ok_word - ok_sample} of 2 wrong) in {total:.2f} s")
    return EXIT_WRONG
