#!/usr/bin/env bash
# The one writer of RUN.BAT, the batch file every DOS run executes (the
# Makefile's run, bench and test-chart, harness/dostest.sh, harness/watcom.sh;
# harness/dosrun.sh then runs it).
#
#   harness/runbat.sh DIR CONFIG LINE...
#
# Writes DIR/RUN.BAT with DOS line ends: "@echo off", "set TMP=..." and each
# LINE in order (for example "T_FAR.EXE > OUT.TXT", "EXITCODE.COM > RC.TXT").
# TMP is C:\TMP (DIR/TMP, made here in any case), or D:\ when
# conf/CONFIG.conf has a line "# tmp-image: KB" (a fresh FAT image that
# dosrun.sh mounts as D:).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:?dir}; config=${2:?config}; shift 2
mkdir -p "$dir/TMP"
tmp='C:\TMP'
grep -q '^# tmp-image:' "$here/conf/$config.conf" && tmp='D:\'
{
  printf '@echo off\r\n'
  printf 'set TMP=%s\r\n' "$tmp"
  for line in "$@"; do
    printf '%s\r\n' "$line"
  done
} > "$dir/RUN.BAT"
