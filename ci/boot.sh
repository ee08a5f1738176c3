#!/usr/bin/env bash
# Boot the guest under QEMU TCG with vmbnet-pci and run one guest script.
#
# usage: boot.sh --qemu <bin> --kernel <vmlinuz> --initrd <cpio.gz>
#                --script <name> [--timeout <s>] [--log <file>]
#                [--results <file>] [--append <kernel args>] [--quiet]
#                [--show <regex>]   (print only console lines matching it)
#                [--cases-decide]   (pass once the guest reported a verdict;
#                                    the per-case CTest results decide)
#                [--shared-ram]     (guest RAM in a shared memfd, which an
#                                    external backend can map: vmbnet-pci's
#                                    backend=)
#                [--faults-log <file>] (the host's faults log: its last
#                                    faults go into the log after each failed
#                                    case and each hang the guest reports)
#                [--no-debug]       (no allocation debugging nor panic on
#                                    warnings: for guests that are measured;
#                                    the tests keep them)
#                [-- <extra qemu args>]
#
# The guest may ask the host for a QEMU monitor command by printing
# "VMBNET-HOST: <HMP command>" on the console (e.g. "set_link n0 off"):
# the runner passes it to QEMU's monitor and logs it; the guest watches for
# the effect itself.
#
# Reads the serial console line by line: shows progress, passes only on the
# guest's explicit "VMBNET-VERDICT: pass" together with isa-debug-exit's
# pass code, fails fast on a kernel panic, oops, BUG or WARNING, and kills
# the guest at the timeout. KTAP results ("ok N name", nested suites as
# suite.case) go to --results as "<name> ok|fail|skip" lines for CTest.
set -uo pipefail

say() { echo "boot: $*"; }
die() { echo "boot: error: $*" >&2; exit 2; }

qemu='' kernel='' initrd='' script='' timeout=300 log='' results='' append='' quiet=0 show='' cases_decide=0
# the kernel's debug options for the tests: red zones, poisoning, sanity
# checks on every allocation, and a warning ends the boot
debug='slub_debug=FZPU panic_on_warn=1'
ram_mb=1024 shared_ram=0 faults_log=''
extra=()
while [ $# -gt 0 ]; do
    case "$1" in
    --qemu) qemu=$2; shift 2 ;;
    --kernel) kernel=$2; shift 2 ;;
    --initrd) initrd=$2; shift 2 ;;
    --script) script=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    --log) log=$2; shift 2 ;;
    --results) results=$2; shift 2 ;;
    --append) append=$2; shift 2 ;;
    --quiet) quiet=1; shift ;;
    --show) show=$2; shift 2 ;;
    --cases-decide) cases_decide=1; shift ;;
    --shared-ram) shared_ram=1; shift ;;
    --faults-log) faults_log=$2; shift 2 ;;
    --no-debug) debug=''; shift ;;
    --) shift; extra=("$@"); break ;;
    *) die "unknown argument '$1'" ;;
    esac
done
[ -x "$qemu" ] || die "QEMU binary '$qemu' not found (build it first)"
[ -f "$kernel" ] || die "guest kernel '$kernel' not found"
[ -f "$initrd" ] || die "initramfs '$initrd' not found"
[ -n "$script" ] || die "--script is required"
log=${log:-$(mktemp /tmp/vmbnet-boot.XXXXXX.log)}
results=${results:-/dev/null}
: > "$log"; : > "$results"

