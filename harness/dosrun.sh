#!/usr/bin/env bash
# Runs C:\RUN.BAT of directory DIR in a headless DOS emulator and returns
# when the emulator has quit.
#
#   harness/dosrun.sh ENGINE CONFIG DIR TIMEOUT_SECONDS [--echo]
#
# ENGINE is dosbox (DOSBox 0.74, native) or dosbox-x (DOSBox-X, WebAssembly
# under Node) or qemu (FreeDOS with real memory managers in QEMU,
# harness/qemurun.sh). CONFIG names conf/CONFIG.conf, layered over
# dosbox.conf (qemu: a machine of its own, see qemurun.sh).
# DIR is mounted as C: (dosbox) or copied in and back out (dosbox-x, qemu).
# Exit status: 0 the batch ran and the emulator quit; 124 timeout (the
# emulator was killed); 125 emulator fault; 2 usage.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
engine=${1:?engine}; config=${2:?config}; dir=${3:?dir}; limit=${4:?timeout}; echo_=${5:-}
overlay="$here/conf/$config.conf"
[ -f "$overlay" ] || { echo "dosrun: no configuration $config (conf/$config.conf)" >&2; exit 2; }
dir=$(cd "$dir" && pwd)
merged="$dir.conf"

# Later keys win; sections and keys keep their first order. Comments go.
awk '
/^[ \t]*[#;]/ || /^[ \t]*$/ { next }
/^[ \t]*\[/ { sec = tolower($0); gsub(/[ \t]/, "", sec); if (!(sec in seen)) { seen[sec] = 1; secs[++ns] = sec }; next }
{
  i = index($0, "="); if (i == 0) next
  k = substr($0, 1, i - 1); gsub(/[ \t]/, "", k); k = tolower(k)
  v = substr($0, i + 1); sub(/^[ \t]+/, "", v); sub(/[ \t\r]+$/, "", v)
  id = sec SUBSEP k
  if (!(id in val)) { nk[sec]++; keys[sec, nk[sec]] = k }
  val[id] = v
}
END {
  for (s = 1; s <= ns; s++) {
    sec = secs[s]; print sec
    for (j = 1; j <= nk[sec]; j++) { k = keys[sec, j]; print k "=" val[sec SUBSEP k] }
    print ""
  }
}' "$here/dosbox.conf" "$overlay" > "$merged"

# "# tmp-image: KB" in the configuration: TMP is on a fresh FAT image of
# that many KB (a standard floppy size: 160 180 320 360 720 1200 1440 2880),
# DIR.img, mounted as drive D: (dostest.sh then writes "set TMP=D:\" into
# RUN.BAT). The image is left beside DIR for the caller to inspect (mtools).
tmp_kb=$(sed -n 's/^# tmp-image: *\([0-9][0-9]*\).*/\1/p' "$overlay" | head -n 1)
img=""
if [ -n "$tmp_kb" ]; then
  img="$dir.img"
  rm -f "$img"
  PATH=$PATH:/usr/sbin:/sbin mkfs.fat -C "$img" "$tmp_kb" > /dev/null ||
    { echo "dosrun: mkfs.fat could not make a $tmp_kb KB image $img" >&2; exit 2; }
fi

case "$engine" in
dosbox)
  log="$dir.log"
  mount_tmp=()
  [ -n "$img" ] && mount_tmp=(-c "imgmount d \"$img\" -t floppy")
  SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy timeout -k 5 "$limit" \
    dosbox -conf "$merged" "${mount_tmp[@]}" -c "mount c \"$dir\"" -c "c:" -c "call RUN.BAT" -c exit \
    > "$log" 2>&1 < /dev/null
  rc=$?
  case $rc in
  0) exit 0 ;;
  124 | 137) exit 124 ;;
  *) echo "emulator fault: dosbox exited with status $rc (log: $log)" >&2; exit 125 ;;
  esac
  ;;
dosbox-x)
  # `cycles=max` costs the WebAssembly build about a second at start and
  # runs slower than a high fixed rate; fixed configurations (benchmarks)
  # are left alone. DOSBOX_X_CYCLES overrides the rate (make soak).
  sed -i "s/^cycles=max\$/cycles=fixed ${DOSBOX_X_CYCLES:-1000000}/" "$merged"
  args=(--conf "$merged" --dir "$dir" --batch RUN.BAT --timeout "$limit")
  [ "$echo_" = --echo ] && args+=(--echo)
  [ -n "$img" ] && args+=(--tmp-image "$img")
  node "$here/tools/dosbox-x/run.mjs" "${args[@]}"
  exit $?
  ;;
qemu)
  exec "$here/harness/qemurun.sh" "$config" "$dir" "$limit"
  ;;
*)
  echo "dosrun: unknown engine $engine (dosbox, dosbox-x or qemu)" >&2; exit 2 ;;
esac
