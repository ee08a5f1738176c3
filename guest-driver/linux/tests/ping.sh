# shellcheck shell=sh
# qemu-args: -device vmbnet-pci,netdev=n0 -netdev user,id=n0,guestfwd=tcp:10.0.2.100:1234-cmd:/bin/uname
# In-guest test: vmbnet.ko brings up the channel and the netdev, and the
# guest pings the -netdev user gateway through vmbnet-pci (datapath A), then
# talks TCP to a slirp guestfwd: the netdev offloads IPv4 TCP checksums, so
# the handshake only succeeds if the device completes them.
. /vmbnet/lib/ktap.sh

ifname() {
    for d in /sys/bus/pci/drivers/vmbnet/0000:*/net/*; do
        [ -e "$d" ] && { basename "$d"; return 0; }
    done
    echo "no netdev under the vmbnet driver"
    return 1
}

configure() {
    dev=$(ifname) || return 1
    ip addr add 10.0.2.15/24 dev "$dev" && ip link set "$dev" up || return 1
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        [ "$(cat /sys/class/net/$dev/carrier 2>/dev/null)" = 1 ] && return 0
        sleep 0.5
    done
    echo "carrier never came up on $dev"
    return 1
}

ping_gateway() {
    ping -c 3 -W 5 10.0.2.2
}

tcp_checksum_offload() {
    out=$(echo | nc -w 5 10.0.2.100 1234) || { echo "nc failed"; return 1; }
    [ "$out" = Linux ] || { echo "got '$out'"; return 1; }
}

counters() {
    dev=$(ifname) || return 1
    tx=$(cat /sys/class/net/$dev/statistics/tx_packets)
    rx=$(cat /sys/class/net/$dev/statistics/rx_packets)
    echo "tx $tx rx $rx"
    [ "$tx" -ge 3 ] && [ "$rx" -ge 3 ]
}

unload() {
    ip link set "$(ifname)" down && rmmod vmbnet
}

ktap_begin 6
ktap_case module_load insmod /vmbnet/vmbnet.ko
ktap_case link_up configure
ktap_case ping_gateway ping_gateway
ktap_case tcp_checksum_offload tcp_checksum_offload
ktap_case counters counters
ktap_case unload unload
ktap_end
