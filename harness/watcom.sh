#!/usr/bin/env bash
# Builds the C examples (examples/vmall.c, examples/vmarray.c), the C
# conformance client (tests/c/conform.c), the C run-time memory check
# (tests/c/alldos.c, runs 1-3), old-style clients declaring the status
# variables themselves (tests/c/msdecl.c; tests/c/kbdecl.c exactly as
# Microsoft KB402074 does), the exit paths (tests/c/exits.c, -ms and -ml,
# each checked by T_EXITS.EXE), and where wpp is there a C++ client
# (tests/c/vmcpp.cpp), with Open Watcom in the four DOS memory
# models against build/VMEMORY.LIB and runs them in DOSBox, checking their
# output and exit codes.
#
#   WATCOM=/opt/watcom harness/watcom.sh [BUILD_DIR]     (make test-watcom)
#
# Needs $WATCOM/binl64 (or binl) and $WATCOM/h. Each program is compiled and
# linked with the line README gives (wcl -bt=dos -m<model> -I... prog.c
# vmemory.lib), plus -q, -fe= (distinct .EXE names) and -fm= (a map file:
# the harness prints where wlink put VMEMORY_TEXT). The conformance client
# also runs without XMS and EMS (conf/none.conf: disk swapping only).
# Exit 1 if anything fails to compile, link or run as expected.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$here/build}" && pwd)
: "${WATCOM:?set WATCOM to an Open Watcom install}"
export PATH="$WATCOM/binl64:$WATCOM/binl:$PATH" INCLUDE="$WATCOM/h"
work=$(mktemp -d "${TMPDIR:-/tmp}/vmemory-watcom.XXXXXX")
mkdir -p "$work/dos" "$work/none"
# wcl takes a name ending in upper-case .LIB for C source: use lower case.
cp "$build/VMEMORY.LIB" "$work/vmemory.lib"
cp "$build/EXITCODE.COM" "$work/dos/"
cp "$build/EXITCODE.COM" "$work/none/"
# The child alldos.c spawns: mov ax,4C00h / int 21h.
printf '\xb8\x00\x4c\xcd\x21' > "$work/dos/CHILD.COM"
failed=0
# The lines of each RUN.BAT (harness/runbat.sh writes them).
bat=() bat_none=()
srcs="examples/vmall.c examples/vmarray.c tests/c/conform.c tests/c/alldos.c tests/c/msdecl.c tests/c/kbdecl.c"
# The header from C++ too, where the install has wpp (and its libraries).
if command -v wpp > /dev/null; then
  srcs+=" tests/c/vmcpp.cpp"; want_runs=$((6 * 4 + 3 * 4 + 4))
else
  echo "SKIP tests/c/vmcpp.cpp (no wpp in $WATCOM)"; want_runs=$((5 * 4 + 3 * 4 + 4))
fi
for src in $srcs; do
  prog=$(basename "${src%.*}")
  for m in s m c l; do
    name=$(echo "${prog:0:6}_$m" | tr a-z A-Z)
    exe=$name.EXE
    # The line a user types (README): wcl -bt=dos -m<model> -I... prog.c vmemory.lib
    if ! (cd "$work" && wcl -q -bt=dos -m$m -I"$here/include" -fe="$exe" -fm="$name.MAP" \
            "$here/$src" vmemory.lib) > "$work/$name.build.txt" 2>&1; then
      echo "FAIL build $src -m$m:"; cat "$work/$name.build.txt"; failed=1; continue
    fi
    if [ -s "$work/$name.build.txt" ]; then
      echo "WARN $src -m$m:"; sed 's/^/  /' "$work/$name.build.txt"
    fi
    # Where wlink put the library's segment (Segment Class Group Address Size).
    where=$(awk '$1 == "VMEMORY_TEXT" { $1 = ""; print; exit }' "$work/$name.MAP")
    echo "  $name: VMEMORY_TEXT${where:- not in the map}"
    [ -n "$where" ] || failed=1
    cp "$work/$exe" "$work/dos/"
    if [ "$prog" = alldos ]; then
      for r in 1 2 3; do    # ALLD_<model><run>.OUT: 8.3 names
        out=ALLD_${name: -1}$r
        bat+=("$exe $r > $out.OUT" "EXITCODE.COM > $out.RC")
      done
    else
      bat+=("$exe > $name.OUT" "EXITCODE.COM > $name.RC")
    fi
    if [ "$prog" = conform ]; then
      cp "$work/$exe" "$work/none/"
      bat_none+=("$exe > $name.OUT" "EXITCODE.COM > $name.RC")
    fi
  done
