#!/usr/bin/env bash
# Runs the DOS test suite (harness/tests.list) in headless emulators.
#
#   harness/dostest.sh [BUILD_DIR]
#
# Environment: JOBS (runs at once, default one per core), LIST (test list,
# default harness/tests.list), ENGINES (default "dosbox dosbox-x qemu"; qemu
# is skipped, with a line saying so, when REALDOS has no fixtures), TESTS (space-separated
# test names to run; default all), TIMEOUT (seconds per run, default 60).
# Prints one line per run (a passed run's line ends with the program's
# "# report ..." lines of RESULT.TXT, if any, after "report:") and ends
# with "N passed, N failed"; exits 1 if any
# run failed. Failed runs keep their directory (named in the line). A
# DOSBox-X run that times out is run once more (its line says so).
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
engines=${ENGINES:-dosbox dosbox-x qemu}
# The qemu engine boots the FreeDOS floppy of the fixtures (harness/qemurun.sh).
realdos=${REALDOS:-$here/../shared/realdos/fixtures}
if grep -qw qemu <<< "$engines" && [ ! -f "$realdos/fdstd144.img" ]; then
  echo "SKIP qemu: no fixtures in $realdos (REALDOS=dir to point elsewhere)"
  engines=$(sed 's/\bqemu\b//' <<< "$engines")
fi
only=${TESTS:-}
limit=${TIMEOUT:-60}
list=${LIST:-$here/harness/tests.list}
# Runs that must time out get a short limit.
short_limit=8
work=$(mktemp -d "${TMPDIR:-/tmp}/vmemory-dostest.XXXXXX")
passed=0 failed=0

