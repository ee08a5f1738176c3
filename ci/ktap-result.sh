#!/usr/bin/env bash
# One CTest result from a guest run's KTAP results file (written by boot.sh).
# usage: ktap-result.sh <results-file> <case-name>
# Exit: 0 ok, 77 skipped, 1 failed or never reported.
set -uo pipefail
results=$1 name=$2
[ -s "$results" ] || { echo "no results: the guest run did not report (see its boot test)"; exit 1; }
st=$(awk -v n="$name" '$1 == n { s = $2 } END { print s }' "$results")
case "$st" in
ok) echo "$name: ok"; exit 0 ;;
skip) echo "$name: skipped in the guest"; exit 77 ;;
fail) echo "$name: failed in the guest (console log beside $results)"; exit 1 ;;
*) echo "$name: the guest never reported this case"; exit 1 ;;
esac
