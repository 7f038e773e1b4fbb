#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The end-to-end suite, run inside the VM by scripts/check-e2e.sh: every
# tests/e2e/t-*.sh, results in $VDPA_OUT/results as tests/vm/suite.sh
# writes them (scripts/results.py reads both).
set -u
here=$(cd "$(dirname "$0")" && pwd)
out=${VDPA_OUT:?run me through scripts/vm-run.sh}
mkdir -p "$out/kunit"
: >"$out/results"
for t in "$here"/t-*.sh; do
	echo "=== $(basename "$t")"
	T_NAME=$(basename "$t" .sh) T_RESULTS=$out/results bash "$t"
	rc=$?
	[ $rc -eq 0 ] || echo "not ok $(basename "$t" .sh) (exit status $rc)" >>"$out/results"
done
exit 0
