#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: static checks, the harness self-tests, then the VM suite.
# Ends with one line "N passed, N failed" and exits non-zero on any failure.
#
#   scripts/check.sh [--no-selftest]
#
# Environment: VM_TIMEOUT (seconds, default 1500) for the suite's VM run.
set -uo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
selftest=1
[ "${1:-}" = "--no-selftest" ] && selftest=0

work=$repo/build/check
rm -rf "$work"
mkdir -p "$work"
passed=0
failed=0
t0=$(date +%s)

# report STATUS NAME: one line per test, counted.
report() {
	if [ "$1" = PASS ]; then
		passed=$((passed + 1))
		echo "ok      $2"
	else
		failed=$((failed + 1))
		echo "FAILED  $2"
	fi
}

# step NAME LOG CMD...: run CMD with output in LOG; show the log on failure.
step() {
	local name=$1 log=$2
	shift 2
	if "$@" >"$log" 2>&1; then
		report PASS "$name"
	else
		report FAIL "$name"
		tail -n 60 "$log" | sed 's/^/    /'
	fi
}

finish() {
	echo "check: $(( $(date +%s) - t0 ))s"
	echo "$passed passed, $failed failed"
	[ $failed -eq 0 ]
	exit
}

kdir=$(scripts/build-ref-kernel.sh --print-dir debug)
ksrc=	# the kernel source (checkpatch, kernel-doc): known once kdir is built
distro_kdir=$(ls -d /usr/src/linux-headers-6.12.*-amd64 2>/dev/null | grep -v -- '-rt-\|-cloud-' | sort -V | tail -n 1)

# Our C sources and headers, tracked or new, minus the deliberately bad file.
sources() {
	git ls-files -co --exclude-standard -- '*.c' '*.h' |
		grep -v '^tests/selftest/bad/'
}

# checkpatch FILE...: zero findings of any level under --strict.
checkpatch() {
	local msgs

	[ -x "$ksrc/scripts/checkpatch.pl" ] || { echo "no checkpatch.pl in '$ksrc'"; return 1; }
	msgs=$("$ksrc/scripts/checkpatch.pl" --strict --no-tree --quiet --show-types -f "$@" 2>&1)
	echo "$msgs"
	! grep -qE '^(ERROR|WARNING|CHECK):' <<<"$msgs"
}

# kerneldoc FILE...: kernel-doc -Wall must say nothing at all.
kerneldoc() {
	local msgs

	[ -x "$ksrc/scripts/kernel-doc" ] || { echo "no kernel-doc in '$ksrc'"; return 1; }
	msgs=$("$ksrc/scripts/kernel-doc" -none -Wall "$@" 2>&1)
	[ -z "$msgs" ] || { echo "$msgs"; return 1; }
}

# build_clean [MAKE ARGS...]: build; gcc is -Werror already, modpost is not.
build_clean() {
	local msgs

	msgs=$(make "$@" 2>&1) || { echo "$msgs"; return 1; }
	echo "$msgs"
	! grep -qiE '(^|: )warning:' <<<"$msgs"
}

# sparse_clean: C=2 over every object, no sparse warning or error.
sparse_clean() {
	local msgs

	msgs=$(make -s sparse KDIR="$kdir" 2>&1) || { echo "$msgs"; return 1; }
	echo "$msgs"
	# sparse cannot follow the scoped guard() locks inside the kernel's own
	# inline helpers (e.g. device_match_driver_override()) and reports a
	# context imbalance at the header's line: not a finding in our code.
	grep -E ': (warning|error):' <<<"$msgs" |
		grep -vE "^$ksrc/include/[^:]+:[0-9]+:[0-9]+: warning: context imbalance in " |
		grep -q . && return 1
	return 0
}

# distro_build: build-only check against Debian's linux-headers-6.12, in a
# copy of the tree (out-of-tree objects land next to their sources).
distro_build() {
	[ -n "$distro_kdir" ] || { echo "no linux-headers-6.12.*-amd64 installed"; return 1; }
	rm -rf "$work/distro"
	mkdir -p "$work/distro"
	sources | cat - <(git ls-files -co --exclude-standard -- Kbuild 'Kbuild' '*/Kbuild' Makefile) |
		rsync -a --files-from=- . "$work/distro/"
	build_clean -C "$distro_kdir" M="$work/distro" W=1 modules
}

echo "== reference kernel"
step "reference kernel (debug)" "$work/ref-kernel.log" scripts/build-ref-kernel.sh debug
if [ ! -e "$kdir/.complete" ]; then
	finish
