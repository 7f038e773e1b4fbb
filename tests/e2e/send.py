#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Send a steady TCP stream to the e2e guest and print its MD5.

    send.py HOST PORT KIB_PER_SECOND STOPFILE

Connects (retrying for 120 s), then sends KIB_PER_SECOND KiB of
deterministic bytes each second until the file STOPFILE exists, closes,
and prints the MD5 of all it sent and how many bytes: the guest prints the
MD5 of what it received (guest-init, recv mode), and the two must match.
"""
import hashlib
import os
import socket
import sys
import time


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    rate, stop = int(sys.argv[3]) * 1024, sys.argv[4]
    deadline = time.monotonic() + 120
    while True:
        try:
            s = socket.create_connection((host, port), timeout=10)
            break
        except OSError:
            if time.monotonic() > deadline:
                sys.exit('send: cannot connect')
            time.sleep(1)
    # A migration stalls the guest for a while: TCP retransmits meanwhile.
    s.settimeout(300)
    md5 = hashlib.md5()
    sent = 0
    sec = 0
    while not os.path.exists(stop):
        start = time.monotonic()
        # Every second's bytes differ from every other second's.
        chunk = bytes((i * 7 + sec * 13) & 0xff for i in range(rate))
        s.sendall(chunk)
        md5.update(chunk)
        sent += len(chunk)
        sec += 1
        time.sleep(max(0.0, 1.0 - (time.monotonic() - start)))
    s.shutdown(socket.SHUT_WR)
    s.close()
    print(md5.hexdigest(), sent)


main()
