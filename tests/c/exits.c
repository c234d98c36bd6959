/*
 * exits.c - the exit paths of a C program that uses the VMM, as the table
 * of the issue had them: it opens a heap with a 64 KB cache and one swap
 * area, swaps 2 MB out, and ends without _vheapterm (or with it, the
 * control). A second program run next (T_EXITS.EXE check, after
 * T_EXITS.EXE snap before this one) finds free XMS, free EMS pages, the EMS
 * handle count and the files in %TMP% as they were.
 *
 *   exits MODE AREA     MODE: term exit abort atexit return; AREA: 1 EMS, 2 XMS, 4 disk
 *
 *   term    _vheapterm, then exit(0)      exit    exit(0) without _vheapterm
 *   abort   abort() without _vheapterm    atexit  _vheapterm from an atexit handler
 *   return  return 0 from main without _vheapterm
 *
 *   wcl -bt=dos -ml -I..\..\include exits.c vmemory.lib
 *
 * Prints "exits MODE AREA: swapped N pages" after the work (N >= 448 for
 * 2 MB); exit code 1 if a call failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vmemory.h>

static void term_at_exit(void)
{
    _vheapterm();
}

int main(int argc, char **argv)
{
    unsigned area, i;
    const char *mode;

    if (argc < 3)
        return 2;
    mode = argv[1];
    area = (unsigned)atoi(argv[2]);
    if (!_vheapinit(4096, 4096, area)) {
        printf("exits %s %u: _vheapinit failed\n", mode, area);
        return 1;
    }
    for (i = 0; i < 64; i++) {
        _vmhnd_t h = _vmalloc(32768UL);
        char _far *p = h != _VM_NULL ? (char _far *)_vload(h, _VM_DIRTY) : NULL;
        if (p == NULL) {
            printf("exits %s %u: block %u failed\n", mode, area, i);
            return 1;
        }
        p[0] = (char)i;
        p[32767] = (char)i;
    }
    printf("exits %s %u: swapped %u pages\n", mode, area, cVmPage);
    fflush(stdout);
    if (strcmp(mode, "term") == 0) {
        _vheapterm();
        exit(0);
    }
    if (strcmp(mode, "exit") == 0)
        exit(0);
    if (strcmp(mode, "abort") == 0)
        abort();
    if (strcmp(mode, "atexit") == 0) {
        atexit(term_at_exit);
        exit(0);
    }
    return 0;
}
