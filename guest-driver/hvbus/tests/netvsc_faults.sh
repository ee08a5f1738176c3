# shellcheck shell=sh
# qemu-args: -smp 2 -device vmbnet-pci,id=vmbnet0,netdev=n0,mac=52:54:00:4e:56:01,queues=1,faults-log=@FAULTS_LOG@ -netdev user,id=n0
# In-guest test: the host misbehaves on purpose (device/fault) toward the
# kernel package's own hv_netvsc.ko. Each case adds a fault rule at run
# time (qom-set fault-add, through the boot runner), sends traffic, and
# checks what the driver did with it: a failed send completion, a
# completion twice, frames lost on the way in, a refused NVSP version, a
# completion for an id that is not outstanding, a completion never sent,
# completions late, reordered or withheld, send sections kept, the ring
# not read for a while, the link flapping, the buffers revoked. The NIC rescinded mid-send (A)
# and the backend killed mid-send (B) have a boot of their own
# (netvsc_gone.sh): either can leave hv_netvsc stuck.
# What hv_netvsc gets wrong is a finding: its case passes when the finding
# still holds, says so, and fails the day it does not (update the note).
. /vmbnet/lib/ktap.sh
. /vmbnet/lib/netvsc.lib
. /vmbnet/lib/faults.sh

# $1 pings, $2 ms apart; prints how many came back.
pings_back() {
    ping -c "$1" -i "0.$2" -W 2 "$PEER" 2>/dev/null | sed -n 's/.* \([0-9]*\) packets received.*/\1/p'
}

# judged REFUSED LOST HANGS CASE...: run the case, then hold the driver to
# exactly once: within 8 s (more than the bus's hang_ms) the requests
# waiting for the host come down to LOST (completions it never sends), the
# bus refused REFUSED completions (ids not outstanding: as many as the host
# made up or repeated), and its hang detector fired HANGS times. Any other
# outcome fails the case with the bus's counts and its hang reports.
judged() {
    want_refused=$1 want_lost=$2 want_hangs=$3
    shift 3
    r0=$(orc refused) i0=$(orc issued) c0=$(orc completed) h0=$(orc hangs)
    "$@" || return 1
    for _ in $(seq 16); do
        [ "$(orc waiting)" -eq "$want_lost" ] &&
            [ "$(($(orc hangs) - h0))" -ge "$want_hangs" ] && break
        sleep 0.5
    done
    wait=$(orc waiting) refused=$(($(orc refused) - r0)) hangs=$(($(orc hangs) - h0))
    note "oracle: $(($(orc issued) - i0)) requests, $(($(orc completed) - c0)) completed, $refused refused, $wait waiting, $(orc kept) kept by the driver, $hangs hang(s) reported"
    [ "$wait" -eq "$want_lost" ] && [ "$refused" -eq "$want_refused" ] && [ "$hangs" -eq "$want_hangs" ] && return 0
    echo "oracle: want $want_refused refused, $want_lost waiting, $want_hangs hang(s)"
    cat "$ORACLE"
    dmesg | grep -A4 "hang: channel" | tail -n 12
    return 1
}

# A finding: hv_netvsc never gives back the request ids of its NVSP INIT,
# SEND_RECV_BUF and SEND_SEND_BUF messages. netvsc_send_completion() copies
# their completions into channel_init_pkt without request_addr_callback(),
# so the three stay taken in the channel's request table until it closes
# (hv_vmbus's table, as this bus's). Passes while exactly those three are
# kept after the host answered them; fails the day they are given back.
finding_init_request_ids_kept() {
    kept=$(orc kept)
    note "finding: $kept request id(s) answered by the host and never given back by hv_netvsc"
    [ "$kept" -eq 3 ]
}

# Every third send completes with NVSP status 2 (failure), five times: the
# frames went out all the same, so every ping comes back; hv_netvsc logs
# the status and frees the skb.
failed_send_completions() {
    before=$(logged "nvsp_rndis_pkt_complete error status: 2")
    fault_add '{"id":"fail","point":"completion","match":{"rndis":"packet"},"trigger":{"every":3,"count":5},"action":"status","status":2}'
    got=$(pings_back 20 05)
    fault_remove fail
    after=$(logged "nvsp_rndis_pkt_complete error status: 2")
    note "$got of 20 pings back; the driver logged $((after - before)) failed completions"
    [ "$got" -ge 19 ] && [ "$after" -gt "$before" ] && ping -c 3 -W 5 "$PEER"
}

