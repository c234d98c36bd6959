/*
 * vmemory.h - virtual memory management routines of vmemory, a
 * re-creation of the virtual memory manager of Microsoft C/C++ 7.0.
 *
 * Source compatible with MSC 7.0's <vmemory.h>: the same names, types,
 * constants and _INC_VMEMORY guard. Works with Open Watcom (wcc, wpp),
 * Microsoft C 6/7 and Visual C++ 1.x (_far, _pascal) and Borland C/C++
 * (far, pascal), in the small, medium, compact and large memory models.
 * Link with VMEMORY.LIB (see README, "Using it from C").
 *
 * Every function is __far __pascal: arguments pushed left to right, the
 * callee pops them, public names upper case without an added underscore
 * (_VMALLOC). The library saves every register but the result (AX or
 * DX:AX), including the upper halves of the 32-bit registers, FS and GS,
 * and runs on a private stack in its own segment; it needs a 386 or later.
 */

#ifndef _INC_VMEMORY

#if defined(__WATCOMC__)
#  define _VM_FAR    __far
#  define _VM_PASCAL __pascal
#  define _VM_NEAR   __near
#  define _VM_CDECL  __cdecl
#elif defined(__BORLANDC__) || defined(__TURBOC__)
#  define _VM_FAR    far
#  define _VM_PASCAL pascal
#  define _VM_NEAR   near
#  define _VM_CDECL  cdecl
#elif defined(_MSC_VER) && (_MSC_VER <= 600)
#  define _VM_FAR    _far
#  define _VM_PASCAL _pascal
#  define _VM_NEAR   _near
#  define _VM_CDECL  _cdecl
#else
#  define _VM_FAR    __far
#  define _VM_PASCAL __pascal
#  define _VM_NEAR   __near
#  define _VM_CDECL  __cdecl
#endif

/* virtual memory handle type */
typedef unsigned long _vmhnd_t;

/* null handle value */
#define _VM_NULL        ((_vmhnd_t) 0)

/* use all available DOS memory for virtual heap */
#define _VM_ALLDOS      0

/* swap areas */
#define _VM_EMS         1
#define _VM_XMS         2
#define _VM_DISK        4
#define _VM_ALLSWAP     (_VM_EMS | _VM_XMS | _VM_DISK)

/* not a swap area (vmemory): the cache in conventional memory only, as
   MSC 7.0 placed it; without it a cache of dosmax paragraphs goes to an
   upper memory block when one holds it all */
#define _VM_NOUMB       0x100

/* clean/dirty flags */
#define _VM_CLEAN       0
#define _VM_DIRTY       1

/*
 * vmemory's release (not in MSC 7.0, whose header had no version): as a
 * number, major * 10000 + minor * 100 + patch, for #if, and as a string.
 * The library carries "vmemory " and the same string in its code, where a
 * hex viewer or strings finds it in VMEMORY.LIB and in a linked program.
 */
#define _VMEMORY_VERSION        100
#define _VMEMORY_VERSION_STRING "0.1.0"

#ifdef __cplusplus
extern "C" {
#endif

/* function prototypes */
void _VM_FAR _VM_PASCAL _vfree(_vmhnd_t);
int _VM_FAR _VM_PASCAL _vheapinit(unsigned int, unsigned int, unsigned int);
void _VM_FAR _VM_PASCAL _vheapterm(void);
void _VM_FAR * _VM_FAR _VM_PASCAL _vload(_vmhnd_t, int);
void _VM_FAR * _VM_FAR _VM_PASCAL _vlock(_vmhnd_t);
unsigned int _VM_FAR _VM_PASCAL _vlockcnt(_vmhnd_t);
_vmhnd_t _VM_FAR _VM_PASCAL _vmalloc(unsigned long);
unsigned long _VM_FAR _VM_PASCAL _vmsize(_vmhnd_t);
_vmhnd_t _VM_FAR _VM_PASCAL _vrealloc(_vmhnd_t, unsigned long);
void _VM_FAR _VM_PASCAL _vunlock(_vmhnd_t, int);

/*
 * Status values of the virtual memory manager (as Microsoft KB402074 names
 * them), kept current after every call above. Near data in DGROUP, named
 * with a leading underscore (_cPageDos) as C data is; read them, do not
 * write them (the next call overwrites them). Each is one 16-bit word; the
 * three fVmDisable* flags are declared char as Microsoft's code declared
 * them: the low byte is the flag, the high byte is always 0, so code that
 * declares them int reads the same values.
 *
 *   cPageDos        4 KiB pages of DOS memory in the cache
 *   fVmSwapping     nonzero while a swap store (XMS, EMS, disk) is usable
 *   fVmDisableDisk  nonzero when disk swapping is off (not asked, no TMP,
 *                   no room for the file), or the file cannot grow (disk
 *                   full) until space is freed in it
 *   fhVm            DOS handle of the swap file, -1 when there is none
 *   fVmDisableEms   nonzero when EMS swapping is off (also while EMS is used up)
 *   fVmDisableXms   nonzero when XMS swapping is off (also while XMS is used up)
 *   segVmDos        segment of the cache's memory block, 0 when none;
 *                   A000h or above when the cache is in upper memory
 *                   (one block either way: cPageDos pages from there)
 *   cVmPage         4 KiB pages of swap space in use (65535 at most)
 *   fVmInitialized  nonzero between _vheapinit and _vheapterm
 *
 * The types are those of the sample program of Microsoft KB402074, so code
 * that declares them itself as that sample does (extern unsigned _near
 * cPageDos; ... extern int _near segVmDos; ...) compiles beside this header.
 * segVmDos is an int there: read it as (unsigned) for a segment above 7FFFh.
 * Old code that declares some of these itself with other types may define
 * _VM_NO_STATUS_DECLS before including this header.
 *
 * However the program ends without _vheapterm (exit, return from main,
 * abort, INT 21h AH=4Ch/00h, INT 20h, Ctrl-C, Abort after a critical
 * error), the library frees its XMS and EMS and deletes its swap file: it
 * hooks the terminate address in the program's PSP (offset 0Ah) from
 * _vheapinit to _vheapterm. A program that goes resident (TSR) keeps its
 * heap. See README, "When the program ends".
 */
#ifndef _VM_NO_STATUS_DECLS
extern unsigned int _VM_NEAR _VM_CDECL cPageDos;
extern int _VM_NEAR _VM_CDECL fVmSwapping;
extern char _VM_NEAR _VM_CDECL fVmDisableDisk;
extern int _VM_NEAR _VM_CDECL fhVm;
extern char _VM_NEAR _VM_CDECL fVmDisableEms;
extern char _VM_NEAR _VM_CDECL fVmDisableXms;
extern int _VM_NEAR _VM_CDECL segVmDos;
extern unsigned int _VM_NEAR _VM_CDECL cVmPage;
extern int _VM_NEAR _VM_CDECL fVmInitialized;
#endif

#ifdef __cplusplus
}
#endif

#define _INC_VMEMORY
#endif /* _INC_VMEMORY */
