# SPDX-License-Identifier: GPL-2.0
#
# Helpers for the t-*.sh scripts that run the userspace vhost-vdpa client
# (build/tests/vhost_vdpa_test), sourced after lib.sh.

# The client's reopen-loop case: a few sessions in make check, 20 in check-long.
REOPEN_ROUNDS=$(rounds 4 20)
export REOPEN_ROUNDS

BIN=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/tests/vhost_vdpa_test

chardev_of() { basename "$(ls -d "/sys/bus/vdpa/devices/$1/"vhost-vdpa-* 2>/dev/null)"; }
driver_of() { basename "$(readlink "/sys/bus/vdpa/devices/$1/driver" 2>/dev/null)"; }

# Record each TAP line of the client as one result, prefixed, and one more,
# PREFIX:complete, that the client ran to its end: it printed a plan that
# matches the results it gave, and exited 0 (or 1 with a case failed). A
# client killed by a signal, or crashed mid-run, fails that one.
tap() {
	local prefix=$1 line name rc plan= n=0 bad=0 out
	shift
	out=$(mktemp)
	"$@" >"$out" 2>&1
	rc=$?
	while IFS= read -r line; do
		echo "$line"
		case "$line" in
		"ok "*)
			n=$((n + 1))
			name=${line#ok * - }
			echo "ok $T_NAME:$prefix:${name%% *}" >>"$T_RESULTS" ;;
		"not ok "*)
			n=$((n + 1))
			bad=$((bad + 1))
			name=${line#not ok * - }
			echo "not ok $T_NAME:$prefix:${name%% *}" >>"$T_RESULTS"
			echo "FAILED: $T_NAME:$prefix: $line" ;;
		1..*)
			plan=${line#1..} ;;
		esac
	done <"$out"
	rm -f "$out"
	if [ "$plan" = "$n" ] && [ "$n" -gt 0 ] &&
	   { [ $rc -eq 0 ] || { [ $rc -eq 1 ] && [ $bad -gt 0 ]; }; }; then
		echo "ok $T_NAME:$prefix:complete" >>"$T_RESULTS"
	else
		echo "not ok $T_NAME:$prefix:complete" >>"$T_RESULTS"
		echo "FAILED: $T_NAME:$prefix: exit status $rc, plan '${plan}', $n results"
	fi
	t_mark "$prefix (client)"
}

# ready_line FILE: the client's "ready ..." line in FILE, waited for up to
# 10 s (empty if it never came).
ready_line() {
	local line

	for _ in $(seq 100); do
		line=$(grep '^ready' "$1")
		[ -n "$line" ] && break
		sleep 0.1
	done
	echo "$line"
}

# removal HOW CMD DEV MGMTDEV: a VMM holds device DEV (created on MGMTDEV)
# open with memory mapped, traffic done and a doorbell mapped; CMD removes
# it; the removal completes, later calls fail, the pins are released.
# HOLD_KIB: what the VMM has pinned by then (256; 0 in VA mode).
removal() {
	local how=$1 cmd=$2 dev=$3 mgmt=$4 fifo=/tmp/hold.$$ out=/tmp/hold.out ready

	vdpa dev add name "$dev" mgmtdev "$mgmt" || return 1
	rm -f "$fifo"
	mkfifo "$fifo"
	"$BIN" hold "/dev/$(chardev_of "$dev")" <"$fifo" >"$out" 2>&1 &
	local pid=$!
	exec 9>"$fifo"
	ready=$(ready_line "$out")
	t_expect_eq "remove-$how-pinned" "ready ${HOLD_KIB:-256}" "$ready"
	t_check "remove-$how" timeout 30 sh -c "$cmd"
	echo go >&9
	exec 9>&-
	wait "$pid"
	tap "remove-$how" cat "$out"
	rm -f "$fifo" "$out"
}

# removal_uffd DEV MGMTDEV: a VMM has an ioctl and an IOTLB update waiting
# in the kernel on userfaultfd pages it does not fill; deleting the device
# must not wait for them (10 s at most). Once the pages are filled both
# calls fail with ENODEV and the pins are released.
removal_uffd() {
	local dev=$1 mgmt=$2 fifo=/tmp/uffd.$$ out=/tmp/uffd.out ready pid delpid gone=no

	vdpa dev add name "$dev" mgmtdev "$mgmt" || return 1
	rm -f "$fifo"
	mkfifo "$fifo"
	"$BIN" uffdhold "/dev/$(chardev_of "$dev")" <"$fifo" >"$out" 2>&1 &
	pid=$!
	exec 9>"$fifo"
	ready=$(ready_line "$out")
	t_expect_eq remove-uffd-calls-waiting "ready 2" "$ready"
	vdpa dev del "$dev" &
	delpid=$!
	for _ in $(seq 100); do
		kill -0 "$delpid" 2>/dev/null || { gone=yes; break; }
		sleep 0.1
	done
	t_expect_eq remove-while-calls-wait-on-userspace yes "$gone"
	echo go >&9
	exec 9>&-
	wait "$delpid"
	wait "$pid"
	tap remove-uffd cat "$out"
	rm -f "$fifo" "$out"
}
