#!/usr/bin/env bash
# Build vmbnet.ko out of tree against the guest kernel's headers.
#
# usage: build-module.sh <repo-root> <out-dir> <kernel-version>
#
# Kbuild writes its objects next to the sources, so the sources are linked
# into <out-dir> and the repository stays clean.
set -euo pipefail
die() { echo "build-module: error: $*" >&2; exit 1; }

repo=$(realpath "$1")
out=$(realpath -m "$2")
kver=$3
kdir=/lib/modules/$kver/build
[ -d "$kdir" ] || die "no headers for guest kernel $kver at $kdir (run ci/install-deps.sh)"

mkdir -p "$out"
for f in "$repo"/guest-driver/linux/Kbuild "$repo"/guest-driver/linux/*.[ch] \
         "$repo"/transport/src/vmb_ring.c "$repo"/guest-driver/core/*.c; do
    ln -sfn "$f" "$out/$(basename "$f")"
done
make -s -C "$kdir" M="$out" VMBNET_INCLUDE="$repo/transport/include" \
    VMBNET_CORE="$repo/guest-driver/core" \
    -j"$(nproc)" modules >"$out/build.log" 2>&1 ||
    { grep -E 'error|warning' "$out/build.log" | head -20 >&2;
      die "vmbnet.ko failed to build against $kver (log: $out/build.log)"; }
if grep -q 'warning:' "$out/build.log"; then
    grep 'warning:' "$out/build.log" >&2
    die "vmbnet.ko builds with warnings (log: $out/build.log)"
fi
echo "build-module: $out/vmbnet.ko"
