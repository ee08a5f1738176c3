#!/bin/sh
# pktgen on one netdev: pktgen.sh <dev> <count> <size> <burst> <result-name>
# Prints "vmbnet-result: <name> pps=<n> ..." from pktgen's own result line, after
# a warm-up run of a quarter of the count that is not reported.
dev=$1 count=$2 size=$3 burst=$4 name=$5
[ -e /proc/net/pktgen ] || insmod "$(find /lib/modules -name pktgen.ko | head -n1)" || exit 1
pg() { echo "$2" > "/proc/net/pktgen/$1" || { echo "vmbnet-job: pktgen: '$2' refused"; exit 1; }; }
pg kpktgend_0 "rem_device_all"
pg kpktgend_0 "add_device $dev"
pg "$dev" "count $count"
pg "$dev" "pkt_size $size"
pg "$dev" "burst $burst"
pg "$dev" "dst 10.0.2.2"
pg "$dev" "dst_mac 52:55:0a:00:02:02"
# Warm-up, not reported: a quarter of the count (TCG translates the
# driver's transmit path on its first run).
pg "$dev" "count $((count / 4))"
pg pgctrl "start"
grep -q 'Result: OK' "/proc/net/pktgen/$dev" || { echo "vmbnet-job: pktgen warm-up failed"; exit 1; }
pg "$dev" "count $count"
pg pgctrl "start"
grep -q 'Result: OK' "/proc/net/pktgen/$dev" || { echo "vmbnet-job: pktgen failed"; exit 1; }
pps=$(grep -o '[0-9]*pps' "/proc/net/pktgen/$dev" | head -n1 | tr -d 'pps')
[ -n "$pps" ] || { echo "vmbnet-job: pktgen gave no result"; cat "/proc/net/pktgen/$dev"; exit 1; }
echo "vmbnet-result: $name pps=$pps size=$size burst=$burst count=$count"
