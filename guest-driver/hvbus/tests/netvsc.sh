# shellcheck shell=sh
# qemu-args: -device vmbnet-pci,netdev=n0,mac=52:54:00:4e:56:01 -netdev user,id=n0,guestfwd=tcp:10.0.2.100:1234-cmd:/bin/uname
# In-guest test: the kernel package's own hv_netvsc.ko, unmodified, drives
# vmbnet-pci (datapath A) through vmbnet_hvbus.ko: probe, MAC from the
# device, link, ping and TCP to the -netdev user gateway (the handshake needs
# the device to honour hv_netvsc's checksum offload), counters, unload.
. /vmbnet/lib/ktap.sh

KVER=$(uname -r)
NETVSC=/lib/modules/$KVER/kernel/drivers/net/hyperv/hv_netvsc.ko
MAC=52:54:00:4e:56:01

# The file is the package's: build-initramfs.sh checked it against the
# package's md5sums and listed its sha256.
stock_module() {
    line=$(grep " lib/modules/$KVER/kernel/drivers/net/hyperv/hv_netvsc.ko\$" /vmbnet/kmods.sha256) ||
        { echo "hv_netvsc.ko is not in the list of stock modules"; return 1; }
    (cd / && echo "$line" | sha256sum -c -)
}

ifname() {
    for d in /sys/bus/vmbus/drivers/hv_netvsc/*/net/*; do
        [ -e "$d" ] && { basename "$d"; return 0; }
    done
    echo "no netdev under hv_netvsc"
    return 1
}

netvsc_probe() {
    insmod "$NETVSC" || return 1
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        ifname >/dev/null && return 0
        sleep 0.5
    done
    dmesg | tail -20
    return 1
}

mac_from_device() {
    dev=$(ifname) || return 1
    got=$(cat "/sys/class/net/$dev/address")
    [ "$got" = "$MAC" ] || { echo "address $got, device says $MAC"; return 1; }
}

configure() {
    dev=$(ifname) || return 1
    ip addr add 10.0.2.15/24 dev "$dev" && ip link set "$dev" up || return 1
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        [ "$(cat "/sys/class/net/$dev/carrier" 2>/dev/null)" = 1 ] && return 0
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

unload() {
    ip link set "$(ifname)" down && rmmod hv_netvsc && rmmod vmbnet_hvbus
}

ktap_begin 10
ktap_case stock_module stock_module
ktap_case bus_load insmod /vmbnet/vmbnet_hvbus.ko
ktap_case netvsc_probe netvsc_probe
ktap_case mac_from_device mac_from_device
ktap_case link_up configure
ktap_case ping_gateway ping_gateway
ktap_case tcp_checksum_offload tcp_checksum_offload
ktap_case counters counters
ktap_case driver_quiet driver_quiet
ktap_case unload unload
ktap_end
