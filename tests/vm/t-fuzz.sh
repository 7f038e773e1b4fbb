#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The bounded fuzzers of tests/fuzz/: vdpa_fuzz drives a vhost-vdpa device
# of each parent (the simulator in both map modes and in VA mode, the
# emulated ConnectX function) with seeded random calls, all devices at
# once; nl_fuzz.py sends random requests of the vdpa netlink family. Short
# runs in make check, long ones (some two million calls in all, 10
# minutes) in make check-long; FUZZ_SEED picks other seeds. After each
# run the device still works (a VMM session), nothing of the fuzzer's
# memory is pinned, the function holds nothing of a deleted device, and
# no device the netlink fuzzer made is left; the harness checks dmesg and
# kmemleak.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vhost_lib.sh"

FUZZ=$(dirname "$BIN")/vdpa_fuzz
NL_FUZZ=$(dirname "$0")/../fuzz/nl_fuzz.py
MGMT_CX=auxiliary/cxemu.vnet.0
DBG=/sys/kernel/debug/cxemu/vnet.0
SEED=${FUZZ_SEED:-1}
# Calls and seconds per device, each run stopping at whichever comes first
# (FUZZ_SECS overrides the seconds). The devices' fuzzers run at the same
# time: one keeps one CPU busy, the VM has two. 440 s in check-long still
# makes some two million calls, and keeps CI's run on a fresh machine
# (kernel build included) inside its 90 minutes.
OPS=$(rounds 2000 1000000)
SECS=${FUZZ_SECS:-$(rounds 20 440)}
NL_SECS=${FUZZ_SECS:-$(rounds 20 180)}
SIM=/sys/module/vdpa_sim/parameters

[ -x "$FUZZ" ] || { echo "no $FUZZ: run make tests"; exit 1; }
modprobe vdpa_sim_net && modprobe vhost_vdpa && modprobe cxemu && modprobe cxvdpa || exit 1
out_dir=$(mktemp -d)
trap 'for d in fz0 fz1 fz2 fz3; do vdpa dev del $d 2>/dev/null; done
      echo set_map >$SIM/map_mode; echo 0 >$SIM/use_va; rm -rf "$out_dir"
      modprobe -r vhost_vdpa cxvdpa cxemu vdpa_sim_net' EXIT
ulimit -l unlimited

names=() devs=() seeds=() envs=() pids=()

# start NAME DEV MGMTDEV SEED [ENV...]: make device DEV (the simulator's
# parameters are read then) and start the fuzzer on it, with ENV (e.g.
# memfd memory for VA mode) in its environment.
start() {
	local name=$1 dev=$2 mgmt=$3 seed=$4
	shift 4

	t_check "$name-add" vdpa dev add name "$dev" mgmtdev "$mgmt"
	env "$@" "$FUZZ" "/dev/$(chardev_of "$dev")" "$seed" "$OPS" "$SECS" \
		>"$out_dir/$name" 2>&1 &
	pids+=($!) names+=("$name") devs+=("$dev") seeds+=("$seed") envs+=("$*")
}

# finish I: the Ith fuzzer ended well, the device still works (a VMM
# session), and goes. vdpa_fuzz checks vhost_vdpa's pins itself; a
# VA-mode device's own are checked here.
finish() {
	local i=$1 name=${names[$1]} dev=${devs[$1]} va=/sys/kernel/debug/vdpa_sim/${devs[$1]}/va

	wait "${pids[$i]}"
	t_check "$name-fuzz" test $? -eq 0
	grep -E '^(FAIL|fuzz:)' "$out_dir/$name"
	t_check "$name-ran" grep -q "^fuzz: seed ${seeds[$i]} ops [1-9]" "$out_dir/$name"
	if [ -e "$va" ]; then
		cat "$va"
		t_expect_eq "$name-unpinned-all" "$(awk '/^pinned / { print $2 }' "$va")" \
			"$(awk '/^unpinned / { print $2 }' "$va")"
	fi
	t_check "$name-session-after" sh -c \
		"env ${envs[$i]} '$BIN' session '/dev/$(chardev_of "$dev")' | grep -q '^ok 1'"
	t_check "$name-del" vdpa dev del "$dev"
}

# make check: VA mode and the function; check-long also both map modes.
for mode in $(rounds "" "set_map dma_map"); do
	echo "$mode" >$SIM/map_mode
	start "sim-$mode" "fz${#pids[@]}" vdpasim_net "$SEED"
done
echo set_map >$SIM/map_mode
# VA mode, the fuzzer's memory a memfd: the datapath pins its pages as it
# goes, while they are remapped and punched out under it.
echo 1 >$SIM/use_va
start sim-va "fz${#pids[@]}" vdpasim_net "$((SEED + 2))" AREA_MEMFD=1 VA_MODE=1
echo 0 >$SIM/use_va
start cx "fz${#pids[@]}" "$MGMT_CX" "$((SEED + 1))"
for i in "${!pids[@]}"; do
	finish "$i"
done
t_expect_eq cx-nothing-held "mkey 0 vq 0 tracker 0 track_rq 0 leaked 0" \
	"$(grep -E '^(mkey|vq|leaked|tracker|track_rq) ' $DBG/resources | paste -sd ' ')"

# The netlink family, on every management device; nothing may be left.
before=$(ls /sys/bus/vdpa/devices | paste -sd ' ')
out=$(timeout $((NL_SECS + 120)) python3 "$NL_FUZZ" "$SEED" "$(rounds 400 20000)" "$NL_SECS" \
	vdpasim_net "$MGMT_CX" 2>&1)
t_check netlink-fuzz test $? -eq 0
echo "$out"
t_check netlink-ran grep -q "^nl_fuzz: seed $SEED ops [1-9]" <<<"$out"
t_expect_eq netlink-nothing-left "$before" "$(ls /sys/bus/vdpa/devices | paste -sd ' ')"
t_expect_eq netlink-cx-nothing-held "mkey 0 vq 0 leaked 0" \
	"$(grep -E '^(mkey|vq|leaked) ' $DBG/resources | paste -sd ' ')"
