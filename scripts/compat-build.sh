#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Source-compatibility proof: build unmodified in-tree 6.12 vDPA parents
# (ifcvf, vdpa_user, vp_vdpa) from the reference kernel's source against
# our include/linux/vdpa.h and link them against our vdpa.ko's symbols.
# Never shipped or committed; the sources are taken from the kernel tree at
# build time into build/compat. vp_vdpa and vduse are also staged for the
# test VM (scripts/stage-modules.sh), where t-vp-vdpa.sh and t-vduse.sh
# run them on our bus.
#
#   scripts/compat-build.sh   (after make; uses the debug reference kernel)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
kdir=$("$repo/scripts/build-ref-kernel.sh" --print-dir debug)
ksrc=$(readlink -f "$kdir/source")
work=$repo/build/compat
symvers=$repo/Module.symvers

[ -s "$symvers" ] || { echo "compat-build: run make first (no $symvers)" >&2; exit 1; }
grep -q '	vdpa_register_device	' "$symvers" ||
	{ echo "compat-build: our vdpa.ko exports no vdpa_register_device" >&2; exit 1; }

# The copies are kept between runs (below); one made from another kernel
# tree goes.
if [ "$(cat "$work/kdir" 2>/dev/null)" != "$kdir" ]; then
	rm -rf "$work"
	mkdir -p "$work"
	echo "$kdir" >"$work/kdir"
fi

status=0
for parent in ifcvf:CONFIG_IFCVF vdpa_user:CONFIG_VDPA_USER virtio_pci:CONFIG_VP_VDPA; do
	dir=${parent%%:*}
	sym=${parent#*:}
	# The sources keep their times (cp -p), so a second run builds again
	# only what kbuild's dependencies say changed: our vdpa.h among them.
	mkdir -p "$work/$dir"
	cp -p "$ksrc/drivers/vdpa/$dir"/* "$work/$dir/"
	echo "== $dir"
	out=$(make -C "$kdir" M="$work/$dir" "$sym=m" \
		NOSTDINC_FLAGS="-I$repo/include -I$repo/include/uapi" \
		KBUILD_EXTRA_SYMBOLS="$symvers" modules 2>&1) || { echo "$out"; status=1; continue; }
	echo "$out"
	# modpost only warns about a symbol nobody exports.
	if grep -q 'undefined!' <<<"$out"; then
		status=1
		continue
	fi
	# The object must have been compiled against our header, not the kernel's.
	if ! grep -qF "$repo/include/linux/vdpa.h" "$work/$dir"/.*.o.cmd; then
		echo "compat-build: $dir was not built against $repo/include/linux/vdpa.h"
		status=1
		continue
	fi
	# stage-modules.sh stages only a module newer than our vdpa.ko: one up
	# to date is as good as one built now.
	touch "$work/$dir"/*.ko
done
exit $status
