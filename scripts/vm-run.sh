#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot the reference kernel in QEMU (TCG) with the host's root file system
# read-only over 9p, our modules installed, and run one command as the
# guest's workload. The repository is shared on its own, at its host path,
# so a checkout under a directory the guest covers with tmpfs (/tmp) works. Then judge the run:
#   - the command's exit status,
#   - the guest's dmesg: any KASAN, lockdep, UBSAN, WARNING, BUG, Oops,
#     hung-task or sleeping-in-atomic report fails the run,
#   - kmemleak (scanned before shutdown): any leak fails the run.
#
#   scripts/vm-run.sh [options] -- COMMAND [ARGS...]
#   scripts/vm-run.sh [options] --shell
#
# Options:
#   --flavour debug|bench  reference kernel to boot (default debug)
#   --timeout SECONDS      hard limit for the whole VM (default 1200)
#   --out DIR              results directory (default: a new one in /tmp)
#   --smp N, --mem SIZE    guest CPUs (default 2) and memory (default 4G)
#   --iommu                QEMU's intel-iommu, and two more NICs on one hub:
#                          00:10.0 behind the IOMMU (iommu_platform, for
#                          6.12's vp_vdpa) and 00:11.0, an ordinary one that
#                          sees every frame the first sends (t-vp-vdpa.sh)
#   --modroot DIR          boot with DIR, a module tree scripts/stage-modules.sh
#                          staged and printed, instead of staging one: a
#                          second VM beside a first must not restage the
#                          tree the first reads
#
# Exit status: 0 when the run is clean, 1 when it is not (each reason on a
# line starting "vm-run: FAIL"), 2 on usage errors. The results directory
# keeps log (the command's output), console, dmesg, kmemleak and rc.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
flavour=debug
timeout=1200
out=
shell=0
smp=2
mem=4G
iommu=0
modroot=

usage() { sed -n '2,/^set -e/{/^#/s/^# \{0,1\}//p}' "$0" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case "$1" in
	--flavour) flavour=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--shell) shell=1; shift ;;
	--iommu) iommu=1; shift ;;
	--modroot) modroot=$2; shift 2 ;;
	--) shift; break ;;
	*) usage ;;
	esac