# Three sends complete twice: hv_netvsc refuses the second (its request id
# is no longer outstanding) and goes on.
duplicate_completions() {
    before=$(logged "Invalid transaction ID")
    fault_add '{"id":"dup","point":"completion","match":{"rndis":"packet"},"trigger":{"every":4,"count":3},"action":"duplicate"}'
    got=$(pings_back 20 05)
    fault_remove dup
    after=$(logged "Invalid transaction ID")
    note "$got of 20 pings back; the driver refused $((after - before)) completions"
    [ "$got" -ge 19 ] && [ "$after" -gt "$before" ] && ping -c 3 -W 5 "$PEER"
}

# A third of the frames for the guest are lost on the way: pings are lost,
# the driver does not notice, and all is well once the loss stops.
frames_lost_in() {
    fault_add '{"id":"lossy","point":"receive","match":{"min_len":60},"trigger":{"probability":0.34},"action":"drop"}'
    got=$(pings_back 30 05)
    fault_remove lossy
    note "$got of 30 pings back with a third of the frames in lost"
    [ "$got" -ge 5 ] && [ "$got" -le 28 ] && ping -c 3 -W 5 "$PEER"
}

# The host refuses the first NVSP version hv_netvsc asks for (6.1): it asks
# for the next one and probes all the same.
refused_nvsp_version() {
    ip link set "$(ifname)" down && rmmod hv_netvsc || return 1
    fault_add '{"id":"nover","point":"nvsp_init","trigger":{"nth":1},"action":"refuse_version"}'
    up || { fault_remove nover; return 1; }
    fault_remove nover
}

# Under the rule $2 (id $1), $3 pings 50 ms apart: all but one come back
# and hv_netvsc refuses no completion. $4, what the host did, is for the log.
every_completion_taken() {
    before=$(logged "Invalid transaction ID")
    fault_add "$2"
    got=$(pings_back "$3" 05)
    fault_remove "$1"
    after=$(logged "Invalid transaction ID")
    note "$got of $3 pings back $4"
    [ "$got" -ge $(($3 - 1)) ] && [ "$after" -eq "$before" ] && ping -c 3 -W 5 "$PEER"
}

# A third of the send completions come late, 2 ms plus an exponential
# draw of mean 20 ms.
delayed_send_completions() {
    every_completion_taken slow '{"id":"slow","point":"completion","match":{"rndis":"packet"},"trigger":{"probability":0.34},"action":"delay","duration_ms":2,"jitter_ms":20,"distribution":"exponential"}' 30 "with a third of the send completions late"
}

# Every other send completion is overtaken by the next: hv_netvsc finds
# each by its id, whatever the order.
reordered_completions() {
    every_completion_taken swap '{"id":"swap","point":"completion","match":{"rndis":"packet"},"trigger":{"every":2},"action":"reorder"}' 30 "with every other send completion reordered"
}

# For 2 s no send completes, then all of them do at once: the frames went
# out, so the pings came back all along.
withheld_completions_window() {
    every_completion_taken hold '{"id":"hold","point":"completion","match":{"rndis":"packet"},"trigger":{"for_ms":2000},"action":"withhold"}' 40 "across 2 s without send completions"
}

# hv_netvsc's counter of sends that found no free send section.
send_full() {
    vmbnet-ethtool "$(ifname)" stats | awk '$1 == "tx_send_full" { print $2 }'
}

# For 4 s the host keeps every send section (it completes only the sends
# in the guest's own pages): hv_netvsc runs out of its sections (1 MB of
# 6144 bytes: 170) and sends from the skb's pages instead, so pings flow.
send_sections_exhausted() {
    before=$(send_full)
    fault_add '{"id":"keep","point":"completion","match":{"rndis":"packet","section":true},"trigger":{"for_ms":4000},"action":"withhold"}'
    got=$(ping -c 300 -i 0.01 -W 2 "$PEER" 2>/dev/null | sed -n 's/.* \([0-9]*\) packets received.*/\1/p')
    sleep 2 # the window ends, the sections come back
    fault_remove keep
    after=$(send_full)
    note "$got of 300 pings back; $((after - before)) sends found no free section"
    [ "$got" -ge 290 ] && [ "$after" -gt "$before" ] && ping -c 3 -W 5 "$PEER"
}

# The host stops reading the guest's ring for 300 ms, three times: the
# sends wait in the ring and go when it reads again.
ring_stalled() {
    fault_add '{"id":"busy","point":"ring","trigger":{"every":20,"count":3},"action":"stall","duration_ms":300}'
    got=$(pings_back 40 05)
    fault_remove busy
    note "$got of 40 pings back across three 300 ms ring stalls"
    [ "$got" -ge 39 ] && ping -c 3 -W 5 "$PEER"
}

