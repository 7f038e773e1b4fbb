#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check-e2e: the slow end-to-end tests (nested QEMU guests under TCG),
# kept out of make check. Prepares the nested guest, boots the test VM with
# tests/e2e/run.sh and ends with one line "N passed, N failed".
# Expects the modules built (make check or make does that).
set -uo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
work=$repo/build/check-e2e
rm -rf "$work"
mkdir -p "$work"
passed=0
failed=0

if ! scripts/guest-image.sh build/guest >"$work/guest-image.log" 2>&1; then
	cat "$work/guest-image.log"
	echo "0 passed, 1 failed"
	exit 1
fi
make -s test-modules tests >"$work/build.log" 2>&1 || { cat "$work/build.log"; echo "0 passed, 1 failed"; exit 1; }

scripts/vm-run.sh --timeout "${VM_TIMEOUT:-2400}" --out "$work/vm" -- tests/e2e/run.sh >"$work/vm.log" 2>&1
vm_status=$?
scripts/results.py "$work/vm" >"$work/vm.results"
while read -r status name; do
	case "$status" in
	PASS) passed=$((passed + 1)); echo "ok      $name" ;;
	FAIL) failed=$((failed + 1)); echo "FAILED  $name" ;;
	esac
done < <(grep -E '^(PASS|FAIL) ' "$work/vm.results")
if [ $vm_status -eq 0 ]; then
	passed=$((passed + 1))
	echo "ok      e2e vm: clean run (exit status, dmesg, kmemleak)"
else
	failed=$((failed + 1))
	echo "FAILED  e2e vm: clean run (exit status, dmesg, kmemleak)"
	grep -v '^vm-run: clean' "$work/vm.log" | sed 's/^/    /'
fi
[ $failed -eq 0 ] || grep -B2 -A12 'FAILED' "$work/vm/log" | head -n 60 | sed 's/^/    /'
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
