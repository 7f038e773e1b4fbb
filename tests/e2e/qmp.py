#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Send one QMP command to a QEMU and print what it returned.

    qmp.py SOCKET COMMAND [ARGUMENTS-JSON] [--field KEY]

SOCKET is QEMU's -qmp unix: socket. The "return" member of the answer is
printed as JSON, or only its member KEY with --field. An "error" answer
is printed to stderr and the exit status is 1.
"""
import argparse
import json
import socket
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('socket')
    ap.add_argument('command')
    ap.add_argument('arguments', nargs='?', default='{}')
    ap.add_argument('--field')
    a = ap.parse_args()

    s = socket.socket(socket.AF_UNIX)
    s.settimeout(30)
    s.connect(a.socket)
    f = s.makefile('rw')

    def answer():
        # Events arrive on the same stream; skip them.
        while True:
            line = f.readline()
            if not line:
                sys.exit('qmp: connection closed')
            msg = json.loads(line)
            if 'return' in msg or 'error' in msg or 'QMP' in msg:
                return msg

    def call(cmd, args=None):
        req = {'execute': cmd}
        if args:
            req['arguments'] = args
        f.write(json.dumps(req) + '\n')
        f.flush()
        return answer()

    answer()  # the greeting
    call('qmp_capabilities')
    msg = call(a.command, json.loads(a.arguments))
    if 'error' in msg:
        print('qmp: %s: %s' % (a.command, msg['error'].get('desc')), file=sys.stderr)
        return 1
    ret = msg['return']
    if a.field:
        ret = ret.get(a.field, '') if isinstance(ret, dict) else ''
    print(ret if isinstance(ret, str) else json.dumps(ret))
    return 0


if __name__ == '__main__':
    sys.exit(main())
