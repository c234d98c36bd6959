/*
 * vmarray.c - a dynamic array that reserves a region of pages and commits
 * each page the first time it is touched: the reserve/commit example of
 * VirtualAlloc, ported to <vmemory.h>.
 *
 *   wcl -bt=dos -ml -I..\include vmarray.c vmemory.lib    (or -ms -mm -mc)
 *   wmake MODEL=l                    (in the release's EXAMPLES directory)
 *
 * Reserving costs nothing but a table of PAGELIMIT null handles; a page is
 * committed (_vmalloc) on its first write and printed; at the end every
 * page is checked and released. examples/vmarray.rs is the same in Rust.
 */
#include <stdio.h>
#include <stdlib.h>
#include <vmemory.h>

#define PAGELIMIT 80            /* pages in the reserved region */
#define PAGESIZE  4096U         /* bytes per page */
#define PER_PAGE  (PAGESIZE / sizeof(long))
#define STRIDE    16            /* every STRIDE-th element is written */

/* The value element i holds at the end (unwritten ones read as 0). */
#define EXPECTED(i) ((i) % STRIDE == 0 ? (long)(i) * 7 : 0L)

static _vmhnd_t pages[PAGELIMIT]; /* the reserved region: _VM_NULL = not committed */
static unsigned committed = 0;

/* The far pointer to element i for writing, committing its page first. */
static long __far *touch(unsigned long i)
{
    unsigned page = (unsigned)(i / PER_PAGE);
    long __far *base;

    if (page >= PAGELIMIT) {
        printf("element %lu is outside the reserved region\n", i);
        exit(2);
    }
    if (pages[page] == _VM_NULL) {
        pages[page] = _vmalloc(PAGESIZE);
        if (pages[page] == _VM_NULL) {
            printf("cannot commit page %u\n", page);
            exit(3);
        }
        committed++;
        printf("Committed page %u (%u committed).\n", page, committed);
    }
    base = (long __far *)_vload(pages[page], _VM_DIRTY);
    if (base == NULL) {
        printf("cannot load page %u\n", page);
        exit(4);
    }
    return base + (unsigned)(i % PER_PAGE);
}

int main(void)
{
    unsigned long i, n = (unsigned long)PAGELIMIT * PER_PAGE;
    unsigned page, bad = 0;
    long __far *p;

    if (!_vheapinit(0, _VM_ALLDOS, _VM_ALLSWAP)) {
        printf("_vheapinit failed\n");
        return 1;
    }
    printf("Reserved %u pages of %u bytes.\n", PAGELIMIT, PAGESIZE);

    /* Touch every third page, then fill the array from the end backwards:
       each page is committed exactly once, when first written. */
    for (page = 0; page < PAGELIMIT; page += 3)
        *touch((unsigned long)page * PER_PAGE + 1) = 0L;
    for (i = n; i-- > 0;)
        if (i % STRIDE == 0)
            *touch(i) = (long)i * 7;

    for (page = 0; page < PAGELIMIT; page++) {
        p = (long __far *)_vload(pages[page], _VM_CLEAN);
        for (i = 0; p != NULL && i < PER_PAGE; i++)
            if (p[(unsigned)i] != EXPECTED((unsigned long)page * PER_PAGE + i))
                break;
        if (p == NULL || i != PER_PAGE)
            bad++;
    }
    printf("%u pages committed, %u bad.\n", committed, bad);

    for (page = 0; page < PAGELIMIT; page++)
        _vfree(pages[page]);
    _vheapterm();
    printf("Released the region.\n");
    return bad != 0 || committed != PAGELIMIT;
}
