# shellcheck shell=sh
# KTAP helpers for in-guest test scripts (sourced by busybox sh).
#
#   ktap_begin <count>        print the header and plan
#   ktap_case <name> <cmd...> run cmd; "ok N name" or "not ok N name"
#   ktap_skip <name> <why>    "ok N name # SKIP why"
#   ktap_end                  exit status: 0 when every case passed
#
# The boot runner turns each line into one CTest result, and CMake
# enumerates the cases by grepping "ktap_case <name>" in the scripts.
KTAP_N=0
KTAP_FAILED=0

ktap_begin() {
    echo "KTAP version 1"
    echo "1..$1"
}

ktap_case() {
    name=$1
    shift
    KTAP_N=$((KTAP_N + 1))
    out=$("$@" 2>&1)
    rc=$?
    if [ "$rc" -eq 0 ]; then
        echo "ok $KTAP_N $name"
    else
        echo "$out" | sed 's/^/# /'
        echo "not ok $KTAP_N $name # exit $rc"
        KTAP_FAILED=$((KTAP_FAILED + 1))
    fi
}

ktap_skip() {
    KTAP_N=$((KTAP_N + 1))
    echo "ok $KTAP_N $1 # SKIP $2"
}

ktap_end() {
    [ "$KTAP_FAILED" -eq 0 ]
}

# ktap_suite <name> <file>: a nested KTAP document (e.g. a module's
# self-test output) as one case whose subtests are reported as <name>.<case>.
ktap_suite() {
    name=$1
    file=$2
    KTAP_N=$((KTAP_N + 1))
    echo "# Subtest: $name"
    out=$(cat "$file" 2>&1)
    rc=$?
    echo "$out" | sed 's/^/    /'
    if [ "$rc" -eq 0 ] && echo "$out" | grep -q '^ok ' && ! echo "$out" | grep -q '^not ok'; then
        echo "ok $KTAP_N $name"
    else
        echo "not ok $KTAP_N $name"
        KTAP_FAILED=$((KTAP_FAILED + 1))
    fi
}
