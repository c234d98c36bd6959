//! The ten MSC functions as the shim numbers them in its call word, and
//! the argument bytes each takes: the same numbers and bytes stand in the
//! shim's table (`VMFUNC` lines of `asm/vmemory.asm`), and the host test
//! `tests/cabi_table.rs` holds the two against each other.
//!
//! Plain data with no target cfg, so that host test can include this file.

/// One of the ten MSC functions, as numbered in the shim's call word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(transparent)]
pub struct Function(pub u8);

impl Function {
    /// `int _vheapinit(unsigned dosmin, unsigned dosmax, unsigned swaparea)`
    pub const VHEAPINIT: Self = Self(0);
    /// `void _vheapterm(void)`
    pub const VHEAPTERM: Self = Self(1);
    /// `_vmhnd_t _vmalloc(unsigned long size)`
    pub const VMALLOC: Self = Self(2);
    /// `void _vfree(_vmhnd_t h)`
    pub const VFREE: Self = Self(3);
    /// `_vmhnd_t _vrealloc(_vmhnd_t h, unsigned long size)`
    pub const VREALLOC: Self = Self(4);
    /// `unsigned long _vmsize(_vmhnd_t h)`
    pub const VMSIZE: Self = Self(5);
    /// `void __far *_vload(_vmhnd_t h, int dirty)`
    pub const VLOAD: Self = Self(6);
    /// `void __far *_vlock(_vmhnd_t h)`
    pub const VLOCK: Self = Self(7);
    /// `void _vunlock(_vmhnd_t h, int dirty)`
    pub const VUNLOCK: Self = Self(8);
    /// `unsigned _vlockcnt(_vmhnd_t h)`
    pub const VLOCKCNT: Self = Self(9);

    /// What the function returns, as the call word's bits 4-5 say (the
    /// shim's `RET_NONE` 0, `RET_AX` 1, `RET_DXAX` 2).
    pub const fn ret_kind(self) -> u8 {
        match self.0 {
            1 | 3 | 8 => 0,
            0 | 9 => 1,
            _ => 2,
        }
    }

    /// The low byte of the function's call word (number and return
    /// kind): what the entry stub compares to send `_vmalloc` and `_vfree`
    /// straight to their own entries.
    pub const fn call_byte(self) -> u8 {
        self.0 | self.ret_kind() << 4
    }

    /// Bytes of Pascal arguments the function takes (what its `retf n` pops).
    pub const fn arg_bytes(self) -> u16 {
        match self.0 {
            0 => 6,
            1 => 0,
            2 | 3 | 5 | 7 | 9 => 4,
            4 => 8,
            6 | 8 => 6,
            _ => 0,
        }
    }
}
