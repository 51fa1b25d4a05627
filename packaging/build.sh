#!/usr/bin/env bash
# Build the HWR Studio desktop bundle: dist/hwr-studio-<version>-linux-x86_64.tar.gz
#
#   packaging/build.sh [--dist DIR] [--work DIR] [--model FILE] [--python PY] [--clean] [--no-strip] [--no-tar]
#
#   --dist DIR     where the archive goes            (env HWR_BUILD_DIST; default: <repo>/dist)
#   --work DIR     PyInstaller work + staging folder (env HWR_BUILD_WORK; default: <repo>/build/pyinstaller);
#                  kept between builds, so a rebuild reuses PyInstaller's analysis cache
#   --model FILE   model to ship as the default      (env HWR_BUNDLE_MODEL; default:
#                  resources/models/default.safetensors, which must then exist)
#   --python PY    interpreter with the app's dependencies and PyInstaller installed
#                  (env HWR_BUILD_PYTHON; default: the active venv, else <repo>/.venv, else python3)
#   --clean        empty PyInstaller's cache and the work folder first
#   --no-strip     keep the symbol tables of torch's libraries and libpython's debug info (+~110 MB)
#   --no-tar       stop after the unpacked folder (<work>/stage/hwr-studio-<version>)
#
# Offline: it bundles what is installed in that interpreter and downloads nothing. The archive
# unpacks to hwr-studio-<version>/ holding hwr-studio (the app), hwr (the CLI, a symlink), install.sh,
# uninstall.sh, README.txt and _internal/. What the spec leaves out is listed in
# packaging/hwr-studio.spec (EXCLUDES, PRUNE); this script prints what that saved, the sizes and the
# largest components, and the build time.
set -euo pipefail

T0=$(date +%s)
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
ROOT=$(cd "$HERE/.." && pwd -P)

DIST=${HWR_BUILD_DIST:-$ROOT/dist}
WORK=${HWR_BUILD_WORK:-$ROOT/build/pyinstaller}
MODEL=${HWR_BUNDLE_MODEL:-}
PY=${HWR_BUILD_PYTHON:-}
CLEAN=0
STRIP=1
TAR=1

die() { echo "build.sh: $*" >&2; exit 1; }
need_arg() { [ $# -ge 2 ] && [ -n "$2" ] || die "$1 needs a value"; }

while [ $# -gt 0 ]; do
    case $1 in
        --dist) need_arg "$@"; DIST=$2; shift 2 ;;
        --work) need_arg "$@"; WORK=$2; shift 2 ;;
        --model) need_arg "$@"; MODEL=$2; shift 2 ;;
        --python) need_arg "$@"; PY=$2; shift 2 ;;
        --clean) CLEAN=1; shift ;;
        --no-strip) STRIP=0; shift ;;
        --no-tar) TAR=0; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
done

if [ -z "$PY" ]; then
    if [ -n "${VIRTUAL_ENV:-}" ] && [ -x "$VIRTUAL_ENV/bin/python" ]; then PY=$VIRTUAL_ENV/bin/python
    elif [ -x "$ROOT/.venv/bin/python" ]; then PY=$ROOT/.venv/bin/python
    else PY=$(command -v python3) || die "no python3 found; pass --python"
    fi
fi

[ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] || die "this recipe builds the linux-x86_64 bundle; run it on Linux x86_64"
"$PY" -c "import PyInstaller" 2>/dev/null || die "$PY has no PyInstaller: pip install '.[package]' (or pyinstaller>=6.5)"

if [ -n "$MODEL" ]; then
    [ -f "$MODEL" ] || die "no model file $MODEL"
    MODEL=$(cd "$(dirname "$MODEL")" && pwd -P)/$(basename "$MODEL")
    export HWR_BUNDLE_MODEL=$MODEL
else
    [ -f "$ROOT/resources/models/default.safetensors" ] || die "resources/models/default.safetensors does not exist:
  train the shipped model first, or build with --model FILE"
    unset HWR_BUNDLE_MODEL