# The link goes down for 1 s and comes back: hv_netvsc drops the carrier
# and raises it again.
link_flaps() {
    dev=$(ifname) || return 1
    before=$(cat "/sys/class/net/$dev/carrier_changes")
    fault_add '{"id":"flap","point":"receive","trigger":{"nth":3},"action":"link_flap","duration_ms":1000}'
    pings_back 5 2 >/dev/null
    fault_remove flap
    carrier_is 1 || return 1
    after=$(cat "/sys/class/net/$dev/carrier_changes")
    note "carrier changed $((after - before)) times across a 1 s link flap"
    [ "$after" -ge $((before + 2)) ] && ping -c 3 -W 5 "$PEER"
}

# For 1 s from the third send completion of a ping flood the host has lost
# hv_netvsc's receive and send buffers (fault action revoke): the replies
# have nowhere to go, and the echo requests, small enough for a send
# section, complete with status 2 unread. hv_netvsc logs the failures and
# does not notice anything else; once the buffers are back, pings flow.
buffers_revoked() {
    before=$(logged "nvsp_rndis_pkt_complete error status: 2")
    fault_add '{"id":"revoked","point":"completion","match":{"rndis":"packet"},"trigger":{"nth":3},"action":"revoke","duration_ms":1000}'
    got=$(pings_back 40 05)
    fault_remove revoked
    after=$(logged "nvsp_rndis_pkt_complete error status: 2")
    note "$got of 40 pings back across 1 s without the buffers; the driver logged $((after - before)) failed completions"
    [ "$got" -ge 5 ] && [ "$got" -le 36 ] && [ "$after" -gt "$before" ] && ping -c 3 -W 5 "$PEER"
}

# One send is completed with an id the driver never used: hv_netvsc logs it
# and refuses it; the send itself is never completed.
unknown_trans_id() {
    before=$(logged "Invalid transaction ID 80000000")
    fault_add '{"id":"badid","point":"completion","match":{"rndis":"packet"},"trigger":{"nth":2},"action":"wrong_trans_id"}'
    got=$(pings_back 10 05)
    fault_remove badid
    after=$(logged "Invalid transaction ID 80000000")
    note "$got of 10 pings back; the driver refused $((after - before)) unknown ids"
    [ "$after" -gt "$before" ] && ping -c 3 -W 5 "$PEER"
}

# A finding: the sends above that never completed hang hv_netvsc's unload.
# rndis_filter_halt_device() waits for every send to complete with no
# timeout (wait_event(nvdev->wait_drain, netvsc_device_idle(nvdev))), so a
# host that loses one completion makes rmmod sleep forever, uninterruptibly.
# Passes while that holds; fails (update the closing note) when rmmod ends.
finding_unload_hangs_on_lost_completion() {
    ip link set "$(ifname)" down
    rmmod hv_netvsc >/dev/null 2>&1 </dev/null & # not the case's output: it would wait for it
    pid=$!
    sleep 15
    if [ -d "/proc/$pid" ]; then
        note "finding: rmmod hv_netvsc still running 15 s after a lost send completion"
        note "state $(sed -n 's/^State:[[:space:]]*//p' "/proc/$pid/status"), wchan $(cat "/proc/$pid/wchan" 2>/dev/null)"
        return 0
    fi
    echo "rmmod hv_netvsc returned: the finding no longer holds"
    return 1
}

ktap_begin 16
ktap_case bus_load insmod /vmbnet/vmbnet_hvbus.ko
ktap_case netvsc_up judged 0 0 0 up
ktap_case finding_init_request_ids_kept finding_init_request_ids_kept
ktap_case failed_send_completions judged 0 0 0 failed_send_completions
ktap_case duplicate_completions judged 3 0 0 duplicate_completions
ktap_case frames_lost_in judged 0 0 0 frames_lost_in
ktap_case refused_nvsp_version judged 0 0 0 refused_nvsp_version
ktap_case delayed_send_completions judged 0 0 0 delayed_send_completions
ktap_case reordered_completions judged 0 0 0 reordered_completions
ktap_case withheld_completions_window judged 0 0 0 withheld_completions_window
ktap_case send_sections_exhausted judged 0 0 0 send_sections_exhausted
ktap_case ring_stalled judged 0 0 0 ring_stalled
ktap_case link_flaps judged 0 0 0 link_flaps
ktap_case buffers_revoked judged 0 0 0 buffers_revoked
ktap_case unknown_trans_id judged 1 1 1 unknown_trans_id
ktap_case finding_unload_hangs_on_lost_completion finding_unload_hangs_on_lost_completion
ktap_end
