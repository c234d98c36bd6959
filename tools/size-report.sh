#!/usr/bin/env bash
# Size report of a linked code16 image: bytes of code and data per module,
# from the ELF symbol table (sizes LLVM recorded per function and static).
#
#   tools/size-report.sh ELF [TITLE]
#
# Each symbol is charged to the first `vmemory::ROOM::MODULE` path in its
# demangled name (so `drop_in_place::<vmemory::heap::store::DosStore>` and
# `<Heap<..>>::alloc` go to the module that owns the type), else to the
# crate it names first (`core`, `compiler_builtins`; `memcpy`/`memset` are
# compiler_builtins). What no symbol covers (alignment padding, unnamed
# constants in .rodata) is reported as such, so the rows add up to the
# sections' sizes.
set -euo pipefail
elf=${1:?usage: size-report.sh ELF [TITLE]}
title=${2:-$(basename "$elf")}
read -r text rodata data bss < <(size -A "$elf" | awk '
  $1 == ".text" || $1 == ".header" { t += $2 } $1 == ".rodata" { r = $2 }
  $1 == ".data" { d = $2 } $1 == ".bss" { b = $2 }
  END { print t + 0, r + 0, d + 0, b + 0 }')
nm -t d -S -C "$elf" | awk -v title="$title" -v text="$text" -v rodata="$rodata" -v data="$data" -v bss="$bss" '
function owner(name) {
  # vmemory::ROOM::MODULE:: ... names a module; vmemory::ROOM::item belongs to the room itself.
  if (match(name, /vmemory::[a-z_0-9]+::[a-z_0-9]+::/)) return substr(name, RSTART + 9, RLENGTH - 11)
  if (match(name, /vmemory::[a-z_0-9]+/)) return substr(name, RSTART + 9, RLENGTH - 9)
  if (name ~ /^(vmemory_cabi|__cabi)/) return "cabi"
  if (name ~ /rust_begin_unwind/) return "(panic handler)"
  if (name ~ /^__vmemory_(main|start)$/) return "(program main, startup)"
  if (name ~ /^<(u8|u16|u32|u64|i16|i32|usize|isize)>::/) return "(core)"
  if (name ~ /^(memcpy|memset|memmove|memcmp)$/ || name ~ /compiler_builtins/) return "(compiler_builtins)"
  if (match(name, /(core|alloc)::/)) return "(" substr(name, RSTART, RLENGTH - 2) ")"
  if (match(name, /^[a-z_0-9]+::/)) return "(" substr(name, 1, RLENGTH - 2) ")"
  return "(other)"
}
NF >= 4 && $2 ~ /^[0-9]+$/ {
  kind = $3; size = $2 + 0
  name = $0; sub(/^[^ ]+ [^ ]+ [^ ]+ /, "", name)
  o = owner(name)
  if (kind ~ /[tTwW]/) { code[o] += size; tc += size }
  else if (kind ~ /[dDrR]/) { dat[o] += size; td += size }
  else if (kind ~ /[bB]/) { bs[o] += size; tb += size }
  else next
  seen[o] = 1
}
END {
  printf "Size of %s by module (bytes)\n", title
  printf "  %-28s %7s %7s %7s\n", "module", "code", "data", "bss"
  n = 0; for (o in seen) keys[++n] = o
  # sort by code + data, largest first
  for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
    if (code[keys[j]] + dat[keys[j]] > code[keys[i]] + dat[keys[i]]) { t = keys[i]; keys[i] = keys[j]; keys[j] = t }
  for (i = 1; i <= n; i++) { o = keys[i]; room = o; sub(/::.*/, "", room); rc[room] += code[o]; rd[room] += dat[o]
    printf "  %-28s %7d %7d %7d\n", o, code[o], dat[o], bs[o] }
  printf "  %-28s %7d %7d %7d\n", "(no symbol: padding, constants)", text - tc, rodata + data - td, bss - tb
  printf "  %-28s %7d %7d %7d\n", "total", text, rodata + data, bss
  printf "By room: "
  sep = ""; for (r in rc) { printf "%s%s %d", sep, r, rc[r] + rd[r]; sep = ", " }
  printf "\n"
}'
# What code16 costs: LLVM has no 16-bit x86 code generator, so the image is
# i386 code run in real mode, and every 32-bit operation (usize, pointers,
# u32) carries an operand-size prefix (0x66) and every 32-bit address an
# address-size prefix (0x67). Counted from the disassembly, with an estimate
# of the same instructions encoded as 16-bit code (no prefixes; calls,
# immediates and displacements of 16 bits; [bp+d] for [esp+d]), so later
# changes see how much of the code is this tax rather than logic. The
# estimate is optimistic: 16-bit code would need more instructions for the
# values that are 32-bit (swap addresses, byte counts) and frame set-ups.
objdump -d -M i8086 "$elf" | awk -F'\t' -v text="$text" '
function hex(h) { return index("0123456789abcdef", substr(h, 1, 1)) * 16 + index("0123456789abcdef", substr(h, 2, 1)) - 17 }
function flush() {
  if (nb == 0) return
  n++; bytes += nb; o = 0; a = 0
  for (i = 1; i <= nb; i++) {
    if (b[i] == "66") o = 1; else if (b[i] == "67") a = 1
    else if (b[i] !~ /^(26|2e|36|3e|64|65|f2|f3)$/) break
  }
  po += o; pa += a
  op = b[i]; r = i + 1; two = (op == "0f"); if (two) { op = b[r]; r++ }
  if (!two && op == "e8" && o) { calls++; wide += 2 }
  if (!two && o && op ~ /^(b[89a-f]|05|0d|15|1d|25|2d|35|3d|a9|68|81|69|c7)$/) wide += 2
  if (a && !two && op ~ /^a[0-3]$/) wide += 2
  if (a && r <= nb && (two || op ~ /^(0[0-3]|0[89ab]|1[0-3]|1[89ab]|2[0-3]|2[89ab]|3[0-3]|3[89ab]|6[239b]|8[0-9a-f]|c[0167]|d[0-3]|f[67ef])$/)) {
    m = hex(b[r]); mod = int(m / 64); rm = m % 8
    if (mod == 2 || (mod == 0 && rm == 5)) wide += 2
    if (rm == 4 && mod != 3 && r + 1 <= nb) { s = hex(b[r + 1]); if (s % 8 == 4 && int(s / 8) % 8 == 4) wide++ }
  }
  nb = 0
}
/^ +[0-9a-f]+:\t/ {
  if (NF >= 3) flush()
  k = split($2, more, " "); for (j = 1; j <= k; j++) b[++nb] = more[j]
}
END {
  flush()
  printf "code16 prefixes: %d instructions, %d with 0x66 and %d with 0x67: %d bytes, %.1f%% of the code\n", n, po, pa, po + pa, 100 * (po + pa) / text
  printf "  the same instructions encoded as 16-bit code: about %d bytes (%d calls, and immediates, displacements and stack addresses, %d bytes narrower)\n", bytes - po - pa - wide, calls, wide
}'
