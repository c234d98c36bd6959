/*
 * msdecl.c - old code that declares the status variables itself, as
 * programs written for MSC 7.0 did (Microsoft KB402074): every one as a
 * near int, with the MSC keyword spellings _near and _far, and
 * _VM_NO_STATUS_DECLS so that <vmemory.h> leaves its own declarations out.
 * The three fVmDisable* flags, which <vmemory.h> declares char, must read
 * the same through an int (the library stores each as a 16-bit word whose
 * high byte is 0).
 *
 *   wcl -bt=dos -ml -I..\..\include msdecl.c vmemory.lib   (or -ms -mm -mc)
 *
 * Prints "msdecl: N checks, M failed"; the exit code is 0 when all passed.
 */
#define _VM_NO_STATUS_DECLS
#include <stdio.h>
#include <vmemory.h>

extern int _near cPageDos;
extern int _near fVmSwapping;
extern int _near fVmDisableDisk;
extern int _near fhVm;
extern int _near fVmDisableEms;
extern int _near fVmDisableXms;
extern int _near segVmDos;
extern int _near cVmPage;
extern int _near fVmInitialized;

#include "check.h"

static void show(const char *when)
{
    printf("     %s: %d %d %d %d %d %d %04X %d %d\n", when, cPageDos, fVmSwapping,
           fVmDisableDisk, fhVm, fVmDisableEms, fVmDisableXms, segVmDos, cVmPage,
           fVmInitialized);
}

int main(void)
{
    _vmhnd_t h;
    char _far *p;

    show("before init");
    check(fVmDisableDisk == 1 && fVmDisableEms == 1 && fVmDisableXms == 1,
          "before init: the three disable flags read 1 as int");
    check(fhVm == -1 && fVmInitialized == 0 && cPageDos == 0, "before init: fhVm -1, not initialized");

    check(_vheapinit(0, 1024, 0) != 0, "_vheapinit(0, 1024, 0)");
    show("no swap");
    check(fVmDisableDisk == 1 && fVmDisableEms == 1 && fVmDisableXms == 1,
          "no swap areas: the three disable flags read 1 as int");
    check(fVmInitialized == 1 && fVmSwapping == 0 && segVmDos != 0, "initialized, not swapping");
    _vheapterm();

    check(_vheapinit(0, 1024, _VM_DISK) != 0, "_vheapinit(0, 1024, _VM_DISK)");
    show("disk only");
    check(fVmDisableDisk == 0 && fVmDisableEms == 1 && fVmDisableXms == 1,
          "_VM_DISK: fVmDisableDisk reads 0, the others 1");
    check(fhVm > 4, "_VM_DISK: fhVm is a DOS file handle");
    h = _vmalloc(2000);
    p = (char _far *)_vload(h, _VM_DIRTY);
    check(h != _VM_NULL && p != NULL, "_vmalloc and _vload through _far pointers");
    _vheapterm();
    check(fVmDisableDisk == 1 && fhVm == -1 && fVmInitialized == 0, "after term: idle again");

    return checks_done("msdecl");
}