done
[ $shell -eq 1 ] || [ $# -gt 0 ] || usage

kdir=$("$repo/scripts/build-ref-kernel.sh" --print-dir "$flavour")
if [ ! -e "$kdir/.complete" ]; then
	echo "vm-run: no $flavour reference kernel; run scripts/build-ref-kernel.sh $flavour" >&2
	exit 2
fi
[ -n "$modroot" ] || modroot=$("$repo/scripts/stage-modules.sh" "$flavour")

if [ -z "$out" ]; then
	out=$(mktemp -d /tmp/vdpa-vm.XXXXXX)
else
	mkdir -p "$out"
	rm -rf "${out:?}"/*
fi
if [ $shell -eq 1 ]; then
	touch "$out/shell"
else
	printf '%q ' "$@" >"$out/cmd"
	echo >>"$out/cmd"
fi

append="console=ttyS0 panic=-1 root=vdparoot rootfstype=9p ro"
append+=" rootflags=trans=virtio,version=9p2000.L,msize=512000,cache=loose"
append+=" init=$repo/scripts/vm-init.sh vdpatest_repo=$repo vdpatest_modroot=$modroot"
[ $iommu -eq 0 ] || append+=" intel_iommu=on iommu.passthrough=1 iommu.strict=1"

qemu=(qemu-system-x86_64 -machine q35,accel=tcg -cpu max,la57=off
	-smp "$smp" -m "$mem" -no-reboot -nodefaults -display none
	-kernel "$kdir/arch/x86/boot/bzImage" -append "$append"
	-fsdev local,id=root,path=/,security_model=none,readonly=on,multidevs=remap
	-device virtio-9p-pci,fsdev=root,mount_tag=vdparoot
	-fsdev "local,id=out,path=$out,security_model=none,multidevs=remap"
	-device virtio-9p-pci,fsdev=out,mount_tag=out
	-fsdev "local,id=repo,path=$repo,security_model=none,readonly=on,multidevs=remap"
	-device virtio-9p-pci,fsdev=repo,mount_tag=repo)

# The vDPA NIC must be alone in its IOMMU group (its own slot on the root
# bus), modern only (iommu_platform needs it) and with one doorbell page
# per queue (page-per-vq), as vhost-vdpa maps exactly one page. aw-bits=48:
# DPDK uses user addresses as IOVAs. intremap=off: no interrupt remapping
# in the guest, MSI passes through. Under TCG all of it is emulated.
# iommu.passthrough=1: the other devices (9p, the peer NIC) keep identity
# domains, as their DMA through the emulated IOMMU only slows the VM;
# t-vp-vdpa.sh gives the vDPA NIC a translating domain itself.
if [ $iommu -eq 1 ]; then
	qemu+=(-device intel-iommu,intremap=off,aw-bits=48
		-netdev hubport,id=vdpanet,hubid=1 -netdev hubport,id=peernet,hubid=1
		-device virtio-net-pci,netdev=vdpanet,addr=0x10,disable-legacy=on,iommu_platform=on,page-per-vq=on,mac=52:54:00:12:00:10,romfile=
		-device virtio-net-pci,netdev=peernet,addr=0x11,mac=52:54:00:12:00:11,romfile=)
fi

if [ $shell -eq 1 ]; then
	"${qemu[@]}" -serial mon:stdio
	exit 0
fi

start=$(date +%s)
status=0
timeout -k 10 "$timeout" "${qemu[@]}" -serial "file:$out/console" -monitor none || status=$?
elapsed=$(( $(date +%s) - start ))

fail=0
if [ $status -eq 124 ] || [ $status -eq 137 ]; then
	echo "vm-run: FAIL timeout: the VM ran longer than ${timeout}s; console tail:"
	tail -n 40 "$out/console" | sed 's/^/    /'
	fail=1
elif [ ! -s "$out/rc" ]; then
	echo "vm-run: FAIL no result: the guest stopped before finishing; console tail:"
	tail -n 40 "$out/console" | sed 's/^/    /'
	fail=1
elif [ "$(cat "$out/rc")" != 0 ]; then
	echo "vm-run: FAIL command: exit status $(cat "$out/rc")"
	fail=1
fi

# The kernel's own words for something that must never happen in a test.
pattern='BUG:|WARNING:|Oops|KASAN|UBSAN|general protection fault|kernel BUG'
pattern+='|INFO: task .* blocked for more than|INFO: possible .*locking'
pattern+='|INFO: trying to register non-static key|possible circular locking'
pattern+='|inconsistent lock state|suspicious RCU usage|Kernel panic'
# A device DMA the IOMMU blocked (--iommu): an address nobody mapped.
pattern+='|DMAR: DRHD: handling fault|DMAR: \[DMA (Read|Write)'
# Both the saved log buffer and the serial console are scanned: the
# buffer can wrap in a long run, the console can drop lines. A run where
# neither holds the whole log from boot cannot be called clean.
for f in "$out/dmesg" "$out/console"; do
	[ -s "$f" ] || continue
	if grep -Eq "$pattern" "$f"; then
		echo "vm-run: FAIL dmesg: the kernel reported a problem ($(basename "$f")):"
		grep -En -A 30 "$pattern" "$f" | head -n 120 | sed 's/^/    /'
		fail=1
		break
	fi
done
whole=0
grep -q 'Linux version' "$out/dmesg" 2>/dev/null && whole=1
grep -q 'Linux version' "$out/console" 2>/dev/null &&
	! grep -q 'printk messages dropped' "$out/console" && whole=1
if [ -e "$out/rc" ] && [ $whole -eq 0 ]; then
	echo "vm-run: FAIL dmesg: neither the log buffer (wrapped) nor the console holds the whole kernel log"
	fail=1
fi
if [ -e "$out/rc" ] && grep -qx 'CONFIG_DEBUG_KMEMLEAK=y' "$kdir/.config" &&
   [ "$(cat "$out/kmemleak-status" 2>/dev/null)" != scanned ]; then
	echo "vm-run: FAIL kmemleak: $(cat "$out/kmemleak-status" 2>/dev/null || echo 'no scan')"
	fail=1
fi
# kmemleak reports no object younger than 5 s as its second scan begins,
# and everything the command left behind is older than the first scan.
if [ "$(cat "$out/kmemleak-status" 2>/dev/null)" = scanned ] &&
   ! awk '{ exit !(NF == 2 && $2 - $1 >= 500) }' "$out/kmemleak-scans" 2>/dev/null; then
	echo "vm-run: FAIL kmemleak: its second scan did not begin 5 s after the first" \
		"($(awk '{ printf "uptime %.2f s and %.2f s", $1 / 100, $2 / 100 }' \
			"$out/kmemleak-scans" 2>/dev/null || echo 'no start times'))"
	fail=1
fi
if [ -s "$out/kmemleak" ]; then
	echo "vm-run: FAIL kmemleak: $(grep -c '^unreferenced object' "$out/kmemleak") leak(s):"
	head -n 60 "$out/kmemleak" | sed 's/^/    /'
	fail=1
fi

echo "vm-run: $( [ $fail -eq 0 ] && echo clean || echo failed ) after ${elapsed}s, results in $out"
exit $fail
