; vmemory.asm - the C ABI of vmemory: far Pascal entry points for MSC 7.0's
; <vmemory.h> functions, in front of the Rust library image they carry.
;
; Assembled two ways from this one source:
;   nasm -f obj -DVM_IMAGE_FILE=... -DVM_IMAGE_TOP=... asm/vmemory.asm
;       -> VMEMORY.OBJ (OMF), what C programs link (VMEMORY.LIB holds it);
;   %include'd by a nasm -f bin program with VM_BIN defined (the CI test
;       clients, asm/t_cabi.asm): the includer declares the sections
;       (VM_CODE, VM_DATA) and lists the one segment relocation (vm_fix_dgroup).
;
; ---------------------------------------------------------------------------
; Calling convention implemented (MSC / Open Watcom __far __pascal)
; ---------------------------------------------------------------------------
; Entry: far CALL (return CS:IP on the caller's stack); arguments pushed left
;   to right, so the last argument is nearest the return address; a long or
;   far pointer is pushed high word first. Any DS, ES, SS; DF clear.
; Names: upper case, no added underscore: _VHEAPINIT .. _VLOCKCNT.
; Return: the callee pops the arguments (RETF n).
;   int / unsigned:                 AX
;   unsigned long, _vmhnd_t:        DX:AX (DX = high word)
;   void __far *:                   DX:AX (DX = segment, AX = offset)
; Register by register, after the call:
;   AX      result of an int/unsigned/long/pointer function, else preserved
;   DX      high word / segment of a long/pointer result, else preserved
;   upper halves of EAX, EDX: always preserved
;   EBX, ECX, ESI, EDI, EBP:  preserved (all 32 bits)
;   ESP:    SP = SP before the arguments were pushed (args popped), upper
;           half preserved
;   CS, DS, ES, SS, FS, GS:   preserved
;   FLAGS:  restored as they were at entry (DF, IF, TF; arithmetic flags too)
; Status globals _cPageDos .. _fVmInitialized (DGROUP, _DATA, 18 bytes,
;   contiguous) hold the image's status block after every call: the shim
;   copies it whenever the library says a call may have changed it (a
;   hit on a resident block never does).
;
; What happens inside (no code is patched at run time):
;   1. Each entry pushes its call word (function number, return kind,
;      argument bytes) and near-calls vm_hit (_vload, _vlock, _vunlock) or
;      vm_common (the others); its RETF n pops the args.
;   2. Both save FLAGS, the 8 32-bit registers (PUSHAD), DS and ES on the
;      caller's stack (46 bytes with the call's own words; vm_hit also FS,
;      which only the hit path changes).
;   3. They derive the image's segment from their own CS:IP (CALL/POP: the
;      image starts at a paragraph boundary at a fixed distance after that
;      label), so it works wherever the linker puts this segment and
;      whatever frame (segment or group) CS uses. vm_hit answers a _vload,
;      _vlock or _vunlock of a resident block itself (the hit path, below),
;      and the steps 4-5 are skipped.
;   4. It reads the argument block into EDX (first 4 bytes) and ECX (the
;      rest), switches to SS:ESP = image segment : stack top from the image
;      header (upper half of ESP 0, as code16 Rust needs), with CS = DS = ES
;      = SS, keeping the caller's SS:ESP in SI:EDI, its frame in BP and the
;      call word in EBX (registers Rust preserves), and far-calls the
;      image's entry stub through the image header's far pointer (whose
;      segment word it writes first: the image's data, not code), EBX =
;      call word, DF clear.
;   5. Back with EAX = result and EDX nonzero when the status values may
;      have changed, it restores the caller's SS:ESP, copies the image's
;      status block over the status globals then (DGROUP found through a
;      segment fixup, not through DS), stores AX (and DX) of the result into
;      the saved registers, and pops everything.
; Not reentrant: one private stack; do not call from interrupt handlers (the
; MS VMM was not reentrant either).
; When the program ends: from _vheapinit to _vheapterm the terminate address
;   in the program's PSP (offset 0Ah; the PSP from INT 21h AH=62h) points
;   into the image (src/dos/exitguard.rs), so that however the program ends
;   its XMS, EMS and swap file are given back; nothing here is involved.
; ---------------------------------------------------------------------------

        bits 16
        cpu 386

%ifndef VM_IMAGE_FILE
  %error "define VM_IMAGE_FILE: the library image (objcopy -O binary of vmmimage)"
%endif
%ifndef VM_IMAGE_TOP
  %error "define VM_IMAGE_TOP: the image's stack top (header word at offset 6)"
%endif
%ifndef VM_VERSION
  %error "define VM_VERSION: the release, as a quoted string (Cargo.toml's version)"
%endif

%ifdef VM_BIN
  %ifndef VM_CODE
    %error "VM_BIN: the includer must define VM_CODE and VM_DATA (section directives)"
  %endif
%else
        segment VMEMORY_TEXT public align=16 class=CODE use16
        segment _DATA public align=2 class=DATA use16
        group DGROUP _DATA
  %define VM_CODE segment VMEMORY_TEXT
  %define VM_DATA segment _DATA
%endif

; Image header words (src/cabi/mod.rs, src/cabi/image.ld).
VMH_MAGIC       equ 0
VMH_ENTRY       equ 2                   ; far pointer: offset (from the image) ...
VMH_ENTRY_SEG   equ 4                   ; ... and segment (written by the shim)
VMH_STACK       equ 6
VMH_STATUS      equ 14

; Return kinds in bits 4-5 of the call word.
RET_NONE        equ 0
RET_AX          equ 1
RET_DXAX        equ 2

VM_STATUS_WORDS equ 9

; After the status block (src/cabi/mod.rs StatusOut): what the hit path
; below needs: where the library's resident index is (the library publishes
; it when a heap opens or closes, and clears the hint at every call it runs).
VMS_HINT        equ VM_STATUS_WORDS * 2 ; the header of the last block found here (0: none)
VMS_INDEX_SEG   equ VMS_HINT + 2        ; segment of bucket 0 (0: always call the library)
VMS_INDEX_MASK  equ VMS_INDEX_SEG + 2   ; buckets - 1 (below 8000h)
VMS_ARENA_SEG   equ VMS_INDEX_MASK + 2  ; segment of the arena's paragraph 0
VMS_HITS        equ VMS_ARENA_SEG + 2   ; loads and locks answered here since the library ran

