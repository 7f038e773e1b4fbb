#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The demo, run inside the test VM by "make demo": create simulated vDPA
# devices with iproute2's vdpa tool, let the kernel's virtio drivers use
# them through virtio_vdpa, and move real data through both.
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
step modprobe -r virtio_vdpa vdpa_sim_net vdpa_sim_blk
