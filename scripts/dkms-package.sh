#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the DKMS package: vdpa-stack-dkms_VERSION_all.deb, made by Debian's
# own tooling (debhelper with dh-dkms) from the stack's sources only
# (drivers/, include/, the Kbuild, Kconfig and Makefile, dkms.conf).
#
#   scripts/dkms-package.sh [OUTDIR]    default OUTDIR: build/dkms
#
# VERSION is 0.1 plus the date and hash of the commit (0.1 alone outside a
# git clone). Install with "apt install ./vdpa-stack-dkms_*.deb": DKMS then
# builds the modules for every installed 6.12 kernel with headers.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
out=$(readlink -f "${1:-$repo/build/dkms}")
cd "$repo"

ver=0.1
if git rev-parse --git-dir >/dev/null 2>&1; then
	ver=$ver+git$(git log -1 --format=%cd --date=format:%Y%m%d).$(git rev-parse --short=7 HEAD)
fi
name=vdpa-stack
stage=$out/$name-$ver

rm -rf "$out"/vdpa-stack-* "$out"/vdpa-stack_* "$out/build.log"
mkdir -p "$stage/src"
# Tracked or new files, never build products, never the tests.
git ls-files -co --exclude-standard -- Kbuild Kconfig Makefile LICENSE README.md \
	'drivers/*.c' 'drivers/*.h' 'drivers/*Kbuild' 'include/*.h' |
	rsync -a --files-from=- . "$stage/src/"
sed "s/@VERSION@/$ver/" dkms.conf >"$stage/src/dkms.conf"

cp -r packaging/debian "$stage/debian"
cp "$stage/src/dkms.conf" "$stage/debian/$name-dkms.dkms"
(cd "$stage/src" && find . -mindepth 1 -maxdepth 1 ! -name dkms.conf -printf '%P\n' |
	sed "s|\$| usr/src/$name-$ver/|") >"$stage/debian/$name-dkms.install"
sed -i 's|^\(.*\) \(usr/src/.*\)$|src/\1 \2|' "$stage/debian/$name-dkms.install"
cat >"$stage/debian/changelog" <<EOF
$name ($ver) unstable; urgency=medium

  * Built by scripts/dkms-package.sh from $(git rev-parse --short=12 HEAD 2>/dev/null || echo "a source tree").

 -- vDPA stack developers <vdpa-stack@localhost>  $(date -R)
EOF

(cd "$stage" && dpkg-buildpackage -b -us -uc) >"$out/build.log" 2>&1 || {
	cat "$out/build.log" >&2
	exit 1
}
deb=$out/${name}-dkms_${ver}_all.deb
[ -s "$deb" ] || { echo "dkms-package: no $deb"; exit 1; }
echo "$deb"