; A resident block's header (src/vmm/header.rs, STATE_WORD; src/cabi/mod.rs
; asserts these): HDR_PARAS paragraphs before the data, the flag byte and
; the lock count after it, the next region of its index bucket, its handle,
; and its hit count for the replacement policy (a byte, saturating).
HDR_PARAS       equ 2
HDR_FLAGS       equ 4
HDR_LOCKS       equ HDR_FLAGS + 1
HDR_DIRTY       equ 2
HDR_HNEXT       equ 6
HDR_HANDLE      equ 8
HDR_REFS        equ 20

; The call words of the three calls the hit path answers (VMFUNC below).
CALL_VLOAD      equ 6 | (RET_DXAX << 4) | (6 << 8)
CALL_VLOCK      equ 7 | (RET_DXAX << 4) | (4 << 8)
CALL_VUNLOCK    equ 8 | (RET_NONE << 4) | (6 << 8)

; The caller's frame in vm_common and vm_hit after SAVE (SS = caller's SS).
F_ES            equ 0
F_DS            equ 2
F_EDI           equ 4
F_ESI           equ 8
F_EBP           equ 12
F_ESP           equ 16
F_EBX           equ 20
F_EDX           equ 24
F_ECX           equ 28
F_EAX           equ 32
F_FLAGS         equ 36
F_NEAR          equ 38
F_CALL          equ 40
F_FAR           equ 42
F_ARGS          equ 46

