/*
 * vmcpp.cpp - <vmemory.h> from C++ (extern "C", unmangled __far __pascal
 * names, the status globals): a small RAII wrapper around a handle.
 *
 *   wcl -bt=dos -ml -I..\..\include vmcpp.cpp vmemory.lib   (or -ms -mm -mc)
 *
 * Prints "vmcpp: ok" (exit code 0) or "vmcpp: FAIL" (exit code 1).
 */
#include <stdio.h>
#include <vmemory.h>

class Block {
public:
    explicit Block(unsigned long n) : h(_vmalloc(n)) {}
    ~Block() { _vfree(h); }
    char __far *load(int dirty) { return (char __far *)_vload(h, dirty); }
    unsigned long size() const { return _vmsize(h); }
private:
    _vmhnd_t h;
    Block(const Block &);
    Block &operator=(const Block &);
};

int main()
{
    int ok = _vheapinit(0, 1024, _VM_ALLSWAP) != 0;
    {
        Block a(3000), b(5000), c(9000);
        char __far *p = a.load(_VM_DIRTY);
        ok = ok && p != 0;
        if (p != 0)
            p[2999] = 'x';
        ok = ok && b.load(_VM_DIRTY) != 0 && c.load(_VM_DIRTY) != 0;
        p = a.load(_VM_CLEAN);
        ok = ok && p != 0 && p[2999] == 'x';
        ok = ok && a.size() >= 3000 && fVmInitialized != 0 && cPageDos > 0;
    }
    _vheapterm();
    ok = ok && fVmInitialized == 0 && fhVm == -1;
    printf("vmcpp: %s\n", ok ? "ok" : "FAIL");
    return ok ? 0 : 1;
}
