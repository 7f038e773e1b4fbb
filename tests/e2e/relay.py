#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Flood Ethernet frames between interfaces: a hub, for kernels without
a bridge (the test VM's has none).

    relay.py IFNAME IFNAME...

Every frame one interface receives is sent out of every other one, as a
hub does; frames the host sends itself are not relayed (no loops). The
interfaces should be up and in promiscuous mode. Runs until killed.
"""
import select
import socket
import sys

ETH_P_ALL = 0x0003


def main():
    socks = []
    for name in sys.argv[1:]:
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        s.bind((name, 0))
        socks.append(s)
    while True:
        ready, _, _ = select.select(socks, [], [])
        for s in ready:
            frame, addr = s.recvfrom(65535)
            # addr[2] is the packet type: skip what this host sent.
            if addr[2] == socket.PACKET_OUTGOING:
                continue
            for other in socks:
                if other is not s:
                    try:
                        other.send(frame)
                    except OSError:
                        pass


main()
