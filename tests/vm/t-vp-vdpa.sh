#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A platform-IOMMU parent on our bus: 6.12's vp_vdpa, unchanged (built
# against our headers by scripts/compat-build.sh), on a modern
# virtio-net-pci device behind QEMU's intel-iommu (00:10.0, vm-run.sh
# --iommu). An ordinary NIC on the same hub (00:11.0) sees its frames.
# virtio_net runs on it through virtio_vdpa, with every DMA through the
# IOMMU. Then vhost_vdpa takes it and translates through a domain of its
# own: the userspace client's platform cases (frames both ways with the
# peer NIC, resets with and without IOTLB_PERSIST, INVALIDATE, RLIMIT),
# DPDK's testpmd on it, and removal while a VMM holds it (vdpa dev del,
# and unbinding vp-vdpa from the PCI function); in make check-long, vdpa
# dev add, del and virtio_vdpa's probe under fault injection instead of
# the client and testpmd, which make check has run.
# Back on virtio_vdpa: removal while the interface carries traffic; the
# NIC goes back to virtio-pci.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vhost_lib.sh"

PCI=0000:00:10.0
PEER=0000:00:11.0
SWEEP=$(dirname "$0")/fault_sweep.py
SYS=/sys/bus/pci/devices
pci_driver() { basename "$(readlink "$SYS/$1/driver" 2>/dev/null)"; }
netdev_of() { basename "$(ls -d "$1"/virtio*/net/* 2>/dev/null | head -n 1)"; }
# to_ns IF NETNS ADDR: move IF into NETNS with ADDR/24 and bring it up.
to_ns() {
	ip link set "$1" netns "$2"
	ip -n "$2" addr add "$3/24" dev "$1"
	ip -n "$2" link set "$1" up
}

cleanup() {
	fail_nth_restore
	ip netns del vpa 2>/dev/null
	ip netns del vpb 2>/dev/null
}
trap cleanup EXIT

t_expect_eq iommu-on yes "$([ -e "$SYS/$PCI/iommu_group" ] && echo yes || echo no)"
t_expect_eq iommu-group-alone 1 "$(ls "$SYS/$PCI/iommu_group/devices" 2>/dev/null | wc -l)"
t_expect_eq starts-on-virtio-pci virtio-pci "$(pci_driver $PCI)"
peer=$(netdev_of "$SYS/$PEER")
t_check peer-netdev test -n "$peer"

modprobe -r vhost_vdpa 2>/dev/null
t_check modprobe modprobe -a vdpa virtio_vdpa vp_vdpa
# vp_vdpa has no ID table: driver_override moves the function to it.
t_check unbind-virtio-pci sh -c "echo $PCI >/sys/bus/pci/drivers/virtio-pci/unbind"
# The VM's devices default to identity domains (vm-run.sh --iommu); this
# one gets a translating DMA domain, so virtio_vdpa's DMA goes through the
# IOMMU too.
t_check iommu-dma sh -c "echo DMA >$SYS/$PCI/iommu_group/type"
t_expect_eq iommu-translates DMA "$(cat "$SYS/$PCI/iommu_group/type" 2>/dev/null)"
t_check override sh -c "echo vp-vdpa >$SYS/$PCI/driver_override"
t_check probe sh -c "echo $PCI >/sys/bus/pci/drivers_probe"
t_expect_eq bound-vp-vdpa vp-vdpa "$(pci_driver $PCI)"
t_check mgmtdev-listed sh -c "vdpa mgmtdev show | grep -q 'pci/$PCI'"
t_check add vdpa dev add name vp0 mgmtdev "pci/$PCI"
t_expect_eq virtio-vdpa-bound virtio_vdpa "$(driver_of vp0)"
vif=$(netdev_of /sys/bus/vdpa/devices/vp0)
t_check virtio-net-up test -n "$vif"

# The two interfaces in two namespaces: every frame crosses the hub.
ip netns add vpa
ip netns add vpb
to_ns "$vif" vpa 10.78.0.1
to_ns "$peer" vpb 10.78.0.2
t_check ping-through-iommu ip netns exec vpa ping -c 5 -i 0.2 -W 5 10.78.0.2
t_check ping-large ip netns exec vpa ping -c 3 -i 0.2 -W 5 -s 1400 10.78.0.2
t_check ping-from-peer ip netns exec vpb ping -c 3 -i 0.2 -W 5 10.78.0.1

