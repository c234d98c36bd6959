#!/usr/bin/env bash
# make profile: an instruction-level profile of the C library's per-call
# costs, under the real-DOS engine (FreeDOS + HimemX in QEMU, machine
# `himem`, harness/qemurun.sh).
#
#   tools/profile.sh BUILD_DIR [IMAGE_ELF]
#
# C_BENCH.EXE profile (asm/c_bench.asm) runs the micro loops of the
# benchmark, 100 calls each, between marker labels: a bare loop, a far call
# to an empty far Pascal function, _vload of one resident block, _vload
# dirty of 64 resident blocks in turn, _vlock + _vunlock. Then short loops
# of the slow paths (asm/cbench_prof.inc), a mark before each call: the
# fill's _vmalloc and _vload miss (a dirty victim written out), _vload
# clean of evicted blocks (swap-in), the churn's _vmalloc and _vfree and
# the churn's own loop; it prints the calls per mark (`phase NAME CALLS`)
# and where DOS loaded it. A second, identical run has QEMU log every instruction it
# executes in that program's memory (-singlestep: one instruction per
# translated block; -d exec,nochain: a line per executed block; -dfilter:
# only the client, the shim and the library image). Each address is then
# attributed: the image's symbol table (the vmmimage ELF, linked at offset
# 0), the shim's and the client's labels (the nasm map C_BENCH.MAP). Output:
# per loop, instructions per call in all and per function, largest first.
# The run is deterministic (same boot, same files), so the two runs load
# the program at the same place; the script checks that they did.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:?build dir}
elf=${2:-$here/target/i386-dos/release/vmmimage}
map=$build/C_BENCH.MAP
top=${TOP:-12}
for f in "$build/C_BENCH.EXE" "$map" "$elf" "$build/EXITCODE.COM"; do
  [ -f "$f" ] || { echo "profile: $f missing (make all)" >&2; exit 2; }
done
dir=$build/prof
run() {
  rm -rf "$dir" && mkdir -p "$dir"
  cp "$build/C_BENCH.EXE" "$build/EXITCODE.COM" "$dir/"
  "$here/harness/runbat.sh" "$dir" himem "C_BENCH.EXE profile > OUT.TXT" "EXITCODE.COM > RC.TXT"
  "$here/harness/qemurun.sh" himem "$dir" "$1" || { echo "profile: the QEMU run failed" >&2; exit 1; }
  [ "$(tr -dc 0-9 < "$dir/RC.TXT")" = 0 ] || { echo "profile: C_BENCH.EXE profile failed:" >&2; cat "$dir/OUT.TXT" >&2; exit 1; }
}
loaded() { tr -d '\r' < "$dir/OUT.TXT" | sed -n 's/^loaded: ctext \([0-9A-F]*\) vmtext \([0-9A-F]*\) image \([0-9A-F]*\)$/\1 \2 \3/p'; }

run 120
read -r ctext vmtext image <<< "$(loaded)"
[ -n "$image" ] || { echo "profile: no load address in OUT.TXT" >&2; exit 1; }
imgtop=$(od -An -tu2 -j6 -N2 "$build/VMMIMAGE.BIN" | tr -d ' ')
lo=$((0x$ctext * 16)); hi=$((0x$image * 16 + imgtop - 1))
log=$build/prof.log
rm -f "$log"
QEMU_EXTRA="-singlestep -d exec,nochain -dfilter $(printf '0x%x..0x%x' $lo $hi) -D $log" run 600
read -r c2 v2 i2 <<< "$(loaded)"
[ "$c2 $v2 $i2" = "$ctext $vmtext $image" ] ||
  { echo "profile: the second run loaded elsewhere ($c2 $v2 $i2, first $ctext $vmtext $image)" >&2; exit 1; }
calls=$(tr -d '\r' < "$dir/OUT.TXT" | sed -n 's/^calls each: \([0-9]*\).*/\1/p')
phases=$(tr -d '\r' < "$dir/OUT.TXT" | sed -n 's/^phase \([a-z]*\) \([0-9]*\)$/\1=\2/p' | tr '\n' ' ')

echo "== instruction profile: C_BENCH.EXE profile under QEMU (FreeDOS + HimemX), $calls calls per loop =="
echo "   loaded at ctext $ctext, shim $vmtext, image $image; $(wc -l < "$log") instructions logged"
{
  # The image's functions: address, name (demangled, hash dropped).
  # Short names: generic arguments dropped, `<Type as Trait>` as Type, the
  # last two path segments.
  nm -C --defined-only -n "$elf" | perl -ne '
    next unless /^([0-9a-f]+) [tTwW] (.*)$/; my ($a, $n) = ($1, $2);
    $n =~ s/::h[0-9a-f]{16}$//;
    1 while $n =~ s/(\w|::)<[^<>]*>/$1/;
    1 while $n =~ s/<(?:impl )?([^<>]*?)(?: as [^<>]*)?>/$1/;
    $n =~ s/::$//; my @p = split /::/, $n;
    print "I $a ", (@p >= 2 ? "$p[-2]::$p[-1]" : $n), "\n";'
  # The shim's and the client's labels (not the local ones).
  awk '/^---- Section / { sec = $3; next }
       (sec == "vmtext" || sec == "ctext") && NF == 3 && $3 !~ /\./ && $2 ~ /^[0-9A-F]+$/ { print (sec == "vmtext" ? "S" : "C"), $2, $3 }' "$map"
  echo "L"
  cat "$log"
} | awk -v ctext=$((0x$ctext)) -v vmtext=$((0x$vmtext)) -v image=$((0x$image)) -v calls="$calls" -v phases="$phases" -v top="$top" '
function hex(s,   i, v) { s = toupper(s); sub(/^0X/, "", s); v = 0
  for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789ABCDEF", substr(s, i, 1)) - 1
  return v }
