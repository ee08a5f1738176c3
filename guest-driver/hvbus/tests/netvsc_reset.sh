# shellcheck shell=sh
# qemu-args: -smp 2 -device vmbnet-pci,id=vmbnet0,netdev=n0,mac=52:54:00:4e:56:01,queues=1,faults-log=@FAULTS_LOG@ -netdev user,id=n0
# In-guest test: the device resets under the kernel package's own
# hv_netvsc.ko mid-send (fault action reset, datapath A only), in a boot of
# its own. Nothing in VMBus tells a guest of such a reset, so hv_netvsc and
# the bus wait for the host for ever: no driver can do better, and none is
# judged for it. What is judged is what vmbnet tells its user: the bus's
# hang detector reports the requests left waiting, once, with both rings'
# indices, masks and pending_send_sz.
. /vmbnet/lib/ktap.sh
. /vmbnet/lib/netvsc.lib
. /vmbnet/lib/faults.sh

# At the fifth send completion of a ping flood the device resets; the
# sends after it stay in the ring, which no host reads any more. Within
# 15 s (hang_ms is 5 s, looked at every 1.25 s) the bus reports one hang.
reset_mid_send() {
    h0=$(orc hangs)
    fault_add '{"id":"reset","point":"completion","match":{"rndis":"packet"},"trigger":{"nth":5},"action":"reset"}'
    ping -c 20 -i 0.05 -W 1 "$PEER" >/dev/null 2>&1
    hangs=$(hangs_since "$h0")
    note "after the reset: $(orc waiting) request(s) wait for the host, $hangs hang(s) reported"
    note "the bus: $(dmesg | grep "hang: channel" | tail -n 1 | sed 's/^\[[^]]*\] //')"
    [ "$(orc waiting)" -gt 0 ] && [ "$hangs" -eq 1 ]
}

ktap_begin 3
ktap_case bus_load insmod /vmbnet/vmbnet_hvbus.ko
ktap_case netvsc_up up
ktap_case reset_mid_send reset_mid_send
ktap_end
