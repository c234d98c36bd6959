#!/usr/bin/env bash
# Runs C:\RUN.BAT of directory DIR under a real DOS (the FreeDOS kernel from
# the fixtures' boot floppy) with real memory managers (HimemX, Jemm386,
# JemmEx) in QEMU, headless, and copies the results back into DIR.
#
#   harness/qemurun.sh CONFIG DIR TIMEOUT_SECONDS
#
# CONFIG names conf/CONFIG.conf, a machine for this engine:
#   # engines: qemu
#   # memory-mb: 32                      RAM (QEMU -m), default 32
#   # config.sys: DEVICE=A:\HIMEMX.EXE   a CONFIG.SYS line (any number of them)
#   # tmp-image: KB                      a fresh FAT disk of KB kilobytes as D:
#   # qemu-drive-b: empty                a second floppy drive B: with no disk
#                                        in it (reading B: raises INT 24h)
# A configuration of the other engines that names machines of this one
# ("# qemu: emm jemmex") is run as the first machine it names, with its own
# "# tmp-image:" if it has one (harness/dostest.sh runs it that way only
# then; otherwise it runs each machine named).
#
# A: is a copy of the FreeDOS floppy (kernel 2040, its boot wait patched
# away) holding HIMEMX.EXE, JEMM386.EXE, JEMMEX.EXE and DOSSHELL.COM
# (harness/dosshell.asm), the shell (SHELL=) that runs C:\RUN.BAT and powers
# QEMU off. C: is a fresh FAT16 hard disk holding the files of DIR.
#
# Fixtures: REALDOS (default ../shared/realdos/fixtures beside the repo):
# fdstd144.img, HimemX_v335.zip, JEMM579B.zip, used in place; what is built
# from them goes to QEMU_CACHE (default build/qemu), never into git.
#
# QEMU_EXTRA: more QEMU options, split at spaces (make profile: an
# instruction log, tools/profile.sh).
#
# Exit status: 0 the batch ran to its end and QEMU powered off; 124 timeout
# (QEMU killed); 125 emulator fault (a boot that stalled three times, a
# batch line that could not run, QEMU failing); 2 usage.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
config=${1:?config}; dir=${2:?dir}; limit=${3:?timeout}
conf="$here/conf/$config.conf"
[ -f "$conf" ] || { echo "qemurun: no configuration $config (conf/$config.conf)" >&2; exit 2; }
dir=$(cd "$dir" && pwd)
fixtures=${REALDOS:-$here/../shared/realdos/fixtures}
cache=${QEMU_CACHE:-$here/build/qemu}
fault() { echo "emulator fault: $*" >&2; exit 125; }
export MTOOLS_NO_VFAT=1 MTOOLS_SKIP_CHECK=1

for f in fdstd144.img HimemX_v335.zip JEMM579B.zip; do
  [ -f "$fixtures/$f" ] || fault "fixture $fixtures/$f missing (REALDOS=dir to point elsewhere)"
done
for t in qemu-system-i386 mcopy mkfs.fat unzip nasm; do
  command -v $t > /dev/null || fault "$t missing (harness/deps.sh installs it)"
done

# A conf line "# KEY: value" (the last one), or all of them with -a.
conf_get() { sed -n "s/^# $2: *//p" "$1" | tr -d '\r' | { [ "${3:-}" = -a ] && cat || tail -n 1; }; }
machine=$conf
if [ -z "$(conf_get "$conf" config.sys)" ] && [ -n "$(conf_get "$conf" qemu)" ]; then
  m=$(conf_get "$conf" qemu | awk '{ print $1 }')
  machine="$here/conf/$m.conf"
  [ -f "$machine" ] || { echo "qemurun: $config names machine $m, which has no conf/$m.conf" >&2; exit 2; }
fi
mem_mb=$(conf_get "$machine" memory-mb); mem_mb=${mem_mb:-32}
tmp_kb=$(conf_get "$conf" tmp-image)
drive_b=$(conf_get "$conf" qemu-drive-b); drive_b=${drive_b:-$(conf_get "$machine" qemu-drive-b)}

