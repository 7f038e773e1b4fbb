#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The vdpa management netlink family, driven by iproute2's unchanged vdpa
# tool against the simulated net parent: what it prints for good requests,
# the errno and message for every bad one, and that a failed request
# leaves nothing behind.
. "$(dirname "$0")/lib.sh"

modprobe vdpa_sim_net || exit 1
modprobe vdpa_sim_blk || exit 1
trap 'vdpa dev del vdpa0 2>/dev/null; modprobe -r vdpa_sim_net vdpa_sim_blk' EXIT

devices() { ls /sys/bus/vdpa/devices | tr '\n' ' '; }

# Adds, deletes and dumps racing each other end consistent (and
# lockdep-clean): what make check-long repeats, and runs alone.
race() {
	local i

	for i in $(seq "$(rounds 4 30)"); do
		vdpa dev add name "race$1" mgmtdev vdpasim_net 2>/dev/null
		vdpa dev del "race$1" 2>/dev/null
	done
}
dump() {
	local i

	for i in $(seq "$(rounds 8 60)"); do
		vdpa dev show >/dev/null
		vdpa dev config show >/dev/null
		vdpa mgmtdev show >/dev/null
	done
}
racing() {
	race a & race b & race a & dump & dump &
	wait
	vdpa dev del racea 2>/dev/null
	vdpa dev del raceb 2>/dev/null
	t_expect_eq race-leaves-nothing "" "$(devices)"
}
if long_tier; then
	racing
	exit 0
fi

# "Error: MSG." and "kernel answers: ERRNO", as iproute2 prints them.
expect_error() {
	local name=$1 msg=$2 errno=$3 out
	shift 3

	out=$("$@" 2>&1)
	t_expect_eq "$name" "Error: $msg.|kernel answers: $errno" \
		"$(printf '%s' "$out" | paste -sd '|')"
}

t_expect_eq mgmtdev-show "vdpasim_net: 
  supported_classes net
  max_supported_vqs 17
  dev_features MTU MAC STATUS CTRL_VQ CTRL_RX MQ CTRL_MAC_ADDR ANY_LAYOUT RING_INDIRECT_DESC RING_EVENT_IDX VERSION_1 ACCESS_PLATFORM RING_PACKED" \
	"$(vdpa mgmtdev show vdpasim_net)"

t_check dev-add vdpa dev add name vdpa0 mgmtdev vdpasim_net \
	mac 00:11:22:33:44:55 mtu 9000 max_vqp 2
t_expect_eq dev-show \
	"vdpa0: type network mgmtdev vdpasim_net vendor_id 0 max_vqs 5 max_vq_size 256" \
	"$(vdpa dev show vdpa0)"
t_expect_eq dev-show-dump \
	"vdpa0: type network mgmtdev vdpasim_net vendor_id 0 max_vqs 5 max_vq_size 256" \
	"$(vdpa dev show)"
t_expect_eq config-show \
	"vdpa0: mac 00:11:22:33:44:55 link up link_announce false max_vq_pairs 2 mtu 9000 " \
	"$(vdpa dev config show vdpa0)"
t_expect_eq config-show-json-mtu 9000 \
	"$(vdpa -j dev config show vdpa0 | python3 -c 'import json,sys; print(json.load(sys.stdin)["config"]["vdpa0"]["mtu"])')"
t_expect_eq uevent-modalias "MODALIAS=vdpa:d00000001v00000000" \
	"$(grep MODALIAS /sys/bus/vdpa/devices/vdpa0/uevent)"

# iproute2 6.1 cannot provision features nor change attributes: a small
# netlink client of ours does. Without MTU and MQ provisioned the config
# space shows neither.
# One client serves every request (Python starts in seconds here), through
# two FIFOs (plain descriptors, which pipelines inherit, as a coproc's are
# not): each answer is its lines joined by "|".
nl_dir=$(mktemp -d)
mkfifo "$nl_dir/in" "$nl_dir/out"
python3 "$(dirname "$0")/vdpa_nl.py" --serve <"$nl_dir/in" >"$nl_dir/out" &
nl_pid=$!
exec {nl_in}>"$nl_dir/in" {nl_out}<"$nl_dir/out"
nl() {
	local line out=

	echo "$*" >&"$nl_in"
	while read -r line <&"$nl_out" && [ "$line" != . ]; do
		out+=${out:+|}$line
	done
	printf '%s\n' "$out"
}
t_expect_eq dev-add-features ok \
	"$(nl dev_new dev_name=vdpa1 mgmtdev_dev_name=vdpasim_net dev_features=0x300010020)"
t_expect_eq config-show-gated "vdpa1: mac 00:00:00:00:00:00 link up link_announce false " \
	"$(vdpa dev config show vdpa1 | sed 's/mac [0-9a-f:]*/mac 00:00:00:00:00:00/')"
