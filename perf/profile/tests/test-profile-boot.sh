#!/usr/bin/env bash
# perf/profile/profile.sh end to end: two -icount boots with the TCG
# plugin give a profile of the 64-byte DDI frame whose functions are
# vmbnet.ko's send and completion paths, with a total in the range a frame
# costs (hundreds to a few thousand instructions, not the boot's billions).
#
# usage: test-profile-boot.sh <source dir> <work dir>
set -euo pipefail
src=$1 dir=$2
rm -rf "$dir"
fail() { echo "test-profile-boot: $*"; cat "$dir/profile.txt" 2>/dev/null; exit 1; }
bash "$src/perf/profile/profile.sh" --frames 50000 --out "$dir" || fail "profile.sh failed"
for f in send_frame_locked vmbnet_core_complete_batch vmbnet_poll; do
    grep -qE "^ +[0-9.]+ +[0-9.]+% +$f \[vmbnet\]$" "$dir/profile.txt" || fail "no $f in the profile"
done
total=$(awk '/guest instructions per frame in all/ { print int($1) }' "$dir/profile.txt")
[ -n "$total" ] && [ "$total" -ge 300 ] && [ "$total" -le 5000 ] || fail "total per frame: '$total'"
echo "test-profile-boot: ok ($total guest instructions per frame)"
