; EXITCODE.COM - print the exit code of the previous program in decimal + CRLF
;
; Build:  nasm -f bin -o EXITCODE.COM harness/exitcode.asm
; Use in a batch file (works the same in DOSBox 0.74 and DOSBox-X, whose shells
; do not expand %ERRORLEVEL%):
;
;     PROG.EXE
;     EXITCODE.COM > RC.TXT
;
; RC.TXT then holds e.g. "42",13,10.  The text goes to DOS handle 1 (stdout),
; so the shell's redirection applies.  EXITCODE.COM exits with the same code it
; read, so ERRORLEVEL (IF ERRORLEVEL n) is left as PROG.EXE set it.

        cpu     8086
        org     100h

start:
        mov     ah, 4Dh                 ; get return code of the last child
        int     21h                     ; AL = exit code, AH = termination type
        mov     [code], al

        mov     di, crlf                ; write the digits backwards before CRLF
        mov     bl, 10
.digit:
        xor     ah, ah
        div     bl                      ; AL = AX / 10, AH = AX mod 10
        add     ah, '0'
        dec     di
        mov     [di], ah
        test    al, al
        jnz     .digit

        mov     dx, di                  ; DS:DX = first digit
        mov     cx, crlf + 2
        sub     cx, di                  ; digits + CR + LF
        mov     bx, 1                   ; stdout
        mov     ah, 40h
        int     21h

        mov     al, [code]              ; exit with the code we were given
        mov     ah, 4Ch
        int     21h

code:   db      0
digits: times 3 db 0                    ; at most "255"
crlf:   db      13, 10
