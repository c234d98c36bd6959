; t_cabi.asm - DOS test of the C ABI: calls the library exactly as compiled
; C does, through the same shim source as VMEMORY.OBJ (asm/vmemory.asm).
;
;   nasm -f bin -DVM_IMAGE_FILE=... -DVM_IMAGE_TOP=... -o T_CABI.EXE asm/t_cabi.asm
;
; A tiny MZ .EXE written by nasm itself (no OMF linker): a client code
; segment, the shim + image segment, a data segment (DGROUP, holding the
; status globals) and a stack segment of its own, so that DS != SS != the
; library's segment. Every call is a direct far CALL (9A, segment fixed up
; by DOS through the MZ relocation table, as a linker would emit for C),
; with Pascal argument order, and is checked for:
;   - every register the convention preserves (all 32 bits of EAX..EBP
;     except the result's AX / DX:AX, DS, ES, FS, GS, SS), SP back where it
;     was before the arguments were pushed (callee popped them), DF and IF;
;   - the nine status globals equal to the library's status block after
;     the call (the shim copies it when the call changed it);
; then the VMM's results are checked: init/term, alloc, size, load, lock,
; lock counts, realloc keeping contents, free, content surviving eviction
; with a 16 KB cache, and the status values at each step. Some calls go
; through an aliased CS:IP (segment - 100h : offset + 1000h, as a linker's
; group frame would give) with a junk DS and DF set. Finally it reports how
; much of the library's private stack was used.
;
; Writes RESULT.TXT (ok / FAIL lines, COMPLETE <passed> <failed>) for the
; harness; exit code 0 when everything passed.

        bits 16
        cpu 386

%include "mzclient.inc"

; ---- sentinels -------------------------------------------------------------
S_EAX   equ 0xA1A2A3A4
S_EBX   equ 0xB1B2B3B4
S_ECX   equ 0xC1C2C3C4
S_EDX   equ 0xD1D2D3D4
S_ESI   equ 0x51525354
S_EDI   equ 0x71727374
S_EBP   equ 0x6B6C6D6E
S_ES    equ 0x1234
S_FS    equ 0x5678
S_GS    equ 0x9ABC
JUNK_DS equ 0x4321

M_ALIAS equ 1                           ; call through CS - 100h : IP + 1000h
M_JUNK  equ 2                           ; DS = JUNK_DS and DF set at the call

; SAVE_REGS reg... : each register into its r_<reg> slot (code segment).
%macro SAVE_REGS 1-*
  %rep %0
        mov [cs:r_%1], %1
    %rotate 1
  %endrep
%endmacro

; VCALL function, return kind, mode, pushes... : one checked far call.
; The pushes are the C arguments left to right (Pascal order).
%macro VCALL 3-*
        section cdata
  %%name: db %str(%1), 0
        section ctext
        mov word [call_name], %%name
        mov byte [call_kind], %2
        mov byte [call_mode], %3
        mov [cs:sp_before], sp
  %assign %%n %0 - 3
  %rotate 3
  %rep %%n
        push %1
    %rotate 1
  %endrep
        mov ax, S_ES
        mov es, ax
        mov ax, S_FS
        mov fs, ax
        mov ax, S_GS
        mov gs, ax
  %if (%3) & M_JUNK
        mov ax, JUNK_DS
        mov ds, ax
        std
  %endif
        mov eax, S_EAX
        mov ebx, S_EBX
        mov ecx, S_ECX
        mov edx, S_EDX
        mov esi, S_ESI
        mov edi, S_EDI
        mov ebp, S_EBP
  %if (%3) & M_ALIAS
  %%site: call (PARA(vmtext) - 0x100):(%1 + 0x1000)
  %else
  %%site: call PARA(vmtext):%1
  %endif
        RELOC PARA(ctext), %%site + 3
        pushf
        pop word [cs:r_flags]
        cld
        SAVE_REGS eax, ebx, ecx, edx, esi, edi, ebp, ds, es, fs, gs, ss, sp
        LOADSEG ax, cdata
        mov ds, ax
        mov ax, [cs:r_eax]
        mov [res_ax], ax
        mov ax, [cs:r_edx]
        mov [res_dx], ax
        call check_call
%endmacro

; NOTE "text": an informational line, then the number in EAX if %2 given.
%macro NOTE 1
        section cdata
  %%s:  db "# ", %1, 0
        section ctext
        mov si, %%s
        call out_str
%endmacro

; ---------------------------------------------------------------------------
        CLIENT_START

        ; The result log.
        OPEN_LOG .nolog
.nolog:
        NOTE {"vmemory C ABI test (far pascal calls through the shim)", 13, 10}

        ; Where the library image is, from its segment: paint its stack.
        LOADSEG ax, vmtext
        add ax, (vm_image - vm_text_start) >> 4
        mov [imgseg], ax
        mov es, ax
        mov ax, [es:VMH_MAGIC]
        cmp ax, 0x4D56
        sete al
        CHECK "image header magic"
        mov es, [imgseg]
        mov di, [es:12]                 ; end of .bss = bottom of the stack
        mov cx, [es:VMH_STACK]
        sub cx, di
        mov [stack_size], cx
        mov al, 0xA5
        rep stosb

        ; The globals before any call: an uninitialized VMM.
        cmp word [_fVmInitialized], 0
        sete al
        cmp word [_fhVm], -1
        sete ah
        and al, ah
        CHECK "status globals before the first call"

        ; A call before _vheapinit is harmless.
        VCALL _VLOCKCNT, RET_AX, 0, dword 0x00010001
        cmp word [res_ax], 0
        sete al
        CHECK "_vlockcnt before _vheapinit returns 0"

        ; _vheapinit(0, 1024, _VM_ALLSWAP): a 16 KB cache, so blocks swap.
        VCALL _VHEAPINIT, RET_AX, 0, word 0, word 1024, word 7
        cmp word [res_ax], 0
        setne al
        CHECK "_vheapinit(0, 1024, _VM_ALLSWAP) succeeds"
        call out_status
        cmp word [_fVmInitialized], 1
        sete al
        cmp word [_segVmDos], 0
        setne ah
        and al, ah
        cmp word [_cPageDos], 0
        setne ah
        and al, ah
        CHECK "status after init: fVmInitialized, segVmDos, cPageDos set"

        ; A second init without term fails.
        VCALL _VHEAPINIT, RET_AX, 0, word 0, word 1024, word 7
        cmp word [res_ax], 0
        sete al
        CHECK "second _vheapinit fails"

        ; _vmalloc(1000), _vmsize
        VCALL _VMALLOC, RET_DXAX, 0, dword 1000
        mov eax, [res]
        mov [h1], eax
        test eax, eax
        setnz al
        CHECK "_vmalloc(1000) returns a handle"
        VCALL _VMSIZE, RET_DXAX, 0, dword [h1]
        mov eax, [res]
        cmp eax, 1000
        setae al
        mov ecx, [res]
        cmp ecx, 65530
        setbe ah
        and al, ah
        CHECK "_vmsize >= 1000"
        VCALL _VMALLOC, RET_DXAX, 0, dword 65531
        cmp dword [res], 0
        sete al
        CHECK "_vmalloc(65531) fails"

        ; _vload dirty: fresh block is zero, fill it.
        VCALL _VLOAD, RET_DXAX, 0, dword [h1], word 1
        mov eax, [res]
        test eax, eax
        setnz al
        CHECK "_vload returns a far pointer"
        les di, [res]
        mov cx, 1000
        xor al, al
        repe scasb
        sete al
        CHECK "fresh block reads as zeros"
        les di, [res]
        mov cx, 1000
        mov al, 0x11
        call fill_pattern
        mov eax, [res]
        mov [p0], eax

        ; The same block again, answered by the shim's hit path: its hint
        ; (the header it found last), twice (once through an aliased CS:IP,
        ; junk DS, DF set), then a clean load: the same pointer every time.
        mov word [bad], 0
        VCALL _VLOAD, RET_DXAX, 0, dword [h1], word 1
        call same_p0
        VCALL _VLOAD, RET_DXAX, 0, dword [h1], word 1
        call same_p0
        VCALL _VLOAD, RET_DXAX, M_ALIAS | M_JUNK, dword [h1], word 1
        call same_p0
        VCALL _VLOAD, RET_DXAX, 0, dword [h1], word 0
        call same_p0
        cmp word [bad], 0
        sete al
        CHECK "_vload of a resident block again (shim's hit path): same pointer"
        ; Its loads are counted in its header for the replacement policy, a
        ; byte that stays at 255 however many hits the shim answers.
        mov word [idx], 300
.sat:   VCALL _VLOAD, RET_DXAX, 0, dword [h1], word 0
        dec word [idx]
        jnz .sat
        les di, [res]
        mov ax, es
        sub ax, HDR_PARAS
        mov es, ax
        cmp byte [es:HDR_REFS], 255
        sete al
        CHECK "300 more hits: the header's count stays at 255"
        ; Lock and unlock it in turn: the shim's hit path changes the lock
        ; count in the block's header itself.
        mov word [bad], 0
        VCALL _VLOCK, RET_DXAX, 0, dword [h1]
        call same_p0
        VCALL _VUNLOCK, RET_NONE, 0, dword [h1], word 1
        VCALL _VLOCK, RET_DXAX, M_ALIAS | M_JUNK, dword [h1]
        call same_p0
        VCALL _VLOCK, RET_DXAX, 0, dword [h1]
        call same_p0
        VCALL _VUNLOCK, RET_NONE, M_ALIAS | M_JUNK, dword [h1], word 0
        VCALL _VLOCKCNT, RET_AX, 0, dword [h1]
        cmp word [res_ax], 1
        jne .lk_bad
        VCALL _VUNLOCK, RET_NONE, 0, dword [h1], word 0
        VCALL _VUNLOCK, RET_NONE, 0, dword [h1], word 0
        VCALL _VLOCKCNT, RET_AX, 0, dword [h1]
        cmp word [res_ax], 0
        je .lk_ok
.lk_bad:
        inc word [bad]
.lk_ok: cmp word [bad], 0
        sete al
        CHECK "_vlock/_vunlock in turn (shim's hit path): same pointer, lock counts 1 then 0"

        ; _vlock / _vlockcnt / _vunlock
        VCALL _VLOCK, RET_DXAX, 0, dword [h1]
        mov eax, [res]
        mov [p1], eax
        test eax, eax
        setnz al
        CHECK "_vlock returns a far pointer"
        VCALL _VLOCKCNT, RET_AX, 0, dword [h1]
        cmp word [res_ax], 1
        sete al
        CHECK "_vlockcnt = 1 after _vlock"
        les di, [p1]
        mov cx, 1000
        mov al, 0x11
        call check_pattern
        CHECK "locked block holds what was written"
        VCALL _VFREE, RET_NONE, 0, dword [h1]
        VCALL _VMSIZE, RET_DXAX, 0, dword [h1]
        cmp dword [res], 0
        setne al
        CHECK "_vfree of a locked block is refused"
        VCALL _VUNLOCK, RET_NONE, 0, dword [h1], word 0
        VCALL _VLOCKCNT, RET_AX, 0, dword [h1]
        cmp word [res_ax], 0
        sete al
        CHECK "_vlockcnt = 0 after _vunlock"

        ; Many blocks through a 16 KB cache: contents survive eviction.
        mov word [idx], 0
.alloc: mov bx, [idx]
        VCALL _VMALLOC, RET_DXAX, 0, dword 4000
        mov bx, [idx]
        shl bx, 2
        mov eax, [res]
        mov [hs + bx], eax
        test eax, eax
        jnz .alloc_ok
        inc word [bad]
.alloc_ok:
        inc word [idx]
        cmp word [idx], NBLOCKS
        jb .alloc
        cmp word [bad], 0
        sete al
        CHECK "48 blocks of 4000 bytes allocated"

        mov word [idx], 0
.fill:  mov bx, [idx]
        shl bx, 2
        VCALL _VLOAD, RET_DXAX, 0, dword [hs + bx], word 1
        les di, [res]
        mov ax, es
        or ax, di
        jz .fill_bad
        mov cx, 4000
        mov al, [idx]
        call fill_pattern
        jmp .fill_next
.fill_bad:
        inc word [bad]
.fill_next:
        inc word [idx]
        cmp word [idx], NBLOCKS
        jb .fill
        cmp word [bad], 0
        sete al
        CHECK "every block loaded dirty and written"

        mov word [idx], NBLOCKS
.verify:
        dec word [idx]
        mov bx, [idx]
        shl bx, 2
        VCALL _VLOAD, RET_DXAX, 0, dword [hs + bx], word 0
        les di, [res]
        mov ax, es
        or ax, di
        jz .verify_bad
        mov cx, 4000
        mov al, [idx]
        call check_pattern
        test al, al
        jnz .verify_next
.verify_bad:
        inc word [bad]
.verify_next:
        cmp word [idx], 0
        jne .verify
        cmp word [bad], 0
        sete al
        CHECK "every block reads back after eviction"
        call out_status
        cmp word [_cVmPage], 0
        setne al
        cmp word [_fVmSwapping], 0
        setne ah
        and al, ah
        CHECK "status while swapping: cVmPage, fVmSwapping set"

        ; _vrealloc keeps the contents.
        VCALL _VREALLOC, RET_DXAX, 0, dword [h1], dword 3000
        mov eax, [res]
        mov [h1], eax
        test eax, eax
        setnz al
        CHECK "_vrealloc(h, 3000) returns a handle"
        VCALL _VMSIZE, RET_DXAX, 0, dword [h1]
        cmp dword [res], 3000
        setae al
        CHECK "_vmsize >= 3000 after _vrealloc"
        VCALL _VLOAD, RET_DXAX, 0, dword [h1], word 0
        les di, [res]
        mov cx, 1000
        mov al, 0x11
        call check_pattern
        CHECK "_vrealloc kept the contents"

        ; The capacity rule through the C library: a block of 1024 x 16 -
        ; 512 bytes in the 16 KB cache beside the NBLOCKS others (the core's
        ; lean layout: every block leaves, the handle table goes to swap
        ; space), written, read back after a small block's load. The
        ; deepest calls of the library (evictions that page the table
        ; through EMS) run under it, so the stack check below covers them.
        VCALL _VMALLOC, RET_DXAX, 0, dword BIG
        mov eax, [res]
        mov [hbig], eax
        test eax, eax
        setnz al
        CHECK "_vmalloc(15872) in a 16 KB cache"
        VCALL _VLOAD, RET_DXAX, 0, dword [hbig], word 1
        les di, [res]
        mov ax, es
        or ax, di
        setnz al
        CHECK "_vload of the 15,872-byte block"
        les di, [res]
        mov cx, BIG
        mov al, 0x5C
        call fill_pattern
        VCALL _VLOAD, RET_DXAX, 0, dword [hs], word 0
        les di, [res]
        mov cx, 4000
        mov al, 0
        call check_pattern
        CHECK "a small block reads back beside it"
        VCALL _VLOAD, RET_DXAX, 0, dword [hbig], word 0
        les di, [res]
        mov cx, BIG
        mov al, 0x5C
        call check_pattern
        CHECK "the 15,872-byte block reads back"
        VCALL _VFREE, RET_NONE, 0, dword [hbig]

        ; Free everything; a freed handle is dead.
        VCALL _VFREE, RET_NONE, 0, dword [h1]
        VCALL _VMSIZE, RET_DXAX, 0, dword [h1]
        cmp dword [res], 0
        sete al
        CHECK "_vmsize of a freed handle is 0"
        mov word [idx], 0
.free:  mov bx, [idx]
        shl bx, 2
        VCALL _VFREE, RET_NONE, 0, dword [hs + bx]
        inc word [idx]
        cmp word [idx], NBLOCKS
        jb .free

        VCALL _VHEAPTERM, RET_NONE, 0
        call out_status
        cmp word [_fVmInitialized], 0
        sete al
        cmp word [_segVmDos], 0
        sete ah
        and al, ah
        cmp word [_fhVm], -1
        sete ah
        and al, ah
        CHECK "status after term: fVmInitialized 0, segVmDos 0, fhVm -1"

        ; A second cycle through an aliased CS:IP, junk DS and DF set.
        VCALL _VHEAPINIT, RET_AX, M_ALIAS | M_JUNK, word 0, word 1024, word 7
        cmp word [res_ax], 0
        setne al
        CHECK "aliased CS:IP, junk DS, DF set: _vheapinit"
        VCALL _VMALLOC, RET_DXAX, M_ALIAS | M_JUNK, dword 200
        mov eax, [res]
        mov [h1], eax
        test eax, eax
        setnz al
        CHECK "aliased CS:IP, junk DS, DF set: _vmalloc"
        VCALL _VLOCK, RET_DXAX, M_ALIAS | M_JUNK, dword [h1]
        cmp dword [res], 0
        setne al
        CHECK "aliased CS:IP, junk DS, DF set: _vlock"
        les di, [res]
        mov cx, 200
        mov al, 0x77
        call fill_pattern
        VCALL _VLOCKCNT, RET_AX, M_ALIAS | M_JUNK, dword [h1]
        cmp word [res_ax], 1
        sete al
        CHECK "aliased CS:IP, junk DS, DF set: _vlockcnt"
        VCALL _VUNLOCK, RET_NONE, M_ALIAS | M_JUNK, dword [h1], word 1
        VCALL _VLOAD, RET_DXAX, M_ALIAS | M_JUNK, dword [h1], word 0
        les di, [res]
        mov cx, 200
        mov al, 0x77
        call check_pattern
        CHECK "aliased CS:IP, junk DS, DF set: _vload reads back"
        VCALL _VREALLOC, RET_DXAX, M_ALIAS | M_JUNK, dword [h1], dword 0
        cmp dword [res], 0
        sete al
        CHECK "aliased CS:IP, junk DS, DF set: _vrealloc(h, 0) frees"
        VCALL _VMSIZE, RET_DXAX, M_ALIAS | M_JUNK, dword [h1]
        VCALL _VFREE, RET_NONE, M_ALIAS | M_JUNK, dword [h1]
        VCALL _VHEAPTERM, RET_NONE, M_ALIAS | M_JUNK
        cmp word [_fVmInitialized], 0
        sete al
        CHECK "aliased CS:IP, junk DS, DF set: _vheapterm"

        ; Every call's registers, stack depth and status globals.
        cmp word [call_bad], 0
        sete al
        CHECK "every call preserved registers, popped its arguments, left the status globals current"
        NOTE "calls checked: "
        movzx eax, word [call_count]
        call out_dec
        call out_nl

        ; The private stack's high-water mark.
        mov es, [imgseg]
        mov di, [es:12]
        mov cx, [stack_size]
        mov al, 0xA5
        repe scasb
        mov ax, [stack_size]
        sub ax, cx
        dec ax                          ; AX = bytes never touched (the byte
        mov [stack_free], ax            ; that ended the scan was used)
        NOTE "library private stack: used "
        movzx eax, word [stack_size]
        sub ax, [stack_free]
        call out_dec
        mov si, s_of
        call out_str
        movzx eax, word [stack_size]
        call out_dec
        mov si, s_bytes
        call out_str
        ; At least a quarter of it never touched: room for the interrupt
        ; handlers (BIOS, TSRs) that run on it during a call.
        mov ax, [stack_size]
        shr ax, 2
        cmp [stack_free], ax
        setae al
        CHECK "library stack keeps at least 25% free"

        call out_complete               ; COMPLETE <passed> <failed>
        CLOSE_LOG_EXIT

; check_call (every call's registers, stack and status globals) and its
; helpers: asm/tcabi_regs.inc.
%include "tcabi_regs.inc"

%include "clientout.inc"
        CHECK_ROUTINES

; out_status: "# status cPageDos=.. fVmSwapping=.. ..." from the globals.
out_status:
        mov si, s_status
        call out_str
        mov bx, 0
.l:     mov si, [status_names + bx]
        call out_str
        movsx eax, word [_cPageDos + bx]
        call out_sdec
        add bx, 2
        cmp bx, VM_STATUS_WORDS * 2
        jb .l
        call out_nl
        ret

; out_sdec: EAX as a signed decimal number.
out_sdec:
        test eax, eax
        jns out_dec
        push eax
        mov si, s_minus
        call out_str
        pop eax
        neg eax
        jmp out_dec

; Registers saved right after each call (in the code segment: DS may be junk).
        align 4
r_eax:  dd 0
r_ebx:  dd 0
r_ecx:  dd 0
r_edx:  dd 0
r_esi:  dd 0
r_edi:  dd 0
r_ebp:  dd 0
r_ds:   dw 0
r_es:   dw 0
r_fs:   dw 0
r_gs:   dw 0
r_ss:   dw 0
r_sp:   dw 0
r_flags: dw 0
sp_before: dw 0

; ---------------------------------------------------------------------------
        section cdata
NBLOCKS equ 48
BIG     equ 1024 * 16 - 512
result_name:    db "RESULT.TXT", 0
s_ok:           db "ok ", 0
s_fail:         db "FAIL ", 0
s_regs:         db "registers and status after ", 0
s_colon:        db ":", 0
s_nl:           db 13, 10, 0
s_space:        db " ", 0
s_minus:        db "-", 0
s_of:           db " of ", 0
s_bytes:        db " bytes", 13, 10, 0
s_complete:     db "COMPLETE ", 0
s_status:       db "# status", 0
s_eax: db "EAX", 0
s_edx: db "EDX", 0
s_ebx: db "EBX", 0
s_ecx: db "ECX", 0
s_esi: db "ESI", 0
s_edi: db "EDI", 0
s_ebp: db "EBP", 0
s_es:  db "ES", 0
s_fs:  db "FS", 0
s_gs:  db "GS", 0
s_ds:  db "DS", 0
s_ss:  db "SS", 0
s_sp:  db "SP", 0
s_flags: db "FLAGS(DF,IF)", 0
s_stale: db "stale-global-at-byte", 0
n0: db " cPageDos=", 0
n1: db " fVmSwapping=", 0
n2: db " fVmDisableDisk=", 0
n3: db " fhVm=", 0
n4: db " fVmDisableEms=", 0
n5: db " fVmDisableXms=", 0
n6: db " segVmDos=", 0
n7: db " cVmPage=", 0
n8: db " fVmInitialized=", 0
        align 2
status_names:   dw n0, n1, n2, n3, n4, n5, n6, n7, n8
res:                                    ; the last result as DX:AX (long / far pointer)
res_ax:         dw 0
res_dx:         dw 0
logfh:          dw 0
psp:            dw 0
imgseg:         dw 0
stack_size:     dw 0
stack_free:     dw 0
passed:         dw 0
failed:         dw 0
call_count:     dw 0
call_bad:       dw 0
call_name:      dw 0
call_kind:      db 0
call_mode:      db 0
idx:            dw 0
bad:            dw 0
h1:             dd 0
hbig:           dd 0
p0:             dd 0
p1:             dd 0
hs:             times NBLOCKS dd 0
dpos:           dw 0
detail:         times 256 db 0
numbuf:         times NUMBUF db 0

        MZ_CLIENT_END
