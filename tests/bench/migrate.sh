#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Live migration under load, for make bench (tests/bench/run.sh runs it in
# the bench VM): a guest under QEMU 7.2 (scripts/guest-image.sh) receives
# one TCP stream, sent as fast as it takes it, over the host interfaces of
# two vDPA devices of one parent joined by a hub (tests/e2e/lib.sh), and
# migrates N times between the two, back and forth.
#
#   migrate.sh PARENT MODE N
#
# PARENT is sim (vdpa_sim_net) or cx (cxvdpa on cxemu); MODE is svq
# (-netdev vhost-vdpa,x-svq=on: QEMU's shadow virtqueues relay every
# packet and log what the device writes) or log (no x-svq: the device's
# own dirty log, through VHOST_F_LOG_ALL). The simulator's devices offer
# the feature set x-svq accepts in both modes, so the two compare the
# logging and nothing else; cxvdpa cannot be provisioned, so it runs in
# log mode only.
#
# Prints one line per migration:
#
#   total_ms T downtime_ms D stall_ms S before_mbps B during_mbps R after_mbps A
#
# T and D as QEMU's query-migrate reports them (total time, and how long
# the guest was stopped); S the longest time the guest acknowledged no new
# byte, from the migrate command to 5 s after the migration ended; B, R
# and A the guest's receive rate (bytes it acknowledged) in the 5 s
# before, from the command until the migration ended, and in the 5 s from
# 1 s after it. Exits 1, with the reason on its last line, when a guest,
# a migration or the stream fails, or when the guest did not receive
# exactly the bytes sent.
set -u
. "$VDPA_REPO/tests/vm/lib.sh"
. "$VDPA_REPO/tests/vm/vhost_lib.sh"
. "$VDPA_REPO/tests/e2e/lib.sh"

parent=${1:?usage: migrate.sh sim|cx svq|log N}
mode=${2:?usage: migrate.sh sim|cx svq|log N}
count=${3:?usage: migrate.sh sim|cx svq|log N}
NS="ns-mbench"
SOCK=/tmp/mbench.sock
STOP=/tmp/mbench.stop
SAMPLES=$VDPA_OUT/mbench-$parent-$mode.samples
SENT=$VDPA_OUT/mbench-$parent-$mode.sent
qemus=()
sender=
relay=

cleanup() {
	local d

	[ ${#qemus[@]} -eq 0 ] || kill "${qemus[@]}" 2>/dev/null
	[ -z "$sender" ] || kill "$sender" 2>/dev/null
	[ -z "$relay" ] || kill "$relay" 2>/dev/null
	wait
	ip netns del "$NS" 2>/dev/null
	for d in mb0 mb1; do
		[ -e "/sys/bus/vdpa/devices/$d" ] && vdpa dev del "$d"
	done
	rm -f "$SOCK" "$STOP"
}
trap cleanup EXIT

# diagnose: what the devices, the hub and every QEMU still running say,
# for the log of a run that failed.
diagnose() {
	local d q path n

	for d in mb0 mb1; do
		echo "$d: status $(cat "/sys/kernel/debug/vdpa_sim/$d/status" 2>/dev/null)"
	done
	ip -n "$NS" -s link 2>&1
	for q in /tmp/"$parent-$mode"-q*.qmp; do
		[ -S "$q" ] || continue
		echo "$(basename "$q"): $("$QMP" "$q" query-status --field status 2>&1)"
		path=$("$QMP" "$q" x-query-virtio 2>/dev/null | jq -r '.[0].path')
		for n in 0 1; do
			"$QMP" "$q" x-query-virtio-queue-status \
				"{\"path\": \"$path\", \"queue\": $n}" 2>&1 |
				jq -c '{queue: .["queue-index"], "last-avail-idx", "shadow-avail-idx", "used-idx", "inuse"}'
		done
	done
	dmesg | tail -n 20
}

fail() {
	echo "$parent-$mode: $*"
	diagnose 2>&1 | sed 's/^/    /'
	echo "$parent-$mode: $*"
	exit 1
}

# rates T0 T1: the line described above, from $SAMPLES, for a migration
# commanded at wall-clock time T0 that took T1 seconds.
rates() {
	python3 - "$SAMPLES" "$1" "$2" <<'EOF'
import sys
s = [tuple(map(float, l.split())) for l in open(sys.argv[1]) if len(l.split()) == 2]
t0, t1 = float(sys.argv[2]), float(sys.argv[2]) + float(sys.argv[3])


def acked(t):
    """Bytes acknowledged by time t (the last sample at or before it)."""
    b = 0
    for ts, n in s:
        if ts > t:
            break
        b = n
    return b


def mbps(a, b):
    return (acked(b) - acked(a)) * 8 / 1e6 / (b - a)


stall, last = 0.0, None
for ts, n in s:
    if ts < t0 or ts > t1 + 5:
        continue
    if last is None or n > last[1]:
        if last is not None:
            stall = max(stall, ts - last[0])
        last = (ts, n)
if last is not None:
    stall = max(stall, min(t1 + 5, s[-1][0]) - last[0])
print('stall_ms %.0f before_mbps %.2f during_mbps %.2f after_mbps %.2f' %
      (stall * 1000, mbps(t0 - 5, t0), mbps(t0, t1), mbps(t1 + 1, t1 + 6)))
EOF
}

case $parent in
sim)
	modprobe vdpa_sim_net || fail "modprobe vdpa_sim_net"
	echo netdev >/sys/module/vdpa_sim_net/parameters/wire
	for d in mb0 mb1; do
		python3 "$VDPA_REPO/tests/vm/vdpa_nl.py" dev_new "dev_name=$d" \
			mgmtdev_dev_name=vdpasim_net "mac=$GUEST_MAC" \
			"dev_features=$SVQ_FEATURES" || fail "vdpa dev add $d"
	done
	echo loopback >/sys/module/vdpa_sim_net/parameters/wire
	ports=(mb0 mb1)
	;;
cx)
	[ "$mode" = log ] || fail "x-svq refuses cxvdpa's features"
	modprobe cxemu nr_functions=2 wire=netdev && modprobe cxvdpa || fail "modprobe cxvdpa"
	for i in 0 1; do
		vdpa dev add name "mb$i" mgmtdev "auxiliary/cxemu.vnet.$i" mac "$GUEST_MAC" ||
			fail "vdpa dev add mb$i"
	done
	ports=(cxemu.vnet.0 cxemu.vnet.1)
	;;
