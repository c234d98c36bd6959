#!/usr/bin/env bash
# The release package as its users get it (make test-dist, in make test):
# unpacks BUILD/dist/VMEM<version>.ZIP into an empty directory and checks
#   - the file list, exactly (tools/dist.sh's layout), every name 8.3 and
#     upper case;
#   - every text file: CR LF line ends, printable ASCII (and tabs) only, the
#     manual and the LSM within 80 columns;
#   - the LSM: Begin3 .. End and the fields FreeDOS reads, Version equal to
#     Cargo.toml's, Entered-date a date, Copying-policy MIT;
#   - the version everywhere: the zip's name, the LSM, the manual's title,
#     the header's _VMEMORY_VERSION and _VMEMORY_VERSION_STRING, and the
#     "vmemory <version>" string in the library's bytes (strings);
#   - the library (tools/omf check, the ten functions and nine status
#     variables exactly) and the sources (SOURCES.ZIP holds the crate);
# then links asm/t_dist.asm's OMF object against the unpacked VMEMORY.LIB
# alone (tools/omf link) and runs it in DOSBox (with XMS and EMS, and with
# neither), in DOSBox-X, and under FreeDOS with HimemX and Jemm386 in QEMU
# when the fixtures are there.
#
#   harness/disttest.sh BUILD_DIR            the checks and runs above
#   harness/disttest.sh BUILD_DIR --watcom   only: the examples built from
#       the unpacked package with its MAKEFILE and Open Watcom's wmake in
#       all four models, run in DOSBox (make test-watcom; needs WATCOM)
#
# Prints PASS/FAIL lines and "N passed, M failed"; exit 1 if any failed.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$here/build}" && pwd)
mode=${2:-}
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$here/Cargo.toml" | head -n 1)
zip=$build/dist/VMEM$(tr -d . <<< "$version").ZIP
omf="cargo run -q --release --manifest-path $here/tools/omf/Cargo.toml --target-dir $here/target/omf --"
passed=0 failed=0
pass() { echo "PASS $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }
check() { # check "what" command...: PASS when the command succeeds
  local what=$1; shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}

work=$(mktemp -d "${TMPDIR:-/tmp}/vmemory-dist.XXXXXX")
pkg=$work/pkg
mkdir "$pkg"
if ! [ -f "$zip" ] || ! unzip -q "$zip" -d "$pkg"; then
  echo "FAIL $zip does not unpack (make dist)"; exit 1
fi
dev=$pkg/DEVEL/VMEMORY

if [ "$mode" = --watcom ]; then
  : "${WATCOM:?set WATCOM to an Open Watcom install}"
  export PATH="$WATCOM/binl64:$WATCOM/binl:$PATH" INCLUDE="$WATCOM/h"
  # On Linux the package is unpacked with lower-case names (the MAKEFILE
  # says so): #include <vmemory.h> must find the header there.
  lower=$work/lower
  mkdir "$lower" && unzip -q -LL "$zip" -d "$lower"
  ex=$lower/devel/vmemory/examples
  run=$work/run
  mkdir -p "$run"
  cp "$build/EXITCODE.COM" "$run/"
  bat=()
  for m in s m c l; do
    # The user's line, in the unpacked package's EXAMPLES directory.
    if (cd "$ex" && wmake -h MODEL=$m) > "$work/wmake_$m.txt" 2>&1 &&
       [ -f "$ex/vmall$m.exe" ] && [ -f "$ex/vmarray$m.exe" ]; then
      pass "wmake MODEL=$m in the unpacked EXAMPLES"
      for p in VMALL VMARRAY; do
        up=$p$(tr a-z A-Z <<< $m)
        cp "$ex/$(tr A-Z a-z <<< $p)$m.exe" "$run/$up.EXE"
        bat+=("$up.EXE > $up.OUT" "EXITCODE.COM > $up.RC")
      done
    else
      fail "wmake MODEL=$m in the unpacked EXAMPLES:"; sed 's/^/  /' "$work/wmake_$m.txt"
    fi
  done
  (cd "$ex" && wmake -h MODEL=l clean > /dev/null 2>&1)
  check "wmake MODEL=l clean deletes the large model's files" test ! -e "$ex/vmalll.exe" -a ! -e "$ex/vmalll.obj" -a -e "$ex/vmalls.exe"
  "$here/harness/runbat.sh" "$run" xms+ems "${bat[@]}"
  "$here/harness/dosrun.sh" dosbox xms+ems "$run" 300 || fail "DOSBox run of the examples"
  num=$(awk -F. '{ print $1 * 10000 + $2 * 100 + $3 }' <<< "$version")
  for m in S M C L; do
    check "VMALL$m.EXE printed the header's version (vmall: vmemory $version (_VMEMORY_VERSION $num))" \
      grep -q "^vmall: vmemory $version (_VMEMORY_VERSION $num)" <(tr -d '\r' 2> /dev/null < "$run/VMALL$m.OUT")
    for p in VMALL VMARRAY; do
      want='^vmall: 0 errors'; [ $p = VMARRAY ] && want='^Released the region\.'
      rc=$(tr -dc 0-9 2> /dev/null < "$run/$p$m.RC")
      if [ "$rc" = 0 ] && tr -d '\r' 2> /dev/null < "$run/$p$m.OUT" | grep -Eq "$want"; then
        pass "$p$m.EXE (from the package's MAKEFILE) in DOSBox: $(tr -d '\r' < "$run/$p$m.OUT" | grep -E "$want")"
      else
        fail "$p$m.EXE in DOSBox: exit code ${rc:-?}"
        tr -d '\r' 2> /dev/null < "$run/$p$m.OUT" | grep -E '^FAIL' | head | sed 's/^/  /'
      fi
    done
  done
  echo "test-dist --watcom: $passed passed, $failed failed"
  [ $failed -eq 0 ] && rm -rf "$work"
  [ $failed -eq 0 ]
  exit
fi

# ---- the files -------------------------------------------------------------
want_files="APPINFO/VMEMORY.LSM
DEVEL/VMEMORY/EXAMPLES/MAKEFILE
DEVEL/VMEMORY/EXAMPLES/VMALL.C
DEVEL/VMEMORY/EXAMPLES/VMARRAY.C
DEVEL/VMEMORY/INCLUDE/VMEMORY.H
DEVEL/VMEMORY/LIB/VMEMORY.LIB
DOC/VMEMORY/LICENSE.TXT
DOC/VMEMORY/VMEMORY.TXT
SOURCE/VMEMORY/SOURCES.ZIP"
have_files=$(cd "$pkg" && find . -type f | sed 's|^\./||' | LC_ALL=C sort)
if [ "$have_files" = "$want_files" ]; then
  pass "the package holds exactly its $(wc -l <<< "$want_files") files"
else
  fail "the package's files differ from the layout:"; diff <(echo "$want_files") <(echo "$have_files") | sed 's/^/  /'
fi
bad83=$(cd "$pkg" && find . -mindepth 1 | sed 's|^\./||' | tr / '\n' | sort -u |
  grep -Ev '^[A-Z0-9_-]{1,8}(\.[A-Z0-9_-]{1,3})?$')
check "every name 8.3, upper case${bad83:+ (not: $bad83)}" test -z "$bad83"
check "the zip's name VMEM$(tr -d . <<< "$version").ZIP is 8.3 and carries the version" \
  grep -Eq '^VMEM[0-9]{1,4}\.ZIP$' <<< "$(basename "$zip")"

# Text: CR LF on every line (the last one too), printable ASCII and tabs.
for f in APPINFO/VMEMORY.LSM DEVEL/VMEMORY/INCLUDE/VMEMORY.H DEVEL/VMEMORY/EXAMPLES/VMALL.C \
         DEVEL/VMEMORY/EXAMPLES/VMARRAY.C DEVEL/VMEMORY/EXAMPLES/MAKEFILE \
         DOC/VMEMORY/VMEMORY.TXT DOC/VMEMORY/LICENSE.TXT; do
  p=$pkg/$f
  lf=$(tr -cd '\n' < "$p" | wc -c)
  crlf=$(grep -c $'\r$' "$p")
  nonascii=$(LC_ALL=C grep -c $'[^\t\r -~]' "$p")
  last=$(tail -c 2 "$p" | od -An -tx1 | tr -d ' ')
  check "$f: $lf lines, all CR LF, ASCII" test "$lf" -gt 0 -a "$crlf" = "$lf" -a "$nonascii" = 0 -a "$last" = 0d0a
done
for f in DOC/VMEMORY/VMEMORY.TXT APPINFO/VMEMORY.LSM; do
  wide=$(tr -d '\r' < "$pkg/$f" | awk 'length > 80 { n++ } END { print n + 0 }')
  check "$f: no line over 80 columns ($wide are)" test "$wide" = 0
done

# ---- the LSM ---------------------------------------------------------------
lsm=$(tr -d '\r' < "$pkg/APPINFO/VMEMORY.LSM")
field() { sed -n "s/^$1: *//p" <<< "$lsm" | head -n 1; }
check "LSM: Begin3 first, End last" test "$(head -n 1 <<< "$lsm")" = Begin3 -a "$(tail -n 1 <<< "$lsm")" = End
for f in Title Version Entered-date Description Summary Keywords Author Maintained-by Platforms Copying-policy; do
  check "LSM: $f: $(field "$f" | cut -c 1-50)" test -n "$(field "$f")"
done
check "LSM: Title vmemory" test "$(field Title)" = vmemory
check "LSM: Version $version (Cargo.toml)" test "$(field Version)" = "$version"
check "LSM: Entered-date YYYY-MM-DD" grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' <<< "$(field Entered-date)"
check "LSM: Copying-policy MIT, as DOC/VMEMORY/LICENSE.TXT" \
  test "$(field Copying-policy)" = MIT -a "$(head -n 1 "$pkg/DOC/VMEMORY/LICENSE.TXT" | tr -d '\r')" = "MIT License"

# ---- the version, everywhere ------------------------------------------------
num=$(awk -F. '{ print $1 * 10000 + $2 * 100 + $3 }' <<< "$version")
hdr=$(tr -d '\r' < "$dev/INCLUDE/VMEMORY.H")
check "VMEMORY.H: _VMEMORY_VERSION $num" grep -Eq "^#define _VMEMORY_VERSION +$num\$" <<< "$hdr"
check "VMEMORY.H: _VMEMORY_VERSION_STRING \"$version\"" grep -Eq "^#define _VMEMORY_VERSION_STRING +\"$version\"\$" <<< "$hdr"
check "VMEMORY.LIB: strings finds \"vmemory $version\"" grep -qx "vmemory $version" <(strings "$dev/LIB/VMEMORY.LIB")
check "VMEMORY.TXT: its title names vmemory $version" grep -q "vmemory $version" <(head -n 5 "$pkg/DOC/VMEMORY/VMEMORY.TXT")

# ---- the manual's resident cost: the build's figures (make's "C library:" line)
word() { od -An -tu2 -j"$1" -N2 "$build/VMMIMAGE.BIN" | tr -d ' '; }
top=$(word 6) filesz=$(word 8) bss=$(word 12)
seg=$(( $($omf check "$build/VMEMORY.OBJ" | awk '/SEGDEF 1 VMEMORY_TEXT/ { print $NF }') ))
man=$(tr -d '\r,' < "$pkg/DOC/VMEMORY/VMEMORY.TXT")
said() { sed -n "s/^$1 *\([0-9]*\) bytes.*/\1/p" <<< "$man" | head -n 1; }
check "VMEMORY.TXT: resident $seg bytes, as built" grep -q "takes $seg bytes of memory" <<< "$man"
check "VMEMORY.TXT: entry code $((seg - top)) bytes" test "$(said '   entry code and version (the "shim")')" = $((seg - top))
check "VMEMORY.TXT: code and data $filesz bytes" test "$(said '   code and data')" = "$filesz"
check "VMEMORY.TXT: bss $((bss - filesz)) bytes" test "$(said '   uninitialized data (bss)')" = $((bss - filesz))
check "VMEMORY.TXT: private stack $((top - bss)) bytes" test "$(said '   private stack')" = $((top - bss))

# ---- the library and the sources --------------------------------------------
publics=$(sed -n '/^VM_PUBLICS := /,/[^\\]$/p' "$here/Makefile" | sed 's/^VM_PUBLICS := //; s/\$\\//; s/^[ \t]*//' | tr -d '\n')
check "VMEMORY.LIB: valid OMF, publics exactly the ten functions and nine status variables" \
  $omf check "$dev/LIB/VMEMORY.LIB" --publics "$publics" --para VMEMORY_TEXT > "$work/omfcheck.txt"
check "VMEMORY.LIB is the library the build made" cmp -s "$dev/LIB/VMEMORY.LIB" "$build/VMEMORY.LIB"
srcs=$(unzip -Z1 "$pkg/SOURCE/VMEMORY/SOURCES.ZIP")
for f in Cargo.toml LICENSE README.md src/lib.rs include/vmemory.h asm/vmemory.asm docs/vmemory.txt; do
  check "SOURCES.ZIP holds vmemory-$version/$f" grep -qx "vmemory-$version/$f" <<< "$srcs"
done

# ---- a program linked against the unpacked library alone --------------------
cl=$work/client
mkdir -p "$cl"
cp "$dev/LIB/VMEMORY.LIB" "$cl/"
if nasm -f obj -I"$here/asm/" -o "$cl/T_DIST.OBJ" "$here/asm/t_dist.asm" &&
   $omf link "$cl/T_DIST.EXE" "$cl/T_DIST.OBJ" "$cl/VMEMORY.LIB" > "$cl/T_DIST.MAP"; then
  pass "T_DIST.OBJ linked with the unpacked VMEMORY.LIB: $(grep -m1 '^VMEMORY_TEXT' "$cl/T_DIST.MAP")"
  check "T_DIST.EXE carries \"vmemory $version\"" grep -qx "vmemory $version" <(strings "$cl/T_DIST.EXE")
  realdos=${REALDOS:-$here/../shared/realdos/fixtures}
  runs="dosbox:xms+ems dosbox:none dosbox-x:xms+ems"
  if [ -f "$realdos/fdstd144.img" ]; then runs+=" qemu:emm qemu:plain"
  else echo "SKIP qemu: no fixtures in $realdos"; fi
  for r in $runs; do
    engine=${r%%:*} config=${r#*:} d=$work/run-$engine-$config
    mkdir -p "$d"
    cp "$cl/T_DIST.EXE" "$build/EXITCODE.COM" "$d/"
    "$here/harness/runbat.sh" "$d" "$config" "T_DIST.EXE > OUT.TXT" "EXITCODE.COM > RC.TXT"
    "$here/harness/dosrun.sh" "$engine" "$config" "$d" 120
    st=$?
    rc=$(tr -dc 0-9 2> /dev/null < "$d/RC.TXT")
    last=$(tr -d "\r" 2> /dev/null < "$d/RESULT.TXT" | tail -n 1)
    if [ $st = 0 ] && [ "$rc" = 0 ] && grep -Eq '^COMPLETE [1-9][0-9]* 0$' <<< "$last"; then
      pass "T_DIST.EXE under $engine ($config): $last"
    else
      fail "T_DIST.EXE under $engine ($config): emulator $st, exit code ${rc:-?}, ${last:-no RESULT.TXT}"
      tr -d "\r" 2> /dev/null < "$d/RESULT.TXT" | grep '^FAIL' | sed 's/^/  /'
    fi
  done
else
  fail "T_DIST.OBJ does not link with the unpacked VMEMORY.LIB"
fi

echo "test-dist: $passed passed, $failed failed"
[ $failed -eq 0 ] && rm -rf "$work"
[ $failed -eq 0 ]
