# Main job, in the guest: the full send / host / completion cycle of the DDI
# core through vmbnet-pci, flat out, then guest pktgen over the vmbnet
# netdev. Each result is one line "vmbnet-result: <name> <key=value>..." and
# the loadgen histograms "vmbnet-hist: <name> <bucket> <count>"; the host's
# vmbnet-report turns them into the table and reports/guest-cycle.json.
PKTGEN_COUNT=${PKTGEN_COUNT:-200000}

die() { echo "vmbnet-job: $*"; exit 1; }

echo "vmbnet-job: loading vmbnet.ko"
insmod /vmbnet/vmbnet.ko || die "insmod failed"
dev=
for d in /sys/bus/pci/drivers/vmbnet/0000:*/net/*; do [ -e "$d" ] && dev=$(basename "$d"); done
[ -n "$dev" ] || die "no vmbnet netdev"
ip addr add 10.0.2.15/24 dev "$dev" && ip link set "$dev" up || die "cannot bring $dev up"
lg=$(ls /sys/kernel/debug/vmbnet/*/loadgen | head -n1)
[ -n "$lg" ] || die "no loadgen in debugfs"

for spec in "64 400000" "512 200000" "1514 100000"; do
    set -- $spec
    size=$1 count=$2
    echo "vmbnet-job: DDI cycle, $count frames of $size bytes, window 128, batch 32"
    echo "$count $size 128 32" > "$lg" || die "loadgen refused the run at size $size"
    i=0
    while grep -q '^running' "$lg"; do
        i=$((i + 1)); [ "$i" -lt 1800 ] || die "loadgen still running after 180 s"
        sleep 0.1
    done
    grep -q '^frames' "$lg" || die "loadgen: $(cat "$lg")"
    cat "$lg" | awk -v n="ddi-$size" '
        /^frames/ { printf "vmbnet-result: %s frames=%s size=%s window=%s batch=%s elapsed_ns=%s failed=%s\n", n, $2, $4, $6, $8, $10, $12 }
        /^hist/ { printf "vmbnet-result: %s-hist total=%s min=%s max=%s sum=%s\n", n, $3, $5, $7, $9 }
        /^bucket/ { printf "vmbnet-hist: %s %s %s\n", n, $2, $3 }'
done

echo "vmbnet-job: guest pktgen over $dev, burst 32"
/vmbnet/bin/pktgen.sh "$dev" "$PKTGEN_COUNT" 64 32 vmbnet-pktgen || die "pktgen failed"
ip link set "$dev" down
rmmod vmbnet || die "rmmod failed"
echo "vmbnet-job: module unloaded cleanly"
