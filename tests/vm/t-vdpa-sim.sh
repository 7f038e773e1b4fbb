#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The simulator's own features through virtio_vdpa: the host-interface
# wire (ping between a network namespace holding the virtio_net interface
# and the host interface), link status through the config interrupt,
# split and packed rings, the debugfs status and fault injection.
. "$(dirname "$0")/lib.sh"

DBG=/sys/kernel/debug/vdpa_sim
WIRE=/sys/module/vdpa_sim_net/parameters/wire

modprobe vdpa_sim_net && modprobe virtio_vdpa || exit 1
cleanup() {
	ip netns del vsim 2>/dev/null
	vdpa dev del hnet0 2>/dev/null
	vdpa dev del snet0 2>/dev/null
	echo loopback >"$WIRE" 2>/dev/null
	echo 0 >"$DBG/fail_dma/probability" 2>/dev/null
	modprobe -r virtio_vdpa vdpa_sim_net
}
trap cleanup EXIT

netdev_of() { ls "/sys/bus/vdpa/devices/$1/"virtio*/net/ 2>/dev/null; }
virtio_of() { basename "$(ls -d "/sys/bus/vdpa/devices/$1/"virtio* 2>/dev/null)"; }
# Bit N of a virtio device's negotiated features (a string of 0s and 1s).
feature() { cut -c$(($2 + 1)) "/sys/bus/virtio/devices/$1/features"; }
wait_for() {
	local i

	for i in $(seq 50); do
		[ "$(eval "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

# Wire parameter: only the two names.
t_check wire-rejects-bad sh -c "! echo bogus >$WIRE"
t_expect_eq wire-default loopback "$(cat $WIRE)"

# Host-interface wire: the device's frames reach the host's stack.
echo netdev >"$WIRE"
t_check hostif-add vdpa dev add name hnet0 mgmtdev vdpasim_net mac 02:00:00:00:01:01
echo loopback >"$WIRE"
GIF=$(netdev_of hnet0)
HIF=$(host_of hnet0)
t_expect_eq hostif-exists 1 "$(echo "$HIF" | wc -w)"
ip netns add vsim
t_check hostif-netns ip link set "$GIF" netns vsim
t_check hostif-guest-addr ip -n vsim addr add 10.77.0.2/24 dev "$GIF"
t_check hostif-guest-up ip -n vsim link set "$GIF" up
t_check hostif-host-addr ip addr add 10.77.0.1/24 dev "$HIF"
t_check hostif-host-up ip link set "$HIF" up
t_check hostif-carrier wait_for "cat /sys/class/net/$HIF/carrier" 1
t_check hostif-ping-guest ping -c 3 -i 0.2 -W 5 10.77.0.2
t_check hostif-ping-host ip netns exec vsim ping -c 3 -i 0.2 -W 5 10.77.0.1
t_check hostif-ping-large ping -c 2 -W 5 -s 1400 10.77.0.2

# The receive filter (CTRL_RX): frames to another unicast MAC reach the
# guest only once its interface is promiscuous.
send_to() {
	python3 - "$HIF" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
dst = bytes.fromhex(sys.argv[2].replace(':', ''))
for _ in range(20):
    s.send(dst + bytes.fromhex('020000000102') + b'\x88\xb6' + bytes(50))
PY
}
# filter_counts: 20 test frames to another MAC, then 20 to the guest's
# own; prints "OTHER OWN", how many of each the guest's stack saw, once all
# 20 of its own have come (they went after the others, in order, so the
# device was not merely slow) or after 20 s.
filter_counts() {
	local ready=/tmp/vsim-listen.ready out=/tmp/vsim-listen.out own pid

	own=$(ip netns exec vsim cat "/sys/class/net/$GIF/address")
	rm -f "$ready" "$out"
	ip netns exec vsim python3 - "$GIF" "$own" "$ready" >"$out" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x88b6))
s.bind((sys.argv[1], 0))
s.settimeout(1)
own = bytes.fromhex(sys.argv[2].replace(':', ''))
open(sys.argv[3], 'w').close()
n = {True: 0, False: 0}
end = time.monotonic() + 20
while n[True] < 20 and time.monotonic() < end:
    try:
        frame = s.recv(2048)
    except socket.timeout:
        continue
    n[frame[:6] == own] += 1
print(n[False], n[True])
PY
	pid=$!
	wait_for "test -e $ready && echo yes" yes >/dev/null
	send_to 02:00:00:00:99:99
	send_to "$own"
	wait "$pid"
	cat "$out"
}
t_expect_eq filter-drops-other-mac "0 20" "$(filter_counts)"
ip -n vsim link set "$GIF" promisc on
t_expect_eq filter-promisc-receives "20 20" "$(filter_counts)"
ip -n vsim link set "$GIF" promisc off

