# SPDX-License-Identifier: GPL-2.0
#
# Helpers for tests/e2e/t-*.sh, sourced after tests/vm/lib.sh: the nested
# guest (scripts/guest-image.sh) under QEMU 7.2, unchanged.

GUEST=$VDPA_REPO/build/guest
GUEST_MAC=52:54:00:00:00:02
QMP=$VDPA_REPO/tests/e2e/qmp.py

# QEMU 7.2's shadow virtqueue refuses a device offering anything beyond
# VERSION_1, ACCESS_PLATFORM, ANY_LAYOUT, EVENT_IDX and, for net, MAC, MTU,
# STATUS, CTRL_VQ and CTRL_MAC_ADDR (it names CTRL_RX, INDIRECT_DESC and
# RING_PACKED, which the simulator offers by default). This is exactly that
# set. iproute2 6.1 cannot provision device features; vdpa_nl.py sends the
# VDPA_ATTR_DEV_FEATURES attribute later iproute2 sends for
# "vdpa dev add ... device_features".
# shellcheck disable=SC2034  # used by the scripts that source this
SVQ_FEATURES=0x328830028

# qemu_start NAME NETDEV [QEMU-ARGS...]: boot the guest (CPU model
# $GUEST_CPU, default qemu64 without CX16, see below) in the background
# with -netdev NETDEV (its options, without id) behind a virtio-net-pci
# whose doorbells can be mapped (page-per-vq). The guest's address is
# 10.77.0.2/24 and it pings 10.77.0.1. Sets $qpid; the console goes to
# $VDPA_OUT/NAME.console, stderr to NAME.stderr, QMP listens on
# /tmp/NAME.qmp (the 9p out directory cannot hold sockets). $GUEST_ARGS
# is added to the guest's kernel command line (e2e.mode=loop).
# QEMU 7.2's TCG can corrupt a guest's flags at a cmpxchg16b (t-migrate.sh
# found it after incoming migrations; a plain boot on -cpu qemu64 once took
# a NULL RIP in SLUB's cache setup, before any device was touched):
# without CX16 the guest kernel does not use the instruction.
qemu_start() {
	local name=$1 netdev=$2

	shift 2
	rm -f "/tmp/$name.qmp"
	qemu-system-x86_64 -machine q35,accel=tcg -cpu "${GUEST_CPU:-qemu64,-cx16}" -smp 1 -m 256M \
		-nodefaults -no-user-config -display none -monitor none \
		-kernel "$GUEST/vmlinuz" -initrd "$GUEST/initramfs.gz" \
		-append "console=ttyS0 quiet e2e.ip=10.77.0.2/24 e2e.peer=10.77.0.1 ${GUEST_ARGS:-}" \
		-netdev "$netdev,id=n0" \
		-device "virtio-net-pci,netdev=n0,mac=$GUEST_MAC,page-per-vq=on,romfile=" \
		-serial "file:$VDPA_OUT/$name.console" \
		-qmp "unix:/tmp/$name.qmp,server=on,wait=off" \
		"$@" 2>"$VDPA_OUT/$name.stderr" &
	qpid=$!
}

# pings_ok NAME: how many pings the guest on console NAME had answered.
pings_ok() {
	local n

	n=$(grep -c '^e2e: ping [0-9]* ok' "$VDPA_OUT/$1.console" 2>/dev/null)
	echo "${n:-0}"
}

# wait_until SECONDS CMD...: poll CMD once a second; false on timeout.
wait_until() {
	local n=$1

	shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		n=$((n - 1))
		sleep 1
	done
	return 1
}

# migration_over NAME: the migration out of QEMU NAME ended; its state
# (completed, failed, cancelled) in $status.
migration_over() {
	status=$("$QMP" "/tmp/$1.qmp" query-migrate --field status)
	case "$status" in completed|failed|cancelled) return 0 ;; esac
	return 1
}

# last_ping NAME, first_ping NAME: the number of the last (first) ping
# the guest on console NAME printed.
last_ping() { sed -n 's/^e2e: ping \([0-9]*\) .*/\1/p' "$VDPA_OUT/$1.console" | tail -n 1; }
first_ping() { sed -n 's/^e2e: ping \([0-9]*\) .*/\1/p' "$VDPA_OUT/$1.console" | head -n 1; }
three_pings() { [ "$(pings_ok "$1")" -ge 3 ]; }

# hub NETNS PORT...: the host interfaces with these phys_port_names, and a
# tap "peer" holding 10.77.0.1 (the guest's peer), joined by a hub
# (tests/e2e/relay.py; the VM's kernel has no bridge) in a new namespace
# NETNS; the hub's pid in $relay. A stream from the peer then survives the
# guest moving from one device to another.
hub() {
	local ns=$1 p h ifs=

	shift
	ip netns add "$ns"
	ip -n "$ns" tuntap add dev peer mode tap
	for p in "$@"; do
		h=$(host_of "$p")
		ip link set "$h" netns "$ns"
		ip -n "$ns" link set "$h" promisc on
		ip -n "$ns" link set "$h" up
		ifs="$ifs $h"
	done
	# shellcheck disable=SC2086
	ip netns exec "$ns" python3 "$VDPA_REPO/tests/e2e/relay.py" peer $ifs &
	relay=$!
	ip -n "$ns" addr add 10.77.0.1/24 dev peer
	ip -n "$ns" link set peer up
}

# unhub NETNS: stop the hub and give the interfaces back.
unhub() {
	kill "$relay"
	wait "$relay"
	relay=
	ip netns del "$1"
}
