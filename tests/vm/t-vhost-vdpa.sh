#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vhost_vdpa with a userspace VMM (build/tests/vhost_vdpa_test): every
# case against simulated net devices in both map modes (set_map and
# dma_map) and a blk device, the blk cases again in VA mode, then removal
# while the file is open (dev del, unbind, parent rmmod; dev del in VA
# mode), and bind/unbind loops.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vhost_lib.sh"

MAP_MODE=/sys/module/vdpa_sim/parameters/map_mode
USE_VA=/sys/module/vdpa_sim/parameters/use_va

[ -x "$BIN" ] || { echo "no $BIN: run make tests"; exit 1; }
modprobe vdpa_sim_net && modprobe vdpa_sim_blk && modprobe vhost_vdpa || exit 1
cleanup() {
	vdpa dev del vn0 2>/dev/null
	vdpa dev del vn1 2>/dev/null
	vdpa dev del vb0 2>/dev/null
	echo set_map >"$MAP_MODE" 2>/dev/null
	echo 0 >"$USE_VA" 2>/dev/null
	echo N >/sys/kernel/debug/vdpa_sim/strict_dma_map 2>/dev/null
	modprobe -r vhost_vdpa vdpa_sim_net vdpa_sim_blk
}
trap cleanup EXIT
# PA mode: a VMM pins its memory (ARCHITECTURE.md); the limit case lowers it itself.
ulimit -l unlimited
echo 4 >/proc/sys/vm/nr_hugepages

# Bind and unbind without a file, then with one opened in between: what
# make check-long repeats, and runs alone.
bind_loop() {
	local i ok=yes

	vdpa dev add name vn0 mgmtdev vdpasim_net
	for i in $(seq "$(rounds 1 10)"); do
		echo vn0 >/sys/bus/vdpa/drivers/vhost_vdpa/unbind || ok=no
		echo vn0 >/sys/bus/vdpa/drivers/vhost_vdpa/bind || ok=no
		[ -c "/dev/$(chardev_of vn0)" ] || ok=no
		exec 8<>"/dev/$(chardev_of vn0)" || ok=no
		exec 8>&-
	done
	t_expect_eq bind-unbind-loop yes "$ok"
	t_check final-del vdpa dev del vn0
}
# make check-long: the client's reopen loop (REOPEN_ROUNDS, vhost_lib.sh)
# in both map modes, then the loop above.
if long_tier; then
	for mode in set_map dma_map; do
		echo "$mode" >"$MAP_MODE"
		t_check "reopen-$mode-add" vdpa dev add name vn0 mgmtdev vdpasim_net
		tap "reopen-$mode" "$BIN" reopen "/dev/$(chardev_of vn0)"
		t_check "reopen-$mode-del" vdpa dev del vn0
	done
	echo set_map >"$MAP_MODE"
	bind_loop
	exit 0
fi

t_expect_eq chardev-region 1 "$(grep -c ' vhost-vdpa$' /proc/devices)"

for mode in set_map dma_map; do
	echo "$mode" >"$MAP_MODE"
	t_check "$mode-add" vdpa dev add name vn0 mgmtdev vdpasim_net
	t_expect_eq "$mode-bound" vhost_vdpa "$(driver_of vn0)"
	CDEV=$(chardev_of vn0)
	t_check "$mode-node" test -c "/dev/$CDEV"
	tap "$mode" env LINK_UP=/sys/kernel/debug/vdpa_sim/vn0/link_up "$BIN" net "/dev/$CDEV"
	# Device dirty-page tracking: errors, and a pre-copy migration that
	# must copy the memory exactly (and must not without its last round).
	tap "dirty-$mode" "$BIN" dirty "/dev/$CDEV"
	# The vhost log unmodified QEMU uses for migration (VHOST_F_LOG_ALL,
	# SET_LOG_BASE), with QEMU's PC layout: VRAM the log leaves out.
	tap "vhostlog-$mode" "$BIN" vhostlog "/dev/$CDEV"
	t_check "$mode-del" vdpa dev del vn0
done
echo set_map >"$MAP_MODE"

# The control queue is at 2 without MQ, whatever max_vqp is.
for mode in set_map dma_map; do
	echo "$mode" >"$MAP_MODE"
	t_check "cvqidx-$mode-add" vdpa dev add name vn0 mgmtdev vdpasim_net max_vqp 4
	tap "cvqidx-$mode" "$BIN" cvqidx "/dev/$(chardev_of vn0)"
	t_check "cvqidx-$mode-del" vdpa dev del vn0
done
echo set_map >"$MAP_MODE"