fi

mkdir -p "$DIST" "$WORK"
DIST=$(cd "$DIST" && pwd -P)
WORK=$(cd "$WORK" && pwd -P)
VERSION=$(cd "$ROOT" && "$PY" -c "import hwr_core; print(hwr_core.__version__)")
NAME=hwr-studio-$VERSION
ARCHIVE=$DIST/$NAME-linux-x86_64.tar.gz
STAGE=$WORK/stage
APPDIR=$STAGE/$NAME

echo "== HWR Studio $VERSION: PyInstaller with $PY ($("$PY" -c 'import PyInstaller; print(PyInstaller.__version__)'))"
echo "   model: ${HWR_BUNDLE_MODEL:-$ROOT/resources/models/default.safetensors}"
CLEAN_ARGS=()
if [ "$CLEAN" = 1 ]; then rm -rf "$WORK/pyi-work" "$WORK/pyi-dist" "$STAGE"; CLEAN_ARGS=(--clean); fi

export PIP_NO_INDEX=1 PYTHONDONTWRITEBYTECODE=1 QT_QPA_PLATFORM=offscreen
T_PYI=$(date +%s)
(cd "$ROOT" && "$PY" -m PyInstaller --noconfirm --log-level WARN "${CLEAN_ARGS[@]}" \
    --distpath "$WORK/pyi-dist" --workpath "$WORK/pyi-work" packaging/hwr-studio.spec)
T_PYI=$(( $(date +%s) - T_PYI ))

echo "== staging $APPDIR"
rm -rf "$STAGE"
mkdir -p "$STAGE"
cp -a "$WORK/pyi-dist/hwr-studio" "$APPDIR"
[ -x "$APPDIR/hwr-studio" ] || die "PyInstaller did not produce $APPDIR/hwr-studio"
# the CLI: the same executable under another name (entry.py dispatches on argv[0])
ln -s hwr-studio "$APPDIR/hwr"
install -m 755 "$HERE/install.sh" "$APPDIR/install.sh"
install -m 755 "$HERE/uninstall.sh" "$APPDIR/uninstall.sh"

# the newest glibc symbol version any bundled binary asks for: the oldest Linux the bundle runs on
GLIBC_MIN=unknown
if command -v objdump >/dev/null 2>&1; then
    GLIBC_MIN=$(find "$APPDIR" -type f \( -name '*.so*' -o -name hwr-studio \) -print0 \
        | xargs -0 -n 64 objdump -T 2>/dev/null | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1 || true)
    [ -n "$GLIBC_MIN" ] || GLIBC_MIN=unknown
fi
sed -e "s/@VERSION@/$VERSION/g" -e "s/@GLIBC@/$GLIBC_MIN/g" "$HERE/bundle-README.txt" > "$APPDIR/README.txt"

# After-build prunes (what the spec cannot filter because PyInstaller writes it itself, or what is
# a change to a file rather than leaving it out):
#  1. __pycache__ folders: bytecode the bundle never uses (modules load from the PYZ archive).
find "$APPDIR" -type d -name __pycache__ -prune -exec rm -rf {} +
#  2. strip --strip-unneeded (what Linux distributions do to their packages) on torch's libraries,
#     libpython and Python's extension modules: removes the static symbol tables (.symtab/.strtab,
#     85 MB in libtorch_cpu.so alone) and debug info, which are never loaded; the dynamic symbols
#     the loader resolves stay. Only these files: Qt, OpenCV, numpy are stripped upstream already.
if [ "$STRIP" = 1 ]; then
    if command -v strip >/dev/null 2>&1; then
        before=$(du -sb "$APPDIR" | cut -f1)
        n=0
        while IFS= read -r -d '' f; do
            [ -L "$f" ] && continue
            strip --strip-unneeded "$f" && n=$((n + 1))
        done < <(find "$APPDIR/_internal/torch/lib" "$APPDIR/_internal"/python3.*/lib-dynload \
                     "$APPDIR/_internal"/libpython3*.so* -maxdepth 1 -name '*.so*' -type f -print0 2>/dev/null)
        after=$(du -sb "$APPDIR" | cut -f1)
        STRIP_NOTE="strip --strip-unneeded on $n libraries saved $(( (before - after) / 1048576 )) MiB"
    else
        STRIP_NOTE="no strip (binutils) on this machine: symbol tables kept"
    fi
    echo "   $STRIP_NOTE"
