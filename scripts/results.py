#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Read the results a VM run left behind and print one line per test.

    scripts/results.py OUTDIR [EXPECTED]

OUTDIR/results holds "ok NAME" / "not ok NAME" lines from the shell tests;
OUTDIR/kunit/SUITE.ktap the KTAP that KUnit wrote to debugfs for each suite.
Every KUnit test case counts as one test (parameterised cases count once,
failing if any parameter failed). Prints "PASS NAME" / "FAIL NAME" /
"SKIP NAME" lines and then "passed=N failed=N skipped=N". Exit status 0.

EXPECTED, if given, lists one unit per line (kunit:MODULE or a script's
name; # starts a comment) that must have run: each must appear in
OUTDIR/times, which tests/vm/suite.sh writes as each unit ends. One that
did not is a failure, and so is a unit that ran but is not listed (the
list is kept with the suite).
"""
import os
import re
import sys

RESULT = re.compile(r'^(?P<indent>\s*)(?P<not>not )?ok \d+ (?P<name>[^#]*?)\s*(?:#\s*(?P<directive>\S+).*)?$')


def parse_ktap(text, suite):
    """Yield (status, name) for each test case of one suite's KTAP.

    The suite's own result line is the least indented one; its cases are the
    result lines one level (four spaces) deeper. Deeper lines (parameters)
    are already folded into their case's line by KUnit.
    """
    lines = [m for m in (RESULT.match(l.rstrip('\n')) for l in text.splitlines()) if m]
    if not lines:
        yield 'FAIL', f'kunit:{suite} (no results: did the suite run?)'
        return
    top = min(len(m.group('indent')) for m in lines)
    cases = [m for m in lines if len(m.group('indent')) == top + 4]
    suite_lines = [m for m in lines if len(m.group('indent')) == top]
    for m in cases:
        name = f'kunit:{suite}.{m.group("name")}'
        if (m.group('directive') or '').upper() == 'SKIP':
            yield 'SKIP', name
        else:
            yield ('FAIL' if m.group('not') else 'PASS'), name
    # A suite that failed outside its cases (init, exit, no cases at all).
    if not cases or (any(m.group('not') for m in suite_lines)
                     and not any(m.group('not') for m in cases)):
        yield 'FAIL', f'kunit:{suite} (suite failed outside its cases)'


def check_expected(out, listing):
    """Yield a FAIL for every unit expected but not run, or run but not expected."""
    with open(listing) as f:
        want = [l.split('#')[0].strip() for l in f]
    want = [w for w in want if w]
    ran = []
    try:
        with open(os.path.join(out, 'times')) as f:
            ran = [l.split(None, 1)[1].strip() for l in f if l.strip()]
    except FileNotFoundError:
        pass
    for w in want:
        if w not in ran:
            yield 'FAIL', f'{w} (did not run)'
    for r in ran:
        if r not in want:
            yield 'FAIL', f'{r} (ran, but is not in {os.path.basename(listing)})'


def main():
    out = sys.argv[1]
    rows = []
    try:
        with open(os.path.join(out, 'results')) as f:
            for line in f:
                line = line.rstrip('\n')
                if line.startswith('not ok '):
                    rows.append(('FAIL', line[len('not ok '):]))
                elif line.startswith('ok '):
                    rows.append(('PASS', line[len('ok '):]))
    except FileNotFoundError:
        pass
    kdir = os.path.join(out, 'kunit')
    if os.path.isdir(kdir):
        for fn in sorted(os.listdir(kdir)):
            if fn.endswith('.ktap'):
                with open(os.path.join(kdir, fn)) as f:
                    rows.extend(parse_ktap(f.read(), fn[:-len('.ktap')]))
    if len(sys.argv) > 2:
        rows.extend(check_expected(out, sys.argv[2]))
    for status, name in rows:
        print(f'{status} {name}')
    count = {s: sum(1 for r in rows if r[0] == s) for s in ('PASS', 'FAIL', 'SKIP')}
    print(f'passed={count["PASS"]} failed={count["FAIL"]} skipped={count["SKIP"]}')


if __name__ == '__main__':
    main()