t_check blk-add vdpa dev add name vb0 mgmtdev vdpasim_blk
tap blk "$BIN" blk "/dev/$(chardev_of vb0)"
t_check blk-del vdpa dev del vb0

# VA mode (use_va): the simulator reaches the owner's memory through the
# mm vhost_vdpa binds at SET_OWNER and unbinds when it lets the device go.
# The blk cases on memfd memory, nothing pinned by vhost_vdpa: data both
# ways, and an INVALIDATE that splits an entry.
echo 1 >"$USE_VA"
t_check va-blk-add vdpa dev add name vb0 mgmtdev vdpasim_blk
t_expect_eq va-blk-bound vhost_vdpa "$(driver_of vb0)"
tap va-blk env AREA_MEMFD=1 VA_MODE=1 "$BIN" blk "/dev/$(chardev_of vb0)"
# Its two cases each bound their mm at SET_OWNER and unbound it at close.
t_expect_eq va-bind-unbind "bound 0|binds 2|unbinds 2" \
	"$(grep -E '^(bound|binds|unbinds) ' /sys/kernel/debug/vdpa_sim/vb0/va | paste -sd '|')"
# Its datapath pinned pages of theirs, and unpinned every one.
read -r pinned unpinned <<<"$(awk '/^(pinned|unpinned) / { print $2 }' \
	/sys/kernel/debug/vdpa_sim/vb0/va | paste -sd ' ')"
t_check va-pinned-some test "${pinned:-0}" -gt 0
t_expect_eq va-unpinned-all "$pinned" "$unpinned"
t_check va-blk-del vdpa dev del vb0
echo 0 >"$USE_VA"

# RLIMIT_MEMLOCK is one per process: two threads, two devices, room for one.
vdpa dev add name vn0 mgmtdev vdpasim_net && vdpa dev add name vn1 mgmtdev vdpasim_net
tap memlock "$BIN" memlock2 "/dev/$(chardev_of vn0)" "/dev/$(chardev_of vn1)"
vdpa dev del vn0
vdpa dev del vn1

# Removal while a VMM has the file open (vhost_lib.sh).
removal dev-del "vdpa dev del vn0" vn0 vdpasim_net
removal unbind "echo vn0 >/sys/bus/vdpa/drivers/vhost_vdpa/unbind" vn0 vdpasim_net
vdpa dev del vn0
removal rmmod-parent "modprobe -r vdpa_sim_net" vn0 vdpasim_net
modprobe vdpa_sim_net
removal_uffd vn0 vdpasim_net
# In VA mode, traffic done and a doorbell mapped (its fault runs under the
# mmap_lock the datapath takes to pin): removal unbinds the mm, or the
# simulator says at release that one was still bound.
echo 1 >"$USE_VA"
export AREA_MEMFD=1 VA_MODE=1 HOLD_KIB=0
removal va-dev-del "vdpa dev del vn0" vn0 vdpasim_net
unset AREA_MEMFD VA_MODE HOLD_KIB
echo 0 >"$USE_VA"
t_expect_eq va-removal-unbound 0 "$(dmesg | grep -c 'freed with an address space still bound')"

bind_loop

# fail_map: the parent refuses one map; the UPDATE fails whole, unpinned.
# fail_map/fail_unmap on an INVALIDATE: what the parent kept stays pinned.
export FAIL_MAP=/sys/kernel/debug/vdpa_sim/fail_map
export FAIL_UNMAP=/sys/kernel/debug/vdpa_sim/fail_unmap
echo 0 >"$FAIL_MAP/verbose"
echo 0 >"$FAIL_UNMAP/verbose"
for mode in set_map dma_map; do
	echo "$mode" >"$MAP_MODE"
	vdpa dev add name vn0 mgmtdev vdpasim_net
	tap "fault-$mode" "$BIN" mapfail "/dev/$(chardev_of vn0)"
	echo 0 >"$FAIL_MAP/probability"
	tap "unmapfault-$mode" "$BIN" unmapfail "/dev/$(chardev_of vn0)" "$mode"
	echo 0 >"$FAIL_MAP/probability"
	echo 0 >"$FAIL_UNMAP/probability"
	vdpa dev del vn0
done
# A dma_map parent that knows ranges only as mapped: exact unmaps, exact rollback.
echo dma_map >"$MAP_MODE"
echo Y >/sys/kernel/debug/vdpa_sim/strict_dma_map
vdpa dev add name vn0 mgmtdev vdpasim_net
tap strict "$BIN" strict "/dev/$(chardev_of vn0)"
vdpa dev del vn0
echo N >/sys/kernel/debug/vdpa_sim/strict_dma_map
echo set_map >"$MAP_MODE"
