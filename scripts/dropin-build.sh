#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The drop-in proof: the stack copied into a Linux 6.12 source tree as
# drivers/vdpa-stack/, its Kconfig sourced from drivers/Kconfig, its symbols
# enabled in a .config, and built there with that tree's kbuild.
#
#   scripts/dropin-build.sh     (uses the debug reference kernel)
#
# The tree is a hard-linked copy of the reference kernel's source (files we
# change are replaced, never written through) and its .config is the
# reference kernel's with VDPA off and our symbols on, except
# VDPA_STACK_SIM_BLK: it stays off, and vdpa_sim_blk.ko must then not be
# built, which shows the objects follow the tree's Kconfig and not the
# out-of-tree defaults. The directory is built with "make M=" in the
# prepared tree, linked against the reference kernel's Module.symvers, as a
# kernel developer builds one directory; a whole-kernel build (which is what
# reads the drivers/Makefile line, and the only way to try =y) is not done
# here. Kept in build/dropin between runs.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
kdir=$("$repo/scripts/build-ref-kernel.sh" --print-dir debug)
ksrc=$(readlink -f "$kdir/source")
work=$repo/build/dropin
tree=$work/linux
obj=$work/obj
dst=$tree/drivers/vdpa-stack

on=(VDPA_STACK VDPA_STACK_VHOST VDPA_STACK_VIRTIO VDPA_STACK_SIM VDPA_STACK_SIM_NET
    VDPA_STACK_CXEMU VDPA_STACK_CXVDPA VDPA_STACK_BUS_KUNIT_TEST
    VDPA_STACK_DEVRING_KUNIT_TEST VDPA_STACK_CXEMU_KUNIT_TEST
    VDPA_STACK_CXVDPA_KUNIT_TEST VDPA_STACK_VHOST_KUNIT_TEST)
off=(VDPA VDPA_STACK_SIM_BLK VDPA_STACK_SIM_KUNIT_TEST VDPA_STACK_HARNESS)

# A tree of the reference kernel's source, hooked up once.
if [ "$(cat "$work/base" 2>/dev/null)" != "$kdir" ]; then
	rm -rf "$work"
	mkdir -p "$work"
	cp -al "$ksrc" "$tree"
	for f in Kconfig Makefile; do
		cp "$tree/drivers/$f" "$work/$f"
		rm "$tree/drivers/$f"
		cp "$work/$f" "$tree/drivers/$f"
	done
	printf '\nsource "drivers/vdpa-stack/Kconfig"\n' >>"$tree/drivers/Kconfig"
	printf '\nobj-$(CONFIG_VDPA_STACK) += vdpa-stack/\n' >>"$tree/drivers/Makefile"
	echo "$kdir" >"$work/base"
fi

# Our sources, as the DKMS package and a patch would carry them.
mkdir -p "$dst"
(cd "$repo" && git ls-files -co --exclude-standard -- Kbuild Kconfig \
	'drivers/*.c' 'drivers/*.h' 'drivers/*Kbuild' 'include/*.h' 'tests/*Kbuild' \
	'tests/selftest/*.c' 'tests/bench/*.c' | grep -v '^tests/selftest/bad/') >"$work/files"
rsync -a --files-from="$work/files" "$repo/" "$dst/"
find "$dst" \( -name '*.[ch]' ! -name '*.mod.c' \) -o -name 'K*' | sed "s|^$dst/||" | sort |
	comm -13 <(sort "$work/files") - | (cd "$dst" && xargs -r rm -f)

kmake() { make -C "$tree" O="$obj" ARCH=x86_64 -j"$(nproc)" "$@"; }

mkdir -p "$obj"
cp "$kdir/.config" "$obj/.config.new"
for s in "${on[@]}"; do
	"$tree/scripts/config" --file "$obj/.config.new" -m "$s"
done
for s in "${off[@]}"; do
	"$tree/scripts/config" --file "$obj/.config.new" -d "$s"
done
# Keep .config's time when nothing changed, so nothing is rebuilt. Our
# Kconfig's hash rides along as a comment: a change to it counts too.
echo "# drivers/vdpa-stack/Kconfig $(sha256sum <"$dst/Kconfig" | cut -c1-16)" >>"$obj/.config.new"
if ! cmp -s "$obj/.config.new" "$obj/.config.in" 2>/dev/null; then
	cp "$obj/.config.new" "$obj/.config.in"
	cp "$obj/.config.new" "$obj/.config"
	kmake -s olddefconfig
	# make M= does not regenerate auto.conf: prepare the tree again.
	rm -f "$obj/.prepared"
fi
bad=0
for s in "${on[@]}"; do
	grep -qx "CONFIG_$s=m" "$obj/.config" || { echo "dropin: Kconfig dropped CONFIG_$s=m"; bad=1; }
done
for s in "${off[@]}"; do
	grep -qE "^CONFIG_$s=" "$obj/.config" && { echo "dropin: CONFIG_$s is set"; bad=1; }
done
[ $bad -eq 0 ] || exit 1
# Nor does Kconfig let the stack in beside a modular in-tree bus.
cp "$obj/.config" "$obj/.config.vdpam"
"$tree/scripts/config" --file "$obj/.config.vdpam" -m VDPA -m VDPA_STACK
kmake -s KCONFIG_CONFIG=.config.vdpam olddefconfig
if grep -q '^CONFIG_VDPA_STACK=' "$obj/.config.vdpam"; then
	echo "dropin: Kconfig took VDPA_STACK beside VDPA=m"
	exit 1
fi

[ -e "$obj/.prepared" ] || { kmake -s modules_prepare && touch "$obj/.prepared"; }
cp "$kdir/Module.symvers" "$obj/Module.symvers"
out=$(kmake M="$dst" W=1 modules 2>&1) || { echo "$out"; exit 1; }
echo "$out"
if grep -qiE '(^|: )warning:|undefined!' <<<"$out"; then
	echo "dropin: the build warned"
	exit 1
fi

# What was built: every module whose symbol is on, nothing else.
built=$(sed 's|.*/||; s|\.o$||' "$dst/modules.order" | sort | tr '\n' ' ')
want="cxemu cxemu_kunit cxvdpa cxvdpa_mr_kunit vdpa vdpa_bus_kunit vdpa_devring vdpa_devring_kunit vdpa_sim vdpa_sim_net vhost_vdpa vhost_vdpa_bitmap_kunit virtio_vdpa "
echo "dropin: built $built"
[ "$built" = "$want" ] || { echo "dropin: expected $want"; exit 1; }
# The objects were compiled against our headers, not the tree's own.
grep -qF "$dst/include/linux/vdpa.h" "$dst/drivers/vdpa/.vdpa_bus.o.cmd" ||
	{ echo "dropin: vdpa_bus.o was not built against drivers/vdpa-stack/include"; exit 1; }
