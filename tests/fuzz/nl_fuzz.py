#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A bounded, seeded fuzzer of the "vdpa" generic netlink family.

    nl_fuzz.py SEED OPS SECONDS MGMTDEV...

Sends OPS random requests (fewer if SECONDS pass first): commands known
and unknown, with and without NLM_F_DUMP, attributes of every number with
payloads of random length, and requests close to valid ones (device
names from a small pool, the given management devices, MACs, MTUs, queue
pairs and features of right and wrong widths), so that devices do get
created and deleted along the way. Every choice comes from SEED.

What must hold: every request is answered (an ack, an error, or a dump
that ends), within the time a request may take; at the end every device
it created is deleted. Prints per-outcome counts
and "nl_fuzz: seed S ops N". Exit status 0 when all held.
"""
import errno
import os
import random
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'vm'))
import vdpa_nl  # noqa: E402  (the family's numbers and message helpers)

NLM_F_DUMP = 0x300
BUS = '/sys/bus/vdpa/devices'
NAMES = ['fz0', 'fz1', 'fz2']


def attr_payload(rng, num, mgmtdevs):
    """A payload for attribute @num: often of its right type, sometimes not."""
    if rng.random() < 0.3:
        return bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 40)))
    if num == 4:                                  # dev_name
        pick = rng.random()
        if pick < 0.8:
            return rng.choice(NAMES).encode() + b'\0'
        if pick < 0.9:
            return b'x' * rng.choice([0, 63, 64, 65, 300]) + b'\0'
        return b'fz\0junk'                        # not ended where it should be
    if num in (1, 2):                             # management device bus/name
        bus, _, dev = rng.choice(mgmtdevs).rpartition('/')
        return (bus if num == 1 else dev).encode() + b'\0'
    if num == 10:                                 # mac
        return bytes(rng.getrandbits(8) for _ in range(rng.choice([6, 6, 6, 4, 8])))
    width = rng.choice([1, 2, 2, 4, 8])
    value = rng.choice([0, 1, 67, 68, 1500, 9000, 0xffff, rng.getrandbits(64)])
    return (value & ((1 << (8 * width)) - 1)).to_bytes(width, 'little')


def request(rng, mgmtdevs):
    cmd = rng.choice([2, 3, 3, 3, 4, 4, 5, 6, 7, 8, 0, 1, 9, rng.randrange(256)])
    flags = vdpa_nl.NLM_F_REQUEST | vdpa_nl.NLM_F_ACK
    if rng.random() < 0.2:
        flags |= NLM_F_DUMP
    attrs = []
    if cmd in (3, 4, 5, 6, 7, 8) and rng.random() < 0.8:
        attrs.append(vdpa_nl.nla(4, attr_payload(rng, 4, mgmtdevs)))
    if cmd == 3 and rng.random() < 0.8:
        attrs += [vdpa_nl.nla(n, attr_payload(rng, n, mgmtdevs)) for n in (1, 2)
                  if n == 2 or rng.random() < 0.7]
    for _ in range(rng.randrange(0, 5)):
        num = rng.choice([10, 12, 13, 17, 20, 4, rng.randrange(0, 70)])
        attrs.append(vdpa_nl.nla(num, attr_payload(rng, num, mgmtdevs)))
    rng.shuffle(attrs)
    return cmd, flags, attrs


def main():
    seed, max_ops, secs = int(sys.argv[1], 0), int(sys.argv[2]), float(sys.argv[3])
    mgmtdevs = sys.argv[4:]
    rng = random.Random(seed)
    before = set(os.listdir(BUS))
    genl = vdpa_nl.Genl()
    genl.sock.settimeout(30)
    family = genl.family('vdpa')
    outcome = {}
    failed = False
    start = time.monotonic()
    done = 0
    while done < max_ops and time.monotonic() - start < secs:
        cmd, flags, attrs = request(rng, mgmtdevs)
        try:
            genl.request(family, cmd, attrs, flags)
            key = 'ok'
        except socket.timeout:
            print(f'FAIL: no answer to command {cmd} flags {flags:#x} in 30 s')
            failed = True
            break
        except OSError as e:
            key = errno.errorcode.get(e.errno, str(e.errno))
        outcome[key] = outcome.get(key, 0) + 1
        done += 1
    # Every device it created goes (any name may have come out valid, in
    # any bytes: back to them as the file system has them).
    for name in sorted(set(os.listdir(BUS)) - before):
        try:
            genl.request(family, 4, [vdpa_nl.nla(4, os.fsencode(name) + b'\0')])
        except OSError as e:
            print(f'FAIL: deleting {name!r}: {e}')
            failed = True
    print(f'nl_fuzz: seed {seed} ops {done} ' +
          ' '.join(f'{k} {v}' for k, v in sorted(outcome.items())))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
