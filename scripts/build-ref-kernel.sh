#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the reference kernel from Debian's linux-source-6.12 package.
#
#   scripts/build-ref-kernel.sh [debug|bench]        build (or reuse) a flavour
#   scripts/build-ref-kernel.sh --print-dir FLAVOUR  print its build directory only
#
# The result lives outside the repository in $VDPA_CACHE (default
# /var/cache/vdpa-ref), in a directory keyed by a hash of the source package
# version, the config fragments and this script, so a second run is a no-op.
# The directory is a complete O= build tree: KDIR for our modules, bzImage,
# and the upstream modules (the benchmark baseline) under mod-root/.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${VDPA_CACHE:-/var/cache/vdpa-ref}
tarball=/usr/src/linux-source-6.12.tar.xz

print_only=0
if [ "${1:-}" = "--print-dir" ]; then
	print_only=1
	shift
fi
flavour=${1:-debug}
case "$flavour" in
debug|bench) ;;
*) echo "build-ref-kernel: unknown flavour '$flavour' (debug or bench)" >&2; exit 2 ;;
esac

frags=("$here/config/ref-common.config" "$here/config/ref-$flavour.config")
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || true)
if [ -z "$srcver" ]; then
	echo "build-ref-kernel: linux-source-6.12 is not installed (scripts/install-deps.sh)" >&2
	exit 1
fi
key=$( { echo "$srcver"; cat "${frags[@]}" "$0"; } | sha256sum | cut -c1-16)
src=$cache/src-$srcver
out=$cache/$flavour-$key

if [ $print_only -eq 1 ]; then
	echo "$out"
	exit 0
fi

if [ -e "$out/.complete" ]; then
	echo "build-ref-kernel: reusing $out"
	exit 0
fi

mkdir -p "$cache"
if [ ! -e "$src/.complete" ]; then
	echo "build-ref-kernel: extracting $tarball"
	rm -rf "$src" "$src.tmp"
	mkdir -p "$src.tmp"
	tar -xJf "$tarball" -C "$src.tmp" --strip-components=1
	touch "$src.tmp/.complete"
	mv "$src.tmp" "$src"
fi

rm -rf "$out"
mkdir -p "$out"
kmake() { make -C "$src" O="$out" ARCH=x86_64 -j"$(nproc)" "$@"; }

echo "build-ref-kernel: configuring $flavour in $out"
kmake -s tinyconfig
"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "${frags[@]}" >"$out/merge.log"
kmake -s olddefconfig

# Kconfig drops a symbol whose dependencies are unmet without a word:
# insist that every line of the fragments survived.
bad=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*)
		sym=${line%%=*}
		want=$line ;;
	"# CONFIG_"*" is not set")
		sym=${line#\# }
		sym=${sym%% *}
		want=$line ;;
	*) continue ;;
	esac
	got=$(grep -E "^($sym=|# $sym is not set)" "$out/.config" || echo "# $sym is not set")
	if [ "$got" != "$want" ]; then
		echo "build-ref-kernel: wanted '$want', got '$got'" >&2
		bad=1
	fi
done < <(cat "${frags[@]}")
[ $bad -eq 0 ] || exit 1

echo "build-ref-kernel: building $flavour (this takes a while the first time)"
start=$(date +%s)
kmake bzImage modules >"$out/build.log" 2>&1 || {
	tail -n 50 "$out/build.log" >&2
	exit 1
}
kmake -s modules_install INSTALL_MOD_PATH="$out/mod-root" INSTALL_MOD_STRIP=1 \
	>>"$out/build.log" 2>&1
echo "build-ref-kernel: $flavour built in $(( $(date +%s) - start ))s"
touch "$out/.complete"

# Only one build per flavour is worth keeping: drop those of older keys.
for old in "$cache/$flavour"-*; do
	[ "$old" = "$out" ] || rm -rf "$old"
done
