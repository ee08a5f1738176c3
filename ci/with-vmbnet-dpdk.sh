#!/usr/bin/env bash
# Run a command (a boot) with vmbnet-dpdk serving vmbnet-pci's datapath B.
#
# usage: with-vmbnet-dpdk.sh --dpdk <vmbnet-dpdk> --socket <path>
#                            [--log <file>] [--prefix <eal file prefix>]
#                            [--vdev <DPDK vdev>] [--tap-addr <addr/len>]
#                            [--backend-arg <arg>]... [--restart]
#                            -- <command...>
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
#
# --restart: a backend killed by SIGKILL (a "kill" fault rule, or by hand)
# is followed by another at once, on the same socket and port, as a
# supervisor restarts a crashed one; QEMU replays the device to it. Each
# restart is logged; the last backend's status is the one that counts.
set -uo pipefail

say() { echo "with-vmbnet-dpdk: $*"; }
die() { echo "with-vmbnet-dpdk: error: $*" >&2; exit 2; }

STOP_TIMEOUT_S=10 # the backend finishes a burst and exits well within this
TAP_TIMEOUT_S=60 # a backend's start until its tap is there (EAL's set-up)

dpdk="" sock="" log="" prefix=vmbnet-dpdk-$$ brc=0 vdev="" tap_addr="" restart=0
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
    --restart) restart=1; shift ;;
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

tap=$(echo "${vdev:-}" | sed -n 's/.*iface=\([^,]*\).*/\1/p')
[ -z "${tap_addr:-}" ] || [ -n "$tap" ] || die "--tap-addr needs a net_tap --vdev with iface=<name>"
# One MAC for every backend's tap: after a restart the guest's neighbour
# entry still holds, as for a host whose backend restarted. It goes in as
# the port's own (devarg mac=): the port sets its MAC on the tap when it
# starts (ethdev restores it), which would undo one set from outside.
TAP_MAC=02:76:6d:62:00:01
if [ -n "${tap_addr:-}" ] && ! grep -q "mac=" <<<"$vdev"; then
    vdev=$vdev,mac=$TAP_MAC