; ---------------------------------------------------------------------------
; Status globals (KB402074), near data in DGROUP. See include/vmemory.h for
; their C types; every one is a 16-bit word, in this order, 18 bytes in all
; (src/cabi/mod.rs StatusBlock). Initial values = an uninitialized VMM.
; ---------------------------------------------------------------------------
        VM_DATA
        global _cPageDos, _fVmSwapping, _fVmDisableDisk, _fhVm, _fVmDisableEms
        global _fVmDisableXms, _segVmDos, _cVmPage, _fVmInitialized
_cPageDos:              dw 0
_fVmSwapping:           dw 0
_fVmDisableDisk:        dw 1
_fhVm:                  dw -1
_fVmDisableEms:         dw 1
_fVmDisableXms:         dw 1
_segVmDos:              dw 0
_cVmPage:               dw 0
_fVmInitialized:        dw 0

; ---------------------------------------------------------------------------
; Entry points
; ---------------------------------------------------------------------------
        VM_CODE
        global _VHEAPINIT, _VHEAPTERM, _VMALLOC, _VFREE, _VREALLOC
        global _VMSIZE, _VLOAD, _VLOCK, _VUNLOCK, _VLOCKCNT

; The caller's flags, registers, DS and ES onto its stack (the frame F_*),
; BP = the frame. FS and GS are not saved here: the library's far reads
; and writes load FS (src/dos/far.rs), so vm_enter saves it around the
; library call; nothing loads GS (the DOS, XMS and EMS calls keep it, as
; T_CABI checks after every call under each engine); the hit path, which
; uses FS, saves it itself.
%macro SAVE 0
        pushf
        pushad
        push ds
        push es
        mov bp, sp                      ; BP = caller's frame (SS = caller's SS)
%endmacro

; VMFUNC name, function number (src/cabi/mod.rs Function), argument bytes, return kind.
; _vload, _vlock and _vunlock (6, 7, 8) try the hit path first (vm_hit);
; the others go straight to the library (vm_common).
%macro VMFUNC 4
%1:
        push word ((%2) | ((%4) << 4) | ((%3) << 8))
  %if (%2) >= 6 && (%2) <= 8
        call vm_hit
  %else
        call vm_common
  %endif
  %if %3
        retf %3
  %else
        retf
  %endif
%endmacro

        VMFUNC _VHEAPINIT, 0, 6, RET_AX     ; int (unsigned dosmin, unsigned dosmax, unsigned swaparea)
        VMFUNC _VHEAPTERM, 1, 0, RET_NONE   ; void (void)
        VMFUNC _VMALLOC,   2, 4, RET_DXAX   ; _vmhnd_t (unsigned long size)
        VMFUNC _VFREE,     3, 4, RET_NONE   ; void (_vmhnd_t)
        VMFUNC _VREALLOC,  4, 8, RET_DXAX   ; _vmhnd_t (_vmhnd_t, unsigned long size)
        VMFUNC _VMSIZE,    5, 4, RET_DXAX   ; unsigned long (_vmhnd_t)
        VMFUNC _VLOAD,     6, 6, RET_DXAX   ; void __far * (_vmhnd_t, int dirty)
        VMFUNC _VLOCK,     7, 4, RET_DXAX   ; void __far * (_vmhnd_t)
        VMFUNC _VUNLOCK,   8, 6, RET_NONE   ; void (_vmhnd_t, int dirty)
        VMFUNC _VLOCKCNT,  9, 4, RET_AX     ; unsigned (_vmhnd_t)

; The hit path's pieces (in vm_hit; CS:SI + ST = the status block, FS =
; the block's header).
%define ST vm_image - ..@here

; COUNT: a load or lock of the block at FS, for the library's counts (to
; .undo when 65535 wait) and in its header for the replacement policy (a
; byte that stays at 255).
%macro COUNT 0
        inc word [cs:si + ST + VMS_HITS]
        jz .undo
        cmp byte [fs:HDR_REFS], 255     ; CF = below 255
        adc byte [fs:HDR_REFS], 0