configs_for() { # configs engine -> expanded list
  local list=$1 engine=$2 c
  [ "$list" = all ] && list=$(cd "$here/conf" && ls *.conf | sed 's/\.conf$//' | tr '\n' ,)
  for c in ${list//,/ }; do
    [ "$c" = bench ] && continue
    # qemu runs its own machines: those marked for it, and the ones that a
    # configuration of the other engines names ("# qemu: emm jemmex"); one
    # with a TMP disk ("# tmp-image: KB") runs as itself on the first machine
    # it names (harness/qemurun.sh), so that the disk comes along.
    if [ "$engine" = qemu ] && ! grep -q '^# engines:.* qemu\( \|$\)' "$here/conf/$c.conf"; then
      if grep -q '^# tmp-image:' "$here/conf/$c.conf"; then
        grep -q '^# qemu: *[^ ]' "$here/conf/$c.conf" && echo "$c"
      else
        sed -n 's/^# qemu: *//p' "$here/conf/$c.conf" | tr ' ' '\n' | grep .
      fi
      continue
    fi
    # A configuration may say which engines can host it ("# engines: ...").
    if grep -q '^# engines:' "$here/conf/$c.conf" &&
      ! grep '^# engines:' "$here/conf/$c.conf" | grep -q -- " $engine\( \|$\)"; then
      continue
    fi
    echo "$c"
  done
}

# A fresh run directory: the program, EXITCODE.COM, the extra programs
# and RUN.BAT. Fails if an extra program was not built.
prepare_dir() {
  local dir=$1 prog=$2 with=$3 config=$4 cmd=$5 follow=$6 extra
  rm -rf "$dir" "$dir.img" && mkdir -p "$dir"
  cp "$build/$prog" "$build/EXITCODE.COM" "$dir/"
  for extra in ${with//,/ }; do
    cp "$build/$extra" "$dir/" || return 1
  done
  "$here/harness/runbat.sh" "$dir" "$config" "$cmd > OUT.TXT" "EXITCODE.COM > RC.TXT" \
    ${follow:+"$follow > OUT2.TXT"}
}

# One run: prints its result line, returns 0 if it passed.
run_one() {
  local engine=$1 name=$2 config=$3 want_rc=$4 limit=$5 cmd=$6 follow=$7 with=${8:-} kind=""
  local dir="$work/$engine-$name-$config" prog t0 t1 rc got why=""
  local must_fail=""
  case "$want_rc" in '!'*) must_fail=${want_rc#!} want_rc=0 ;; esac
  [ "$must_fail" = timeout ] && limit=$short_limit
  prog=${cmd%% *}
  if [ ! -f "$build/$prog" ]; then
    echo "FAIL $engine $config $name: $build/$prog not built"
    return 1
  fi
  # "# tmp-image: KB" in the configuration: TMP is drive D:, a fresh FAT
  # image that dosrun.sh makes ($dir.img) and mounts (runbat.sh says so).
  local img=""
  grep -q '^# tmp-image:' "$here/conf/$config.conf" && img="$dir.img"
  [ "$with" = - ] && with=""
  local retried=""
  t0=$(date +%s.%N)
  prepare_dir "$dir" "$prog" "$with" "$config" "$cmd" "$follow" ||
    { echo "FAIL $engine $config $name: a program of $with not built"; return 1; }
  "$here/harness/dosrun.sh" "$engine" "$config" "$dir" "$limit" 2> "$dir.err"
  rc=$?
  # DOSBox-X is a WebAssembly build under Node: on a loaded machine it has
  # (once in some thousand runs) stopped making progress with no fault to
  # report. A timed-out run there gets one fresh attempt; the first
  # attempt's directory is kept beside it and the result line says so, and
  # a program that really hangs times out twice and fails.
  if [ $rc -eq 124 ] && [ "$engine" = dosbox-x ] && [ -z "$must_fail" ]; then
    rm -rf "$dir.first" && mv "$dir" "$dir.first" && mv "$dir.err" "$dir.first.err"
    local said="no RESULT.TXT"
    [ -s "$dir.first/RESULT.TXT" ] && said="RESULT.TXT ended: $(tail -n 1 "$dir.first/RESULT.TXT" | tr -d '\r')"
    retried=" (retried once after a ${limit}s timeout, $said; first attempt kept in $dir.first)"
    prepare_dir "$dir" "$prog" "$with" "$config" "$cmd" "$follow"
    "$here/harness/dosrun.sh" "$engine" "$config" "$dir" "$limit" 2> "$dir.err"
    rc=$?
  fi
  t1=$(date +%s.%N)
  local secs
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
  if [ $rc -eq 124 ]; then
    why="timeout after ${limit}s (killed)" kind=timeout
  elif [ $rc -ne 0 ]; then
    why="emulator fault: $(grep -m1 'emulator fault' "$dir.err" || echo "runner status $rc")"
  elif [ ! -f "$dir/RC.TXT" ]; then
    why="no exit code recorded"
  else
    got=$(tr -dc '0-9' < "$dir/RC.TXT")
    if [ "$got" != "$want_rc" ]; then
      why="exit code ${got:-?}, want $want_rc" kind=exit-code
    elif [ ! -f "$dir/RESULT.TXT" ]; then
      why="no RESULT.TXT"
    elif grep -q '^FAIL' "$dir/RESULT.TXT"; then
      why=$(grep -m1 '^FAIL' "$dir/RESULT.TXT" | tr -d '\r')
    elif ! grep -Eq '^COMPLETE [0-9]+ 0' "$dir/RESULT.TXT"; then
      why="did not complete (no COMPLETE line)" kind=incomplete
    elif [ -n "$img" ] && [ -f "$img" ] && [ -n "$(mdir -i "$img" -b :: 2>&1)" ]; then
      # Whatever the program says: no swap file may outlive it on the image.
      why="files left on the TMP image: $(mdir -i "$img" -b :: 2>&1 | tr '\n' ' ')"
    fi
  fi
  if [ -n "$must_fail" ]; then
    # A harness self-test: the run must have failed, and for that reason.
    if [ "${kind:-}" = "$must_fail" ]; then
      echo "PASS $engine $config $name (judged a failure as it must be: $why; ${secs}s)"
      rm -rf "$dir" "$dir.conf" "$dir.log" "$dir.err" "$dir.img"
      return 0
    fi
    echo "FAIL $engine $config $name: should have been judged '$must_fail', got '${why:-pass}' [kept in $dir]"
    return 1
  fi
  if [ -z "$why" ]; then
    local checks
    checks=$(grep -E '^COMPLETE' "$dir/RESULT.TXT" | awk '{ print $2 }')
    # A program's "# report ..." lines (figures such as a soak's operations
    # done) go on its line: the directory is removed next.
    local report
    report=$(sed -n 's/^# report //p' "$dir/RESULT.TXT" | tr -d '\r' | paste -sd ';' -)
    echo "PASS $engine $config $name ($checks checks, ${secs}s)$retried${report:+ report: $report}"
    rm -rf "$dir" "$dir.conf" "$dir.log" "$dir.err" "$dir.img"
    return 0
  fi
  echo "FAIL $engine $config $name: $why [${secs}s, kept in $dir]$retried"
  return 1
}

# Collect the runs, then run them JOBS at a time (each emulator is one
# process; the default is one per core), printing each result as it ends.
runs=()
for engine in $engines; do
  while read -r name configs want_rc rest; do
    case "$name" in '' | '#'*) continue ;; esac
    if [ -n "$only" ] && ! grep -qw -- "$name" <<< "$only"; then continue; fi
    # "timeout=N" before the command: this test's own time limit;
    # "engines=a,b": run only under those engines (what the others cannot do).
    # "with=A.EXE,B.EXE": more programs from the build the test runs.
    run_limit=$limit run_engines="" run_with=""
    while [[ $rest == timeout=* || $rest == engines=* || $rest == with=* ]]; do
      opt=${rest%% *} rest=${rest#* }
      case $opt in
      timeout=*) run_limit=${opt#timeout=} ;;
      engines=*) run_engines=${opt#engines=} ;;
      with=*) run_with=${opt#with=} ;;
      esac
    done
    if [ -n "$run_engines" ] && [[ ",$run_engines," != *",$engine,"* ]]; then continue; fi
    cmd=$rest follow=""
    if [[ $rest == *"|"* ]]; then
      cmd=${rest%%|*} follow=${rest#*|}
      cmd=$(echo $cmd) follow=$(echo $follow)
    fi
    for config in $(configs_for "$configs" "$engine" | awk '!seen[$0]++'); do
      runs+=("$engine"$'\t'"$name"$'\t'"$config"$'\t'"$want_rc"$'\t'"$run_limit"$'\t'"$cmd"$'\t'"${run_with:--}"$'\t'"$follow")
    done
  done < "$list"
done

jobs_max=${JOBS:-$(nproc 2> /dev/null || echo 2)}
running=0
for i in "${!runs[@]}"; do
  IFS=$'\t' read -r engine name config want_rc run_limit cmd with follow <<< "${runs[$i]}"
  (
    if run_one "$engine" "$name" "$config" "$want_rc" "$run_limit" "$cmd" "$follow" "$with" > "$work/$i.line"; then
      echo pass > "$work/$i.status"
    else
      echo fail > "$work/$i.status"
    fi
    cat "$work/$i.line"
  ) &
  running=$((running + 1))
  if [ "$running" -ge "$jobs_max" ]; then
    wait -n
    running=$((running - 1))
  fi
done
wait
for i in "${!runs[@]}"; do
  if [ "$(cat "$work/$i.status" 2> /dev/null)" = pass ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
  fi
  rm -f "$work/$i.status" "$work/$i.line"
done

[ "$failed" -eq 0 ] && rmdir "$work" 2> /dev/null
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
