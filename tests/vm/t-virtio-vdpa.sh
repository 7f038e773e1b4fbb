#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The kernel's own virtio drivers on the simulated devices through
# virtio_vdpa: real frames through the net device's loopback (checked
# byte for byte on a packet socket), real I/O on the blk device (pattern,
# ext4, discard), and devices deleted, unbound and rebound while in use.
#
# t-cxvdpa.sh runs the net part against the mlx5-style parent: MGMT names
# the management device, NET_MODULE the parent's module, BLK=no leaves the
# blk device out.
. "$(dirname "$0")/lib.sh"

MGMT=${MGMT:-vdpasim_net}
NET_MODULE=${NET_MODULE:-vdpa_sim_net}
BLK=${BLK:-yes}
[ "$BLK" = yes ] && BLK_MODULE=vdpa_sim_blk || BLK_MODULE=

for m in $NET_MODULE $BLK_MODULE virtio_vdpa; do
	modprobe "$m" || exit 1
done
# shellcheck disable=SC2086 # BLK_MODULE may be empty
trap 'vdpa dev del net0 2>/dev/null; vdpa dev del blk0 2>/dev/null;
      modprobe -r virtio_vdpa $NET_MODULE $BLK_MODULE' EXIT

netdev_of() { ls "/sys/bus/vdpa/devices/$1/"virtio*/net/ 2>/dev/null; }
disk_of() { ls "/sys/bus/vdpa/devices/$1/"virtio*/block/ 2>/dev/null; }

# Send frames of the given sizes on $1 and expect each back unchanged.
loopback() { python3 "$(dirname "$0")/net_loopback.py" "$@"; }

# Unbind and rebind net0 while the devices are in use; the driver comes
# back: what make check-long repeats, and runs alone.
rebind_loop() {
	local i n passed=0

	n=$(rounds 1 10)
	for i in $(seq "$n"); do
		echo net0 >/sys/bus/vdpa/drivers/virtio_vdpa/unbind || break
		echo net0 >/sys/bus/vdpa/drivers/virtio_vdpa/bind || break
		IF=$(netdev_of net0)
		ip link set "$IF" up && loopback "$IF" 200 || break
		passed=$i
	done
	t_expect_eq rebind-rounds "$n" "$passed"
}

t_check net-add vdpa dev add name net0 mgmtdev "$MGMT" mac 02:00:00:00:00:01
t_expect_eq net-netdev-appears 1 "$(netdev_of net0 | wc -w)"
IF=$(netdev_of net0)
# No IPv6 chatter: the counters below must count only our frames.
sysctl -qw "net.ipv6.conf.$IF.disable_ipv6=1"
t_check net-up ip link set "$IF" up
t_expect_eq net-mac "02:00:00:00:00:01" "$(cat /sys/class/net/$IF/address)"
t_check net-loopback-frames loopback "$IF" 60 61 1000 1514
if long_tier; then
	rebind_loop
	exit 0
fi
# The simulator's vendor statistics (cxvdpa offers none): every frame
# sent went through TX queue 1 and came back on RX queue 0.
if [ "$MGMT" = vdpasim_net ]; then
	# The device works asynchronously: give it a moment to catch up.
	sent=$(cat /sys/class/net/$IF/statistics/tx_packets)
	for i in $(seq 50); do
		line=$(vdpa dev vstats show net0 qidx 1)
		[ "$line" = "net0: queue_type tx received_desc $sent completed_desc $sent " ] && break
		sleep 0.1
	done
	t_expect_eq net-vstats-tx "net0: queue_type tx received_desc $sent completed_desc $sent " "$line"
	rx=$(vdpa -j dev vstats show net0 qidx 0 | python3 -c \
		'import json,sys; d=json.load(sys.stdin)["vstats"]["net0"]; print(d["received_desc"], d["completed_desc"])')
	t_expect_eq net-vstats-rx "$sent $sent" "$rx"
fi
t_expect_eq net-rx-equals-tx "$(cat /sys/class/net/$IF/statistics/tx_packets)" \
	"$(cat /sys/class/net/$IF/statistics/rx_packets)"
# The MAC set through the control queue is the device's MAC.
t_check net-cvq-mac ip link set "$IF" address 02:00:00:00:00:02
t_expect_eq net-cvq-mac-config "vdpa0-mac 02:00:00:00:00:02" \
	"vdpa0-mac $(vdpa -j dev config show net0 | python3 -c \
		'import json,sys; print(json.load(sys.stdin)["config"]["net0"]["mac"])')"
t_check net-loopback-new-mac loopback "$IF" 100

if [ "$BLK" = yes ]; then
	t_check blk-add vdpa dev add name blk0 mgmtdev vdpasim_blk
	DISK=/dev/$(disk_of blk0)
	t_expect_eq blk-disk-appears 1 "$(disk_of blk0 | wc -w)"
	t_expect_eq blk-size $((128 << 20)) "$(blockdev --getsize64 "$DISK")"
	t_expect_eq blk-serial vdpasim_blk "$(cat /sys/block/$(disk_of blk0)/serial)"
	head -c $((3 << 20)) /dev/urandom >/tmp/pattern
	t_check blk-write dd if=/tmp/pattern of="$DISK" bs=64k seek=7 oflag=direct status=none
	t_check blk-read-back sh -c "dd if=$DISK bs=64k skip=7 count=48 iflag=direct status=none | cmp - /tmp/pattern"
	t_check blk-mkfs mkfs.ext4 -q -F "$DISK"
	t_check blk-mount mount "$DISK" /mnt
	t_check blk-file sh -c 'cp /tmp/pattern /mnt/p && sync && cmp /mnt/p /tmp/pattern'
	t_check blk-umount umount /mnt
	t_check blk-discard blkdiscard -f "$DISK"
	t_expect_eq blk-discarded-reads-zero 0 \
		"$(dd if=$DISK bs=1M count=8 iflag=direct status=none | tr -d '\0' | wc -c)"
	t_check blk-zeroout blkdiscard -z -f -o 1048576 -l 1048576 "$DISK"
fi

rebind_loop

# driver_override naming no driver keeps the device unbound.
t_check override-unbind sh -c 'echo net0 >/sys/bus/vdpa/drivers/virtio_vdpa/unbind'
t_check override-set sh -c 'echo none >/sys/bus/vdpa/devices/net0/driver_override'
echo net0 >/sys/bus/vdpa/drivers_probe
t_expect_eq override-stays-unbound "" "$(netdev_of net0)"
t_check override-clear sh -c 'echo >/sys/bus/vdpa/devices/net0/driver_override'
echo net0 >/sys/bus/vdpa/drivers_probe
t_expect_eq override-cleared-binds 1 "$(netdev_of net0 | wc -w)"

# Deleting bound devices in use, and unloading the parent under a driver.
ip link set "$(netdev_of net0)" up
t_check del-bound-net vdpa dev del net0
[ "$BLK" = yes ] && t_check del-bound-blk vdpa dev del blk0
t_check readd vdpa dev add name net0 mgmtdev "$MGMT"
t_check rmmod-parent-while-bound modprobe -r "$NET_MODULE"
t_expect_eq rmmod-gone "" "$(ls /sys/bus/vdpa/devices)"
