# shellcheck shell=sh
# Main job, in the guest: the full send / host / completion cycle of the DDI
# core through vmbnet-pci, flat out, then guest pktgen over the vmbnet
# netdev. Each result is one line "vmbnet-result: <name> <key=value>..." and
# the loadgen histograms "vmbnet-hist: <name> <bucket> <count>"; the host's
# vmbnet-report turns them into the table and reports/guest-cycle.json.
# On the kernel command line: VMBNET_CYCLE=64, the 64-byte run only (the
# boots under -icount that count instructions per frame); VMBNET_FRAMES,
# its frames (400000); VMBNET_SYMS=1, the text symbols written to ttyS1
# (perf/profile/profile.sh maps its block counts with them).
PKTGEN_COUNT=${PKTGEN_COUNT:-200000}
VMBNET_CYCLE=${VMBNET_CYCLE:-all}
VMBNET_FRAMES=${VMBNET_FRAMES:-400000}

die() { echo "vmbnet-job: $*"; exit 1; }

echo "vmbnet-job: loading vmbnet.ko"
insmod /vmbnet/vmbnet.ko || die "insmod failed"
dev=
for d in /sys/bus/pci/drivers/vmbnet/0000:*/net/*; do [ -e "$d" ] && dev=$(basename "$d"); done
[ -n "$dev" ] || die "no vmbnet netdev"
ip addr add 10.0.2.15/24 dev "$dev" && ip link set "$dev" up || die "cannot bring $dev up"
lg=$(ls /sys/kernel/debug/vmbnet/*/loadgen | head -n1)
[ -n "$lg" ] || die "no loadgen in debugfs"

# The wait for a run forks nothing: a grep and a sleep forked ten times a
# second would add their instructions to the run's (under -icount, 7 % of
# a DDI frame's). It reads the state with the shell's own read and naps in
# a read with a timeout on a FIFO nobody writes.
nap=/tmp/cycle.nap
mkfifo "$nap" || die "cannot make $nap"
# lg_run <name> <count> <size> <rate>: one load generator run, to its end
lg_run() {
    echo "$2 $3 128 32 $4" > "$lg" || die "loadgen refused the run $1"
    i=0
    while read -r state _ < "$lg" && [ "$state" = running ]; do
        i=$((i + 1)); [ "$i" -lt 360 ] || die "loadgen still running after 180 s"
        # shellcheck disable=SC3045 # busybox ash has read -t, with fractions
        read -r -t 0.5 _ <> "$nap"
    done
    grep -q '^frames' "$lg" || die "loadgen: $(cat "$lg")"
}

# run <name> <count> <size> <rate>: one load generator run, results printed.
# It waits a second first: the last run's histogram (a thousand lines and
# more) may still be going out on the serial console, whose interrupts
# and whose reader on the host would otherwise take time from this run
# (on datapath B they halved the 512- and 1514-byte rows).
run() {
    name=$1
    # shellcheck disable=SC3045 # busybox ash has read -t
    read -r -t 1 _ <> "$nap"
    lg_run "$@"
    cat "$lg" | awk -v n="$name" '
        /^frames/ { printf "vmbnet-result: %s frames=%s size=%s window=%s batch=%s elapsed_ns=%s failed=%s rate=%s idle_ns=%s\n", n, $2, $4, $6, $8, $10, $12, $14, $16 }
        /^hist/ { printf "vmbnet-result: %s-hist total=%s min=%s max=%s sum=%s\n", n, $3, $5, $7, $9 }
        /^bucket/ { printf "vmbnet-hist: %s %s %s\n", n, $2, $3 }'
}

# Warm-up, not reported: TCG translates the cycle's code on its first run.
echo "vmbnet-job: warm-up, 100000 frames of 64 bytes (not reported)"
lg_run warm-up 100000 64 0
for spec in "64 $VMBNET_FRAMES" "512 200000" "1514 100000"; do
    set -- $spec
    echo "vmbnet-job: DDI cycle, $2 frames of $1 bytes flat out, window 128, batch 32"
    run "ddi-$1" "$2" "$1" 0
    [ "$1" = 64 ] && peak=$(awk '/^frames/ { print int($2 * 1000000000 / $10) }' "$lg")
    [ "$VMBNET_CYCLE" = all ] || break
done
if [ "$VMBNET_CYCLE" != all ]; then
    # the text symbols, kernel and modules, to the second serial port
    if [ "${VMBNET_SYMS:-0}" = 1 ]; then
        grep -E '^[0-9a-f]+ [tT] ' /proc/kallsyms > /dev/ttyS1 || die "cannot write the symbols to ttyS1"
    fi
    rmmod vmbnet || die "rmmod failed"
    echo "vmbnet-job: module unloaded cleanly"
    exit 0
fi
# Completion latency at half the 64-byte peak rate (paced sends).
half=$(( ${peak:-0} / 2 ))
[ "$half" -gt 0 ] || die "no 64-byte peak rate to halve"
echo "vmbnet-job: DDI cycle at half the peak rate: $half frames/s"
run ddi-64-half $(( half * 2 )) 64 "$half"

echo "vmbnet-job: guest pktgen over $dev, burst 32"
/vmbnet/bin/pktgen.sh "$dev" "$PKTGEN_COUNT" 64 32 vmbnet-pktgen || die "pktgen failed"
ip link set "$dev" down
rmmod vmbnet || die "rmmod failed"
echo "vmbnet-job: module unloaded cleanly"
