#!/usr/bin/env bash
# vmbnet-profile-map: the instructions per frame of each function are the
# difference of two boots' block counts over the difference of their
# frames; a block belongs to the last text symbol at or below it, module
# symbols keep their [module], user space is "[user]", and the functions
# come largest first. Bad input is refused with a reason.
#
# usage: test-profile-map.sh <vmbnet-profile-map> <work dir>
set -euo pipefail
map=$1 dir=$2
rm -rf "$dir" && mkdir -p "$dir"
fail() { echo "test-profile-map: $*"; cat "$dir/out" 2>/dev/null; exit 1; }
cat > "$dir/syms" <<'S'
ffffffff81000000 T start_kernel
ffffffff81001000 t ktime_get
ffffffff81002000 D some_data
ffffffffc0000000 t send_frame	[vmbnet]
ffffffffc0000400 t poll	[vmbnet]
S
# base: 1000 frames; run: 3000 frames (2000 more)
cat > "$dir/base" <<'B'
401000 10 50
ffffffff81000010 5 100
ffffffff81001008 4 1000
ffffffffc0000000 20 1000
ffffffffc0000100 3 2000
ffffffffc0000400 30 1000
B
cat > "$dir/run" <<'B'
401000 10 50
ffffffff81000010 5 100
ffffffff81001008 4 3000
ffffffffc0000000 20 3000
ffffffffc0000100 3 6000
ffffffffc0000400 30 3000
ffffffffc0000800 2 1000
B
# per frame: send_frame 20 + 2*3 = 26, poll 30 + 1000*2/2000 = 31, ktime_get 4;
# start_kernel and [user] ran as often in both: 0
"$map" "$dir/syms" "$dir/base" 1000 "$dir/run" 3000 > "$dir/out" || fail "map failed"
read -r a _ fa _ <<<"$(sed -n 2p "$dir/out")"
read -r b _ fb _ <<<"$(sed -n 3p "$dir/out")"
read -r c _ fc <<<"$(sed -n 4p "$dir/out")"
[ "$a $fa" = "31.0 poll" ] && [ "$b $fb" = "26.0 send_frame" ] && [ "$c $fc" = "4.0 ktime_get" ] ||
    fail "functions: '$a $fa' '$b $fb' '$c $fc'"
grep -q "send_frame \[vmbnet\]" "$dir/out" || fail "module name lost"
grep -qE "^ +61\.0 +guest instructions per frame in all" "$dir/out" || fail "total"
grep -q "start_kernel\|\[user\]" "$dir/out" && fail "a function that ran as often in both"
# refused: too few arguments, frames not growing, a file that is no count
"$map" "$dir/syms" "$dir/base" 1000 > "$dir/out" 2>&1 && fail "three arguments taken"
"$map" "$dir/syms" "$dir/base" 1000 "$dir/run" 1000 > "$dir/out" 2>&1 && fail "equal frames taken"
grep -q "frames2 must be more" "$dir/out" || fail "no reason for equal frames"
"$map" "$dir/syms" "$dir/syms" 1000 "$dir/run" 3000 > "$dir/out" 2>&1 && fail "symbols taken as counts"
grep -q "not a block count" "$dir/out" || fail "no reason for a bad count file"
echo "test-profile-map: ok"
