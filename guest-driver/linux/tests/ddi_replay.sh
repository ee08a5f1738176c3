# shellcheck shell=sh
# qemu-args: -icount shift=3,align=off,sleep=off -device vmbnet-pci,id=vmbnet0,netdev=n0,faults=@SOURCE_DIR@/device/fault/scenarios/replay-ddi.json,faults-log=@FAULTS_LOG@ -netdev user,id=n0
# replay: the same boot again must fire the same faults (ci/replay-check.sh)
# In-guest test: a seeded scenario (device/fault/scenarios/replay-ddi.json:
# failed, duplicated and late send completions drawn at random) against a
# load the guest makes the same every run: vmbnet.ko's load generator, one
# frame in flight at a time, the netdev up without IPv6 or an address (no
# traffic of its own). Each
# frame completes once, the duplicates are refused, nothing waits at the
# end. CTest boots it twice under -icount and compares the faults logs.
. /vmbnet/lib/ktap.sh
. /vmbnet/lib/faults.sh

dbg() {
    ls -d /sys/kernel/debug/vmbnet/*/ 2>/dev/null | head -n1
}

orc() {
    awk -v k="$1" '{ for (i = 1; i < NF; i += 2) if ($i == k) print $(i + 1) }' "$(dbg)oracle"
}

# Up, and silent: no IPv6 (router and neighbour solicitations), no address.
quiet_up() {
    echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6
    echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6
    for d in /sys/bus/pci/drivers/vmbnet/0000:*/net/*; do
        [ -e "$d" ] && ip link set "$(basename "$d")" up && return 0
    done
    echo "no vmbnet netdev"
    return 1
}

# With the interface down the DDI core refuses to send (its completions
# would wait for the interface): the load generator says so at once.
refused_while_down() {
    echo "10 200 1 1" > "$(dbg)loadgen" || return 1
    sleep 1
    res=$(head -n1 "$(dbg)loadgen")
    note "load generator with the interface down: $res"
    echo "$res" | grep -q "^error -5 "
}

load() {
    echo "300 200 1 1" > "$(dbg)loadgen" || return 1
    for _ in $(seq 240); do
        res=$(head -n1 "$(dbg)loadgen")
        [ "$res" != running ] && break
        sleep 0.5
    done
    note "load generator: $res"
    note "oracle: $(cat "$(dbg)oracle")"
    echo "$res" | grep -q "^frames 300 " && [ "$(orc waiting)" -eq 0 ] && [ "$(orc hangs)" -eq 0 ] &&
        [ "$(orc refused)" -gt 0 ] && [ "$(orc failed)" -gt 0 ]
}

ktap_begin 5
ktap_case module_load insmod /vmbnet/vmbnet.ko
ktap_case refused_while_down refused_while_down
ktap_case netdev_up quiet_up
ktap_case seeded_load_completes_once load
ktap_case unload rmmod vmbnet
ktap_end
