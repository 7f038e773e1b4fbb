#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# PID 1 of the test VM (started by scripts/vm-run.sh). The root file system
# is the host's, read-only over 9p; everything writable is tmpfs. The host
# passes a results directory as the 9p share "out": the command to run is
# in out/cmd, and we leave rc, dmesg and kmemleak there.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=${TERM:-linux}
# A guest that stops halfway must not hang the host: the host has a timeout
# too, but powering off here is faster.
poweroff_now() {
	sync
	busybox poweroff -f
	sleep 30
}
trap poweroff_now EXIT

mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
# devtmpfs has no fd links; bash process substitution needs /dev/fd.
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mkdir -p /dev/pts /dev/shm /dev/hugepages
mount -t devpts devpts /dev/pts
mount -t tmpfs shm /dev/shm
mount -t hugetlbfs hugetlbfs /dev/hugepages
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
for d in /run /tmp /var/tmp /var/log /root /mnt; do
	mount -t tmpfs tmpfs "$d"
done
mkdir -p /run/out
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 out /run/out
out=/run/out

# The repository, at its host path, even where a tmpfs above now hides it.
repo=$(sed -n 's/.*vdpatest_repo=\([^ ]*\).*/\1/p' /proc/cmdline)
mkdir -p "$repo" 2>/dev/null
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,ro,cache=loose repo "$repo"

# Our modules and the reference kernel's, staged and depmod'ed by the host.
modroot=$(sed -n 's/.*vdpatest_modroot=\([^ ]*\).*/\1/p' /proc/cmdline)
[ -n "$modroot" ] && mount --bind "$modroot" /lib/modules
export VDPA_REPO=$repo VDPA_OUT=$out

hostname vdpa-vm
ip link set lo up

# kmemleak scans only before power-off (the reference kernel has no
# DEBUG_KMEMLEAK_AUTO_SCAN), and not before the command either: that
# kernel boots without leaks, so whatever the scans report is the
# command's.
kml=/sys/kernel/debug/kmemleak

cd "${repo:-/}"
if [ -e $out/shell ]; then
	# Interactive: a job-control shell on the serial console.
	setsid -c bash -l </dev/ttyS0 >/dev/ttyS0 2>&1
	rc=$?
else
	bash $out/cmd >$out/log 2>&1 </dev/null
	rc=$?
fi

# kmemleak reports an object only when it was unreferenced in two scans
# in a row, with contents unchanged between them, and at least 5 s old as
# the second began. So: 2 s for what the command left to settle (processes
# still exiting, RCU callbacks: an object still referenced at the first
# scan could not be reported by the second), then the second scan 6 s
# after the first began. Every object the command left behind is older
# than the first scan; a scan after the suite takes about 9 s, so there is
# rarely anything left to wait for. The host checks the scans' start times
# (kmemleak-scans, uptime in 1/100 s), and
# tests/selftest/harness_leak_selftest.c leaks just before them.
# A scan that cannot run (kmemleak disabled itself, say after running out
# of its pool) is recorded, so that the host does not take it for clean.
uptime_cs() {
	local up

	read -r up _ </proc/uptime
	echo $((10#${up/./}))
}
kml_scan_twice() {
	local first second

	sleep 2
	first=$(uptime_cs)
	echo scan 2>/dev/null >$kml || return
	while [ $(($(uptime_cs) - first)) -lt 600 ]; do
		sleep 0.2
	done
	second=$(uptime_cs)
	echo scan 2>/dev/null >$kml || return
	echo "$first $second" >$out/kmemleak-scans
}
if [ -w $kml ] && kml_scan_twice && cat $kml >$out/kmemleak; then
	echo scanned >$out/kmemleak-status
else
	echo "not scanned: $(dmesg | grep -m1 'kmemleak: .*disabled' || echo "no $kml")" \
		>$out/kmemleak-status
fi
dmesg >$out/dmesg
echo $rc >$out/rc
