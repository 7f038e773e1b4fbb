#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""net_loopback.py IFNAME SIZE...: send a frame of each size on IFNAME
through a packet socket and expect it back unchanged (a loopback wire).
Exits 1 on the first frame that is missing or different."""
import socket, sys
ifname, sizes = sys.argv[1], [int(x) for x in sys.argv[2:]]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x88b5))
s.bind((ifname, 0))
s.settimeout(5)
mac = open(f'/sys/class/net/{ifname}/address').read().strip()
dst = bytes.fromhex(mac.replace(':', ''))
for n, size in enumerate(sizes):
    payload = bytes((n + i) & 0xff for i in range(size - 14))
    frame = dst + dst + b'\x88\xb5' + payload
    s.send(frame)
    try:
        while True:
            got = s.recv(4096)
            if got[12:14] == b'\x88\xb5':
                break
    except socket.timeout:
        print(f'frame {n} of {size} bytes did not come back')
        sys.exit(1)
    if got != frame:
        print(f'frame {n} of {size} bytes came back as {len(got)} bytes, different')
        sys.exit(1)
