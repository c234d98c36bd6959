#!/usr/bin/env bash
# The long run of the fault walk and the shadow-model random soak (issue 25),
# `make soak`: what `make test` runs bounded, run long.
#
#   harness/soak.sh [BUILD_DIR]
#
# For each engine: T_FAULT.EXE walk (behind FAULTINJ.COM) with K = SOAK_K
# calls per kind for seeds 1..SOAK_SEEDS, under xms+ems and none; then the
# random soak, SOAK_OPS operations (SOAK_QEMU_OPS under QEMU) per
# configuration: swap area XMS and EMS (xms+ems) and disk (none). Each run is
# an ordinary line of a generated tests.list (harness/dostest.sh judges it:
# exit code, COMPLETE n 0, no file left), with a time limit of SOAK_TIMEOUT
# seconds. Prints dostest.sh's lines and then one summary line per engine:
# runs passed and failed, and per soak configuration the operations, the
# seconds they took and operations per second.
#
# Environment: ENGINES (default "dosbox dosbox-x qemu"), SOAK_OPS (default
# 1000000), SOAK_QEMU_OPS (default 1000000), SOAK_K (default 12),
# SOAK_SEEDS (default 8), SOAK_TIMEOUT (default 7200), JOBS (default 1),
# DOSBOX_X_CYCLES (default 3000000: DOSBox-X's fixed rate for these runs;
# 4,000 soak operations took 14.4 s at harness/dosrun.sh's 1000000, 10.8 s
# at 3000000 and 19.6 s at 10000000, boot included).
set -u
export DOSBOX_X_CYCLES=${DOSBOX_X_CYCLES:-3000000}
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
engines=${ENGINES:-dosbox dosbox-x qemu}
ops=${SOAK_OPS:-1000000}
qemu_ops=${SOAK_QEMU_OPS:-1000000}
k=${SOAK_K:-12}
seeds=${SOAK_SEEDS:-8}
limit=${SOAK_TIMEOUT:-7200}
out=$(mktemp -d "${TMPDIR:-/tmp}/vmemory-soak.XXXXXX")
status=0
for engine in $engines; do
  n=$ops
  [ "$engine" = qemu ] && n=$qemu_ops
  list=$out/$engine.list
  {
    for seed in $(seq 1 "$seeds"); do
      echo "walk-s$seed xms+ems,none 0 timeout=$limit with=T_FAULT.EXE FAULTINJ.COM | T_FAULT.EXE walk $k $seed"
    done
    echo "soak-xms  xms+ems 0 timeout=$limit with=T_FAULT.EXE FAULTINJ.COM | T_FAULT.EXE soak $n 1 2"
    echo "soak-ems  xms+ems 0 timeout=$limit with=T_FAULT.EXE FAULTINJ.COM | T_FAULT.EXE soak $n 2 1"
    echo "soak-disk none    0 timeout=$limit with=T_FAULT.EXE FAULTINJ.COM | T_FAULT.EXE soak $n 3 4"
  } > "$list"
  LIST=$list ENGINES=$engine JOBS=${JOBS:-1} TIMEOUT=$limit "$here/harness/dostest.sh" "$build" |
    tee "$out/$engine.txt"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
  awk -v e="$engine" -v n="$n" -v k="$k" -v seeds="$seeds" '
    /^PASS/ { pass++ } /^FAIL/ { fail++ }
    /^PASS/ && $4 ~ /^soak-/ {
      s = $0; sub(/.*checks, /, "", s); sub(/s\).*/, "", s)
      line = line sprintf(" %s %s: %d ops %.0fs %.0f ops/s;", $4, $3, n, s, n / s)
    }
    END { walk = seeds > 0 ? sprintf("walk K=%d seeds 1-%d;", k, seeds) : "no walk;"
          printf "SOAK %s: %d passed, %d failed; %s%s\n", e, pass, fail, walk, line }' \
    "$out/$engine.txt" | tee -a "$out/summary.txt"
done
echo "summary:"
cat "$out/summary.txt"
exit $status
