#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The far end of a wire: send every frame addressed to MAC back, unchanged.

    peer_echo.py IFNAME MAC

Frames that arrive on IFNAME with destination MAC go out again on IFNAME as
they came, so a NIC on the other end of the wire (t-vp-vdpa.sh: testpmd on
vp_vdpa) receives what it sent. Runs until SIGTERM, then prints "echoed N".
"""
import signal
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
SOL_PACKET = 263
PACKET_ADD_MEMBERSHIP = 1
PACKET_MR_PROMISC = 1


def main():
    if len(sys.argv) != 3:
        raise SystemExit('usage: peer_echo.py IFNAME MAC')
    ifname, mac = sys.argv[1], bytes.fromhex(sys.argv[2].replace(':', ''))
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    sock.bind((ifname, 0))
    # MAC is not the interface's own: its NIC must pass every frame up.
    mreq = struct.pack('iHH8s', socket.if_nametoindex(ifname), PACKET_MR_PROMISC, 0, b'')
    sock.setsockopt(SOL_PACKET, PACKET_ADD_MEMBERSHIP, mreq)
    # virtio_net tells its device about promiscuous mode from a work item.
    time.sleep(0.5)
    echoed = 0

    def stop(_sig, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    print('listening', flush=True)
    try:
        while True:
            frame, addr = sock.recvfrom(65536)
            # Our own echoes come by as outgoing copies: never again.
            if addr[2] == PACKET_OUTGOING or frame[:6] != mac:
                continue
            sock.send(frame)
            echoed += 1
    except KeyboardInterrupt:
        pass
    print(f'echoed {echoed}', flush=True)


if __name__ == '__main__':
    main()
