"""Add HWR Studio to the desktop menu of the current user, and take it out again (pip installs).

The same files, at the same places, as ``install.sh``/``uninstall.sh`` of the binary bundle
(``packaging/``), so either uninstaller undoes either installer:

    $XDG_DATA_HOME/applications/hwr-studio.desktop          (XDG_DATA_HOME defaults to ~/.local/share)
    $XDG_DATA_HOME/icons/hicolor/{48x48,128x128,256x256}/apps/hwr-studio.png
    $XDG_DATA_HOME/icons/hicolor/scalable/apps/hwr-studio.svg
    $XDG_DATA_HOME/hwr-studio/desktop-entry.manifest        what was created, for the uninstaller

The manifest lists, one per line, ``f PATH`` for a file and ``d PATH`` for a directory the installer
created (in creation order); uninstalling deletes those files, then those directories if empty, so it
removes exactly what installing added. ``update-desktop-database`` runs when present; the icon cache
is refreshed only where one already exists (so none is created). Failures of either are ignored.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

APP_ID = "hwr-studio"
PNG_SIZES = (48, 128, 256)
MANIFEST_NAME = "desktop-entry.manifest"
_DESKTOP_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")


def data_home() -> Path:
    xdg = os.environ.get("XDG_DATA_HOME", "")
    # the spec: a relative or empty value is invalid and must be ignored
    return Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".local" / "share"


def desktop_file_path() -> Path:
    return data_home() / "applications" / f"{APP_ID}.desktop"


def icon_paths() -> dict[str, Path]:
    """Icon source name in resources/icons -> where it goes in the user's hicolor theme."""
    hicolor = data_home() / "icons" / "hicolor"
    out = {f"{APP_ID}-{n}.png": hicolor / f"{n}x{n}" / "apps" / f"{APP_ID}.png" for n in PNG_SIZES}
    out[f"{APP_ID}.svg"] = hicolor / "scalable" / "apps" / f"{APP_ID}.svg"
    return out


def manifest_path() -> Path:
    return data_home() / APP_ID / MANIFEST_NAME


def _quote_exec_arg(arg: str) -> str:
    """One argument of an Exec key (Desktop Entry Spec, "The Exec key"), before string escaping."""
    arg = arg.replace("%", "%%")
    if not any(c in _DESKTOP_RESERVED for c in arg):
        return arg
    inner = "".join("\\" + c if c in '"`$\\' else c for c in arg)
    return f'"{inner}"'


def exec_value(argv: list[str]) -> str:
    """The Exec value for a command line: quoted per the spec, then escaped as a string value."""
    line = " ".join(_quote_exec_arg(a) for a in argv)
    return line.replace("\\", "\\\\")


def default_command() -> list[str]:
    """How the menu entry starts the app: the frozen executable, the `hwr-studio` script, or python -m app."""
    if getattr(sys, "frozen", False):
        return [str(Path(sys.executable).resolve())]
    found = shutil.which(APP_ID)
    if found:
        return [str(Path(found).absolute())]
    argv0 = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if argv0 is not None and argv0.name == APP_ID and argv0.exists():
        return [str(argv0.resolve())]
    return [str(Path(sys.executable).absolute()), "-m", "app"]


def desktop_entry_text(command: list[str], template: Path | None = None) -> str:
    """The shipped `hwr-studio.desktop` with Exec/TryExec pointing at `command`."""
    if template is None:
        from hwr_core.resources import resources_dir

        template = resources_dir() / f"{APP_ID}.desktop"
    lines = []
    for line in template.read_text(encoding="utf-8").splitlines():
        if line.startswith("TryExec="):
            continue
        if line.startswith("Exec="):
            lines.append(f"TryExec={exec_value(command[:1])}")
            line = f"Exec={exec_value(command)} %F"
        lines.append(line)
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- manifest


def _read_manifest(path: Path) -> list[tuple[str, Path]]:
    entries = []
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            kind, _, name = line.partition(" ")
            if kind in ("f", "d") and name:
                entries.append((kind, Path(name)))
    return entries


