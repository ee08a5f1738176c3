# shellcheck shell=sh
# qemu-args: -device vmbnet-pci,netdev=n0 -netdev user,id=n0
# ktap-suite: vmbnet_ddi guest-driver/linux/vmbnet_selftest.c
# In-guest test: every DDI rule of the seeds against the real device, run by
# vmbnet.ko's self-test (its KTAP nested under vmbnet_ddi).
. /vmbnet/lib/ktap.sh

up() {
    for d in /sys/bus/pci/drivers/vmbnet/0000:*/net/*; do
        [ -e "$d" ] && ip link set "$(basename "$d")" up && return 0
    done
    echo "no vmbnet netdev"
    return 1
}

selftest_file() {
    ls /sys/kernel/debug/vmbnet/*/selftest 2>/dev/null | head -n1
}

ktap_begin 4
ktap_case module_load insmod /vmbnet/vmbnet.ko
ktap_case netdev_up up
ktap_suite vmbnet_ddi "$(selftest_file)"
ktap_case unload rmmod vmbnet
ktap_end
