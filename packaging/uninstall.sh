#!/bin/sh
# Remove HWR Studio's menu entry, icons and ~/.local/bin links: exactly what install.sh (or
# `hwr-studio --install-desktop-entry`) created, as listed in
# $XDG_DATA_HOME/hwr-studio/desktop-entry.manifest. Directories go only if empty, so your own files
# (models, training runs under $XDG_DATA_HOME/hwr-studio) stay. The unpacked bundle itself is not
# touched: delete its folder to remove the program.
#
#   ./uninstall.sh
set -eu

APP=hwr-studio
HERE=$(cd "$(dirname "$0")" && pwd -P)
case ${1:-} in
    "") ;;
    -h|--help) sed -n '2,/^set -eu/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "uninstall.sh: unknown option $1" >&2; exit 2 ;;
esac
[ -n "${HOME:-}" ] || { echo "uninstall.sh: HOME is not set" >&2; exit 1; }

case ${XDG_DATA_HOME:-} in
    /*) DATA=$XDG_DATA_HOME ;;
    *) DATA=$HOME/.local/share ;;
esac
APPS=$DATA/applications
HICOLOR=$DATA/icons/hicolor
MANIFEST=$DATA/$APP/desktop-entry.manifest

ENTRIES=$(mktemp "${TMPDIR:-/tmp}/hwr-uninstall.XXXXXX")
trap 'rm -f "$ENTRIES"' EXIT
if [ -f "$MANIFEST" ]; then
    cat "$MANIFEST" > "$ENTRIES"
else
    # no manifest (installed by hand or by an older version): the files by their fixed names, and
    # ~/.local/bin links only if they point into this bundle
    {
        echo "f $APPS/$APP.desktop"
        for n in 48 128 256; do echo "f $HICOLOR/${n}x$n/apps/$APP.png"; done
        echo "f $HICOLOR/scalable/apps/$APP.svg"
        for prog in "$APP" hwr; do
            [ "$(readlink "$HOME/.local/bin/$prog" 2>/dev/null)" = "$HERE/$prog" ] && echo "f $HOME/.local/bin/$prog"
        done
    } > "$ENTRIES"
fi

removed=0
MIME_CACHE_OURS=0
while IFS= read -r entry; do
    kind=${entry%% *}
    path=${entry#* }
    [ "$kind" = f ] || continue
    if [ "$path" = "$APPS/mimeinfo.cache" ]; then MIME_CACHE_OURS=1; continue; fi
    if [ -f "$path" ] || [ -L "$path" ]; then
        rm -f "$path"
        echo "removed $path"
        removed=$((removed + 1))
    fi
done < "$ENTRIES"

# the desktop database: ours and nothing else described in it -> remove it, else refresh it
if [ "$MIME_CACHE_OURS" = 1 ] && [ -e "$APPS/mimeinfo.cache" ] && ! ls "$APPS"/*.desktop >/dev/null 2>&1; then
    rm -f "$APPS/mimeinfo.cache"
    echo "removed $APPS/mimeinfo.cache"
elif [ -d "$APPS" ] && command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q "$APPS" >/dev/null 2>&1 || true
fi
if [ -e "$HICOLOR/icon-theme.cache" ] && command -v gtk-update-icon-cache >/dev/null 2>&1; then
    gtk-update-icon-cache -q -f -t "$HICOLOR" >/dev/null 2>&1 || true
fi

if [ -f "$MANIFEST" ]; then
    rm -f "$MANIFEST"
    echo "removed $MANIFEST"
fi
# directories install.sh created, deepest (last created) first, only if empty
sed -n '1!G;h;$p' "$ENTRIES" | while IFS= read -r entry; do
    [ "${entry%% *}" = d ] || continue
    dir=${entry#* }
    if [ -d "$dir" ] && rmdir "$dir" 2>/dev/null; then
        echo "removed $dir/"
    fi
done
[ "$removed" -gt 0 ] || echo "HWR Studio's menu entry was not installed (nothing to remove)"
