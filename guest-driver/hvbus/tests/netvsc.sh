# shellcheck shell=sh
# qemu-args: -smp 4 -device vmbnet-pci,id=vmbnet0,netdev=n0,mac=52:54:00:4e:56:01,queues=4 -netdev user,id=n0,guestfwd=tcp:10.0.2.100:1234-cmd:/bin/uname
# In-guest test: the kernel package's own hv_netvsc.ko, unmodified, drives
# vmbnet-pci through vmbnet_hvbus.ko: probe, MAC from the device, link, ping
# and TCP to the peer (the handshake needs the device to honour hv_netvsc's
# checksum offload), an MTU change (hv_netvsc closes and reopens the channel
# for it), counters, unload under traffic, reload. Datapath A (this line's
# -netdev user) by default; with vmbnet.net=tap on the kernel command line
# the peer is the host end of vmbnet-dpdk's net_tap port (datapath B, see
# guest-driver/hvbus/CMakeLists.txt).
. /vmbnet/lib/ktap.sh
. /vmbnet/lib/netvsc.lib

# The file is the package's: build-initramfs.sh checked it against the
# package's md5sums and listed its sha256.
stock_module() {
    line=$(grep " lib/modules/$KVER/kernel/drivers/net/hyperv/hv_netvsc.ko\$" /vmbnet/kmods.sha256) ||
        { echo "hv_netvsc.ko is not in the list of stock modules"; return 1; }
    (cd / && echo "$line" | sha256sum -c -)
}

mac_from_device() {
    dev=$(ifname) || return 1
    got=$(cat "/sys/class/net/$dev/address")
    [ "$got" = "$MAC" ] || { echo "address $got, device says $MAC"; return 1; }
}

# QMP/HMP set_link on the device: RNDIS media indications reach hv_netvsc.
link_follows_host() {
    echo "VMBNET-HOST: set_link vmbnet0 off" > /dev/console
    carrier_is 0 || return 1
    echo "VMBNET-HOST: set_link vmbnet0 on" > /dev/console
    carrier_is 1
}

ping_peer() {
    ping -c 3 -W 5 "$PEER"
}

tcp_checksum_offload() {
    out=$(echo | nc -w 5 "$TCP_PEER" 1234) || { echo "nc failed"; return 1; }
    [ "$out" = Linux ] || { echo "got '$out'"; return 1; }
}

