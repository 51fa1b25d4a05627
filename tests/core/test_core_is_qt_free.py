"""The core must never import Qt: the CLI, tests and benchmarks use it without a GUI."""

import pkgutil
import subprocess
import sys
from pathlib import Path

import hwr_core

QT_MODULES = ("PySide6", "PyQt5", "PyQt6", "shiboken6", "pyqtgraph")


def test_importing_every_core_module_loads_no_qt():
    names = [m.name for m in pkgutil.walk_packages(hwr_core.__path__, "hwr_core.")]
    assert "hwr_core.training" in names and "hwr_core.cli" in names
    code = (
        "import importlib, sys\n"
        f"for n in {names!r}: importlib.import_module(n)\n"
        f"bad = [m for m in sys.modules if m.split('.')[0] in {QT_MODULES!r}]\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_no_qt_import_statement_in_core_sources():
    root = Path(hwr_core.__file__).parent
    for path in root.rglob("*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            stripped = line.strip()
            if stripped.startswith(("import ", "from ")):
                assert not any(q in stripped.split()[1] for q in QT_MODULES), f"{path}: {stripped}"