t_expect_eq config-dev-features \
	"dev_name=vdpa1|dev_id=1|dev_features=$((0x300010020))" \
	"$(nl dev_config_get dev_name=vdpa1 | tr '|' '\n' | grep -E '^(dev_name|dev_id|dev_features)=' | paste -sd '|')"
t_expect_eq attr-set-without-f-mac \
	"error EOPNOTSUPP: device has no VIRTIO_NET_F_MAC: a MAC would be invisible to its driver" \
	"$(nl dev_new dev_name=nomac mgmtdev_dev_name=vdpasim_net dev_features=0x100000000 >/dev/null;
	   nl dev_attr_set dev_name=nomac mac=00:11:22:33:44:66; vdpa dev del nomac)"
t_check dev-del-features vdpa dev del vdpa1
t_expect_eq attr-set-mac ok "$(nl dev_attr_set dev_name=vdpa0 mac=00:11:22:33:44:66)"
t_expect_eq attr-set-mac-shown \
	"vdpa0: mac 00:11:22:33:44:66 link up link_announce false max_vq_pairs 2 mtu 9000 " \
	"$(vdpa dev config show vdpa0)"
t_expect_eq attr-set-mtu "error EOPNOTSUPP: only the MAC address can be changed" \
	"$(nl dev_attr_set dev_name=vdpa0 mtu=1500)"
t_expect_eq attr-set-nothing "error EINVAL: no attribute to change" \
	"$(nl dev_attr_set dev_name=vdpa0)"
t_expect_eq attr-set-unknown "error ENODEV: device not found" \
	"$(nl dev_attr_set dev_name=nosuch mac=00:11:22:33:44:66)"
# Widths are checked: an MTU sent as u32 or a 4-byte MAC is refused.
t_expect_eq wrong-width-mtu "error EINVAL: invalid attribute length" \
	"$(nl dev_new dev_name=w mgmtdev_dev_name=vdpasim_net mtu:u32=1500)"
t_expect_eq wrong-width-mac "error ERANGE: binary attribute size out of range" \
	"$(nl dev_new dev_name=w mgmtdev_dev_name=vdpasim_net mac:u32=1)"
t_expect_eq missing-mgmtdev "error EINVAL: management device name is required" \
	"$(nl dev_new dev_name=w)"
t_expect_eq missing-name "error EINVAL: device name is required" \
	"$(nl dev_new mgmtdev_dev_name=vdpasim_net)"

before=$(devices)
expect_error dup-name "device name already in use" "File exists" \
	vdpa dev add name vdpa0 mgmtdev vdpasim_net
expect_error unknown-mgmtdev "management device not found" "No such device" \
	vdpa dev add name vdpa1 mgmtdev nosuch
expect_error unknown-bus "management device not found" "No such device" \
	vdpa dev add name vdpa1 mgmtdev pci/vdpasim_net
expect_error mtu-below-68 "MTU must be at least 68" "Invalid argument" \
	vdpa dev add name vdpa1 mgmtdev vdpasim_net mtu 67
expect_error max-vqp-zero "max_vqp must be at least 1" "Invalid argument" \
	vdpa dev add name vdpa1 mgmtdev vdpasim_net max_vqp 0
expect_error max-vqp-too-many \
	"max_vqp 9 needs more than the 17 virtqueues the management device supports" \
	"Invalid argument" vdpa dev add name vdpa1 mgmtdev vdpasim_net max_vqp 9
expect_error multicast-mac "MAC address must be unicast and non-zero" "Invalid argument" \
	vdpa dev add name vdpa1 mgmtdev vdpasim_net mac 01:00:00:00:00:01
expect_error zero-mac "MAC address must be unicast and non-zero" "Invalid argument" \
	vdpa dev add name vdpa1 mgmtdev vdpasim_net mac 00:00:00:00:00:00
expect_error long-name "device name must be 1 to 64 characters" "Invalid argument" \
	vdpa dev add name "$(printf 'n%.0s' $(seq 65))" mgmtdev vdpasim_net
t_expect_eq unsupported-feature \
	"error EINVAL: features 0x1000000000000 not supported by the management device" \
	"$(nl dev_new dev_name=vdpa1 mgmtdev_dev_name=vdpasim_net dev_features=0x1000100000000)"
t_expect_eq unprovisioned-mtu "error EINVAL: MTU given but VIRTIO_NET_F_MTU not provisioned" \
	"$(nl dev_new dev_name=vdpa1 mgmtdev_dev_name=vdpasim_net mtu=1500 dev_features=0x100000000)"
expect_error name-with-slash \
	"device name must not start with '.' nor contain '/' or control characters" \
	"Invalid argument" vdpa dev add name a/b mgmtdev vdpasim_net
expect_error name-dot \
	"device name must not start with '.' nor contain '/' or control characters" \
	"Invalid argument" vdpa dev add name .. mgmtdev vdpasim_net
t_expect_eq no-version-1 "error EINVAL: provisioned features must include VIRTIO_F_VERSION_1" \
	"$(nl dev_new dev_name=vdpa1 mgmtdev_dev_name=vdpasim_net dev_features=0x20)"
