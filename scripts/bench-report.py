#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn tests/bench/run.sh's measurements into the make bench table.

    bench-report.py BENCH.JSONL --kernel K --qemu Q [--json OUT]

Prints markdown on stdout; --json writes the same rows (and every raw
measurement) as JSON. Each cell is the median of the repetitions. The
ratio column is always "how many times better ours is": baseline/ours for
times and memory, ours/baseline for rates. Documentation/bench.rst says
how to read it.
"""
import argparse
import json
import statistics
import sys

GIB = 1024  # the map rows move 1024 MiB

# (table, row key, metric, label, unit, better): better is "low" or "high".
ROWS = [
    ('Pin + map 1 GiB', 'map-4k', 'map_ms', 'map, 4K pages', 'ms', 'low'),
    ('Pin + map 1 GiB', 'map-thp', 'map_ms', 'map, THP', 'ms', 'low'),
    ('Pin + map 1 GiB', 'map-huge', 'map_ms', 'map, hugetlb 2M', 'ms', 'low'),
    ('Pin + map 1 GiB', 'map-4k', 'unmap_ms', 'unmap, 4K pages', 'ms', 'low'),
    ('Pin + map 1 GiB', 'map-thp', 'unmap_ms', 'unmap, THP', 'ms', 'low'),
    ('Pin + map 1 GiB', 'map-huge', 'unmap_ms', 'unmap, hugetlb 2M', 'ms', 'low'),
    ('Reset to running', 'reset-256', 'reset_ms', '256 MiB mapped, baseline remaps', 'ms', 'low'),
    ('Reset to running', 'reset-1024', 'reset_ms', '1 GiB mapped, baseline remaps', 'ms', 'low'),
    ('Reset to running', 'reset-2048', 'reset_ms', '2 GiB mapped, baseline remaps', 'ms', 'low'),
    ('Reset to running', 'reset-remap-1024', 'reset_ms',
     '1 GiB, both stacks unmap and remap', 'ms', 'low'),
    ('Reset to running', 'reset-persist-1024', 'reset_ms',
     '1 GiB, both stacks with IOTLB_PERSIST', 'ms', 'low'),
    ('Mapping metadata', 'map-4k', 'kmem_kib', 'slab + vmalloc per GiB, 4K pages', 'KiB', 'low'),
    ('Mapping metadata', 'map-thp', 'kmem_kib', 'slab + vmalloc per GiB, THP', 'KiB', 'low'),
    ('Mapping metadata', 'map-huge', 'kmem_kib', 'slab + vmalloc per GiB, hugetlb 2M', 'KiB', 'low'),
    ('Datapath (userspace client)', 'pps-64', 'pps', '64 B frames', 'pkt/s', 'high'),
    ('Datapath (userspace client)', 'pps-64', 'gbps', '64 B frames', 'Gbit/s', 'high'),
    ('Datapath (userspace client)', 'pps-1500', 'pps', '1500 B frames', 'pkt/s', 'high'),
    ('Datapath (userspace client)', 'pps-1500', 'gbps', '1500 B frames', 'Gbit/s', 'high'),
    ('Datapath (DPDK testpmd, io forwarding)', 'testpmd-64', 'pps', '64 B frames', 'pkt/s', 'high'),
    ('Datapath (DPDK testpmd, io forwarding)', 'testpmd-64', 'gbps', '64 B frames', 'Gbit/s', 'high'),
    ('Datapath (DPDK testpmd, io forwarding)', 'testpmd-1500', 'pps', '1500 B frames', 'pkt/s', 'high'),
    ('Datapath (DPDK testpmd, io forwarding)', 'testpmd-1500', 'gbps', '1500 B frames', 'Gbit/s', 'high'),
    ('virtio_blk on virtio_vdpa (fio, 4 KiB, iodepth 16)', 'blk-randread', 'iops', 'random read', 'IOPS', 'high'),
    ('virtio_blk on virtio_vdpa (fio, 4 KiB, iodepth 16)', 'blk-randwrite', 'iops', 'random write', 'IOPS', 'high'),
]

# tests/bench/migrate.sh's runs: (row key, label).
MIGRATIONS = [
    ('migrate-sim-svq', 'vdpa_sim, x-svq=on (QEMU relays and logs)'),
    ('migrate-sim-log', 'vdpa_sim, device dirty log (no x-svq)'),
    ('migrate-cx-log', 'cxvdpa, device dirty log (no x-svq)'),
]

METHOD = (
    'One boot of the bench (non-debug) reference kernel under QEMU TCG. The '
    'baseline is the upstream 6.12 vdpa, vdpa_sim (use_va=0: PA mode), '
    'vdpa_sim_net, vdpa_sim_blk, vhost_vdpa and virtio_vdpa modules built '
    'from the same source, vdpa_sim and vhost_vdpa with '
    'max_iotlb_entries=1048576 (our default limit; with their own, 2048, '
    'the simulator cannot hold 1 GiB of 4K pages and 6.12 ignores the '
    'failed set_map); ours are this tree built against the same '
    'kernel. Both are driven by the same clients (tests/bench/vdpa_bench.c '
    'through the 6.12 uAPI, DPDK testpmd, fio on virtio_blk). Cells are '
    'medians of the repetitions, after one unrecorded warm-up run. Reset: '
    'in the first three rows the baseline client unmaps and maps everything '
    'again around the reset, as a VMM that does not use IOTLB_PERSIST '
    '(QEMU 7.2) must, and ours keeps the map (IOTLB_PERSIST); 6.12 offers '
    'IOTLB_PERSIST on its simulator too, so the last two rows run both '
    'stacks in the same mode. Limit: the same memory pinned and unpinned '
    '(dirty) by the bench-only vdpa_pinbench module, nothing else. '
    'Migration: tests/bench/migrate.sh, one guest boot per row, then '
    'migrations back and forth between two devices with QEMU\'s default '
    'migration parameters (the log shows them) while the guest receives one TCP '
    'stream as fast as it can; receive rates are bytes the guest '
    'acknowledged, in the 5 s before the migrate command, until the '
    'migration ended, and in the 5 s after. Absolute '
    'numbers under TCG mean little; ratios within one run do.')


def fmt(v):
    if v is None:
        return 'n/a'
    if abs(v) >= 100:
        return '%.0f' % v
    if abs(v) >= 10:
        return '%.1f' % v
    return '%.3g' % v


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('jsonl')
    ap.add_argument('--kernel', default='?')
    ap.add_argument('--qemu', default='?')
    ap.add_argument('--json')
    a = ap.parse_args()

    raw = [json.loads(line) for line in open(a.jsonl) if line.strip()]
    values, errors = {}, {}
    for m in raw:
        if 'error' in m:
            errors[(m['stack'], m['row'])] = m['error']
        else:
            values.setdefault((m['stack'], m['row'], m['metric']), []).append(m['value'])

    def med(stack, row, metric):
        v = values.get((stack, row, metric))
        return statistics.median(v) if v else None

    def cell(stack, row, metric):
        v = med(stack, row, metric)
        err = errors.get((stack, row))
        if v is None and err:
            return 'failed: ' + err[:60]
        s = fmt(v)
        if v is not None and metric.endswith('_ms') and row.startswith('map-') and v > 0:
            s += ' (%s GiB/s)' % fmt(GIB / 1024 / (v / 1000))
        if v is not None and err:
            # A repetition failed after others had passed: say so.
            s += ' (%d run(s), then failed: %s)' % (
                len(values[(stack, row, metric)]), err[:60])
        return s

    out = []
    table = None
    rows = []
    for tname, row, metric, label, unit, better in ROWS:
        ours, base = med('ours', row, metric), med('baseline', row, metric)
        limit = med('limit', row, metric) if tname.startswith('Pin') else None
        ratio = None
        if ours is not None and base is not None and ours > 0 and base > 0:
            ratio = base / ours if better == 'low' else ours / base
        rows.append({'table': tname, 'row': label, 'key': row, 'metric': metric,
                     'unit': unit, 'ours': ours, 'baseline': base, 'limit': limit,
                     'ratio': ratio,
                     'baseline_error': errors.get(('baseline', row)),
                     'ours_error': errors.get(('ours', row))})
        if tname != table:
            table = tname
            out.append('\n### %s\n' % tname)
            if tname.startswith('Pin'):
                out.append('| | ours | baseline | ours better by | limit | ours / limit |')
                out.append('|---|---|---|---|---|---|')
            else:
                out.append('| | ours | baseline | ours better by |')
                out.append('|---|---|---|---|')
        line = '| %s (%s) | %s | %s | %s |' % (
            label, unit, cell('ours', row, metric), cell('baseline', row, metric),
            'x' + fmt(ratio) if ratio else 'n/a')
        if tname.startswith('Pin'):
            line += ' %s | %s |' % (cell('limit', row, metric),
                                    'x' + fmt(ours / limit) if ours and limit else 'n/a')
        out.append(line)

    out.append('\n### mlx5-style parent: device map against IOTLB entries (no baseline)\n')
    out.append('| entries | build (ms) | build per entry (us) | change while running (ms) | change per entry (us) |')
    out.append('|---|---|---|---|---|')
    for n in (1, 16, 256, 4096, 65536):
        b, c = med('ours', 'mr-%d' % n, 'build_ms'), med('ours', 'mr-%d' % n, 'change_ms')
        if b is None and ('ours', 'mr-%d' % n) in errors:
            out.append('| %d | failed: %s | | | |' % (n, errors[('ours', 'mr-%d' % n)][:60]))
            continue
        out.append('| %d | %s | %s | %s | %s |' % (
            n, fmt(b), fmt(b * 1000 / n) if b else 'n/a',
            fmt(c), fmt(c * 1000 / (n + 1)) if c else 'n/a'))
        rows.append({'table': 'mlx5-style parent', 'row': '%d entries' % n,
                     'key': 'mr-%d' % n, 'build_ms': b, 'change_ms': c})

    out.append('\n### Device dirty tracking (no baseline: 6.12 has none)\n')
    out.append('| tracked IOVA | dirty | REPORT, vdpa_sim (ms) | REPORT, cxvdpa (ms) |')
    out.append('|---|---|---|---|')
    for gib in (1, 16):
        for pct in (0, 1, 100):
            key = 'dirty-report-%dg-%d' % (gib, pct)
            out.append('| %d GiB | %d%% | %s | %s |' % (
                gib, pct, cell('ours', key, 'report_ms'), cell('ours', 'cx-' + key, 'report_ms')))
            rows.append({'table': 'dirty tracking', 'row': '%d GiB, %d%% dirty' % (gib, pct),
                         'key': key, 'report_ms': med('ours', key, 'report_ms'),
                         'cx_report_ms': med('ours', 'cx-' + key, 'report_ms')})
    out.append('\n| 64 B frames, userspace client (pkt/s) | tracking off | tracking on '
               '(all memory, 4 KiB pages) | cost |')
    out.append('|---|---|---|---|')
    for name, prefix in (('vdpa_sim', ''), ('cxvdpa', 'cx-')):
        off = med('ours', prefix + 'pps-64', 'pps')
        on = med('ours', prefix + 'pps-64-dirty', 'pps')
        out.append('| %s | %s | %s | %s |' % (
            name, cell('ours', prefix + 'pps-64', 'pps'),
            cell('ours', prefix + 'pps-64-dirty', 'pps'),
            '%.1f%%' % (100.0 * (off - on) / off) if off and on else 'n/a'))
        rows.append({'table': 'dirty tracking', 'row': '%s 64 B pps, tracking on' % name,
                     'key': prefix + 'pps-64-dirty', 'pps': on, 'pps_off': off})

    out.append('\n### Live migration of a guest receiving a TCP stream (QEMU 7.2; no baseline)\n')
    out.append('| | total (ms) | downtime (ms) | longest stall (ms) | receive before '
               '(Mbit/s) | receive during (Mbit/s) | receive after (Mbit/s) |')
    out.append('|---|---|---|---|---|---|---|')
    metrics = ('total_ms', 'downtime_ms', 'stall_ms', 'before_mbps', 'during_mbps',
               'after_mbps')
    for key, label in MIGRATIONS:
        out.append('| %s | %s |' % (label, ' | '.join(cell('ours', key, m) for m in metrics)))
        row = {'table': 'migration', 'row': label, 'key': key,
               'error': errors.get(('ours', key))}
        row.update({m: med('ours', key, m) for m in metrics})
        rows.append(row)

    print('## make bench: ours against the Linux 6.12 stack\n')
    print('- kernel: %s' % a.kernel)
    print('- QEMU: %s' % a.qemu)
    print('- method: %s' % METHOD)
    print('\n'.join(out))
    if a.json:
        with open(a.json, 'w') as f:
            json.dump({'kernel': a.kernel, 'qemu': a.qemu, 'method': METHOD,
                       'rows': rows, 'raw': raw}, f, indent=1)
    return 0


if __name__ == '__main__':
    sys.exit(main())
