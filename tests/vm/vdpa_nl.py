#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A tiny client of the "vdpa" generic netlink family, for requests that
iproute2 6.1 cannot send (provisioned features, attribute set) and for
attributes of a deliberately wrong width.

    vdpa_nl.py COMMAND [ATTR=VALUE ...]
    vdpa_nl.py --serve      (one "COMMAND [ATTR=VALUE ...]" per stdin line)

COMMAND is dev_new, dev_del, dev_get, dev_config_get, dev_attr_set, ...
ATTR is a name from ATTRS below; VALUE is an integer (0x.. allowed), a MAC
(aa:bb:..), or a string. "ATTR:u32=VALUE" forces the width.

Prints "ok" followed by one "NAME=VALUE" line per reply attribute, or
"error ERRNO_NAME: MESSAGE" and exits 1. With --serve, each answer ends
with a line "." and the exit status is 0.
"""
import errno
import os
import socket
import struct
import sys

NETLINK_GENERIC = 16
NETLINK_EXT_ACK = 11
SOL_NETLINK = 270
NLM_F_REQUEST, NLM_F_ACK = 1, 4
NLMSG_ERROR, NLMSG_DONE = 2, 3
GENL_ID_CTRL, CTRL_CMD_GETFAMILY = 0x10, 3
CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME = 1, 2
NLMSGERR_ATTR_MSG = 1

COMMANDS = {
    'mgmtdev_get': 2, 'dev_new': 3, 'dev_del': 4, 'dev_get': 5,
    'dev_config_get': 6, 'dev_vstats_get': 7, 'dev_attr_set': 8,
}
# number, default type (uAPI include/uapi/linux/vdpa.h)
ATTRS = {
    'mgmtdev_bus_name': (1, 'str'), 'mgmtdev_dev_name': (2, 'str'),
    'supported_classes': (3, 'u64'), 'dev_name': (4, 'str'),
    'dev_id': (5, 'u32'), 'vendor_id': (6, 'u32'), 'max_vqs': (7, 'u32'),
    'max_vq_size': (8, 'u16'), 'min_vq_size': (9, 'u16'),
    'mac': (10, 'mac'), 'net_status': (11, 'u16'), 'max_vqp': (12, 'u16'),
    'mtu': (13, 'u16'), 'negotiated_features': (14, 'u64'),
    'mgmtdev_max_vqs': (15, 'u32'), 'supported_features': (16, 'u64'),
    'queue_index': (17, 'u32'), 'vendor_attr_name': (18, 'str'),
    'vendor_attr_value': (19, 'u64'), 'dev_features': (20, 'u64'),
    'blk_capacity': (21, 'u64'), 'blk_blk_size': (23, 'u32'),
    'blk_seg_max': (24, 'u32'), 'blk_read_only': (35, 'u8'),
    'blk_flush': (36, 'u8'),
}
NAMES = {num: (name, typ) for name, (num, typ) in ATTRS.items()}
PACK = {'u8': 'B', 'u16': 'H', 'u32': 'I', 'u64': 'Q'}


def nla(num, payload):
    hdr = struct.pack('HH', 4 + len(payload), num)
    return hdr + payload + b'\0' * (-len(payload) % 4)


def encode(typ, value):
    if typ == 'str':
        return value.encode() + b'\0'
    if typ == 'mac':
        return bytes(int(x, 16) for x in value.split(':'))
    return struct.pack(PACK[typ], int(value, 0))


def parse_attrs(data):
    out = []
    while len(data) >= 4:
        length, num = struct.unpack_from('HH', data)
        out.append((num & 0x3fff, data[4:length]))
        data = data[(length + 3) & ~3:]
    return out


def decode(num, payload):
    name, typ = NAMES.get(num, (f'attr{num}', 'raw'))
    if typ == 'str':
        return name, payload.rstrip(b'\0').decode()
    if typ == 'mac':
        return name, ':'.join(f'{b:02x}' for b in payload)
    if typ in PACK and len(payload) == struct.calcsize(PACK[typ]):
        return name, str(struct.unpack(PACK[typ], payload)[0])
    return name, payload.hex()


class Genl:
    def __init__(self):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
        self.sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        self.sock.bind((0, 0))
        self.seq = 0

    def request(self, family, cmd, attrs, flags=NLM_F_ACK):
        self.seq += 1
        body = struct.pack('BBH', cmd, 1, 0) + b''.join(attrs)
        msg = struct.pack('IHHII', 16 + len(body), family,
                          NLM_F_REQUEST | flags, self.seq, 0) + body
        self.sock.send(msg)
        replies = []
        while True:
            data = self.sock.recv(65536)
            while data:
                length, mtype, mflags, seq, _ = struct.unpack_from('IHHII', data)
                payload = data[16:length]
                data = data[(length + 3) & ~3:]
                if mtype == NLMSG_ERROR:
                    err = -struct.unpack_from('i', payload)[0]
                    if err == 0:
                        return replies
                    msg = ''
                    # Extended ack TLVs follow the echoed request header.
                    orig_len = struct.unpack_from('I', payload, 4)[0]
                    skip = 4 + (orig_len if not (mflags & 0x100) else 16)
                    for num, val in parse_attrs(payload[skip:]):
                        if num == NLMSGERR_ATTR_MSG:
                            msg = val.rstrip(b'\0').decode()
                    # Without an extack message, say what the errno says.
                    raise OSError(err, msg or os.strerror(err))
                if mtype == NLMSG_DONE:
                    return replies
                replies.append(parse_attrs(payload[4:]))

    def family(self, name):
        reply = self.request(GENL_ID_CTRL, CTRL_CMD_GETFAMILY,
                             [nla(CTRL_ATTR_FAMILY_NAME, name.encode() + b'\0')])
        for num, val in reply[0]:
            if num == CTRL_ATTR_FAMILY_ID:
                return struct.unpack('H', val[:2])[0]
        raise OSError(errno.ENOENT, 'no family ' + name)


def run(genl, argv):
    """Send one request; print its outcome. Returns 0, or 1 on an error."""
    cmd = COMMANDS[argv[0]]
    attrs = []
    for arg in argv[1:]:
        key, value = arg.split('=', 1)
        name, _, typ = key.partition(':')
        num, default = ATTRS[name]
        attrs.append(nla(num, encode(typ or default, value)))
    try:
        replies = genl.request(genl.family('vdpa'), cmd, attrs)
    except OSError as e:
        # errno.errorcode calls 95 ENOTSUP; the kernel's name is EOPNOTSUPP.
        name = 'EOPNOTSUPP' if e.errno == errno.EOPNOTSUPP else \
            errno.errorcode.get(e.errno, str(e.errno))
        print(f'error {name}: {e.strerror}')
        return 1
    print('ok')
    for reply in replies:
        for num, payload in reply:
            print('%s=%s' % decode(num, payload))
    return 0


def main():
    if sys.argv[1:] != ['--serve']:
        sys.exit(run(Genl(), sys.argv[1:]))
    # One request per input line, each answer ended by a line ".": a
    # shell script pays Python's start-up (seconds in the test VM) once.
    genl = Genl()
    for line in sys.stdin:
        run(genl, line.split())
        print('.', flush=True)


if __name__ == '__main__':
    main()
