#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Flood Ethernet frames between interfaces and a tap: a hub, for
kernels without a bridge (the test VM's has none).

    relay.py TAP IFNAME...

TAP is a persistent tap interface (ip tuntap add ... mode tap) holding
the host's address; IFNAMEs are the devices' host interfaces. Every frame
one of them receives is sent out of every other one, as a hub does;
frames the host sends on an IFNAME itself are not relayed (no loops). A
tap rather than a veth: what the host sends through it comes with its
checksums complete (a veth would leave them to an offload no one does).
The IFNAMEs should be up and in promiscuous mode. Runs until killed.
"""
import fcntl
import os
import select
import socket
import struct
import sys

ETH_P_ALL = 0x0003
TUNSETIFF = 0x400454ca
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000


def main():
    tap = os.open('/dev/net/tun', os.O_RDWR)
    fcntl.ioctl(tap, TUNSETIFF, struct.pack('16sH', sys.argv[1].encode(), IFF_TAP | IFF_NO_PI))
    socks = []
    for name in sys.argv[2:]:
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        s.bind((name, 0))
        socks.append(s)

    def flood(frame, source):
        for other in socks:
            if other is not source:
                try:
                    other.send(frame)
                except OSError:
                    pass
        if source is not None:
            try:
                os.write(tap, frame)
            except OSError:
                pass

    while True:
        ready, _, _ = select.select(socks + [tap], [], [])
        for s in ready:
            if s == tap:
                flood(os.read(tap, 65535), None)
                continue
            frame, addr = s.recvfrom(65535)
            # addr[2] is the packet type: skip what this host sent.
            if addr[2] != socket.PACKET_OUTGOING:
                flood(frame, s)


main()
