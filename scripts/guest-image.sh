#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Prepare the nested guest that the end-to-end tests boot with QEMU inside
# the test VM: Debian's 6.12 kernel image and a busybox initramfs holding
# virtio_net (with failover and net_failover, which it needs) and
# tests/e2e/guest-init as /init.
#
#   scripts/guest-image.sh OUTDIR    writes OUTDIR/vmlinuz, OUTDIR/initramfs.gz
#
# The image is rebuilt only when the kernel or the init script changed.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: guest-image.sh OUTDIR}

kimg=$(ls /boot/vmlinuz-6.12.*-amd64 2>/dev/null | sort -V | tail -n 1)
if [ -z "$kimg" ]; then
	echo "guest-image: no /boot/vmlinuz-6.12.*-amd64 (scripts/install-deps.sh installs it)" >&2
	exit 1
fi
kver=${kimg#/boot/vmlinuz-}
mods=/lib/modules/$kver/kernel
init=$repo/tests/e2e/guest-init
stamp="$kver $(sha256sum "$init" /bin/busybox | sha256sum | cut -c1-16)"

if [ -e "$out/initramfs.gz" ] && [ "$(cat "$out/stamp" 2>/dev/null)" = "$stamp" ]; then
	exit 0
fi

rm -rf "$out"
mkdir -p "$out/root"/{bin,dev,proc,sys,lib/modules}
cp /bin/busybox "$out/root/bin/busybox"
# Order matters: each module needs the ones before it.
for m in net/core/failover drivers/net/net_failover drivers/net/virtio_net; do
	xz -dc "$mods/$m.ko.xz" >"$out/root/lib/modules/$(basename "$m").ko"
done
install -m 0755 "$init" "$out/root/init"
(cd "$out/root" && find . | cpio -o -H newc --quiet) | gzip -1 >"$out/initramfs.gz"
rm -rf "$out/root"
cp "$kimg" "$out/vmlinuz"
echo "$stamp" >"$out/stamp"
echo "guest-image: $kver, $(du -k "$out/initramfs.gz" | cut -f1) KiB initramfs in $out"
