; FAULTINJ.COM - the fault injector of the DOS test suite (issue 25).
;
; Build:  nasm -f bin -o FAULTINJ.COM harness/faultinj.asm
;
; A resident program, loaded by RUN.BAT before the test program, that sits
; between the program and the real drivers: it hooks INT 21h, INT 67h (only
; when an EMM is there) and INT 2Fh, where AX=4310h hands out its own XMS
; entry, which chains to the real one. Every call passes through untouched
; until the test program arms a fault; then the Nth call of the armed kind
; (once, or that one and every later one) fails the way the driver itself
; fails, and nothing of it reaches the driver (except a short count, below):
;
;   style 1  XMS        AX=0, BL=code                  (XMS 3.0 error codes)
;   style 2  EMS        AH=code                        (LIM EMS 4.0 status)
;   style 3  DOS carry  CF=1, AX=code                  (INT 21h error codes;
;                       83h is what a call returns when INT 24h answered Fail)
;   style 4  DOS short  the call goes to DOS with CX lowered to code (so DOS
;                       really moves that many bytes and says so in AX); the
;                       caller's CX is given back as it was
;   style 5  DOS AX     AX=code, no carry (AH=36h: FFFFh = invalid drive)
;   style 6  DOS critical  a real critical error, raised through the INT 24h
;                       vector as DOS raises it (RBIL INT 24h, tables 02543-
;                       02546): AH = 1Eh (Retry and Fail allowed, Ignore not;
;                       data area) + 1 for a write (AH=40h), AL = drive (code
;                       high byte), DI = error code (code low byte: 0Bh read
;                       fault, 0Ah write fault, 06h seek error, 0Ch general
;                       failure), BP:SI = a block device header; then the
;                       answer in AL: 01h Retry passes the call to DOS (once)
;                       or raises the error again (from then on: the device
;                       still fails); 02h Abort ends the program (INT 21h
;                       AX=4CFFh from inside the interrupted call: DOS's own
;                       Abort ends it on the same path, through the PSP's
;                       terminate address, but reports exit code 0 and, in
;                       MS-DOS, type 2, which a program cannot ask for; the
;                       code FFh and the count of AL=06h tell the parent it
;                       was this Abort); 03h Fail, and 00h
;                       Ignore (not allowed, so DOS makes it Fail): CF=1,
;                       AX=53h ("fail on INT 24h")
;
; The VMM's code paths are the ones users run: the library is not built
; differently, it only meets other answers from the "drivers".
;
; Control: INT 2Fh AH=0F9h (the multiplex range applications may use).
;   AL=00h  installation check: AL=FFh, BX='FI'
;   AL=01h  arm: BL=kind, CX=N (1 = the first call from now), DL=style,
;           DH=1 for "from then on" (0: once), SI=code; zeroes every count
;           and starts counting
;   AL=02h  pause counting (the test program's own logging is not counted)
;   AL=03h  resume counting
;   AL=04h  read: BL=kind -> AX=calls of that kind counted, DX=faults made
;   AL=05h  disarm (counting goes on; nothing fails any more)
;   AL=06h  critical errors since arming: AX=INT 24h calls made, BL=the
;           last answer (FFh: none), BH=programs ended on Abort (kept
;           resident, so the parent of a program that was ended can ask)
; A kind is a number of the table `kinds` below (a call that is in no row
; is never counted nor failed). dostests/src/faults.rs holds the same
; numbers; tests/fault_kinds.rs checks both against the calls in src/dos.

        cpu     386
        org     100h

S_XMS   equ     1
S_EMS   equ     2
S_CARRY equ     3
S_SHORT equ     4
S_AX    equ     5
S_CRIT  equ     6

I_XMS   equ     0
I_EMS   equ     1
I_DOS   equ     2

start:
        jmp     install

; ---- resident data ----------------------------------------------------
old21   dd      0
old2f   dd      0
old67   dd      0
oldxms  dd      0
active  db      0               ; counting on
armed   db      0FFh            ; the armed kind, FFh: none
sticky  db      0
style   db      0
nth     dw      0
code    dw      0
injected dw     0
crit_raised dw  0               ; critical errors raised through INT 24h
crit_answer db  0FFh            ; the last answer (AL), FFh: none yet
aborted db      0               ; programs ended on an Abort answer
; The device header BP:SI points to on a critical error: a block device
; (attribute bit 15 clear), one unit, no chain.
dev_header:
        dd      -1
        dw      0
        dw      0, 0
        db      1
        times   7 db 0
counts  times 32 dw 0

; (interface, function, kind): the calls the VMM makes, by kind. Kinds
; must match dostests/src/faults.rs (checked by tests/fault_kinds.rs).
kinds:
        db I_XMS, 09h, 0,  I_XMS, 89h, 0        ; 0  XMS allocate
        db I_XMS, 0Bh, 1                        ; 1  XMS move
        db I_XMS, 0Fh, 2,  I_XMS, 8Fh, 2        ; 2  XMS reallocate
        db I_XMS, 08h, 3,  I_XMS, 88h, 3        ; 3  XMS query free
        db I_XMS, 0Eh, 4,  I_XMS, 8Eh, 4        ; 4  XMS handle information
        db I_XMS, 0Ah, 5                        ; 5  XMS free
        db I_XMS, 00h, 6                        ; 6  XMS version
        db I_EMS, 43h, 7                        ; 7  EMS allocate pages
        db I_EMS, 44h, 8                        ; 8  EMS map page
        db I_EMS, 4Eh, 9                        ; 9  EMS save/restore context
        db I_EMS, 51h, 10                       ; 10 EMS reallocate
        db I_EMS, 45h, 11                       ; 11 EMS deallocate
        db I_EMS, 40h, 12, I_EMS, 41h, 12       ; 12 EMS status, frame,
        db I_EMS, 42h, 12, I_EMS, 46h, 12       ;    page counts, version,
        db I_EMS, 4Bh, 12, I_EMS, 58h, 12       ;    handle count, page array
        db I_DOS, 3Fh, 13                       ; 13 DOS read
        db I_DOS, 40h, 14                       ; 14 DOS write
        db I_DOS, 42h, 15                       ; 15 DOS seek
        db I_DOS, 5Ah, 16, I_DOS, 3Ch, 16       ; 16 DOS create (unique, plain)
        db I_DOS, 3Eh, 17                       ; 17 DOS close
        db I_DOS, 41h, 18                       ; 18 DOS delete
        db I_DOS, 36h, 19                       ; 19 DOS free disk space
        db I_DOS, 48h, 20                       ; 20 DOS allocate memory
        db I_DOS, 49h, 21                       ; 21 DOS free memory
        db I_DOS, 4Ah, 22                       ; 22 DOS resize memory
        db I_DOS, 3Dh, 23                       ; 23 DOS open
        db I_EMS, 47h, 24, I_EMS, 48h, 24       ; 24 EMS save/restore page map
        db I_XMS, 0Ch, 25, I_XMS, 0Dh, 25       ; 25 XMS lock/unlock
        db I_EMS, 4Ch, 12                       ;    (12: handle pages)
        db I_XMS, 10h, 26                       ; 26 XMS request upper memory block
        db I_XMS, 11h, 27                       ; 27 XMS release upper memory block
        db 0FFh

; decide: AL = interface, AH = function. Counts the call; CF=1 if it must
; fail now (style and code say how). Keeps every register.
decide:
        cmp     byte [cs:active], 0
        je      .pass
        push    bx
        push    si
        mov     si, kinds
.scan:
        cmp     byte [cs:si], 0FFh
        je      .no
        cmp     [cs:si], ax             ; interface and function at once
        je      .found
        add     si, 3
        jmp     .scan
.found:
        mov     bl, [cs:si+2]
        xor     bh, bh
        add     bx, bx
        inc     word [cs:counts+bx]
        mov     si, [cs:counts+bx]      ; this call's number
        shr     bx, 1
        cmp     bl, [cs:armed]
        jne     .no
        cmp     si, [cs:nth]
        jb      .no
        je      .hit
        cmp     byte [cs:sticky], 0
        je      .no
.hit:
        inc     word [cs:injected]
        pop     si
        pop     bx
        stc
        ret
.no:
        pop     si
        pop     bx
.pass:
        clc
        ret

; Sets the carry flag of the interrupted caller (its FLAGS on the stack).
%macro CALLER_CARRY 1
        push    bp
        mov     bp, sp
        %if %1
        or      byte [bp+6], 1
        %else
        and     byte [bp+6], 0FEh
        %endif
        pop     bp
%endmacro

int21:
        push    ax
        mov     al, I_DOS
        call    decide
        pop     ax
        jc      .fail
        jmp     far [cs:old21]
.fail:
        cmp     byte [cs:style], S_CRIT
        je      .crit
        cmp     byte [cs:style], S_SHORT
        je      .short
        cmp     byte [cs:style], S_AX
        je      .ax
        mov     ax, [cs:code]
        CALLER_CARRY 1
        iret
.ax:
        mov     ax, [cs:code]
        iret
.short:
        push    cx
        cmp     cx, [cs:code]
        jbe     .asked
        mov     cx, [cs:code]
.asked:
        pushf
        call    far [cs:old21]
        pop     cx
        jc      .shortc
        CALLER_CARRY 0
        iret
.shortc:
        CALLER_CARRY 1
        iret
.crit:
        push    bx
        push    si
        push    di
        push    bp
        mov     bx, ax                  ; the caller's AX: BH = function
.raise:
        mov     ah, 1Eh                 ; Retry (10h), Fail (08h) allowed; data area (06h)
        cmp     bh, 40h
        jne     .notwrite
        or      ah, 1                   ; a write
.notwrite:
        mov     al, [cs:code+1]         ; drive
        mov     di, [cs:code]
        and     di, 0FFh                ; error code
        mov     bp, cs
        mov     si, dev_header
        int     24h
        inc     word [cs:crit_raised]
        mov     [cs:crit_answer], al
        cmp     al, 1
        jne     .answered
        cmp     byte [cs:sticky], 0
        jne     .raise                  ; from then on: it fails again
        mov     ax, bx                  ; once: the retry goes to DOS
        pop     bp
        pop     di
        pop     si
        pop     bx
        jmp     far [cs:old21]
.answered:
        cmp     al, 2
        jne     .failed
        inc     byte [cs:aborted]
        mov     ax, 4CFFh               ; Abort: the program ends
        int     21h
.failed:
        pop     bp
        pop     di
        pop     si
        pop     bx
        mov     ax, 53h
        CALLER_CARRY 1
        iret

int67:
        push    ax
        mov     al, I_EMS
        call    decide
        pop     ax
        jc      .fail
        jmp     far [cs:old67]
.fail:
        mov     ah, [cs:code]
        iret

; The XMS entry handed out for AX=4310h. The first five bytes are the
; short jump and three NOPs that the XMS spec gives every entry point.
xms_entry:
        jmp     short .go
        nop
        nop
        nop
.go:
        push    ax
        mov     al, I_XMS
        call    decide
        pop     ax
        jc      .fail
        jmp     far [cs:oldxms]
.fail:
        xor     ax, ax
        mov     bl, [cs:code]
        retf

int2f:
        cmp     ax, 4310h
        jne     .other
        pushf
        call    far [cs:old2f]
        mov     [cs:oldxms], bx
        mov     [cs:oldxms+2], es
        push    cs
        pop     es
        mov     bx, xms_entry
        iret
.other:
        cmp     ah, 0F9h
        je      .ours
        jmp     far [cs:old2f]
.ours:
        cmp     al, 0
        jne     .arm
        mov     al, 0FFh
        mov     bx, 'FI'
        iret
.arm:
        cmp     al, 1
        jne     .pause
        push    di
        push    cx
        push    es
        push    cs
        pop     es
        mov     di, counts
        mov     cx, 32
        xor     ax, ax
        cld
        rep stosw
        pop     es
        pop     cx
        pop     di
        mov     [cs:injected], ax
        mov     [cs:crit_raised], ax
        mov     byte [cs:aborted], al
        mov     byte [cs:crit_answer], 0FFh
        mov     [cs:armed], bl
        mov     [cs:nth], cx
        mov     [cs:style], dl
        mov     [cs:sticky], dh
        mov     [cs:code], si
        mov     byte [cs:active], 1
        iret
.pause:
        cmp     al, 2
        jne     .resume
        mov     byte [cs:active], 0
        iret
.resume:
        cmp     al, 3
        jne     .read
        mov     byte [cs:active], 1
        iret
.read:
        cmp     al, 4
        jne     .disarm
        push    bx
        and     bx, 1Fh
        add     bx, bx
        mov     ax, [cs:counts+bx]
        pop     bx
        mov     dx, [cs:injected]
        iret
.disarm:
        cmp     al, 5
        jne     .critical
        mov     byte [cs:armed], 0FFh
        iret
.critical:
        cmp     al, 6
        jne     .done
        mov     ax, [cs:crit_raised]
        mov     bl, [cs:crit_answer]
        mov     bh, [cs:aborted]
.done:
        iret

; The INT 67h vector points here: a paragraph of its own whose offset 0Ah
; holds "EMMXXXX0", because programs (the VMM too) detect an EMM by that
; name at offset 0Ah of the vector's segment. Its far jump's segment is
; filled in at installation.
        align   16
ems_stub:
        db      0EAh
        dw      int67
stub_seg dw     0
        times   0Ah - ($ - ems_stub) db 90h
        db      'EMMXXXX0'
resident_end:

; ---- transient part ---------------------------------------------------
install:
        mov     ax, 0F900h
        int     2Fh
        cmp     al, 0FFh
        jne     .fresh
        cmp     bx, 'FI'
        je      .already
.fresh:
        mov     ax, 3521h
        int     21h
        mov     [old21], bx
        mov     [old21+2], es
        mov     ax, 352Fh
        int     21h
        mov     [old2f], bx
        mov     [old2f+2], es
        mov     ax, 3567h
        int     21h
        mov     [old67], bx
        mov     [old67+2], es
        mov     di, 0Ah
        mov     si, emm_name
        mov     cx, 8
        cld
        repe cmpsb                      ; ES:DI (the EMM's header) vs DS:SI
        push    cs
        pop     es
        jne     .noems
        mov     [stub_seg], cs
        mov     ax, cs
        add     ax, (ems_stub - $$ + 100h) / 16
        push    ds
        mov     ds, ax
        xor     dx, dx
        mov     ax, 2567h
        int     21h
        pop     ds
.noems:
        mov     dx, int21
        mov     ax, 2521h
        int     21h
        mov     dx, int2f
        mov     ax, 252Fh
        int     21h
        ; the environment is not needed resident
        mov     es, [2Ch]
        mov     ah, 49h
        int     21h
        mov     dx, (resident_end - $$ + 100h + 15) / 16
        mov     ax, 3100h
        int     21h
.already:
        mov     ax, 4C00h
        int     21h

emm_name db     'EMMXXXX0'
