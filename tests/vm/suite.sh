#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The test suite, run inside the VM as scripts/vm-run.sh's command.
#
#   tests/vm/suite.sh                 every KUnit module of ours and every
#                                     tests/vm/t-*.sh
#   tests/vm/suite.sh --long          the scripts in tests/vm/expected-long
#                                     with VDPA_TIER=long: their repetitions
#                                     at full count (make check-long)
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

# Each unit that ran, with its wall time: "SECONDS kunit:MOD" or
# "SECONDS NAME" in $VDPA_OUT/times (scripts/results.py checks them against
# tests/vm/expected and check.sh prints them, longest first).
: >"$out/times"
timed() {
	local name=$1 t0=$EPOCHREALTIME
	shift
	"$@"
	local rc=$?
	awk -v a="$t0" -v b="$EPOCHREALTIME" -v n="$name" \
		'BEGIN { printf "%.1f %s\n", b - a, n }' >>"$out/times"
	return $rc
}

# Load a KUnit module, keep its suites' KTAP (debugfs drops it at unload).
run_kunit() {
	local mod=$1 dir suite n=0

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
		n=$((n + 1))
	done
	[ $n -gt 0 ] || echo "not ok kunit:$mod (no suite results)" >>"$out/results"
	modprobe -r "$mod" || echo "not ok kunit:$mod (unload failed)" >>"$out/results"
}

if [ "${1:-}" = "--kunit" ]; then
	shift
	for mod in "$@"; do
		timed "kunit:$mod" run_kunit "$mod"
	done
	exit 0
fi

# --long: only the long repetitions (make check-long), at their full counts.
tier=check
if [ "${1:-}" = "--long" ]; then
	tier=long
fi
export VDPA_TIER=$tier

# Our KUnit suites are the *_kunit modules we install under updates/; the
# harness self-tests (tests/selftest) fail on purpose and are not among them.
if [ $tier = check ]; then
	while IFS= read -r ko; do
		mod=$(basename "$ko" .ko)
		timed "kunit:$mod" run_kunit "$mod"
	done < <(find "/lib/modules/$kver/updates" -name '*_kunit.ko' \
		-not -path '*/tests/selftest/*' | sort)
	scripts=("$here"/t-*.sh)
else
	mapfile -t scripts < <(sed 's/#.*//; /^[[:space:]]*$/d; s|^[[:space:]]*|'"$here"'/|; s|[[:space:]]*$|.sh|' \
		"$here/expected-long")
fi

for t in "${scripts[@]}"; do
	[ -e "$t" ] || continue
	echo "=== $(basename "$t")"
	T_NAME=$(basename "$t" .sh) T_RESULTS=$out/results timed "$(basename "$t" .sh)" bash "$t"
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "not ok $(basename "$t" .sh) (exit status $rc)" >>"$out/results"
	fi
done
echo "$tier" >"$out/tier"
exit 0
