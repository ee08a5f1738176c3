# shellcheck shell=sh
# Reference job, in the guest: pktgen over stock virtio-net (same QEMU, same
# TCG), for the side-by-side table of the main job.
PKTGEN_COUNT=${PKTGEN_COUNT:-200000}
for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci \
         failover net_failover virtio_net; do
    f=$(find /lib/modules -name "$m.ko" | head -n1)
    [ -n "$f" ] || { echo "vmbnet-job: $m.ko missing from the initramfs"; exit 1; }
    insmod "$f" || echo "vmbnet-job: insmod $m failed"
done
dev=
for d in /sys/class/net/*; do
    n=$(basename "$d")
    [ "$n" != lo ] && [ -e "$d/device" ] && dev=$n
done
[ -n "$dev" ] || { echo "vmbnet-job: no virtio-net device"; exit 1; }
ip link set "$dev" up
echo "vmbnet-job: guest pktgen over virtio-net $dev, burst 32"
/vmbnet/bin/pktgen.sh "$dev" "$PKTGEN_COUNT" 64 32 virtio-pktgen
# and at burst 1, beside hv_netvsc's row (which cannot take pktgen's burst)
/vmbnet/bin/pktgen.sh "$dev" "$PKTGEN_COUNT" 64 1 virtio-pktgen-b1
