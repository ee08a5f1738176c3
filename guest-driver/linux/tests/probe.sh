# shellcheck shell=sh
# qemu-args: -device vmbnet-pci,queues=2
# In-guest test: vmbnet.ko finds vmbnet-pci by its IDs, binds, and unloads
# cleanly. Sourced by the guest init; prints KTAP.
. /vmbnet/lib/ktap.sh

VENDOR=0x1234
DEVICE=0x7662

device_path() {
    for d in /sys/bus/pci/devices/*; do
        [ "$(cat "$d/vendor")" = "$VENDOR" ] && [ "$(cat "$d/device")" = "$DEVICE" ] &&
            { echo "$d"; return 0; }
    done
    echo "no PCI function $VENDOR:$DEVICE"
    return 1
}

bound() {
    dev=$(basename "$(device_path)") || return 1
    [ -e "/sys/bus/pci/drivers/vmbnet/$dev" ] || { echo "vmbnet not bound to $dev"; return 1; }
    dmesg | grep -q "vmbnet $dev: vmbnet-pci 1\.[0-9]*: " ||
        { echo "probe message missing"; dmesg | tail -5; return 1; }
}

# A well-behaved host: the client's counters of host mistakes stay zero.
host_errors_none() {
    dev=$(basename "$(device_path)") || return 1
    dir=/sys/kernel/debug/vmbnet/$dev/host_errors
    [ -d "$dir" ] || { echo "no $dir"; return 1; }
    for f in "$dir"/*; do
        [ "$(cat "$f")" = 0 ] || { echo "$(basename "$f") = $(cat "$f")"; return 1; }
    done
}

unloaded() {
    rmmod vmbnet || return 1
    [ ! -e /sys/bus/pci/drivers/vmbnet ] || { echo "driver still registered"; return 1; }
    dmesg | grep -q "vmbnet .*: removed" || { echo "remove message missing"; return 1; }
}

reload() {
    insmod /vmbnet/vmbnet.ko && bound && rmmod vmbnet
}

ktap_begin 6
ktap_case pci_function_present device_path
ktap_case module_load insmod /vmbnet/vmbnet.ko
ktap_case probe_bound bound
ktap_case host_errors_none host_errors_none
ktap_case module_unload unloaded
ktap_case module_reload reload
ktap_end
