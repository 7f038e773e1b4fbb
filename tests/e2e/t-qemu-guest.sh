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

GUEST=$VDPA_REPO/build/guest
MAC=52:54:00:00:00:02
host_of() {
	local n

	for n in /sys/class/net/*; do
		[ "$(cat "$n/phys_port_name" 2>/dev/null)" = "$1" ] && basename "$n"
	done
}

# pin_max: the most QEMU ($q) had pinned so far, in KiB, in $pinned.
pin_max() {
	local now

	now=$(awk '/^VmPin:/ { print $2 }' "/proc/$q/status" 2>/dev/null)
	[ "${now:-0}" -le "$pinned" ] || pinned=$now
}

# guest NAME DEV HOSTPORT: run the guest on vDPA device DEV whose host
# interface has phys_port_name HOSTPORT; check it pinged through.
guest() {
	local name=$1 dev=$2 hif con=$VDPA_OUT/$1.console q i pinned=0 line complaints

	hif=$(host_of "$3")
	t_expect_eq "$name-bound" vhost_vdpa "$(driver_of "$dev")"
	ip addr add 10.77.0.1/24 dev "$hif"
	ip link set "$hif" up
	qemu-system-x86_64 -machine q35,accel=tcg -cpu qemu64 -smp 1 -m 256M \
		-nodefaults -no-user-config -display none -monitor none \
		-kernel "$GUEST/vmlinuz" -initrd "$GUEST/initramfs.gz" \
		-append "console=ttyS0 quiet e2e.ip=10.77.0.2/24 e2e.peer=10.77.0.1" \
		-netdev "vhost-vdpa,id=n0,vhostdev=/dev/$(chardev_of "$dev")" \
		-device "virtio-net-pci,netdev=n0,mac=$MAC,page-per-vq=on,romfile=" \
		-serial "file:$con" 2>"$VDPA_OUT/$name.stderr" &
	q=$!
	for i in $(seq 300); do
		grep -q '^e2e: ping 3 ' "$con" 2>/dev/null && break
		kill -0 $q 2>/dev/null || break
		pin_max
		sleep 1
	done
	pin_max
	# What QEMU said while the guest ran (not while it shuts down).
	complaints=$(cat "$VDPA_OUT/$name.stderr")
	kill $q
	wait $q
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
t_check sim-add vdpa dev add name g0 mgmtdev vdpasim_net mac $MAC
echo loopback >/sys/module/vdpa_sim_net/parameters/wire
guest sim g0 g0
t_check sim-del vdpa dev del g0

modprobe cxemu wire=netdev && modprobe cxvdpa || exit 1
t_check cx-add vdpa dev add name c0 mgmtdev auxiliary/cxemu.vnet.0 mac $MAC
guest cx c0 cxemu.vnet.0
t_check cx-del vdpa dev del c0
RES=/sys/kernel/debug/cxemu/vnet.0/resources
t_expect_eq cx-nothing-held "mkey 0 vq 0 leaked 0" \
	"$(grep '^mkey ' $RES) $(grep '^vq ' $RES) $(grep '^leaked ' $RES)"
t_check rmmod modprobe -r cxvdpa cxemu vhost_vdpa vdpa_sim_net
