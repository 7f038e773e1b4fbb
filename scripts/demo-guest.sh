#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The demo, run inside the test VM by "make demo": create simulated vDPA
# devices with iproute2's vdpa tool, let the kernel's virtio drivers use
# them through virtio_vdpa, and move real data through both; then bind a
# net device to vhost_vdpa and forward frames through it with DPDK's
# testpmd, a userspace driver, and sum up what happened.
set -e
step() { printf '\n$ %s\n' "$*"; "$@"; }

step modprobe vdpa_sim_net
step modprobe vdpa_sim_blk
step modprobe virtio_vdpa
step vdpa mgmtdev show
step vdpa dev add name vdpa0 mgmtdev vdpasim_net mac 02:00:00:00:00:01 mtu 1500 max_vqp 2
step vdpa dev add name blk0 mgmtdev vdpasim_blk
step vdpa dev show
step vdpa dev config show vdpa0
IF=$(ls /sys/bus/vdpa/devices/vdpa0/virtio*/net/)
DISK=/dev/$(ls /sys/bus/vdpa/devices/blk0/virtio*/block/)
step ip link set "$IF" up
step ip -br link show "$IF"
printf '\n# a frame sent on %s comes back through the device loopback\n' "$IF"
python3 - "$IF" <<'PY'
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x88b5))
s.bind((sys.argv[1], 0))
s.settimeout(5)
frame = bytes.fromhex('020000000001' * 2 + '88b5') + b'hello, vDPA'
s.send(frame)
while True:
    got = s.recv(2048)
    if got[12:14] == b'\x88\xb5':
        break
print('sent    ', frame.hex())
print('received', got.hex(), '(identical)' if got == frame else '(DIFFERENT)')
PY
step vdpa dev vstats show vdpa0 qidx 1
step lsblk "$DISK"
step mkfs.ext4 -q -F "$DISK"
step mount "$DISK" /mnt
step sh -c 'echo "written through virtio_blk on a vDPA device" >/mnt/hello && cat /mnt/hello'
step umount /mnt
step vdpa dev del vdpa0
step vdpa dev del blk0
step modprobe -r virtio_vdpa vdpa_sim_blk

printf '\n# the same kind of device for a userspace driver: vhost-vdpa and DPDK\n'
step modprobe vhost_vdpa
step vdpa dev add name pmd0 mgmtdev vdpasim_net mac 02:00:00:00:0d:01
CHR=$(basename "$(ls -d /sys/bus/vdpa/devices/pmd0/vhost-vdpa-*)")
step ls -l "/dev/$CHR"
ulimit -l unlimited
printf '\n$ dpdk-testpmd --vdev=net_virtio_user0,path=/dev/%s ... (tests/vm/testpmd.py)\n' "$CHR"
python3 "$VDPA_REPO/tests/vm/testpmd.py" "/dev/$CHR" 02:00:00:00:0d:01 4 >/tmp/testpmd.out 2>&1 &
pmd=$!
features=
while kill -0 $pmd 2>/dev/null; do
	f=$(vdpa dev config show pmd0 | grep -o 'negotiated_features.*' || true)
	[ -n "$f" ] && features=$f
	sleep 0.5
done
wait $pmd
grep -A3 'Forward statistics for port 0' /tmp/testpmd.out
read -r _ tx _ rx _ pinned < <(grep -o 'tx [0-9]* rx [0-9]* pinned_kib [0-9]*' /tmp/testpmd.out)
step vdpa dev del pmd0
step modprobe -r vhost_vdpa vdpa_sim_net

cat <<SUMMARY

== summary
device:       pmd0 (vdpasim_net, loopback) as /dev/$CHR, driven by DPDK testpmd
negotiated:   ${features#negotiated_features }
traffic:      testpmd sent ${tx:-?} frames, received ${rx:-?} back
pinned:       $((${pinned:-0} / 1024)) MiB of testpmd's memory, while it ran
also:         virtio_net (loopback frame) and virtio_blk (ext4) on virtio_vdpa, above
SUMMARY
[ "${tx:-0}" -gt 0 ] && [ "$tx" = "$rx" ]