# ethtool -L N -> 1 -> N -> 1, the last two under traffic (N: what
# hv_netvsc starts with, a queue per CPU up to the host's RSS queues): each
# time hv_netvsc detaches (closing the subchannels, which the host
# rescinds), attaches, asks the host for the subchannels (NVSP 133) and
# opens each as the host offers it.
channels_change() {
    dev=$(ifname) || return 1
    out=$(vmbnet-ethtool "$dev" channels) || return 1
    n=${out#combined }
    n=${n%% *}
    { [ "$out" = "combined $n max $n" ] && [ "$n" -ge 2 ]; } ||
        { echo "at probe: $out (want N >= 2 queues)"; return 1; }
    echo "# $n queues at probe"
    vmbnet-ethtool "$dev" set-combined 1 || return 1
    out=$(vmbnet-ethtool "$dev" channels)
    [ "$out" = "combined 1 max $n" ] || { echo "after -L 1: $out"; return 1; }
    ping -i 0.02 -c 500 "$PEER" >/dev/null 2>&1 &
    pid=$!
    vmbnet-ethtool "$dev" set-combined "$n" || { kill "$pid"; return 1; }
    out=$(vmbnet-ethtool "$dev" channels)
    [ "$out" = "combined $n max $n" ] || { echo "after -L $n: $out"; kill "$pid"; return 1; }
    ls -d /sys/class/net/"$dev"/queues/tx-* | wc -l | grep -qx "$n" ||
        { echo "tx queues: $(ls /sys/class/net/"$dev"/queues)"; kill "$pid"; return 1; }
    ping -c 3 -W 5 "$PEER" || { kill "$pid"; return 1; }
    vmbnet-ethtool "$dev" set-combined 1 || { kill "$pid"; return 1; }
    wait "$pid"
    out=$(vmbnet-ethtool "$dev" channels)
    [ "$out" = "combined 1 max $n" ] || { echo "after -L 1: $out"; return 1; }
    ping -c 3 -W 5 "$PEER"
}

# ethtool -S: hv_netvsc's own counters saw the traffic.
ethtool_stats() {
    dev=$(ifname) || return 1
    out=$(vmbnet-ethtool "$dev" stats) || return 1
    tx=$(echo "$out" | awk '$1 == "tx_queue_0_packets" { print $2 }')
    echo "tx_queue_0_packets ${tx:-missing}"
    [ -n "$tx" ] && [ "$tx" -gt 0 ]
}

# before the MTU change: hv_netvsc's counters live in the netvsc_device it
# replaces then
counters() {
    dev=$(ifname) || return 1
    tx=$(cat "/sys/class/net/$dev/statistics/tx_packets")
    rx=$(cat "/sys/class/net/$dev/statistics/rx_packets")
    echo "tx $tx rx $rx"
    [ "$tx" -ge 3 ] && [ "$rx" -ge 3 ]
}

# hv_netvsc found nothing to complain about in what the host sent.
driver_quiet() {
    bad=$(dmesg | grep -E 'hv_netvsc|vmbnet_hvbus' |
          grep -iE 'invalid|error|fail|unknown|unable|WARNING' | grep -v 'module verification')
    [ -z "$bad" ] || { echo "$bad" | head -10; return 1; }
}

# hv_netvsc detaches (vmbus_close, GPADL teardown after it) and attaches
# again with the new MTU.
mtu_change() {
    dev=$(ifname) || return 1
    ip link set dev "$dev" mtu 1400 || return 1
    [ "$(cat "/sys/class/net/$dev/mtu")" = 1400 ] || { echo "mtu not 1400"; return 1; }
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        ping -c 1 -W 2 -s 1300 "$PEER" >/dev/null && break
    done
    ping -c 3 -W 5 -s 1300 "$PEER" || return 1
    ip link set dev "$dev" mtu 1500
}

# rmmod while a flood of pings is in flight: every send completes or fails,
# nothing hangs and nothing warns (the boot fails on a WARNING).
unload_under_traffic() {
    ping -i 0.01 -c 2000 "$PEER" >/dev/null 2>&1 &
    pid=$!
    sleep 1
    rmmod hv_netvsc || { kill "$pid"; return 1; }
    wait "$pid"
    [ ! -e /sys/bus/vmbus/drivers/hv_netvsc ] || { echo "hv_netvsc still registered"; return 1; }
}

reload() {
    netvsc_probe && configure && ping_peer
}

# The NIC goes away, as a synthetic NIC removed from a running Hyper-V VM:
# the host rescinds every channel, the bus takes the device off and
# hv_netvsc's remove runs against the rescinded channel. The NIC comes back:
# offered again, probed again, and it carries traffic. Quiet while it goes
# (no IPv6 chatter either): hv_netvsc's remove waits with no timeout for
# every send and receive completion, and hv_vmbus semantics leave those
# made after the rescind unanswerable (sends on a rescinded channel fail),
# so a rescind under traffic can hang it (see the README's findings).
device_goes_away() {
    echo 1 > "/proc/sys/net/ipv6/conf/$(ifname)/disable_ipv6"
    sleep 1
    echo "VMBNET-HOST: qom-set /machine/peripheral/vmbnet0 present false" > /dev/console
    netdev_is 0 || return 1
    [ -z "$(ls /sys/bus/vmbus/devices)" ] || { echo "still on the bus: $(ls /sys/bus/vmbus/devices)"; return 1; }
    echo "VMBNET-HOST: qom-set /machine/peripheral/vmbnet0 present true" > /dev/console
    netdev_is 1 && configure && ping_peer
}

unload() {
    ip link set "$(ifname)" down && rmmod hv_netvsc && rmmod vmbnet_hvbus
}

ktap_begin 17
if [ "$NETVSC" = "$OWN" ]; then
    ktap_skip stock_module "running your $OWN"
else
    ktap_case stock_module stock_module
fi
ktap_case bus_load insmod /vmbnet/vmbnet_hvbus.ko
ktap_case netvsc_probe netvsc_probe
ktap_case mac_from_device mac_from_device
ktap_case link_up configure
ktap_case ping_peer ping_peer
ktap_case link_follows_host link_follows_host
ktap_case tcp_checksum_offload tcp_checksum_offload
ktap_case counters counters
ktap_case ethtool_stats ethtool_stats
ktap_case channels_change channels_change
ktap_case mtu_change mtu_change
ktap_case unload_under_traffic unload_under_traffic
ktap_case reload reload
ktap_case device_goes_away device_goes_away
ktap_case driver_quiet driver_quiet
ktap_case unload unload
ktap_end
