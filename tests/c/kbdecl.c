/*
 * kbdecl.c - the status variables declared exactly as the sample program of
 * Microsoft KB402074 declares them, beside <vmemory.h> (which declares them
 * too, with the same types): this must compile unchanged. The three char
 * flags must read the right byte of the library's storage (the low byte of
 * a 16-bit word whose high byte is 0), segVmDos the cache's segment.
 *
 *   wcl -bt=dos -ml -I..\..\include kbdecl.c vmemory.lib   (or -ms -mm -mc)
 *
 * Prints "kbdecl: N checks, M failed"; the exit code is 0 when all passed.
 */
#include <stdio.h>
#include <vmemory.h>

extern unsigned _near cPageDos;
extern int _near fVmSwapping;
extern char _near fVmDisableDisk;
extern int _near fhVm;
extern char _near fVmDisableEms;
extern char _near fVmDisableXms;
extern int _near segVmDos;
extern unsigned _near cVmPage;
extern int _near fVmInitialized;

#include "check.h"

int main(void)
{
    _vmhnd_t h;
    char _far *p;

    check(fVmDisableDisk == 1 && fVmDisableEms == 1 && fVmDisableXms == 1,
          "before init: the char flags read 1");
    check(fhVm == -1 && fVmInitialized == 0 && cPageDos == 0 && segVmDos == 0,
          "before init: fhVm -1, nothing set");

    check(_vheapinit(0, 1024, _VM_DISK) != 0, "_vheapinit(0, 1024, _VM_DISK)");
    printf("     %u %d %d %d %d %d %04X %u %d\n", cPageDos, fVmSwapping, (int)fVmDisableDisk,
           fhVm, (int)fVmDisableEms, (int)fVmDisableXms, segVmDos, cVmPage, fVmInitialized);
    check(fVmDisableDisk == 0 && fVmDisableEms == 1 && fVmDisableXms == 1,
          "_VM_DISK: fVmDisableDisk reads 0 as char, the others 1");
    check(fhVm > 4 && fVmSwapping != 0 && fVmInitialized != 0, "swap file open, swapping");
    check(cPageDos == 4 && segVmDos != 0, "16 KB cache (4 pages) at segVmDos");
    h = _vmalloc(2000);
    p = (char _far *)_vload(h, _VM_DIRTY);
    check(h != _VM_NULL && p != NULL && ((unsigned long)p >> 16) >= (unsigned)segVmDos,
          "_vload points into the cache at segVmDos or above");
    _vheapterm();
    check(fVmDisableDisk == 1 && fhVm == -1 && fVmInitialized == 0 && segVmDos == 0,
          "after term: idle again");

    return checks_done("kbdecl");
}