work=$(mktemp -d /tmp/vmbnet-boot.XXXXXX)
fifo=$work/console
mkfifo "$fifo" "$work/mon.in" "$work/mon.out"
qpid=
cleanup() {
    [ -n "$qpid" ] && kill "$qpid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

ram=(-m "$ram_mb")
if [ "$shared_ram" = 1 ]; then
    ram+=(-object "memory-backend-memfd,id=vmbnet-ram,size=${ram_mb}M,share=on"
          -machine memory-backend=vmbnet-ram)
fi

# Firmware: the dfsg source ships no blobs; Debian's packages provide them.
"$qemu" -accel tcg -M q35 -cpu max "${ram[@]}" -smp 1 -nodefaults -no-reboot \
    -display none -serial stdio -monitor none \
    -chardev "pipe,id=vmbnet-mon,path=$work/mon" -mon chardev=vmbnet-mon,mode=readline \
    -L /usr/share/qemu -L /usr/share/seabios \
    -kernel "$kernel" -initrd "$initrd" \
    -append "console=ttyS0 panic=-1 oops=panic ${debug:+$debug }loglevel=7 vmbnet.script=$script $append" \
    -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
    "${extra[@]}" >"$fifo" 2>&1 </dev/null &
qpid=$!
cat "$work/mon.out" >/dev/null 2>&1 & # the monitor's echo: drained, not kept
exec 4<>"$work/mon.in" # never blocks: QEMU holds the other end

usec() { local t=${EPOCHREALTIME/./}; echo "${t#0}"; }
start=$(usec)
elapsed() { local d=$(( $(usec) - start )); printf '%d.%d' $((d / 1000000)) $((d / 100000 % 10)); }

# The host's side of a failure: the last faults it fired, into the log.
last_faults() {
    local n
    n=$(grep -c 'fault [0-9]' "$faults_log" 2>/dev/null)
    printf 'boot: %s fault(s) fired so far (%s); the last:\n' "${n:-0}" "$faults_log" >> "$log"
    grep 'fault [0-9]' "$faults_log" 2>/dev/null | tail -n 8 | sed 's/^/boot:   /' >> "$log"
}
# EPOCHSECONDS, not date(1): a fork per console line cost a core while a
# guest printed its histograms (hundreds of lines), and held the guest up
deadline=$(( EPOCHSECONDS + timeout ))
verdict='' failure='' suite=''
exec 3<"$fifo"
while :; do
    left=$(( deadline - EPOCHSECONDS ))
    if [ "$left" -le 0 ]; then
        failure="timeout after ${timeout}s"
        break
    fi
    IFS= read -r -t "$left" line <&3
    rc=$?
    if [ "$rc" -gt 128 ]; then
        failure="timeout after ${timeout}s"
        break
    elif [ "$rc" -ne 0 ]; then
        break # QEMU closed the console
    fi
    line=${line%$'\r'}
    printf '%s\n' "$line" >> "$log"
    if [ -n "$show" ]; then
        [[ "$line" =~ $show ]] && printf '%s\n' "$line"
    elif [ "$quiet" = 0 ]; then
        printf 'guest| %s\n' "$line"
    fi
    # Strip a printk timestamp so module KTAP parses like the scripts'.
    if [[ "$line" =~ ^\[\ *[0-9]+\.[0-9]+\]\ (.*)$ ]]; then
        text=${BASH_REMATCH[1]}
    else
        text=$line
    fi
    if [ -n "$faults_log" ] && [[ "$text" =~ ^(not\ ok\ |.*\ hang:\ channel\ ) ]]; then
        last_faults
    fi
    case "$text" in
    *"Linux version "*) say "kernel started ($(elapsed)s)" ;;
    "vmbnet-init: "*) say "${text#vmbnet-init: } ($(elapsed)s)" ;;
    *"Kernel panic"*|*"Oops: "*|*"BUG: "*|*"WARNING: "*|*"general protection fault"*)
        failure="guest kernel failure: $text"
        break ;;
    "VMBNET-VERDICT: "*) verdict=${text#VMBNET-VERDICT: } ;;
    "VMBNET-HOST: "*)
        say "host command for the guest: ${text#VMBNET-HOST: }"
        printf '%s\n' "${text#VMBNET-HOST: }" >&4 ;;
    esac
    # KTAP: "# Subtest: suite" opens a nested suite, results may be indented.
    if [[ "$text" =~ ^[[:space:]]*#\ Subtest:\ ([^[:space:]]+) ]]; then
        suite=${BASH_REMATCH[1]}
    elif [[ "$text" =~ ^([[:space:]]*)(not\ )?ok\ [0-9]+\ ([^[:space:]#]+)(.*)$ ]]; then
        name=${BASH_REMATCH[3]}
        if [ -n "${BASH_REMATCH[1]}" ] && [ -n "$suite" ]; then
            name=$suite.$name
        elif [ -z "${BASH_REMATCH[1]}" ]; then
            suite=
        fi
        if [ -n "${BASH_REMATCH[2]}" ]; then st=fail
        elif [[ "${BASH_REMATCH[4]}" =~ \#\ *SKIP ]]; then st=skip
        else st=ok; fi
        echo "$name $st" >> "$results"
    fi
done
exec 3<&- 4>&-

if [ -n "$failure" ]; then
    kill "$qpid" 2>/dev/null
    wait "$qpid" 2>/dev/null
    qpid=
    echo "boot: FAIL ($script): $failure (console log: $log)" >&2
    { [ "$quiet" = 1 ] || [ -n "$show" ]; } && tail -n 30 "$log" | sed 's/^/guest| /' >&2
    exit 1
fi
wait "$qpid"; qrc=$?; qpid=
# isa-debug-exit: QEMU exits with (code << 1) | 1; the guest writes 0 on pass.
if [ "$verdict" = pass ] && [ "$qrc" -eq 1 ]; then
    say "PASS ($script) in $(elapsed)s"
    exit 0
fi
if [ "$cases_decide" = 1 ] && [ -n "$verdict" ] && [ "$qrc" -eq 3 ] && [ -s "$results" ]; then
    say "guest ran to its verdict '$verdict' in $(elapsed)s; the failing cases say why:"
    awk '$2 == "fail" { print "boot:   failed: " $1 }' "$results"
    exit 0
fi
echo "boot: FAIL ($script): verdict '${verdict:-none}', QEMU exit $qrc (console log: $log)" >&2
{ [ "$quiet" = 1 ] || [ -n "$show" ]; } && tail -n 30 "$log" | sed 's/^/guest| /' >&2
exit 1