class _Recorder:
    """Creates files and directories, remembering which ones did not exist before."""

    def __init__(self, previous: list[tuple[str, Path]]) -> None:
        self.entries = list(previous)

    def _add(self, kind: str, path: Path) -> None:
        if (kind, path) not in self.entries:
            self.entries.append((kind, path))

    def mkdirs(self, directory: Path) -> None:
        missing = []
        d = directory
        while not d.exists():
            missing.append(d)
            d = d.parent
        for d in reversed(missing):
            d.mkdir()
            self._add("d", d)

    def write(self, path: Path, data: bytes) -> Path:
        self.mkdirs(path.parent)
        existed = path.exists() or path.is_symlink()
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        if not existed:
            self._add("f", path)
        return path

    def note_if_new(self, path: Path, existed_before: bool) -> None:
        if path.exists() and not existed_before:
            self._add("f", path)


def _run_quietly(*cmd: str) -> None:
    if shutil.which(cmd[0]):
        try:
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60, check=False)
        except (OSError, subprocess.SubprocessError):
            pass


def _refresh_caches() -> None:
    apps = data_home() / "applications"
    if apps.is_dir():
        _run_quietly("update-desktop-database", "-q", str(apps))
    hicolor = data_home() / "icons" / "hicolor"
    if (hicolor / "icon-theme.cache").exists():  # refresh a cache, never start one
        _run_quietly("gtk-update-icon-cache", "-q", "-f", "-t", str(hicolor))


# ----------------------------------------------------------------------------- public API


def install_desktop_entry(exec_path: str | None = None) -> list[Path]:
    """Write the menu entry and icons for this user; returns the files written (created or replaced)."""
    from hwr_core.resources import resources_dir

    command = [exec_path] if exec_path else default_command()
    icons_src = resources_dir() / "icons"
    manifest = manifest_path()
    rec = _Recorder(_read_manifest(manifest))
    written = []
    for src_name, dest in icon_paths().items():
        src = icons_src / src_name
        if src.is_file():
            written.append(rec.write(dest, src.read_bytes()))
    desktop = desktop_file_path()
    written.append(rec.write(desktop, desktop_entry_text(command).encode("utf-8")))
    cache = desktop.parent / "mimeinfo.cache"
    cache_existed = cache.exists()
    _refresh_caches()
    rec.note_if_new(cache, cache_existed)
    rec.mkdirs(manifest.parent)
    body = "".join(f"{k} {p}\n" for k, p in rec.entries if p != manifest)
    existed = manifest.exists()
    manifest.write_text(body, encoding="utf-8")
    if not existed:
        rec._add("f", manifest)
    return written


def uninstall_desktop_entry() -> list[Path]:
    """Remove what `install_desktop_entry` (or install.sh) created; returns the paths removed."""
    manifest = manifest_path()
    entries = _read_manifest(manifest)
    if not entries:  # no manifest: the files by their fixed names, nothing else
        entries = [("f", desktop_file_path())] + [("f", p) for p in icon_paths().values()]
    removed: list[Path] = []
    apps = desktop_file_path().parent
    files = [p for k, p in entries if k == "f"]
    for p in files:
        if p.name == "mimeinfo.cache":
            continue  # decided after the other desktop files are gone
        if p.is_file() or p.is_symlink():
            p.unlink()
            removed.append(p)
    cache = apps / "mimeinfo.cache"
    if cache in files and cache.exists() and not any(apps.glob("*.desktop")):
        cache.unlink()  # we created it and no entry is left that it describes
        removed.append(cache)
    else:
        _refresh_caches()
    if manifest.exists():
        manifest.unlink()
        removed.append(manifest)
    for k, p in reversed(entries):
        if k == "d" and p.is_dir():
            try:
                p.rmdir()  # only if empty: the user's own files stay
                removed.append(p)
            except OSError:
                pass
    return removed
