#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: static checks, the harness self-tests, then the VM suite.
# Ends with one line "N passed, N failed" and exits non-zero on any failure.
#
#   scripts/check.sh [--no-selftest]
#   scripts/check.sh --long     make check-long: the build, then the VM suite's
#                               long repetitions (tests/vm/expected-long)
#
# Environment: VM_TIMEOUT (seconds; default 1500, 3000 for --long) for the
# suite's VM run.
set -uo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
selftest=1
tier=check
case "${1:-}" in
--no-selftest) selftest=0 ;;
--long) tier=long ;;
esac

work=$repo/build/check$([ $tier = long ] && echo -long)
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
# Its wall time goes to the table printed at the end.
step() {
	local name=$1 log=$2 t=$SECONDS rc=0
	shift 2
	"$@" >"$log" 2>&1 || rc=$?
	echo "$((SECONDS - t)) $name" >>"$work/times"
	if [ $rc -eq 0 ]; then
		report PASS "$name"
	else
		report FAIL "$name"
		tail -n 60 "$log" | sed 's/^/    /'
	fi
}

# vm_report STATUS: one result per line of vm.results, then the VM's own
# clean-run verdict (STATUS: vm-run's exit status).
vm_report() {
	while read -r status name; do
		case "$status" in
		PASS|FAIL) report "$status" "$name" ;;
		SKIP) echo "skip    $name" ;;
		esac
	done < <(grep -E '^(PASS|FAIL|SKIP) ' "$work/vm.results")
	if [ "$1" -eq 0 ]; then
		report PASS "vm: clean run (exit status, dmesg, kmemleak)"
	else
		report FAIL "vm: clean run (exit status, dmesg, kmemleak)"
		grep -v '^vm-run: clean' "$work/vm.log" | sed 's/^/    /'
	fi
}

# Where the time went, longest first: each static step, each VM boot, and
# inside the suite's VM each KUnit module and each script
# (Documentation/testing.rst keeps a copy of this table).
times_table() {
	[ -s "$work/times" ] || return 0
	echo "== time, longest first (seconds)"
	{
		cat "$work/times"
		[ -s "$work/vm/times" ] && sed 's/^\([0-9.]*\) /\1 vm suite: /' "$work/vm/times"
	} | sort -rn -k1,1 | awk '{ t = $1; $1 = ""; printf "%7.1f %s\n", t, substr($0, 2) }'
	# Inside the scripts: the checks that took longest (tests/vm/lib.sh's
	# t_mark; each is the time since the result before it).
	[ -s "$work/vm/results.marks" ] || return 0
	echo "== longest checks inside the scripts (seconds)"
	awk '{ t = $1; $1 = "" } NR > 1 { printf "%7.1f %s\n", t - prev, substr($0, 2) } { prev = t }' \
		"$work/vm/results.marks" |
		sort -rn -k1,1 | head -n 15
}

