#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Live migration without shadow virtqueues: QEMU 7.2, unchanged, with
# -netdev vhost-vdpa and no x-svq, migrates a guest between two devices of
# one parent while the device's own writes are logged through the vhost
# log (VHOST_F_LOG_ALL, drivers/vhost/vdpa_log.c). A TCP transfer into the
# guest over the devices' host interfaces spans the switch; the guest's
# checksum of what it received must equal the sender's, and the guest
# keeps running. Once on the simulator, once on the emulated ConnectX
# function; then a function without a page tracker, where QEMU must refuse
# to migrate (its "vhost lacks VHOST_F_LOG_ALL" blocker) and nothing else.
#
# The two host interfaces and the sender's address are joined by a hub,
# so the sender's connection survives the guest moving from one device to
# the other. Without x-svq QEMU does not replay
# control-queue state on the destination: both devices are provisioned
# with the guest's MAC and one queue pair, so there is none to replay.
. "$VDPA_REPO/tests/vm/lib.sh"
. "$VDPA_REPO/tests/vm/vhost_lib.sh"
. "$VDPA_REPO/tests/e2e/lib.sh"

# See t-migrate.sh: QEMU 7.2's TCG and cmpxchg16b after an incoming migration.
export GUEST_CPU=qemu64,-cx16
SEND=$VDPA_REPO/tests/e2e/send.py
SOCK=/tmp/mlog.sock
STOP=/tmp/mlog.stop
NS=ns-mlog
src=
dst=
sender=
relay=

cleanup() {
	[ -z "$src" ] || kill "$src" 2>/dev/null
	[ -z "$dst" ] || kill "$dst" 2>/dev/null
	[ -z "$sender" ] || kill "$sender" 2>/dev/null
	[ -z "$relay" ] || kill "$relay" 2>/dev/null
	wait
	ip netns del "$NS" 2>/dev/null
	rm -f "$SOCK" "$STOP"
}
trap cleanup EXIT

received() { grep -q '^e2e: recv ' "$VDPA_OUT/$1.console"; }

# migrate_log NAME SRCDEV DSTDEV: the guest on vDPA device SRCDEV receives
# a stream and moves to DSTDEV meanwhile; checks as described above.
migrate_log() {
	local name=$1 s=$1-src d=$1-dst sum got before

	rm -f "$SOCK" "$STOP"
	t_expect_eq "$name-offers-log-all" 1 \
		"$(vhost_log_all "/dev/$(chardev_of "$2")")"
	GUEST_ARGS=e2e.mode=recv qemu_start "$s" "vhost-vdpa,vhostdev=/dev/$(chardev_of "$2")"
	src=$qpid
	wait_until 300 three_pings "$s"
	grep '^e2e:' "$VDPA_OUT/$s.console" | head -n 4
	t_check "$name-src-pings" three_pings "$s"
	ip netns exec "$NS" python3 "$SEND" 10.77.0.2 5000 32 "$STOP" \
		>"$VDPA_OUT/$name.sent" 2>&1 &
	sender=$!
	# The stream runs before, during and after the migration.
	sleep 10
	GUEST_ARGS=e2e.mode=recv qemu_start "$d" "vhost-vdpa,vhostdev=/dev/$(chardev_of "$3")" \
		-incoming "unix:$SOCK"
	dst=$qpid
	wait_until 60 test -S "$SOCK"
	t_check "$name-migrate-start" "$QMP" "/tmp/$s.qmp" migrate "{\"uri\": \"unix:$SOCK\"}"
	status=
	wait_until 600 migration_over "$s"
	t_expect_eq "$name-migrate-completed" completed "$status"
	"$QMP" "/tmp/$s.qmp" query-migrate | jq -c '{"total-time", downtime, ram: .ram.transferred}'
	t_expect_eq "$name-dst-running" running \
		"$("$QMP" "/tmp/$d.qmp" query-status --field status)"
	sleep 10
	touch "$STOP"
	wait "$sender"
	sender=
	sum=$(cut -d' ' -f1 "$VDPA_OUT/$name.sent")
	echo "$name: sent $(cat "$VDPA_OUT/$name.sent")"
	wait_until 120 received "$d"
	got=$(tr -d '\r' <"$VDPA_OUT/$d.console" | sed -n 's/^e2e: recv //p')
	t_check "$name-stream-sent" sh -c "echo '$sum' | grep -qE '^[0-9a-f]{32}\$'"
	t_expect_eq "$name-data-intact" "$sum" "$got"
	before=$(last_ping "$s")
	wait_until 60 three_pings "$d"
	t_check "$name-dst-pings" three_pings "$d"
	t_check "$name-dst-same-guest" test "$(first_ping "$d")" -gt "${before:-0}"
	t_check "$name-dst-no-oops" sh -c "! grep -q 'Oops\|Kernel panic' $VDPA_OUT/$d.console"
	t_expect_eq "$name-src-quiet" "" "$(cat "$VDPA_OUT/$s.stderr")"
	t_expect_eq "$name-dst-quiet" "" "$(cat "$VDPA_OUT/$d.stderr")"
	kill "$src" "$dst"
	wait "$src" "$dst"
	src=
	dst=
}

