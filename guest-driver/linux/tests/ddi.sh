# shellcheck shell=sh
# qemu-args: -device vmbnet-pci,netdev=n0 -netdev user,id=n0
# ktap-suite: vmbnet_ddi guest-driver/linux/vmbnet_selftest.c
# In-guest test: every DDI rule of the seeds against the real device, run by
# vmbnet.ko's self-test (its KTAP nested under vmbnet_ddi).
. /vmbnet/lib/ktap.sh
. /vmbnet/lib/ddi.lib

ktap_begin 4
ktap_case module_load insmod /vmbnet/vmbnet.ko
ktap_case netdev_up up
ktap_suite vmbnet_ddi "$(dbg)selftest"
ktap_case unload rmmod vmbnet
ktap_end
