; c_bench.asm - the benchmark as C programs see the library: far Pascal
; calls into the shim of asm/vmemory.asm (the same source as VMEMORY.OBJ),
; status globals in the client's DGROUP, timed with the BIOS tick count plus
; PIT channel 0 (0.84 us resolution; src/dos/timer.rs does the same in Rust).
;
;   nasm -f bin -Iasm/ -DVM_IMAGE_FILE=... -DVM_IMAGE_TOP=... -o C_BENCH.EXE asm/c_bench.asm
;   C_BENCH            the full run (make bench: conf/bench.conf, cycles=fixed 3000)
;   C_BENCH quick      tiny sizes; checks results, not times (make test):
;                      RESULT.TXT with ok / FAIL lines and COMPLETE <passed> <failed>
;   C_BENCH profile    the micro loops, 100 calls each, and short fill, swap-in
;                      and churn loops (asm/cbench_prof.inc), for make profile
;                      (tools/profile.sh): prints where the code was loaded
;
; What it measures (the shapes of src/bin/bench.rs and of issue 14's tables):
;   micro: a heap of all DOS memory (swap XMS + EMS + disk), 64 blocks of
;     256 bytes, each loaded dirty and filled; then, each net of a bare loop
;     of the same count: a far call to an empty far Pascal function with the
;     arguments of _vload (the reference), _vload(h, _VM_CLEAN) of one
;     resident block, _vload(h, _VM_DIRTY) of the 64 blocks in turn, and
;     _vlock + _vunlock(h, _VM_CLEAN) of one resident block.
;   churn: 1000 handle slots, 250 passes x 1000 operations; each picks a slot
;     at random (xorshift32, seed 2545F491h, as BENCH.EXE) and _vfrees its
;     block, or _vmallocs 5..512 bytes if it is empty. Swap EMS + disk;
;     once with all DOS memory as the cache, once with dosmax 1024 (16 KB).
;     And the same loop without calls (the empty loop).
;   fill: a 128 KB cache (dosmax 8192), swap XMS + EMS; 4096 blocks of 256
;     bytes (the first MB), each _vmalloc'd, loaded dirty and given the
;     previous handle and its number; timed. Then (untimed) the chain is
;     walked back, each block loaded clean, checked and freed.
; Published figures (real 386/20, from the literature; issue 14): MS C 7.0's
; VMM 210 s, 2150 s, 91 s; the best commercial peer 70-144 s, 166 s, 14 s.
;
; Checked in every mode (a failure makes the exit code 1): every call's
; result (handles, pointers, sizes, lock counts), block contents after the
; hit loops and the fill, stale and forged handles refused right after hits,
; the 256th lock refused, and the status globals equal to the library's
; status block after the hits.

        bits 16
        cpu 386

%ifdef VM_MAP                           ; make profile reads the labels from it
  %xdefine VM_MAP_DIRECTIVE [map symbols VM_MAP]
        VM_MAP_DIRECTIVE
%endif

%include "mzclient.inc"

; SAY "text": a line of text (no newline).
%macro SAY 1
        section cdata
  %%s:  db %1, 0
        section ctext
        mov si, %%s
        call out_str
%endmacro

; TIME dst: the clock now into the 8-byte variable dst.
%macro TIME 1
        call clock_now
        mov [%1], eax
        mov [%1 + 4], edx
%endmacro

PUB_MS_CHURN_ALL        equ 210
PUB_MS_CHURN_16K        equ 2150
PUB_MS_FILL             equ 91
PUB_PEER_CHURN_ALL      equ 70
PUB_PEER_CHURN_ALL_HI   equ 144
PUB_PEER_CHURN_16K      equ 166
PUB_PEER_FILL           equ 14

NHOT            equ 64                  ; resident blocks of the micro loops
MAX_SLOTS       equ 1000

; ---------------------------------------------------------------------------
        CLIENT_START

        ; The mode: the first letter of the command tail.
        mov al, [es:0x81]
        cmp al, ' '
        jne .letter
        mov al, [es:0x82]
.letter:
        or al, 0x20
        cmp al, 'q'
        je .quick
        cmp al, 'p'
        je .profile
        jmp .go                         ; the full sizes (the defaults below)
.quick: mov byte [quick], 1
        mov dword [n_micro], 200
        mov word [churn_slots], 200
        mov word [churn_passes], 5
        mov word [churn_ops], 400
        mov word [fill_cache], 1024
        mov word [fill_swap], 7
        mov word [fill_blocks], 600
        ; The result log.
        OPEN_LOG .go
        jmp .go
.profile:
        mov byte [profile], 1
        mov dword [n_micro], 100
.go:
        SAY {"vmemory benchmark from C: far Pascal calls through the shim"}
        cmp byte [quick], 0
        je .t1
        SAY " (quick: tiny sizes, figures not comparable)"
.t1:    call out_nl
        ; Where the code is (make profile attributes addresses with this).
        SAY "loaded: ctext "
        LOADSEG ax, ctext
        call out_hex16
        SAY " vmtext "
        LOADSEG ax, vmtext
        call out_hex16
        SAY " image "
        LOADSEG ax, vmtext
        add ax, (vm_image - vm_text_start) >> 4
        mov [imgseg], ax
        call out_hex16
        call out_nl

        call clock_start
        call micro
        cmp byte [profile], 0
        je .shapes
        call prof_shapes
        jmp .report
.shapes:
        call churn_empty
        mov word [dosmax], 0
        call churn
        mov eax, [churn_us]
        mov [churn_all_us], eax
        mov word [dosmax], 1024
        call churn
        mov eax, [churn_us]
        mov [churn_16k_us], eax
        call fill
.report:
        call clock_stop
        call report

        cmp byte [quick], 0
        je .exit
        SAY "COMPLETE "
        movzx eax, word [passed]
        call out_dec
        SAY " "
        movzx eax, word [failed]
        call out_dec
        call out_nl
.exit:  CLOSE_LOG_EXIT

; ---------------------------------------------------------------------------
; The reference: what a C compiler makes of an empty __far __pascal
; function of _vload's arguments (frame set up and taken down, 6 bytes popped).
empty_fn:
        push bp
        mov bp, sp
        pop bp
        retf 6

; micro: the per-call costs on resident blocks.
micro:
        push word 0                     ; _vheapinit(0, _VM_ALLDOS, _VM_ALLSWAP)
        push word 0
        push word 7
        FAR _VHEAPINIT
        test ax, ax
        setnz al
        CHECK "micro: _vheapinit(0, _VM_ALLDOS, _VM_ALLSWAP)"
        mov al, [_fVmInitialized]
        CHECK "micro: fVmInitialized after _vheapinit"

        ; 64 blocks of 256 bytes, loaded dirty and filled (seed = number).
        xor bx, bx
.alloc: push dword 256
        FAR _VMALLOC
        mov [hot + bx], ax
        mov [hot + bx + 2], dx
        push dx
        push ax
        push word 1
        FAR _VLOAD
        mov es, dx
        mov di, ax
        or ax, dx
        jnz .fill
        inc word [bad]
        jmp .next
.fill:  mov cx, 256
        mov ax, bx
        shr ax, 2
        call fill_pattern
.next:  add bx, 4
        cmp bx, NHOT * 4
        jb .alloc
        cmp word [bad], 0
        sete al
        CHECK "micro: 64 blocks of 256 bytes allocated, loaded dirty, filled"

        push dword [hot]
        push word 0
        FAR _VLOAD
        mov [p0], ax
        mov [p0 + 2], dx

        ; Each loop n_micro times; the bare loop is subtracted from each.
mark_bare:
        nop
        TIME t0
        mov ecx, [n_micro]
.bare:  dec ecx
        jnz .bare
        TIME t1
        call elapsed
        mov [bare_us], eax

mark_ref:
        nop
        TIME t0
        mov ecx, [n_micro]
.ref:   push dword [hot]
        push word 0
        call far [empty_far]
        dec ecx
        jnz .ref
        TIME t1
        call elapsed
        mov [ref_us], eax

mark_same:
        nop
        TIME t0
        mov ecx, [n_micro]
.same:  push dword [hot]
        push word 0
        FAR _VLOAD
        dec ecx
        jnz .same
        TIME t1
        call elapsed
        mov [same_us], eax

mark_turn:
        nop
        TIME t0
        mov ecx, [n_micro]
.turn:  mov bx, cx
        and bx, NHOT - 1
        shl bx, 2
        push dword [hot + bx]
        push word 1
        FAR _VLOAD
        dec ecx
        jnz .turn
        TIME t1
        call elapsed
        mov [turn_us], eax

mark_lock:
        nop
        TIME t0
        mov ecx, [n_micro]
.lock:  push dword [hot]
        FAR _VLOCK
        push dword [hot]
        push word 0
        FAR _VUNLOCK
        dec ecx
        jnz .lock
        TIME t1
        call elapsed
        mov [lock_us], eax
mark_end:
        nop

        ; Untimed: what the loops returned and left.
        push dword [hot]
        push word 0
        FAR _VLOAD
        cmp ax, [p0]
        sete cl
        cmp dx, [p0 + 2]
        sete ch
        and cl, ch
        mov eax, [p0]
        test eax, eax
        setnz al
        and al, cl
        CHECK "micro: _vload of a resident block returns the same pointer every time"
        call status_current
        CHECK "micro: status globals equal the library's status block after the hits"
        push dword [hot]
        FAR _VLOCKCNT
        test ax, ax
        setz al
        CHECK "micro: _vlockcnt 0 after the lock/unlock pairs"
        ; Every block still holds its pattern (loaded clean, in turn).
        mov word [bad], 0
        xor bx, bx
.ver:   push dword [hot + bx]
        push word 0
        FAR _VLOAD
        mov es, dx
        mov di, ax
        or ax, dx
        jz .verbad
        mov cx, 256
        mov ax, bx
        shr ax, 2
        call check_pattern
        test al, al
        jnz .vernext
.verbad:
        inc word [bad]
.vernext:
        add bx, 4
        cmp bx, NHOT * 4
        jb .ver
        cmp word [bad], 0
        sete al
        CHECK "micro: the 64 blocks hold what was written"

        ; Handles the fast path must refuse: freed and forged.
        push dword [hot + 4 * (NHOT - 1)]
        push word 0
        FAR _VLOAD                      ; a hit first
        push dword [hot + 4 * (NHOT - 1)]
        FAR _VFREE
        push dword [hot + 4 * (NHOT - 1)]
        push word 0
        FAR _VLOAD
        or ax, dx
        setz cl
        push dword [hot + 4 * (NHOT - 1)]
        FAR _VLOCK
        or ax, dx
        setz ch
        and cl, ch
        push dword [hot + 4 * (NHOT - 1)]
        FAR _VLOCKCNT
        test ax, ax
        setz al
        and al, cl
        CHECK "micro: a freed handle: _vload, _vlock NULL, _vlockcnt 0"
        mov eax, [hot]
        add eax, 0x00100000             ; a live slot's next generation
        push eax
        push word 1
        FAR _VLOAD
        or ax, dx
        setz cl
        mov eax, [hot + 20]
        sub eax, 0x00100000             ; a live slot's previous generation
        push eax
        FAR _VLOCK
        or ax, dx
        setz ch
        and cl, ch
        mov eax, [hot]
        or eax, 0x000FFFFF              ; a slot never handed out
        push eax
        push word 0
        FAR _VLOAD
        or ax, dx
        setz al
        and al, cl
        CHECK "micro: forged handles (other generations, a slot never used): NULL"
        ; 255 nested locks, the 256th refused; pointers all the same.
        mov word [bad], 0
        mov cx, 255
.l255:  push dword [hot]
        FAR _VLOCK
        cmp ax, [p0]
        jne .lbad
        cmp dx, [p0 + 2]
        je .lok
.lbad:  inc word [bad]
.lok:   loop .l255
        push dword [hot]
        FAR _VLOCK
        or ax, dx
        setz cl
        push dword [hot]
        FAR _VLOCKCNT
        cmp ax, 255
        sete al
        and al, cl
        cmp word [bad], 0
        sete cl
        and al, cl
        CHECK "micro: 255 locks, the 256th refused, _vlockcnt 255"
        push dword [hot]
        push word 0
        FAR _VLOAD                      ; a load of a locked block: same place
        cmp ax, [p0]
        sete cl
        cmp dx, [p0 + 2]
        sete al
        and al, cl
        CHECK "micro: _vload of a locked block"
        mov cx, 255
.u255:  push dword [hot]
        push word 1
        FAR _VUNLOCK
        loop .u255
        push dword [hot]
        push word 0
        FAR _VUNLOCK                    ; one too many: nothing happens
        push dword [hot]
        FAR _VLOCKCNT
        test ax, ax
        setz al
        CHECK "micro: 255 unlocks (and one more) leave _vlockcnt 0"
        push dword [hot]
        FAR _VMSIZE
        cmp ax, 256
        sete al
        test dx, dx
        setz cl
        and al, cl
        CHECK "micro: _vmsize 256"

        FAR _VHEAPTERM
        cmp word [_fVmInitialized], 0
        sete al
        CHECK "micro: _vheapterm"
        ret

; status_current: AL = 1 if the status globals equal the image's block.
status_current:
        push ds
        push es
        mov es, [imgseg]
        mov di, [es:VMH_STATUS]
        mov si, _cPageDos
        mov cx, VM_STATUS_WORDS
        repe cmpsw
        sete al
        pop es
        pop ds
        ret

; The shapes (churn, fill) and the report with its clock: asm/cbench_shapes.inc,
; asm/cbench_report.inc.
%include "cbench_shapes.inc"
%include "cbench_report.inc"
%include "cbench_prof.inc"

; ---------------------------------------------------------------------------
%include "clientout.inc"

; check: AL != 0 -> "ok NAME", else "FAIL NAME"; SI = name. Only failures
; are printed outside the quick run.
check:
        test al, al
        jz .fail
        inc word [passed]
        cmp byte [quick], 0
        je .ret
        push si
        mov si, s_ok
        call out_str
        jmp .name
.fail:  inc word [failed]
        push si
        mov si, s_fail
        call out_str
.name:  pop si
        call out_str
        call out_nl
.ret:   ret

; out_hex16: AX as 4 hex digits.
out_hex16:
        push bx
        mov bx, numbuf
        mov cx, 4
.h:     rol ax, 4
        push ax
        and al, 15
        add al, '0'
        cmp al, '9'
        jbe .d
        add al, 7
.d:     mov [bx], al
        inc bx
        pop ax
        loop .h
        mov byte [bx], 0
        mov si, numbuf
        call out_str
        pop bx
        ret

; ---------------------------------------------------------------------------
        section cdata
result_name:    db "RESULT.TXT", 0
s_ok:           db "ok ", 0
s_fail:         db "FAIL ", 0
s_nl:           db 13, 10, 0
lbl_ref:        db "far call to an empty far pascal fn  ", 0
lbl_same:       db "_vload resident (same block)        ", 0
lbl_turn:       db "_vload 64 resident in turn, dirty   ", 0
lbl_lock:       db "_vlock + _vunlock, resident block   ", 0
lbl_churn_all:  db "churn, heap = all DOS memory      ", 0
lbl_churn_16k:  db "churn, heap = 16 KB (dosmax 1024) ", 0
lbl_fill:       db "fill 256-byte blocks, first MB    ", 0
lbl_empty:      db "empty loop, churn shape           ", 0
        align 4
empty_far:      dw empty_fn, PARA(ctext) ; far pointer, segment relocated
        RELOC PARA(cdata), empty_far + 2
; Sizes: the full run unless the command line says otherwise.
n_micro:        dd 20000
churn_slots:    dw MAX_SLOTS
churn_passes:   dw 250
churn_ops:      dw 1000
fill_cache:     dw 8192
fill_swap:      dw 6                    ; _VM_XMS | _VM_EMS
fill_blocks:    dw 4096
dosmax:         dw 0
quick:          db 0
profile:        db 0
ratio_bare:     db 0
fx_width:       db 0
        align 4
logfh:          dw 0
psp:            dw 0
imgseg:         dw 0
passed:         dw 0
failed:         dw 0
bad:            dw 0
t0:             dq 0
t1:             dq 0
p0:             dd 0
bare_us:        dd 0
ref_us:         dd 0
same_us:        dd 0
turn_us:        dd 0
lock_us:        dd 0
empty_us:       dd 0
churn_us:       dd 0
churn_all_us:   dd 0
churn_16k_us:   dd 0
fill_us:        dd 0
fails:          dd 0
ca_calls:       dd 0
cf_calls:       dd 0
seed:           dd 0
prev:           dd 0
cur:            dd 0
count:          dd 0
k:              dd 0
ours:           dd 0
pub_ms:         dd 0
pub_peer:       dd 0
pub_peer_hi:    dd 0
hot:            times NHOT dd 0
slots:          times MAX_SLOTS dd 0
numbuf:         times NUMBUF db 0

        MZ_CLIENT_END
