#!/usr/bin/env bash
# Extract the guest kernel from Debian's linux-image package (no install on
# the host). usage: fetch-kernel.sh <out-dir> <kernel-version>
# Leaves <out-dir>/root with boot/vmlinuz-<ver> and lib/modules/<ver>, and
# the package's control files in <out-dir>/root/DEBIAN (md5sums: what
# build-initramfs.sh checks the stock modules it packs against).
set -euo pipefail
die() { echo "fetch-kernel: error: $*" >&2; exit 1; }
out=$(realpath -m "$1")
kver=$2
pkg=linux-image-$kver
[ -f "$out/root/boot/vmlinuz-$kver" ] && [ -f "$out/root/DEBIAN/md5sums" ] && exit 0
mkdir -p "$out/dl"
echo "fetch-kernel: downloading $pkg"
(cd "$out/dl" && apt-get download -qq "$pkg" >/dev/null 2>&1) ||
    die "cannot download $pkg from the archive"
rm -rf "$out/root.tmp"
dpkg-deb -x "$out"/dl/"${pkg}"_*.deb "$out/root.tmp" || die "cannot unpack $pkg"
dpkg-deb -e "$out"/dl/"${pkg}"_*.deb "$out/root.tmp/DEBIAN" || die "cannot read $pkg's control files"
[ -f "$out/root.tmp/boot/vmlinuz-$kver" ] || die "$pkg has no boot/vmlinuz-$kver"
rm -rf "$out/root" && mv "$out/root.tmp" "$out/root"
echo "fetch-kernel: $out/root/boot/vmlinuz-$kver"
