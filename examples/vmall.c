/*
 * vmall.c - every function of <vmemory.h>, as a C program uses them.
 *
 *   wcl -bt=dos -ml -I..\include vmall.c vmemory.lib      (or -ms -mm -mc)
 *   wmake MODEL=l                    (in the release's EXAMPLES directory)
 *
 * Prints one line per step and "vmall: N errors" at the end; the exit code
 * is the number of errors (0 = all well). examples/vmall.rs is the same
 * program in Rust.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vmemory.h>

static int errors = 0;

static void check(int ok, const char *what)
{
    printf("%s %s\n", ok ? "ok  " : "FAIL", what);
    if (!ok)
        errors++;
}

static void status(const char *when)
{
    printf("     status %s: cPageDos=%u fVmSwapping=%d fVmDisableDisk=%d fhVm=%d "
           "fVmDisableEms=%d fVmDisableXms=%d segVmDos=%04X cVmPage=%u fVmInitialized=%d\n",
           when, cPageDos, fVmSwapping, (int)fVmDisableDisk, fhVm, (int)fVmDisableEms,
           (int)fVmDisableXms, segVmDos, cVmPage, fVmInitialized);
}

int main(void)
{
    _vmhnd_t h, h2, many[64];
    char __far *p;
    char __far *q;
    unsigned long size;
    unsigned i, j;
    int good;

    /* The release of the header (VMEMORY.TXT, "Version"). */
    printf("vmall: vmemory %s (_VMEMORY_VERSION %ld)\n", _VMEMORY_VERSION_STRING,
           (long)_VMEMORY_VERSION);
    check(_vlockcnt((_vmhnd_t)1) == 0, "_vlockcnt before _vheapinit is 0");
    /* 16 KB of DOS memory at most: blocks will be swapped out. */
    check(_vheapinit(0, 1024, _VM_ALLSWAP) != 0, "_vheapinit(0, 1024, _VM_ALLSWAP)");
    status("after _vheapinit");
    check(fVmInitialized != 0, "fVmInitialized is set");

    h = _vmalloc(1000);
    check(h != _VM_NULL, "_vmalloc(1000)");
    size = _vmsize(h);
    check(size >= 1000 && size <= 65530UL, "_vmsize >= 1000");
    check(_vmalloc(65531UL) == _VM_NULL, "_vmalloc(65531) fails");

    p = (char __far *)_vload(h, _VM_DIRTY);
    check(p != NULL, "_vload(h, _VM_DIRTY)");
    for (good = 1, i = 0; i < 1000; i++)
        good &= p[i] == 0;
    check(good, "a fresh block reads as zeros");
    _fstrcpy(p, "Hello from virtual memory");

    q = (char __far *)_vlock(h);
    check(q != NULL, "_vlock(h)");
    check(_vlockcnt(h) == 1, "_vlockcnt(h) == 1");
    check(_fstrcmp(q, "Hello from virtual memory") == 0, "locked block holds the text");
    _vunlock(h, _VM_DIRTY);
    check(_vlockcnt(h) == 0, "_vunlock: _vlockcnt(h) == 0");

    /* 64 blocks of 4000 bytes through a 16 KB cache. */
    for (i = 0; i < 64; i++) {
        many[i] = _vmalloc(4000);
        p = (char __far *)_vload(many[i], _VM_DIRTY);
        if (many[i] == _VM_NULL || p == NULL)
            break;
        for (j = 0; j < 4000; j++)
            p[j] = (char)(i + j * 3);
    }
    check(i == 64, "64 blocks of 4000 bytes allocated and written");
    for (good = 1, i = 0; i < 64; i++) {
        p = (char __far *)_vload(many[i], _VM_CLEAN);
        for (j = 0; p != NULL && j < 4000; j++)
            if (p[j] != (char)(i + j * 3))
                break;
        good &= p != NULL && j == 4000;
    }
    check(good, "every block reads back after swapping");
    status("while swapping");

    h2 = _vrealloc(h, 3000);
    check(h2 != _VM_NULL, "_vrealloc(h, 3000)");
    check(_vmsize(h2) >= 3000, "_vmsize >= 3000 after _vrealloc");
    p = (char __far *)_vload(h2, _VM_CLEAN);
    check(p != NULL && _fstrcmp(p, "Hello from virtual memory") == 0, "_vrealloc kept the contents");

    _vfree(h2);
    check(_vmsize(h2) == 0, "_vfree: the handle is dead");
    for (i = 0; i < 64; i++)
        _vfree(many[i]);
    _vheapterm();
    status("after _vheapterm");
    check(fVmInitialized == 0, "fVmInitialized is clear");

    printf("vmall: %d errors\n", errors);
    return errors;
}