*)
	fail "no such parent"
	;;
esac
modprobe vhost_vdpa || fail "modprobe vhost_vdpa"
netdev_opts=
log_all=1
# x-svq refuses a device that offers VHOST_F_LOG_ALL.
[ "$mode" = svq ] && netdev_opts=,x-svq=on log_all=0
for d in mb0 mb1; do
	echo "$log_all" >"/sys/bus/vdpa/devices/$d/$(chardev_of "$d")/log_all"
done
hub "$NS" "${ports[@]}"

# QEMU number k (its console $VDPA_OUT/PARENT-MODE-qK.console) runs on
# device mb(k % 2); migration i goes from QEMU i - 1 to QEMU i.
GUEST_ARGS=e2e.mode=recv qemu_start "$parent-$mode-q0" "vhost-vdpa,vhostdev=/dev/$(chardev_of mb0)$netdev_opts"
qemus+=("$qpid")
wait_until 300 three_pings "$parent-$mode-q0" || fail "the guest did not come up"
rm -f "$STOP"
ip netns exec "$NS" python3 "$VDPA_REPO/tests/e2e/send.py" 10.77.0.2 5000 0 "$STOP" "$SAMPLES" \
	>"$SENT" 2>&1 &
sender=$!
echo "QEMU's migration parameters: $("$QMP" "/tmp/$parent-$mode-q0.qmp" \
	query-migrate-parameters | jq -c '{"max-bandwidth", "downtime-limit"}')"
sleep 8
for i in $(seq "$count"); do
	src=$parent-$mode-q$((i - 1))
	dst=$parent-$mode-q$i
	rm -f "$SOCK"
	GUEST_ARGS=e2e.mode=recv qemu_start "$dst" \
		"vhost-vdpa,vhostdev=/dev/$(chardev_of "mb$((i % 2))")$netdev_opts" \
		-incoming "unix:$SOCK"
	qemus+=("$qpid")
	wait_until 60 test -S "$SOCK" || fail "$dst: no incoming socket"
	t0=$(date +%s.%N)
	"$QMP" "/tmp/$src.qmp" migrate "{\"uri\": \"unix:$SOCK\"}" >/dev/null ||
		fail "$src: migrate refused"
	status=
	wait_until 300 migration_over "$src"
	[ "$status" = completed ] || fail "$src: migration $status"
	info=$("$QMP" "/tmp/$src.qmp" query-migrate)
	total=$(echo "$info" | jq '."total-time"')
	down=$(echo "$info" | jq '.downtime')
	[ "$("$QMP" "/tmp/$dst.qmp" query-status --field status)" = running ] ||
		fail "$dst: not running after the migration"
	# The source QEMU lets go of its device for the next migration back.
	"$QMP" "/tmp/$src.qmp" quit >/dev/null
	wait "${qemus[0]}"
	qemus=("${qemus[@]:1}")
	# The 5 s after this migration, and before the next.
	sleep 7
	echo "total_ms $total downtime_ms $down $(rates "$t0" "$(echo "$total" | awk '{ print $1 / 1000 }')")"
done
touch "$STOP"
wait "$sender"
rc=$?
sender=
[ $rc -eq 0 ] || fail "the sender failed: $(cat "$SENT")"
wait_until 60 grep -q '^e2e: recv ' "$VDPA_OUT/$dst.console" || fail "$dst: no checksum from the guest"
got=$(tr -d '\r' <"$VDPA_OUT/$dst.console" | sed -n 's/^e2e: recv //p')
[ "$got" = "$(cut -d' ' -f1 "$SENT")" ] ||
	fail "the guest received other bytes than were sent ($got, sent $(cat "$SENT"))"
for e in "$VDPA_OUT/$parent-$mode"-q*.stderr; do
	[ -s "$e" ] && fail "QEMU printed: $(head -n 3 "$e")"
done
exit 0
