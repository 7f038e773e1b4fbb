#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Fault-injection sweeps of the paths a management tool drives, for
t-fault.sh (the vhost-vdpa paths are the client's "faults" mode).

    fault_sweep.py add MGMTDEV [NAME]     vdpa dev add (netlink DEV_NEW)
    fault_sweep.py del MGMTDEV [NAME]     vdpa dev del (netlink DEV_DEL)
    fault_sweep.py probe MGMTDEV [NAME]   virtio_vdpa probing the device

NAME is the device's name, fs0 unless given (a VDUSE device's must be
the name its daemon created it under). SWEEP_ALSO="ERRNO:TEXT" in the
environment lets a failure give ERRNO too, but only when the kernel
logged TEXT during that request: for a parent that is not ours and
reports one failure so, without letting ERRNO pass from anywhere else.

The probe sweep stops at virtio_vdpa's own part: the virtio bus does not
probe drivers meanwhile (its drivers_autoprobe is 0), because 6.12's
virtio_net leaks on its probe's error paths (vi->rss_hdr, XPS maps), which
is not this stack's to fix. t-fault.sh then runs virtio_net on the device.

For N = 1, 2, ... the Nth fault-injection check of this thread fails
(/proc/thread-self/fail-nth) during the request, until one runs without
reaching it. After each: the errno is one a failed allocation or command
may give, the device exists only if the request succeeded (or, for a
delete, it is gone or still whole), and the next round starts from the
same state. Prints one TAP line and "# N injection points".
"""
import errno
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vdpa_nl  # noqa: E402

NAME = 'fs0'
BUS = '/sys/bus/vdpa'
VIRTIO_BUS = '/sys/bus/virtio'
SANE = {errno.ENOMEM, errno.EIO, errno.ENOSPC, errno.ENOBUFS, errno.EAGAIN, errno.EFAULT}


class Also:
    """SWEEP_ALSO's errno, let pass when the log gained its text (/dev/kmsg)."""

    def __init__(self, spec):
        name, _, self.text = spec.partition(':')
        self.errno = getattr(errno, name) if name else None
        self.fd = os.open('/dev/kmsg', os.O_RDONLY | os.O_NONBLOCK) if self.errno else None

    def mark(self):
        """From here on: called before the failure is armed (lseek allocates nothing)."""
        if self.fd is not None:
            os.lseek(self.fd, 0, os.SEEK_END)

    def allows(self, err):
        if err != self.errno:
            return False
        found = False
        while True:
            try:
                record = os.read(self.fd, 8192)
            except BlockingIOError:
                return found
            except OSError as e:  # EPIPE: records overwritten meanwhile
                if e.errno != errno.EPIPE:
                    raise
                continue
            found = found or self.text.encode() in record


class Nth:
    """fail-nth cannot seek: one descriptor writes, each reading opens its
    own before the failure is armed (so that opening it is not counted)."""

    PATH = '/proc/thread-self/fail-nth'

    def __init__(self):
        self.fd = os.open(self.PATH, os.O_WRONLY)
        self.rfd = None

    def arm(self, n):
        self.rfd = os.open(self.PATH, os.O_RDONLY)
        os.write(self.fd, str(n).encode())

    def fired(self):
        value = int(os.read(self.rfd, 16))
        os.write(self.fd, b'0')
        os.close(self.rfd)
        return value == 0


def exists():
    return os.path.exists(f'{BUS}/devices/{NAME}')


def mgmt_attrs(mgmtdev):
    bus, _, dev = mgmtdev.rpartition('/')
    attrs = [vdpa_nl.nla(4, NAME.encode() + b'\0'), vdpa_nl.nla(2, dev.encode() + b'\0')]
    if bus:
        attrs.append(vdpa_nl.nla(1, bus.encode() + b'\0'))
    return attrs


class Sweep:
    def __init__(self, mgmtdev):
        self.genl = vdpa_nl.Genl()
        self.genl.sock.settimeout(10)
        self.family = self.genl.family('vdpa')
        self.mgmtdev = mgmtdev
        self.nth = Nth()
        self.also = Also(os.environ.get('SWEEP_ALSO', ''))

    def request(self, cmd, attrs):
        """0 or an errno; a lost answer (its buffer was the failure) is ENOBUFS."""
        try:
            self.genl.request(self.family, cmd, attrs)
            return 0
        except TimeoutError:
            return errno.ENOBUFS
        except OSError as e:
            return e.errno

    def add(self):
        return self.request(3, mgmt_attrs(self.mgmtdev))

    def delete(self):
        return self.request(4, [vdpa_nl.nla(4, NAME.encode() + b'\0')])

    def clean(self):
        """Back to no device, without injection; a fresh socket if the old one lost sync."""
        self.genl = vdpa_nl.Genl()
        self.genl.sock.settimeout(10)
        if exists():
            err = self.delete()
            if err:
                return f'cannot delete {NAME} afterwards: {os.strerror(err)}'
        return None


def sweep(mode, mgmtdev):
    s = Sweep(mgmtdev)
    if mode == 'probe':
        autoprobe = {}
        for bus in (BUS, VIRTIO_BUS):
            autoprobe[bus] = open(f'{bus}/drivers_autoprobe').read().strip()
            with open(f'{bus}/drivers_autoprobe', 'w') as f:
                f.write('0')
    why = None
    points = 0
    try:
        for n in range(1, 5000):
            if mode != 'add' and s.add():
                why = f'setup: cannot add {NAME}'
                break
            if mode == 'probe':
                bind = os.open(f'{BUS}/drivers/virtio_vdpa/bind', os.O_WRONLY)
            s.also.mark()
            s.nth.arm(n)
            if mode == 'add':
                err = s.add()
            elif mode == 'del':
                err = s.delete()
            else:
                try:
                    os.write(bind, NAME.encode())
                    err = 0
                except OSError as e:
                    err = e.errno
            fired = s.nth.fired()
            if mode == 'probe':
                os.close(bind)
            if err and err not in SANE and not s.also.allows(err):
                why = f'injection {n} gave {errno.errorcode.get(err, err)}'
                break
            # A lost answer (ENOBUFS) says nothing of what was done.
            if mode == 'add' and err != errno.ENOBUFS and exists() != (err == 0):
                why = f'injection {n}: {NAME} {"missing" if exists() else "left"} after {err}'
                break
            if mode == 'del' and not err and exists():
                why = f'injection {n}: {NAME} still there after a delete that succeeded'
                break
            if mode == 'probe':
                bound = os.path.exists(f'{BUS}/devices/{NAME}/driver')
                if bound != (err == 0):
                    why = f'injection {n}: bound {bound} after {err}'
                    break
            why = s.clean()
            if why:
                break
            if not fired:
                if err:
                    why = f'fails without an injection: {os.strerror(err)}'
                points = n - 1
                break
    finally:
        if mode == 'probe':
            for bus, value in autoprobe.items():
                with open(f'{bus}/drivers_autoprobe', 'w') as f:
                    f.write(value)
        s.clean()
    print(f'# {mode} on {mgmtdev}: {points} injection points')
    print(f'{"not ok" if why else "ok"} 1 - sweep-{mode}' + (f' # {why}' if why else ''))
    print('1..1')
    return 0


if __name__ == '__main__':
    if len(sys.argv) > 3:
        NAME = sys.argv[3]
    sys.exit(sweep(sys.argv[1], sys.argv[2]))
