#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# QEMU 7.2, unchanged, runs a guest on /dev/vhost-vdpa-N (-netdev
# vhost-vdpa + virtio-net-pci, doorbells mapped with page-per-vq). The
# guest (scripts/guest-image.sh) brings virtio_net up and pings the VM's
# side of the device's host interface. Guest memory is QEMU's default,
# private anonymous, so the device works in PA mode on pinned pages. Once
# on the simulator, once on the emulated ConnectX function.
. "$VDPA_REPO/tests/vm/lib.sh"
. "$VDPA_REPO/tests/vm/vhost_lib.sh"
. "$VDPA_REPO/tests/e2e/lib.sh"

# pin_max: the most QEMU ($qpid) had pinned so far, in KiB, in $pinned.
pin_max() {
	local now

	now=$(awk '/^VmPin:/ { print $2 }' "/proc/$qpid/status" 2>/dev/null)
	[ "${now:-0}" -le "$pinned" ] || pinned=$now
}

# guest NAME DEV HOSTPORT: run the guest on vDPA device DEV whose host
# interface has phys_port_name HOSTPORT; check it pinged through.
guest() {
	local name=$1 dev=$2 hif con=$VDPA_OUT/$1.console i pinned=0 line complaints

	hif=$(host_of "$3")
	t_expect_eq "$name-bound" vhost_vdpa "$(driver_of "$dev")"
	ip addr add 10.77.0.1/24 dev "$hif"
	ip link set "$hif" up
	qemu_start "$name" "vhost-vdpa,vhostdev=/dev/$(chardev_of "$dev")"
	for i in $(seq 300); do
		grep -q '^e2e: ping 3 ' "$con" 2>/dev/null && break
		kill -0 $qpid 2>/dev/null || break
		pin_max
		sleep 1
	done
	pin_max
	# What QEMU said while the guest ran (not while it shuts down).
	complaints=$(cat "$VDPA_OUT/$name.stderr")
	kill $qpid
	wait $qpid
	grep '^e2e:' "$con" | head -n 8
	t_check "$name-guest-up" grep -q '^e2e: up ' "$con"
	t_expect_eq "$name-guest-pings" 3 "$(grep -c '^e2e: ping [123] ok' "$con")"
	# The guest's RAM above 1 MiB (255 MiB) at least was pinned.
	t_check "$name-pinned" test "$pinned" -ge $((255 * 1024))
	line=$(ip -s link show "$hif" | awk '/RX:/ { getline; print $2 }')
	t_check "$name-host-received" test "${line:-0}" -gt 0
	t_expect_eq "$name-qemu-quiet" "" "$complaints"
}

ulimit -l unlimited
modprobe vhost_vdpa && modprobe vdpa_sim_net || exit 1
echo netdev >/sys/module/vdpa_sim_net/parameters/wire
t_check sim-add vdpa dev add name g0 mgmtdev vdpasim_net mac $GUEST_MAC
echo loopback >/sys/module/vdpa_sim_net/parameters/wire
guest sim g0 g0
t_check sim-del vdpa dev del g0

modprobe cxemu wire=netdev && modprobe cxvdpa || exit 1
t_check cx-add vdpa dev add name c0 mgmtdev auxiliary/cxemu.vnet.0 mac $GUEST_MAC
guest cx c0 cxemu.vnet.0
t_check cx-del vdpa dev del c0
RES=/sys/kernel/debug/cxemu/vnet.0/resources
t_expect_eq cx-nothing-held "mkey 0 vq 0 leaked 0" \
	"$(grep '^mkey ' $RES) $(grep '^vq ' $RES) $(grep '^leaked ' $RES)"
t_check rmmod modprobe -r cxvdpa cxemu vhost_vdpa vdpa_sim_net
