#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The mlx5-style parent (cxvdpa) on the emulated ConnectX-like function
# (cxemu), through the same clients as the simulator: the whole userspace
# vhost-vdpa suite; virtio_net over virtio_vdpa (loopback frames checked
# byte for byte, the MAC set through the software control queue); a
# device deleted while frames flow; a VMM holding the device while it is
# deleted or while the auxiliary device is unbound (hot-unplug); driver
# switching; the net part of t-virtio-vdpa.sh; the host-interface wire (ping between a namespace holding the
# virtio_net interface and the host side). After each part the function holds nothing of the device's:
# the emulator's own accounting says so.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vhost_lib.sh"

MGMT=auxiliary/cxemu.vnet.0
DBG=/sys/kernel/debug/cxemu/vnet.0
AUXDRV=/sys/bus/auxiliary/drivers/cxvdpa.vnet

[ -x "$BIN" ] || { echo "no $BIN: run make tests"; exit 1; }
modprobe cxemu && modprobe cxvdpa && modprobe vhost_vdpa || exit 1
trap 'ip netns del vcx 2>/dev/null; vdpa dev del cx0 2>/dev/null
      modprobe -r vhost_vdpa virtio_vdpa cxvdpa cxemu' EXIT
ulimit -l unlimited
echo 4 >/proc/sys/vm/nr_hugepages

# What the function holds beyond the parent's PD: "mkey N vq N leaked N".
held() {
	echo "$(grep '^mkey ' $DBG/resources) $(grep '^vq ' $DBG/resources)" \
	     "$(grep '^leaked ' $DBG/resources)"
}
netdev_of() { ls "/sys/bus/vdpa/devices/$1/"virtio*/net/ 2>/dev/null; }
loopback() { python3 "$(dirname "$0")/net_loopback.py" "$@"; }

# Driver switching, then the virtio-vdpa suite's net part (rebinding,
# driver_override, deleting bound devices, unloading the parent under a
# driver) on this parent. make check-long runs the client's reopen loop
# (REOPEN_ROUNDS, vhost_lib.sh), then this alone, where t-virtio-vdpa.sh
# runs only its rebinding and its exit unloads the parent.
switch_and_rebind() {
	T_NAME=$T_NAME:switch ROUNDS=$(rounds 1 5) MGMT=$MGMT PARENT_MODULES="cxemu cxvdpa" \
		bash "$(dirname "$0")/t-driver-switch.sh"
	t_expect_eq switch-exit-status 0 $?
	modprobe cxemu && modprobe cxvdpa || exit 1
	t_expect_eq switch-nothing-held "mkey 0 vq 0 leaked 0" "$(held)"

	T_NAME=$T_NAME:virtio MGMT=$MGMT NET_MODULE=cxvdpa BLK=no \
		bash "$(dirname "$0")/t-virtio-vdpa.sh"
	t_expect_eq virtio-exit-status 0 $?
	t_expect_eq rmmod-parent-disabled "enabled 0" "$(grep '^enabled ' $DBG/resources)"
	t_expect_eq rmmod-parent-nothing-held "mkey 0 vq 0 leaked 0" "$(held)"
}
if long_tier; then
	t_check reopen-add vdpa dev add name cx0 mgmtdev "$MGMT"
	tap reopen "$BIN" reopen "/dev/$(chardev_of cx0)"
	t_check reopen-del vdpa dev del cx0
	t_expect_eq reopen-nothing-held "mkey 0 vq 0 leaked 0" "$(held)"
	switch_and_rebind
	exit 0
fi

t_expect_eq mgmtdev-listed 1 "$(vdpa mgmtdev show | grep -c "^$MGMT:")"
t_check add-bad-vqp sh -c "! vdpa dev add name cx0 mgmtdev $MGMT max_vqp 9 2>/dev/null"
# iproute2's whole flow on this management device: every net attribute on
# add, then show, config show, vstats (not offered), del.
t_expect_eq flow-mgmtdev-class 1 "$(vdpa mgmtdev show "$MGMT" | grep -c '^  supported_classes net$')"
t_expect_eq flow-mgmtdev-vqs 1 "$(vdpa mgmtdev show "$MGMT" | grep -c '^  max_supported_vqs 17$')"
t_check flow-add vdpa dev add name cx0 mgmtdev "$MGMT" mac 02:00:00:00:07:21 mtu 1400 max_vqp 4
t_check flow-dev-show sh -c "vdpa dev show cx0 | grep -q '^cx0: type network mgmtdev $MGMT .* max_vqs 9 '"
CFG=$(vdpa dev config show cx0)
echo "$CFG"
for want in "mac 02:00:00:00:07:21" "mtu 1400" "max_vq_pairs 4"; do
	t_check "flow-config-${want%% *}" grep -q " $want\b" <<<"$CFG"
