#!/usr/bin/env bash
# Build a guest module out of tree against the guest kernel's headers:
# vmbnet.ko (guest-driver/linux, the default) or vmbnet_hvbus.ko
# (guest-driver/hvbus, which also needs hv_vmbus's private headers from
# Debian's linux-source-6.1 and must export hv_vmbus's CRCs).
#
# usage: build-module.sh <repo-root> <out-dir> <kernel-version> [linux|hvbus]
#
# Kbuild writes its objects next to the sources, so the sources are linked
# into <out-dir> and the repository stays clean.
set -euo pipefail
die() { echo "build-module: error: $*" >&2; exit 1; }

repo=$(realpath "$1")
out=$(realpath -m "$2")
kver=$3
which=${4:-linux}
case "$which" in
linux) name=vmbnet ;;
hvbus) name=vmbnet_hvbus ;;
*) die "unknown module folder '$which' (linux or hvbus)" ;;
esac
kdir=/lib/modules/$kver/build
[ -d "$kdir" ] || die "no headers for guest kernel $kver at $kdir (run ci/install-deps.sh)"

mkdir -p "$out"
for f in "$repo/guest-driver/$which/Kbuild" "$repo/guest-driver/$which"/*.[ch] \
         "$repo"/transport/src/vmb_ring.c "$repo"/guest-driver/core/*.c \
         "$repo"/guest-driver/linux/vmbc_lport.[ch]; do
    ln -sfn "$f" "$out/$(basename "$f")"
done
hvpriv=$out/hv-private
if [ "$which" = hvbus ] && [ ! -f "$hvpriv/.done" ]; then
    src=/usr/src/linux-source-6.1.tar.xz
    [ -f "$src" ] || die "$src missing: hv_vmbus's private headers come from linux-source-6.1 (run ci/install-deps.sh)"
    echo "build-module: extracting drivers/hv's private headers from $src"
    rm -rf "$hvpriv" && mkdir -p "$hvpriv"
    tar -xf "$src" -C "$hvpriv" --strip-components=3 \
        linux-source-6.1/drivers/hv/hyperv_vmbus.h linux-source-6.1/drivers/hv/hv_trace.h ||
        die "cannot extract drivers/hv/hyperv_vmbus.h and hv_trace.h from $src"
    touch "$hvpriv/.done"
fi
make -s -C "$kdir" M="$out" VMBNET_INCLUDE="$repo/transport/include" \
    VMBNET_CORE="$repo/guest-driver/core" VMBNET_HVPRIV="$hvpriv" \
    -j"$(nproc)" modules >"$out/build.log" 2>&1 ||
    { grep -E 'error|warning' "$out/build.log" | head -20 >&2;
      die "$name.ko failed to build against $kver (log: $out/build.log)"; }
if grep -q 'warning:' "$out/build.log"; then
    grep 'warning:' "$out/build.log" >&2
    die "$name.ko builds with warnings (log: $out/build.log)"
fi
if [ "$which" = hvbus ]; then
    "$repo/ci/check-symvers.sh" "$out/Module.symvers" "$kdir/Module.symvers" ||
        die "$name.ko does not export hv_vmbus's symbols as the kernel does"
fi
echo "build-module: $out/$name.ko"
