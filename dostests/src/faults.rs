//! The kinds of driver call the fault injector (`harness/faultinj.asm`)
//! tells apart, and how each one really fails: the list the fault walk
//! (`T_FAULT.EXE`) goes through.
//!
//! What belongs here: the kind numbers (the injector's table `kinds` holds
//! the same; `tests/fault_kinds.rs` checks both against the calls that
//! `src/dos` makes) and each kind's failures, taken from the drivers'
//! specifications. What does not: arming faults (`vmemory::dos::faults`).

use vmemory::dos::faults::Style;

/// One kind of call and the failures it may be given.
pub struct Kind {
    /// The injector's kind number.
    pub id: u8,
    /// What the call is.
    pub name: &'static str,
    /// How it fails: the style and the codes (one picked by the seed).
    pub style: Style,
    /// Codes (or short counts) the driver really answers with.
    pub codes: &'static [u16],
    /// A release (XMS free and release UMB, EMS deallocate, DOS close,
    /// delete and free memory): the walk keeps its fault armed through
    /// `_vheapterm`, where releases are made, and counts its calls through
    /// it.
    pub release: bool,
}

const fn kind(id: u8, name: &'static str, style: Style, codes: &'static [u16]) -> Kind {
    Kind {
        id,
        name,
        style,
        codes,
        release: false,
    }
}

const fn release(id: u8, name: &'static str, style: Style, codes: &'static [u16]) -> Kind {
    Kind {
        id,
        name,
        style,
        codes,
        release: true,
    }
}

/// Every kind, in the injector's order. Codes: XMS 3.0 (A0h out of memory,
/// A1h out of handles, A2h invalid handle, 82h A20 error, A7h invalid
/// length, A9h parity error, 80h not implemented), LIM EMS 4.0 (80h
/// internal error, 84h undefined function, 85h out of handles, 87h/88h
/// not enough pages, 8Ah page out of range, 8Dh/8Eh page map already saved/not saved,
/// A3h context corrupted; XMS AAh not locked, ADh lock failed), INT
/// 21h (02h file not found, 03h path not found, 04h no handles, 05h access denied, 06h invalid
/// handle, 08h out of memory, 1Dh write fault, 1Eh read fault, 53h failed
/// through INT 24h: a critical error answered Fail).
pub const KINDS: &[Kind] = &[
    kind(0, "XMS allocate", Style::Xms, &[0xA0, 0xA1]),
    kind(1, "XMS move", Style::Xms, &[0x82, 0xA9, 0xA7]),
    kind(2, "XMS reallocate", Style::Xms, &[0xA0, 0xA1]),
    kind(3, "XMS query free", Style::Xms, &[0xA0, 0x80]),
    kind(4, "XMS handle info", Style::Xms, &[0xA2]),
    release(5, "XMS free", Style::Xms, &[0xA2]),
    kind(6, "XMS version", Style::Xms, &[0x80]),
    kind(7, "EMS allocate", Style::Ems, &[0x87, 0x88, 0x85]),
    kind(8, "EMS map", Style::Ems, &[0x80, 0x8A]),
    kind(9, "EMS context 4Eh", Style::Ems, &[0x80, 0xA3]),
    kind(10, "EMS reallocate", Style::Ems, &[0x87, 0x88]),
    release(11, "EMS deallocate", Style::Ems, &[0x80]),
    kind(12, "EMS status/info", Style::Ems, &[0x80, 0x84]),
    kind(13, "DOS read", Style::Carry, &[0x05, 0x1E, 0x53]),
    kind(14, "DOS write", Style::Carry, &[0x05, 0x1D, 0x53]),
    kind(15, "DOS seek", Style::Carry, &[0x06]),
    kind(16, "DOS create", Style::Carry, &[0x04, 0x05, 0x03]),
    release(17, "DOS close", Style::Carry, &[0x06]),
    release(18, "DOS delete", Style::Carry, &[0x05]),
    kind(19, "DOS free space", Style::Ax, &[0xFFFF]),
    kind(20, "DOS allocate mem", Style::Carry, &[0x08]),
    release(21, "DOS free mem", Style::Carry, &[0x09]),
    kind(22, "DOS resize mem", Style::Carry, &[0x08]),
    kind(23, "DOS open", Style::Carry, &[0x04, 0x02, 0x05]),
    kind(24, "EMS page map 47h/48h", Style::Ems, &[0x80, 0x8D, 0x8E]),
    kind(25, "XMS lock/unlock", Style::Xms, &[0xAD, 0xAA]),
    // XMS 3.0 function 10h: B0h a smaller UMB is there, B1h none (the
    // cache then goes to conventional memory); 11h: B2h bad segment.
    kind(26, "XMS request UMB", Style::Xms, &[0xB0, 0xB1]),
    release(27, "XMS release UMB", Style::Xms, &[0xB2]),
];

/// Short counts for DOS reads and writes (kinds 13 and 14 also fail this
/// way): DOS moved fewer bytes than asked, without an error.
pub const SHORT_COUNTS: &[u16] = &[0, 1, 511];