done
# iproute2 6.1 exits 0 on this error; its output is the check.
t_expect_eq flow-vstats-refused \
	"Error: device has no vendor statistics.|kernel answers: Operation not supported" \
	"$(vdpa dev vstats show cx0 qidx 0 2>&1 | paste -sd '|')"
t_check flow-del vdpa dev del cx0
t_expect_eq flow-gone "" "$(vdpa dev show cx0 2>/dev/null)"
t_check add vdpa dev add name cx0 mgmtdev "$MGMT"
t_check add-second-refused sh -c "! vdpa dev add name cx1 mgmtdev $MGMT 2>/dev/null"
t_expect_eq bound vhost_vdpa "$(driver_of cx0)"
# The identity map of both address spaces: one physical key each.
t_expect_eq identity-keys "mkey 2 vq 0 leaked 0" "$(held)"
tap vhost "$BIN" net "/dev/$(chardev_of cx0)"
# Device dirty-page tracking through the function's page tracker: the
# pre-copy migration must copy the memory exactly; then the vhost log
# unmodified QEMU uses, on the same tracker. Stopping (and closing) gives
# back the tracker, its report queue and its key.
tap dirty "$BIN" dirty "/dev/$(chardev_of cx0)"
tap vhostlog env CXEMU_DBG="$DBG" "$BIN" vhostlog "/dev/$(chardev_of cx0)"
t_expect_eq dirty-nothing-held "mkey 2 vq 0 leaked 0 tracker 0 track_rq 0" \
	"$(held) $(grep '^tracker ' $DBG/resources) $(grep '^track_rq ' $DBG/resources)"
t_check del vdpa dev del cx0
t_expect_eq vhost-nothing-held "mkey 0 vq 0 leaked 0" "$(held)"
# An odd function: one range per tracker, 64 KiB pages at least, a 16 MiB
# address space (read by cxvdpa when the device is added); then a tracker
# that fails.
saved=$(cat $DBG/pg_track_max_num_range $DBG/pg_track_log_min_page_size \
	$DBG/pg_track_log_max_addr_space)
echo 1 >$DBG/pg_track_max_num_range
echo 16 >$DBG/pg_track_log_min_page_size
echo 24 >$DBG/pg_track_log_max_addr_space
t_check odd-add vdpa dev add name cx0 mgmtdev "$MGMT"
tap dirtyodd env CXEMU_DBG="$DBG" "$BIN" dirtyodd "/dev/$(chardev_of cx0)"
t_check odd-del vdpa dev del cx0
read -r r p a <<<"$(echo $saved)"
echo "$r" >$DBG/pg_track_max_num_range
echo "$p" >$DBG/pg_track_log_min_page_size
echo "$a" >$DBG/pg_track_log_max_addr_space
t_expect_eq odd-nothing-held "mkey 0 vq 0 leaked 0 tracker 0 track_rq 0" \
	"$(held) $(grep '^tracker ' $DBG/resources) $(grep '^track_rq ' $DBG/resources)"
# The control queue is at 2 without MQ; a queue the features do not give
# the device gets no object, so none can escape teardown.
t_check cvqidx-add vdpa dev add name cx0 mgmtdev "$MGMT" max_vqp 8
tap cvqidx "$BIN" cvqidx "/dev/$(chardev_of cx0)"
tap strayvq env CXEMU_DBG="$DBG" "$BIN" strayvq "/dev/$(chardev_of cx0)"
t_expect_eq cvqidx-identity-keys "mkey 2 vq 0 leaked 0" "$(held)"
t_check cvqidx-del vdpa dev del cx0
t_expect_eq cvqidx-nothing-held "mkey 0 vq 0 leaked 0" "$(held)"

