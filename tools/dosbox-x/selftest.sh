#!/usr/bin/env bash
# Self-test of the DOSBox-X runner (tools/dosbox-x/run.mjs) and of harness/exitcode.asm.
#
#   tools/dosbox-x/selftest.sh
#
# Needs nasm, node and `npm ci` done in tools/dosbox-x. Builds tiny .COM programs in a temporary
# directory, runs them through run.mjs and checks what comes back: a written file, the console
# text (--echo), exit codes through EXITCODE.COM, files deleted and sub-directories, the timeout
# path (exit 124, fast, no process left) and the fault path (retried once, then 125). If native
# DOSBox is installed, EXITCODE.COM is checked there too.
# Prints PASS/FAIL lines and "N passed, N failed"; exits 1 if anything failed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
runner="$here/run.mjs"
work=$(mktemp -d "${TMPDIR:-/tmp}/dbx-selftest.XXXXXX")
passed=0 failed=0
pass() { echo "PASS $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }
check() { # check NAME COMMAND...: PASS if the command succeeds
  local name=$1; shift
  if "$@"; then pass "$name"; else fail "$name"; fi
}
not() { ! "$@"; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

command -v nasm > /dev/null || { echo "FAIL nasm not found (apt-get install nasm)"; exit 1; }
[ -d "$here/node_modules/emulators" ] || { echo "FAIL emulators not installed (cd tools/dosbox-x && npm ci)"; exit 1; }

# ---- the programs
src="$work/src"
mkdir -p "$src"
cat > "$src/write.asm" << 'EOF'
        org     100h                    ; WRITE.COM: OUT.TXT <- known text; "HELLO FROM DOS" on stdout
        mov     ah, 3Ch
        xor     cx, cx
        mov     dx, fname
        int     21h
        jc      err
        mov     bx, ax
        mov     ah, 40h
        mov     cx, text_end - text
        mov     dx, text
        int     21h
        mov     ah, 3Eh
        int     21h
        mov     ah, 09h
        mov     dx, hello
        int     21h
        mov     ax, 4C00h
        int     21h
err:    mov     ax, 4C01h
        int     21h
fname:  db      "OUT.TXT", 0
text:   db      "vmemory dosbox-x selftest", 13, 10, 0, 255, 128, "bytes", 13, 10
text_end:
hello:  db      "HELLO FROM DOS", 13, 10, "$"
EOF
cat > "$src/exit42.asm" << 'EOF'
        org     100h                    ; EXIT42.COM: exit code 42
        mov     ax, 4C2Ah
        int     21h
EOF
cat > "$src/loop.asm" << 'EOF'
        org     100h                    ; LOOP.COM: never ends
spin:   jmp     spin
EOF
for p in write exit42 loop; do
  nasm -f bin -o "$src/${p^^}.COM" "$src/$p.asm" || { echo "FAIL nasm $p.asm"; exit 1; }
done
nasm -f bin -o "$src/EXITCODE.COM" "$root/harness/exitcode.asm" || { echo "FAIL nasm harness/exitcode.asm"; exit 1; }
printf 'vmemory dosbox-x selftest\r\n\0\377\200bytes\r\n' > "$work/want-out"

cat > "$work/test.conf" << 'EOF'
[dosbox]
memsize=16
[cpu]
core=normal
cycles=fixed 50000
[dos]
xms=true
ems=true
umb=true
EOF

# newdir NAME BATCH-TEXT: a fresh C: with the programs and RUN.BAT
newdir() {
  local d="$work/$1"
  mkdir -p "$d"
  cp "$src"/*.COM "$d/"
  printf "$2" > "$d/RUN.BAT"
  echo "$d"
}
run() { # run DIR TIMEOUT [options]: runner's stdout/stderr in DIR.out/DIR.err, status in $rc
  local d=$1 t=$2; shift 2
  node "$runner" --conf "$work/test.conf" --dir "$d" --batch RUN.BAT --timeout "$t" "$@" > "$d.out" 2> "$d.err"
  rc=$?
}

# ---- 1. a DOS program writes a file; nothing on stdout without --echo
d=$(newdir write 'WRITE.COM\r\n')
t0=$(now); run "$d" 30; t1=$(now)
check "write: exit status 0 (got $rc, $(secs "$t0" "$t1") s)" [ "$rc" -eq 0 ]
check "write: OUT.TXT has the expected bytes" cmp -s "$d/OUT.TXT" "$work/want-out"
check "write: stdout empty without --echo" [ ! -s "$d.out" ]

# ---- 2. --echo copies the console text (and only the batch's)
d=$(newdir echo 'WRITE.COM\r\n')
run "$d" 30 --echo
check "echo: exit status 0 (got $rc)" [ "$rc" -eq 0 ]
check "echo: stdout is exactly the program's console text" [ "$(cat "$d.out")" = "HELLO FROM DOS" ]

# ---- 3. exit codes through EXITCODE.COM (and ERRORLEVEL left as it was)
d=$(newdir exitcode 'EXIT42.COM\r\nEXITCODE.COM > RC.TXT\r\nIF ERRORLEVEL 42 EXITCODE.COM > RC2.TXT\r\nWRITE.COM > NUL\r\nEXITCODE.COM > RC0.TXT\r\n')
run "$d" 30
check "exitcode: exit status 0 (got $rc)" [ "$rc" -eq 0 ]
check "exitcode: RC.TXT is \"42\\r\\n\" after an exit code of 42" [ "$(od -An -c "$d/RC.TXT" 2> /dev/null | tr -s ' ')" = " 4 2 \r \n" ]
check "exitcode: ERRORLEVEL still 42 after EXITCODE.COM" [ "$(tr -d '\r\n' < "$d/RC2.TXT" 2> /dev/null)" = 42 ]
check "exitcode: RC0.TXT is \"0\\r\\n\" after an exit code of 0" [ "$(od -An -c "$d/RC0.TXT" 2> /dev/null | tr -s ' ')" = " 0 \r \n" ]

# ---- 4. files back: changed, new (also in a sub-directory), deleted, untouched
d=$(newdir sync 'del GONE.TXT\r\necho changed> KEEP.TXT\r\nWRITE.COM > TMP\\LOG.TXT\r\nmkdir NEWDIR\r\necho new> NEWDIR\\NEW.TXT\r\n')
echo gone > "$d/GONE.TXT"
echo keep > "$d/KEEP.TXT"
mkdir "$d/TMP"
touch -d '2001-01-01' "$d/EXIT42.COM"
run "$d" 30
check "sync: exit status 0 (got $rc)" [ "$rc" -eq 0 ]
check "sync: file deleted in DOS is deleted" [ ! -e "$d/GONE.TXT" ]
check "sync: file changed in DOS is changed" [ "$(tr -d '\r\n' < "$d/KEEP.TXT")" = changed ]
check "sync: new file in existing sub-directory TMP" grep -q "HELLO FROM DOS" "$d/TMP/LOG.TXT"
check "sync: new sub-directory and file" [ "$(tr -d '\r\n' < "$d/NEWDIR/NEW.TXT" 2> /dev/null)" = new ]
check "sync: unchanged file not rewritten" [ "$(date -r "$d/EXIT42.COM" +%Y)" = 2001 ]

# ---- 5. timeout: 124, quickly, no process left behind
d=$(newdir timeout 'WRITE.COM\r\nLOOP.COM\r\n')
t0=$(now); run "$d" 3; t1=$(now)
took=$(secs "$t0" "$t1")
check "timeout: exit status 124 (got $rc)" [ "$rc" -eq 124 ]
check "timeout: returned in ${took} s (limit 3 s)" awk -v t="$took" 'BEGIN { exit !(t < 5) }'
sleep 0.3
check "timeout: no process left" [ -z "$(pgrep -f -- "$d" || true)" ]
check "timeout: not retried" not grep -q retrying "$d.err"
check "timeout: files written before the hang are copied back" cmp -s "$d/OUT.TXT" "$work/want-out"

# ---- 6. emulator fault: retried once; a second fault is 125 with "emulator fault:"
d=$(newdir fault1 'WRITE.COM\r\n')
DBX_RUNNER_INJECT_FAULT=1 run "$d" 30
check "fault: one fault is retried and the retry passes (got $rc)" [ "$rc" -eq 0 ]
check "fault: stderr says it retried" grep -q "retrying once" "$d.err"
d=$(newdir fault2 'WRITE.COM\r\n')
DBX_RUNNER_INJECT_FAULT=2 run "$d" 30
check "fault: two faults give exit status 125 (got $rc)" [ "$rc" -eq 125 ]
check "fault: last stderr line starts with 'emulator fault:'" [ "$(tail -n 1 "$d.err" | cut -c1-15)" = "emulator fault:" ]

# ---- 7. EXITCODE.COM under native DOSBox too, if it is installed
if command -v dosbox > /dev/null; then
  d=$(newdir native 'EXIT42.COM\r\nEXITCODE.COM > RC.TXT\r\n')
  SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy timeout -k 5 30 dosbox -conf "$work/test.conf" \
    -c "mount c \"$d\"" -c "c:" -c "call RUN.BAT" -c exit > "$d.log" 2>&1 < /dev/null
  check "native dosbox: RC.TXT is \"42\\r\\n\"" [ "$(od -An -c "$d/RC.TXT" 2> /dev/null | tr -s ' ')" = " 4 2 \r \n" ]
fi

echo "$passed passed, $failed failed"
if [ "$failed" -eq 0 ]; then rm -rf "$work"; else echo "(kept $work)"; fi
[ "$failed" -eq 0 ]
