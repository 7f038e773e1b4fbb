#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the module tree the test VM sees as /lib/modules: the reference
# kernel's modules plus ours under updates/, indexed by depmod so modprobe
# resolves dependencies. Ours win over the upstream modules of the same
# name (vdpa, vhost_vdpa, ...) because depmod searches updates/ first.
# Prints the directory to bind-mount on /lib/modules.
#
#   scripts/stage-modules.sh [debug|bench] [--baseline]
#
# Our modules come from the tree for debug, and from build/bench-src (a
# copy built against the bench kernel by scripts/bench.sh) for bench.
# --baseline stages the reference kernel's modules alone, in
# build/vm/FLAVOUR-baseline: the upstream stack make bench compares with.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
flavour=${1:-debug}
baseline=0
[ "${2:-}" = --baseline ] && baseline=1
kdir=$("$repo/scripts/build-ref-kernel.sh" --print-dir "$flavour")
kver=$(cat "$kdir/include/config/kernel.release")
base=$repo/build/vm/$flavour
[ $baseline -eq 1 ] && base=$base-baseline
dst=$base/lib/modules/$kver

mkdir -p "$dst"
rsync -a --delete --exclude=/updates --exclude=/build --exclude=/source \
	--exclude='/modules.*' "$kdir/mod-root/lib/modules/$kver/" "$dst/"
cp "$kdir/mod-root/lib/modules/$kver/modules.order" \
	"$kdir/mod-root/lib/modules/$kver/modules.builtin"* "$dst/"

rm -rf "$dst/updates"
# The tree's modules are built against the debug kernel (make
# test-modules); the bench kernel's structures differ (lockdep, KASAN).
src=$repo
[ "$flavour" = bench ] && src=$repo/build/bench-src
[ $baseline -eq 0 ] && while IFS= read -r -d '' ko; do
	rel=${ko#"$src/"}
	mkdir -p "$dst/updates/$(dirname "$rel")"
	cp "$ko" "$dst/updates/$rel"
done < <(find "$src" -path "$src/build" -prune -o -name '*.ko' -print0)
# 6.12's vp_vdpa and vduse, built unchanged against our headers by
# compat-build.sh (make check), which t-vp-vdpa.sh and t-vduse.sh load.
# Only when newer than our vdpa.ko: one built against an older vdpa.h would
# load with the wrong layouts (the reference kernel has no MODVERSIONS).
for ko in "$repo/build/compat/virtio_pci/vp_vdpa.ko" "$repo/build/compat/vdpa_user/vduse.ko"; do
	if [ $baseline -eq 0 ] && [ "$flavour" = debug ] && [ "$ko" -nt "$repo/drivers/vdpa/vdpa.ko" ]; then
		mkdir -p "$dst/updates/compat"
		cp "$ko" "$dst/updates/compat/"
	fi
done

conf=$base/depmod.conf
echo "search updates built-in" >"$conf"
depmod -C "$conf" -b "$base" "$kver"
echo "$base/lib/modules"