# vhost_vdpa on the same device: our own domain replaces the default one.
t_check unbind-virtio-vdpa sh -c "echo vp0 >/sys/bus/vdpa/drivers/virtio_vdpa/unbind"
# Loading the driver binds it to the device nobody drives.
t_check modprobe-vhost modprobe vhost_vdpa
t_expect_eq vhost-bound vhost_vdpa "$(driver_of vp0)"
# The peer, back in this namespace, sends nothing of its own meanwhile
# (no IPv6, no address): the client sees only its own frames.
ip -n vpb link set "$peer" netns 1
sysctl -qw "net.ipv6.conf.$peer.disable_ipv6=1"
ip link set "$peer" up
# The domain's IOVA width: VT-d's maximum guest address width (MGAW).
cap=$(cat /sys/class/iommu/dmar0/intel-iommu/cap 2>/dev/null)
bits=$(( ((0x${cap:-0} >> 16) & 0x3f) + 1 ))
t_check iova-width test "$bits" -gt 32
export PEER_IF=$peer
long=$(rounds no yes)
if [ "$long" = no ]; then
	tap platform env IOVA_BITS="$bits" "$BIN" platform "/dev/$(chardev_of vp0)"
	# DPDK's testpmd on the device, with the peer sending every frame
	# addressed to testpmd's peer MAC back: its 4 bursts of 32 frames
	# must all come back, both ways through the domain.
	PMD_MAC=02:00:00:00:0d:01
	echolog=$(mktemp)
	python3 "$(dirname "$0")/peer_echo.py" "$peer" "$PMD_MAC" >"$echolog" 2>&1 &
	echoer=$!
	for _ in $(seq 100); do
		grep -q listening "$echolog" && break
		sleep 0.1
	done
	out=$(ulimit -l unlimited && timeout 300 python3 "$(dirname "$0")/testpmd.py" \
		"/dev/$(chardev_of vp0)" "$PMD_MAC" 4 2>&1)
	kill "$echoer"
	wait "$echoer"
	read -r _ tx _ rx _ pinned <<<"$(grep -o 'tx [0-9]* rx [0-9]* pinned_kib [0-9]*' <<<"$out")"
	t_expect_eq testpmd-sent 128 "$tx"
	t_expect_eq testpmd-echoed "echoed 128" "$(grep echoed "$echolog")"
	t_expect_eq testpmd-received 128 "$rx"
	t_check testpmd-pinned test "${pinned:-0}" -gt 0
	[ "$rx" = 128 ] || tail -n 40 <<<"$out"
	rm -f "$echolog"
fi
# Removal while a VMM holds the device: pins and domain go with it.
t_check del-vp0 vdpa dev del vp0
modprobe -r virtio_vdpa
removal vdpa-del "vdpa dev del vpv" vpv "pci/$PCI"
# The parent goes with its PCI function (driver unbound).
removal unbind-vp-vdpa "echo $PCI >/sys/bus/pci/drivers/vp-vdpa/unbind" vpv "pci/$PCI"
unset PEER_IF
t_expect_eq unbound-by-removal "" "$(pci_driver $PCI)"
t_check reprobe-vp-vdpa sh -c "echo $PCI >/sys/bus/pci/drivers_probe"
t_expect_eq vp-vdpa-again vp-vdpa "$(pci_driver $PCI)"
# make check-long: vdpa dev add (vhost_vdpa taking each device made) and
# del on this management device, then virtio_vdpa's probe, swept with fault
# injection (tests/vm/fault_sweep.py, as t-fault.sh does for ours).
# 6.12's vp_vdpa gives EINVAL, and logs why, when mapping a queue's
# notify area fails (an allocation of ioremap's). Its own, and not ours to
# mend: its adds' devm allocations stay on the function until it is
# unbound below, and the notify areas it maps one per queue (this NIC has
# page-per-vq) are never unmapped, after a failed add or a delete.
if [ "$long" = yes ]; then
	fail_nth_setup
	tap add-swept env SWEEP_ALSO="EINVAL:Fail to map vq notify" \
		python3 "$SWEEP" add "pci/$PCI"
	tap del-swept python3 "$SWEEP" del "pci/$PCI"
	fail_nth_restore
fi
t_check modprobe-r-vhost modprobe -r vhost_vdpa
t_check modprobe-virtio modprobe virtio_vdpa
if [ "$long" = yes ]; then
	fail_nth_setup
	tap probe-swept python3 "$SWEEP" probe "pci/$PCI"
	fail_nth_restore
fi
t_check add-again vdpa dev add name vp0 mgmtdev "pci/$PCI"
t_expect_eq virtio-vdpa-again virtio_vdpa "$(driver_of vp0)"
vif=$(netdev_of /sys/bus/vdpa/devices/vp0)
to_ns "$vif" vpa 10.78.0.1
to_ns "$peer" vpb 10.78.0.2
t_check ping-after-vhost ip netns exec vpa ping -c 3 -i 0.2 -W 5 10.78.0.2

# Removal while the interface carries traffic.
pinglog=$(mktemp)
ip netns exec vpa ping -i 0.05 -W 1 10.78.0.2 >"$pinglog" 2>&1 &
pinger=$!
sleep 1
t_check del-while-busy vdpa dev del vp0
kill $pinger 2>/dev/null
wait $pinger 2>/dev/null
t_check replies-before-del grep -q 'bytes from 10.78.0.2' "$pinglog"
rm -f "$pinglog"
t_check netdev-gone sh -c "! ip -n vpa link show $vif >/dev/null 2>&1"

# Back to virtio-pci, as it was.
t_check unbind-vp-vdpa sh -c "echo $PCI >/sys/bus/pci/drivers/vp-vdpa/unbind"
t_check override-clear sh -c "echo >$SYS/$PCI/driver_override"
t_check reprobe sh -c "echo $PCI >/sys/bus/pci/drivers_probe"
t_expect_eq back-on-virtio-pci virtio-pci "$(pci_driver $PCI)"
t_check rmmod modprobe -r vp_vdpa virtio_vdpa
