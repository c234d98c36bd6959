; c_exits.asm - the C library's side of the exit-path test: a program that
; calls the library exactly as compiled C does (far Pascal calls into the
; shim of asm/vmemory.asm, status globals in its DGROUP), swaps 2 MB out and
; ends the way the first letter of its command tail says:
;
;   t   _vheapterm, then INT 21h AH=4Ch: the control
;   x   INT 21h AH=4Ch without _vheapterm (what exit(0) does in the end)
;   2   _vheapterm twice, then INT 21h AH=4Ch
;   c   three init/work/term cycles first, then x
;   z   INT 20h (far jump to PSP:0000, CS = PSP) without _vheapterm
;   0   INT 21h AH=00h (run from the PSP, CS = PSP) without _vheapterm
;   k   INT 21h AH=31h: stays resident, keeps its heap
;   b   Ctrl-Break: INT 1Bh as the BIOS raises it, then a console call; its
;       INT 23h handler answers "end the program" (STC, RETF)
;   s   runs C_EXITS x and C_EXITS t as children (each a heap of its own),
;       checks after each that every block of its own heap reads back and
;       that it is still hooked, then ends without _vheapterm
;   v   the same with BREAK ON, noticed inside the library's own DOS call
;       (_vload of a block in the swap file): the program ends mid-call,
;       on the library's private stack
;   e   a critical error: reads B:\EXITS.TXT (an empty drive, conf/driveb),
;       its INT 24h handler answers Abort (AL=2), so DOS ends the program
; After _vheapterm (t, 2, c) the PSP's terminate address must be the one DOS
; gave the program: nothing left hooked.
;
;   nasm -f bin -Iasm/ -DVM_IMAGE_FILE=... -DVM_IMAGE_TOP=... -o C_EXITS.EXE asm/c_exits.asm
;
; After the work it writes the nine status globals (18 bytes) to
; CSTATUS.BIN, so that its parent (T_EXITS.EXE cabi <letter>, which
; compares free XMS, free EMS pages, EMS handles and files in %TMP% before
; and after) knows the work swapped. Exit code 0 when every call did what
; it should, 1 when one failed (it then ends at once), 2 for an unknown mode.

        bits 16
        cpu 386

NBLOCKS         equ 64                  ; 64 x 32 KB = 2 MB through a 64 KB cache
BLOCK_BYTES     equ 32768

%include "mzclient.inc"

; ---------------------------------------------------------------------------
        section ctext
start:
fixds:  mov ax, PARA(cdata)
        RELOC PARA(ctext), fixds + 1
        mov ds, ax
        mov [psp], es
        cld
        mov al, [es:0x81]               ; the mode letter (tail "x" or " x")
        cmp al, ' '
        jne .letter
        mov al, [es:0x82]
.letter: mov [mode], al
        mov eax, [es:0x0A]              ; the terminate address DOS gave us
        mov [orig_term], eax

        cmp byte [mode], 'c'
        jne .once
        mov cx, 3
.cycle: push cx
        call work
        FAR _VHEAPTERM
        call unhooked
        pop cx
        loop .cycle
.once:  call work

        ; The status block, for the parent.
        mov ah, 0x3C
        xor cx, cx
        mov dx, status_name
        int 0x21
        jc fail
        mov bx, ax
        mov ah, 0x40
        mov cx, 18
        mov dx, _cPageDos
        int 0x21
        jc fail
        mov ah, 0x3E
        int 0x21

        mov al, [mode]
        cmp al, 't'
        je .term
        cmp al, '2'
        je .term2
        cmp al, 'x'
        je exit0
        cmp al, 'c'
        je exit0
        cmp al, 'z'
        je .int20
        cmp al, '0'
        je .fn00
        cmp al, 'k'
        je .keep
        cmp al, 'b'
        je .break
        cmp al, 'v'
        je .vmbreak
        cmp al, 's'
        je .spawn
        cmp al, 'e'
        je .criterr
        mov ax, 0x4C02
        int 0x21

.term2: FAR _VHEAPTERM
.term:  FAR _VHEAPTERM
        cmp word [_fVmInitialized], 0
        jne fail
        call unhooked
        jmp exit0

.int20: push word [psp]                 ; PSP:0000 holds INT 20h
        push word 0
        retf

.fn00:  mov es, [psp]                   ; MOV AH,0 / INT 21h in the first FCB
        mov dword [es:0x5C], 0x21CD00B4
        push es
        push word 0x5C
        retf

.keep:  mov es, [psp]                   ; keep the whole program block
        dec word [psp]
        mov es, [psp]
        mov dx, [es:3]                  ; its size, from its MCB
        mov ax, 0x3100
        int 0x21

.break: call break_ends
        int 0x1B                        ; what the BIOS does on Ctrl-Break
        mov ah, 0x0B                    ; a console call: DOS checks for the break
        int 0x21
        mov ax, 0x4C03                  ; still here: the engine raised no INT 23h
        int 0x21

.spawn: mov di, child_x                 ; a child that uses the library itself
        call run_child                  ; and ends without _vheapterm
        call intact
        mov di, child_t                 ; one that ends with it
        call run_child
        call intact
        mov es, [psp]                   ; still hooked: the heap is still ours
        mov eax, [es:0x0A]
        cmp eax, [orig_term]
        je fail
        jmp exit0                       ; and now end without _vheapterm

