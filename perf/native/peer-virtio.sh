#!/bin/bash
# peer-virtio.sh - the DPDK baseline users would otherwise pick:
# DPDK virtio-user -> vhost-user over a unix socket, on the host, no VM.
#
# Two dpdk-testpmd processes, each with one main lcore and one forwarding
# lcore pinned to a single cpu:
#   receiver: --vdev net_vhost0 (vhost-user server), forward mode rxonly,
#             interactive, commands fed through a fifo;
#   sender:   --vdev net_virtio_user0 (virtio-user client), forward mode
#             txonly, --txpkts=<frame bytes>.
# Both run with --no-huge -m 1024 --no-pci: DPDK 22.11 backs --no-huge memory
# with a memfd, so virtio-user can hand its memory table to the vhost side.
# After the link is up and a warm-up, the receiver's port stats are sampled
# twice, --seconds apart; the result is (RX-packets delta) / (time delta).
#
# Output contract (parsed by a C program):
#   success: the LAST line of stdout is exactly "received_pps <integer>",
#            progress and diagnostics go to stderr, exit 0;
#   failure: the last line of stderr is a one-line cause starting with
#            "peer-virtio: ", exit non-zero (77: dpdk-testpmd not installed).
# Every wait is bounded: the whole run takes at most --seconds + 30 s.
# The testpmd runtime directories and the socket are removed at exit.
set -euo pipefail
export LC_ALL=C

readonly PROG=peer-virtio
readonly TESTPMD=${DPDK_TESTPMD:-dpdk-testpmd}

readonly EXIT_FAIL=1
readonly EXIT_USAGE=2
readonly EXIT_SKIP=77

readonly DEFAULT_SECONDS=5
readonly DEFAULT_RX_CPU=1
readonly DEFAULT_TX_CPU=0
readonly DEFAULT_FRAME_BYTES=64
readonly MIN_FRAME_BYTES=64
readonly MAX_FRAME_BYTES=1518     # one mbuf, no jumbo frames
readonly MAX_SECONDS=3600

readonly EAL_MEMORY_MB=1024       # testpmd's default mbuf pool fails with less
readonly WARMUP_SECONDS=1
readonly SLACK_SECONDS=30         # budget on top of --seconds for the run
readonly CLEANUP_RESERVE_SECONDS=6  # kept out of the waits for stopping
readonly RX_START_TIMEOUT=10      # receiver up: vhost socket created
readonly LINK_TIMEOUT=15          # sender up and first packets received
readonly REPLY_TIMEOUT=3          # one "show port stats" answered
readonly QUIT_TIMEOUT=3           # testpmd leaves after "quit"
readonly SIGNAL_TIMEOUT=1         # testpmd leaves after SIGINT
readonly KILL_AFTER_SECONDS=2     # timeout(1): SIGKILL this long after SIGTERM
readonly POLL_SECONDS=0.05
readonly LINK_POLL_SECONDS=0.2
readonly LOG_TAIL_LINES=15
readonly US_PER_SECOND=1000000
readonly PORT=0

seconds=$DEFAULT_SECONDS
rx_cpu=$DEFAULT_RX_CPU
tx_cpu=$DEFAULT_TX_CPU
frame_bytes=$DEFAULT_FRAME_BYTES

workdir=
sock=
rx_prefix="vmbnet-peer-$$-rx"
tx_prefix="vmbnet-peer-$$-tx"
rx_pid=
tx_pid=
rx_fd=
tx_fd=
rx_log=
tx_log=
deadline_us=
pause_pid=

# Set by sample_rx: RX-packets, local time (us) of the request, testpmd's pps.
sample_packets=
sample_us=
sample_testpmd_pps=

usage() {
    cat <<EOF
usage: $0 [--seconds N] [--rx-cpu N] [--tx-cpu N] [--frame-bytes N]
Measures DPDK virtio-user -> vhost-user (two dpdk-testpmd, txonly -> rxonly).
  --seconds N      measurement interval after warm-up (default $DEFAULT_SECONDS)
  --rx-cpu N       cpu of the vhost-user receiver (default $DEFAULT_RX_CPU)
  --tx-cpu N       cpu of the virtio-user sender (default $DEFAULT_TX_CPU)
  --frame-bytes N  frame size, $MIN_FRAME_BYTES..$MAX_FRAME_BYTES (default $DEFAULT_FRAME_BYTES)
On success the last line of stdout is "received_pps <integer>".
EOF
}