fi
# A tap left by an earlier run (a backend that outlived its wrapper) would
# take the new backend's queue, if it has this name, or the route to the
# guest, if it has this address (the boots share one subnet): stop the
# backend that holds it, or give up.
stop_leftover() { # <interface>
    local holders p
    holders=$(grep -l "^iff:[[:space:]]*$1\$" /proc/[0-9]*/fdinfo/* 2>/dev/null | cut -d/ -f3 | sort -u)
    for p in $holders; do
        [ "$(cat "/proc/$p/comm" 2>/dev/null)" = vmbnet-dpdk ] ||
            die "'$1' exists and process $p ($(cat "/proc/$p/comm" 2>/dev/null)) holds it"
        say "'$1' is left from an earlier run: its backend (pid $p) is stopped"
        kill -KILL "$p"
    done
    for _ in $(seq 50); do
        ip link show "$1" >/dev/null 2>&1 || return 0
        sleep 0.1
    done
    die "'$1' exists and does not go away"
}
if [ -n "$tap" ]; then
    ip link show "$tap" >/dev/null 2>&1 && stop_leftover "$tap"
    if [ -n "${tap_addr:-}" ]; then
        for i in $(ip -o -4 addr show to "${tap_addr%/*}/32" | awk '{ print $2 }'); do
            stop_leftover "$i"
        done
    fi
fi
# The backend's tap comes up with it: give the host side its address.
tap_up() {
    for _ in $(seq $((TAP_TIMEOUT_S * 10))); do
        ip link show "$tap" >/dev/null 2>&1 && break
        kill -0 "$1" 2>/dev/null || break
        sleep 0.1
    done
    ip link show "$tap" >/dev/null 2>&1 || { echo "the backend made no tap '$tap' (log: $log)"; return 1; }
    ip addr add "$tap_addr" dev "$tap" && ip link set "$tap" up ||
        { echo "cannot give $tap the address $tap_addr"; return 1; }
}
# Whether the tap has its IPv4 address. Not ip piped into grep -q: grep leaves at
# the first match, ip's next write then takes SIGPIPE and, with pipefail,
# the pipeline fails (one check in ten here; it failed CI's B boots).
tap_has_addr() {
    local out
    out=$(ip -4 -o addr show dev "$tap" 2>/dev/null) && [[ $out == *" inet "* ]]
}
# The tap as the host sees it when the run ends: its MAC, counters and
# neighbours (a MAC other than TAP_MAC after a restart strands the guest).
tap_report() {
    [ -n "$tap" ] && [ -n "${tap_addr:-}" ] || return 0
    { ip -s -br link show "$tap"; ip -s link show "$tap" | sed -n '/RX:/,$p'; ip neigh show dev "$tap"; } 2>&1 |
        sed 's/^/with-vmbnet-dpdk: tap: /'
}

# One core for the backend (the other runs QEMU's TCG thread); no hugepages.
# The loop runs one backend at a time: again after a SIGKILL with --restart,
# never once stop_backend() has begun. Its status is the last backend's.
pidf=$(mktemp /tmp/vmbnet-dpdk.XXXXXX.pid) stopf=$pidf.stop
: > "$log"
backend_loop() {
    local n=0 child rc
    while :; do
        "$dpdk" --no-huge -m 1024 --no-pci --lcores 0@1 --file-prefix "$prefix" \
            --vdev "${vdev:-net_null0,no-rx=1}" -- --socket "$sock" "${backend_args[@]}" \
            >>"$log" 2>&1 </dev/null &
        child=$!
        echo "$child" > "$pidf"
        if [ -n "${tap_addr:-}" ] && ! tap_up "$child" >>"$log" 2>&1; then
            kill -KILL "$child" 2>/dev/null
            wait "$child"
            exit 2
        fi
        wait "$child"
        rc=$?
        [ "$restart" = 1 ] && [ "$rc" -eq 137 ] && [ ! -e "$stopf" ] || exit "$rc"
        n=$((n + 1))
        # the dead backend's tap goes with its last fd: wait, or the new
        # one's address would land on the old device
        local waited=0
        while [ -n "$tap" ] && ip link show "$tap" >/dev/null 2>&1 && [ "$waited" -lt 50 ]; do
            sleep 0.1
            waited=$((waited + 1))
        done
        echo "with-vmbnet-dpdk: the backend was killed (SIGKILL): backend $((n + 1)) starts" \
             "${tap:+(its tap gone after ${waited}00 ms)}" >>"$log"
    done
}
# Set before the backend starts: whatever ends this script stops it (a
# backend left running holds the tap, and the loop's output would hold the
# caller's pipe open: CTest waits for it to its timeout).
bpid='' rpid=''
stop_backend() {
    [ -n "$bpid" ] || return 0
    touch "$stopf"
    kill -INT "$(cat "$pidf")" 2>/dev/null
    for _ in $(seq $((STOP_TIMEOUT_S * 10))); do
        kill -0 "$bpid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$bpid" 2>/dev/null; then
        say "backend still running ${STOP_TIMEOUT_S}s after SIGINT: killed"
        kill -KILL "$(cat "$pidf")" 2>/dev/null
    fi
    wait "$bpid"
    brc=$?
    bpid=
    rm -f "$pidf" "$stopf"
}
trap 'stop_backend; [ -z "$rpid" ] || kill "$rpid" 2>/dev/null; rm -f "$sock"' EXIT
trap 'exit 130' INT TERM
backend_loop >>"$log" 2>&1 &
bpid=$!
if [ -n "${tap_addr:-}" ]; then
    # EAL's start-up takes seconds, more on a loaded machine or a cold cache
    for _ in $(seq $((TAP_TIMEOUT_S * 10))); do
        tap_has_addr && break
        kill -0 "$bpid" 2>/dev/null || break
        sleep 0.1
    done
    if ! tap_has_addr; then
        kill -0 "$bpid" 2>/dev/null || die "the backend ended before its tap '$tap' had $tap_addr (log: $log)"
        die "the backend made no tap '$tap' with $tap_addr in ${TAP_TIMEOUT_S}s (log: $log)"
    fi
    busybox nc -ll -p 1234 -e /bin/uname </dev/null >/dev/null 2>&1 &
    rpid=$!
fi

"$@"
rc=$?
tap_report >>"$log"
if ! kill -0 "$bpid" 2>/dev/null; then
    say "backend exited during the run (log: $log):"
    tail -n 20 "$log" | sed 's/^/vmbnet-dpdk| /' >&2
    [ "$rc" -ne 0 ] || rc=1
fi
stop_backend
grep "^vmbnet-dpdk: guest tx" "$log" | tail -n 1 | sed 's/^/with-vmbnet-dpdk: /'
n=$(grep -c "^with-vmbnet-dpdk: the backend was killed" "$log")
[ "$n" = 0 ] || say "$n backend(s) killed and followed by another (--restart)"
if [ "$brc" -ne 0 ]; then
    say "backend exit status $brc (log: $log)"
    [ "$rc" -ne 0 ] || rc=1
fi
exit "$rc"
