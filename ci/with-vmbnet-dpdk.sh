#!/usr/bin/env bash
# Run a command (a boot) with vmbnet-dpdk serving vmbnet-pci's datapath B.
#
# usage: with-vmbnet-dpdk.sh --dpdk <vmbnet-dpdk> --socket <path>
#                            [--log <file>] [--prefix <eal file prefix>]
#                            [--vdev <DPDK vdev>] [--tap-addr <addr/len>]
#                            [--backend-arg <arg>]... -- <command...>
#
# --vdev: the backend's port (default net_null0,no-rx=1). With a net_tap
# vdev (iface=<name>), --tap-addr gives the host side of the tap that
# address, and a TCP responder on <addr>:1234 answers each connection with
# uname's output: the guest then pings and talks TCP through datapath B.
#
# Starts the backend in the background on a null DPDK port (frames end in
# the port, like datapath A without a netdev): it retries connecting until
# QEMU listens on <path>, and serves each QEMU that comes. Then runs the
# command, stops the backend with SIGINT (it completes what the rings hold
# and prints its counters) and waits for it. Exits with the command's
# status; a backend that dies early or exits non-zero fails the run.
set -uo pipefail

say() { echo "with-vmbnet-dpdk: $*"; }
die() { echo "with-vmbnet-dpdk: error: $*" >&2; exit 2; }

STOP_TIMEOUT_S=10 # the backend finishes a burst and exits well within this

dpdk="" sock="" log="" prefix=vmbnet-dpdk-$$ brc=0 vdev="" tap_addr=""
backend_args=()
while [ $# -gt 0 ]; do
    case "$1" in
    --dpdk) dpdk=$2; shift 2 ;;
    --socket) sock=$2; shift 2 ;;
    --log) log=$2; shift 2 ;;
    --prefix) prefix=$2; shift 2 ;;
    --vdev) vdev=$2; shift 2 ;;
    --tap-addr) tap_addr=$2; shift 2 ;;
    --backend-arg) backend_args+=("$2"); shift 2 ;; # e.g. --faults FILE
    --) shift; break ;;
    *) die "unknown argument '$1'" ;;
    esac
done
[ -x "$dpdk" ] || die "vmbnet-dpdk '$dpdk' not found (build it: ninja vmbnet-dpdk)"
[ -n "$sock" ] || die "--socket is required"
[ $# -gt 0 ] || die "no command to run"
[ "${#sock}" -lt 108 ] || die "socket path longer than a unix socket takes: $sock"
log=${log:-$(mktemp /tmp/vmbnet-dpdk.XXXXXX.log)}
rm -f "$sock" # a stale one from a killed run: the backend would retry on it

# One core for the backend (the other runs QEMU's TCG thread); no hugepages.
"$dpdk" --no-huge -m 1024 --no-pci --lcores 0@1 --file-prefix "$prefix" \
    --vdev "${vdev:-net_null0,no-rx=1}" -- --socket "$sock" "${backend_args[@]}" \
    >"$log" 2>&1 </dev/null &
bpid=$!
rpid=
if [ -n "${tap_addr:-}" ]; then
    tap=$(echo "${vdev:-}" | sed -n 's/.*iface=\([^,]*\).*/\1/p')
    [ -n "$tap" ] || die "--tap-addr needs a net_tap --vdev with iface=<name>"
    for _ in $(seq 100); do
        ip link show "$tap" >/dev/null 2>&1 && break
        kill -0 "$bpid" 2>/dev/null || break
        sleep 0.1
    done
    ip link show "$tap" >/dev/null 2>&1 || die "the backend made no tap '$tap' (log: $log)"
    ip addr add "$tap_addr" dev "$tap" && ip link set "$tap" up ||
        die "cannot give $tap the address $tap_addr"
    busybox nc -ll -p 1234 -e /bin/uname </dev/null >/dev/null 2>&1 &
    rpid=$!
fi
stop_backend() {
    [ -n "$bpid" ] || return 0
    kill -INT "$bpid" 2>/dev/null
    for _ in $(seq $((STOP_TIMEOUT_S * 10))); do
        kill -0 "$bpid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$bpid" 2>/dev/null; then
        say "backend still running ${STOP_TIMEOUT_S}s after SIGINT: killed"
        kill -KILL "$bpid" 2>/dev/null
    fi
    wait "$bpid"
    brc=$?
    bpid=
}
trap 'stop_backend; [ -z "$rpid" ] || kill "$rpid" 2>/dev/null; rm -f "$sock"' EXIT
trap 'exit 130' INT TERM

"$@"
rc=$?
if ! kill -0 "$bpid" 2>/dev/null; then
    say "backend exited during the run (log: $log):"
    tail -n 20 "$log" | sed 's/^/vmbnet-dpdk| /' >&2
    [ "$rc" -ne 0 ] || rc=1
fi
stop_backend
grep "^vmbnet-dpdk: guest tx" "$log" | tail -n 1 | sed 's/^/with-vmbnet-dpdk: /'
if [ "$brc" -ne 0 ]; then
    say "backend exit status $brc (log: $log)"
    [ "$rc" -ne 0 ] || rc=1
fi
exit "$rc"
