# shellcheck shell=sh
# qemu-args: -device vmbnet-pci,netdev=n0 -netdev user,id=n0
# In-guest test: unload vmbnet.ko with the DDI load generator and pktgen in
# flight. The kernel runs with slub_debug and panic_on_warn, so a leaked
# completion, a use after free or a hang fails the boot, not only a case.
# Pins hostile-peers bug 2: the DDI core's packet table was freed before
# unregister_netdev stopped NAPI (vmbnet_ddi_detach now WARNs if the netdev
# is still registered, which panic_on_warn turns into a failed boot).
. /vmbnet/lib/ktap.sh

devname() {
    for d in /sys/bus/pci/drivers/vmbnet/0000:*/net/*; do
        [ -e "$d" ] && { basename "$d"; return 0; }
    done
    return 1
}

setup() {
    insmod /vmbnet/vmbnet.ko && ip link set "$(devname)" up &&
        insmod "$(find /lib/modules -name pktgen.ko | head -n1)"
}

# Background loads: started here, outside any ktap_case subshell.
start_loads() {
    dev=$(devname) || return 1
    lg=$(ls /sys/kernel/debug/vmbnet/*/loadgen) || return 1
    echo "50000000 64 128 32" > "$lg" || return 1 # runs in a kernel thread
    echo "rem_device_all" > /proc/net/pktgen/kpktgend_0
    echo "add_device $dev" > /proc/net/pktgen/kpktgend_0
    echo "count 0" > "/proc/net/pktgen/$dev"
    echo "burst 32" > "/proc/net/pktgen/$dev"
    echo "dst 10.0.2.2" > "/proc/net/pktgen/$dev"
    (echo start > /proc/net/pktgen/pgctrl) >/dev/null 2>&1 &
    PG_PID=$!
    sleep 2
}

loads_running() {
    dev=$(devname) || return 1
    grep -q 'pkts-sofar: [1-9]' "/proc/net/pktgen/$dev" || { echo "pktgen idle"; return 1; }
    grep -q '^running' /sys/kernel/debug/vmbnet/*/loadgen || { echo "load generator not running"; return 1; }
}

unload_under_load() {
    rmmod vmbnet || return 1
    ! grep -q '^vmbnet ' /proc/modules || { echo "still loaded"; return 1; }
}

loads_ended() {
    # pktgen's writer returns once the device is gone: no hang
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        [ -d "/proc/$PG_PID" ] || return 0
        sleep 1
    done
    echo "pktgen still runs 10 s after the unload"
    return 1
}

reload() {
    insmod /vmbnet/vmbnet.ko && rmmod vmbnet
}

ktap_begin 5
ktap_case setup setup
start_loads
ktap_case loads_running loads_running
ktap_case unload_under_load unload_under_load
ktap_case loads_ended loads_ended
ktap_case reload_after reload
ktap_end
