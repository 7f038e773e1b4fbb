#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The VM is what the other tests assume: our modules resolve through
# modprobe from updates/ (ahead of upstream modules of the same name), the
# reference kernel's modules still resolve, scratch space is writable, the
# root is not, and the debug facilities the harness reads are there.
. "$(dirname "$0")/lib.sh"
kver=$(uname -r)
mods=/lib/modules/$kver

# One modinfo for every module (one each took seconds in the VM): it
# prints their paths in the order it was given the names.
ours_resolve() {
	local kos names paths

	kos=$(find "$mods/updates" -name '*.ko' | sort)
	[ -n "$kos" ] || return 1
	names=$(for ko in $kos; do basename "$ko" .ko; done)
	# shellcheck disable=SC2086 # one argument per module name
	paths=$(modinfo -n $names 2>&1)
	[ "$paths" = "$kos" ] || { diff <(echo "$kos") <(echo "$paths"); return 1; }
}
t_check our-modules-resolve-from-updates ours_resolve

upstream_dep() {
	# vhost_vdpa needs vhost and vhost_iotlb: depmod must have recorded it.
	modprobe --show-depends vhost_iotlb | grep -q "$mods/kernel/drivers/vhost/vhost_iotlb.ko"
}
t_check reference-modules-resolve upstream_dep

t_check root-is-read-only sh -c '! touch /.vdpa-rw-probe 2>/dev/null'
t_check tmp-is-writable sh -c 'echo x >/tmp/probe && rm /tmp/probe'
t_check hugetlbfs-mounted grep -q ' /dev/hugepages hugetlbfs ' /proc/mounts
t_check kmemleak-available test -w /sys/kernel/debug/kmemleak
t_check kunit-debugfs-available test -d /sys/kernel/debug/kunit
t_check failslab-available test -d /sys/kernel/debug/failslab
t_check lockdep-enabled grep -q '^CONFIG_PROVE_LOCKING=y' <(zcat /proc/config.gz)
t_check kasan-enabled grep -q '^CONFIG_KASAN=y' <(zcat /proc/config.gz)
