#!/usr/bin/env bash
# A run replays from its seed: boot the same guest again and compare the
# faults it fired with the first run's.
#
# usage: replay-check.sh <first faults log> <second faults log> -- <boot command...>
#
# The boot command is the first run's (ci/boot.sh with the same QEMU
# arguments) with the device's faults-log= pointing at <second faults log>.
# Passes when both logs hold the same faults in the same order: sequence
# number, rule, point, action, channel and trans_id. The times are
# compared too and the largest difference printed: under -icount they are
# the guest's virtual time.
set -uo pipefail
die() { echo "replay-check: error: $*" >&2; exit 2; }
[ $# -ge 4 ] && [ "$3" = -- ] || die "usage: replay-check.sh <first log> <second log> -- <boot command...>"
first=$1 second=$2
shift 3
[ -s "$first" ] || die "the first run's faults log $first is missing or empty (run its boot first)"
rm -f "$second"
"$@" > /dev/null || die "the second boot failed: $*"
[ -s "$second" ] || die "the second run fired no fault ($second)"
strip() { grep 'fault [0-9]' "$1" | sed 's/ t_ns=[0-9]*//'; }
n1=$(strip "$first" | wc -l) n2=$(strip "$second" | wc -l)
if ! diff <(strip "$first") <(strip "$second") > /dev/null; then
    echo "replay-check: the runs differ ($n1 faults, then $n2); first difference:"
    diff <(strip "$first") <(strip "$second") | head -n 6
    exit 1
fi
dt=$(paste -d' ' <(grep -o 't_ns=[0-9]*' "$first" | cut -d= -f2) \
                 <(grep -o 't_ns=[0-9]*' "$second" | cut -d= -f2) |
     awk '{ d = $1 - $2; if (d < 0) d = -d; if (d > m) m = d } END { print m + 0 }')
echo "replay-check: the same $n1 faults in the same order; largest time difference ${dt} ns"