done
"$here/harness/runbat.sh" "$work/dos" xms+ems "${bat[@]}"
"$here/harness/runbat.sh" "$work/none" none "${bat_none[@]}"
"$here/harness/dosrun.sh" dosbox xms+ems "$work/dos" 300 || failed=1
"$here/harness/dosrun.sh" dosbox none "$work/none" 300 || failed=1
for cfg in dos none; do
  for f in "$work/$cfg"/*.OUT; do
    [ -e "$f" ] || continue
    name=$(basename "$f" .OUT)
    code=$(tr -dc 0-9 < "$work/$cfg/$name.RC" 2>/dev/null)
    case $name in
    VMALL*) want='^vmall: 0 errors' ;;
    VMARRA*) want='^Released the region\.' ;;
    CONFOR*) want='^conform: [0-9]+ checks, 0 failed' ;;
    VMCPP*) want='^vmcpp: ok' ;;
    MSDECL*) want='^msdecl: [0-9]+ checks, 0 failed' ;;
    KBDECL*) want='^kbdecl: [0-9]+ checks, 0 failed' ;;
    ALLD_*) want='^alldos [1-3]: [0-9]+ checks, 0 failed' ;;
    *) want='^$' ;;
    esac
    label=$name; [ $cfg = none ] && label="$name (no XMS/EMS)"
    if [ "$code" = 0 ] && tr -d '\r' < "$f" | grep -Eq "$want"; then
      echo "PASS $label: $(tr -d '\r' < "$f" | grep -E "$want" | tail -1)"
    else
      echo "FAIL $label: exit code ${code:-?}; output in $f"
      tr -d '\r' < "$f" | grep -E '^FAIL|: [0-9]+ (errors|checks)' | head -20 | sed 's/^/  /'
      failed=1
    fi
  done
done
# Exit paths (tests/c/exits.c) in the small and large models: for each way
# of ending and each swap area, T_EXITS.EXE snap before, T_EXITS.EXE check
# after (free XMS, free EMS pages, EMS handles, files in TMP as before).
mkdir -p "$work/exits"
cp "$build/T_EXITS.EXE" "$work/exits/"
xbat=() xruns=0
for m in s l; do
  name=EXITS_$(echo $m | tr a-z A-Z)
  if ! (cd "$work" && wcl -q -bt=dos -m$m -I"$here/include" -fe="$name.EXE" \
          "$here/tests/c/exits.c" vmemory.lib) > "$work/$name.build.txt" 2>&1; then
    echo "FAIL build tests/c/exits.c -m$m:"; cat "$work/$name.build.txt"; failed=1; continue
  fi
  cp "$work/$name.EXE" "$work/exits/"
  k=0
  for mode in term exit abort atexit return; do
    k=$((k + 1))
    for area in 1 2 4; do
      out=X$m$k$area xruns=$((xruns + 1))
      xbat+=("T_EXITS.EXE snap > $out.SNP" "$name.EXE $mode $area > $out.OUT" "T_EXITS.EXE check > $out.CHK")
    done
  done
done
"$here/harness/runbat.sh" "$work/exits" xms+ems "${xbat[@]}"
"$here/harness/dosrun.sh" dosbox xms+ems "$work/exits" 300 || failed=1
xpass=0
for f in "$work"/exits/*.OUT; do
  [ -e "$f" ] || continue
  x=${f%.OUT}
  pages=$(tr -d '\r' < "$f" | sed -n 's/^exits .*: swapped \([0-9]*\) pages$/\1/p')
  what=$(tr -d '\r' < "$f" | grep -m1 '^exits' || echo "no output")
  if [ "${pages:-0}" -ge 448 ] && grep -Eq '^COMPLETE [0-9]+ 0' "$x.CHK" && ! grep -q '^FAIL' "$x.CHK"; then
    echo "PASS $(basename "$x"): $what; nothing left behind"; xpass=$((xpass + 1))
  else
    echo "FAIL $(basename "$x"): $what"; tr -d '\r' < "$x.CHK" | grep -E '^FAIL|^#' | sed 's/^/  /'; failed=1
  fi
done
if [ "$xpass" -ne 30 ]; then
  echo "FAIL exit paths: $xpass of 30 runs passed"; failed=1
fi
runs=$(ls "$work"/dos/*.OUT "$work"/none/*.OUT 2>/dev/null | wc -l)
if [ "$runs" -ne "$want_runs" ]; then
  echo "FAIL only $runs of $want_runs programs produced output"; failed=1
fi
if [ $failed -eq 0 ]; then
  echo "test-watcom: all $runs runs and $xpass exit-path runs passed"
  rm -rf "$work"
else
  echo "test-watcom: FAILED (files in $work)"
fi
exit $failed
