#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The bounded fuzzers of tests/fuzz/: vdpa_fuzz drives a vhost-vdpa device
# of each parent (the simulator in both map modes and in VA mode, the
# emulated ConnectX function) with seeded random calls, nl_fuzz.py sends random requests of
# the vdpa netlink family. Short runs in make check, long ones (millions of
# calls in all) in make check-long; FUZZ_SEED picks other seeds. After each
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
# Calls and seconds per parent: each run stops at whichever comes first.
OPS=$(rounds 2000 1000000)
SECS=$(rounds 20 180)

[ -x "$FUZZ" ] || { echo "no $FUZZ: run make tests"; exit 1; }
modprobe vdpa_sim_net && modprobe vhost_vdpa && modprobe cxemu && modprobe cxvdpa || exit 1
trap 'vdpa dev del fz0 2>/dev/null; echo set_map >/sys/module/vdpa_sim/parameters/map_mode
      echo 0 >/sys/module/vdpa_sim/parameters/use_va
      modprobe -r vhost_vdpa cxvdpa cxemu vdpa_sim_net' EXIT
ulimit -l unlimited

# fuzz NAME MGMTDEV SEED [ENV...]: a device, the fuzzer on it (with ENV,
# e.g. memfd memory for VA mode), then a VMM session. (vdpa_fuzz checks
# vhost_vdpa's pins; a VA-mode device's own are checked below.)
fuzz() {
	local name=$1 mgmt=$2 seed=$3 out
	shift 3

	t_check "$name-add" vdpa dev add name fz0 mgmtdev "$mgmt"
	out=$(env "$@" "$FUZZ" "/dev/$(chardev_of fz0)" "$seed" "$OPS" "$SECS" 2>&1)
	t_check "$name-fuzz" test $? -eq 0
	[ -e /sys/kernel/debug/vdpa_sim/fz0/va ] && cat /sys/kernel/debug/vdpa_sim/fz0/va
	[ -e /sys/kernel/debug/vdpa_sim/fz0/va ] && t_expect_eq "$name-unpinned-all" \
		"$(awk '/^pinned / { print $2 }' /sys/kernel/debug/vdpa_sim/fz0/va)" \
		"$(awk '/^unpinned / { print $2 }' /sys/kernel/debug/vdpa_sim/fz0/va)"
	grep -E '^(FAIL|fuzz:)' <<<"$out"
	t_check "$name-ran" grep -q "^fuzz: seed $seed ops [1-9]" <<<"$out"
	t_check "$name-session-after" sh -c \
		"env $* '$BIN' session '/dev/$(chardev_of fz0)' | grep -q '^ok 1'"
	t_check "$name-del" vdpa dev del fz0
}

# make check: VA mode and the function; check-long also both map modes.
for mode in $(rounds "" "set_map dma_map"); do
	echo "$mode" >/sys/module/vdpa_sim/parameters/map_mode
	fuzz "sim-$mode" vdpasim_net "$SEED"
done
echo set_map >/sys/module/vdpa_sim/parameters/map_mode
# VA mode, the fuzzer's memory a memfd: the datapath pins its pages as it
# goes, while they are remapped and punched out under it.
echo 1 >/sys/module/vdpa_sim/parameters/use_va
fuzz sim-va vdpasim_net "$((SEED + 2))" AREA_MEMFD=1 VA_MODE=1
echo 0 >/sys/module/vdpa_sim/parameters/use_va
fuzz cx "$MGMT_CX" "$((SEED + 1))"
t_expect_eq cx-nothing-held "mkey 0 vq 0 tracker 0 track_rq 0 leaked 0" \
	"$(grep -E '^(mkey|vq|leaked|tracker|track_rq) ' $DBG/resources | paste -sd ' ')"

# The netlink family, on every management device; nothing may be left.
before=$(ls /sys/bus/vdpa/devices | paste -sd ' ')
out=$(timeout $((SECS + 120)) python3 "$NL_FUZZ" "$SEED" "$(rounds 400 20000)" "$SECS" \
	vdpasim_net "$MGMT_CX" 2>&1)
t_check netlink-fuzz test $? -eq 0
grep -E '^(FAIL|nl_fuzz:)' <<<"$out"
t_check netlink-ran grep -q "^nl_fuzz: seed $SEED ops [1-9]" <<<"$out"
t_expect_eq netlink-nothing-left "$before" "$(ls /sys/bus/vdpa/devices | paste -sd ' ')"
t_expect_eq netlink-cx-nothing-held "mkey 0 vq 0 leaked 0" \
	"$(grep -E '^(mkey|vq|leaked) ' $DBG/resources | paste -sd ' ')"
