#!/usr/bin/env bash
# Boot your own build of hv_netvsc.ko against vmbnet-pci under TCG and run
# the guest.netvsc cases on it (guest-driver/hvbus/tests/netvsc.sh).
#
# usage: ci/try-netvsc.sh <hv_netvsc.ko | --stock> [--dpdk] [--build <dir>]
#                         [--cases netvsc|netvsc_faults] [--faults <scenario.json>]
#
# --cases netvsc_faults runs the misbehaving-host cases instead
# (netvsc_faults.sh). --faults makes the host misbehave as a scenario says
# (device/fault/SCENARIO.md) for the whole run; the faults fired are listed
# at the end (all of them in build/guest/try-netvsc/faults.log), with the
# bus's oracle: requests, completions taken once, refused, still waiting,
# and the hangs it reported. --stock tries the kernel package's own
# hv_netvsc.ko.
#
# The module must be built for the guest kernel (ci/guest-kver.sh):
#   make -C /lib/modules/$(ci/guest-kver.sh)/build M=<your drivers/net/hyperv>
# The build tree (default build/, made by ci/test.sh or cmake --build) gives
# QEMU, the kernel and vmbnet_hvbus.ko. --dpdk runs datapath B (vmbnet-dpdk
# on a net_tap port; needs root for the tap). Prints KTAP; exit 0 when every
# case passed.
set -euo pipefail
die() { echo "try-netvsc: error: $*" >&2; exit 1; }
repo=$(cd "$(dirname "$0")/.." && pwd)
ko='' dpdk=0 build=$repo/build cases=netvsc faults=''
while [ $# -gt 0 ]; do
    case "$1" in
    --dpdk) dpdk=1; shift ;;
    --build) build=$(realpath "$2"); shift 2 ;;
    --cases) cases=$2; shift 2 ;;
    --faults) faults=$(realpath "$2"); shift 2 ;;
    --stock) ko=stock; shift ;;
    -*) die "unknown option $1" ;;
    *) ko=$(realpath "$1"); shift ;;
    esac
done
kver=$("$repo/ci/guest-kver.sh")
[ "$ko" != stock ] || ko=$build/guest/kernel/root/lib/modules/$kver/kernel/drivers/net/hyperv/hv_netvsc.ko
[ -n "$ko" ] && [ -f "$ko" ] || die "give the hv_netvsc.ko to try, or --stock (usage in this file's header)"
case "$cases" in netvsc | netvsc_faults) ;; *) die "--cases: netvsc or netvsc_faults" ;; esac
[ -z "$faults" ] || [ -f "$faults" ] || die "--faults: no scenario file $faults"
vermagic=$(modinfo -F vermagic "$ko" 2>/dev/null | cut -d' ' -f1)
[ "$vermagic" = "$kver" ] || die "$ko is built for '${vermagic:-?}', the guest runs $kver"
qemu=$build/qemu/build-default/qemu-system-x86_64
kernel=$build/guest/kernel/root/boot/vmlinuz-$kver
hvbus=$build/guest/hvbus/vmbnet_hvbus.ko
for f in "$qemu" "$kernel" "$hvbus" "$build/guest/module/vmbnet.ko"; do
    [ -e "$f" ] || die "$f missing: build first (bash ci/test.sh, or cmake --build build)"
done
out=$build/guest/try-netvsc
mkdir -p "$out"
ln -sfn "$ko" "$out/hv_netvsc.ko" 2>/dev/null || cp "$ko" "$out/hv_netvsc.ko"
echo "try-netvsc: packing $ko into the guest image"
"$repo/ci/build-initramfs.sh" "$repo" "$out/initramfs.cpio.gz" "$build/guest/kernel/root" "$kver" \
    --module "$build/guest/module/vmbnet.ko" --module "$hvbus" --module "$out/hv_netvsc.ko" \
    --tool "$build/guest-driver/linux/vmbnet-exit" --tool "$build/guest-driver/linux/vmbnet-ethtool" \
    --kmod drivers/net/hyperv/hv_netvsc.ko
boot=("$repo/ci/boot.sh" --qemu "$qemu" --kernel "$kernel" --initrd "$out/initramfs.cpio.gz"
      --script "$cases" --timeout 240 --log "$out/boot.log" --results "$out/results.txt")
rm -f "$out/faults.log"
rc=0
if [ "$dpdk" = 1 ]; then
    extra=()
    [ -z "$faults" ] || extra=(--backend-arg --faults --backend-arg "$faults"
                               --backend-arg --faults-log --backend-arg "$out/faults.log")
    "$repo/ci/with-vmbnet-dpdk.sh" --dpdk "$build/device/dpdk/vmbnet-dpdk" \
        --socket "$out/dpdk.sock" --log "$out/backend.log" --vdev net_tap0,iface=vmbnet-try0 \
        --tap-addr 10.0.3.1/24 "${extra[@]}" -- "${boot[@]}" --shared-ram --append vmbnet.net=tap -- \
        -smp 2 -device "vmbnet-pci,id=vmbnet0,backend=$out/dpdk.sock,mac=52:54:00:4e:56:01,queues=4" ||
        rc=$?
else
    dev=vmbnet-pci,id=vmbnet0,netdev=n0,mac=52:54:00:4e:56:01,queues=4
    [ -z "$faults" ] || dev=$dev,faults=$faults,faults-log=$out/faults.log
    "${boot[@]}" -- -smp 4 -device "$dev" \
        -netdev user,id=n0,guestfwd=tcp:10.0.2.100:1234-cmd:/bin/uname || rc=$?
fi
if [ -n "$faults" ]; then
    n=$(grep -c 'fault ' "$out/faults.log" 2>/dev/null || true)
    echo "try-netvsc: ${n:-0} faults fired from $faults ($out/faults.log):"
    head -n 10 "$out/faults.log" 2>/dev/null | sed 's/^/  /'
fi
# The bus's oracle at the end of the run (ci/guest/init prints it).
if grep -q "VMBNET-ORACLE: vmbnet_hvbus" "$out/boot.log" 2>/dev/null; then
    echo "try-netvsc: the bus's oracle (guest-driver/hvbus/hvb_oracle.c) at the end:"
    sed -n 's/.*VMBNET-ORACLE: vmbnet_hvbus\/[^ ]* /  /p' "$out/boot.log"
    sed -n 's/.*VMBNET-ORACLE: vmbnet_hvbus\/[^ ]* //p' "$out/boot.log" | BOOTLOG=$out/boot.log awk '
        $1 == "hangs" { hangs = $2 }
        $1 == "chan" { for (i = 3; i < NF; i += 2) v[$i] += $(i + 1) }
        END {
            printf "try-netvsc: oracle: %d request(s), %d completed once, %d completion(s) refused, ", v["issued"], v["completed"], v["refused"]
            printf "%d still waiting for the host, %d kept by the driver, %d hang(s) reported\n", v["waiting"], v["kept"], hangs
            if (v["waiting"] || hangs) print "try-netvsc: oracle verdict: the driver was left waiting (see the hang reports in " ENVIRON["BOOTLOG"] ")"
            else print "try-netvsc: oracle verdict: nothing waits for the host and no hang was reported"
        }'
fi
echo "try-netvsc: $([ "$rc" = 0 ] && echo "every case passed" || echo "FAILED (exit $rc)"): $out/results.txt"
exit "$rc"
