#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install everything the build, the test VM and the later tests need, with
# apt-get only. Idempotent: packages already present are not fetched again.
set -euo pipefail

PKGS=(
	# kernel build
	build-essential bc bison flex libelf-dev libssl-dev cpio kmod xz-utils
	rsync python3 perl gawk
	# the reference kernel source and a distro headers package (build-only check)
	linux-source-6.12 linux-headers-6.12-amd64
	# the nested guest's kernel and virtio_net (scripts/guest-image.sh)
	linux-image-6.12-amd64
	# static checks
	sparse
	# test VM and its clients
	qemu-system-x86 iproute2 iputils-ping busybox-static jq
	# make bench (virtio_blk IOPS)
	fio
	# used by later tests (DPDK virtio_user over vhost-vdpa)
	dpdk dpdk-dev
	# the DKMS package (scripts/dkms-check.sh)
	dkms dh-dkms debhelper dpkg-dev
)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#PKGS[@]} packages present"
	exit 0
fi

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
