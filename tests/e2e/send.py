#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Send a TCP stream to the e2e guest and print its MD5.

    send.py HOST PORT KIB_PER_SECOND STOPFILE [SAMPLES]

Connects (retrying for 120 s), then sends KIB_PER_SECOND KiB of
deterministic bytes each second (0: as fast as the connection takes
them) until the file STOPFILE exists, closes, and prints the MD5 of all
it sent and how many bytes: the guest prints the MD5 of what it received
(guest-init, recv mode), and the two must match.

With SAMPLES, every 20 ms a line "TIME BYTES" goes to that file: the
wall-clock time and how many bytes the guest has acknowledged so far
(tcpi_bytes_acked), which make bench turns into receive rates.
"""
import hashlib
import os
import socket
import struct
import sys
import threading
import time

# struct tcp_info (include/uapi/linux/tcp.h): 8 bytes of u8 fields and 24
# u32 fields, then tcpi_pacing_rate, tcpi_max_pacing_rate, tcpi_bytes_acked.
TCPI_BYTES_ACKED = 8 + 24 * 4 + 2 * 8
CHUNK = 64 * 1024


def sampler(s, path, done):
    with open(path, 'w') as f:
        while not done.is_set():
            info = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
            if len(info) < TCPI_BYTES_ACKED + 8:
                sys.exit('send: tcp_info has no tcpi_bytes_acked')
            acked, = struct.unpack_from('=Q', info, TCPI_BYTES_ACKED)
            f.write('%.3f %d\n' % (time.time(), acked))
            f.flush()
            time.sleep(0.02)


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    rate, stop = int(sys.argv[3]) * 1024, sys.argv[4]
    samples = sys.argv[5] if len(sys.argv) > 5 else None
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
    # Longer than that without progress, the guest is gone: fail.
    s.settimeout(120)
    done = threading.Event()
    if samples:
        # A daemon: a sender that dies of its timeout must not wait for it.
        th = threading.Thread(target=sampler, args=(s, samples, done), daemon=True)
        th.start()
    pattern = bytes((i * 7) & 0xff for i in range(CHUNK))
    md5 = hashlib.md5()
    sent = 0
    sec = 0
    while not os.path.exists(stop):
        start = time.monotonic()
        if rate:
            # Every second's bytes differ from every other second's.
            chunk = bytes((i * 7 + sec * 13) & 0xff for i in range(rate))
        else:
            # Every chunk starts with its own number.
            chunk = struct.pack('=Q', sec) + pattern[8:]
        s.sendall(chunk)
        md5.update(chunk)
        sent += len(chunk)
        sec += 1
        if rate:
            time.sleep(max(0.0, 1.0 - (time.monotonic() - start)))
    s.shutdown(socket.SHUT_WR)
    if samples:
        # The last bytes are acknowledged (or the guest is gone) in a while.
        time.sleep(1)
        done.set()
        th.join()
    s.close()
    print(md5.hexdigest(), sent)


main()