# vhost_log_all DEV: 1 when /dev/vhost-vdpa-N offers VHOST_F_LOG_ALL.
vhost_log_all() {
	python3 - "$1" <<'EOF'
import fcntl, struct, sys
VHOST_GET_FEATURES = 0x8008af00
with open(sys.argv[1], 'rb+', buffering=0) as f:
    b = bytearray(8)
    fcntl.ioctl(f, VHOST_GET_FEATURES, b)
    print((struct.unpack('<Q', b)[0] >> 26) & 1)
EOF
}

ulimit -l unlimited
modprobe vhost_vdpa && modprobe vdpa_sim_net || exit 1
echo netdev >/sys/module/vdpa_sim_net/parameters/wire
for d in ml0 ml1; do
	t_check "sim-add-$d" vdpa dev add name "$d" mgmtdev vdpasim_net mac "$GUEST_MAC"
done
echo loopback >/sys/module/vdpa_sim_net/parameters/wire
hub "$NS" ml0 ml1
migrate_log sim ml0 ml1
unhub "$NS"
t_check sim-del sh -c 'vdpa dev del ml0 && vdpa dev del ml1'
modprobe -r vdpa_sim_net

modprobe cxemu nr_functions=3 wire=netdev && modprobe cxvdpa || exit 1
t_check cx-add-0 vdpa dev add name cl0 mgmtdev auxiliary/cxemu.vnet.0 mac "$GUEST_MAC"
t_check cx-add-1 vdpa dev add name cl1 mgmtdev auxiliary/cxemu.vnet.1 mac "$GUEST_MAC"
hub "$NS" cxemu.vnet.0 cxemu.vnet.1
migrate_log cx cl0 cl1
unhub "$NS"
t_check cx-del sh -c 'vdpa dev del cl0 && vdpa dev del cl1'

# A function without a page tracker: no VHOST_F_LOG_ALL, and QEMU's
# migration blocker refuses the migration; the guest runs on.
echo 0 >/sys/kernel/debug/cxemu/vnet.2/pg_track_max_num_range
t_check notrack-add vdpa dev add name cl2 mgmtdev auxiliary/cxemu.vnet.2 mac "$GUEST_MAC"
t_expect_eq notrack-no-log-all 0 "$(vhost_log_all "/dev/$(chardev_of cl2)")"
qemu_start notrack "vhost-vdpa,vhostdev=/dev/$(chardev_of cl2)"
src=$qpid
wait_until 60 test -S /tmp/notrack.qmp
err=$("$QMP" /tmp/notrack.qmp migrate '{"uri": "unix:/tmp/mlog-none.sock"}' 2>&1)
t_check notrack-refused test $? -ne 0
echo "notrack: $err"
t_check notrack-blocker sh -c "echo '$err' | grep -q VHOST_F_LOG_ALL"
t_expect_eq notrack-still-running running \
	"$("$QMP" /tmp/notrack.qmp query-status --field status)"
"$QMP" /tmp/notrack.qmp quit >/dev/null
wait "$src"
t_expect_eq notrack-exit 0 $?
src=
t_expect_eq notrack-quiet "" "$(cat "$VDPA_OUT/notrack.stderr")"
t_check notrack-del vdpa dev del cl2
t_check rmmod modprobe -r cxvdpa cxemu vhost_vdpa
