# shellcheck shell=sh
# Job, in the guest: pktgen over the stock hv_netvsc.ko on vmbnet-pci
# (through vmbnet_hvbus.ko), for the main job's table beside vmbnet.ko's
# netdev and virtio-net (same QEMU, same TCG).
PKTGEN_COUNT=${PKTGEN_COUNT:-200000}
# vmbnet.ko's netdev first, at the burst hv_netvsc can take (see below),
# on the same device in the same boot
insmod /vmbnet/vmbnet.ko || { echo "vmbnet-job: insmod vmbnet failed"; exit 1; }
dev=
for _ in $(seq 20); do
    for d in /sys/bus/pci/drivers/vmbnet/0000:*/net/*; do
        [ -e "$d" ] && dev=$(basename "$d")
    done
    [ -n "$dev" ] && break
    sleep 0.5
done
[ -n "$dev" ] || { echo "vmbnet-job: no vmbnet netdev"; exit 1; }
ip link set "$dev" up
echo "vmbnet-job: guest pktgen over vmbnet $dev, burst 1"
/vmbnet/bin/pktgen.sh "$dev" "$PKTGEN_COUNT" 64 1 vmbnet-pktgen-b1 || exit 1
ip link set "$dev" down
rmmod vmbnet || { echo "vmbnet-job: rmmod vmbnet failed"; exit 1; }
netvsc=$(find /lib/modules -name hv_netvsc.ko | head -n1)
[ -n "$netvsc" ] || { echo "vmbnet-job: hv_netvsc.ko missing from the initramfs"; exit 1; }
insmod /vmbnet/vmbnet_hvbus.ko || { echo "vmbnet-job: insmod vmbnet_hvbus failed"; exit 1; }
insmod "$netvsc" || { echo "vmbnet-job: insmod hv_netvsc failed"; exit 1; }
dev=
for _ in $(seq 20); do
    for d in /sys/bus/vmbus/drivers/hv_netvsc/*/net/*; do
        [ -e "$d" ] && dev=$(basename "$d")
    done
    [ -n "$dev" ] && break
    sleep 0.5
done
[ -n "$dev" ] || { echo "vmbnet-job: no hv_netvsc netdev"; dmesg | tail -5; exit 1; }
ip link set "$dev" up
for _ in $(seq 20); do
    [ "$(cat "/sys/class/net/$dev/carrier" 2>/dev/null)" = 1 ] && break
    sleep 0.5
done
# Burst 1: with pktgen's burst (one skb sent again and again, xmit_more),
# hv_netvsc 6.1 dereferences NULL in netvsc_send_pkt(): it keeps
# ether_setup()'s IFF_TX_SKB_SHARING but keeps its per-packet state in
# skb->cb, so the batched copy (nvchan->msd) of the skb is overwritten by
# the next send of the same skb. A driver bug vmbnet exposes, not a host one.
echo "vmbnet-job: guest pktgen over hv_netvsc $dev, burst 1"
/vmbnet/bin/pktgen.sh "$dev" "$PKTGEN_COUNT" 64 1 netvsc-pktgen-b1
