#!/usr/bin/env bash
# The boot runner never passes silently: a panic, a hang, a failing case and
# a module that does not load each end in a non-zero exit with a one-line
# cause, and a failing KTAP case is recorded as failed.
# usage: test-boot-runner.sh <qemu> <kernel> <initrd> <workdir>
set -uo pipefail
qemu=$1 kernel=$2 initrd=$3 work=$4
boot=$(dirname "$0")/../boot.sh
mkdir -p "$work"
fails=0

expect() { # <script> <timeout> <regex for the cause line>
    local script=$1 t=$2 want=$3 out rc
    out=$("$boot" --qemu "$qemu" --kernel "$kernel" --initrd "$initrd" \
          --script "$script" --timeout "$t" --quiet --log "$work/$script.log" \
          --results "$work/$script.txt" -- -device vmbnet-pci 2>&1)
    rc=$?
    if [ "$rc" -eq 0 ]; then
        echo "FAIL: $script passed"; fails=$((fails + 1)); return
    fi
    if ! grep -qE "$want" <<<"$out"; then
        echo "FAIL: $script: cause line missing (want /$want/):"; echo "$out" | head -5
        fails=$((fails + 1)); return
    fi
    echo "ok: $script -> $(grep -E "$want" <<<"$out" | head -n1)"
}

expect selftest-panic 120 '^boot: FAIL \(selftest-panic\): guest kernel failure: .*(Kernel panic|sysrq)'
expect selftest-hang 25 '^boot: FAIL \(selftest-hang\): timeout after 25s'
expect selftest-fail 120 "^boot: FAIL \(selftest-fail\): verdict 'fail"
expect selftest-noinsmod 120 "^boot: FAIL \(selftest-noinsmod\): verdict 'fail"
grep -qx 'fails fail' "$work/selftest-fail.txt" || { echo "FAIL: failing case not recorded"; fails=$((fails + 1)); }
grep -qx 'passes ok' "$work/selftest-fail.txt" || { echo "FAIL: passing case not recorded"; fails=$((fails + 1)); }
[ "$fails" -eq 0 ]
