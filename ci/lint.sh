#!/usr/bin/env bash
# Lint: shellcheck on every script (and no grep -q after a pipe under
# pipefail), clang-format on every C file, and the kernel's checkpatch.pl
# on guest-driver/linux and guest-driver/hvbus. Fails on a finding that is
# not in ci/lint-baseline (per tool and file, how many findings the tree
# had when the check came in); "--update-baseline" rewrites that file.
#
# usage: ci/lint.sh [--update-baseline]
#
# Needs shellcheck, clang-format-14 and linux-source-6.1 (for checkpatch.pl;
# ci/install-deps.sh installs all three).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
die() { echo "lint: error: $*" >&2; exit 2; }

baseline=ci/lint-baseline
update=0
[ "${1:-}" = --update-baseline ] && update=1

command -v shellcheck >/dev/null || die "shellcheck missing (run ci/install-deps.sh)"
cf=$(command -v clang-format-14 || command -v clang-format) ||
    die "clang-format missing (run ci/install-deps.sh)"

# checkpatch.pl and its data files, from Debian's kernel source tarball.
ksrc=$(ls /usr/src/linux-source-6.1.tar.* 2>/dev/null | head -n1)
[ -n "$ksrc" ] || die "no /usr/src/linux-source-6.1.tar.* (run ci/install-deps.sh)"
kdir=build/lint/kernel
if [ ! -f "$kdir/stamp" ] || [ "$(cat "$kdir/stamp")" != "$(stat -c %Y "$ksrc")" ]; then
    echo "lint: extracting checkpatch.pl from $ksrc"
    rm -rf "$kdir" && mkdir -p "$kdir"
    tar -xf "$ksrc" -C "$kdir" --strip-components=1 --wildcards '*/scripts/checkpatch.pl' \
        '*/scripts/spelling.txt' '*/scripts/const_structs.checkpatch' ||
        die "cannot extract checkpatch.pl from $ksrc"
    stat -c %Y "$ksrc" > "$kdir/stamp"
fi

findings=$(mktemp)
trap 'rm -f "$findings"' EXIT

# One line per finding: "<tool> <file> <message>".
mapfile -t scripts < <(git ls-files '*.sh' '*.lib' .ci/run ci/guest/init)
shellcheck -S warning -f gcc "${scripts[@]}" 2>&1 |
    sed -E 's/^([^:]+):([0-9]+):[0-9]+: (.*)/shellcheck \1 \2: \3/' >> "$findings"

# A pipeline into "grep -q" under pipefail fails when grep leaves at its
# first match and the writer's next write takes SIGPIPE: with-vmbnet-dpdk.sh
# lost the race one check in ten (CI's B boots, stop 24). Test a here-string.
for f in "${scripts[@]}"; do
    grep -q 'set -[a-z]*o pipefail' "$f" || continue
    grep -nE '\|[[:space:]]*grep[[:space:]]+(-[a-zA-Z]*[qm]|--quiet|--max-count)' "$f" |
        sed -E "s|^([0-9]+):.*|pipefail $f \1: pipeline into grep -q/-m under pipefail (SIGPIPE race)|" >> "$findings"
done

while read -r f; do
    "$cf" --dry-run "$f" 2>&1 | grep 'warning:' |
        sed -E "s|^[^:]+:([0-9]+):[0-9]+: warning: (.*)|clang-format $f \1: \2|" >> "$findings"
done < <(git ls-files '*.c' '*.h')

perl "$kdir/scripts/checkpatch.pl" --no-tree -f --terse --no-summary --show-types \
    guest-driver/linux/*.[ch] guest-driver/linux/tools/*.c guest-driver/hvbus/*.[ch] 2>&1 |
    sed -E 's/^([^:]+):([0-9]+): (.*)/checkpatch \1 \2: \3/' >> "$findings"

counts=$(awk '{ n[$1 " " $2]++ } END { for (k in n) print k, n[k] }' "$findings" | sort)
if [ "$update" = 1 ]; then
    { echo "# tool file findings: accepted by ci/lint.sh (regenerate with --update-baseline)"
      echo "$counts"; } > "$baseline"
    echo "lint: wrote $baseline ($(wc -l < "$findings") findings)"
    exit 0
fi

bad=0
while read -r tool file n; do
    [ -n "$tool" ] || continue
    allowed=$(awk -v t="$tool" -v f="$file" '$1 == t && $2 == f { print $3 }' "$baseline")
    allowed=${allowed:-0}
    if [ "$n" -gt "$allowed" ]; then
        echo "lint: $tool: $file has $n findings, $allowed accepted:"
        grep -F "$tool $file " "$findings" | sed 's/^/    /' | head -n 20
        [ "$tool" = clang-format ] && echo "    (see them with: $cf $file | diff $file -)"
        bad=1
    fi
done <<< "$counts"
total=$(wc -l < "$findings")
if [ "$bad" = 1 ]; then
    echo "lint: FAILED (new findings above; $total in all)"
    exit 1
fi
echo "lint: ok (${#scripts[@]} scripts, $total accepted findings in $baseline)"
