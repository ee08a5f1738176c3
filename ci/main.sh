#!/usr/bin/env bash
# The main job: install what is missing, build the target, boot it under
# QEMU TCG and run the send / inject / complete cycle in the guest, then
# print packets per second and completion latency, side by side with stock
# virtio-net measured in the same run with the same QEMU binary.
#
# Boots (each a fresh guest, q35, -cpu max, 1 vCPU):
#   vmbnet/null       vmbnet-pci, no netdev (frames end in the device: the
#                     DDI cycle's own cost, like DPDK's net_null)
#   vmbnet/udp        vmbnet-pci on QEMU's UDP socket netdev
#   virtio-net/udp    virtio-net-pci on the UDP socket netdev (reference)
#   virtio-net/null   virtio-net-pci, no netdev (reference)
# Results: the table on stdout, build/reports/guest-cycle.json, .hgrm files.
#
# usage: ci/main.sh [--quick] [--icount] [--timeout S]
#   --icount   run the guests with -icount (guest time counts instructions:
#              pps in guest time repeats run to run, independent of load)
set -euo pipefail
cd "$(dirname "$0")/.."
timeout=400 quick=0 icount=()
while [ $# -gt 0 ]; do
    case "$1" in
    --quick) quick=1; shift ;;
    --icount) icount=(-icount shift=3,align=off,sleep=off); shift ;;
    --timeout) timeout=$2; shift 2 ;;
    *) echo "main: error: unknown argument '$1' (--quick, --icount, --timeout S)" >&2; exit 2 ;;
    esac
done

bash ci/install-deps.sh
echo "main: building (first run builds QEMU from source: several minutes)"
cmake --preset default >/dev/null
cmake --build --preset default | grep -E '^(build-|FAILED|ninja: build stopped)' || true
[ "${PIPESTATUS[0]}" -eq 0 ] || { echo "main: error: build failed" >&2; exit 1; }

kver=$(bash ci/guest-kver.sh)
reports=build/reports
mkdir -p "$reports"
udp="-netdev socket,id=n0,udp=127.0.0.1:39101,localaddr=127.0.0.1:39102"
boot() { # <label> <script> <qemu device args...>
    local label=$1 script=$2 log="$reports/main-${1//\//-}.log"
    shift 2
    echo "main: boot $label ($script)"
    ci/boot.sh --qemu build/qemu/build-default/qemu-system-x86_64 \
        --kernel "build/guest/kernel/root/boot/vmlinuz-$kver" \
        --initrd build/guest/initramfs.cpio.gz --script "$script" --timeout "$timeout" \
        --log "$log" --show '^vmbnet-(job|result): [^h]' -- "${icount[@]}" "$@"
    logs+=("$label=$log")
}
logs=()
boot vmbnet/null cycle -device vmbnet-pci
if [ "$quick" = 0 ]; then
    boot vmbnet/udp cycle -device vmbnet-pci,netdev=n0 $udp
    boot virtio-net/udp pktgen-virtio -device virtio-net-pci,netdev=n0,romfile= $udp
fi
boot virtio-net/null pktgen-virtio -device virtio-net-pci,romfile=
./build/perf/vmbnet-report --out "$reports" "${logs[@]}"
