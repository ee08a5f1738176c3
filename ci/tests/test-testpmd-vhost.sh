#!/usr/bin/env bash
# The main job's virtio-net/vhost-user row end to end: dpdk-testpmd serves
# vhost-user (rxonly), QEMU's virtio-net-pci connects to it, the guest's
# pktgen sends through it, and testpmd receives every frame pktgen says it
# sent (warm-ups included).
#
# usage: test-testpmd-vhost.sh <qemu> <kernel> <initrd> <work dir>
set -euo pipefail
qemu=$1 kernel=$2 initrd=$3 dir=$4 ci=$(dirname "$0")/..
rm -rf "$dir" && mkdir -p "$dir"
fail() { echo "test-testpmd-vhost: $*"; tail -n 20 "$dir/out"; exit 1; }
sock=$(mktemp -u /tmp/vmbnet-test-vhost.XXXXXX)
bash "$ci/with-testpmd-vhost.sh" --socket "$sock" --log "$dir/testpmd.log" -- \
    bash "$ci/boot.sh" --qemu "$qemu" --no-debug --kernel "$kernel" --initrd "$initrd" \
    --script pktgen-virtio --timeout 300 --log "$dir/boot.log" --shared-ram \
    --show '^vmbnet-result' -- -chardev "socket,id=vu0,path=$sock" \
    -netdev vhost-user,id=n0,chardev=vu0 -device virtio-net-pci,netdev=n0,romfile=,vectors=0 \
    > "$dir/out" 2>&1 || fail "the boot failed"
# each pktgen.sh run: a warm-up of a quarter of the count, then the count
sent=$(sed -n 's/.* count=\([0-9]*\).*/\1/p' "$dir/out" | awk '{ n += $1 + int($1 / 4) } END { print n + 0 }')
got=$(sed -n 's/.*testpmd received \([0-9]*\) packets.*/\1/p' "$dir/out")
[ "$sent" -gt 0 ] && [ -n "$got" ] || fail "no pktgen result or no testpmd count"
[ "$got" -ge "$sent" ] || fail "testpmd received $got of the $sent frames pktgen sent"
echo "test-testpmd-vhost: ok ($got packets at testpmd for $sent sent)"