# write_mbr IMG TYPE CYLINDERS: one active partition of TYPE from sector 63
# to the end of a disk of CYLINDERS x 16 heads x 63 sectors.
le32() { local v=$1; printf "\\x$(printf %02x $((v & 255)))\\x$(printf %02x $((v >> 8 & 255)))\\x$(printf %02x $((v >> 16 & 255)))\\x$(printf %02x $((v >> 24 & 255)))"; }
write_mbr() {
  local img=$1 type=$2 cyl=$3 c
  c=$((cyl - 1 > 1023 ? 1023 : cyl - 1))
  {
    printf '\x80\x01\x01\x00'                      # active; CHS 0/1/1
    printf "\\x$(printf %02x "$type")"             # partition type
    printf "\\x0f\\x$(printf %02x $(((c >> 2 & 0xC0) | 63)))\\x$(printf %02x $((c & 255)))" # CHS end
    le32 63
    le32 $((cyl * 16 * 63 - 63))
  } | dd of="$img" bs=1 seek=446 conv=notrunc status=none
  printf '\x55\xaa' | dd of="$img" bs=1 seek=510 conv=notrunc status=none
}
# make_disk IMG KB FAT [SECTORS_PER_CLUSTER]: a disk with one FAT partition
# of about KB kilobytes.
make_disk() {
  local img=$1 kb=$2 fat=$3 cyl type
  cyl=$(((kb * 2 + 63 + 16 * 63 - 1) / (16 * 63)))
  rm -f "$img"
  truncate -s $((cyl * 16 * 63 * 512)) "$img"
  if [ "$fat" = 12 ]; then type=1; elif [ $((cyl * 16 * 63)) -lt 65536 ]; then type=4; else type=6; fi
  write_mbr "$img" $type $cyl
  mkfs.fat -F "$fat" ${4:+-s "$4"} -h 63 -g 16/63 -D 0x80 --offset 63 "$img" $(((cyl * 16 * 63 - 63) / 2)) > /dev/null
}

