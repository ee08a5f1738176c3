#!/usr/bin/env bash
# Every action of the fault engine fired at least once in the guest suites
# that ran before this test: the faults logs of datapath A (faults-log=)
# and of B (the backend's log), one line per fired fault ("fault N rule=ID
# point=P action=A ..."). The actions are those SCENARIO.md documents
# (test_fault_scenario checks that it documents each the engine has).
# Prints how often each fired, and in which boots; fails naming those that
# never did.
#
# usage: every-action-fired.sh <SCENARIO.md> <faults log>...
set -uo pipefail
[ $# -ge 2 ] || { echo "usage: $0 <SCENARIO.md> <faults log>..." >&2; exit 2; }
doc=$1
shift
actions=$(sed -n 's/^| `\([a-z_]*\)` | .*/\1/p' "$doc")
[ -n "$actions" ] || { echo "every-action-fired: no action table in $doc" >&2; exit 2; }
missing=()
for log in "$@"; do
    [ -r "$log" ] || echo "every-action-fired: $log: no such log (its boot did not run?)"
done
for a in $actions; do
    n=0 where=()
    for log in "$@"; do
        [ -r "$log" ] || continue
        c=$(grep -c "^\(vmbnet-dpdk: \)\?fault [0-9]* rule=[^ ]* point=[a-z_]* action=$a " "$log")
        [ "$c" -gt 0 ] && { n=$((n + c)); where+=("$(basename "$log" | sed 's/\.\(faults\|backend\)\.log$//')"); }
    done
    printf '%-15s %5d  %s\n' "$a" "$n" "${where[*]:-}"
    [ "$n" -gt 0 ] || missing+=("$a")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "every-action-fired: never fired: ${missing[*]}"
    exit 1
fi
echo "every-action-fired: each of the $(echo "$actions" | wc -w) actions fired"
