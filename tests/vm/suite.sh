#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The test suite, run inside the VM as scripts/vm-run.sh's command.
#
#   tests/vm/suite.sh                 every KUnit module of ours and every
#                                     tests/vm/t-*.sh
#   tests/vm/suite.sh --kunit MOD...  only these KUnit modules
#
# Results go to $VDPA_OUT: one "ok NAME" or "not ok NAME" line per shell
# test in results, and the KTAP of each KUnit suite in kunit/SUITE.ktap
# (scripts/results.py reads both).
set -u
here=$(cd "$(dirname "$0")" && pwd)
out=${VDPA_OUT:?run me through scripts/vm-run.sh}
mkdir -p "$out/kunit"
: >"$out/results"
kver=$(uname -r)

# Load a KUnit module, keep its suites' KTAP (debugfs drops it at unload).
run_kunit() {
	local mod=$1 dir suite

	echo "=== kunit $mod"
	if ! modprobe "$mod"; then
		echo "not ok kunit:$mod (modprobe failed)" >>"$out/results"
		return
	fi
	for dir in /sys/kernel/debug/kunit/*/; do
		suite=$(basename "$dir")
		[ -e "$out/kunit/$suite.ktap" ] && continue
		cp "$dir/results" "$out/kunit/$suite.ktap"
		echo "$mod" >"$out/kunit/$suite.module"
	done
	modprobe -r "$mod" || echo "not ok kunit:$mod (unload failed)" >>"$out/results"
}

if [ "${1:-}" = "--kunit" ]; then
	shift
	for mod in "$@"; do
		run_kunit "$mod"
	done
	exit 0
fi

# Our KUnit suites are the *_kunit modules we install under updates/; the
# harness self-tests (tests/selftest) fail on purpose and are not among them.
while IFS= read -r ko; do
	run_kunit "$(basename "$ko" .ko)"
done < <(find "/lib/modules/$kver/updates" -name '*_kunit.ko' \
	-not -path '*/tests/selftest/*' | sort)

for t in "$here"/t-*.sh; do
	[ -e "$t" ] || continue
	echo "=== $(basename "$t")"
	T_NAME=$(basename "$t" .sh) T_RESULTS=$out/results bash "$t"
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "not ok $(basename "$t" .sh) (exit status $rc)" >>"$out/results"
	fi
done
exit 0
