#!/usr/bin/env bash
# The main job: install what is missing, build the target, boot it under
# QEMU TCG with vmbnet-pci, run the send / inject / complete cycle in the
# guest and print what it measured.
#
# usage: ci/main.sh [--queues N] [--timeout S]
set -euo pipefail
cd "$(dirname "$0")/.."
queues=1 timeout=300
while [ $# -gt 0 ]; do
    case "$1" in
    --queues) queues=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    *) echo "main: error: unknown argument '$1' (--queues N, --timeout S)" >&2; exit 2 ;;
    esac
done

bash ci/install-deps.sh
echo "main: building (first run builds QEMU from source: several minutes)"
cmake --preset default >/dev/null
cmake --build --preset default | grep -E '^(build-|FAILED|ninja: build stopped)' || true
[ "${PIPESTATUS[0]}" -eq 0 ] || { echo "main: error: build failed" >&2; exit 1; }

kver=$(bash ci/guest-kver.sh)
mkdir -p build/reports
echo "main: booting the target (QEMU TCG, q35, vmbnet-pci queues=$queues)"
exec ci/boot.sh --qemu build/qemu/build-default/qemu-system-x86_64 \
    --kernel "build/guest/kernel/root/boot/vmlinuz-$kver" \
    --initrd build/guest/initramfs.cpio.gz --script cycle --timeout "$timeout" \
    --log build/reports/main-console.log --show '^vmbnet-job: ' \
    -- -device "vmbnet-pci,queues=$queues"
