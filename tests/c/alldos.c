/*
 * alldos.c - what _vheapinit does to the C run-time's own memory: the
 * README's _VM_ALLDOS paragraph, checked with the real compiler.
 *
 *   wcl -bt=dos -ml -I..\..\include alldos.c vmemory.lib   (or -ms -mm -mc)
 *   alldos 1|2|3
 *
 * Needs CHILD.COM (any program that exits with code 0) in the current
 * directory. Run 1, _VM_ALLDOS: spawn fails with ENOMEM while the cache
 * holds all DOS memory and works after _vheapterm; malloc fails within
 * 100 KB, and after _vheapterm far allocations work again. Run 2, dosmax
 * 4096 (64 KB): the near heap still grows (a bounded cache is allocated
 * last-fit, at the top of memory, so the program's own block can still be
 * enlarged), and spawn and far allocations work. Run 3: _nheapgrow() before
 * _vheapinit keeps the near heap whole too. Each run ends with
 * "alldos N: C checks, M failed"; the exit code is 0 when all passed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <malloc.h>
#include <process.h>
#include <errno.h>
#include <vmemory.h>

#include "check.h"

static int child(void)
{
    errno = 0;
    return spawnl(P_WAIT, "CHILD.COM", "CHILD.COM", NULL);
}

/* How many 1 KB blocks malloc / _fmalloc give (at most 600 each); kept. */
static unsigned count(int far_heap)
{
    unsigned n = 0;

    while (n < 600 && (far_heap ? _fmalloc(1024) != NULL : malloc(1024) != NULL))
        n++;
    return n;
}

int main(int argc, char **argv)
{
    int run = argc > 1 ? atoi(argv[1]) : 0;
    unsigned n;
    int rc;

    /* Nothing is allocated before _vheapinit in any run, so every
       allocation below needs memory from DOS (or from DGROUP). */
    switch (run) {
    case 1: /* all DOS memory */
        check(_vheapinit(0, _VM_ALLDOS, _VM_ALLSWAP) != 0, "_vheapinit(0, _VM_ALLDOS, _VM_ALLSWAP)");
        printf("     cPageDos=%u segVmDos=%04X\n", cPageDos, segVmDos);
        rc = child();
        check(rc == -1 && errno == ENOMEM, "_VM_ALLDOS: spawn fails with ENOMEM");
        _vheapterm();
        check(child() == 0, "after _vheapterm: spawn works");
        /* (Spawning is not tried again once malloc has failed: Open
           Watcom's spawn then fails with ENOENT in the compact and large
           models even without this library, after _dos_allocmem and
           _dos_freemem of the same block.) */
        check(_vheapinit(0, _VM_ALLDOS, _VM_ALLSWAP) != 0, "_vheapinit(0, _VM_ALLDOS, _VM_ALLSWAP) again");
        n = count(0);
        printf("     malloc(1024) succeeded %u times\n", n);
        check(n < 100, "_VM_ALLDOS: malloc fails within 100 KB");
        _vheapterm();
        n = count(1);
        printf("     then _fmalloc(1024) succeeded %u times\n", n);
        check(n >= 100, "after _vheapterm: _fmalloc gets 100 KB more");
        break;
    case 2: /* a 64 KB cache */
        check(_vheapinit(0, 4096, _VM_ALLSWAP) != 0, "_vheapinit(0, 4096, _VM_ALLSWAP)");
        printf("     segVmDos=%04X\n", segVmDos);
        _nheapgrow();
        n = 0;
        while (n < 600 && _nmalloc(1024) != NULL)
            n++;
        printf("     _nheapgrow(), then _nmalloc(1024) succeeded %u times\n", n);
        check(n >= 30, "dosmax 4096: the near heap still grows (the cache sits at the top of memory)");
        check(child() == 0, "dosmax 4096: spawn works");
        n = count(1);
        printf("     _fmalloc(1024) succeeded %u times\n", n);
        check(n >= 100, "dosmax 4096: _fmalloc gets 100 KB");
        _vheapterm();
        break;
    case 3: /* _nheapgrow first */
        _nheapgrow();
        check(_vheapinit(0, 4096, _VM_ALLSWAP) != 0, "_nheapgrow(), then _vheapinit(0, 4096, _VM_ALLSWAP)");
        n = 0;
        while (n < 600 && _nmalloc(1024) != NULL)
            n++;
        printf("     _nmalloc(1024) succeeded %u times\n", n);
        check(n >= 30, "_nheapgrow before _vheapinit: the near heap keeps 30 KB or more");
        _vheapterm();
        break;
    default:
        printf("usage: alldos 1|2|3\n");
        return 2;
    }
    {
        char name[12];
        sprintf(name, "alldos %d", run);
        return checks_done(name);
    }
}