# ---- The cache: the boot floppy and an empty C:, rebuilt when an input changes.
# C: has 16 KB clusters: the kernel follows the FAT chain from a file's start
# on every seek, and with mkfs's 2 KB clusters the disk-only demo (8.9 MB
# through a swap file) took 73 s of CPU instead of 18.
build_cache() {
  local tmp
  tmp=$(mktemp -d) || return 1
  unzip -q -o "$fixtures/HimemX_v335.zip" HimemX.exe -d "$tmp" &&
    unzip -q -o "$fixtures/JEMM579B.zip" JEMM386.EXE JEMMEX.EXE -d "$tmp" &&
    nasm -f bin -o "$tmp/DOSSHELL.COM" "$here/harness/dosshell.asm" &&
    cp "$fixtures/fdstd144.img" "$tmp/boot.img" && chmod u+w "$tmp/boot.img" &&
    mcopy -n -i "$tmp/boot.img" ::/KERNEL.SYS "$tmp/KERNEL.SYS" || { rm -rf "$tmp"; return 1; }
  # The kernel's configuration block ("CONFIG" at offset 2): 00h at 0Bh and
  # FFh at 0Ch skip the 2 s wait for F5/F8 at boot.
  if [ "$(dd if="$tmp/KERNEL.SYS" bs=1 skip=2 count=6 status=none)" != CONFIG ]; then
    echo "qemurun: KERNEL.SYS has no configuration block" >&2; rm -rf "$tmp"; return 1
  fi
  printf '\x00\xff' | dd of="$tmp/KERNEL.SYS" bs=1 seek=$((0x0B)) conv=notrunc status=none
  # Only the kernel stays (FreeCOM, FDOS\, CONFIG.SYS and AUTOEXEC.BAT go).
  mdeltree -i "$tmp/boot.img" ::/FDOS > /dev/null &&
    mdel -i "$tmp/boot.img" ::/KERNEL.SYS ::/COMMAND.COM ::/AUTOEXEC.BAT ::/CONFIG.SYS &&
    mcopy -i "$tmp/boot.img" "$tmp/KERNEL.SYS" ::/KERNEL.SYS &&
    mattrib -i "$tmp/boot.img" +s +h +r ::/KERNEL.SYS &&
    mcopy -i "$tmp/boot.img" "$tmp/HimemX.exe" ::/HIMEMX.EXE &&
    mcopy -i "$tmp/boot.img" "$tmp/JEMM386.EXE" "$tmp/JEMMEX.EXE" "$tmp/DOSSHELL.COM" ::/ &&
    make_disk "$tmp/hd.img" 65536 16 32 || { rm -rf "$tmp"; return 1; }
  mv "$tmp/boot.img" "$tmp/hd.img" "$cache/" && rm -rf "$tmp" && touch "$cache/stamp"
}
mkdir -p "$cache" || fault "cannot create $cache"
(
  flock 9
  stale=0
  [ -f "$cache/stamp" ] || stale=1
  for f in "$fixtures"/fdstd144.img "$fixtures"/*.zip "$here/harness/dosshell.asm" "$0"; do
    [ "$f" -nt "$cache/stamp" ] && stale=1
  done
  [ $stale = 0 ] || build_cache
) 9> "$cache/lock" || fault "building the boot floppy in $cache failed"

# ---- This run's disks.
work=$(mktemp -d "${TMPDIR:-/tmp}/vmemory-qemu.XXXXXX") || fault "mktemp"
trap 'rm -rf "$work"' EXIT
cp "$cache/boot.img" "$work/a.img" && cp --sparse=always "$cache/hd.img" "$work/c.img" || fault "copying the disks"
{
  conf_get "$machine" config.sys -a
  echo 'FILES=40'
  echo 'BUFFERS=20'
  echo 'SHELL=A:\DOSSHELL.COM C:\RUN.BAT'
} | sed 's/$/\r/' > "$work/CONFIG.SYS"
mcopy -i "$work/a.img" "$work/CONFIG.SYS" ::/ || fault "writing CONFIG.SYS"
c="$work/c.img@@32256"
(cd "$dir" && mcopy -s -i "$c" ./* ::/) 2> "$work/mcopy.err" || fault "copying $dir onto C: ($(head -n 1 "$work/mcopy.err"))"
disks=(-drive file="$work/c.img",format=raw,if=ide,index=0)
if [ -n "$tmp_kb" ]; then
  # TMP on a disk of its own: the second IDE disk's partition is D:.
  fat=16; [ "$tmp_kb" -lt 16384 ] && fat=12
  make_disk "$work/d.img" "$tmp_kb" $fat || fault "making the $tmp_kb KB TMP disk"
  disks+=(-drive file="$work/d.img",format=raw,if=ide,index=1)
fi
case $drive_b in
'') ;;
# A drive without media: the BIOS reports two drives, so DOS makes B: a drive
# of its own (not A:'s phantom), and its reads fail "drive not ready".
empty) disks+=(-drive if=floppy,index=1) ;;
*) echo "qemurun: $config: qemu-drive-b \"$drive_b\" (only \"empty\")" >&2; exit 2 ;;
esac

# ---- Boot. QEMU 7.2's IDE model now and then (1 boot in 10 on a busy
# host) stays busy after the disk reset FreeDOS does while booting, and
# SeaBIOS then waits 32 s in silence: a boot whose screen has not changed for
# BOOT_QUIET seconds before it reached the shell ("DOSSHELL" on the debug
# console) is killed and tried again, four times in all; 2 s is enough
# where the screen ends with the kernel's " - InitDisk" (where the stall
# is). A normal boot writes its lines within a second.
boot_quiet=${BOOT_QUIET:-5}
printf '\xf8\x03' > "$work/sercon" # SeaBIOS: text output also to COM1 (3F8h)
attempt=0 state=""
while [ $attempt -lt 4 ]; do
  attempt=$((attempt + 1))
  rm -f "$work/debugcon.log"
  qemu-system-i386 -machine pc -accel ${QEMU_ACCEL:-tcg} -cpu 486 -m "$mem_mb" -display none -nic none \
    -no-reboot -fw_cfg name=etc/sercon-port,file="$work/sercon" \
    -serial file:"$work/screen.log" -debugcon file:"$work/debugcon.log" \
    -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
    -drive file="$work/a.img",format=raw,if=floppy "${disks[@]}" -boot a ${QEMU_EXTRA:-} \
    < /dev/null > "$work/qemu.out" 2>&1 &
  qpid=$!
  start=$SECONDS booted=0 state=run seen=0 quiet_since=$SECONDS
  while kill -0 $qpid 2> /dev/null; do
    sleep 0.05
    if [ $booted = 0 ]; then
      grep -q DOSSHELL "$work/debugcon.log" 2> /dev/null && booted=1
      now=$(cat "$work/screen.log" "$work/debugcon.log" 2> /dev/null | wc -c)
      [ "$now" != "$seen" ] && seen=$now quiet_since=$SECONDS
      quiet=$boot_quiet # the known stall is in the kernel's InitDisk: give up sooner there
      tail -c 12 "$work/screen.log" 2> /dev/null | grep -q InitDisk && quiet=2
      [ $booted = 0 ] && [ $((SECONDS - quiet_since)) -ge $quiet ] && { state=stall; break; }
    fi
    [ $((SECONDS - start)) -ge "$limit" ] && { state=timeout; break; }
  done
  if [ $state = run ]; then
    wait $qpid
    qrc=$?
    break
  fi
  kill $qpid 2> /dev/null
  wait $qpid 2> /dev/null
  [ $state = stall ] && echo "qemurun: boot stalled (attempt $attempt) after: $(tail -c 60 "$work/screen.log" | tr -d "\r\n")" >&2
  [ $state = timeout ] && break
done

# ---- Results back: every file of C:, whatever happened.
(cd "$dir" && mcopy -s -n -o -i "$c" '::/*' .) 2> "$work/mcopy.err" ||
  echo "qemurun: copying C: back failed: $(head -n 1 "$work/mcopy.err")" >&2
sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\x1bc//g' "$work/screen.log" > "$dir/_SCREEN.LOG" 2> /dev/null
tr -d '\r' < "$work/debugcon.log" > "$dir/_SHELL.LOG" 2> /dev/null

case $state in
timeout) exit 124 ;;
stall) fault "the boot stalled $attempt times (no output for ${boot_quiet}s before DOSSHELL)" ;;
esac
case $qrc in
1) exit 0 ;;
3) fault "DOSSHELL could not read C:\\RUN.BAT" ;;
5) fault "DOSSHELL: a line of RUN.BAT could not run ($(grep -m1 'DOSSHELL:' "$dir/_SHELL.LOG"))" ;;
*) fault "qemu exited with status $qrc ($(head -n 1 "$work/qemu.out"); screen: $dir/_SCREEN.LOG)" ;;
esac
