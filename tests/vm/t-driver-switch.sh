#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Switching a device between vhost_vdpa and virtio_vdpa, the scenario
# behind reset_map: a VMM session (map, traffic, close), then the kernel's
# virtio_net on the same device (loopback frames), and back, for
# $ROUNDS rounds (1 in make check, 50 in make check-long). Each VMM session checks its pins come back to zero and
# that the device reaches nothing it did not map; virtio_net traffic shows
# the identity mapping is back; kmemleak is checked by the harness.
. "$(dirname "$0")/lib.sh"

. "$(dirname "$0")/vhost_lib.sh"

# The parent: the simulator unless the caller names another (t-cxvdpa.sh).
ROUNDS=${ROUNDS:-$(rounds 1 50)}
MGMT=${MGMT:-vdpasim_net}
PARENT_MODULES=${PARENT_MODULES:-vdpa_sim_net}
DEV=/sys/bus/vdpa/devices/sw0

for m in $PARENT_MODULES vhost_vdpa virtio_vdpa; do
	modprobe "$m" || exit 1
done
# shellcheck disable=SC2086 # a list of module names
trap 'vdpa dev del sw0 2>/dev/null; modprobe -r vhost_vdpa virtio_vdpa $PARENT_MODULES' EXIT
ulimit -l unlimited

bind_to() {
	local drv
	drv=$(basename "$(readlink "$DEV/driver" 2>/dev/null)")
	[ -n "$drv" ] && echo sw0 >"/sys/bus/vdpa/drivers/$drv/unbind"
	echo "$1" >"$DEV/driver_override"
	echo sw0 >"/sys/bus/vdpa/drivers/$1/bind"
	[ "$(basename "$(readlink "$DEV/driver")")" = "$1" ]
}

vdpa dev add name sw0 mgmtdev "$MGMT" mac 02:00:00:00:05:01 || exit 1
bad=
for round in $(seq "$ROUNDS"); do
	bind_to vhost_vdpa || { bad="round $round: bind vhost_vdpa"; break; }
	out=$("$BIN" session "/dev/$(basename "$(ls -d "$DEV"/vhost-vdpa-*)")")
	echo "$out" | grep -q '^ok 1' || { bad="round $round: vhost session: $out"; break; }
	bind_to virtio_vdpa || { bad="round $round: bind virtio_vdpa"; break; }
	IF=$(ls "$DEV"/virtio*/net/)
	sysctl -qw "net.ipv6.conf.$IF.disable_ipv6=1"
	ip link set "$IF" up
	"$BIN" pktloop "$IF" ||
		{ bad="round $round: virtio_net loopback"; break; }
done
t_expect_eq switch-rounds "" "$bad"
t_check del vdpa dev del sw0
