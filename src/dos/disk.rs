//! Drives: the free and total space DOS reports for a drive (INT 21h
//! AH=36h). Files on them are in [`file`](super::file).

use core::arch::asm;

/// Space on a drive as DOS counts it (INT 21h AH=36h).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DiskSpace {
    /// Bytes per cluster, the unit in which files take space.
    pub cluster_bytes: u32,
    /// Free clusters.
    pub free_clusters: u16,
    /// Clusters on the drive.
    pub total_clusters: u16,
}

impl DiskSpace {
    /// Free bytes (saturating at 4 GB).
    pub fn free_bytes(&self) -> u32 {
        self.cluster_bytes
            .saturating_mul(u32::from(self.free_clusters))
    }
}

/// Space on `drive` (0 = current, 1 = A:, ...), INT 21h AH=36h, or `None`
/// if DOS does not know the drive.
pub fn disk_space(drive: u8) -> Option<DiskSpace> {
    let (ax, bx, cx, dx): (u16, u16, u16, u16);
    // SAFETY: AH=36h returns AX = sectors per cluster (FFFFh: bad drive),
    // BX = free clusters, CX = bytes per sector, DX = total clusters.
    unsafe {
        asm!("int 0x21", inout("ax") 0x3600u16 => ax, out("bx") bx, out("cx") cx,
             inout("dx") u16::from(drive) => dx);
    }
    if ax == 0xFFFF {
        return None;
    }
    Some(DiskSpace {
        cluster_bytes: u32::from(ax).saturating_mul(u32::from(cx)),
        free_clusters: bx,
        total_clusters: dx,
    })
}

/// Free bytes on `drive` (0 = current, 1 = A:, ...), or `None` if DOS does
/// not know the drive. Out of line: the swap file's open and growth each
/// had a copy.
#[inline(never)]
pub fn disk_free_bytes(drive: u8) -> Option<u32> {
    disk_space(drive).map(|s| s.free_bytes())
}
