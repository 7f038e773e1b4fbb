#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What an administrator does with modprobe and sysfs: loading a parent
# pulls in the bus and the ring engine; a new device binds to the bus
# driver that is loaded, and its uevent's MODALIAS loads vhost_vdpa;
# unbind, driver_override and bind move it; the modules come out in
# either order, bound or not. kmemleak (the harness) checks that nothing
# stayed behind.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vhost_lib.sh"

loaded() { [ -d "/sys/module/$1" ] && echo yes || echo no; }
DEV=/sys/bus/vdpa/devices/mp0

# Start from nothing: earlier tests may have left modules loaded.
t_check unload-all modprobe -r virtio_vdpa vhost_vdpa vdpa_sim_net vdpa_sim_blk cxvdpa cxemu \
	vdpa_sim vdpa_devring vdpa
t_expect_eq starts-unloaded no "$(loaded vdpa)"
t_check modprobe-parent modprobe vdpa_sim_net
for m in vdpa vdpa_sim vdpa_devring; do
	t_expect_eq "pulls-$m" yes "$(loaded $m)"
done
t_check refuses-bus-in-use sh -c '! rmmod vdpa 2>/dev/null'

# No bus driver loaded: the device waits unbound until something loads
# one. udev would run modprobe on the device's MODALIAS; that must load
# vhost_vdpa, the default bus driver, and only it, which binds the device.
t_check add-unbound vdpa dev add name mp0 mgmtdev vdpasim_net
t_expect_eq waits-unbound "" "$(driver_of mp0)"
alias=$(sed -n 's/^MODALIAS=//p' $DEV/uevent)
t_expect_eq modalias-net vdpa:d00000001 "${alias%v*}"
t_expect_eq alias-resolves vhost_vdpa "$(modprobe --resolve-alias "$alias" | tr '\n' ' ' | sed 's/ $//')"
t_check modprobe-alias modprobe "$alias"
t_expect_eq binds-at-load vhost_vdpa "$(driver_of mp0)"
t_expect_eq alias-leaves-virtio no "$(loaded virtio_vdpa)"

# unbind, driver_override, bind (with both bus drivers loaded).
t_check modprobe-virtio modprobe virtio_vdpa
t_expect_eq stays-bound vhost_vdpa "$(driver_of mp0)"
t_check unbind sh -c "echo mp0 >/sys/bus/vdpa/drivers/vhost_vdpa/unbind"
t_expect_eq unbound "" "$(driver_of mp0)"
t_check override sh -c "echo virtio_vdpa >$DEV/driver_override"
t_check bind sh -c "echo mp0 >/sys/bus/vdpa/drivers/virtio_vdpa/bind"
t_expect_eq bound-virtio virtio_vdpa "$(driver_of mp0)"
t_check bind-wrong-refused sh -c "! echo mp0 >/sys/bus/vdpa/drivers/vhost_vdpa/bind 2>/dev/null"
t_check override-clear sh -c "echo >$DEV/driver_override"

# Bus driver out first while bound: the device stays, unbound.
t_check rmmod-driver-bound modprobe -r virtio_vdpa
t_expect_eq device-stays yes "$([ -d $DEV ] && echo yes || echo no)"
t_expect_eq left-unbound "" "$(driver_of mp0)"
t_check reprobe sh -c "echo mp0 >/sys/bus/vdpa/drivers_probe"
t_expect_eq rebinds vhost_vdpa "$(driver_of mp0)"

# Parent out first while bound: the device goes, the driver stays.
t_check rmmod-parent-bound modprobe -r vdpa_sim_net
t_expect_eq device-gone no "$([ -d $DEV ] && echo yes || echo no)"
t_expect_eq driver-stays yes "$(loaded vhost_vdpa)"
t_check rmmod-rest modprobe -r vhost_vdpa vdpa_sim vdpa_devring vdpa
t_expect_eq all-unloaded "no no" "$(loaded vdpa) $(loaded vhost_vdpa)"
