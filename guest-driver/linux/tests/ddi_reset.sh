# shellcheck shell=sh
# qemu-args: -device vmbnet-pci,id=vmbnet0,netdev=n0,faults-log=@FAULTS_LOG@ -netdev user,id=n0
# In-guest test: the device resets under vmbnet.ko mid-send (fault action
# reset, datapath A only), in a boot of its own. Nothing in VMBus tells a
# guest of such a reset, so what was in flight never completes: judged is
# what vmbnet.ko tells its user. The DDI core's hang detector reports the
# sends left waiting, once, and the load generator gives up on them and
# cancels them, so that every request still ends exactly once.
. /vmbnet/lib/ktap.sh
. /vmbnet/lib/faults.sh
. /vmbnet/lib/ddi.lib

# At the tenth send completion of 20000 frames the device resets. The reset
# runs in QEMU's main loop, after the completion: a run of 100 frames
# (under 2 ms since the DDI core batches its completions) can end before
# it, and then nothing is in flight to lose.
reset_mid_send() {
    h0=$(orc hangs)
    fault_add '{"id":"reset","point":"completion","match":{"rndis":"packet"},"trigger":{"nth":10},"action":"reset"}'
    res=$(loadgen 20000 8)
    hangs=$(hangs_since "$h0")
    note "load generator: $res; $hangs hang(s) reported"
    note "the core: $(dmesg | grep "hang: DDI core" | tail -n 1 | sed 's/^\[[^]]*\] //')"
    echo "$res" | grep -q "^error -110 lost [1-8] " && [ "$hangs" -eq 1 ]
}

ktap_begin 3
ktap_case module_load insmod /vmbnet/vmbnet.ko
ktap_case netdev_up up
ktap_case reset_mid_send reset_mid_send
ktap_end
