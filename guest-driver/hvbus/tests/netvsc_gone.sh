# shellcheck shell=sh
# qemu-args: -smp 2 -device vmbnet-pci,id=vmbnet0,netdev=n0,mac=52:54:00:4e:56:01,queues=1,faults-log=@FAULTS_LOG@ -netdev user,id=n0
# In-guest test: the host goes away mid-send under the kernel package's own
# hv_netvsc.ko, in a boot of its own (either can leave hv_netvsc stuck).
# Datapath A: the NIC is rescinded (fault action rescind) and offered again.
# Datapath B: the backend process is killed (fault action kill), the
# supervisor starts another (ci/with-vmbnet-dpdk.sh --restart) and QEMU
# replays the device to it. Each datapath skips the other's case.
. /vmbnet/lib/ktap.sh
. /vmbnet/lib/netvsc.lib
. /vmbnet/lib/faults.sh

# At the third send completion of a ping flood the backend dies (SIGKILL).
# Every send hv_netvsc made still completes exactly once across the kill:
# within 8 s nothing waits for the host, no completion was refused (none
# came twice), and the bus reported no hang. The pings lost while no
# backend ran are noted; after the restart the peer answers again: three
# pings out of three (the new backend's tap has the old one's MAC, so the
# guest's neighbour entry still holds).
# Echo replies the IP layer took in (/proc/net/snmp), and the netdev's
# frames in: where frames for the guest stop, if they do.
echo_replies() {
    awk '$1 == "Icmp:" && !h { for (i = 2; i <= NF; i++) if ($i == "InEchoReps") c = i; h = 1; next }
         $1 == "Icmp:" { print $c }' /proc/net/snmp
}

killed_mid_send() {
    r0=$(orc refused) h0=$(orc hangs)
    dev=$(ifname) || return 1
    rx0=$(cat "/sys/class/net/$dev/statistics/rx_packets") e0=$(echo_replies)
    fault_add '{"id":"die","point":"completion","match":{"rndis":"packet"},"trigger":{"nth":3},"action":"kill"}'
    got=$(ping -c 40 -i 0.1 -W 2 "$PEER" 2>/dev/null | sed -n 's/.* \([0-9]*\) packets received.*/\1/p')
    for _ in $(seq 16); do
        [ "$(orc waiting)" -eq 0 ] && break
        sleep 0.5
    done
    note "$got of 40 pings back across the kill; oracle: $(orc issued) requests, $(($(orc refused) - r0)) refused, $(orc waiting) waiting, $(($(orc hangs) - h0)) hang(s)"
    note "frames in: $(($(cat "/sys/class/net/$dev/statistics/rx_packets") - rx0)) at the netdev, $(($(echo_replies) - e0)) echo replies at the IP layer"
    [ "$(orc waiting)" -eq 0 ] && [ "$(orc refused)" -eq "$r0" ] && [ "$(orc hangs)" -eq "$h0" ] || return 1
    after=$(ping -c 3 -W 5 "$PEER" 2>/dev/null | sed -n 's/.* \([0-9]*\) packets received.*/\1/p')
    note "${after:-0} of 3 pings back after the restart"
    [ "${after:-0}" -eq 3 ]
}

# At the fifth send completion of a ping flood the host rescinds the NIC
# (that completion still goes, and the channel is served until hv_netvsc
# closes it, but gets no new frames), and offers it again 4 s later.
# Either hv_netvsc removes its netdev under traffic and probes the new
# offer (then nothing may wait and no hang be reported), or its remove
# hangs in rndis_filter_device_remove(): the finding of the README, a
# receive completion it owes after seeing the rescind cannot be sent
# (sends on a rescinded channel fail), and netvsc_device_idle() waits for
# it for ever. The case says which; anything else fails it.
rescinded_mid_send() {
    h0=$(orc hangs)
    fault_add '{"id":"gone","point":"completion","match":{"rndis":"packet"},"trigger":{"nth":5},"action":"rescind","duration_ms":4000}'
    ping -c 20 -i 0.05 -W 1 "$PEER" >/dev/null 2>&1 &
    netdev_is 0 || return 1
    note "hv_netvsc's netdev went away under traffic"
    wait
    if ! netdev_is 1 >/dev/null; then
        stuck=$(grep -l rndis_filter_device_remove /proc/[0-9]*/wchan 2>/dev/null | head -n1)
        [ -n "$stuck" ] || { echo "no new netdev, and no remove stuck"; return 1; }
        note "finding: hv_netvsc's remove hangs after a rescind under traffic: $(cat "${stuck%/wchan}/comm") in $(cat "$stuck"), state $(sed -n 's/^State:[[:space:]]*//p' "${stuck%/wchan}/status")"
        return 0
    fi
    configure && ping -c 3 -W 5 "$PEER" >/dev/null || return 1
    note "offered again: probed, configured, ping works; oracle: $(orc waiting) waiting, $(($(orc hangs) - h0)) hang(s)"
    [ "$(orc waiting)" -eq 0 ] && [ "$(orc hangs)" -eq "$h0" ]
}

ktap_begin 4
ktap_case bus_load insmod /vmbnet/vmbnet_hvbus.ko
ktap_case netvsc_up up
if grep -q vmbnet.net=tap /proc/cmdline; then
    ktap_case killed_mid_send killed_mid_send
    ktap_skip rescinded_mid_send "datapath B: the front end owns the offers, the backend cannot rescind"
else
    ktap_skip killed_mid_send "datapath A: the NIC runs in QEMU, there is no backend to kill"
    ktap_case rescinded_mid_send rescinded_mid_send
fi
ktap_end
