/*
 * conform.c - conformance client of the C ABI: every function of
 * <vmemory.h> with good and bad inputs, every return value and the status
 * globals checked after the calls, as compiled C code calls them.
 *
 *   wcl -bt=dos -ml -I..\..\include conform.c vmemory.lib   (or -ms -mm -mc)
 *
 * Covers: calls before _vheapinit and after _vheapterm, double init and
 * double term, sizes 0 / 1 / 65530 / 65531 / huge, the null handle,
 * forged handles (other generation, other slot, all ones), freed handles,
 * handles of an earlier init/term cycle, 255 nested locks and the refused
 * 256th, unlock of an unlocked block, free and realloc of a locked block,
 * _vrealloc's special cases (null handle allocates, size 0 frees), contents
 * surviving eviction through a 16 KB cache, a heap without swap space, an
 * impossible dosmin, _VM_ALLDOS, calls through function pointers, and the
 * nine status globals at each step.
 *
 * Prints one line per failed check ("FAIL ...") and, at the end,
 * "conform: N checks, M failed"; the exit code is 0 when all passed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vmemory.h>

#define CHECK_FAILURES_ONLY
#include "check.h"

static void show_status(const char *when)
{
    printf("# %s: cPageDos=%u fVmSwapping=%d fVmDisableDisk=%d fhVm=%d "
           "fVmDisableEms=%d fVmDisableXms=%d segVmDos=%04X cVmPage=%u fVmInitialized=%d\n",
           when, cPageDos, fVmSwapping, (int)fVmDisableDisk, fhVm, (int)fVmDisableEms,
           (int)fVmDisableXms, segVmDos, cVmPage, fVmInitialized);
}

/* The status globals of a VMM that is not initialized. */
static int status_idle(void)
{
    return cPageDos == 0 && fVmSwapping == 0 && fVmDisableDisk != 0 && fhVm == -1
        && fVmDisableEms != 0 && fVmDisableXms != 0 && segVmDos == 0 && cVmPage == 0
        && fVmInitialized == 0;
}

/* Every call on handle h fails and changes nothing visible (for the null
   handle too: _vrealloc(_VM_NULL, n) allocates, so dead() leaves it out). */
static int dead(_vmhnd_t h)
{
    int ok = 1;

    ok &= _vmsize(h) == 0;
    ok &= _vload(h, _VM_CLEAN) == NULL;
    ok &= _vload(h, _VM_DIRTY) == NULL;
    ok &= _vlock(h) == NULL;
    ok &= _vlockcnt(h) == 0;
    _vunlock(h, _VM_DIRTY);
    _vfree(h);
    ok &= _vmsize(h) == 0;
    return ok;
}

/* dead(), and _vrealloc of h fails too. */
static int dead_all(_vmhnd_t h)
{
    return dead(h) && _vrealloc(h, 100) == _VM_NULL && _vmsize(h) == 0;
}

static void fill(char __far *p, unsigned n, unsigned seed)
{
    unsigned i;

    for (i = 0; i < n; i++)
        p[i] = (char)(seed + i * 7);
}

static int holds(const char __far *p, unsigned n, unsigned seed)
{
    unsigned i;

    if (p == NULL)
        return 0;
    for (i = 0; i < n; i++)
        if (p[i] != (char)(seed + i * 7))
            return 0;
    return 1;
}

#define NBLK 40

