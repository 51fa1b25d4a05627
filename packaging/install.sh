#!/bin/sh
# Add HWR Studio to the desktop menu of the current user (no root needed).
#
#   ./install.sh [--no-bin-link]
#
# Writes, for the executable next to this script (the unpacked bundle stays where it is):
#   $XDG_DATA_HOME/applications/hwr-studio.desktop       (XDG_DATA_HOME defaults to ~/.local/share)
#   $XDG_DATA_HOME/icons/hicolor/{48x48,128x128,256x256}/apps/hwr-studio.png
#   $XDG_DATA_HOME/icons/hicolor/scalable/apps/hwr-studio.svg
#   ~/.local/bin/hwr-studio and ~/.local/bin/hwr         symlinks (not with --no-bin-link; an existing
#                                                         file that is not a symlink is left alone)
#   $XDG_DATA_HOME/hwr-studio/desktop-entry.manifest     what was created, for uninstall.sh
# Running it again (or from a moved/newer bundle) updates the entry. ./uninstall.sh removes exactly
# what was created. Same files as `hwr-studio --install-desktop-entry` of a pip install.
set -eu

APP=hwr-studio
HERE=$(cd "$(dirname "$0")" && pwd -P)
EXE=$HERE/$APP
RES=$HERE/_internal/resources
LINK_BIN=1

for arg in "$@"; do
    case $arg in
        --no-bin-link) LINK_BIN=0 ;;
        -h|--help) sed -n '2,/^set -eu/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "install.sh: unknown option $arg" >&2; exit 2 ;;
    esac
done

[ -x "$EXE" ] || { echo "install.sh: no executable at $EXE" >&2; exit 1; }
[ -f "$RES/$APP.desktop" ] || { echo "install.sh: no $RES/$APP.desktop (incomplete bundle?)" >&2; exit 1; }
[ -n "${HOME:-}" ] && [ -d "$HOME" ] || { echo "install.sh: HOME (${HOME:-unset}) is not a directory" >&2; exit 1; }

case ${XDG_DATA_HOME:-} in
    /*) DATA=$XDG_DATA_HOME ;;
    *) DATA=$HOME/.local/share ;;  # unset, empty or relative: the spec says use the default
esac
APPS=$DATA/applications
HICOLOR=$DATA/icons/hicolor
BIN=$HOME/.local/bin
MANIFEST=$DATA/$APP/desktop-entry.manifest

ENTRIES=$(mktemp "${TMPDIR:-/tmp}/hwr-install.XXXXXX")
trap 'rm -f "$ENTRIES"' EXIT
[ -f "$MANIFEST" ] && cat "$MANIFEST" > "$ENTRIES"

record() {  # record "f|d PATH" once
    grep -qxF -- "$1" "$ENTRIES" || printf '%s\n' "$1" >> "$ENTRIES"
}

mkdirs() {  # mkdir -p, recording each directory that did not exist
    _missing=""
    _d=$1
    while [ ! -e "$_d" ] && [ ! -L "$_d" ]; do
        _missing="$_d
$_missing"
        _d=$(dirname "$_d")
    done
    printf '%s' "$_missing" | while IFS= read -r _m; do
        [ -n "$_m" ] || continue
        mkdir "$_m"
        record "d $_m"
    done
}

put() {  # put SRC DEST: copy, replacing atomically; record DEST if it is new
    mkdirs "$(dirname "$2")"
    _new=1
    { [ -e "$2" ] || [ -L "$2" ]; } && _new=0
    cp "$1" "$2.tmp.$$"
    chmod 644 "$2.tmp.$$"
    mv -f "$2.tmp.$$" "$2"
    [ "$_new" = 0 ] || record "f $2"
    echo "wrote $2"
}

exec_value() {  # Exec value for one program path: Desktop Entry Spec quoting, then string escaping
    _p=$(printf '%s' "$1" | sed -e 's/%/%%/g')
    case $_p in
        *[[:space:]\"\'\\\>\<~\|\&\;\$\*\?\#\(\)\`]*)
            _p=\"$(printf '%s' "$_p" | sed -e 's/[\\"`$]/\\&/g')\" ;;
    esac
    printf '%s' "$_p" | sed -e 's/\\/\\\\/g'
}

# icons
for n in 48 128 256; do
    put "$RES/icons/$APP-$n.png" "$HICOLOR/${n}x$n/apps/$APP.png"
done
put "$RES/icons/$APP.svg" "$HICOLOR/scalable/apps/$APP.svg"

# menu entry: the shipped .desktop with Exec/TryExec pointing at this bundle
EXECV=$(exec_value "$EXE")
DESKTOP_TMP=$(mktemp "${TMPDIR:-/tmp}/hwr-desktop.XXXXXX")
while IFS= read -r line || [ -n "$line" ]; do
    case $line in
        TryExec=*) ;;
        Exec=*) printf 'TryExec=%s\nExec=%s %%F\n' "$EXECV" "$EXECV" ;;
        *) printf '%s\n' "$line" ;;
    esac
done < "$RES/$APP.desktop" > "$DESKTOP_TMP"
put "$DESKTOP_TMP" "$APPS/$APP.desktop"
rm -f "$DESKTOP_TMP"

# ~/.local/bin symlinks
if [ "$LINK_BIN" = 1 ]; then
    for prog in "$APP" hwr; do
        [ -x "$HERE/$prog" ] || continue
        link=$BIN/$prog
        if [ -e "$link" ] && [ ! -L "$link" ]; then
            echo "kept $link (not a symlink: another installation?)"
            continue
        fi
        mkdirs "$BIN"
        new=1
        [ -L "$link" ] && new=0
        ln -sfn "$HERE/$prog" "$link"
        [ "$new" = 0 ] || record "f $link"
        echo "linked $link -> $HERE/$prog"
    done
    case ":$PATH:" in
        *":$BIN:"*) ;;
        *) echo "note: $BIN is not on your PATH; the menu entry works regardless" ;;
    esac
fi

# caches: refresh the desktop database if the tool exists; the icon cache only where one exists
CACHE_EXISTED=0
[ -e "$APPS/mimeinfo.cache" ] && CACHE_EXISTED=1
if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q "$APPS" >/dev/null 2>&1 || true
fi
[ "$CACHE_EXISTED" = 1 ] || [ ! -e "$APPS/mimeinfo.cache" ] || record "f $APPS/mimeinfo.cache"
if [ -e "$HICOLOR/icon-theme.cache" ] && command -v gtk-update-icon-cache >/dev/null 2>&1; then
    gtk-update-icon-cache -q -f -t "$HICOLOR" >/dev/null 2>&1 || true
fi

# the manifest (not listed in itself)
mkdirs "$(dirname "$MANIFEST")"
grep -vxF -- "f $MANIFEST" "$ENTRIES" > "$MANIFEST.tmp.$$" || true
mv -f "$MANIFEST.tmp.$$" "$MANIFEST"
echo "HWR Studio is in your applications menu (it may take a moment to appear). Remove it with $HERE/uninstall.sh"