$1 == "I" { n = $3; for (i = 4; i <= NF; i++) n = n " " $i
            isym[++ni] = hex($2); iname[ni] = n; next }
$1 == "S" { if ($3 == "vm_image") { imgoff = hex($2); next }
            ssym[++ns] = hex($2); sname[ns] = "shim " $3; next }
$1 == "C" { if ($3 ~ /^mark_/) marker[ctext * 16 + hex($2)] = substr($3, 6)
            if ($3 == "rng") rng = hex($2)
            csym[++nc] = hex($2); cname[nc] = "client " $3; next }
$1 == "L" { logging = 1; next }
function lookup(addr, syms, names, n,   lo, hi, mid) {
  lo = 1; hi = n
  if (n == 0 || addr < syms[1]) return "?"
  while (lo < hi) { mid = int((lo + hi + 1) / 2); if (syms[mid] <= addr) lo = mid; else hi = mid - 1 }
  return names[lo]
}
logging && /^Trace/ {
  # Trace N: HOSTPTR [CSBASE/PC/FLAGS/CFLAGS]
  f = $0; sub(/^[^[]*\[/, "", f); split(f, w, "/"); pc = hex(w[2])
  if (pc in marker) { phase = marker[pc] }
  if (phase == "" || phase ~ /end$/) next
  if (pc >= image * 16) name = lookup(pc - image * 16, isym, iname, ni)
  else if (pc >= vmtext * 16) name = lookup(pc - vmtext * 16, ssym, sname, ns)
  else if (rng && pc >= ctext * 16 + rng && pc < ctext * 16 + rng + 32) name = "client rng (xorshift32)"
  else name = "client loop"
  count[phase, name]++; total[phase]++
  if (!((phase, name) in seen)) { seen[phase, name] = 1; names[phase] = names[phase] SUBSEP name }
}
END {
  # Calls per mark: the micro loops `calls` each, the slow-path loops as printed.
  n = split(phases, pl, " ")
  for (i = 1; i <= n; i++) { split(pl[i], kv, "="); ncalls[kv[1]] = kv[2] }
  norder = split("bare ref same turn lock fa fl fx wl wx ca cf cx", order, " ")
  title["bare"] = "bare loop (dec/jnz)"
  title["ref"] = "far call to an empty far pascal function"
  title["same"] = "_vload(h, 0) of one resident block"
  title["turn"] = "_vload(h, 1) of 64 resident blocks in turn"
  title["lock"] = "_vlock(h) + _vunlock(h, 0) of one resident block"
  title["fa"] = "fill: _vmalloc(256)"
  title["fl"] = "fill: _vload(h, 1) of the fresh block, cache full (miss: zero-fill, a dirty victim written out)"
  title["fx"] = "fill: the client writing 8 bytes, its loop"
  title["wl"] = "swap-in: _vload(h, 0) of an evicted block (miss: read back, victims evicted)"
  title["wx"] = "swap-in: the client checking 8 bytes, its loop"
  title["ca"] = "churn, heap = all DOS memory: _vmalloc(5..512)"
  title["cf"] = "churn, heap = all DOS memory: _vfree"
  title["cx"] = "churn: the client loop (random slot and size), per operation"
  for (k = 1; k <= norder; k++) {
    p = order[k]
    c = (p in ncalls) ? ncalls[p] : calls
    if (!(p in total) || c == 0) continue
    calls_p[p] = c
    printf "\n%s: %.1f instructions per call (loop included; %d calls)\n", title[p], total[p] / c, c
    m = split(substr(names[p], 2), nl, SUBSEP)
    # Sort by count, largest first (selection: the lists are short).
    for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++)
      if (count[p, nl[j]] > count[p, nl[i]]) { t = nl[i]; nl[i] = nl[j]; nl[j] = t }
    for (i = 1; i <= m && i <= top; i++) printf "  %8.1f  %s\n", count[p, nl[i]] / c, nl[i]
    if (m > top) { r = 0; for (i = top + 1; i <= m; i++) r += count[p, nl[i]]; printf "  %8.1f  (%d more functions)\n", r / c, m - top }
  }
}'
