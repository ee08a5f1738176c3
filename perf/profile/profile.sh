#!/usr/bin/env bash
# The guest's profile of the DDI cycle: where its instructions per frame go,
# function by function (kernel and vmbnet.ko), under TCG where the guest
# has no PMU.
#
# Boots the main job's vmbnet/null 64-byte DDI run twice under -icount
# (no debug options, nokaslr: both boots put the kernel and vmbnet.ko at
# the same addresses, which the guest's kallsyms gives, on ttyS1), with the vmbnet-tcg-profile plugin counting instructions per block: once
# with 50000 frames, once with 50000 + FRAMES. The difference of the two
# is the cost of FRAMES frames, boot and set-up cancelled out;
# vmbnet-profile-map attributes it to functions.
#
# usage: perf/profile/profile.sh [--frames N] [--top N] [--out DIR]   (after the build)
# Results: the table on stdout and in DIR/profile.txt; the boots' logs,
# block counts and symbols in DIR (build/reports/profile).
set -euo pipefail
cd "$(dirname "$0")/../.."
frames=400000 top=30 out=build/reports/profile
while [ $# -gt 0 ]; do
    case "$1" in
    --frames) frames=$2; shift 2 ;;
    --top) top=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "profile: error: unknown argument '$1' (--frames N, --top N, --out DIR)" >&2; exit 2 ;;
    esac
done
[[ "$frames" =~ ^[1-9][0-9]*$ ]] || { echo "profile: error: --frames takes a count, not '$frames'" >&2; exit 2; }
qemu=build/qemu/build-default/qemu-system-x86_64
plugin=build/perf/profile/libvmbnet-tcg-profile.so
map=build/perf/profile/vmbnet-profile-map
kver=$(bash ci/guest-kver.sh)
for f in "$qemu" "$plugin" "$map" build/guest/initramfs.cpio.gz; do
    [ -e "$f" ] || { echo "profile: error: $f missing (build first: cmake --build build)" >&2; exit 2; }
done
mkdir -p "$out"
base=50000
boot_one() { # <tag> <frames>
    echo "profile: boot $1: $2 frames of 64 bytes under -icount, counting blocks"
    ci/boot.sh --qemu "$qemu" --no-debug --kernel "build/guest/kernel/root/boot/vmlinuz-$kver" \
        --initrd build/guest/initramfs.cpio.gz --script cycle --timeout 900 --log "$out/$1.log" \
        --append "nokaslr VMBNET_CYCLE=64 VMBNET_FRAMES=$2 VMBNET_SYMS=1" \
        --show '^vmbnet-result: ddi' \
        -- -icount shift=3,align=off,sleep=off -plugin "$plugin,out=$out/$1.blocks" \
        -serial "file:$out/$1.symbols" -device vmbnet-pci
    [ -s "$out/$1.blocks" ] || { echo "profile: error: no block counts from boot $1" >&2; exit 1; }
}
boot_one base "$base"
boot_one run "$((base + frames))"
grep -q "vmbnet_send_nbl" "$out/run.symbols" ||
    { echo "profile: error: no vmbnet.ko symbols in $out/run.symbols" >&2; exit 1; }
echo
echo "guest instructions per 64-byte DDI frame, by function ($frames frames: boot $((base + frames)) - boot $base)"
"$map" --top "$top" "$out/run.symbols" "$out/base.blocks" "$base" "$out/run.blocks" "$((base + frames))" |
    tee "$out/profile.txt"