%endmacro

vm_hit:
        SAVE
        push fs                         ; (the hit path's own: see SAVE)

        ; The hit path: _vload, _vlock or _vunlock of a resident block. The
        ; block is found through the library's resident index (as the
        ; library's hit path finds it, src/vmm/index.rs): the bucket of the
        ; handle's low word holds the first region of a chain through the
        ; headers; the block is the one whose header holds the handle, all 32
        ; bits (so stale, freed and forged handles find none). The header
        ; found last is tried first (the hint: the library clears it at
        ; every call it runs, since it may move or free blocks). The answer
        ; is the block's data pointer; the lock count and dirty flag are
        ; changed in the header as the library would, and a load or lock is
        ; counted in the header for the replacement policy (which folds it
        ; in when it next looks at the block) and in VMS_HITS (which the
        ; library adds to its counts the next time it runs). No status value
        ; changes, so the globals stay current. Anything else (not resident,
        ; a 256th lock, an unlock of an unlocked block, no heap) goes to the
        ; library. The status block is reached through CS (the image is in
        ; this segment, at vm_image), so this needs no DS.
        call ..@here
..@here:
        pop bx                          ; BX = IP of ..@here in CS
        mov si, [cs:bx + ST + VMH_STATUS]
        add si, bx                      ; CS:SI + ST = the status block
        ; ECX = the handle: the last 4 bytes of the argument block (4 bytes
        ; for _vlock(h), 6 for _vload(h, dirty) and _vunlock(h, dirty)).
        movzx di, byte [bp + F_CALL + 1]
        mov ecx, [bp + di + F_ARGS - 4]

        ; FS = the header of ECX's block: the hint first, then its chain in
        ; the index (the hint set to what it finds); not resident: the library.
        mov bx, [cs:si + ST + VMS_HINT]
        test bx, bx
        jz .walk
        mov fs, bx
        cmp ecx, [fs:HDR_HANDLE]
        je .found
.walk:  mov bx, [cs:si + ST + VMS_INDEX_SEG]
        test bx, bx
        jz .library
        mov fs, bx
        mov bx, cx
        and bx, [cs:si + ST + VMS_INDEX_MASK]
        add bx, bx
        mov bx, [fs:bx]                 ; BX = the chain's first region (0: none)
.chain: test bx, bx
        jz .library
        add bx, [cs:si + ST + VMS_ARENA_SEG]
        mov fs, bx                      ; FS = a resident block's header
        cmp ecx, [fs:HDR_HANDLE]
        je .hint
        mov bx, [fs:HDR_HNEXT]
        jmp .chain
.hint:  mov [cs:si + ST + VMS_HINT], fs
.found:
        cmp byte [bp + F_CALL], CALL_VLOAD & 0xFF   ; (the low bytes differ)
        je .load
        cmp byte [bp + F_CALL], CALL_VUNLOCK & 0xFF
        je .unlock
        cmp byte [fs:HDR_LOCKS], 255    ; _vlock
        je .library
        COUNT
        inc byte [fs:HDR_LOCKS]
        jmp .answer
.load:  COUNT
        cmp word [bp + F_ARGS], 0
        je .answer
        or byte [fs:HDR_FLAGS], HDR_DIRTY
.answer:
        mov bx, fs
        add bx, HDR_PARAS
        and word [bp + F_EAX], 0
        mov [bp + F_EDX], bx
        jmp .restore
.unlock:
        cmp byte [fs:HDR_LOCKS], 0
        je .library
        dec byte [fs:HDR_LOCKS]
        cmp word [bp + F_ARGS], 0
        je .restore
        or byte [fs:HDR_FLAGS], HDR_DIRTY
.restore:
        pop fs
        pop es
        pop ds
        popad
        popf
        ret 2                           ; drop the call word
.undo:  dec word [cs:si + ST + VMS_HITS]
.library:
        pop fs
        jmp short vm_saved              ; (one copy of the image's place: 8 bytes)

; Every call the hit path does not answer: into the library image.
vm_common:
        SAVE
vm_saved:
        call .here
.here:  pop bx                          ; BX = IP of .here in CS
        add bx, vm_image - .here        ; BX = offset of the image in CS (multiple of 16)
vm_enter:
        ; The image segment, from CS:IP: the image starts at a paragraph
        ; boundary at a fixed distance after the label.
        shr bx, 4
        mov ax, cs
        add ax, bx                      ; AX = image segment

        ; The argument block into registers, read from the caller's stack
        ; (SS) by its size (BH), never beyond it: EDX = its first 4 bytes,
        ; ECX = the 2 or 4 after them. EBX = the call word until the end
        ; (Rust keeps EBX, ESI, EDI and EBP).
        movzx ebx, word [bp + F_CALL]
        cmp bh, 4
        jb .args                        ; _vheapterm: none
        mov edx, [bp + F_ARGS]
        je .args                        ; 4 bytes: no more
        mov cx, [bp + F_ARGS + 4]
        cmp bh, 6
        je .args                        ; 6 bytes: a word more
        mov ecx, [bp + F_ARGS + 4]      ; 8 bytes: a dword more
.args:
        mov ds, ax
        mov es, ax
        cld

        ; Onto the private stack; the caller's SS:ESP stays in SI:EDI, its
        ; frame in BP (Rust keeps EBP).
        mov si, ss
        mov edi, esp
        mov ss, ax
        movzx esp, word [VMH_STACK]     ; DS = image: the header (no interrupt between the two)

        ; Far call to the entry stub through the header's far pointer (its
        ; segment is this image's: written here, as the image cannot know
        ; it): EBX = call word, EDX, ECX = arguments.
        mov [VMH_ENTRY_SEG], ax
        push fs                         ; the library's far accesses load FS
        call far [VMH_ENTRY]
        pop fs

        ; Back to the caller's stack (BP = its frame still); EAX = result.
        mov ss, si
        mov esp, edi                    ; (no interrupt between the two)

        ; Status block -> status globals, when the library says it changed
        ; (EDX nonzero). DS = image still: Rust code keeps DS.
        test dx, dx
        jz vm_status_done
        mov si, [VMH_STATUS]
vm_fix_dgroup:
%ifdef VM_BIN
        mov cx, VM_BIN_DGROUP           ; relative paragraph; MZ relocation at vm_fix_dgroup + 1
%else
        mov cx, seg _cPageDos           ; DGROUP, by segment fixup
%endif
        mov es, cx
        mov di, _cPageDos
        mov cx, VM_STATUS_WORDS
        rep movsw
vm_status_done:

        ; The result into the saved AX (and DX).
        test bl, 0x30
        jz vm_restore                   ; RET_NONE
        mov [bp + F_EAX], ax
        test bl, RET_DXAX << 4
        jz vm_restore                   ; RET_AX
        shr eax, 16
        mov [bp + F_EDX], ax
vm_restore:
        pop es
        pop ds
        popad
        popf
        ret 2                           ; drop the call word

; The release, where a hex viewer or `strings` finds it in the library and
; in every program linked with it (VMEMORY.TXT, "Version"); programs ask the
; header's _VMEMORY_VERSION. In the padding before the image: 16 bytes.
vm_version:
        db "vmemory ", VM_VERSION, 0

; ---------------------------------------------------------------------------
; The Rust library image, at a paragraph boundary of this segment, followed
; by the space for its .bss and private stack (reserved, not stored).
; ---------------------------------------------------------------------------
        align 16, db 0
vm_image:
        incbin VM_IMAGE_FILE
%ifdef VM_BIN
        times VM_IMAGE_TOP - ($ - vm_image) db 0
%else
        resb VM_IMAGE_TOP - ($ - vm_image)
%endif
vm_image_end:
