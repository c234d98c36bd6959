#!/usr/bin/env bash
# Builds examples/*.c with Open Watcom in the four DOS memory models against
# build/VMEMORY.LIB and runs them in DOSBox, checking their output.
#
#   WATCOM=/opt/watcom harness/watcom.sh [BUILD_DIR]     (make test-watcom)
#
# Needs $WATCOM/binl64 (or binl) on PATH-able form and $WATCOM/h. Exit 1 if
# anything fails to compile, link or run as expected.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$here/build}" && pwd)
: "${WATCOM:?set WATCOM to an Open Watcom install}"
export PATH="$WATCOM/binl64:$WATCOM/binl:$PATH" INCLUDE="$WATCOM/h"
work=$(mktemp -d "${TMPDIR:-/tmp}/vmemory-watcom.XXXXXX")
mkdir -p "$work/TMP"
# wcl takes a name ending in upper-case .LIB for C source: use lower case.
cp "$build/VMEMORY.LIB" "$work/vmemory.lib"
cp "$build/EXITCODE.COM" "$work/"
failed=0
bat=$'@echo off\r\nset TMP=C:\\TMP\r\n'
for prog in vmall vmarray; do
  for m in s m c l; do
    exe=$(echo "${prog:0:6}_$m" | tr a-z A-Z).EXE
    # The exact line a user types (README): wcl -bt=dos -m<model> ... vmemory.lib
    if ! (cd "$work" && wcl -q -bt=dos -m$m -3 -I"$here/include" -fe="$exe" "$here/examples/$prog.c" vmemory.lib) \
        > "$work/$exe.build.txt" 2>&1; then
      echo "FAIL build $prog -m$m:"; cat "$work/$exe.build.txt"; failed=1; continue
    fi
    out=$(echo "$exe" | sed 's/\.EXE$/.OUT/')
    rc=$(echo "$exe" | sed 's/\.EXE$/.RC/')
    bat+="$exe > $out"$'\r\n'"EXITCODE.COM > $rc"$'\r\n'
  done
done
printf '%s' "$bat" > "$work/RUN.BAT"
"$here/harness/dosrun.sh" dosbox xms+ems "$work" 300 || failed=1
for f in "$work"/*.OUT; do
  [ -e "$f" ] || continue
  name=$(basename "$f" .OUT)
  code=$(tr -dc 0-9 < "$work/$name.RC" 2>/dev/null)
  case $name in
  VMALL*) want="vmall: 0 errors" ;;
  *) want="Released the region." ;;
  esac
  if [ "$code" = 0 ] && grep -q "$want" "$f"; then
    echo "PASS $name ($(grep -c '' "$f") lines)"
  else
    echo "FAIL $name: exit code ${code:-?}; output in $f"; failed=1
  fi
done
[ $failed -eq 0 ] && rm -rf "$work"
exit $failed
