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
. /vmbnet/lib/ddi.lib

# Up, and silent: no IPv6 (router and neighbour solicitations), no address.
quiet_up() {
    echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6
    echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6
    up
}

# With the interface down the DDI core refuses to send (its completions
# would wait for the interface): the load generator says so at once.
refused_while_down() {
    res=$(loadgen 10 1)
    note "load generator with the interface down: $res"
    echo "$res" | grep -q "^error -5 "
}

load() {
    res=$(loadgen 300 1)
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