removal dev-del "vdpa dev del cx0" cx0 "$MGMT"
t_expect_eq dev-del-nothing-held "mkey 0 vq 0 leaked 0" "$(held)"
removal aux-unbind "echo cxemu.vnet.0 >$AUXDRV/unbind" cx0 "$MGMT"
t_expect_eq aux-unbind-disabled "enabled 0" "$(grep '^enabled ' $DBG/resources)"
t_expect_eq aux-unbind-nothing-held "mkey 0 vq 0 leaked 0" "$(held)"
t_check aux-rebind sh -c "echo cxemu.vnet.0 >$AUXDRV/bind"
t_expect_eq aux-rebind-mgmtdev 1 "$(vdpa mgmtdev show | grep -c "^$MGMT:")"

modprobe -r vhost_vdpa
modprobe virtio_vdpa || exit 1
t_check net-add vdpa dev add name cx0 mgmtdev "$MGMT" mac 02:00:00:00:07:01 max_vqp 2
IF=$(netdev_of cx0)
t_expect_eq net-netdev 1 "$(echo "$IF" | wc -w)"
sysctl -qw "net.ipv6.conf.$IF.disable_ipv6=1"
t_check net-up ip link set "$IF" up
t_check net-loopback-frames loopback "$IF" 60 61 1000 1514
# The frames went through the function's queue objects (a TX queue of
# either pair, as the stack picks), not around them.
t_check net-through-objects grep -q '^[13] rdy received [1-9]' $DBG/queues
t_check net-cvq-mac ip link set "$IF" address 02:00:00:00:07:02
t_expect_eq net-cvq-mac-config 02:00:00:00:07:02 \
	"$(vdpa -j dev config show cx0 | python3 -c \
		'import json,sys; print(json.load(sys.stdin)["config"]["cx0"]["mac"])')"
t_check net-loopback-new-mac loopback "$IF" 100
# Deleted while frames flow.
( while loopback "$IF" 1000 1000 1000 >/dev/null 2>&1; do :; done ) &
flow=$!
sleep 2
t_check del-during-traffic timeout 30 vdpa dev del cx0
wait "$flow"
t_expect_eq del-during-traffic-nothing-held "mkey 0 vq 0 leaked 0" "$(held)"
modprobe -r virtio_vdpa

switch_and_rebind

# Host-interface wire: the function is cabled to cxemuN, whose
# phys_port_name is the function's name.
modprobe -r cxemu
modprobe cxemu wire=netdev && modprobe cxvdpa && modprobe virtio_vdpa || exit 1
HIF=$(host_of cxemu.vnet.0)
t_expect_eq hostif-exists cxemu "${HIF%%[0-9]*}"
t_check hostif-add vdpa dev add name cx0 mgmtdev "$MGMT" mac 02:00:00:00:07:11
GIF=$(netdev_of cx0)
ip netns add vcx
t_check hostif-netns ip link set "$GIF" netns vcx
t_check hostif-guest-addr ip -n vcx addr add 10.78.0.2/24 dev "$GIF"
t_check hostif-guest-up ip -n vcx link set "$GIF" up
t_check hostif-host-addr ip addr add 10.78.0.1/24 dev "$HIF"
t_check hostif-host-up ip link set "$HIF" up
for _ in $(seq 50); do
	[ "$(cat "/sys/class/net/$HIF/carrier")" = 1 ] && break
	sleep 0.1
done
t_expect_eq hostif-carrier 1 "$(cat "/sys/class/net/$HIF/carrier")"
t_check hostif-ping-guest ping -c 3 -i 0.2 -W 5 10.78.0.2
t_check hostif-ping-host ip netns exec vcx ping -c 3 -i 0.2 -W 5 10.78.0.1
t_check hostif-ping-large ping -c 2 -W 5 -s 1400 10.78.0.2
ip netns del vcx
t_check hostif-del vdpa dev del cx0
t_check hostif-rmmod modprobe -r virtio_vdpa cxvdpa cxemu
t_expect_eq hostif-gone "" "$(ls -d /sys/class/net/"$HIF" 2>/dev/null)"
