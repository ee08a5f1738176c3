#!/usr/bin/env bash
# The main job: install what is missing, build the target, boot it under
# QEMU TCG and run the send / inject / complete cycle in the guest, then
# print packets per second and completion latency, side by side with stock
# virtio-net measured in the same run with the same QEMU binary.
#
# Boots (each a fresh guest, q35, -cpu max, 1 vCPU):
#   vmbnet/null       vmbnet-pci, no netdev (frames end in the device: the
#                     DDI cycle's own cost, like DPDK's net_null)
#   vmbnet/dpdk-null  vmbnet-pci,backend=: the channel served by vmbnet-dpdk
#                     (datapath B) on a DPDK net_null port, guest RAM shared
#   hv_netvsc/null    vmbnet-pci, no netdev, driven by the kernel's own
#                     hv_netvsc.ko on vmbnet_hvbus.ko: guest pktgen
#   vmbnet/udp        vmbnet-pci on QEMU's UDP socket netdev
#   hv_netvsc/udp     the same on the UDP socket netdev
#   virtio-net/udp    virtio-net-pci on the UDP socket netdev (reference)
#   virtio-net/null   virtio-net-pci, no netdev (reference)
#   virtio-net/vhost-user  virtio-net-pci on vhost-user, served by
#                     dpdk-testpmd (rxonly) on the host: the fast datapath
#                     users would otherwise pick (ci/with-testpmd-vhost.sh)
# Then the instructions per frame: vmbnet/null (the 64-byte DDI run only),
# hv_netvsc/null and virtio-net/null booted again under -icount, where the
# guest's clock counts its instructions (2 rounds; 1 with --quick, which
# leaves out hv_netvsc).
# Results: the table on stdout, build/reports/guest-cycle.json, .hgrm files.
#
# The guests boot without the tests' debug options (ci/boot.sh --no-debug),
# each job runs once unreported before it measures (TCG translates the
# code on its first run), and every configuration is booted once per round
# (3 rounds by default, the order rotated each round): the table gives the
# median of the rounds and their spread, and the ratios are of medians.
#
# usage: ci/main.sh [--quick] [--rounds N] [--icount] [--timeout S] [--no-build]
#   --quick    only the null boots (vmbnet/null, vmbnet/dpdk-null,
#              hv_netvsc/null, virtio-net/null)
#   --rounds N boot each configuration N times (default 3)
#   --icount   run the guests with -icount (guest time counts instructions:
#              pps in guest time repeats run to run, independent of load;
#              vmbnet/dpdk-null is skipped: its backend runs in host time)
#   --no-build use what build/ holds (no dependency install, no build)
set -euo pipefail
cd "$(dirname "$0")/.."
timeout=400 quick=0 icount=() build=1 rounds=3
while [ $# -gt 0 ]; do
    case "$1" in
    --quick) quick=1; shift ;;
    --rounds)
        rounds=$2
        [[ "$rounds" =~ ^[1-9][0-9]?$ ]] || { echo "main: error: --rounds takes 1 to 99, not '$rounds'" >&2; exit 2; }
        shift 2 ;;
    --icount) icount=(-icount "shift=3,align=off,sleep=off"); shift ;;
    --timeout) timeout=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    *) echo "main: error: unknown argument '$1' (--quick, --rounds N, --icount, --timeout S, --no-build)" >&2
       exit 2 ;;
    esac
done

if [ "$build" = 1 ]; then
    bash ci/install-deps.sh
    echo "main: building (first run builds QEMU from source: several minutes)"
    cmake --preset default >/dev/null
    cmake --build --preset default | grep -E '^(build-|FAILED|ninja: build stopped)' || true
    [ "${PIPESTATUS[0]}" -eq 0 ] || { echo "main: error: build failed" >&2; exit 1; }
fi

