# shellcheck shell=sh
# qemu-args: -device vmbnet-pci,id=vmbnet0,netdev=n0,faults-log=@FAULTS_LOG@ -netdev user,id=n0
# ktap-suite: ddi_late guest-driver/linux/vmbnet_selftest.c
# ktap-suite: ddi_reordered guest-driver/linux/vmbnet_selftest.c
# ktap-suite: ddi_withheld guest-driver/linux/vmbnet_selftest.c
# ktap-suite: ddi_ring_stalled guest-driver/linux/vmbnet_selftest.c
# ktap-suite: ddi_duplicated guest-driver/linux/vmbnet_selftest.c
# ktap-suite: ddi_revoked guest-driver/linux/vmbnet_selftest.c
# In-guest test: the seeds' contracts under a host that misbehaves on
# purpose (device/fault). With each rule added at run time, vmbnet.ko's
# DDI self-test runs again (one completion per request, FWPS completion
# once per NBL, injection-handle destroy waits, per-packet info intact:
# suite ddi_<fault>), or its load generator sends frames through the
# whole cycle; then the core's oracle must say every packet completed
# once, with the status the host gave, that a completion for an id not
# outstanding was refused, and that its hang detector fired when, and
# only when, the host kept a completion. On datapath B the backend is
# also killed mid-send and followed by another.
. /vmbnet/lib/ktap.sh
. /vmbnet/lib/faults.sh
. /vmbnet/lib/ddi.lib

# judged REFUSED HANGS: within 8 s nothing waits for the host, the core and
# the netdev refused REFUSED completions since the last judgement (ids not
# in flight), and the core's hang detector fired HANGS times.
BASE=/tmp/ddi_faults.base # each case runs in a subshell: the baselines live here
echo "0 0" > "$BASE"
judged() {
    read -r R0 H0 < "$BASE"
    for _ in $(seq 16); do
        [ "$(orc waiting)" -eq 0 ] && [ "$(($(orc hangs) - H0))" -ge "$2" ] && break
        sleep 0.5
    done
    refused=$(($(orc refused) + $(orc netdev_refused) - R0)) hangs=$(($(orc hangs) - H0))
    note "oracle: $(cat "$(dbg)oracle")"
    echo "$(($(orc refused) + $(orc netdev_refused))) $(orc hangs)" > "$BASE"
    [ "$(orc waiting)" -eq 0 ] && [ "$refused" -eq "$1" ] && [ "$hangs" -eq "$2" ] && return 0
    echo "oracle: want $1 refused, nothing waiting, $2 hang(s); got $refused refused, $hangs hang(s)"
    dmesg | grep -A3 "hang: DDI core" | tail -n 8
    return 1
}

# under ID RULE SUITE: the self-test as suite SUITE while rule ID holds.
under() {
    fault_add "$2"
    ktap_suite "$3" "$(dbg)selftest"
    fault_remove "$1"
}

# Every third send completes with NVSP status 2, five times: of 60 frames,
# each completes once, and the core and the netdev (whose own sends may
# take some of the five) passed on exactly five failures.
failed_completions() {
    f0=$(($(orc failed) + $(orc netdev_failed)))
    fault_add '{"id":"fail","point":"completion","match":{"rndis":"packet"},"trigger":{"every":3,"count":5},"action":"status","status":2}'
    res=$(loadgen 60 4)
    fault_remove fail
    failed=$(($(orc failed) + $(orc netdev_failed) - f0))
    note "load generator: $res; the core and the netdev: $failed failed"
    echo "$res" | grep -q "^frames 60 .* failed [1-5] " && [ "$failed" -eq 5 ] && judged 0 0
}

# The second send's completion comes with an id the core never used: the
# core refuses it, the send never completes, the hang detector reports it,
# and the load generator gives up on it and cancels it (once).
lost_completion() {
    fault_add '{"id":"badid","point":"completion","match":{"rndis":"packet"},"trigger":{"nth":2},"action":"wrong_trans_id"}'
    res=$(loadgen 20 4)
    fault_remove badid
    note "load generator: $res"
    echo "$res" | grep -q "^error -110 lost 1 " && judged 1 1
}

# The host never completes the third send (action drop): the core's hang
# detector reports it and the load generator gives up on it and cancels it.
dropped_completion() {
    fault_add '{"id":"gone","point":"completion","match":{"rndis":"packet"},"trigger":{"nth":3},"action":"drop"}'
    res=$(loadgen 20 4)
    fault_remove gone
    note "load generator: $res"
    echo "$res" | grep -q "^error -110 lost 1 " && judged 0 1
}

# Datapath B: at the tenth send completion of 200 frames the backend dies
# (SIGKILL); another starts (ci/with-vmbnet-dpdk.sh --restart) and QEMU
# replays the device to it. Every frame completes once, with success or
# with the failure the front end gives what was in flight at the kill.
killed_mid_send() {
    fault_add '{"id":"die","point":"completion","match":{"rndis":"packet"},"trigger":{"nth":10},"action":"kill"}'
    res=$(loadgen 200 8)
    note "load generator: $res"
    echo "$res" | grep -q "^frames 200 " && judged 0 0
}

ktap_begin 19
ktap_case module_load insmod /vmbnet/vmbnet.ko
ktap_case netdev_up up
ktap_case failed_completions failed_completions
under slow '{"id":"slow","point":"completion","trigger":{"probability":0.34},"action":"delay","duration_ms":2,"jitter_ms":20,"distribution":"exponential"}' ddi_late
ktap_case late_exactly_once judged 0 0
under swap '{"id":"swap","point":"completion","trigger":{"every":2},"action":"reorder"}' ddi_reordered
ktap_case reordered_exactly_once judged 0 0
under hold '{"id":"hold","point":"completion","trigger":{"for_ms":2500},"action":"withhold"}' ddi_withheld
ktap_case withheld_exactly_once judged 0 0
under busy '{"id":"busy","point":"ring","trigger":{"every":10,"count":3},"action":"stall","duration_ms":300}' ddi_ring_stalled
ktap_case ring_stalled_exactly_once judged 0 0
under dup '{"id":"dup","point":"completion","trigger":{"every":4,"count":3},"action":"duplicate"}' ddi_duplicated
ktap_case duplicated_refused judged 3 0
# three times 300 ms without the receive and send buffers (action revoke):
# frames for the guest are lost, sends in sections fail
under revoked '{"id":"revoked","point":"completion","trigger":{"every":4,"count":3},"action":"revoke","duration_ms":300}' ddi_revoked
ktap_case revoked_exactly_once judged 0 0
ktap_case lost_completion lost_completion
ktap_case dropped_completion dropped_completion
if grep -q vmbnet_datapath=b /proc/cmdline; then
    ktap_case killed_mid_send killed_mid_send
else
    ktap_skip killed_mid_send "datapath A: the NIC runs in QEMU, there is no backend to kill"
fi
ktap_case unload rmmod vmbnet
ktap_end
