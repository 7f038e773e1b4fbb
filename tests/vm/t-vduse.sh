#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A VA-mode parent on our bus: 6.12's VDUSE (vduse.ko, built unchanged
# against our headers by scripts/compat-build.sh) with Debian's
# qemu-storage-daemon serving a disk image as a vduse-blk export. Through
# virtio_vdpa it is a virtio_blk disk: fio writes and verifies, ext4 is
# made and a file written, read back after a remount, and found in the
# image once the daemon is gone. Through vhost_vdpa in VA mode, the
# userspace client's blk requests on memfd memory, nothing pinned.
# Removal with the daemon running; with the daemon killed while a request
# is in flight (vhost_vdpa), removal completes once VDUSE gives up waiting
# for it (msg_timeout, 1 s here) and the client's calls fail with ENODEV.
# The device VDUSE then keeps is destroyed through /dev/vduse/control.
# make check-long sweeps vdpa dev add, del and virtio_vdpa's probe with
# fault injection.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vhost_lib.sh"

IMG=/tmp/vduse.img
MNT=/tmp/vduse.mnt
REF=/tmp/vduse.ref
SWEEP=$(dirname "$0")/fault_sweep.py
qsd=

# start_daemon NAME: qemu-storage-daemon exports $IMG as VDUSE device NAME.
start_daemon() {
	qemu-storage-daemon --blockdev "driver=file,filename=$IMG,node-name=d0" \
		--export "type=vduse-blk,id=e0,node-name=d0,name=$1,writable=on" \
		>"/tmp/qsd.$1.log" 2>&1 &
	qsd=$!
	for _ in $(seq 100); do
		[ -e "/dev/vduse/$1" ] && return 0
		sleep 0.1
	done
	cat "/tmp/qsd.$1.log"
	return 1
}

