#!/usr/bin/env bash
# The long run of the fault walk and the shadow-model random soak (issue 25),
# `make soak`: what `make test` runs bounded, run long.
#
#   harness/soak.sh [BUILD_DIR]
#
# For each engine: T_FAULT.EXE walk (behind FAULTINJ.COM) with K = SOAK_K
# calls per kind for seeds 1..SOAK_SEEDS, under xms+ems and none; then the
# random soak per configuration: swap area XMS and EMS (xms+ems) and disk
# (none). Under DOSBox and DOSBox-X a soak does SOAK_OPS operations (or
# fewer if SOAK_SECONDS, when set, run out first); under QEMU it does as
# many as SOAK_QEMU_SECONDS allow (SOAK_QEMU_OPS, 100 million by default,
# is only a bound: QEMU did about 10,000 a second through XMS, FreeDOS's
# disk store far fewer, so a count either ends early or times out).
# Under QEMU xms+ems runs on two machines (emm: HimemX + Jemm386; jemmex)
# and none on one (plain): five soaks, so the default 720 s each make an
# hour. Each run is an ordinary line of a generated tests.list
# (harness/dostest.sh judges it: exit code, COMPLETE n 0, no file left),
# with a time limit of SOAK_TIMEOUT seconds (a time-bounded soak: its
# seconds plus SOAK_MARGIN for boot, the final check and _vheapterm).
# Prints dostest.sh's lines and then one summary line per engine: runs
# passed and failed, and per soak configuration and machine the operations
# done (as T_FAULT.EXE logs them: "# report SOAK ops=N of=M secs=S"), the
# run's wall time (boot, final check and _vheapterm included) and
# operations per wall second, and the seconds the soak itself took by the
# BIOS tick count inside DOS. That clock is the emulated machine's: QEMU's
# follows the host's (a 720 s limit took 724 s wall), DOSBox's at
# cycles=max about so, DOSBox-X's at cycles=fixed runs far slower than
# the wall (20,000 operations in less than a tick), so a time limit there
# (SOAK_SECONDS) is emulated time.
#
# Environment: ENGINES (default "dosbox dosbox-x qemu"), SOAK_OPS (default
# 1000000), SOAK_SECONDS (default 0: no time limit), SOAK_QEMU_OPS (default
# 100000000), SOAK_QEMU_SECONDS (default 720), SOAK_MARGIN (default 300),
# SOAK_K (default 12), SOAK_SEEDS (default 8), SOAK_TIMEOUT (default 7200),
# JOBS (default 1), DOSBOX_X_CYCLES (default 3000000: DOSBox-X's fixed rate
# for these runs; 4,000 soak operations took 14.4 s at harness/dosrun.sh's
# 1000000, 10.8 s at 3000000 and 19.6 s at 10000000, boot included).
set -u
export DOSBOX_X_CYCLES=${DOSBOX_X_CYCLES:-3000000}
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
engines=${ENGINES:-dosbox dosbox-x qemu}
ops=${SOAK_OPS:-1000000}
seconds=${SOAK_SECONDS:-0}
qemu_ops=${SOAK_QEMU_OPS:-100000000}
qemu_seconds=${SOAK_QEMU_SECONDS:-720}
margin=${SOAK_MARGIN:-300}
k=${SOAK_K:-12}
seeds=${SOAK_SEEDS:-8}
limit=${SOAK_TIMEOUT:-7200}
out=$(mktemp -d "${TMPDIR:-/tmp}/vmemory-soak.XXXXXX")
status=0
for engine in $engines; do
  n=$ops secs=$seconds
  [ "$engine" = qemu ] && n=$qemu_ops secs=$qemu_seconds
  # A soak bounded by time must be given that time and more by the harness.
  soak_limit=$limit
  [ "$secs" -gt 0 ] && soak_limit=$((secs + margin))
  list=$out/$engine.list
  {
    for seed in $(seq 1 "$seeds"); do
      echo "walk-s$seed xms+ems,none 0 timeout=$limit with=T_FAULT.EXE FAULTINJ.COM | T_FAULT.EXE walk $k $seed"
    done
    echo "soak-xms  xms+ems 0 timeout=$soak_limit with=T_FAULT.EXE FAULTINJ.COM | T_FAULT.EXE soak $n 1 2 $secs"
    echo "soak-ems  xms+ems 0 timeout=$soak_limit with=T_FAULT.EXE FAULTINJ.COM | T_FAULT.EXE soak $n 2 1 $secs"
    echo "soak-disk none    0 timeout=$soak_limit with=T_FAULT.EXE FAULTINJ.COM | T_FAULT.EXE soak $n 3 4 $secs"
  } > "$list"
  LIST=$list ENGINES=$engine JOBS=${JOBS:-1} TIMEOUT=$limit "$here/harness/dostest.sh" "$build" |
    tee "$out/$engine.txt"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
  # Per passed soak: the operations it did and its own seconds (from its
  # "report: SOAK ops=N of=M secs=S" tail), and the run's wall seconds.
  awk -v e="$engine" -v k="$k" -v seeds="$seeds" -v limit_s="$secs" '
    /^PASS/ { pass++ } /^FAIL/ { fail++ }
    /^PASS/ && $4 ~ /^soak-/ {
      wall = $0; sub(/.*checks, /, "", wall); sub(/s\).*/, "", wall)
      done = $0; sub(/.* ops=/, "", done); sub(/ .*/, "", done)
      planned = $0; sub(/.* of=/, "", planned); sub(/ .*/, "", planned)
      s = $0; sub(/.* secs=/, "", s); sub(/ .*/, "", s)
      why = done + 0 < planned + 0 ? sprintf("stopped by the %d s limit", limit_s) : "all planned"
      line = line sprintf(" %s %s: %d ops, %.1f s wall, %.0f ops/s (%.1f s by the DOS clock; %s);",
                          $4, $3, done, wall, wall > 0 ? done / wall : 0, s, why)
    }
    END { walk = seeds > 0 ? sprintf("walk K=%d seeds 1-%d;", k, seeds) : "no walk;"
          printf "SOAK %s: %d passed, %d failed; %s%s\n", e, pass, fail, walk, line }' \
    "$out/$engine.txt" | tee -a "$out/summary.txt"
done
echo "summary:"
cat "$out/summary.txt"
exit $status
