#!/usr/bin/env bash
# Installs what building and testing vmemory needs, if it is missing, on a
# Debian machine: Debian's rustc/cargo 1.96 with their library source (the
# DOS target builds `core` from it), rustfmt and clippy for that toolchain,
# GNU binutils, nasm, DOSBox, QEMU with mtools and dosfstools (the qemu
# engine, and FAT images for TMP), Node.js with npm, and the pinned DOSBox-X
# (npm package `emulators`) under tools/dosbox-x. Idempotent and quick when
# everything is there.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
need=()
have() { command -v "$1" > /dev/null 2>&1; }

# Debian's rustc-web installs /usr/bin/rustc; rust-toolchain.toml points there.
[ -x /usr/bin/rustc ] && [ -x /usr/bin/cargo ] || need+=(rustc-web cargo-web)
[ -d /usr/lib/rustlib/src/rust/library/core ] || need+=(rust-web-src)
[ -x /usr/bin/rustfmt ] || need+=(rustfmt-web)
[ -x /usr/bin/cargo-clippy ] || need+=(rust-web-clippy)
have ld && have objcopy || need+=(binutils)
have nasm || need+=(nasm)
have dosbox || need+=(dosbox)
have node && have npm || need+=(nodejs npm)
have awk || need+=(gawk)
# The qemu engine (harness/qemurun.sh) and FAT images for TMP (conf/*.conf
# "# tmp-image: KB"): QEMU, mtools, mkfs.fat, unzip.
have qemu-system-i386 || need+=(qemu-system-x86)
have mcopy || need+=(mtools)
[ -x /usr/sbin/mkfs.fat ] || [ -x /sbin/mkfs.fat ] || have mkfs.fat || need+=(dosfstools)
have unzip || need+=(unzip)
# make dist writes the release's zip.
have zip || need+=(zip)

if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  echo "deps: installing ${need[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" > /dev/null
fi

# DOSBox-X (WebAssembly) at the version package-lock.json pins.
dx="$here/tools/dosbox-x"
pinned=$(sed -n 's/.*"emulators": *"\([0-9.]*\)".*/\1/p' "$dx/package.json" | head -n 1)
installed=$(sed -n 's/^ *"version": *"\([0-9.]*\)".*/\1/p' "$dx/node_modules/emulators/package.json" 2> /dev/null | head -n 1)
if [ -z "$installed" ] || [ "$installed" != "$pinned" ]; then
  echo "deps: npm ci in tools/dosbox-x"
  (cd "$dx" && npm ci --no-audit --no-fund --loglevel=error > /dev/null)
fi
