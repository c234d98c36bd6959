; t_dist.asm - a client of the release package as its users get it: an OMF
; object (nasm -f obj) with EXTERNs for the library's ten functions and its
; status variables, linked against the VMEMORY.LIB unpacked from the zip by
; an OMF linker (tools/omf `link`, or any linker: LINK, wlink, TLINK), with
; nothing of the build tree: no shim source, no image. It proves that the
; library in the package links (its dictionary finds the module, its
; segment and group fixups resolve to wherever the linker put them) and
; works: the status variables are read through DGROUP as C code reads them.
;
;   nasm -f obj -o T_DIST.OBJ asm/t_dist.asm
;   omf link T_DIST.EXE T_DIST.OBJ VMEMORY.LIB
;
; Writes RESULT.TXT (ok / FAIL lines, COMPLETE <passed> <failed>); exit
; code 0 when every check passed.

        bits 16
        cpu 386

        extern _VHEAPINIT, _VHEAPTERM, _VMALLOC, _VFREE, _VREALLOC
        extern _VMSIZE, _VLOAD, _VLOCK, _VUNLOCK, _VLOCKCNT
        extern _cPageDos, _fVmSwapping, _segVmDos, _cVmPage, _fVmInitialized

        segment _TEXT public align=16 class=CODE use16
        segment _DATA public align=2 class=DATA use16
        segment STACK stack align=16 class=STACK use16
        group DGROUP _DATA

NBLOCKS equ 24                          ; 24 x 4000 bytes through a 16 KB cache
BLOCK   equ 4000

; CALLV name, pushes...: a far Pascal call, arguments left to right.
%macro CALLV 1-*
  %assign %%n %0 - 1
  %rep %%n
    %rotate 1
        push %1
  %endrep
  %rotate 1
        call far %1
%endmacro

; CHECK "name": AL != 0 passed.
%macro CHECK 1
        segment _DATA
  %%s:  db %1, 0
        segment _TEXT
        mov si, %%s
        call check
%endmacro

        segment _TEXT
..start:
main:
        mov ax, DGROUP
        mov ds, ax
        cld
        ; Give DOS back what the program does not use, as C start-up does
        ; (the linker asked for all memory): PSP .. SS:SP, the stack's end.
        mov bx, sp
        add bx, 15
        shr bx, 4
        mov ax, ss
        add bx, ax
        mov ax, es
        sub bx, ax
        mov ah, 0x4A
        int 0x21
        mov ah, 0x3C                    ; RESULT.TXT
        xor cx, cx
        mov dx, result_name
        int 0x21
        jc .quit
        mov [logfh], ax

        cmp word [_fVmInitialized], 0
        sete al
        CHECK "fVmInitialized 0 before _vheapinit"
        CALLV _VHEAPINIT, word 0, word 1024, word 7
        test ax, ax
        setnz al
        CHECK "_vheapinit(0, 1024, _VM_ALLSWAP)"
        cmp word [_fVmInitialized], 0
        setne al
        CHECK "fVmInitialized set (status copied into DGROUP)"
        cmp word [_segVmDos], 0
        setne al
        CHECK "segVmDos is the cache's segment"
        cmp word [_cPageDos], 4
        sete al
        CHECK "cPageDos 4 (16 KB cache)"

        ; Allocate and fill NBLOCKS blocks, each with its own pattern.
        xor bx, bx
.alloc: CALLV _VMALLOC, dword BLOCK
        mov [handles + bx], ax
        mov [handles + bx + 2], dx
        mov cx, ax
        or cx, dx
        jz .allocfail
        CALLV _VLOAD, dx, ax, word 1    ; _VM_DIRTY
        mov cx, ax
        or cx, dx
        jz .allocfail
        mov es, dx
        mov di, ax
        mov cx, BLOCK
        mov al, bl
        call fill_pattern
        add bx, 4
        cmp bx, NBLOCKS * 4
        jb .alloc
        mov al, 1
        jmp .allocd
.allocfail:
        xor al, al
.allocd:
        CHECK "_vmalloc + _vload(dirty) + fill, 24 blocks of 4000 bytes"
        cmp word [_cVmPage], 0
        setne al
        CHECK "cVmPage > 0 (blocks swapped out)"
        cmp word [_fVmSwapping], 0
        setne al
        CHECK "fVmSwapping set"

        ; Read every block back (most come back from the swap stores).
        xor bx, bx
        mov byte [good], 1
.verify:
        CALLV _VLOAD, word [handles + bx + 2], word [handles + bx], word 0
        mov es, dx
        mov di, ax
        mov cx, BLOCK
        mov al, bl
        call check_pattern
        and [good], al
        add bx, 4
        cmp bx, NBLOCKS * 4
        jb .verify
        mov al, [good]
        CHECK "every block's contents back through _vload"

        mov eax, [handles]
        mov [h], eax
        CALLV _VMSIZE, dword [h]
        cmp dx, 0
        sete cl
        cmp ax, BLOCK
        sete al
        and al, cl
        CHECK "_vmsize 4000"
        CALLV _VLOCK, dword [h]
        mov cx, ax
        or cx, dx
        setnz al
        CHECK "_vlock"
        CALLV _VLOCKCNT, dword [h]
        cmp ax, 1
        sete al
        CHECK "_vlockcnt 1 after _vlock"
        CALLV _VUNLOCK, dword [h], word 0
        CALLV _VLOCKCNT, dword [h]
        cmp ax, 0
        sete al
        CHECK "_vlockcnt 0 after _vunlock"
        CALLV _VREALLOC, dword [h], dword 2 * BLOCK
        mov [h], ax
        mov [h + 2], dx
        CALLV _VLOAD, dword [h], word 0
        mov es, dx
        mov di, ax
        mov cx, BLOCK
        xor al, al
        call check_pattern
        CHECK "_vrealloc to 8000 keeps the contents"
        CALLV _VMSIZE, dword [h]
        cmp ax, 2 * BLOCK
        sete al
        CHECK "_vmsize 8000 after _vrealloc"
        CALLV _VMSIZE, dword 0x12345678
        mov cx, ax
        or cx, dx
        setz al
        CHECK "_vmsize of a forged handle is 0"

        mov eax, [h]
        mov [handles], eax
        xor bx, bx
.free:  CALLV _VFREE, dword [handles + bx]
        add bx, 4
        cmp bx, NBLOCKS * 4
        jb .free
        CALLV _VHEAPTERM
        cmp word [_fVmInitialized], 0
        sete al
        CHECK "fVmInitialized 0 after _vheapterm"

        call out_complete               ; COMPLETE <passed> <failed>
        mov bx, [logfh]
        mov ah, 0x3E
        int 0x21
.quit:  cmp word [failed], 0
        setne al
        mov ah, 0x4C
        int 0x21


%include "clientout.inc"
        CHECK_ROUTINES

        segment _DATA
result_name:    db "RESULT.TXT", 0
s_ok:           db "ok ", 0
s_fail:         db "FAIL ", 0
s_complete:     db "COMPLETE ", 0
s_space:        db " ", 0
s_nl:           db 13, 10, 0
logfh:          dw 0
passed:         dw 0
failed:         dw 0
good:           db 0
        align 4
h:              dd 0
handles:        times NBLOCKS dd 0
numbuf:         times NUMBUF db 0

        segment STACK
        resb 2048
