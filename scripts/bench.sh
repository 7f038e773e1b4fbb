#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: our stack against the upstream 6.12 modules built from the
# same source, side by side in one boot of the bench (non-debug) reference
# kernel. Prints a markdown table; build/bench/results.md and results.json
# keep it. Documentation/bench.rst explains the rows and how to read them.
#
#   scripts/bench.sh        REPS=N (default 5) repetitions per measurement,
#                           MIGRATE_REPS=N (default REPS) migrations per row
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
work=$repo/build/bench
mkdir -p "$work"

scripts/install-deps.sh >"$work/install-deps.log" 2>&1 ||
	{ cat "$work/install-deps.log"; exit 1; }
scripts/build-ref-kernel.sh bench
kdir=$(scripts/build-ref-kernel.sh --print-dir bench)

# Our modules against the bench kernel, in a copy of the sources: building
# in the tree would replace the debug build that make check uses.
src=$repo/build/bench-src
rm -rf "$src"	# no module removed from the tree may linger as "ours"
mkdir -p "$src"
git ls-files -co --exclude-standard -z -- Kbuild drivers include tests |
	rsync -a --from0 --files-from=- ./ "$src/"
make -C "$kdir" M="$src" W=1 VDPA_HARNESS=1 modules >"$work/build.log" 2>&1 ||
	{ cat "$work/build.log"; exit 1; }
make -s tests
# The nested guest of the migration rows (tests/bench/migrate.sh).
scripts/guest-image.sh build/guest >"$work/guest-image.log" 2>&1 ||
	{ cat "$work/guest-image.log"; exit 1; }

baseline=$(scripts/stage-modules.sh bench --baseline)
scripts/vm-run.sh --flavour bench --mem 6G --timeout "${BENCH_TIMEOUT:-3000}" \
	--out "$work/vm" -- env REPS="${REPS:-5}" MIGRATE_REPS="${MIGRATE_REPS:-${REPS:-5}}" tests/bench/run.sh "$baseline" \
	>"$work/vm.log" 2>&1 || { cat "$work/vm.log" "$work/vm/log"; exit 1; }

scripts/bench-report.py "$work/vm/bench.jsonl" \
	--kernel "$(cat "$kdir/include/config/kernel.release") (bench flavour)" \
	--qemu "$(qemu-system-x86_64 --version | head -n 1)" \
	--json "$work/results.json" >"$work/results.md"
cat "$work/results.md"