# disk_of DEV: the block device virtio_blk made of vDPA device DEV, waited for.
disk_of() {
	local d

	for _ in $(seq 100); do
		d=$(ls -d /sys/bus/vdpa/devices/"$1"/virtio*/block/* 2>/dev/null | head -n 1)
		[ -n "$d" ] && { basename "$d"; return; }
		sleep 0.1
	done
}

# destroy NAME: VDUSE_DESTROY_DEV on /dev/vduse/control.
destroy() {
	python3 -c '
import fcntl, sys
VDUSE_DESTROY_DEV = (1 << 30) | (256 << 16) | (0x81 << 8) | 0x03
with open("/dev/vduse/control", "rb") as f:
    fcntl.ioctl(f, VDUSE_DESTROY_DEV, sys.argv[1].encode().ljust(256, b"\0"))
' "$1"
}

cleanup() {
	fail_nth_restore
	umount "$MNT" 2>/dev/null
	[ -n "$qsd" ] && kill "$qsd" 2>/dev/null
	rm -f "$IMG" "$REF" /tmp/fio.vduse.log
}
trap cleanup EXIT

modprobe -r vhost_vdpa 2>/dev/null
t_check modprobe modprobe -a vdpa virtio_vdpa vduse
truncate -s 64M "$IMG"
t_check daemon start_daemon vd0
t_check mgmtdev-listed sh -c "vdpa mgmtdev show | grep -q '^vduse:'"
# make check-long: virtio_vdpa's probe of the VDUSE device swept with
# fault injection (tests/vm/fault_sweep.py, as t-fault.sh does for ours).
long=$(rounds no yes)
if [ "$long" = yes ]; then
	fail_nth_setup
	tap probe-swept python3 "$SWEEP" probe vduse vd0
	fail_nth_restore
fi
t_check add vdpa dev add name vd0 mgmtdev vduse
t_expect_eq virtio-vdpa-bound virtio_vdpa "$(driver_of vd0)"
disk=$(disk_of vd0)
t_check disk test -n "$disk" -a -b "/dev/$disk"

t_check fio-verify fio --name=vduse --filename="/dev/$disk" --rw=randwrite --bs=4k \
	--size="$(rounds 4M 48M)" --verify=crc32c --direct=1 --ioengine=libaio --iodepth=8 \
	--verify_state_save=0 --output=/tmp/fio.vduse.log
t_check fio-no-errors grep -q 'err= 0' /tmp/fio.vduse.log
# vhost_vdpa in VA mode: the client's blk requests on memfd memory, which
# the daemon maps through VDUSE; nothing is pinned.
t_check unbind-virtio sh -c "echo vd0 >/sys/bus/vdpa/drivers/virtio_vdpa/unbind"
t_check modprobe-vhost modprobe vhost_vdpa
t_expect_eq vhost-bound vhost_vdpa "$(driver_of vd0)"
tap va env AREA_MEMFD=1 VA_MODE=1 "$BIN" blk "/dev/$(chardev_of vd0)"
# What it wrote at sector 64 (the bytes i * 13 + 1) is in the image.
t_check va-write-in-image python3 -c '
import sys
with open(sys.argv[1], "rb") as f:
    f.seek(64 * 512)
    got = f.read(8192)
sys.exit(got != bytes((i * 13 + 1) & 0xff for i in range(8192)))
' "$IMG"
t_check rmmod-vhost modprobe -r vhost_vdpa
t_check rebind-virtio sh -c "echo vd0 >/sys/bus/vdpa/drivers/virtio_vdpa/bind"
disk=$(disk_of vd0)
t_check disk-after-vhost test -n "$disk"
mkdir -p "$MNT"
head -c 1M /dev/urandom >"$REF"
t_check mkfs mkfs.ext4 -q "/dev/$disk"
t_check mount mount "/dev/$disk" "$MNT"
t_check write cp "$REF" "$MNT/f"
t_check umount umount "$MNT"
t_check remount mount -o ro "/dev/$disk" "$MNT"
t_check read-back cmp "$REF" "$MNT/f"
t_check umount-again umount "$MNT"

# Removal with the daemon running; the daemon then exits and takes the
# VDUSE device with it. The file is in the image, as written.
t_check del vdpa dev del vd0
kill "$qsd"
wait "$qsd"
t_expect_eq daemon-exit-status 0 "$?"
qsd=
t_check vduse-dev-gone test ! -e /dev/vduse/vd0
t_check image-fsck fsck.ext4 -fn "$IMG"
t_check image-holds-file sh -c "debugfs -R 'cat /f' '$IMG' 2>/dev/null | cmp - '$REF'"

# The daemon killed with a request in flight on vhost_vdpa: removal
# completes once VDUSE gives up on the daemon, and the client's calls fail
# with ENODEV. (Through virtio_vdpa 6.12's virtio_blk would wait for the
# request forever in del_gendisk(): see Documentation/testing.rst.)
t_check rmmod-virtio modprobe -r virtio_vdpa
t_check modprobe-vhost-again modprobe vhost_vdpa
t_check daemon-vd1 start_daemon vd1
# make check-long: vdpa dev add (vhost_vdpa taking each device made) and
# del on VDUSE's management device, swept with fault injection.
if [ "$long" = yes ]; then
	fail_nth_setup
	tap add-swept python3 "$SWEEP" add vduse vd1
	tap del-swept python3 "$SWEEP" del vduse vd1
	fail_nth_restore
fi
t_check add-vd1 vdpa dev add name vd1 mgmtdev vduse
t_expect_eq vd1-vhost-bound vhost_vdpa "$(driver_of vd1)"
t_check msg-timeout-vd1 sh -c "echo 1 >/sys/class/vduse/vd1/msg_timeout"
fifo=/tmp/blkdead.$$
out=/tmp/blkdead.out
rm -f "$fifo"
mkfifo "$fifo"
"$BIN" blkdead "/dev/$(chardev_of vd1)" <"$fifo" >"$out" 2>&1 &
client=$!
exec 9>"$fifo"
t_expect_eq blkdead-ready ready "$(ready_line "$out")"
kill -9 "$qsd"
wait "$qsd" 2>/dev/null
qsd=
echo go >&9
for _ in $(seq 100); do
	grep -q '^submitted' "$out" && break
	sleep 0.1
done
start=$(date +%s)
t_check del-with-request-in-flight timeout 60 vdpa dev del vd1
t_check del-in-flight-took-msg-timeout test $(($(date +%s) - start)) -lt 20
echo go >&9
exec 9>&-
wait "$client"
tap blkdead cat "$out"
rm -f "$fifo" "$out"
t_check destroy-vd1 destroy vd1
t_check rmmod modprobe -r vduse vhost_vdpa
