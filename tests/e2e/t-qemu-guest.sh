#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# QEMU 7.2, unchanged, runs a guest on /dev/vhost-vdpa-N (-netdev
# vhost-vdpa + virtio-net-pci, doorbells mapped with page-per-vq). The
# guest (scripts/guest-image.sh) brings virtio_net up and pings the VM's
# side of the device's host interface. Guest memory is QEMU's default,
# private anonymous, so the device works in PA mode on pinned pages. Once
# on the simulator, once on the emulated ConnectX function. QEMU is
# stopped as a user stops it (QMP quit) and must have printed nothing.
#
# Then the loop guest (guest-init's e2e.mode=loop) on a device cabled back
# to itself, as a new user first tries it: every frame the guest sends
# must come back to it, and QEMU, after the guest powers off, must have
# printed nothing and exited 0 -- its stop sequence (GET_VRING_BASE on a
# running device, then after a reset) must find each ring where the
# device really left it.
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
	"$QMP" "/tmp/$name.qmp" quit >/dev/null
	wait $qpid
	t_expect_eq "$name-qemu-exit" 0 $?
	complaints=$(cat "$VDPA_OUT/$name.stderr")
	grep '^e2e:' "$con" | head -n 8
	t_check "$name-guest-up" grep -q '^e2e: up ' "$con"
	t_expect_eq "$name-guest-pings" 3 "$(grep -c '^e2e: ping [123] ok' "$con")"
	# The guest's RAM above 1 MiB (255 MiB) at least was pinned.
	t_check "$name-pinned" test "$pinned" -ge $((255 * 1024))
	line=$(ip -s link show "$hif" | awk '/RX:/ { getline; print $2 }')
	t_check "$name-host-received" test "${line:-0}" -gt 0
	t_expect_eq "$name-qemu-quiet" "" "$complaints"
}

# loop NAME DEV: the loop guest on vDPA device DEV (cabled to itself).
loop() {
	local name=$1 con=$VDPA_OUT/$1.console i rc=timeout counts

	t_expect_eq "$name-bound" vhost_vdpa "$(driver_of "$2")"
	GUEST_ARGS=e2e.mode=loop qemu_start "$name" \
		"vhost-vdpa,vhostdev=/dev/$(chardev_of "$2")"
	# As long as guest() allows: under TCG in a loaded VM the nested
	# guest's boot alone has taken over two minutes.
	for i in $(seq 300); do
		kill -0 $qpid 2>/dev/null || break
		sleep 1
	done
	if kill -0 $qpid 2>/dev/null; then
		kill -9 $qpid
		wait $qpid
	else
		wait $qpid
		rc=$?
	fi
	grep '^e2e:' "$con" | head -n 20
	counts=$(tr -d '\r' <"$con" | sed -n 's/^e2e: loop tx \([0-9]*\) rx \([0-9]*\)$/\1 \2/p')
	# 20 ARP requests, IPv6's own frames besides.
	t_check "$name-finished" test -n "$counts"
	# Without the guest's last line the next two fail too, not pass.
	[ -n "$counts" ] || counts="0 -1"
	t_check "$name-sent" test "${counts% *}" -ge 20
	t_expect_eq "$name-all-back" "${counts% *}" "${counts#* }"
	t_expect_eq "$name-qemu-exit" 0 "$rc"
	t_expect_eq "$name-qemu-quiet" "" "$(cat "$VDPA_OUT/$name.stderr")"
}

ulimit -l unlimited
modprobe vhost_vdpa && modprobe vdpa_sim_net || exit 1
echo netdev >/sys/module/vdpa_sim_net/parameters/wire
t_check sim-add vdpa dev add name g0 mgmtdev vdpasim_net mac $GUEST_MAC
echo loopback >/sys/module/vdpa_sim_net/parameters/wire
guest sim g0 g0
t_check sim-del vdpa dev del g0
t_check simloop-add vdpa dev add name g1 mgmtdev vdpasim_net mac $GUEST_MAC
loop simloop g1
t_check simloop-del vdpa dev del g1

modprobe cxemu wire=netdev && modprobe cxvdpa || exit 1
t_check cx-add vdpa dev add name c0 mgmtdev auxiliary/cxemu.vnet.0 mac $GUEST_MAC
guest cx c0 cxemu.vnet.0
t_check cx-del vdpa dev del c0
RES=/sys/kernel/debug/cxemu/vnet.0/resources
t_expect_eq cx-nothing-held "mkey 0 vq 0 leaked 0" \
	"$(grep '^mkey ' $RES) $(grep '^vq ' $RES) $(grep '^leaked ' $RES)"
modprobe -r cxvdpa cxemu && modprobe cxemu wire=loopback && modprobe cxvdpa || exit 1
t_check cxloop-add vdpa dev add name c1 mgmtdev auxiliary/cxemu.vnet.0 mac $GUEST_MAC
loop cxloop c1
t_check cxloop-del vdpa dev del c1
t_check rmmod modprobe -r cxvdpa cxemu vhost_vdpa vdpa_sim_net
