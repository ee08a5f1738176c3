#!/usr/bin/env bash
# Check that a module exports every hv_vmbus symbol the stock hv_netvsc.ko
# imports, with the CRC the kernel's Module.symvers records for hv_vmbus.
# A CRC that differs means a prototype or a type behind it differs from the
# kernel's: hv_netvsc.ko would refuse to load ("disagrees about version of
# symbol"). Names every symbol that is missing or differs.
#
# usage: check-symvers.sh <module's Module.symvers> <kernel's Module.symvers>
set -euo pipefail
die() { echo "check-symvers: error: $*" >&2; exit 1; }
ours=$1; kernel=$2
[ -f "$ours" ] || die "$ours missing (the module build writes it)"
[ -f "$kernel" ] || die "$kernel missing (linux-headers package)"
syms="__vmbus_driver_register vmbus_driver_unregister vmbus_open vmbus_close
      vmbus_establish_gpadl vmbus_teardown_gpadl vmbus_sendpacket vmbus_sendpacket_mpb_desc
      vmbus_set_sc_create_callback vmbus_next_request_id vmbus_request_addr
      hv_pkt_iter_first __hv_pkt_iter_next hv_pkt_iter_close vmbus_proto_version"
bad=0
for s in $syms; do
    want=$(awk -v s="$s" '$2 == s && $3 ~ /hv_vmbus$/ { print $1 }' "$kernel")
    got=$(awk -v s="$s" '$2 == s { print $1 }' "$ours")
    if [ -z "$want" ]; then
        echo "check-symvers: $s: not exported by hv_vmbus in $kernel" >&2; bad=1
    elif [ -z "$got" ]; then
        echo "check-symvers: $s: not exported by the module" >&2; bad=1
    elif [ "$got" != "$want" ]; then
        echo "check-symvers: $s: CRC $got, the kernel's hv_vmbus has $want" >&2; bad=1
    fi
done
[ "$bad" = 0 ] || exit 1
echo "check-symvers: 15 hv_vmbus symbols, CRCs as in $kernel"
