# shellcheck shell=sh
# Helpers for in-guest cases against a host that misbehaves on purpose
# (device/fault), sourced by busybox sh after ktap.sh:
#
#   fault_add <json>     add a rule to the device (qom-set fault-add, through
#                        the boot runner's monitor); the device must have
#                        id=vmbnet0
#   fault_remove <id>    remove it
#   note <text>          a "# " line in the log whether the case passes or not
#   logged <text>        how many kernel log lines say <text>
#   hangs_since <n>      wait up to 15 s for the oracle (the script's orc) to
#                        count more than <n> hangs; print how many more
FAULT_DEV=/machine/peripheral/vmbnet0

# The boot runner passes the request to QEMU's monitor; give it time to land.
fault_add() {
    echo "VMBNET-HOST: qom-set $FAULT_DEV fault-add $1" > /dev/console
    sleep 1
}

fault_remove() {
    echo "VMBNET-HOST: qom-set $FAULT_DEV fault-remove $1" > /dev/console
    sleep 1
}

note() {
    echo "# $*" > /dev/console
}

logged() {
    dmesg | grep -c "$1"
}

hangs_since() {
    for _ in $(seq 30); do
        [ "$(orc hangs)" -gt "$1" ] && break
        sleep 0.5
    done
    echo $(($(orc hangs) - $1))
}
