#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The VM side of make bench (scripts/bench.sh boots the bench kernel with
# this as the command). Runs every workload on the upstream 6.12 modules
# (the baseline) and then on ours, in the same boot, and appends one JSON
# object per measurement to $VDPA_OUT/bench.jsonl:
#
#   {"stack": "ours", "row": "map-4k", "metric": "map_ms", "value": 12.5}
#
#   tests/bench/run.sh BASELINE_MODROOT
#
# BASELINE_MODROOT is the module tree holding only the reference kernel's
# modules (scripts/stage-modules.sh bench --baseline); it is bind-mounted
# on /lib/modules while the baseline runs. REPS (default 5) sets the
# repetitions of each measurement; each row also gets one warm-up run that
# is not recorded.
set -u
baseline_root=${1:?usage: run.sh BASELINE_MODROOT}
out=${VDPA_OUT:?run me through scripts/vm-run.sh}
reps=${REPS:-5}
bin=$VDPA_REPO/build/tests/vdpa_bench
jsonl=$out/bench.jsonl
MAC=52:54:00:00:be:01
: >"$jsonl"
ulimit -l unlimited

error() {
	printf '{"stack": "%s", "row": "%s", "error": "%s"}\n' "$1" "$2" \
		"$(echo "$3" | tr -d '"\\' | tr -c '[:print:]' ' ')" >>"$jsonl"
}