fi
ksrc=$(readlink -f "$kdir/source")

echo "== build and static checks"
step "build: W=1 -Werror, reference kernel" "$work/build.log" build_clean modules KDIR="$kdir"
step "build: userspace test clients, -Wall -Wextra -Werror" "$work/tests.log" make -s tests
step "build: W=1 -Werror, Debian linux-headers-6.12 (build only)" "$work/distro.log" distro_build
step "sparse C=2: no findings" "$work/sparse.log" sparse_clean
step "compat: unmodified 6.12 ifcvf and vdpa_user build against our vdpa.h" \
	"$work/compat.log" scripts/compat-build.sh
mapfile -t srcs < <(sources)
step "checkpatch --strict: no findings (${#srcs[@]} files)" "$work/checkpatch.log" checkpatch "${srcs[@]}"
step "kernel-doc -Wall: no findings" "$work/kernel-doc.log" kerneldoc "${srcs[@]}"

if [ $selftest -eq 1 ]; then
	echo "== harness self-tests (each must be caught)"
	# A checkpatch error must fail the checkpatch step.
	if ! checkpatch tests/selftest/bad/checkpatch_error.c >"$work/self-checkpatch.log" 2>&1 &&
	   grep -q '^ERROR:' "$work/self-checkpatch.log"; then
		report PASS "self-test: checkpatch error is caught"
	else
		report FAIL "self-test: checkpatch error is caught"
		sed 's/^/    /' "$work/self-checkpatch.log"
	fi

	# A failing KUnit case must be counted as failed, a passing one as passed.
	scripts/vm-run.sh --timeout 600 --out "$work/self-kunit" -- \
		tests/vm/suite.sh --kunit harness_kunit_selftest >"$work/self-kunit.log" 2>&1
	scripts/results.py "$work/self-kunit" >"$work/self-kunit.results"
	if grep -qx 'FAIL kunit:harness_selftest.harness_selftest_fails_on_purpose' "$work/self-kunit.results" &&
	   grep -qx 'PASS kunit:harness_selftest.harness_selftest_passes' "$work/self-kunit.results" &&
	   grep -qx 'passed=1 failed=1 skipped=0' "$work/self-kunit.results"; then
		report PASS "self-test: failing KUnit case is caught"
	else
		report FAIL "self-test: failing KUnit case is caught"
		cat "$work/self-kunit.log" "$work/self-kunit.results" | sed 's/^/    /'
	fi

	# A WARN in dmesg must fail the VM run.
	if scripts/vm-run.sh --timeout 600 --out "$work/self-warn" -- \
		sh -c 'modprobe harness_warn_selftest && modprobe -r harness_warn_selftest' \
		>"$work/self-warn.log" 2>&1; then
		report FAIL "self-test: WARNING in dmesg is caught"
		sed 's/^/    /' "$work/self-warn.log"
	elif grep -q '^vm-run: FAIL dmesg:' "$work/self-warn.log" &&
	     ! grep -q '^vm-run: FAIL \(command\|timeout\|no result\)' "$work/self-warn.log"; then
		report PASS "self-test: WARNING in dmesg is caught"
	else
		report FAIL "self-test: WARNING in dmesg is caught (failed for another reason)"
		sed 's/^/    /' "$work/self-warn.log"
	fi
fi

echo "== VM suite"
scripts/vm-run.sh --timeout "${VM_TIMEOUT:-1500}" --out "$work/vm" -- tests/vm/suite.sh \
	>"$work/vm.log" 2>&1
vm_status=$?
scripts/results.py "$work/vm" >"$work/vm.results"
while read -r status name; do
	case "$status" in
	PASS|FAIL) report "$status" "$name" ;;
	SKIP) echo "skip    $name" ;;
	esac
done < <(grep -E '^(PASS|FAIL|SKIP) ' "$work/vm.results")
if [ $vm_status -eq 0 ]; then
	report PASS "vm: clean run (exit status, dmesg, kmemleak)"
else
	report FAIL "vm: clean run (exit status, dmesg, kmemleak)"
	grep -v '^vm-run: clean' "$work/vm.log" | sed 's/^/    /'
fi
if grep -q '^FAIL' "$work/vm.results"; then
	echo "    guest log: $work/vm/log"
	grep -B2 -A10 'FAILED\|not ok' "$work/vm/log" | head -n 80 | sed 's/^/    /'
fi
finish
