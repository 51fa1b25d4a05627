"""Frozen entry point of the PyInstaller bundle (see hwr-studio.spec).

The bundle has one executable, `hwr-studio` (the desktop app, app.main:main), and `hwr`, a symlink
to it that runs the command line (hwr_core.cli:main): the same two commands `pip install .`
provides. Which one runs is decided by the name it was started by (argv[0]; a symlink such as
~/.local/bin/hwr keeps that name), so the CLI costs nothing: the executable carries the whole
Python archive (~37 MB) and a second one would carry it again.
"""

from __future__ import annotations

import multiprocessing
import os
import sys


def _main() -> int:
    multiprocessing.freeze_support()  # DataLoader workers re-enter here in a frozen build
    name = os.path.basename(sys.argv[0]) if sys.argv else ""
    if name != "hwr":
        from app.main import main

        return int(main() or 0)
    from hwr_core.cli import main

    try:
        return int(main() or 0)
    except ModuleNotFoundError as e:
        if e.name != "onnxruntime":
            raise
        # left out of this bundle at build time (HWR_BUNDLE_ORT=0, see hwr-studio.spec)
        print(
            "hwr: this bundle was built without onnxruntime, which `--backend onnx` and the check after "
            "`hwr export` need; use `--backend torch`, or the pip-installed hwr (the ONNX file, if any, "
            "was written)",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":
    sys.exit(_main())