.vmbreak:
        call break_ends
        mov ax, 0x3301                  ; BREAK ON: DOS checks on every call
        mov dl, 1
        int 0x21
        int 0x1B
        push dword [first_h]            ; _vload(first block, _VM_CLEAN): a
        push word 0                     ; swap file read, where DOS sees the break
        FAR _VLOAD
        mov ax, 0x4C03                  ; still here: no break inside the call
        int 0x21

.criterr:
        push ds                         ; INT 24h -> crit_abort (ours until
        push cs                         ; DOS restores it from the PSP)
        pop ds
        mov dx, crit_abort
        mov ax, 0x2524
        int 0x21
        pop ds
        mov dx, drive_b_file            ; open B:\EXITS.TXT for reading
        mov ax, 0x3D00
        int 0x21
        mov ax, 0x4C03                  ; still here: no critical error raised
        int 0x21

; crit_abort: the INT 24h handler, answering Abort as a user pressing A.
crit_abort:
        mov al, 2
        iret

; run_child: runs C_EXITS.EXE with the command tail at DS:DI (INT 21h
; AX=4B00h) and ends with code 1 unless it ran and ended with code 0.
run_child:
        mov [exec_block + 2], di
        mov [exec_block + 4], ds
        mov ax, [psp]
        mov word [exec_block + 6], 0x5C
        mov [exec_block + 8], ax
        mov word [exec_block + 10], 0x6C
        mov [exec_block + 12], ax
        push ds
        pop es
        mov bx, exec_block
        mov dx, child_name
        mov [cs:exec_ss], ss
        mov [cs:exec_sp], sp
        mov ax, 0x4B00
        int 0x21
        cli
        mov ss, [cs:exec_ss]
        mov sp, [cs:exec_sp]
        sti
        jc fail
fixds2: mov ax, PARA(cdata)
        RELOC PARA(ctext), fixds2 + 1
        mov ds, ax
        cld
        mov ah, 0x4D
        int 0x21
        test al, al
        jnz fail
        ret
exec_ss: dw 0
exec_sp: dw 0

; intact: every block of the work reads back as written (_vload clean).
intact:
        mov word [count], NBLOCKS
        mov si, handles
.one:   mov ax, [si]
        mov dx, [si + 2]
        xor cx, cx                      ; _VM_CLEAN
        call load
        mov al, [count]
        cmp [es:bx], al
        jne fail
        cmp [es:bx + BLOCK_BYTES - 1], al
        jne fail
        add si, 4
        dec word [count]
        jnz .one
        ret

; break_ends: INT 23h -> STC / RETF in the PSP's first FCB ("end the program").
break_ends:
        mov es, [psp]
        mov word [es:0x5C], 0xCBF9
        push ds
        push es
        pop ds
        mov dx, 0x5C
        mov ax, 0x2523
        int 0x21
        pop ds
        ret

; unhooked: after _vheapterm the PSP's terminate address must be the one
; DOS gave (nothing left hooked); ends with code 1 if not.
unhooked:
        mov es, [psp]
        mov eax, [es:0x0A]
        cmp eax, [orig_term]
        jne fail
        ret

exit0:  mov ax, 0x4C00
        int 0x21

fail:   mov ax, 0x4C01
        int 0x21

; load: _vload(DX:AX, CX) -> ES:BX = the block, or the program ends with
; code 1 (through fail) when it returns NULL.
load:   push dx
        push ax
        push cx
        FAR _VLOAD
        mov bx, ax
        or bx, dx
        jz fail
        mov es, dx
        mov bx, ax
        ret

; work: _vheapinit(4096, 4096, _VM_ALLSWAP), then NBLOCKS blocks of
; BLOCK_BYTES, each loaded dirty and marked at both ends, so that 2 MB are
; swapped out. Ends the program with code 1 if a call fails.
work:
        push word 4096
        push word 4096
        push word 7
        FAR _VHEAPINIT
        test ax, ax
        jz fail
        mov word [count], NBLOCKS
.next:  push dword BLOCK_BYTES
        FAR _VMALLOC
        mov bx, ax
        or bx, dx
        jz fail
        mov bx, NBLOCKS
        sub bx, [count]
        shl bx, 2
        mov [handles + bx], ax
        mov [handles + bx + 2], dx
        cmp word [count], NBLOCKS
        jne .keep_h
        mov [first_h], ax
        mov [first_h + 2], dx
.keep_h: mov cx, 1                       ; _VM_DIRTY
        call load
        mov al, [count]
        mov [es:bx], al
        mov [es:bx + BLOCK_BYTES - 1], al
        dec word [count]
        jnz .next
        ret

; ---------------------------------------------------------------------------
        section cdata
status_name:    db "CSTATUS.BIN", 0
psp:            dw 0
orig_term:      dd 0
first_h:        dd 0
handles:        times NBLOCKS dd 0
exec_block:     times 7 dw 0            ; environment, tail, FCB 1, FCB 2
child_name:     db "C_EXITS.EXE", 0
drive_b_file:   db "B:\EXITS.TXT", 0
child_x:        db 2, " x", 13
child_t:        db 2, " t", 13
count:          dw 0
mode:           db 0

        MZ_CLIENT_END
