#!/usr/bin/env bash
# Pack the guest initramfs: busybox, the init, KTAP helpers, the guest test
# scripts, our module(s) and guest tools, and the stock kernel modules the
# tests need.
#
# usage: build-initramfs.sh <repo> <out.cpio.gz> <kernel-root> <kver>
#            --module <ko>... --tool <bin>... --kmod <relpath-under-kernel/>...
set -euo pipefail
die() { echo "build-initramfs: error: $*" >&2; exit 1; }

repo=$(realpath "$1"); out=$(realpath -m "$2"); kroot=$3; kver=$4
shift 4
mods=(); tools=(); kmods=()
while [ $# -gt 0 ]; do
    case "$1" in
    --module) mods+=("$2"); shift 2 ;;
    --tool) tools+=("$2"); shift 2 ;;
    --kmod) kmods+=("$2"); shift 2 ;;
    *) die "unknown argument $1" ;;
    esac
done
busybox=/bin/busybox
[ "$(dpkg-query -W -f='${Status}' busybox-static 2>/dev/null)" = "install ok installed" ] &&
    [ -x "$busybox" ] || die "busybox-static is not installed (run ci/install-deps.sh)"
command -v cpio >/dev/null || die "cpio is not installed (run ci/install-deps.sh)"

stage=$(mktemp -d "${out}.stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,sbin,proc,sys,dev,tmp,vmbnet/bin,vmbnet/lib,vmbnet/tests,vmbnet/jobs}
cp "$busybox" "$stage/bin/busybox"
install -m 0755 "$repo/ci/guest/init" "$stage/init"
cp "$repo/ci/guest/ktap.sh" "$repo/ci/guest/faults.sh" "$stage/vmbnet/lib/"
cp "$repo"/guest-driver/*/tests/*.sh "$stage/vmbnet/tests/"
cp "$repo"/guest-driver/*/tests/*.lib "$stage/vmbnet/lib/" # what those scripts source
cp "$repo"/ci/guest/selftest-*.sh "$stage/vmbnet/tests/"
cp "$repo"/perf/guest/*.sh "$stage/vmbnet/jobs/"
install -m 0755 "$repo/perf/guest/pktgen.sh" "$stage/vmbnet/bin/pktgen.sh"
for m in "${mods[@]}"; do
    [ -f "$m" ] || die "module $m was not built"
    cp "$m" "$stage/vmbnet/"
done
for t in "${tools[@]}"; do
    [ -x "$t" ] || die "guest tool $t was not built"
    cp "$t" "$stage/vmbnet/bin/"
done
# Stock modules go in as the package ships them: each is checked against the
# package's md5sums, and its sha256 is listed for the guest's own check.
sums=$kroot/DEBIAN/md5sums
[ -f "$sums" ] || die "$sums missing (rebuild the kernel: ci/fetch-kernel.sh)"
for k in "${kmods[@]}"; do
    rel=lib/modules/$kver/kernel/$k
    src="$kroot/$rel"
    [ -f "$src" ] || die "kernel module $k missing from linux-image-$kver"
    want=$(awk -v f="$rel" '$2 == f { print $1 }' "$sums")
    got=$(md5sum "$src" | cut -d' ' -f1)
    [ -n "$want" ] && [ "$want" = "$got" ] ||
        die "$rel is not the file linux-image-$kver ships (md5 $got, package says '${want:-nothing}')"
    mkdir -p "$stage/$(dirname "$rel")"
    cp "$src" "$stage/$rel"
    (cd "$stage" && sha256sum "$rel") >> "$stage/vmbnet/kmods.sha256"
done
(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0 | gzip -1) > "$out.tmp"
mv "$out.tmp" "$out"
echo "build-initramfs: $out ($(du -h "$out" | cut -f1))"