t_expect_eq mq-without-cvq "error EINVAL: control features provisioned without VIRTIO_NET_F_CTRL_VQ" \
	"$(nl dev_new dev_name=vdpa1 mgmtdev_dev_name=vdpasim_net dev_features=$((0x100000000 | 1 << 22)))"
t_check name-64-is-fine vdpa dev add name "$(printf 'n%.0s' $(seq 64))" mgmtdev vdpasim_net
t_check name-64-del vdpa dev del "$(printf 'n%.0s' $(seq 64))"
# iproute2 itself refuses these before sending anything.
t_check bad-mac-syntax sh -c '! vdpa dev add name vdpa1 mgmtdev vdpasim_net mac zz'
t_check missing-name-iproute2 sh -c '! vdpa dev add mgmtdev vdpasim_net'
t_expect_eq unprivileged-add "kernel answers: Operation not permitted" \
	"$(setpriv --reuid=65534 --regid=65534 --clear-groups \
		vdpa dev add name vdpa1 mgmtdev vdpasim_net 2>&1)"
t_expect_eq unprivileged-del "kernel answers: Operation not permitted" \
	"$(setpriv --reuid=65534 --regid=65534 --clear-groups vdpa dev del vdpa0 2>&1)"
t_expect_eq unprivileged-vstats "kernel answers: Operation not permitted" \
	"$(setpriv --reuid=65534 --regid=65534 --clear-groups \
		vdpa dev vstats show vdpa0 qidx 0 2>&1)"
t_expect_eq unprivileged-attr-set "error EPERM: Operation not permitted" \
	"$(setpriv --reuid=65534 --regid=65534 --clear-groups \
		python3 "$(dirname "$0")/vdpa_nl.py" dev_attr_set dev_name=vdpa0 mac=00:11:22:33:44:77)"
t_check unprivileged-show setpriv --reuid=65534 --regid=65534 --clear-groups vdpa dev show vdpa0
t_expect_eq nothing-half-created "$before" "$(devices)"

# Statistics need negotiated features: with no bus driver there are none.
expect_error vstats-not-negotiated "feature negotiation not complete" \
	"Resource temporarily unavailable" vdpa dev vstats show vdpa0 qidx 0
expect_error vstats-bad-queue "queue index must be below 5" "Numerical result out of range" \
	vdpa dev vstats show vdpa0 qidx 5
expect_error show-unknown "device not found" "No such device" vdpa dev show nosuch
expect_error del-unknown "device not found" "No such device" vdpa dev del nosuch

t_check dev-del vdpa dev del vdpa0
t_expect_eq dev-del-gone "" "$(vdpa dev show)"

# The blk management device takes no net attribute. iproute2 6.1 prints no
# blk config, so the config space is read with our client.
t_expect_eq blk-mgmtdev-show "vdpasim_blk: 
  supported_classes block
  max_supported_vqs 1
  dev_features bit_1 bit_2 bit_6 bit_9 bit_13 bit_14 RING_INDIRECT_DESC RING_EVENT_IDX VERSION_1 ACCESS_PLATFORM RING_PACKED" \
	"$(vdpa mgmtdev show vdpasim_blk)"
t_check blk-dev-add vdpa dev add name blk0 mgmtdev vdpasim_blk
t_expect_eq blk-dev-show "blk0: type block mgmtdev vdpasim_blk vendor_id 0 max_vqs 1 max_vq_size 256" \
	"$(vdpa dev show blk0)"
t_expect_eq blk-config \
	"blk_capacity=262144|blk_seg_max=32|blk_blk_size=512|blk_read_only=0|blk_flush=1" \
	"$(nl dev_config_get dev_name=blk0 | tr '|' '\n' | grep -E '^blk_(capacity|seg_max|blk_size|read_only|flush)=' | paste -sd '|')"
expect_error blk-unsupported-attribute "attribute not supported by the management device" \
	"Operation not supported" vdpa dev add name blk1 mgmtdev vdpasim_blk mac 00:11:22:33:44:55
t_check blk-dev-del vdpa dev del blk0
# The client's last request was the one above.
exec {nl_in}>&-
wait "$nl_pid"
exec {nl_out}<&-
rm -r "$nl_dir"

racing

# Removing the management device deletes the devices it created.
t_check mgmtdev-rmmod-add1 vdpa dev add name gone1 mgmtdev vdpasim_net
t_check mgmtdev-rmmod-add2 vdpa dev add name gone2 mgmtdev vdpasim_net
t_check mgmtdev-rmmod modprobe -r vdpa_sim_net
t_expect_eq mgmtdev-rmmod-devices-gone "" "$(devices)"
t_check mgmtdev-rmmod-mgmtdev-gone sh -c "! vdpa mgmtdev show vdpasim_net 2>/dev/null"
t_check mgmtdev-reload modprobe vdpa_sim_net
t_check mgmtdev-reload-add vdpa dev add name vdpa0 mgmtdev vdpasim_net
