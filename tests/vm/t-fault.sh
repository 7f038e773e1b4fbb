#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fault-injection sweeps: for each path, the 1st, 2nd, ... Nth
# fault-injection check of the calling thread fails (fail-nth: slab and
# page allocations, vdpa_sim's fail_map, cxemu's fail_cmd), until the path
# runs without reaching the Nth. After each failure the errno must be one
# a failed allocation or command gives, nothing may stay pinned or held by
# the function, and the device must work again (tests/vhost's "faults"
# mode for the vhost-vdpa paths, tests/vm/fault_sweep.py for vdpa dev
# add/del and virtio_vdpa's probe). kmemleak and the dmesg scan are the
# harness's. Each sweep prints its injection points. make check sweeps the
# emulated function's paths that send commands on their way (open,
# DRIVER_OK, an UPDATE on a running device, a reset, dirty-log stop) and
# vdpa dev add on the simulator; make check-long every vhost-vdpa path on
# every parent (the simulator in both map modes), add and del on every
# management device and virtio_vdpa's probe on both net ones.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vhost_lib.sh"

SWEEP=$(dirname "$0")/fault_sweep.py
MGMT_CX=auxiliary/cxemu.vnet.0
DBG=/sys/kernel/debug/cxemu/vnet.0

[ -x "$BIN" ] || { echo "no $BIN: run make tests"; exit 1; }
modprobe vdpa_sim_net && modprobe vdpa_sim_blk && modprobe vhost_vdpa && modprobe cxemu &&
	modprobe cxvdpa || exit 1
cleanup() {
	vdpa dev del fs0 2>/dev/null
	echo set_map >/sys/module/vdpa_sim/parameters/map_mode
	fail_nth_restore
	modprobe -r virtio_vdpa vhost_vdpa cxvdpa cxemu vdpa_sim_net vdpa_sim_blk
}
trap cleanup EXIT
ulimit -l unlimited
fail_nth_setup

# The vhost-vdpa paths on each parent.
for mode in $(rounds "" "set_map dma_map"); do
	echo "$mode" >/sys/module/vdpa_sim/parameters/map_mode
	t_check "sim-$mode-add" vdpa dev add name fs0 mgmtdev vdpasim_net
	tap "sim-$mode" "$BIN" faults "/dev/$(chardev_of fs0)"
	t_check "sim-$mode-del" vdpa dev del fs0
done
echo set_map >/sys/module/vdpa_sim/parameters/map_mode
t_check cx-add vdpa dev add name fs0 mgmtdev "$MGMT_CX"
tap cx env CXEMU_DBG=$DBG \
	SWEEP_ONLY=$(rounds open,driver-ok,update-running,reset,dirty-stop "") \
	"$BIN" faults "/dev/$(chardev_of fs0)"
t_check cx-del vdpa dev del fs0
t_expect_eq cx-nothing-held "mkey 0 vq 0 tracker 0 track_rq 0 leaked 0" \
	"$(grep -E '^(mkey|vq|leaked|tracker|track_rq) ' $DBG/resources | paste -sd ' ')"

# vdpa dev add and del on each management device.
tap add-vdpasim_net python3 "$SWEEP" add vdpasim_net
for m in $(rounds "" "vdpasim_net vdpasim_blk $MGMT_CX"); do
	[ "$m" = vdpasim_net ] || tap "add-${m##*/}" python3 "$SWEEP" add "$m"
	tap "del-${m##*/}" python3 "$SWEEP" del "$m"
done

# virtio_vdpa probing a device (fault_sweep.py: virtio_net is not probed
# meanwhile, its 6.12 error paths leak), then virtio_net on it works.
modprobe -r vhost_vdpa
modprobe virtio_vdpa || exit 1
for m in $(rounds "" "vdpasim_net $MGMT_CX"); do
	tap "probe-${m##*/}" python3 "$SWEEP" probe "$m"
	t_check "probe-${m##*/}-add-after" vdpa dev add name fs0 mgmtdev "$m" mac 02:00:00:00:0f:01
	IF=$(ls /sys/bus/vdpa/devices/fs0/virtio*/net/ 2>/dev/null)
	sysctl -qw "net.ipv6.conf.$IF.disable_ipv6=1"
	ip link set "$IF" up
	t_check "probe-${m##*/}-works-after" python3 "$(dirname "$0")/net_loopback.py" "$IF" 60 1000
	t_check "probe-${m##*/}-del-after" vdpa dev del fs0
done
t_expect_eq nothing-held-at-end "mkey 0 vq 0 tracker 0 track_rq 0 leaked 0" \
	"$(grep -E '^(mkey|vq|leaked|tracker|track_rq) ' $DBG/resources | paste -sd ' ')"