log() { echo "[$PROG] $*" >&2; }

# The cause must be the last line on stderr: diagnostics first, then it.
die_with() {
    local status=$1
    shift
    echo "$PROG: $*" >&2
    exit "$status"
}

die() { die_with "$EXIT_FAIL" "$@"; }

now_us() {
    local t=$EPOCHREALTIME
    echo $((10#${t%.*} * US_PER_SECOND + 10#${t#*.}))
}

# --- options ---------------------------------------------------------------

need_uint() {
    local name=$1 value=$2 max=$3
    if ! [[ $value =~ ^[0-9]+$ ]] || ((10#$value > max)); then
        die_with "$EXIT_USAGE" "bad $name '$value' (an integer up to $max expected)"
    fi
}

parse_args() {
    local cpus
    cpus=$(nproc --all)
    while (($#)); do
        local opt=$1 value=
        shift
        case $opt in
        --help | -h) usage; exit 0 ;;
        --*=*) value=${opt#*=}; opt=${opt%%=*} ;;
        --seconds | --rx-cpu | --tx-cpu | --frame-bytes)
            (($#)) || die_with "$EXIT_USAGE" "$opt needs a value"
            value=$1; shift ;;
        esac
        case $opt in
        --seconds) need_uint "$opt" "$value" "$MAX_SECONDS"; seconds=$((10#$value)) ;;
        --rx-cpu) need_uint "$opt" "$value" $((cpus - 1)); rx_cpu=$((10#$value)) ;;
        --tx-cpu) need_uint "$opt" "$value" $((cpus - 1)); tx_cpu=$((10#$value)) ;;
        --frame-bytes) need_uint "$opt" "$value" "$MAX_FRAME_BYTES"
                       frame_bytes=$((10#$value)) ;;
        *) die_with "$EXIT_USAGE" "unknown argument '$opt' (see --help)" ;;
        esac
    done
    ((seconds > 0)) || die_with "$EXIT_USAGE" "--seconds must be at least 1"
    ((frame_bytes >= MIN_FRAME_BYTES)) ||
        die_with "$EXIT_USAGE" "--frame-bytes must be at least $MIN_FRAME_BYTES"
    ((rx_cpu != tx_cpu)) || log "warning: receiver and sender share cpu $rx_cpu"
}

# --- waiting ---------------------------------------------------------------

# A sleep that a trapped signal interrupts at once.
pause_for() {
    sleep "$1" &
    pause_pid=$!
    wait "$pause_pid"
    pause_pid=
}

# wait_for <timeout s> <what> <command...>: poll until the command succeeds;
# bounded by the timeout and by the global deadline; dies if a testpmd exits.
wait_for() {
    local timeout=$1 what=$2
    shift 2
    local until_us=$(($(now_us) + timeout * US_PER_SECOND))
    ((until_us <= deadline_us)) || until_us=$deadline_us
    until "$@"; do
        check_alive
        (($(now_us) < until_us)) || die "timed out after ${timeout}s waiting for $what"
        sleep "$POLL_SECONDS"
    done
}

alive() { [[ -n $1 ]] && kill -0 "$1" 2>/dev/null; }

# The last line of a log that explains why testpmd stopped.
log_cause() {
    local cause
    cause=$(grep -a -E 'Cause:|FATAL|[Ee]rror|[Ff]ail|[Cc]annot' "$1" | tail -n 1 || true)
    [[ -n $cause ]] || cause=$(grep -a -v '^[[:space:]]*$' "$1" | tail -n 1 || true)
    cause=${cause//$'\r'/}
    cause=${cause#"${cause%%[![:space:]]*}"}
    echo "${cause:-no output}"
}

dump_log() {
    local name=$1 file=$2
    [[ -s $file ]] || return 0
    echo "[$PROG] --- last lines of the $name log ---" >&2
    tail -n "$LOG_TAIL_LINES" "$file" | tr -d '\r' | sed 's/^/  | /' >&2
}

check_alive() {
    if ! alive "$rx_pid"; then
        dump_log receiver "$rx_log"
        die "receiver testpmd exited: $(log_cause "$rx_log")"
    fi
    if [[ -n $tx_pid ]] && ! alive "$tx_pid"; then
        dump_log sender "$tx_log"
        die "sender testpmd exited: $(log_cause "$tx_log")"
    fi
}

# --- testpmd processes -----------------------------------------------------

eal_args() {
    local prefix=$1 cpu=$2
    echo --no-huge -m "$EAL_MEMORY_MB" --no-pci --file-prefix "$prefix" \
        --lcores "0@$cpu,1@$cpu"
}

# start_testpmd <fifo> <log> <eal+testpmd args...>: interactive, stdin from
# the fifo, line-buffered stdout so replies can be polled; sets started_pid.
# timeout(1) bounds its life even if this script is killed outright.
started_pid=
start_testpmd() {
    local fifo=$1 logfile=$2
    shift 2
    local life=$((seconds + SLACK_SECONDS))
    timeout -k "$KILL_AFTER_SECONDS" "$life" stdbuf -oL "$TESTPMD" "$@" \
        <"$fifo" >"$logfile" 2>&1 {rx_fd}>&- {tx_fd}>&- &
    started_pid=$!
    disown "$started_pid"  # no "Killed" job report after the cause line
}

start_rx() {
    log "receiver: vhost-user server on cpu $rx_cpu, rxonly"
    # shellcheck disable=SC2046  # eal_args is a list of words
    start_testpmd "$workdir/rx.in" "$rx_log" $(eal_args "$rx_prefix" "$rx_cpu") \
        --vdev "net_vhost0,iface=$sock,queues=1" \
        -- -i --auto-start --nb-cores=1 --forward-mode=rxonly
    rx_pid=$started_pid
    wait_for "$RX_START_TIMEOUT" "the vhost-user socket" test -S "$sock"
}

start_tx() {
    log "sender: virtio-user client on cpu $tx_cpu, txonly, $frame_bytes-byte frames"
    # shellcheck disable=SC2046
    start_testpmd "$workdir/tx.in" "$tx_log" $(eal_args "$tx_prefix" "$tx_cpu") \
        --vdev "net_virtio_user0,path=$sock,queues=1" \
        -- -i --auto-start --nb-cores=1 --forward-mode=txonly \
        --txpkts="$frame_bytes"
    tx_pid=$started_pid
}

send_rx() { echo "$*" 1>&"$rx_fd"; }

# "show port stats" answers end with the Rx-pps line.
reply_count() { grep -a -c 'Rx-pps:' "$rx_log" || true; }
reply_count_above() { (($(reply_count) > $1)); }

# field_of_reply <n> <name>: the number after "<name>:" in the n-th answer.
field_of_reply() {
    awk -v n="$1" -v key="$2" '
        /NIC statistics for port/ { block++ }
        block == n && match($0, key ":[[:space:]]*[0-9]+") {
            s = substr($0, RSTART, RLENGTH); sub(/.*:[[:space:]]*/, "", s)
            print s; exit
        }' "$rx_log"
}

sample_rx() {
    local before
    before=$(reply_count)
    sample_us=$(now_us)
    send_rx "show port stats $PORT"
    wait_for "$REPLY_TIMEOUT" "the receiver's port stats" reply_count_above "$before"
    sample_packets=$(field_of_reply $((before + 1)) RX-packets)
    sample_testpmd_pps=$(field_of_reply $((before + 1)) Rx-pps)
    [[ -n $sample_packets ]] || die "could not parse RX-packets from the receiver's stats"
}

receiving() {
    sample_rx
    ((sample_packets > 0)) || { sleep "$LINK_POLL_SECONDS"; return 1; }
}

# --- clean-up --------------------------------------------------------------

any_alive() {
    local pid
    for pid; do alive "$pid" && return 0; done
    return 1
}

# wait_exit <timeout s> <pid...>: true once none of them is running.
wait_exit() {
    local timeout=$1
    shift
    local until_us=$(($(now_us) + timeout * US_PER_SECOND))
    while any_alive "$@" && (($(now_us) < until_us)); do sleep "$POLL_SECONDS"; done
    ! any_alive "$@"
}

# After "quit" was sent: wait, then SIGINT, then SIGKILL, all pids together.
# timeout(1) leads its own process group, so the group of a started pid holds
# exactly that testpmd (and timeout itself).
stop_testpmds() {
    local pid
    wait_exit "$QUIT_TIMEOUT" "$@" && return 0
    for pid; do alive "$pid" && kill -INT "$pid" 2>/dev/null; done
    wait_exit "$SIGNAL_TIMEOUT" "$@" && return 0
    for pid; do
        alive "$pid" && { kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null; }
    done
    wait_exit "$SIGNAL_TIMEOUT" "$@"
}

# Same rule as DPDK's eal_get_runtime_dir(): root -> /var/run, else
# $XDG_RUNTIME_DIR, else /tmp. All candidates are tried; the prefix is ours.
remove_runtime_dirs() {
    local base prefix
    for base in /var/run "${XDG_RUNTIME_DIR:-}" /tmp; do
        [[ -n $base ]] || continue
        for prefix in "$rx_prefix" "$tx_prefix"; do
            rm -rf -- "${base:?}/dpdk/$prefix"
        done
    done
}

cleanup() {
    set +e
    trap - EXIT
    trap '' INT TERM HUP  # bounded; let it finish
    [[ -n $pause_pid ]] && kill "$pause_pid" 2>/dev/null
    [[ -n $tx_fd ]] && echo quit 1>&"$tx_fd" 2>/dev/null
    [[ -n $rx_fd ]] && echo quit 1>&"$rx_fd" 2>/dev/null
    stop_testpmds $tx_pid $rx_pid  # unquoted: a pid never set drops out
    [[ -n $tx_fd ]] && exec {tx_fd}>&-
    [[ -n $rx_fd ]] && exec {rx_fd}>&-
    remove_runtime_dirs
    [[ -n $sock ]] && rm -f -- "$sock"
    [[ -n $workdir ]] && rm -rf -- "$workdir"
}

on_signal() { die "interrupted by signal $1"; }

# --- main ------------------------------------------------------------------

setup() {
    command -v "$TESTPMD" >/dev/null 2>&1 ||
        die_with "$EXIT_SKIP" "$TESTPMD not found (Debian package dpdk)"
    deadline_us=$(($(now_us) + (seconds + SLACK_SECONDS - CLEANUP_RESERVE_SECONDS) * US_PER_SECOND))
    trap cleanup EXIT
    trap 'on_signal INT' INT
    trap 'on_signal TERM' TERM
    trap 'on_signal HUP' HUP
    workdir=$(mktemp -d "${TMPDIR:-/tmp}/vmbnet-peer.XXXXXX")
    sock=$workdir/vhost.sock
    rx_log=$workdir/rx.log
    tx_log=$workdir/tx.log
    mkfifo "$workdir/rx.in" "$workdir/tx.in"
    # Read-write opens never block on a fifo and keep it from reaching EOF.
    exec {rx_fd}<>"$workdir/rx.in" {tx_fd}<>"$workdir/tx.in"
}

measure() {
    local first_packets first_us
    wait_for "$LINK_TIMEOUT" "the first packets at the receiver" receiving
    local need_us=$(((WARMUP_SECONDS + seconds + 2 * REPLY_TIMEOUT) * US_PER_SECOND))
    (($(now_us) + need_us <= deadline_us)) ||
        die "start-up too slow: no time left to measure within the budget"
    log "link up; warm-up ${WARMUP_SECONDS}s"
    pause_for "$WARMUP_SECONDS"
    sample_rx
    first_packets=$sample_packets
    first_us=$sample_us
    log "measuring for ${seconds}s"
    pause_for "$seconds"
    check_alive
    sample_rx
    local packets=$((sample_packets - first_packets))
    local elapsed_us=$((sample_us - first_us))
    ((packets > 0)) || die "no packets received during the measurement"
    ((elapsed_us > 0)) || die "clock did not advance during the measurement"
    local pps=$(((packets * US_PER_SECOND + elapsed_us / 2) / elapsed_us))
    log "received $packets packets in $elapsed_us us: $pps pps" \
        "(testpmd's own Rx-pps: ${sample_testpmd_pps:-?})"
    echo "received_pps $pps"
}

main() {
    parse_args "$@"
    setup
    start_rx
    start_tx
    measure
}

main "$@"
