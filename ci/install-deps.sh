#!/usr/bin/env bash
# Install everything vmbnet needs from Debian's archive, idempotently.
#
# Safe to run again: packages already present are skipped, deb-src is added
# only when missing. Prints what it installs; on failure prints one line
# naming the missing piece and exits non-zero.
set -euo pipefail

die() { echo "install-deps: error: $*" >&2; exit 1; }
say() { echo "install-deps: $*"; }

[ "$(id -u)" -eq 0 ] || SUDO=sudo
SUDO=${SUDO:-}
export DEBIAN_FRONTEND=noninteractive

# Build tools, QEMU build dependencies, DPDK, report/plot/fuzz libraries,
# guest image tools, iproute2 for the net_tap peer of the datapath-B boots.
# The guest kernel headers are added below once the kernel version is known.
PKGS=(
    build-essential cmake ninja-build meson pkg-config ccache dpkg-dev
    python3 python3-venv flex bison libglib2.0-dev libpixman-1-dev libfdt-dev
    zlib1g-dev libslirp-dev
    libdpdk-dev dpdk-dev dpdk
    libjansson-dev libpcap-dev tcpdump gnuplot-nox
    clang-14 libclang-rt-14-dev llvm-14
    busybox-static cpio kmod iproute2 qemu-system-data seabios
    valgrind shellcheck clang-format-14 linux-source-6.1
)

add_deb_src() {
    local src=/etc/apt/sources.list.d/debian.sources
    if grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list \
        /etc/apt/sources.list.d/ 2>/dev/null; then
        return 1
    fi
    [ -f "$src" ] || die "no deb-src entry and no $src to derive one from"
    say "adding deb-src entries (copied from $src)"
    sed -n 's/^Types: deb$/Types: deb-src/;p' "$src" |
        awk 'BEGIN{RS="";ORS="\n\n"} /Types: deb-src/' |
        $SUDO tee /etc/apt/sources.list.d/vmbnet-deb-src.sources >/dev/null
    return 0
}

stamp=/var/lib/apt/periodic/vmbnet-update-stamp
need_update=0
add_deb_src && need_update=1
if [ ! -f "$stamp" ] || [ -n "$(find "$stamp" -mmin +360 2>/dev/null)" ]; then
    need_update=1
fi
if [ "$need_update" = 1 ]; then
    say "apt-get update"
    $SUDO apt-get update -qq || die "apt-get update failed (is the Debian archive reachable?)"
    $SUDO mkdir -p "$(dirname "$stamp")" && $SUDO touch "$stamp"
fi

# The guest kernel: whatever linux-image-amd64 currently points at.
KVER=$(bash "$(dirname "$0")/guest-kver.sh") || die "cannot resolve the guest kernel version from linux-image-amd64"
PKGS+=("linux-headers-$KVER")

missing=()
for p in "${PKGS[@]}"; do
    [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] ||
        missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    say "installing: ${missing[*]}"
    for p in "${missing[@]}"; do
        apt-cache show "$p" >/dev/null 2>&1 || die "package $p is not in the archive"
    done
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
        die "apt-get install failed for: ${missing[*]}"
else
    say "all ${#PKGS[@]} packages already installed"
fi
[ -d "/lib/modules/$KVER/build" ] || die "linux-headers-$KVER did not provide /lib/modules/$KVER/build"
say "guest kernel $KVER ready"
