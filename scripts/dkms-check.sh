#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The DKMS check: build the package (scripts/dkms-package.sh), check what it
# carries, then have DKMS add, build and install it for Debian's 6.12
# kernel as the package's postinst would, but into scratch trees
# (--sourcetree, --dkmstree, --installtree, --no-depmod): the machine's
# /usr/src, /var/lib/dkms/<package> and /lib/modules are not touched. DKMS
# does sign the modules with its machine key, /var/lib/dkms/mok.key, and
# creates that key on first use, as any DKMS install would.
#
#   scripts/dkms-check.sh [--package-only] KDIR
#
# KDIR: Debian's linux-headers-6.12 tree. make check runs --package-only
# (the package and what it carries, seconds); make check-long the whole
# (DKMS compiles the stack from scratch, over a minute here).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
package_only=0
if [ "${1:-}" = --package-only ]; then
	package_only=1
	shift
fi
kdir=${1:?usage: dkms-check.sh [--package-only] KDIR}
work=$repo/build/dkms-check
kver=$(cat "$kdir/include/config/kernel.release")
[ "$(readlink -f "/lib/modules/$kver/build")" = "$(readlink -f "$kdir")" ] || {
	echo "dkms-check: /lib/modules/$kver/build is not $kdir (install linux-image-$kver)"
	exit 1
}

rm -rf "$work"
mkdir -p "$work"
deb=$("$repo/scripts/dkms-package.sh" "$work/pkg" | tail -n 1)
ver=${deb##*/vdpa-stack-dkms_}
ver=${ver%_all.deb}
echo "dkms-check: $deb (version $ver)"

# What the package carries: dkms.conf with its version, the stack's
# sources, nothing of the tests or the harness.
dpkg-deb -x "$deb" "$work/root"
src=$work/root/usr/src/vdpa-stack-$ver
grep -qx "PACKAGE_VERSION=\"$ver\"" "$src/dkms.conf" || { echo "dkms-check: dkms.conf has no version $ver"; exit 1; }
[ -f "$src/drivers/vdpa/vdpa_bus.c" ] || { echo "dkms-check: no sources in $src"; exit 1; }
if [ -e "$src/tests" ] || grep -rlq harness_ "$src" --include='*.c'; then
	echo "dkms-check: the package carries the tests"
	exit 1
fi
dpkg-deb -I "$deb" postinst | grep -q dkms || { echo "dkms-check: no DKMS postinst"; exit 1; }
[ $package_only -eq 0 ] || exit 0

trees=(--sourcetree "$work/root/usr/src" --dkmstree "$work/dkms" --installtree "$work/install"
	--no-depmod)
mkdir -p "$work/dkms" "$work/install/$kver"
dkms add -m vdpa-stack -v "$ver" "${trees[@]}"
dkms build -m vdpa-stack -v "$ver" -k "$kver" "${trees[@]}" ||
	{ cat "$work/dkms/vdpa-stack/$ver/build/make.log" 2>/dev/null; exit 1; }
dkms install -m vdpa-stack -v "$ver" -k "$kver" "${trees[@]}"
dkms status -m vdpa-stack "${trees[@]}"

got=$(find "$work/install/$kver" -name '*.ko*' -printf '%f\n' | sed 's/\.ko.*//' | sort | tr '\n' ' ')
want="cxemu cxvdpa vdpa vdpa_devring vdpa_sim vdpa_sim_blk vdpa_sim_net vhost_vdpa virtio_vdpa "
echo "dkms-check: installed $got"
[ "$got" = "$want" ] || { echo "dkms-check: expected $want"; exit 1; }
