#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Drive DPDK's dpdk-testpmd on a vhost-vdpa character device.

    testpmd.py DEVICE MAC BURSTS
    testpmd.py DEVICE MAC BURSTS --rate LEN SECONDS

testpmd runs with virtio_user on DEVICE (no hugepages, a small mbuf pool),
sends BURSTS bursts of 32 frames addressed to MAC ("start tx_first"), then
only receives. It waits until the port counted as many frames received as
sent, or 60 seconds, and prints one line "tx N rx N pinned_kib N": the
port statistics and the memory the kernel pinned for testpmd (VmPin).
Exit status 0 when testpmd ran and printed its statistics.

With --rate (make bench), the BURSTS bursts are LEN-byte frames and
testpmd forwards every frame it receives back to the device ("io"), so
through a loopback device they circulate; after a one-second warm-up it
prints "pps N gbps N", the receive rate over SECONDS.
"""
import os
import re
import select
import subprocess
import sys
import time

PROMPT = b'testpmd> '


def main():
    if len(sys.argv) not in (4, 7) or (len(sys.argv) == 7 and sys.argv[4] != '--rate'):
        raise SystemExit('usage: testpmd.py DEVICE MAC BURSTS [--rate LEN SECONDS]')
    dev, mac, bursts = sys.argv[1], sys.argv[2], int(sys.argv[3])
    # testpmd prints with stdio: unbuffered, or the statistics would arrive
    # after the prompt that follows them.
    cmd = ['stdbuf', '-o0', 'dpdk-testpmd', '-l', '0-1', '--no-pci', '--no-huge', '-m', '32',
           '--log-level=*:notice',
           f'--vdev=net_virtio_user0,path={dev},queue_size=256',
           '--', '-i', '--total-num-mbufs=2048', f'--eth-peer=0,{mac}',
           # DPDK 22.11's virtio_user never reads a vhost-vdpa device's
           # link status: without this testpmd waits 9 s for a link it
           # will not see before its prompt (t-testpmd.sh's user_cmdline
           # runs it as users do, with that wait).
           '--disable-link-check']
    pmd = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
    buf = bytearray()

    def until_prompt(timeout=120):
        end = time.monotonic() + timeout
        while not buf.endswith(PROMPT):
            if time.monotonic() > end or pmd.poll() is not None:
                sys.stdout.write(buf.decode(errors='replace'))
                raise SystemExit('testpmd: no prompt')
            if select.select([pmd.stdout], [], [], 1)[0]:
                buf.extend(os.read(pmd.stdout.fileno(), 4096))
        text = buf.decode(errors='replace')
        buf.clear()
        return text

    def run(line):
        pmd.stdin.write(line.encode() + b'\n')
        pmd.stdin.flush()
        text = until_prompt()
        sys.stdout.write(text)
        return text

    def counts():
        text = run('show port stats 0')
        rx = re.search(r'RX-packets:\s+(\d+)', text)
        tx = re.search(r'TX-packets:\s+(\d+)', text)
        if not rx or not tx:
            raise SystemExit('testpmd: no port statistics')
        return int(tx.group(1)), int(rx.group(1))

    def finish():
        run('stop')
        pmd.stdin.write(b'quit\n')
        pmd.stdin.flush()
        pmd.communicate(timeout=60)

    sys.stdout.write(until_prompt())
    if len(sys.argv) == 7:
        length, secs = int(sys.argv[5]), float(sys.argv[6])
        run(f'set txpkts {length}')
        run('set fwd io')
        run(f'start tx_first {bursts}')
        time.sleep(1)
        t0, (_, rx0) = time.monotonic(), counts()
        time.sleep(secs)
        t1, (_, rx1) = time.monotonic(), counts()
        finish()
        pps = (rx1 - rx0) / (t1 - t0)
        # On a line of its own: testpmd's last prompt has no newline.
        print(f'\npps {pps:.0f} gbps {pps * length * 8 / 1e9:.4f}')
        return
    run('set fwd rxonly')
    run(f'start tx_first {bursts}')
    end = time.monotonic() + 60
    tx, rx = counts()
    while rx < tx and time.monotonic() < end:
        time.sleep(0.5)
        tx, rx = counts()
    with open(f'/proc/{pmd.pid}/status') as status:
        pinned = re.search(r'VmPin:\s+(\d+)', status.read())
    finish()
    print(f'tx {tx} rx {rx} pinned_kib {pinned.group(1) if pinned else 0}')


if __name__ == '__main__':
    main()
