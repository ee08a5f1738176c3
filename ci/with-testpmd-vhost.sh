#!/usr/bin/env bash
# Run a command (a boot) with dpdk-testpmd as the vhost-user backend of a
# virtio-net device: the peer users would otherwise pick for a fast host
# datapath. testpmd serves the socket (net_vhost, server) and drops what
# it receives (forward mode rxonly); QEMU connects to it as the client:
#
#   -chardev socket,id=vu0,path=<socket> -netdev vhost-user,id=n0,chardev=vu0
#   -device virtio-net-pci,netdev=n0,vectors=0   (guest RAM shared)
#
# (QEMU 7.2's vhost-user under TCG needs vectors=0.) Exits with the
# command's status; a testpmd that does not come up, or dies during the
# run, fails it. Its output goes to --log; at the end it prints the packets
# testpmd received.
#
# usage: with-testpmd-vhost.sh --socket <path> [--log <file>] [--cpu N] -- <command...>
set -uo pipefail

say() { echo "with-testpmd-vhost: $*"; }
die() { echo "with-testpmd-vhost: error: $*" >&2; exit 2; }

START_TIMEOUT_S=30 # EAL's start-up until the socket is there
STOP_TIMEOUT_S=10
testpmd=${DPDK_TESTPMD:-dpdk-testpmd}
sock="" log="" cpu=1
while [ $# -gt 0 ]; do
    case "$1" in
    --socket) sock=$2; shift 2 ;;
    --log) log=$2; shift 2 ;;
    --cpu) cpu=$2; shift 2 ;;
    --) shift; break ;;
    *) die "unknown argument '$1'" ;;
    esac
done
command -v "$testpmd" >/dev/null || die "$testpmd not found (ci/install-deps.sh installs package dpdk)"
[ -n "$sock" ] || die "--socket is required"
[ $# -gt 0 ] || die "no command to run"
[ "${#sock}" -lt 108 ] || die "socket path longer than a unix socket takes: $sock"
log=${log:-$(mktemp /tmp/testpmd-vhost.XXXXXX.log)}
rm -f "$sock"
work=$(mktemp -d /tmp/testpmd-vhost.XXXXXX)
mkfifo "$work/in"

# The forwarding lcore on --cpu, the main one beside it (it only waits for
# its stdin); testpmd leaves at a newline on stdin.
tpid=''
stop_testpmd() {
    [ -n "$tpid" ] || return 0
    echo >&5 2>/dev/null
    for _ in $(seq $((STOP_TIMEOUT_S * 10))); do
        kill -0 "$tpid" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$tpid" 2>/dev/null && { say "testpmd still running ${STOP_TIMEOUT_S}s after its quit: killed"; kill -KILL "$tpid"; }
    wait "$tpid" 2>/dev/null
    tpid=''
}
trap 'stop_testpmd; exec 5>&-; rm -rf "$work" "$sock"' EXIT
trap 'exit 130' INT TERM
"$testpmd" --no-huge -m 1024 --no-pci --file-prefix "vmbnet-vhost-$$" \
    --lcores "0@$(( (cpu + 1) % 2 )),1@$cpu" --vdev "net_vhost0,iface=$sock,queues=1" \
    -- --forward-mode=rxonly --auto-start --nb-cores=1 <"$work/in" >"$log" 2>&1 &
tpid=$!
exec 5>"$work/in"
for _ in $(seq $((START_TIMEOUT_S * 10))); do
    [ -S "$sock" ] && break
    kill -0 "$tpid" 2>/dev/null || break
    sleep 0.1
done
if [ ! -S "$sock" ]; then
    kill -0 "$tpid" 2>/dev/null || { tail -n 15 "$log" >&2; die "testpmd ended before it served $sock (log: $log)"; }
    die "testpmd made no socket $sock in ${START_TIMEOUT_S}s (log: $log)"
fi

"$@"
rc=$?
if ! kill -0 "$tpid" 2>/dev/null; then
    say "testpmd exited during the run (log: $log):"
    tail -n 15 "$log" | sed 's/^/testpmd| /' >&2
    [ "$rc" -ne 0 ] || rc=1
fi
stop_testpmd
rx=$(sed -n 's/.*RX-packets: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
say "testpmd received ${rx:-no} packets (log: $log)"
exit "$rc"
