#!/usr/bin/env bash
# vmbnet-report over several rounds of one configuration: the row is the
# median of the rounds (not the first, not the mean), the spread is
# (max - min) / median, the ratio is of medians, and a guest booted with
# the tests' debug options is called out.
#
# usage: test-report-rounds.sh <vmbnet-report> <work dir>
set -euo pipefail
report=$1 dir=$2
rm -rf "$dir" && mkdir -p "$dir"
log() { # <file> <cmdline> <pps of vmbnet-pktgen> <pps of virtio-pktgen>
    {
        echo "[    0.000000] Kernel command line: console=ttyS0 $2 loglevel=7"
        [ "$3" = - ] || echo "vmbnet-result: vmbnet-pktgen pps=$3 size=64 burst=32 count=1000"
        [ "$4" = - ] || echo "vmbnet-result: virtio-pktgen pps=$4 size=64 burst=32 count=1000"
    } > "$dir/$1"
}
fail() { echo "test-report-rounds: $*"; cat "$dir/out"; exit 1; }
log a1 "panic=-1" 100000 -
log a2 "panic=-1" 900000 -
log a3 "panic=-1" 300000 -
log v1 "panic=-1" - 100000
log v2 "panic=-1" - 150000
"$report" --out "$dir" vmbnet/null="$dir/a1" vmbnet/null="$dir/a2" vmbnet/null="$dir/a3" \
    virtio-net/null="$dir/v1" virtio-net/null="$dir/v2" > "$dir/out" 2>&1 || fail "report failed"
row=$(grep "^vmbnet/null .*vmbnet-pktgen" "$dir/out") || fail "no row"
read -r _ _ _ n pps spread _ <<<"$(echo "$row" | awk '{print $1, $2, $3, $4, $5, $6, $NF}')"
[ "$n" = 3 ] && [ "$pps" = 300000 ] && [ "$spread" = "266.7%" ] || fail "row: $row"
grep -q " 2.40x$" <<<"$row" || fail "ratio of medians (300000 / 125000): $row"
grep -q WARNING "$dir/out" && fail "a warning without debug options"
python3 - "$dir/guest-cycle.json" <<'PY' || fail "json"
import json, sys
r = [x for x in json.load(open(sys.argv[1]))["results"] if x["config"]["device_backend"] == "vmbnet/null"][0]
assert (r["pps"], r["pps_min"], r["pps_max"], r["pps_rounds"]) == (300000, 100000, 900000, [100000, 900000, 300000]), r
PY
log d1 "slub_debug=FZPU panic_on_warn=1" 100000 -
"$report" --out "$dir" vmbnet/null="$dir/d1" virtio-net/null="$dir/v1" > "$dir/out" 2>&1 || fail "report failed"
grep -q "^WARNING: 1 of the guests were booted with debug options" "$dir/out" || fail "no warning for a debug guest"
echo "test-report-rounds: ok"