int main(void)
{
    _vmhnd_t h, h1, h2, hbig, blk[NBLK], old[4];
    char __far *p;
    char __far *q;
    void *m;
    unsigned i, n;
    int ok;
    _vmhnd_t (_VM_FAR _VM_PASCAL *pmalloc)(unsigned long) = _vmalloc;
    void (_VM_FAR _VM_PASCAL *pfree)(_vmhnd_t) = _vfree;
    unsigned long (_VM_FAR _VM_PASCAL *psize)(_vmhnd_t) = _vmsize;

    check(sizeof(_vmhnd_t) == 4, "sizeof(_vmhnd_t) == 4");
    check(sizeof(void __far *) == 4, "sizeof(void __far *) == 4");

    /* ---- before _vheapinit ---- */
    show_status("before init");
    check(status_idle(), "status globals before the first call: idle values");
    check(_vmalloc(100) == _VM_NULL, "_vmalloc before init fails");
    check(_vrealloc(_VM_NULL, 100) == _VM_NULL, "_vrealloc(_VM_NULL) before init fails");
    check(dead_all(1), "handle 1 before init: every call fails");
    check(dead_all(0x00100001UL), "handle 0x00100001 before init: every call fails");
    _vheapterm();
    check(status_idle(), "_vheapterm before init: no effect");

    /* ---- impossible dosmin ---- */
    check(_vheapinit(0xFFFF, 0xFFFF, _VM_ALLSWAP) == 0, "_vheapinit(0xFFFF, ...) fails");
    check(status_idle(), "failed _vheapinit leaves the status idle");

    /* ---- init, double init ---- */
    check(_vheapinit(0, 1024, _VM_ALLSWAP) != 0, "_vheapinit(0, 1024, _VM_ALLSWAP)");
    show_status("after init");
    check(fVmInitialized != 0, "fVmInitialized set after init");
    check(segVmDos != 0, "segVmDos set after init");
    check(cPageDos > 0 && cPageDos <= 4, "cPageDos in 1..4 with dosmax 1024");
    check(_vheapinit(0, 1024, _VM_ALLSWAP) == 0, "second _vheapinit fails");
    check(fVmInitialized != 0, "second _vheapinit leaves the heap initialized");

    /* ---- sizes ---- */
    check(_vmalloc(0) == _VM_NULL, "_vmalloc(0) fails");
    check(_vmalloc(65531UL) == _VM_NULL, "_vmalloc(65531) fails");
    check(_vmalloc(0x10000UL) == _VM_NULL, "_vmalloc(65536) fails");
    check(_vmalloc(0xFFFFFFFFUL) == _VM_NULL, "_vmalloc(0xFFFFFFFF) fails");
    h1 = _vmalloc(1);
    check(h1 != _VM_NULL, "_vmalloc(1)");
    check(_vmsize(h1) == 16, "_vmsize of a 1-byte block is 16");
    /* A 65530-byte block cannot be loaded into a 16 KB cache: either
       _vmalloc refuses it or _vload does (the block then stays valid). */
    hbig = _vmalloc(65530UL);
    check(hbig == _VM_NULL || (_vmsize(hbig) == 65530UL && _vload(hbig, _VM_DIRTY) == NULL
                               && _vlock(hbig) == NULL && _vmsize(hbig) == 65530UL),
          "a 65530-byte block does not fit a 16 KB cache: NULL, no crash");
    if (hbig != _VM_NULL) {
        _vfree(hbig);
        check(dead_all(hbig), "freed 65530-byte block: every call fails");
    }

    /* ---- the null handle, forged handles ---- */
    check(dead(_VM_NULL), "_VM_NULL: every call but _vrealloc fails");
    h = _vmalloc(200);
    check(h != _VM_NULL, "_vmalloc(200)");
    p = (char __far *)_vload(h, _VM_DIRTY);
    check(p != NULL, "_vload(h, _VM_DIRTY)");
    if (p != NULL)
        fill(p, 200, 3);
    check(dead_all(h ^ 0x00100000UL), "forged handle (other generation): every call fails");
    check(dead_all(h ^ 0x00080000UL), "forged handle (other slot): every call fails");
    check(dead_all(0xFFFFFFFFUL), "forged handle 0xFFFFFFFF: every call fails");
    check(dead_all(0x000FFFFFUL), "forged handle 0x000FFFFF: every call fails");
    check(_vmsize(h) >= 200 && holds(_vload(h, _VM_CLEAN), 200, 3),
          "forged handles left the real block alone");

    /* ---- locks ---- */
    check(_vlockcnt(h) == 0, "_vlockcnt of a fresh block is 0");
    _vunlock(h, _VM_CLEAN);
    check(_vlockcnt(h) == 0, "_vunlock of an unlocked block: count stays 0");
    check(_vmsize(h) >= 200, "_vunlock of an unlocked block: block still valid");
    q = (char __far *)_vlock(h);
    check(q != NULL && holds(q, 200, 3), "_vlock returns the block's contents");
    for (ok = 1, n = 1; n < 255; n++) {
        p = (char __far *)_vlock(h);
        ok &= p == q;
    }
    check(ok, "254 more _vlock calls return the same address");
    check(_vlockcnt(h) == 255, "_vlockcnt == 255 after 255 locks");
    check(_vlock(h) == NULL, "the 256th _vlock fails");
    check(_vlockcnt(h) == 255, "the failed 256th _vlock leaves the count at 255");
    _vfree(h);
    check(_vmsize(h) >= 200 && _vlockcnt(h) == 255, "_vfree of a locked block is refused");
    check(_vrealloc(h, 400) == _VM_NULL, "_vrealloc of a locked block fails");
    check(_vmsize(h) >= 200 && _vmsize(h) < 400, "failed _vrealloc keeps the size");
    /* 39 KB of other blocks through the 16 KB cache: the locked one stays put. */
    for (i = 0; i < 10; i++) {
        blk[i] = _vmalloc(4000);
        p = (char __far *)_vload(blk[i], _VM_DIRTY);
        if (p != NULL)
            fill(p, 4000, i);
    }
    check(holds(q, 200, 3), "a locked block does not move while others are swapped");
    for (i = 0; i < 10; i++)
        _vfree(blk[i]);
    for (ok = 1, n = 255; n > 0; n--) {
        _vunlock(h, _VM_CLEAN);
        ok &= _vlockcnt(h) == n - 1;
    }
    check(ok, "each _vunlock lowers the count by one");
    _vunlock(h, _VM_DIRTY);
    check(_vlockcnt(h) == 0, "one _vunlock too many: count stays 0");

    /* ---- _vrealloc ---- */
    check(_vrealloc(h, 65531UL) == _VM_NULL, "_vrealloc(h, 65531) fails");
    check(holds(_vload(h, _VM_CLEAN), 200, 3), "failed _vrealloc keeps the contents");
    h2 = _vrealloc(h, 3000);
    check(h2 != _VM_NULL, "_vrealloc(h, 3000)");
    check(_vmsize(h2) >= 3000, "_vmsize >= 3000 after growing");
    check(holds(_vload(h2, _VM_CLEAN), 200, 3), "growing kept the contents");
    h2 = _vrealloc(h2, 100);
    check(h2 != _VM_NULL && _vmsize(h2) >= 100 && _vmsize(h2) < 200, "_vrealloc(h, 100) shrinks");
    check(holds(_vload(h2, _VM_CLEAN), 100, 3), "shrinking kept the first 100 bytes");
    check(_vrealloc(h2, 0) == _VM_NULL, "_vrealloc(h, 0) returns _VM_NULL");
    check(dead_all(h2), "_vrealloc(h, 0) freed the block");
    h = _vrealloc(_VM_NULL, 500);
    check(h != _VM_NULL && _vmsize(h) >= 500, "_vrealloc(_VM_NULL, 500) allocates");
    _vfree(h);
    check(dead_all(h), "freed handle: every call fails");
    h2 = _vmalloc(500);
    check(h2 != _VM_NULL && h2 != h, "a new block after _vfree gets a new handle");
    check(dead_all(h), "the freed handle stays dead after its slot is reused");
    _vfree(h2);

    /* ---- swapping: contents survive eviction ---- */
    for (n = 0; n < NBLK; n++) {
        blk[n] = _vmalloc(4000);
        p = (char __far *)_vload(blk[n], _VM_DIRTY);
        if (blk[n] == _VM_NULL || p == NULL)
            break;
        fill(p, 4000, n * 5);
    }
    check(n == NBLK, "40 blocks of 4000 bytes allocated and written");
    show_status("while swapping");
    check(fVmSwapping != 0, "fVmSwapping set while swapping");
    check(cVmPage > 0, "cVmPage > 0 while swapping");
    check(fVmDisableXms == 0 || fVmDisableEms == 0 || fVmDisableDisk == 0,
          "some swap store is enabled while swapping");
    check(fVmDisableDisk != 0 || fhVm != -1, "fhVm is a handle when disk swapping is on");
    for (ok = 1, i = 0; i < n; i++)
        ok &= holds(_vload(blk[i], _VM_CLEAN), 4000, i * 5);
    check(ok, "every block reads back after eviction");
    for (ok = 1, i = n; i-- > 0;)
        ok &= holds(_vlock(blk[i]), 4000, i * 5) && _vlockcnt(blk[i]) == 1;
    check(!ok, "not all 40 blocks can be locked in a 16 KB cache at once");
    for (i = 0; i < n; i++)
        _vunlock(blk[i], _VM_CLEAN);
    for (ok = 1, i = 0; i < n; i++)
        ok &= _vlockcnt(blk[i]) == 0;
    check(ok, "every lock count back to 0");
    for (i = 0; i < 4; i++)
        old[i] = blk[i];

    /* ---- function pointers ---- */
    h = pmalloc(300);
    check(h != _VM_NULL && psize(h) >= 300, "_vmalloc and _vmsize through function pointers");
    pfree(h);
    check(psize(h) == 0, "_vfree through a function pointer");

    /* ---- term, calls after term, double term ---- */
    _vheapterm();
    show_status("after term");
    check(status_idle(), "status globals after _vheapterm: idle values");
    check(_vmalloc(100) == _VM_NULL, "_vmalloc after term fails");
    check(dead_all(blk[5]), "a handle after term: every call fails");
    _vheapterm();
    check(status_idle(), "second _vheapterm: no effect");

    /* ---- a second cycle: old handles stay dead ---- */
    check(_vheapinit(0, 1024, _VM_ALLSWAP) != 0, "_vheapinit again after _vheapterm");
    for (i = 0; i < 4; i++)
        blk[i] = _vmalloc(4000);
    for (ok = 1, i = 0; i < 4; i++)
        ok &= blk[i] != _VM_NULL && dead_all(old[i]);
    check(ok, "handles of the first cycle are dead in the second");
    _vheapterm();
    check(status_idle(), "status idle after the second _vheapterm");

    /* ---- no swap space ---- */
    check(_vheapinit(0, 1024, 0) != 0, "_vheapinit(0, 1024, 0): no swapping");
    show_status("no swap");
    check(fVmDisableDisk != 0 && fVmDisableEms != 0 && fVmDisableXms != 0,
          "every swap store disabled");
    check(fVmSwapping == 0 && fhVm == -1 && cVmPage == 0, "not swapping, no swap file");
    for (n = 0; n < NBLK; n++) {
        blk[n] = _vmalloc(4000);
        p = (char __far *)_vload(blk[n], _VM_DIRTY);
        if (blk[n] == _VM_NULL || p == NULL)
            break;
        fill(p, 4000, n);
    }
    check(n > 0 && n < NBLK, "without swap space _vmalloc fails once the cache is full");
    for (ok = 1, i = 0; i < n; i++)
        ok &= holds(_vload(blk[i], _VM_CLEAN), 4000, i);
    check(ok, "the blocks that fit keep their contents");
    _vheapterm();
    check(status_idle(), "status idle after term");

    /* ---- _VM_ALLDOS ---- */
    check(_vheapinit(0, _VM_ALLDOS, _VM_ALLSWAP) != 0, "_vheapinit(0, _VM_ALLDOS, _VM_ALLSWAP)");
    show_status("all DOS");
    check(cPageDos > 4 && segVmDos != 0, "_VM_ALLDOS takes more than 16 KB");
    hbig = _vmalloc(65530UL);
    check(hbig != _VM_NULL && _vmsize(hbig) == 65530UL, "_vmalloc(65530) in a big cache");
    p = (char __far *)_vload(hbig, _VM_DIRTY);
    check(p != NULL, "_vload of the 65530-byte block");
    if (p != NULL) {
        for (ok = 1, i = 0; i < 65530U; i++)
            ok &= p[i] == 0;
        check(ok, "65530 fresh bytes read as zeros");
        fill(p, 65530U, 11);
    }
    h = _vmalloc(60000UL);
    p = (char __far *)_vload(h, _VM_DIRTY);
    check(h != _VM_NULL && p != NULL, "_vmalloc(60000) and _vload");
    if (p != NULL)
        fill(p, 60000U, 9);
    check(holds(_vload(hbig, _VM_CLEAN), 65530U, 11), "65530 bytes read back");
    check(holds(_vload(h, _VM_CLEAN), 60000U, 9), "60000 bytes read back");
    _vfree(hbig);
    _vfree(h);
    check(dead_all(hbig) && dead_all(h), "both big blocks freed");
    _vheapterm();
    check(status_idle(), "status idle after term");
    m = malloc(1000);
    check(m != NULL, "malloc works after _vheapterm");
    free(m);

    return checks_done("conform");
}