kver=$(bash ci/guest-kver.sh)
reports=build/reports
mkdir -p "$reports"
udp="-netdev socket,id=n0,udp=127.0.0.1:39101,localaddr=127.0.0.1:39102"
launcher=() boot_opts=() # set by boot_dpdk for one boot
boot() { # <label> <script> <round> <qemu device args...>
    local label=$1 script=$2 round=$3 log="$reports/main-${1//\//-}-r$3.log"
    shift 3
    echo "main: boot $label ($script), round $round"
    "${launcher[@]}" ci/boot.sh --qemu build/qemu/build-default/qemu-system-x86_64 --no-debug \
        --kernel "build/guest/kernel/root/boot/vmlinuz-$kver" \
        --initrd build/guest/initramfs.cpio.gz --script "$script" --timeout "$timeout" \
        --log "$log" --show '^vmbnet-(job|result): [^h]' "${boot_opts[@]}" \
        -- "${icount[@]}" "$@"
    # what the report reads the icount shift from
    printf 'vmbnet-qemu-args: %s\n' "${icount[*]} $*" >> "$log"
    logs+=("$label=$log")
}
# Datapath B: vmbnet-dpdk on a null port serves the device's channel; guest
# RAM must be shared for it to map, and TCG must emit the guest's barriers
# as host barriers (maxcpus=2: parallel TCG; with one vCPU possible it
# leaves them out and a ring signal can be lost against the backend).
boot_dpdk() { # <label> <script> <round>
    local sock
    sock=$(mktemp -u /tmp/vmbnet-main-$$.XXXXXX.sock)
    launcher=(ci/with-vmbnet-dpdk.sh --dpdk build/device/dpdk/vmbnet-dpdk --socket "$sock"
              --log "$reports/main-${1//\//-}-r$3.backend.log" --prefix "vmbnet-main-$$" --)
    boot_opts=(--shared-ram)
    boot "$1" "$2" "$3" -smp 1,maxcpus=2 -device "vmbnet-pci,backend=$sock"
    launcher=() boot_opts=()
}
# virtio-net on vhost-user, testpmd the backend: guest RAM shared; QEMU
# 7.2's vhost-user under TCG needs the device without MSI-X (vectors=0).
boot_vhost() { # <label> <script> <round>
    local sock
    sock=$(mktemp -u /tmp/vmbnet-main-$$.XXXXXX.vhost)
    launcher=(ci/with-testpmd-vhost.sh --socket "$sock"
              --log "$reports/main-${1//\//-}-r$3.testpmd.log" --)
    boot_opts=(--shared-ram)
    boot "$1" "$2" "$3" -chardev "socket,id=vu0,path=$sock" -netdev vhost-user,id=n0,chardev=vu0 \
        -device virtio-net-pci,netdev=n0,romfile=,vectors=0
    launcher=() boot_opts=()
}
# Each round boots every configuration once, in an order rotated by one
# from the round before, so that no configuration always runs first (TCG's
# host caches cold, the machine's load at the start) or last.
configs=("vmbnet/null cycle -device vmbnet-pci")
if [ "${#icount[@]}" = 0 ]; then
    configs+=("vmbnet/dpdk-null cycle dpdk")
else # single-threaded TCG, and a backend that runs in host time, not guest time
    echo "main: vmbnet/dpdk-null skipped: -icount runs TCG single-threaded (no guest barriers)"
fi
configs+=("hv_netvsc/null pktgen-netvsc -device vmbnet-pci")
if [ "$quick" = 0 ]; then
    [ "${#icount[@]}" = 0 ] && configs+=("virtio-net/vhost-user pktgen-virtio vhost")
    configs+=("vmbnet/udp cycle -device vmbnet-pci,netdev=n0 $udp"
              "hv_netvsc/udp pktgen-netvsc -device vmbnet-pci,netdev=n0 $udp"
              "virtio-net/udp pktgen-virtio -device virtio-net-pci,netdev=n0,romfile= $udp")
fi
configs+=("virtio-net/null pktgen-virtio -device virtio-net-pci,romfile=")
logs=()
n=${#configs[@]}
for ((r = 0; r < rounds; r++)); do
    order=""
    for ((k = 0; k < n; k++)); do order+=" ${configs[(k + r) % n]%% *}"; done
    echo "main: round $((r + 1)) of $rounds:$order"
    for ((k = 0; k < n; k++)); do
        # shellcheck disable=SC2086 # the device arguments split on purpose
        set -- ${configs[(k + r) % n]}
        if [ "$3" = dpdk ]; then
            boot_dpdk "$1" "$2" "$((r + 1))"
        elif [ "$3" = vhost ]; then
            boot_vhost "$1" "$2" "$((r + 1))"
        else
            label=$1 script=$2
            shift 2
            boot "$label" "$script" "$((r + 1))" "$@"
        fi
    done
done
# The instructions per frame, under -icount (unless every boot was).
if [ "${#icount[@]}" = 0 ]; then
    ic_configs=("vmbnet/null cycle VMBNET_CYCLE=64 -device vmbnet-pci")
    [ "$quick" = 1 ] || ic_configs+=("hv_netvsc/null pktgen-netvsc - -device vmbnet-pci")
    ic_configs+=("virtio-net/null pktgen-virtio - -device virtio-net-pci,romfile=")
    icount=(-icount "shift=3,align=off,sleep=off")
    for ((r = 1; r <= 2 - quick; r++)); do
        for c in "${ic_configs[@]}"; do
            # shellcheck disable=SC2086 # the device arguments split on purpose
            set -- $c
            label=$1 script=$2 append=$3
            shift 3
            [ "$append" = - ] || boot_opts=(--append "$append")
            boot "$label" "$script" "icount$r" "$@"
            boot_opts=()
        done
    done
    icount=()
fi
./build/perf/vmbnet-report --out "$reports" "${logs[@]}"
