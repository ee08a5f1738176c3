#!/usr/bin/env bash
# The test command: install what is missing, lint (ci/lint.sh: shellcheck,
# clang-format, checkpatch; counted as one test), build everything (patched
# QEMU, guest image, host code), run CTest in the default build, then the
# host tests under ASan+UBSan, the ring stress test under TSan, and the
# device qtest against a QEMU built with --enable-sanitizers, and last the
# exported patch series applied to a fresh QEMU tree, built and qtested.
# Ends with one line: "N passed, N failed".
#
# usage: ci/test.sh [--no-sanitizers]
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
sanitizers=1
[ "${1:-}" = --no-sanitizers ] && sanitizers=0

bash ci/install-deps.sh || exit 1

passed=0 failed=0
run_preset() {
    local preset=$1 log
    echo "== $preset: configure + build"
    cmake --preset "$preset" >/dev/null || { echo "test: error: configure failed ($preset)"; failed=$((failed + 1)); return; }
    cmake --build --preset "$preset" || { echo "test: error: build failed ($preset)"; failed=$((failed + 1)); return; }
    echo "== $preset: ctest"
    log=$(mktemp)
    ctest --preset "$preset" -j2 2>&1 | tee "$log"
    # "87% tests passed, 2 tests failed out of 16"
    local line total fails
    line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n1)
    rm -f "$log"
    if [ -z "$line" ]; then
        echo "test: error: ctest did not run ($preset)"
        failed=$((failed + 1))
        return
    fi
    fails=$(sed -E 's/.* ([0-9]+) tests? failed.*/\1/' <<<"$line")
    total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line")
    passed=$((passed + total - fails))
    failed=$((failed + fails))
}

start=$SECONDS
echo "== lint"
if bash ci/lint.sh; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
run_preset default
if [ "$sanitizers" = 1 ]; then
    run_preset asan
    run_preset tsan
    run_preset qemu-sanitize
fi
# The exported series (qemu-patches/export.sh): applied to a fresh pinned
# tree and built once, then its qtest run against that QEMU (one test).
echo "== exported patch series: apply, build, qtest"
if bash ci/build-qemu.sh . build/qemu export &&
    QTEST_QEMU_BINARY=build/qemu/export/build-default/qemu-system-x86_64 \
        build/qemu/export/build-default/tests/qtest/vmbnet-test --tap -q >build/qemu/export/qtest.tap 2>&1 &&
    ! grep -q '^not ok' build/qemu/export/qtest.tap; then
    echo "exported series: $(grep -c '^ok' build/qemu/export/qtest.tap) qtest cases ok"
    passed=$((passed + 1))
else
    echo "test: error: the exported series failed (see build/qemu/export/qtest.tap)"
    failed=$((failed + 1))
fi
echo "test: finished in $((SECONDS - start))s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
