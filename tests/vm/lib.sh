# SPDX-License-Identifier: GPL-2.0
#
# Helpers for tests/vm/t-*.sh, sourced. Each check prints one result line;
# a script that exits non-zero is also counted as a failure by suite.sh.

# t_mark NAME: when NAME's result was recorded, one "EPOCHREALTIME NAME"
# line in $T_RESULTS.marks: the gap to the line before is what that check
# (and whatever ran since the last result) took. check.sh prints the
# longest gaps. Nothing without T_RESULTS (lib.sh sourced by a benchmark).
t_mark() {
	[ -n "${T_RESULTS:-}" ] || return 0
	echo "$EPOCHREALTIME ${T_NAME:-}:$1" >>"$T_RESULTS.marks"
}
t_mark "(start)"

# t_check NAME CMD...: run CMD, record ok/not ok under T_NAME:NAME.
t_check() {
	local name=$1
	shift
	if "$@"; then
		echo "ok $T_NAME:$name" >>"$T_RESULTS"
	else
		echo "not ok $T_NAME:$name" >>"$T_RESULTS"
		echo "FAILED: $T_NAME:$name: $*"
	fi
	t_mark "$name"
}

# t_expect_eq NAME EXPECTED ACTUAL
t_expect_eq() {
	if [ "$2" = "$3" ]; then
		echo "ok $T_NAME:$1" >>"$T_RESULTS"
	else
		echo "not ok $T_NAME:$1" >>"$T_RESULTS"
		echo "FAILED: $T_NAME:$1: expected '$2', got '$3'"
	fi
	t_mark "$1"
}

# host_of PORT: the host interface (vdpa_sim_net or cxemu wire=netdev)
# whose phys_port_name is PORT, if there is one.
host_of() {
	local n

	for n in /sys/class/net/*; do
		[ "$(cat "$n/phys_port_name" 2>/dev/null)" = "$1" ] && basename "$n"
	done
}

# rounds CHECK LONG: how many times to repeat something, by tier: CHECK in
# make check (one round or a few still cover the behaviour), LONG in make
# check-long (VDPA_TIER=long), which repeats it to shake out what only
# shows up rarely.
rounds() {
	if long_tier; then
		echo "$2"
	else
		echo "$1"
	fi
}

# long_tier: true in make check-long. There a script whose repetitions
# are one part of it runs that part alone: CI runs make check first, so
# the rest has just passed.
long_tier() { [ "${VDPA_TIER:-check}" = long ]; }

# fail_nth_setup: what fail-nth (/proc/thread-self/fail-nth) needs to
# reach every allocation of a path, sleeping and order-0 ones too, with no
# stack dump for each failure; fail_nth_restore puts the defaults back.
FI=/sys/kernel/debug
# fail_nth_knobs IGNORE_GFP_WAIT MIN_ORDER VERBOSE
fail_nth_knobs() {
	local a

	echo "$1" >$FI/failslab/ignore-gfp-wait
	echo "$1" >$FI/fail_page_alloc/ignore-gfp-wait
	echo "$2" >$FI/fail_page_alloc/min-order
	for a in failslab fail_page_alloc vdpa_sim/fail_map vdpa_sim/fail_unmap cxemu/fail_cmd; do
		[ -e "$FI/$a/verbose" ] && echo "$3" >"$FI/$a/verbose"
	done
	return 0
}
fail_nth_setup() { fail_nth_knobs N 0 0; }
fail_nth_restore() { fail_nth_knobs Y 1 2; }
