#!/usr/bin/env bash
# The longer fuzz run: every libFuzzer target of the tree for SECONDS each
# (default 600), one after the other, from its corpus in the repo. Prints
# per target its executions, coverage (edges) and corpus size, and any crash
# with the file that reproduces it. With --merge, inputs that add coverage
# are merged into the repo's corpora (review and commit them). Then the
# device as a whole: the qtest's seeded random driver, four seeds of
# SECONDS * 100 operations each.
#
# usage: ci/fuzz.sh [--merge] [SECONDS]
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
merge=0
[ "${1:-}" = --merge ] && { merge=1; shift; }
secs=${1:-600}
case $secs in '' | *[!0-9]*) echo "fuzz: error: SECONDS must be a number, not '$secs'" >&2; exit 2 ;; esac

bash ci/install-deps.sh || exit 1
cmake --preset default >/dev/null || { echo "fuzz: error: configure failed" >&2; exit 1; }
cmake --build --preset default || { echo "fuzz: error: build failed" >&2; exit 1; }

# name -> corpus, from the CTest entries <name>.libfuzzer
mapfile -t targets < <(ctest --test-dir build -N -R '\.libfuzzer$' | sed -nE 's/.*Test +#[0-9]+: ([a-z_]+)\.libfuzzer$/\1/p')
[ "${#targets[@]}" -gt 0 ] || { echo "fuzz: error: no libFuzzer targets (is clang-14 installed?)" >&2; exit 1; }
work=build/fuzz-long
mkdir -p "$work"
crashes=0
printf '%-22s %12s %8s %8s %s\n' target executions edges corpus result
for t in "${targets[@]}"; do
    bin=$(find build -type f -name "$t" -perm -u+x | head -n1)
    # the test's command ends: "<binary>" "<corpus>" "<name>"
    corpus=$(ctest --test-dir build -V -N -R "^$t\.libfuzzer$" | grep 'Test command' |
        grep -oE '"[^"]*"' | tail -n2 | head -n1 | tr -d '"')
    [ -n "$bin" ] && [ -d "$corpus" ] || { echo "fuzz: error: $t: binary or corpus not found" >&2; exit 1; }
    echo "fuzz: $t: ${secs}s from $corpus ..." >&2
    mkdir -p "$work/$t/new" "$work/$t/artifacts"
    log=$work/$t/log
    ASAN_OPTIONS=detect_leaks=1 "$bin" -max_total_time="$secs" -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$work/$t/artifacts/" "$work/$t/new" "$corpus" >"$log" 2>&1
    rc=$?
    execs=$(sed -nE 's/^stat::number_of_executed_units: ([0-9]+)/\1/p' "$log" | tail -n1)
    edges=$(grep -oE 'cov: [0-9]+' "$log" | tail -n1 | grep -oE '[0-9]+')
    size=$(find "$corpus" "$work/$t/new" -type f | wc -l)
    result=ok
    if [ "$rc" -ne 0 ]; then
        crashes=$((crashes + 1))
        result="CRASH: $(ls "$work/$t/artifacts"/* 2>/dev/null | head -n1) (log: $log)"
    fi
    printf '%-22s %12s %8s %8s %s\n' "$t" "${execs:-?}" "${edges:-?}" "$size" "$result"
    if [ "$merge" = 1 ] && [ "$rc" -eq 0 ]; then
        "$bin" -merge=1 "$corpus" "$work/$t/new" >>"$log" 2>&1
    fi
done
qemu=build/qemu/build-default
for seed in 1 2 3 4; do
    echo "fuzz: qtest random driver, seed $seed, $((secs * 100)) operations ..." >&2
    if VMBNET_QTEST_SEED=$seed VMBNET_QTEST_OPS=$((secs * 100)) \
        QTEST_QEMU_BINARY=$qemu/qemu-system-x86_64 \
        "$qemu/tests/qtest/vmbnet-test" --tap -p /x86_64/vmbnet/hostile/random-driver \
        >"$work/random-driver-$seed.tap" 2>&1 && grep -q '^ok' "$work/random-driver-$seed.tap"; then
        printf '%-22s %12s %8s %8s %s\n' "random-driver/$seed" "$((secs * 100))" - - ok
    else
        crashes=$((crashes + 1))
        printf '%-22s %12s %8s %8s %s\n' "random-driver/$seed" "$((secs * 100))" - - \
            "FAILED (log: $work/random-driver-$seed.tap)"
    fi
done
[ "$crashes" -eq 0 ] || { echo "fuzz: $crashes target(s) crashed" >&2; exit 1; }
