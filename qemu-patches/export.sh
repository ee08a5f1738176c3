#!/usr/bin/env bash
# Export vmbnet-pci as a self-contained patch series for people who carry it
# in their own QEMU tree: this folder's series (build wiring, qtest), then
# one more patch that adds the device's sources to hw/vmbnet and the qtest's
# to tests/qtest as real files (no links to this repository).
#
# usage: qemu-patches/export.sh <out-dir> [<qemu-work-dir>]
#
# <out-dir> receives 0001..000N-*.patch from git format-patch; they apply
# with "patch -p1" or "git am" to Debian's QEMU source at the version pinned
# in qemu-patches/BASE (dpkg-source -x, Debian's patches applied).
# <qemu-work-dir> holds the downloaded source (default build/qemu, shared
# with ci/build-qemu.sh). "ci/build-qemu.sh <repo> <qemu-work-dir> export"
# then applies the exported series to a fresh tree and builds it.
set -euo pipefail

die() { echo "export: error: $*" >&2; exit 1; }
say() { echo "export: $*"; }

repo=$(realpath "$(dirname "$0")/..")
[ $# -ge 1 ] || die "usage: $0 <out-dir> [<qemu-work-dir>]"
out=$(realpath -m "$1")
work=$(realpath -m "${2:-$repo/build/qemu}")
base=$(tr -d '[:space:]' < "$repo/qemu-patches/BASE")

# A pristine pinned tree (ci/build-qemu.sh downloads the source once).
"$repo/ci/build-qemu.sh" "$repo" "$work" source-only
dsc="$work/download/qemu_${base#*:}.dsc"
tree="$work/export-tree"
rm -rf "$tree"
say "unpacking qemu $base"
dpkg-source --no-check -x "$dsc" "$tree" >/dev/null || die "dpkg-source -x failed on $dsc"

g() { git -C "$tree" -c user.name="vmbnet developers" -c user.email=dev@vmbnet.invalid \
    -c commit.gpgsign=false "$@"; }
g init -q
g add -A
g commit -q -m "qemu $base (Debian source, Debian's patches applied)"
g am -q "$repo"/qemu-patches/0*.patch || die "the series no longer applies to qemu $base"

# The device's sources, laid out as hw/vmbnet/meson.build expects them.
v="$tree/hw/vmbnet"
mkdir -p "$v"
cp "$repo"/device/qemu/{meson.build,Kconfig,trace-events} "$v/"
for d in device/qemu device/vmbus device/nic device/fault device/handoff; do
    mkdir -p "$v/$d"
    cp "$repo/$d"/*.[ch] "$v/$d/"
done
mkdir -p "$v/transport/include/vmbnet" "$v/transport/src"
cp "$repo"/transport/include/vmbnet/*.h "$v/transport/include/vmbnet/"
cp "$repo"/transport/src/vmb_ring.c "$v/transport/src/"
cp "$repo"/device/qemu/tests/vmbnet-test*.[ch] "$tree/tests/qtest/"
g add -A
rev=$(git -C "$repo" describe --always --dirty 2>/dev/null || echo unknown)
g commit -q -F - <<MSG
hw/vmbnet: add the vmbnet-pci device

vmbnet-pci emulates a Hyper-V synthetic NIC over VMBus-format rings on a
PCI function (register map in hw/vmbnet/transport/include/vmbnet/vmb_pci.h),
with the host side in plain C under hw/vmbnet/device/ (VMBus host side,
NIC, fault engine, backend hand-off) and its qtest in tests/qtest/vmbnet-test*.

Exported from vmbnet $rev by qemu-patches/export.sh.
MSG

rm -rf "$out"
mkdir -p "$out"
g format-patch -q -o "$out" HEAD~3..HEAD
say "$(ls "$out" | wc -l) patches in $out (apply to qemu $base with patch -p1 or git am)"
