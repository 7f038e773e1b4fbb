#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The emulated ConnectX-like function and the mlx5-style parent on the
# auxiliary bus: the parent binds and enables the function, unbind gives
# every object back (the emulator's own accounting says so), rebind works,
# a failing command at probe leaves nothing behind, and the modules go in
# either order.
. "$(dirname "$0")/lib.sh"

DBG=/sys/kernel/debug/cxemu
ADEV=cxemu.vnet.0
DRV=/sys/bus/auxiliary/drivers/cxvdpa.vnet

# One line of vnet.0/resources: "pd 1" and so on.
res() {
	grep "^$1 " "$DBG/vnet.0/resources"
}

modprobe cxemu || exit 1
trap 'modprobe -r cxvdpa cxemu 2>/dev/null' EXIT
t_expect_eq cxemu-idle "enabled 0" "$(res enabled)"
t_check cxvdpa-load modprobe cxvdpa
t_check cxvdpa-bound test -e "$DRV/$ADEV"
t_expect_eq cxvdpa-enabled "enabled 1" "$(res enabled)"
t_expect_eq cxvdpa-pd "pd 1" "$(res pd)"

t_check cxvdpa-unbind sh -c "echo $ADEV >$DRV/unbind"
t_expect_eq unbind-disabled "enabled 0" "$(res enabled)"
t_expect_eq unbind-pd "pd 0" "$(res pd)"
t_expect_eq unbind-no-leak "leaked 0" "$(res leaked)"
t_check cxvdpa-rebind sh -c "echo $ADEV >$DRV/bind"
t_expect_eq rebind-enabled "enabled 1" "$(res enabled)"

# ALLOC_PD (0x800) fails once at the next probe: the probe fails cleanly.
echo $ADEV >"$DRV/unbind"
echo 0x800 >"$DBG/fail_opcode"
echo 100 >"$DBG/fail_cmd/probability"
echo 1 >"$DBG/fail_cmd/times"
echo 0 >"$DBG/fail_cmd/verbose"
echo $ADEV >"$DRV/bind" 2>/dev/null
t_check probe-failure-unbound test ! -e "$DRV/$ADEV"
t_expect_eq probe-failure-disabled "enabled 0" "$(res enabled)"
t_expect_eq probe-failure-no-leak "leaked 0" "$(res leaked)"
echo 0 >"$DBG/fail_opcode"
t_check probe-after-failure sh -c "echo $ADEV >$DRV/bind"

# The function goes first, with the parent bound: unbound on the way out.
t_check cxemu-unload-first modprobe -r cxemu
t_check cxvdpa-unload modprobe -r cxvdpa
t_check cxemu-reload modprobe cxemu nr_functions=2
t_check cxvdpa-reload modprobe cxvdpa
t_check cxvdpa-two-bound test -e "$DRV/cxemu.vnet.1"
t_check unload-both modprobe -r cxvdpa cxemu