fi

echo "== smoke: hwr-studio --version and hwr --help (clean environment)"
GOT=$(env -i HOME="$WORK" PATH=/usr/bin:/bin QT_QPA_PLATFORM=offscreen "$APPDIR/hwr-studio" --version)
echo "   $GOT"
[ "$GOT" = "hwr-studio $VERSION" ] || die "unexpected --version output: $GOT"
env -i HOME="$WORK" PATH=/usr/bin:/bin "$APPDIR/hwr" --help > /dev/null || die "the bundled hwr CLI does not start"

if [ "$TAR" = 1 ]; then
    echo "== archiving $ARCHIVE"
    T_TAR=$(date +%s)
    rm -f "$ARCHIVE"
    # reproducible-ish: sorted names, no owner; gzip -6 (xz would be ~25% smaller but ~8x slower to build)
    tar -C "$STAGE" --sort=name --owner=0 --group=0 --numeric-owner -cf - "$NAME" | gzip -6 -n > "$ARCHIVE.part"
    mv "$ARCHIVE.part" "$ARCHIVE"
    (cd "$DIST" && sha256sum "$(basename "$ARCHIVE")" > "$(basename "$ARCHIVE").sha256")
    T_TAR=$(( $(date +%s) - T_TAR ))
fi

human() { numfmt --to=iec-i --suffix=B --format=%.1f "$1"; }
set +o pipefail  # the reports below end pipes with head
echo
echo "== pruned by the spec (packaging/hwr-studio.spec PRUNE), largest first"
"$PY" - "$WORK/pyi-work/hwr-studio/prune-report.json" <<'EOF'
import json, sys
rep = json.load(open(sys.argv[1]))
total = 0
for pat, r in sorted(rep.items(), key=lambda kv: -kv[1]["bytes"]):
    if r["files"]:
        total += r["bytes"]
        print(f"  {r['bytes'] / 2**20:8.1f} MiB {r['files']:6d} files  {pat:<48} {r['reason']}")
        if r.get("names"):
            print("        " + " ".join(sorted(r["names"])))
print(f"  {total / 2**20:8.1f} MiB in all")
EOF
UNPACKED=$(du -sb "$APPDIR" | cut -f1)
echo
echo "== largest components of $NAME/ (unpacked)"
(cd "$APPDIR/_internal" && du -sb -- * | sort -rn | head -10 | while read -r n p; do printf '  %9s  _internal/%s\n' "$(human "$n")" "$p"; done)
echo "== largest files"
(cd "$APPDIR" && find . -type f -printf '%s %P\n' | sort -rn | head -10 | while read -r n p; do printf '  %9s  %s\n' "$(human "$n")" "$p"; done)
echo
echo "== summary"
echo "  version         $VERSION"
echo "  needs glibc     >= $GLIBC_MIN (that of the build machine; build on an older distribution to reach older ones)"
echo "  unpacked        $(human "$UNPACKED")  ($APPDIR, $(find "$APPDIR" -type f | wc -l) files)"
if [ "$TAR" = 1 ]; then
    echo "  archive         $(human "$(stat -c %s "$ARCHIVE")")  ($ARCHIVE)"
fi
[ "$STRIP" = 1 ] && echo "  strip           $STRIP_NOTE"
echo "  pyinstaller     ${T_PYI} s"
[ "$TAR" = 1 ] && echo "  archiving       ${T_TAR} s"
echo "  build time      $(( $(date +%s) - T0 )) s"
