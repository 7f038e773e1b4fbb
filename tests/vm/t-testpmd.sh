#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# DPDK 22.11 testpmd, unchanged, on /dev/vhost-vdpa-N: virtio_user sends
# 4 bursts of 32 frames to the device's MAC and must receive every one of
# them back through the loopback, on the emulated ConnectX function and,
# in make check-long, on the simulator in both map modes. testpmd's memory is pinned (PA mode)
# while it runs. make check-long also lets one burst of 32 frames circulate,
# started at testpmd's prompt and from a user's command line.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vhost_lib.sh"

MAC=02:00:00:00:0d:01
FRAMES=128

# few_in_flight NAME DEV: one burst of 32 frames circulates (io forward, as
# a user's "--tx-first --forward-mode=io" does): the device must keep
# taking them for SECONDS after testpmd's warm-up, not stop once drained.
few_in_flight() {
	local name=$1 dev=$2 out pps

	out=$(timeout 300 python3 "$(dirname "$0")/testpmd.py" "/dev/$(chardev_of "$dev")" \
		"$MAC" 1 --rate 64 3 2>&1)
	pps=$(sed -n 's/^pps \([0-9]*\) .*/\1/p' <<<"$out")
	t_check "$name-32-in-flight-keep-going" test "${pps:-0}" -gt 0
	[ "${pps:-0}" -gt 0 ] || tail -n 40 <<<"$out"
}

# user_cmdline NAME DEV: testpmd as a user starts it from the shell (issue
# 18's defect 12): one --tx-first burst of 32 frames, io forwarding,
# auto-start, its own ring sizes and mbuf pool, and --stats-period 1 so that
# it prints the port's counters every second. The burst must still be
# circulating at the end: the receive count must have grown in each of the
# last two seconds, after at least 5 s of forwarding. The wait is on the
# first counters, not a fixed time: DPDK 22.11's virtio_user never reads a
# vhost-vdpa device's link status, so testpmd sees the link down and spends
# 9 s in its link check before it sends anything (Documentation/vhost-vdpa.rst,
# "Clients").
user_cmdline() {
	local name=$1 dev=$2 log pid rx i

	log=$(mktemp)
	timeout 180 stdbuf -o0 dpdk-testpmd -l 0-1 --no-huge -m 128 --no-pci \
		--log-level='*:notice' "--vdev=net_virtio_user0,path=/dev/$(chardev_of "$dev")" \
		-- --forward-mode=io --tx-first "--eth-peer=0,$MAC" --auto-start --nb-cores=1 \
		--total-num-mbufs=4096 --txd=256 --rxd=256 --stats-period 1 </dev/null >"$log" 2>&1 &
	pid=$!
	for ((i = 0; i < 1200; i++)); do
		grep -q "RX-missed" "$log" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	sleep 6
	kill -INT "$pid"
	wait "$pid"
	# The counters printed each second ("RX-packets: N RX-missed: ..."),
	# not the totals at exit.
	rx=$(sed -n 's/.*RX-packets: *\([0-9]*\) *RX-missed.*/\1/p' "$log" | tail -n 3 | tr '\n' ' ')
	echo "$name: testpmd from the shell, received by second: $rx"
	t_check "$name-user-cmdline-keeps-going" awk -v s="$rx" \
		'BEGIN { n = split(s, r, " "); exit !(n == 3 && r[1] > 1000 && r[2] > r[1] && r[3] > r[2]) }'
	grep -q "RX-missed" "$log" || tail -n 30 "$log"
	rm -f "$log"
}

# testpmd_on NAME DEV: run testpmd on vDPA device DEV, check the counts.
testpmd_on() {
	local name=$1 dev=$2 out tx rx pinned

	t_expect_eq "$name-bound" vhost_vdpa "$(driver_of "$dev")"
	out=$(timeout 300 python3 "$(dirname "$0")/testpmd.py" "/dev/$(chardev_of "$dev")" \
		"$MAC" $((FRAMES / 32)) 2>&1)
	t_check "$name-ran" test $? -eq 0
	read -r _ tx _ rx _ pinned <<<"$(grep -o 'tx [0-9]* rx [0-9]* pinned_kib [0-9]*' <<<"$out")"
	t_expect_eq "$name-sent" "$FRAMES" "$tx"
	t_expect_eq "$name-received" "$FRAMES" "$rx"
	t_check "$name-pinned" test "${pinned:-0}" -gt 0
	[ "$tx" = "$FRAMES" ] && [ "$rx" = "$FRAMES" ] || tail -n 40 <<<"$out"
}

ulimit -l unlimited
modprobe vhost_vdpa && modprobe vdpa_sim_net || exit 1
# make check runs testpmd on the emulated function only (the client suite
# covers the simulator's map modes); make check-long on both parents.
for mode in $(rounds "" "set_map dma_map"); do
	echo "$mode" >/sys/module/vdpa_sim/parameters/map_mode
	t_check "sim-$mode-add" vdpa dev add name pmd0 mgmtdev vdpasim_net mac $MAC
	testpmd_on "sim-$mode" pmd0
	few_in_flight "sim-$mode" pmd0
	user_cmdline "sim-$mode" pmd0
	t_check "sim-$mode-del" vdpa dev del pmd0
done
echo set_map >/sys/module/vdpa_sim/parameters/map_mode

modprobe cxemu && modprobe cxvdpa || exit 1
t_check cx-add vdpa dev add name pmd1 mgmtdev auxiliary/cxemu.vnet.0 mac $MAC
# make check's plain run; make check-long's two with 32 frames instead.
if long_tier; then
	few_in_flight cx pmd1
	user_cmdline cx pmd1
else
	testpmd_on cx pmd1
fi
t_check cx-del vdpa dev del pmd1
t_check rmmod modprobe -r cxvdpa cxemu vdpa_sim_net vhost_vdpa
