#!/usr/bin/env bash
# Fetch Debian's QEMU source at the version pinned in qemu-patches/BASE,
# unpack it with Debian's patches, apply qemu-patches/*.patch in order,
# link our device sources in, configure x86_64-softmmu and build.
#
# usage: build-qemu.sh <repo-root> <out-dir> [default|sanitize|export|source-only]
#
# export: the series qemu-patches/export.sh writes (device sources inside,
# no links) applied with patch -p1 to a fresh tree under <out-dir>/export,
# built like default; that is what people who carry vmbnet in their own
# QEMU tree get. source-only: just download the pinned source.
#
# Idempotent: the unpacked+patched tree is reused while BASE and the patch
# series are unchanged (a stamp records their hash); ninja then rebuilds
# only what changed. A different series re-creates the tree from scratch.
set -euo pipefail

die() { echo "build-qemu: error: $*" >&2; exit 1; }
say() { echo "build-qemu: $*"; }

repo=$(realpath "$1")
out=$(realpath -m "$2")
variant=${3:-default}
base=$(tr -d '[:space:]' < "$repo/qemu-patches/BASE")
[ -n "$base" ] || die "qemu-patches/BASE is empty"
upstream=${base#*:}            # strip the epoch
upstream=${upstream%%-*}       # 7.2+dfsg

mkdir -p "$out"
dl="$out/download"
src="$out/src"
bld="$out/build-$variant"
if [ "$variant" = export ]; then
    # Same depth and names as the default tree, so ccache (base_dir below)
    # finds the objects the default build already made.
    src="$out/export/src"
    bld="$out/export/build-default"
fi
export CCACHE_BASEDIR="$out" CCACHE_NOHASHDIR=1

# 1. Source: exactly the pinned Debian version.
dsc="$dl/qemu_${base#*:}.dsc"
if [ ! -f "$dsc" ]; then
    command -v dpkg-source >/dev/null || die "dpkg-source missing (install dpkg-dev: ci/install-deps.sh)"
    served=$(apt-cache showsrc qemu 2>/dev/null | sed -n 's/^Version: //p' | tr '\n' ' ')
    [ -n "$served" ] || die "no deb-src entry for qemu (run ci/install-deps.sh)"
    case " $served " in
    *" $base "*) ;;
    *) die "the archive serves qemu source ${served% } but qemu-patches/BASE pins $base" ;;
    esac
    say "downloading qemu source $base"
    mkdir -p "$dl"
    (cd "$dl" && apt-get source --download-only -qq "qemu=$base" >/dev/null 2>&1) ||
        die "apt-get source qemu=$base failed"
fi

[ "$variant" = source-only ] && exit 0

# A fresh tree at $src: the pinned source with Debian's patches, then the
# given series (patch -p1, in order).
unpack_patched() {
    local p
    rm -rf "$src" "$src.tmp"
    dpkg-source --no-check -x "$dsc" "$src.tmp" >/dev/null || die "dpkg-source -x failed on $dsc"
    mv "$src.tmp" "$src"
    for p in "$@"; do
        say "applying $(basename "$p")"
        patch -d "$src" -p1 -s --forward < "$p" ||
            die "$(basename "$p") no longer applies to qemu $base"
    done
}

# 2e. The exported series, always on a fresh tree.
if [ "$variant" = export ]; then
    "$repo/qemu-patches/export.sh" "$out/export/series" "$out"
    say "unpacking qemu $base for the exported series"
    rm -rf "$bld"
    unpack_patched "$out"/export/series/*.patch
fi

# 2. Unpack + Debian patches + our series, keyed by a hash of the inputs.
# The hash covers BASE and every patch so editing the series re-creates the tree.
series_hash=$(cat "$repo/qemu-patches/BASE" "$repo"/qemu-patches/*.patch | sha256sum | cut -c1-16)
if [ "$variant" != export ] && [ "$(cat "$out/src.stamp" 2>/dev/null)" != "$series_hash" ]; then
    say "unpacking qemu $base with Debian's patches"
    rm -rf "$out"/build-* "$out/src.stamp"
    unpack_patched "$repo"/qemu-patches/*.patch
    echo "$series_hash" > "$out/src.stamp"
fi

# 3. Our sources enter the tree through symlinks, so edits in the repo are
# seen by ninja directly (no copy, no re-patch). The exported tree has them.
if [ "$variant" != export ]; then
mkdir -p "$src/hw/vmbnet"
for l in meson.build Kconfig trace-events; do
    ln -sfn "$repo/device/qemu/$l" "$src/hw/vmbnet/$l"
done
ln -sfn "$repo/device" "$src/hw/vmbnet/device"
ln -sfn "$repo/transport" "$src/hw/vmbnet/transport"
for f in "$repo"/device/qemu/tests/vmbnet-test*.[ch]; do
    ln -sfn "$f" "$src/tests/qtest/$(basename "$f")"
done
fi

# 4. Configure once per variant and option set, then build.
args=(--target-list=x86_64-softmmu --disable-docs --disable-tools --disable-user
      --disable-werror --disable-install-blobs --disable-gtk --disable-sdl
      --disable-vnc --disable-opengl --disable-spice --enable-slirp
      --meson=/usr/bin/meson)
case "$variant" in
default | export) ;;
sanitize) args+=(--enable-sanitizers) ;;
*) die "unknown variant '$variant' (default or sanitize)" ;;
esac
command -v ccache >/dev/null && args+=(--cc="ccache gcc" --cxx="ccache g++")
args_hash=$(printf '%s\n' "${args[@]}" | sha256sum | cut -c1-16)
if [ ! -f "$bld/build.ninja" ] || [ "$(cat "$bld/args.stamp" 2>/dev/null)" != "$args_hash" ]; then
    say "configuring ($variant)"
    rm -rf "$bld"
    mkdir -p "$bld"
    (cd "$bld" && PATH=/usr/bin:$PATH "$src/configure" "${args[@]}" >configure.log 2>&1) ||
        { grep -E 'ERROR' "$bld/configure.log" | head -n 3 >&2
          die "configure failed (log: $bld/configure.log)"; }
    echo "$args_hash" > "$bld/args.stamp"
fi
say "building ($variant)"
ninja -C "$bld" qemu-system-x86_64 tests/qtest/vmbnet-test 2>&1 |
    awk '/^\[[0-9]+\/[0-9]+\]/ { n++; if (n % 200 == 0) { print "build-qemu: " $1; fflush() } next } { print }' 
status=${PIPESTATUS[0]}
[ "$status" -eq 0 ] || die "ninja failed ($variant)"
say "done: $bld/qemu-system-x86_64"