finish() {
	times_table
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

# checkpatch FILE...: zero findings of any level under --strict. The files
# are shared among one checkpatch per CPU, each writing its own log.
checkpatch() {
	local msgs n i each pids=()

	[ -x "$ksrc/scripts/checkpatch.pl" ] || { echo "no checkpatch.pl in '$ksrc'"; return 1; }
	n=$(nproc)
	each=$((($# + n - 1) / n))
	for ((i = 0; i < n && i * each < $#; i++)); do
		"$ksrc/scripts/checkpatch.pl" --strict --no-tree --quiet --show-types -f \
			"${@:i * each + 1:each}" >"$work/checkpatch.$i" 2>&1 &
		pids+=($!)
	done
	wait "${pids[@]}"
	msgs=$(cat "$work"/checkpatch.[0-9]*)
	rm -f "$work"/checkpatch.[0-9]*
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
# copy of the tree (out-of-tree objects land next to their sources). The
# copy is kept between runs (rsync keeps times), so only what changed is
# built again; a file gone from the tree goes from the copy too.
distro_build() {
	local copy=$repo/build/distro

	[ -n "$distro_kdir" ] || { echo "no linux-headers-6.12.*-amd64 installed"; return 1; }
	mkdir -p "$copy"
	sources | cat - <(git ls-files -co --exclude-standard -- Kbuild 'Kbuild' '*/Kbuild' Makefile) |
		sort >"$work/distro.files"
	(cd "$copy" && find . \( -name '*.[ch]' ! -name '*.mod.c' \) -o -name Kbuild -o -name Makefile) | sed 's|^\./||' |
		sort | comm -13 "$work/distro.files" - | (cd "$copy" && xargs -r rm -f)
	rsync -a --files-from="$work/distro.files" . "$copy/"
	build_clean -j"$(nproc)" -C "$distro_kdir" M="$copy" W=1 VDPA_HARNESS=1 modules
}

# stack_list DIR: the module names under DIR, sorted, on one line.
stack_list() {
	find "$1" -name '*.ko*' -printf '%f\n' | sed 's/\.ko.*//' | sort | tr '\n' ' '
}

# install_check: make modules_install from the Debian-headers copy into a
# scratch root: refused right after the harness's build, then after a plain
# make the stack only, under updates/vdpa-stack. Debian's kernels sign modules at install
# (CONFIG_MODULE_SIG_ALL) with a key its headers do not ship; kbuild lets
# an external module's install go on unsigned, and so does this check.
install_check() {
	local root=$work/install kver got want

	kver=$(cat "$distro_kdir/include/config/kernel.release")
	# Installing straight after the harness's build is refused.
	! make -C "$repo/build/distro" modules_install KDIR="$distro_kdir" \
		INSTALL_MOD_PATH="$root" || { echo "installed the harness's build"; return 1; }
	make -C "$repo/build/distro" modules KDIR="$distro_kdir" &&
		make -C "$repo/build/distro" modules_install KDIR="$distro_kdir" INSTALL_MOD_PATH="$root" ||
		return 1
	got=$(stack_list "$root/lib/modules/$kver")
	want="cxemu cxvdpa vdpa vdpa_devring vdpa_sim vdpa_sim_blk vdpa_sim_net vhost_vdpa virtio_vdpa "
	echo "installed: $got"
	[ "$got" = "$want" ] || { echo "expected:  $want"; return 1; }
	[ "$(stack_list "$root/lib/modules/$kver/updates/vdpa-stack")" = "$want" ]
}

# noaux_build: the Debian-headers copy built as for a kernel without the
# auxiliary bus (a defconfig-based one): cxemu, cxvdpa and their suites are
# left out with a message, everything else builds and links.
noaux_build() {
	local out got

	out=$(make -C "$distro_kdir" M="$repo/build/distro" W=1 CONFIG_AUXILIARY_BUS= modules 2>&1) ||
		{ echo "$out"; return 1; }
	echo "$out"
	grep -q 'vdpa-stack: left out cxemu cxvdpa: the target kernel has no CONFIG_AUXILIARY_BUS' <<<"$out" ||
		{ echo "no message about the modules left out"; return 1; }
	! grep -qiE '(^|: )warning:|undefined!' <<<"$out" || return 1
	got=$(sed 's|.*/||; s|\.o$||' "$repo/build/distro/modules.order" | sort | tr '\n' ' ')
	echo "built: $got"
	[ "$got" = "vdpa vdpa_devring vdpa_sim vdpa_sim_blk vdpa_sim_net vhost_vdpa virtio_vdpa " ]
}

echo "== reference kernel"
step "reference kernel (debug)" "$work/ref-kernel.log" scripts/build-ref-kernel.sh debug
if [ ! -e "$kdir/.complete" ]; then
	finish
fi
ksrc=$(readlink -f "$kdir/source")

if [ $tier = long ]; then
	echo "== build"
	step "build: modules and userspace clients" "$work/build.log" make -s test-modules tests
	step "dkms: DKMS builds and installs the .deb's stack for Debian's 6.12 kernel" \
		"$work/dkms.log" scripts/dkms-check.sh "$distro_kdir"
	step "compat: 6.12's vp_vdpa for t-vp-vdpa" "$work/compat.log" scripts/compat-build.sh
	echo "== VM suite, long repetitions"
	t=$SECONDS
	# --iommu: t-vp-vdpa's NIC behind intel-iommu, as in make check.
	scripts/vm-run.sh --timeout "${VM_TIMEOUT:-3000}" --iommu --out "$work/vm" \
		-- tests/vm/suite.sh --long \
		>"$work/vm.log" 2>&1
	vm_status=$?
	echo "$((SECONDS - t)) suite VM (boot to power-off)" >>"$work/times"
	scripts/results.py "$work/vm" tests/vm/expected-long >"$work/vm.results"
	vm_report $vm_status
	finish
fi

# self_vm: the harness self-tests that need the VM, in one boot: a
# failing KUnit case counted as failed (a passing one as passed), a client
# that dies mid-run or falls short of its plan caught by tap(), a WARN in
# dmesg failing the run, and a leak made just before kmemleak's scans
# failing it too. One vCPU, 1 GiB (kmemleak's scans before power-off take
# time in proportion): it runs beside the suite's VM.
# Each returns vm-run.sh's exit status (for wait).
self_vm() {
	local t=$SECONDS rc=0

	scripts/vm-run.sh --modroot "$modroot" --timeout 600 --smp 1 --mem 1G \
		--out "$work/self-vm" -- sh -c \
		'tests/vm/suite.sh --kunit harness_kunit_selftest &&
		 T_RESULTS=$VDPA_OUT/results bash tests/selftest/tap_selftest.sh &&
		 modprobe harness_warn_selftest && modprobe -r harness_warn_selftest &&
		 modprobe harness_leak_selftest' \
		>"$work/self-vm.log" 2>&1 || rc=$?
	echo "$((SECONDS - t)) self-test VM (boot to power-off, beside the suite's VM)" \
		>>"$work/times"
	return $rc
}

# suite_vm: the VM suite, every KUnit module and tests/vm/t-*.sh.
# --iommu: t-vp-vdpa's NIC behind intel-iommu (scripts/vm-run.sh).
suite_vm() {
	local t=$SECONDS rc=0

	scripts/vm-run.sh --modroot "$modroot" --timeout "${VM_TIMEOUT:-1500}" --mem 2G --iommu \
		--out "$work/vm" -- tests/vm/suite.sh >"$work/vm.log" 2>&1 || rc=$?
	echo "$((SECONDS - t)) suite VM (boot to power-off)" >>"$work/times"
	return $rc
}

echo "== build and static checks"
step "build: W=1 -Werror, reference kernel" "$work/build.log" build_clean test-modules
step "build: userspace test clients, -Wall -Wextra -Werror" "$work/tests.log" make -s tests
# 6.12's vp_vdpa and vduse from here are staged with our modules.
step "compat: unmodified 6.12 ifcvf, vdpa_user and vp_vdpa build against our vdpa.h" \
	"$work/compat.log" scripts/compat-build.sh
# The VM suite is the longest step by far, and its guest mostly keeps one
# of the two host CPUs busy: it runs from here, and the static checks and
# the self-test VM run beside it under SCHED_IDLE (what this shell starts
# from now on inherits it), so they take only the CPU it leaves: at nice
# 10 they still slowed the guest by a quarter while they ran.
# Both VMs boot the tree staged here; what rebuilds below (sparse's
# in-tree make, the copies of the tree) is not what they load.
modroot=$(scripts/stage-modules.sh debug 2>"$work/stage.log") ||
	{ cat "$work/stage.log"; report FAIL "stage the modules for the VMs"; finish; }
suite_vm &
suite_pid=$!
chrt --idle -p 0 $$ || echo "check: chrt --idle failed: the static checks compete with the VM" >&2
self_pid=
if [ $selftest -eq 1 ]; then
	self_vm &
	self_pid=$!
fi
step "sparse C=2: no findings" "$work/sparse.log" sparse_clean
step "build: W=1 -Werror, Debian linux-headers-6.12 (build only)" "$work/distro.log" distro_build
step "install: make modules_install puts the stack only in updates/vdpa-stack" \
	"$work/install.log" install_check
step "build: a kernel without CONFIG_AUXILIARY_BUS leaves out cxemu and cxvdpa, builds the rest" \
	"$work/noaux.log" noaux_build
step "dkms: the .deb builds with Debian's tooling and carries the stack only" \
	"$work/dkms.log" scripts/dkms-check.sh --package-only "$distro_kdir"
step "drop-in: the stack builds inside a 6.12 tree from its Kconfig symbols" \
	"$work/dropin.log" scripts/dropin-build.sh
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

	wait "$self_pid"
	self_status=$?
	scripts/results.py "$work/self-vm" >"$work/self-vm.results"
	if grep -qx 'FAIL kunit:harness_selftest.harness_selftest_fails_on_purpose' "$work/self-vm.results" &&
	   grep -qx 'PASS kunit:harness_selftest.harness_selftest_passes' "$work/self-vm.results" &&
	   [ "$(grep -c '^[A-Z]* kunit:' "$work/self-vm.results")" = 2 ]; then
		report PASS "self-test: failing KUnit case is caught"
	else
		report FAIL "self-test: failing KUnit case is caught"
		cat "$work/self-vm.log" "$work/self-vm.results" | sed 's/^/    /'
	fi
	if grep -qx 'FAIL self:crash:complete' "$work/self-vm.results" &&
	   grep -qx 'FAIL self:short:complete' "$work/self-vm.results" &&
	   grep -qx 'PASS self:whole:complete' "$work/self-vm.results"; then
		report PASS "self-test: a client that dies or falls short of its plan is caught"
	else
		report FAIL "self-test: a client that dies or falls short of its plan is caught"
		cat "$work/self-vm.results" | sed 's/^/    /'
	fi
	if [ "$self_status" -eq 0 ]; then
		report FAIL "self-test: WARNING in dmesg is caught"
		sed 's/^/    /' "$work/self-vm.log"
	elif grep -q '^vm-run: FAIL dmesg: the kernel reported' "$work/self-vm.log" &&
	     grep -q 'harness_warn' "$work/self-vm.log" &&
	     ! grep -q '^vm-run: FAIL \(command\|timeout\|no result\)' "$work/self-vm.log"; then
		report PASS "self-test: WARNING in dmesg is caught"
	else
		report FAIL "self-test: WARNING in dmesg is caught (failed for another reason)"
		sed 's/^/    /' "$work/self-vm.log"
	fi
	# The leak's blocks are younger than any the suite leaves: kmemleak's
	# second scan must still be late enough to call them leaks. Each
	# report's hex dump shows the block's text; no other leak may be there.
	leaks=$(grep -cs '^unreferenced object' "$work/self-vm/kmemleak")
	if grep -q '^vm-run: FAIL kmemleak: [1-9][0-9]* leak(s):' "$work/self-vm.log" &&
	   [ "$(grep -cs 'harness self-tes' "$work/self-vm/kmemleak")" = "${leaks:-0}" ]; then
		report PASS "self-test: a leak just before power-off is caught by kmemleak"
	else
		report FAIL "self-test: a leak just before power-off is caught by kmemleak"
		sed 's/^/    /' "$work/self-vm.log"
	fi

	# A unit of the suite that did not run, or one nobody listed, fails.
	mkdir -p "$work/self-expect"
	printf 'kunit:a\nt-b\n' >"$work/self-expect/list"
	printf '1.0 kunit:a\n2.0 t-c\n' >"$work/self-expect/times"
	if scripts/results.py "$work/self-expect" "$work/self-expect/list" |
		grep -c '^FAIL \(t-b (did not run)\|t-c (ran, but\)' | grep -qx 2; then
		report PASS "self-test: a unit that did not run is caught"
	else
		report FAIL "self-test: a unit that did not run is caught"
	fi
fi

echo "== VM suite"
wait "$suite_pid"
vm_status=$?
scripts/results.py "$work/vm" tests/vm/expected-check >"$work/vm.results"
vm_report $vm_status
if grep -q '^FAIL' "$work/vm.results"; then
	echo "    guest log: $work/vm/log"
	grep -B2 -A10 'FAILED\|not ok' "$work/vm/log" | head -n 80 | sed 's/^/    /'
fi
finish
