//! The placement switch of `_vheapinit` (issue 24): `_VM_NOUMB` in the
//! `swaparea` argument asks the backends for conventional memory only,
//! changes nothing else (the swap areas it names open as without it), and
//! the safe API's `Config::upper_memory` is the same switch.

#[path = "support/fakes.rs"]
mod fakes;

use fakes::VecBackends;
use vmemory::vmm::*;

const ALL_STORES: [Option<u32>; 3] = [Some(1 << 20), Some(1 << 20), Some(1 << 20)];

/// `_vheapinit(0, 2048, swaparea)`: what the backends were asked and the
/// swap areas the status says are open.
fn init(swaparea: u16) -> (Option<bool>, SwapAreas) {
    let mut v = Vmm::new(VecBackends::new(8192, ALL_STORES));
    assert_eq!(v.vheapinit(0, 2048, swaparea), 1, "swaparea {swaparea:#x}");
    let open = v.status().stores_open;
    let asked = v.backends().last_upper;
    v.vheapterm();
    assert_eq!(v.backends().open, 0, "all closed");
    (asked, open)
}

#[test]
fn upper_memory_unless_vm_noumb() {
    for areas in [0, VM_EMS, VM_XMS, VM_DISK, VM_ALLSWAP] {
        let (asked, open) = init(areas);
        assert_eq!(asked, Some(true), "swaparea {areas:#x}: upper memory first");
        let (asked_low, open_low) = init(areas | VM_NOUMB);
        assert_eq!(asked_low, Some(false), "swaparea {areas:#x} | _VM_NOUMB");
        assert_eq!(open_low, open, "_VM_NOUMB opens the same swap areas");
        assert_eq!(open.bits(), areas, "the stores named are open");
    }
}

#[test]
fn vm_noumb_is_the_headers_value() {
    assert_eq!(VM_NOUMB, 0x100);
    assert_eq!(VM_NOUMB & VM_ALLSWAP, 0, "not a swap area bit");
    let header = include_str!("../include/vmemory.h");
    assert!(
        header.contains("#define _VM_NOUMB       0x100"),
        "vmemory.h defines _VM_NOUMB as 0x100"
    );
}
