"""`hwr-studio --install-desktop-entry` / `--uninstall-desktop-entry` (app/desktop_entry.py), no build needed."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from app import desktop_entry as de

ICON_SIZES = (48, 128, 256)


@pytest.fixture()
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private HOME and XDG_DATA_HOME, and a PATH without update-desktop-database & co."""
    home = tmp_path / "home"
    data = tmp_path / "xdg data"  # a space: paths must survive quoting
    home.mkdir()
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    monkeypatch.setenv("PATH", str(empty_bin))
    return data


def expected_files(data: Path) -> list[Path]:
    hicolor = data / "icons" / "hicolor"
    return [
        data / "applications" / "hwr-studio.desktop",
        *(hicolor / f"{n}x{n}" / "apps" / "hwr-studio.png" for n in ICON_SIZES),
        hicolor / "scalable" / "apps" / "hwr-studio.svg",
    ]


def all_paths(root: Path) -> set[Path]:
    return set(root.rglob("*")) if root.exists() else set()


def desktop_keys(path: Path) -> dict[str, str]:
    keys = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith("#"):
            k, _, v = line.partition("=")
            keys.setdefault(k, v)
    return keys


def test_shipped_png_icons_exist_and_match_their_names():
    from PIL import Image

    from hwr_core.resources import resources_dir

    for n in ICON_SIZES:
        with Image.open(resources_dir() / "icons" / f"hwr-studio-{n}.png") as im:
            assert im.format == "PNG" and im.size == (n, n)


def test_install_then_uninstall_leaves_nothing(xdg: Path):
    written = de.install_desktop_entry("/opt/hwr studio/hwr-studio")
    for p in expected_files(xdg):
        assert p in written and p.is_file(), p
    assert de.manifest_path().is_file()
    keys = desktop_keys(xdg / "applications" / "hwr-studio.desktop")
    assert keys["Exec"] == '"/opt/hwr studio/hwr-studio" %F'
    assert keys["TryExec"] == '"/opt/hwr studio/hwr-studio"'
    assert keys["Icon"] == "hwr-studio" and keys["Type"] == "Application" and keys["Name"] == "HWR Studio"
    assert (xdg / "icons/hicolor/256x256/apps/hwr-studio.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    removed = de.uninstall_desktop_entry()
    for p in expected_files(xdg):
        assert p in removed and not p.exists()
    assert not xdg.exists(), sorted(all_paths(xdg))  # every directory it made is gone too


def test_uninstall_keeps_what_was_there_before(xdg: Path):
    other = xdg / "applications" / "other.desktop"
    other.parent.mkdir(parents=True)
    other.write_text("[Desktop Entry]\nType=Application\nName=Other\nExec=other\n")
    user_model = xdg / "hwr-studio" / "models" / "mine.safetensors"  # the app's own data dir
    user_model.parent.mkdir(parents=True)
    user_model.write_bytes(b"x")
    before = all_paths(xdg)

    de.install_desktop_entry("/usr/bin/hwr-studio")
    de.install_desktop_entry("/usr/bin/hwr-studio")  # twice: still one entry per path
    lines = de.manifest_path().read_text().splitlines()
    assert len(lines) == len(set(lines))
    de.uninstall_desktop_entry()
    assert all_paths(xdg) == before


def test_uninstall_without_install_is_harmless(xdg: Path):
    assert de.uninstall_desktop_entry() == []
    assert not xdg.exists()


def test_desktop_database_cache_created_by_install_is_removed(xdg: Path, tmp_path: Path):
    # a stand-in update-desktop-database that writes the cache, as the real one does
    tool = tmp_path / "bin" / "update-desktop-database"
    tool.write_text('#!/bin/sh\nfor a; do d=$a; done\necho "[MIME Cache]" > "$d/mimeinfo.cache"\n')
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    de.install_desktop_entry("/usr/bin/hwr-studio")
    assert (xdg / "applications" / "mimeinfo.cache").is_file()
    de.uninstall_desktop_entry()
    assert not xdg.exists(), sorted(all_paths(xdg))


def test_exec_quoting_follows_the_desktop_entry_spec():
    assert de.exec_value(["/usr/bin/hwr-studio"]) == "/usr/bin/hwr-studio"
    assert de.exec_value(["/a b/hwr"]) == '"/a b/hwr"'
    assert de.exec_value(["/a$b/100%/hwr"]) == '"/a\\\\$b/100%%/hwr"'
    assert de.exec_value(["/py", "-m", "app"]) == "/py -m app"


def test_default_command_prefers_the_script_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    script = tmp_path / "hwr-studio"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}/usr/bin")
    assert de.default_command() == [str(script)]
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    cmd = de.default_command()
    assert cmd[-2:] == ["-m", "app"] or Path(cmd[0]).name == "hwr-studio"


def test_relative_xdg_data_home_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", "relative/dir")
    assert de.data_home() == tmp_path / ".local" / "share"


def test_main_flags_print_the_paths(xdg: Path, capsys: pytest.CaptureFixture[str]):
    from app.main import main

    assert main(["--install-desktop-entry"]) == 0
    out = capsys.readouterr().out
    assert f"wrote {xdg / 'applications' / 'hwr-studio.desktop'}" in out
    assert main(["--uninstall-desktop-entry"]) == 0
    out = capsys.readouterr().out
    assert f"removed {xdg / 'applications' / 'hwr-studio.desktop'}" in out
    assert not xdg.exists()
