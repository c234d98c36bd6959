//! The FIXUPP record's checks (OMF spec 1.1, FIXUPP): THREAD and FIXUP
//! subrecords, apart from the other records (`record`) because they are the
//! longest.

use crate::record::{Module, Reader};

/// FIXUPP: THREAD and FIXUP subrecords (OMF spec, FIXUPP).
///
/// Besides index ranges and locations, checks the rule C compilers' data
/// references depend on: a fixup whose target is a segment that belongs to
/// a group must use that group as its frame, or offsets come out relative
/// to the segment instead of DGROUP.
pub(crate) fn check_fixupp(
    m: &mut Module,
    r: &mut Reader<'_>,
    wide: bool,
    last: Option<(u16, u32, u32)>,
) -> Result<(), String> {
    let nseg = m.segments.len() as u16;
    let ngrp = m.groups.len() as u16;
    let next = m.externals.len() as u16;
    let check_index = |method: u8, i: u16| -> Result<(), String> {
        let (max, what) = match method {
            0 => (nseg, "segment"),
            1 => (ngrp, "group"),
            2 => (next, "external"),
            _ => return Ok(()),
        };
        if i == 0 || i > max {
            Err(format!("fixup names {what} {i}, undefined"))
        } else {
            Ok(())
        }
    };
    while !r.done() {
        let b = r.u8()?;
        if b & 0x80 == 0 {
            // THREAD: D bit 6, method bits 4-2, thread bits 1-0.
            let frame = b & 0x40 != 0;
            let method = (b >> 2) & 7;
            let thread = usize::from(b & 3);
            let datum = if method < 3 { r.index()? } else { 0 };
            check_index(method, datum)?;
            if frame {
                if method > 5 {
                    return Err(format!("frame thread method F{method} is not defined"));
                }
                m.frame_threads[thread] = Some((method, datum));
            } else {
                m.target_threads[thread] = Some((method & 3, datum));
            }
            continue;
        }
        // FIXUP: locat (2 bytes), fix data, frame datum, target datum, displacement.
        let lo = r.u8()?;
        let record_offset = u32::from(b & 3) << 8 | u32::from(lo);
        let location = (b >> 2) & 0x0F;
        let size = match location {
            0 | 4 => 1,
            1 | 2 | 5 => 2,
            3 | 9 | 13 => 4,
            11 => 6,
            _ => return Err(format!("fixup location type {location} is not defined")),
        };
        let (seg, data_at, len) = last.ok_or("FIXUP without a preceding LEDATA/LIDATA")?;
        if record_offset + size > len {
            return Err(format!(
                "fixup at {record_offset:#x} (+{size}) is past its data record ({len:#x} bytes)"
            ));
        }
        let fix = r.u8()?;
        let frame = if fix & 0x80 == 0 {
            let method = (fix >> 4) & 7;
            let datum = match method {
                0..=2 => r.index()?,
                3 => r.u16()?,
                4 | 5 => 0,
                _ => return Err(format!("frame method F{method} is not defined")),
            };
            check_index(method, datum)?;
            (method, datum)
        } else {
            m.frame_threads[usize::from((fix >> 4) & 3)]
                .ok_or("fixup uses an undefined frame thread")?
        };
        let target = if fix & 0x08 == 0 {
            let method = fix & 3;
            let datum = if method == 3 { r.u16()? } else { r.index()? };
            check_index(method, datum)?;
            (method, datum)
        } else {
            m.target_threads[usize::from(fix & 3)].ok_or("fixup uses an undefined target thread")?
        };
        if fix & 0x04 == 0 {
            r.offset(wide)?;
        }
        m.fixups += 1;
        let name = |(method, datum): (u8, u16)| -> String {
            // OMF indices count from 1.
            let nth = |names: &mut dyn Iterator<Item = &str>| {
                let i = usize::from(datum).checked_sub(1);
                i.and_then(|i| names.nth(i)).unwrap_or("?").to_string()
            };
            match method {
                0 => format!(
                    "segment {}",
                    nth(&mut m.segments.iter().map(|s| s.name.as_str()))
                ),
                1 => format!(
                    "group {}",
                    nth(&mut m.groups.iter().map(|g| g.name.as_str()))
                ),
                2 => format!(
                    "external {}",
                    nth(&mut m.externals.iter().map(String::as_str))
                ),
                3 => format!("frame {datum:#06x}"),
                4 => "location's frame".into(),
                _ => "target's frame".into(),
            }
        };
        const LOCS: [&str; 14] = [
            "low byte",
            "offset",
            "segment",
            "far pointer",
            "high byte",
            "offset (loader)",
            "?",
            "?",
            "?",
            "offset32",
            "?",
            "far pointer 48",
            "?",
            "offset32 (loader)",
        ];
        m.fixup_notes.push(format!(
            "{}+{:#06x} {} {}: frame {}, target {}",
            m.segments[usize::from(seg) - 1].name,
            data_at + record_offset,
            if b & 0x40 != 0 {
                "segment-relative"
            } else {
                "self-relative"
            },
            LOCS[usize::from(location)],
            name(frame),
            name(target),
        ));
        // A target segment in a group must be reached through the group.
        if target.0 == 0 {
            if let Some(gi) = m.groups.iter().position(|g| g.segments.contains(&target.1)) {
                let group_frame = frame == (1, gi as u16 + 1);
                if !group_frame {
                    return Err(format!(
                        "fixup to segment {} of group {} uses frame {}, not the group",
                        m.segments[usize::from(target.1) - 1].name,
                        m.groups[gi].name,
                        name(frame)
                    ));
                }
            }
        }
    }
    Ok(())
}
