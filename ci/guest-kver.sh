#!/usr/bin/env bash
# Print the guest kernel version: the one Debian's linux-image-amd64 points at.
set -euo pipefail
v=$(apt-cache depends linux-image-amd64 2>/dev/null |
    sed -n 's/.*Depends: linux-image-\(.*\)$/\1/p' | head -n1)
[ -n "$v" ] || { echo "guest-kver: error: cannot resolve linux-image-amd64" >&2; exit 1; }
echo "$v"
