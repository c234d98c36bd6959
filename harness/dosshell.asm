; DOSSHELL.COM - the DOS shell of the qemu engine (harness/qemurun.sh).
;
; Build:  nasm -f bin -o DOSSHELL.COM harness/dosshell.asm
; Use:    SHELL=A:\DOSSHELL.COM C:\RUN.BAT      (in CONFIG.SYS)
;
; Runs the lines of a batch file the way the test harness writes them
; (harness/dostest.sh), one DOS session, then powers QEMU off:
;
;     @echo off                     skipped (so are "echo ..." and "rem ...")
;     set TMP=C:\TMP                into the environment of every later program
;     T_LEAK.EXE work > OUT.TXT     EXEC (INT 21h AX=4B00h), stdout to OUT.TXT
;     EXITCODE.COM > RC.TXT         EXEC; it reads the code of the program before
;
; Why not FreeCOM: the one on the FreeDOS floppy keeps about 100 KB of XMS
; while a batch runs and reads each child's exit code itself (a later INT 21h
; AH=4Dh then sees 0). This shell holds no XMS, and never calls AH=4Dh, so
; EXITCODE.COM reads the code the previous program left, as under DOSBox.
;
; At the end it flushes DOS's buffers (AH=0Dh) and writes a status byte to
; QEMU's isa-debug-exit port 0F4h (QEMU exits with (status << 1) | 1):
; 0 every line ran; 1 no batch file; 2 some EXEC or redirection failed.
; Progress goes to QEMU's debug console (port 0E9h): "DOSSHELL" when it
; starts (the runner's sign that the boot is over), each line, "DONE".
;
; Limits (the harness's batches stay within them): a batch of up to 8 KB,
; lines of up to 127 bytes, an environment of up to 1 KB, "set" appends
; (a second "set" of one name is not seen by programs), only ">" redirection.

        cpu     8086
        org     100h

BATCH_MAX       equ     8192
ENV_BYTES       equ     1024
EXIT_PORT       equ     0F4h
LOG_PORT        equ     0E9h

start:
        mov     sp, stack_top
        cld
        mov     di, fcb                 ; a blank FCB for every EXEC
        mov     cx, 37
        xor     al, al
        rep     stosb
        ; Give DOS back everything past our image, buffers and stack.
        mov     bx, (image_end - start + 100h + 15) / 16
        mov     ah, 4Ah                 ; ES = our PSP at entry
        int     21h

        mov     si, msg_hello
        call    log_str

        ; The environment for the children: empty, then "set" lines.
        mov     word [env_area], 0
        mov     word [env_used], 0
        mov     ax, cs
        mov     cl, 4
        mov     bx, env_area
        shr     bx, cl
        add     ax, bx
        mov     [exec_env], ax

        ; The batch file name: the command tail at 81h, spaces skipped.
        mov     si, 81h
        mov     cl, [80h]
        xor     ch, ch
        mov     di, batch_name
.skip:  jcxz    .named
        lodsb
        dec     cx
        cmp     al, ' '
        je      .skip
        cmp     al, 9
        je      .skip
.copy:  cmp     al, ' '
        jbe     .named
        stosb
        jcxz    .named
        lodsb
        dec     cx
        jmp     .copy
.named: mov     byte [di], 0
        cmp     di, batch_name
        je      no_batch

        ; Work where the batch is: its drive and that drive's root.
        cmp     byte [batch_name + 1], ':'
        jne     .read
        mov     dl, [batch_name]
        or      dl, 20h
        sub     dl, 'a'
        mov     ah, 0Eh                 ; select disk
        int     21h
        mov     dx, root_dir
        mov     ah, 3Bh                 ; chdir "\"
        int     21h

.read:  mov     dx, batch_name
        mov     ax, 3D00h               ; open for reading
        int     21h
        jc      no_batch
        mov     bx, ax
        mov     dx, batch
        mov     cx, BATCH_MAX - 1
        mov     ah, 3Fh
        int     21h
        jc      no_batch
        mov     [batch_len], ax
        mov     ah, 3Eh
        int     21h

        mov     si, batch
next_line:
        mov     bx, batch
        add     bx, [batch_len]
        cmp     si, bx
        jae     finish
        ; Copy one line into `line`, without CR/LF, leading blanks and "@".
        mov     di, line
.lead:  cmp     si, bx
        jae     .eol
        lodsb
        cmp     al, ' '
        je      .lead
        cmp     al, 9
        je      .lead
        cmp     al, '@'
        je      .lead
        dec     si
.char:  cmp     si, bx
        jae     .eol
        lodsb
        cmp     al, 10
        je      .eol
        cmp     al, 13
        je      .char
        cmp     di, line + 127
        jae     .char
        stosb
        jmp     .char
.eol:   mov     byte [di], 0
        push    si
        call    run_line
        pop     si
        jmp     next_line

finish:
        mov     ah, 0Dh                 ; flush DOS's buffers to the disk
        int     21h
        mov     si, msg_done
        call    log_str
        mov     al, [status]
power_off:
        out     EXIT_PORT, al
.halt:  hlt                             ; QEMU is gone; never reached
        jmp     .halt

no_batch:
        mov     si, msg_nobatch
        call    log_str
        mov     al, 1
        jmp     power_off

; run_line: runs the line in `line` (ASCIIZ).
run_line:
        mov     si, line
        cmp     byte [si], 0
        je      .ret
        call    log_str
        mov     si, crlf
        call    log_str
        mov     si, line
        mov     di, kw_echo
        call    keyword
        jnc     .ret
        mov     di, kw_rem
        call    keyword
        jnc     .ret
        mov     di, kw_set
        call    keyword
        jc      .exec
        jmp     do_set
.exec:  jmp     do_exec
.ret:   ret

; keyword: CF clear if the line at SI starts with the word at DI (lower case,
; ASCIIZ) followed by a blank or the end; SI is then past it.
keyword:
        push    si
.cmp:   mov     ah, [di]
        test    ah, ah
        jz      .end
        lodsb
        or      al, 20h
        cmp     al, ah
        jne     .no
        inc     di
        jmp     .cmp
.end:   mov     al, [si]
        cmp     al, ' '
        je      .yes
        test    al, al
        jz      .yes
.no:    pop     si
        stc
        ret
.yes:   add     sp, 2
        clc
        ret

; do_set: SI at "NAME=VALUE"; appends "NAME=VALUE",0 to the environment
; (the name in upper case, as COMMAND.COM does) and keeps the final 0.
do_set:
        call    skip_blanks
        mov     di, env_area
        add     di, [env_used]
        mov     bx, env_area + ENV_BYTES - 2
        mov     ah, 1                   ; still in the name
.ch:    lodsb
        test    al, al
        jz      .end
        cmp     al, '='
        jne     .up
        xor     ah, ah
.up:    test    ah, ah
        jz      .put
        cmp     al, 'a'
        jb      .put
        cmp     al, 'z'
        ja      .put
        sub     al, 20h
.put:   cmp     di, bx
        jae     .full
        stosb
        jmp     .ch
.end:   mov     byte [di], 0
        inc     di
        mov     byte [di], 0
        sub     di, env_area
        mov     [env_used], di
        ret
.full:  mov     byte [status], 2
        mov     si, msg_envfull
        jmp     log_str

; do_exec: SI at "PROG args [> FILE]".
do_exec:
        ; Program name up to a blank or ">".
        mov     di, prog_name
.name:  lodsb
        cmp     al, ' '
        je      .named
        cmp     al, '>'
        je      .named
        test    al, al
        jz      .named
        stosb
        jmp     .name
.named: mov     byte [di], 0
        dec     si
        ; Arguments up to ">" into the command tail (count, text, CR).
        mov     di, tail + 1
        mov     word [out_name], 0
.arg:   lodsb
        test    al, al
        jz      .tailend
        cmp     al, '>'
        je      .redir
        stosb
        jmp     .arg
.redir: call    skip_blanks
        mov     bx, out_name
.fname: lodsb
        cmp     al, ' '
        jbe     .fend
        mov     [bx], al
        inc     bx
        jmp     .fname
.fend:  mov     byte [bx], 0
.tailend:
        ; Drop blanks before ">" from the tail, then count it.
.trim:  cmp     di, tail + 1
        jbe     .count
        cmp     byte [di - 1], ' '
        jne     .count
        dec     di
        jmp     .trim
.count: mov     byte [di], 13
        mov     ax, di
        sub     ax, tail + 1
        mov     [tail], al

        ; Redirection: create the file and make it handle 1 for the child.
        mov     word [saved_out], 0FFFFh
        cmp     byte [out_name], 0
        je      .run
        mov     dx, out_name
        xor     cx, cx
        mov     ah, 3Ch                 ; create / truncate
        int     21h
        jc      .fail
        push    ax
        mov     bx, 1
        mov     ah, 45h                 ; keep our stdout
        int     21h
        pop     bx
        jc      .fail
        mov     [saved_out], ax
        mov     cx, 1
        mov     ah, 46h                 ; handle 1 := the file
        int     21h
        mov     ah, 3Eh                 ; the file's own handle is not needed
        int     21h

.run:   mov     word [exec_tail], tail
        mov     [exec_tail + 2], cs
        mov     word [exec_fcb1], fcb
        mov     [exec_fcb1 + 2], cs
        mov     word [exec_fcb2], fcb
        mov     [exec_fcb2 + 2], cs
        mov     [saved_sp], sp
        mov     dx, prog_name
        mov     bx, exec_block
        mov     ax, 4B00h
        int     21h
        ; DOS may return with any registers but CS:IP changed.
        cli
        mov     bx, cs
        mov     ss, bx
        mov     sp, [cs:saved_sp]
        sti
        mov     ds, bx
        mov     es, bx
        cld
        jnc     .back
        mov     byte [status], 2
        mov     si, msg_execfail
        call    log_str

.back:  mov     bx, [saved_out]
        cmp     bx, 0FFFFh
        je      .ret
        mov     cx, 1
        mov     ah, 46h                 ; handle 1 := our stdout again
        int     21h
        mov     ah, 3Eh
        int     21h
.ret:   ret
.fail:  mov     byte [status], 2
        mov     si, msg_redirfail
        jmp     log_str

skip_blanks:
        cmp     byte [si], ' '
        jne     .ret
        inc     si
        jmp     skip_blanks
.ret:   ret

; log_str: writes the ASCIIZ string at SI to the debug console.
log_str:
        lodsb
        test    al, al
        jz      .ret
        out     LOG_PORT, al
        jmp     log_str
.ret:   ret

msg_hello:      db      "DOSSHELL", 13, 10, 0
msg_done:       db      "DONE", 13, 10, 0
msg_nobatch:    db      "DOSSHELL: cannot read the batch file", 13, 10, 0
msg_execfail:   db      "DOSSHELL: EXEC failed", 13, 10, 0
msg_redirfail:  db      "DOSSHELL: cannot create the output file", 13, 10, 0
msg_envfull:    db      "DOSSHELL: environment full", 13, 10, 0
crlf:           db      13, 10, 0
kw_echo:        db      "echo", 0
kw_rem:         db      "rem", 0
kw_set:         db      "set", 0
root_dir:       db      "\", 0
status:         db      0

; The EXEC parameter block (INT 21h AX=4B00h).
exec_block:
exec_env:       dw      0
exec_tail:      dd      0
exec_fcb1:      dd      0
exec_fcb2:      dd      0

; ---- Uninitialised: not in the file.
        absolute $
        alignb  2
batch_len:      resw    1
env_used:       resw    1
saved_sp:       resw    1
saved_out:      resw    1
fcb:            resb    37
batch_name:     resb    80
prog_name:      resb    80
out_name:       resb    80
tail:           resb    130
line:           resb    130
batch:          resb    BATCH_MAX
        alignb  16
env_area:       resb    ENV_BYTES
                resb    1024
stack_top:
image_end:
