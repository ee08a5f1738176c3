#!/usr/bin/env bash
# vmbnet-report on boots under -icount: their rows never merge with the
# wall-clock rounds of the same configuration (label@icount), and they
# gain the guest instructions per frame: a DDI run's busy time (elapsed
# minus idle) / 2^shift ns / frames, a pktgen run's 1 s / 2^shift ns / pps,
# median of the rounds, with the ratio to virtio-net's under icount.
#
# usage: test-report-icount.sh <vmbnet-report> <work dir>
set -euo pipefail
report=$1 dir=$2
rm -rf "$dir" && mkdir -p "$dir"
fail() { echo "test-report-icount: $*"; cat "$dir/out"; exit 1; }
ddi() { # <file> <elapsed_ns> <idle_ns> [<qemu args>]
    {
        echo "vmbnet-result: ddi-64 frames=1000 size=64 window=128 batch=32 elapsed_ns=$2 failed=0 rate=0 idle_ns=$3"
        [ -z "${4:-}" ] || echo "vmbnet-qemu-args: $4"
    } > "$dir/$1"
}
virtio() { # <file> <pps> [<qemu args>]
    {
        echo "vmbnet-result: virtio-pktgen pps=$2 size=64 burst=32 count=1000"
        [ -z "${3:-}" ] || echo "vmbnet-qemu-args: $3"
    } > "$dir/$1"
}
ic="-icount shift=3,align=off,sleep=off -device vmbnet-pci"
# 1000 frames: busy 16 ms = 2 M instructions (8 ns each) = 2000 per frame;
# the rounds 2000, 2100 (1.6 ms idle left out), 1900: median 2000, 10 %.
ddi i1 16000000 0 "$ic"
ddi i2 18400000 1600000 "$ic"
ddi i3 15200000 0 "$ic"
ddi w1 1000000 0 "-device vmbnet-pci" # wall clock: 1 Mpps, no instructions
virtio v1 31250 "$ic" # 125 M instructions a second / 31250 pps = 4000 per frame
virtio v2 500000 "-device virtio-net-pci"
"$report" --out "$dir" vmbnet/null="$dir/i1" vmbnet/null="$dir/i2" vmbnet/null="$dir/i3" \
    vmbnet/null="$dir/w1" virtio-net/null="$dir/v1" virtio-net/null="$dir/v2" > "$dir/out" 2>&1 ||
    fail "report failed"
grep -q "^guest instructions per frame (-icount shift=3" "$dir/out" || fail "no instructions table"
row=$(grep "^vmbnet/null@icount .*ddi-64 .* 2000 " "$dir/out" | tail -n 1) || fail "no instructions row"
read -r _ _ _ n ipf spread ratio <<<"$row"
[ "$n" = 3 ] && [ "$ipf" = 2000 ] && [ "$spread" = "10.0%" ] && [ "$ratio" = "0.50x" ] ||
    fail "instructions row: $row"
grep -q "^virtio-net/null@icount .*virtio-pktgen .* 4000 " "$dir/out" || fail "virtio-net's instructions"
# the wall-clock row is its own: one round, 1 Mpps, 2x virtio-net's 500 kpps
grep -qE "^vmbnet/null +ddi-64 +64 +1 +1000000 .* 2\.00x$" "$dir/out" || fail "wall-clock row merged"
grep -qE "^vmbnet/null +ddi-64 .* 2000 " "$dir/out" && fail "instructions for a wall-clock boot"
# the icount rows' pps (guest time) stay out of the wall-clock table
grep -qE "^vmbnet/null@icount +ddi-64 +64 +3 +62500 " "$dir/out" && fail "a guest-time row in the pps table"
grep -qE "^target: guest instructions per DDI frame \(1844 before\) +2000 \(<= 922\): MISSED$" "$dir/out" ||
    fail "the instructions target"
grep -qE "^target: DDI cycle 64 B / virtio-net pktgen, no netdev +2\.00x \(>= 3\.00x\): MISSED$" "$dir/out" ||
    fail "the DDI target"
python3 - "$dir/guest-cycle.json" <<'PY' || fail "json"
import json, sys
rs = json.load(open(sys.argv[1]))["results"]
r = [x for x in rs if x["config"]["device_backend"] == "vmbnet/null@icount"][0]
assert (r["instructions_per_frame"], r["icount_shift"]) == (2000, 3), r
w = [x for x in rs if x["config"]["device_backend"] == "vmbnet/null"][0]
assert "instructions_per_frame" not in w, w
PY
echo "test-report-icount: ok"