# Link status: the config interrupt tells virtio_net, the host follows.
t_expect_eq link-knob 1 "$(cat $DBG/hnet0/link_up)"
t_check link-knob-rejects-bad sh -c "! echo 2 >$DBG/hnet0/link_up"
echo 0 >"$DBG/hnet0/link_up"
t_check link-down-guest wait_for "ip netns exec vsim cat /sys/class/net/$GIF/carrier" 0
t_check link-down-host wait_for "cat /sys/class/net/$HIF/carrier" 0
echo 1 >"$DBG/hnet0/link_up"
t_check link-up-guest wait_for "ip netns exec vsim cat /sys/class/net/$GIF/carrier" 1
t_check link-up-host wait_for "cat /sys/class/net/$HIF/carrier" 1
t_check link-ping-again ping -c 2 -i 0.2 -W 5 10.77.0.2

# The host carrier follows the driver: down once it resets the device.
echo hnet0 >/sys/bus/vdpa/drivers/virtio_vdpa/unbind
t_check carrier-off-without-driver wait_for "cat /sys/class/net/$HIF/carrier" 0
echo hnet0 >/sys/bus/vdpa/drivers/virtio_vdpa/bind
t_check carrier-on-with-driver wait_for "cat /sys/class/net/$HIF/carrier" 1

# Deleting the device takes the host interface with it, in use or not.
ping -q -i 0.05 -W 1 10.77.0.2 >/dev/null 2>&1 &
PING=$!
sleep 0.5
t_check hostif-del-while-busy vdpa dev del hnet0
kill "$PING" 2>/dev/null
wait "$PING" 2>/dev/null
t_expect_eq hostif-gone "" "$(host_of hnet0)"
ip netns del vsim

# Rings: packed by default, split when the device does not offer packed.
t_check packed-add vdpa dev add name snet0 mgmtdev vdpasim_net
V=$(virtio_of snet0)
t_expect_eq packed-negotiated 1 "$(feature "$V" 34)"
t_expect_eq packed-event-idx 1 "$(feature "$V" 29)"
IF=$(netdev_of snet0)
sysctl -qw "net.ipv6.conf.$IF.disable_ipv6=1"
ip link set "$IF" up
t_check packed-traffic python3 "$(dirname "$0")/net_loopback.py" "$IF" 60 1514 300
vdpa dev del snet0
# VERSION_1, ACCESS_PLATFORM, MAC, STATUS: no RING_PACKED, no EVENT_IDX.
t_expect_eq split-add ok "$(python3 "$(dirname "$0")/vdpa_nl.py" dev_new \
	mgmtdev_dev_name=vdpasim_net dev_name=snet0 dev_features=0x300010020)"
V=$(virtio_of snet0)
t_expect_eq split-negotiated 0 "$(feature "$V" 34)"
t_expect_eq split-no-event-idx 0 "$(feature "$V" 29)"
IF=$(netdev_of snet0)
sysctl -qw "net.ipv6.conf.$IF.disable_ipv6=1"
ip link set "$IF" up
t_check split-traffic python3 "$(dirname "$0")/net_loopback.py" "$IF" 60 1514 300

# fail_dma: a buffer's DMA fails, the device says DEVICE_NEEDS_RESET
# (0x40) and stops; a reset (rebinding the driver) recovers it.
t_expect_eq status-running 0x0f "$(cat $DBG/snet0/status)"
echo 0 >"$DBG/fail_dma/verbose"
echo 100 >"$DBG/fail_dma/probability"
echo 1 >"$DBG/fail_dma/times"
python3 "$(dirname "$0")/net_loopback.py" "$IF" 60 >/dev/null 2>&1
echo 0 >"$DBG/fail_dma/probability"
t_check fail-dma-needs-reset wait_for "cat $DBG/snet0/status" 0x4f
t_check fail-dma-logged sh -c "dmesg | grep -q 'snet0: vq .*: malformed ring (-14), device needs reset'"
# virtio_vdpa broke the queues, so no driver waits on them for ever.
t_check fail-dma-queues-broken sh -c "dmesg | grep -q 'virtio.*: device needs reset: its queues are broken'"
echo snet0 >/sys/bus/vdpa/drivers/virtio_vdpa/unbind
echo snet0 >/sys/bus/vdpa/drivers/virtio_vdpa/bind
IF=$(netdev_of snet0)
sysctl -qw "net.ipv6.conf.$IF.disable_ipv6=1"
ip link set "$IF" up
t_expect_eq fail-dma-recovered 0x0f "$(cat $DBG/snet0/status)"
t_check fail-dma-traffic-after-reset python3 "$(dirname "$0")/net_loopback.py" "$IF" 60 1514
t_check del-split vdpa dev del snet0
t_expect_eq debugfs-dir-gone no "$([ -e $DBG/snet0 ] && echo yes || echo no)"
