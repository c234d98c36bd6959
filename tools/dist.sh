#!/usr/bin/env bash
# make dist: the release as a FreeDOS package, one zip a C programmer
# unpacks on a DOS machine (8.3 names, text with CR LF line ends):
#
#   tools/dist.sh BUILD_DIR          -> BUILD_DIR/dist/VMEM<version>.ZIP
#
#   APPINFO/VMEMORY.LSM                   the package's LSM (docs/vmemory.lsm)
#   DEVEL/VMEMORY/LIB/VMEMORY.LIB         the OMF library, every memory model
#   DEVEL/VMEMORY/INCLUDE/VMEMORY.H       include/vmemory.h
#   DEVEL/VMEMORY/EXAMPLES/VMALL.C        examples/vmall.c
#   DEVEL/VMEMORY/EXAMPLES/VMARRAY.C      examples/vmarray.c
#   DEVEL/VMEMORY/EXAMPLES/MAKEFILE       examples/makefile.wat (wmake MODEL=s|m|c|l)
#   DOC/VMEMORY/VMEMORY.TXT               the reference manual (docs/vmemory.txt)
#   DOC/VMEMORY/LICENSE.TXT               LICENSE (MIT)
#   SOURCE/VMEMORY/SOURCES.ZIP            the repository at HEAD (git archive):
#                                         the Rust crate and everything to rebuild
#
# <version> is Cargo.toml's without dots (0.1.0 -> VMEM010.ZIP). Dates (the
# LSM's Entered-date, every entry's time) are HEAD's commit date, so the
# same commit gives the same zip byte for byte.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$here/build}" && pwd)
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$here/Cargo.toml" | head -n 1)
[ -n "$version" ] || { echo "dist: no version in Cargo.toml" >&2; exit 1; }
name=VMEM$(tr -d . <<< "$version")
[ ${#name} -le 8 ] || { echo "dist: $name.ZIP is not an 8.3 name" >&2; exit 1; }
# Outside a git checkout (a tree unpacked from SOURCES.ZIP): today's date,
# and the tree itself as the sources.
if git -C "$here" rev-parse --verify -q HEAD > /dev/null 2>&1; then
  date=$(git -C "$here" log -1 --format=%cs)
  stamp=$(git -C "$here" log -1 --format=%cd --date=format:%Y%m%d%H%M.%S)
else
  date=$(date -u +%F) stamp=$(date -u +%Y%m%d0000.00)
fi

out=$build/dist
stage=$out/stage
rm -rf "$stage" "$out/$name.ZIP"
mkdir -p "$stage/APPINFO" "$stage/DEVEL/VMEMORY/LIB" "$stage/DEVEL/VMEMORY/INCLUDE" \
  "$stage/DEVEL/VMEMORY/EXAMPLES" "$stage/DOC/VMEMORY" "$stage/SOURCE/VMEMORY"

# A text file with DOS line ends (CR LF), from a file with Unix ones.
text() { sed 's/$/\r/' "$1" > "$stage/$2"; }

sed -e "s/@VERSION@/$version/" -e "s/@DATE@/$date/" "$here/docs/vmemory.lsm" > "$stage/vmemory.lsm"
text "$stage/vmemory.lsm" APPINFO/VMEMORY.LSM
rm "$stage/vmemory.lsm"
cp "$build/VMEMORY.LIB" "$stage/DEVEL/VMEMORY/LIB/VMEMORY.LIB"
text "$here/include/vmemory.h" DEVEL/VMEMORY/INCLUDE/VMEMORY.H
text "$here/examples/vmall.c" DEVEL/VMEMORY/EXAMPLES/VMALL.C
text "$here/examples/vmarray.c" DEVEL/VMEMORY/EXAMPLES/VMARRAY.C
text "$here/examples/makefile.wat" DEVEL/VMEMORY/EXAMPLES/MAKEFILE
text "$here/docs/vmemory.txt" DOC/VMEMORY/VMEMORY.TXT
text "$here/LICENSE" DOC/VMEMORY/LICENSE.TXT
if git -C "$here" rev-parse --verify -q HEAD > /dev/null 2>&1; then
  git -C "$here" archive --format=zip --prefix=vmemory-$version/ -o "$stage/SOURCE/VMEMORY/SOURCES.ZIP" HEAD
else
  ln -s "$here" "$out/vmemory-$version"
  (cd "$out" && zip -q -r -X "$stage/SOURCE/VMEMORY/SOURCES.ZIP" "vmemory-$version" \
     -x "vmemory-$version/build/*" "vmemory-$version/target/*" "*/node_modules/*")
  rm "$out/vmemory-$version"
fi

# Stored in a fixed order with HEAD's date; -X: no Unix extra fields, so
# the zip is what a DOS unzip expects.
find "$stage" -exec touch -t "$stamp" {} +
(cd "$stage" && find . -type f | sed 's|^\./||' | LC_ALL=C sort | zip -q -X -9 "$out/$name.ZIP" -@)
rm -rf "$stage"
echo "dist: $out/$name.ZIP ($(stat -c %s "$out/$name.ZIP") bytes), vmemory $version of $date"
