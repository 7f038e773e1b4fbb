#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: the whole way from a fresh machine to traffic on a vDPA device.
# Installs the packages (apt-get), builds the reference kernel (or reuses
# the cache) and our modules, boots the test VM and runs
# scripts/demo-guest.sh there, showing progress while the kernel builds and
# while the VM boots, then the demo's own output.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
out=$repo/build/demo

# wait_showing PID WHAT CMD...: every 15 s until PID exits, print WHAT and
# the output of CMD; then return PID's exit status.
wait_showing() {
	local pid=$1 what=$2 t0=$SECONDS
	shift 2
	while kill -0 "$pid" 2>/dev/null; do
		sleep 15
		kill -0 "$pid" 2>/dev/null || break
		printf '  %s, %ds: %s\n' "$what" $((SECONDS - t0)) "$("$@" 2>/dev/null)"
	done
	wait "$pid"
}

echo "== packages"
scripts/install-deps.sh

echo "== reference kernel"
kdir=$(scripts/build-ref-kernel.sh --print-dir debug)
scripts/build-ref-kernel.sh debug &
wait_showing $! "building" sh -c "grep -c '^  [A-Z]' '$kdir/build.log' | sed 's/$/ objects built/'"

echo "== our modules and test clients"
make -s test-modules tests

echo "== test VM"
mkdir -p "$out"
rm -f "$out/console"
scripts/vm-run.sh --out "$out" -- scripts/demo-guest.sh >"$out.vm-run.log" 2>&1 &
status=0
wait_showing $! "booting and running" sh -c "tail -n 1 '$out/console' | cut -c1-100" || status=$?
cat "$out/log"
cat "$out.vm-run.log"
exit $status
