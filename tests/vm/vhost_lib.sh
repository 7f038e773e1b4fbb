# SPDX-License-Identifier: GPL-2.0
#
# Helpers for the t-*.sh scripts that run the userspace vhost-vdpa client
# (build/tests/vhost_vdpa_test), sourced after lib.sh.

BIN=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/tests/vhost_vdpa_test

chardev_of() { basename "$(ls -d "/sys/bus/vdpa/devices/$1/"vhost-vdpa-* 2>/dev/null)"; }
driver_of() { basename "$(readlink "/sys/bus/vdpa/devices/$1/driver" 2>/dev/null)"; }

# Record each TAP line of the client as one result, prefixed.
tap() {
	local prefix=$1 line name
	shift
	"$@" 2>&1 | while IFS= read -r line; do
		echo "$line"
		case "$line" in
		"ok "*)
			name=${line#ok * - }
			echo "ok $T_NAME:$prefix:${name%% *}" >>"$T_RESULTS" ;;
		"not ok "*)
			name=${line#not ok * - }
			echo "not ok $T_NAME:$prefix:${name%% *}" >>"$T_RESULTS"
			echo "FAILED: $T_NAME:$prefix: $line" ;;
		esac
	done
}

# removal HOW CMD DEV MGMTDEV: a VMM holds device DEV (created on MGMTDEV)
# open with memory mapped, traffic done and a doorbell mapped; CMD removes
# it; the removal completes, later calls fail, the pins are released.
removal() {
	local how=$1 cmd=$2 dev=$3 mgmt=$4 fifo=/tmp/hold.$$ out=/tmp/hold.out ready

	vdpa dev add name "$dev" mgmtdev "$mgmt" || return 1
	rm -f "$fifo"
	mkfifo "$fifo"
	"$BIN" hold "/dev/$(chardev_of "$dev")" <"$fifo" >"$out" 2>&1 &
	local pid=$!
	exec 9>"$fifo"
	for _ in $(seq 100); do
		ready=$(grep '^ready' "$out")
		[ -n "$ready" ] && break
		sleep 0.1
	done
	t_expect_eq "remove-$how-pinned" "ready 256" "$ready"
	t_check "remove-$how" timeout 30 sh -c "$cmd"
	echo go >&9
	exec 9>&-
	wait "$pid"
	tap "remove-$how" cat "$out"
	rm -f "$fifo" "$out"
}
