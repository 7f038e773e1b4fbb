#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Harness self-test for tap() (tests/vm/vhost_lib.sh), run by make check in
# the self-test VM: a client that dies of a signal after one result, and
# one that gives fewer results than its plan, must each fail
# NAME:complete; a client that ran to its end must pass it.
here=$(cd "$(dirname "$0")/../vm" && pwd)
. "$here/lib.sh"
. "$here/vhost_lib.sh"
T_NAME=${T_NAME:-self}

tap crash sh -c 'echo "ok 1 - first"; kill -SEGV $$'
tap short sh -c 'echo "ok 1 - first"; echo "1..2"'
tap whole sh -c 'echo "ok 1 - first"; echo "1..1"'