# record_line STACK ROW LINE: one JSON line per "key value" pair of LINE.
record_line() {
	local stack=$1 row=$2 line=$3

	set -f	# split into "key value" words, never globbed
	set -- $line
	set +f
	while [ $# -ge 2 ]; do
		if ! [[ $2 =~ ^-?[0-9]+(\.[0-9]+)?$ ]]; then
			error "$stack" "$row" "not a number: $1 $2"
			return 1
		fi
		printf '{"stack": "%s", "row": "%s", "metric": "%s", "value": %s}\n' \
			"$stack" "$row" "$1" "$2" >>"$jsonl"
		shift 2
	done
}

# record STACK ROW CMD...: run CMD (vdpa_bench, testpmd.py or fio_iops),
# record the last line it prints (record_line).
record() {
	local stack=$1 row=$2 text line rc

	shift 2
	text=$("$@" 2>&1)
	rc=$?
	line=${text##*$'\n'}
	if [ $rc -ne 0 ]; then
		echo "bench: $stack $row failed: $text"
		error "$stack" "$row" "$line"
		return 1
	fi
	echo "bench: $stack $row: $line"
	record_line "$stack" "$row" "$line"
}

# repeat N STACK ROW CMD...: one warm-up run, then record N runs; stop at
# the first failure.
repeat() {
	local n=$1 i

	shift
	"${@:3}" >/dev/null 2>&1
	for i in $(seq "$n"); do
		record "$@" || return 1
	done
}

chardev() { basename "$(ls -d /sys/bus/vdpa/devices/"$1"/vhost-vdpa-*)"; }

hugepages() { echo "$1" >/proc/sys/vm/nr_hugepages; }

# unload: no vDPA device and no vDPA module left, whichever stack it was.
unload() {
	local d m

	for d in /sys/bus/vdpa/devices/*; do
		[ -e "$d" ] && vdpa dev del "$(basename "$d")"
	done
	for m in vdpa_pinbench vhost_vdpa virtio_vdpa vdpa_sim_net vdpa_sim_blk \
		 vdpa_sim cxvdpa cxemu vdpa_devring vdpa; do
		[ -e "/sys/module/$m" ] && modprobe -r "$m"
	done
	[ ! -e /sys/module/vdpa ]
}

# is_stack STACK: the loaded vdpa module is that stack's (ours are built
# out of tree, so the kernel marks them O).
is_stack() {
	local taint

	taint=$(cat /sys/module/vdpa/taint 2>/dev/null) || return 1
	if [ "$1" = ours ]; then [ "$taint" = O ]; else [ -z "$taint" ]; fi
}

# fio_iops DISK RW: 4 KiB random I/O for 3 seconds; prints "iops N".
fio_iops() {
	fio --name=bench --filename="$1" --rw="$2" --bs=4k --direct=1 \
		--ioengine=libaio --iodepth=16 --runtime=3 --time_based \
		--output-format=json | jq -r ".jobs[0].${2#rand}.iops | \"iops \\(.)\""
}

# workloads STACK SIM_OPTIONS VHOST_OPTIONS: everything that runs on both
# stacks; the net part on vhost_vdpa, the blk part on virtio_vdpa.
workloads() {
	local stack=$1 sim=$2 vhost=$3 dev kind mib len rw disk mode=remap

	# shellcheck disable=SC2086
	modprobe vdpa_sim $sim && modprobe vdpa_sim_net && modprobe vhost_vdpa $vhost ||
		return 1
	is_stack "$stack" || { echo "bench: the loaded modules are not $stack's"; return 1; }
	vdpa dev add name bench0 mgmtdev vdpasim_net mac $MAC || return 1
	dev=/dev/$(chardev bench0)
	for kind in 4k thp huge; do
		[ $kind = huge ] && hugepages 600
		repeat "$reps" "$stack" "map-$kind" "$bin" map "$dev" 1024 $kind
		[ $kind = huge ] && hugepages 0
	done
	# The headline rows: ours keeps the map across the reset
	# (IOTLB_PERSIST); the baseline client maps everything again, as a
	# VMM that does not use IOTLB_PERSIST (QEMU 7.2) does.
	[ "$stack" = ours ] && mode=persist
	for mib in 256 1024 2048; do
		repeat "$reps" "$stack" "reset-$mib" "$bin" reset "$dev" $mib $mode
	done
	# Each stack in both modes (6.12's simulator offers IOTLB_PERSIST too).
	repeat "$reps" "$stack" reset-remap-1024 "$bin" reset "$dev" 1024 remap
	repeat "$reps" "$stack" reset-persist-1024 "$bin" reset "$dev" 1024 persist
	for len in 64 1500; do
		repeat 3 "$stack" "pps-$len" "$bin" pps "$dev" $len 3
		repeat 3 "$stack" "testpmd-$len" timeout 120 python3 \
			"$VDPA_REPO/tests/vm/testpmd.py" "$dev" $MAC 8 --rate $len 3
	done
	# Device dirty tracking (ours only): its cost on the datapath, and
	# one clearing REPORT of 1 and 16 GiB, clean, 1% and all dirty.
	if [ "$stack" = ours ]; then
		repeat 3 ours pps-64-dirty "$bin" pps "$dev" 64 3 dirty
		for gib in 1 16; do
			for pct in 0 1 100; do
				repeat 3 ours "dirty-report-${gib}g-$pct" env \
					VDPA_DIRTY_INJECT=/sys/kernel/debug/vdpa_sim/bench0/dirty_inject \
					"$bin" dirty "$dev" $gib $pct
			done
		done
	fi
	vdpa dev del bench0
	modprobe -r vhost_vdpa

	modprobe virtio_blk
	modprobe virtio_vdpa && modprobe vdpa_sim_blk || return 1
	vdpa dev add name benchblk mgmtdev vdpasim_blk || return 1
	for _ in $(seq 50); do
		disk=$(ls /sys/bus/vdpa/devices/benchblk/virtio*/block/ 2>/dev/null)
		[ -n "$disk" ] && break
		sleep 0.1
	done
	for rw in randread randwrite; do
		repeat 3 "$stack" "blk-$rw" fio_iops "/dev/$disk" $rw
	done
	vdpa dev del benchblk
}

echo "bench: kernel $(uname -r), $(nproc) CPUs"
echo madvise >/sys/kernel/mm/transparent_hugepage/enabled

# The baseline: upstream modules only, simulator in PA mode. 6.12's
# vhost_vdpa and 6.12's simulator each hold at most 2048 IOTLB entries
# per address space by default, fewer than 1 GiB of 4 KiB pages needs.
# Worse, 6.12's vhost_vdpa ignores what set_map returns at BATCH_END, so
# a simulator over its limit is left with an empty map and the batch
# still "succeeds". Both get the limit ours has (2^20), so every row
# compares a device that can reach all the memory it was given.
unload || exit 1
mount --bind "$baseline_root" /lib/modules || exit 1
workloads baseline "use_va=0 max_iotlb_entries=1048576" max_iotlb_entries=1048576 ||
	echo "bench: the baseline stopped early"
unload || exit 1
umount /lib/modules || exit 1

# Ours.
workloads ours "" "" || echo "bench: ours stopped early"
unload || exit 1

# The mlx5-style parent (no baseline): map build and change against the
# number of IOTLB entries, each its own direct key and KLM entry. The
# change adds one entry, so N = 65536 needs 65537 KLM entries: the
# function may hold 2^17 here (set before cxvdpa reads the limits),
# twice its default.
modprobe cxemu || exit 1
echo 17 >/sys/kernel/debug/cxemu/vnet.0/log_max_klm_list_size
modprobe cxvdpa && modprobe vhost_vdpa || exit 1
vdpa dev add name benchcx mgmtdev auxiliary/cxemu.vnet.0 || exit 1
for n in 1 16 256 4096 65536; do
	repeat 3 ours "mr-$n" "$bin" mr "/dev/$(chardev benchcx)" $n
done
# Its dirty tracking: the function's page tracker and report queue.
repeat 3 ours cx-pps-64 "$bin" pps "/dev/$(chardev benchcx)" 64 3
repeat 3 ours cx-pps-64-dirty "$bin" pps "/dev/$(chardev benchcx)" 64 3 dirty
for gib in 1 16; do
	for pct in 0 1 100; do
		repeat 3 ours "cx-dirty-report-${gib}g-$pct" env VDPA_DIRTY_INJECT_CXEMU=1 \
			VDPA_DIRTY_INJECT=/sys/kernel/debug/cxemu/vnet.0/dirty_inject \
			"$bin" dirty "/dev/$(chardev benchcx)" $gib $pct
	done
done
unload || exit 1

# Live migration of a guest receiving a stream (tests/bench/migrate.sh),
# ours only: 6.12's simulator has no host interface to carry the stream.
# One guest boot per parent and mode, then MIGRATE_REPS (default REPS)
# migrations.
migrate() {
	local row=migrate-$1-$2 text line rc

	text=$(bash "$VDPA_REPO/tests/bench/migrate.sh" "$1" "$2" "${MIGRATE_REPS:-$reps}" 2>&1)
	rc=$?
	echo "$text" | sed "s/^/bench: ours $row: /"
	while read -r line; do
		[[ $line == total_ms* ]] && record_line ours "$row" "$line"
	done <<<"$text"
	[ $rc -eq 0 ] || error ours "$row" "${text##*$'\n'}"
}
for run in "sim svq" "sim log" "cx log"; do
	# shellcheck disable=SC2086
	migrate $run
	unload || exit 1
done

# The floor under pin+map.
modprobe vdpa_pinbench || exit 1
for kind in 4k thp huge; do
	[ $kind = huge ] && hugepages 600
	repeat "$reps" limit "map-$kind" "$bin" pin 1024 $kind
	[ $kind = huge ] && hugepages 0
done
unload
