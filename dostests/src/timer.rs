//! Timing with sub-tick resolution: the BIOS tick count plus the PIT.
//!
//! The BIOS counts IRQ 0 in the dword at 0040:006Ch (about 18.2 ticks a
//! second, one per 65536 input clocks of PIT channel 0, whose input clock
//! runs at 1 193 182 Hz). Within a tick, channel 0's counter says how far
//! the current period has run. That is only unambiguous in mode 2 (rate
//! generator: the counter goes down by one per clock, once per tick); the
//! BIOS programs mode 3 (square wave), in which it goes down by two, twice
//! per tick. [`PitClock`] therefore switches channel 0 to mode 2 with the
//! same divisor (65536, so the tick rate is unchanged) and puts mode 3 back
//! when dropped, as Michael Abrash's Zen timer does.
//!
//! A reading is made with interrupts off: latch the counter (port 43h
//! command 00h, then low and high byte from port 40h), read the tick count,
//! and read the PIC's interrupt request register (OCW3 0Ah to port 20h). If
//! the counter has reloaded but IRQ 0 is still pending, the tick count lags
//! by one; [`PitClock::now`] corrects for that.
//!
//! What belongs here: the benchmark's clock. This is the one `asm!` outside
//! the library's real-mode layer (`vmemory::dos`): programming the PIT and
//! reading the PIC is test equipment, not something the library does, so it
//! lives with the programs that time things.

use core::arch::asm;

/// PIT input clock in Hz (one count every 838 ns).
pub const PIT_HZ: u32 = 1_193_182;

/// PIT clocks per BIOS tick (divisor 0 = 65536).
const CLOCKS_PER_TICK: u64 = 0x1_0000;

/// The BIOS tick count wraps to 0 at midnight after this many ticks.
const TICKS_PER_DAY: u64 = 0x18_00B0;

/// A point in time: PIT input clocks since midnight.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Instant(u64);

impl Instant {
    /// PIT clocks from `earlier` to `self` (one midnight wrap in between is
    /// allowed for).
    pub fn clocks_since(self, earlier: Instant) -> u64 {
        if self.0 >= earlier.0 {
            self.0 - earlier.0
        } else {
            self.0 + TICKS_PER_DAY * CLOCKS_PER_TICK - earlier.0
        }
    }

    /// Microseconds from `earlier` to `self`.
    pub fn micros_since(self, earlier: Instant) -> u64 {
        clocks_to_micros(self.clocks_since(earlier))
    }
}

/// Converts PIT clocks to microseconds (rounded down).
pub fn clocks_to_micros(clocks: u64) -> u64 {
    clocks * 1_000_000 / u64::from(PIT_HZ)
}

/// One raw reading, taken with interrupts off.
#[derive(Clone, Copy, Debug)]
struct Raw {
    /// Latched counter of channel 0 (0 stands for 65536).
    count: u16,
    /// BIOS tick count at 0040:006Ch.
    ticks: u32,
    /// PIC 1 interrupt request register (bit 0: IRQ 0 pending).
    irr: u8,
}

/// Channel 0 in mode 2 for as long as this guard lives; reads the time.
#[derive(Debug)]
pub struct PitClock {
    _private: (),
}

impl PitClock {
    /// Puts PIT channel 0 in mode 2 (rate generator) with divisor 65536, so
    /// the BIOS tick keeps its rate and the counter counts each clock once.
    pub fn start() -> Self {
        set_channel0_mode(0x34);
        Self { _private: () }
    }

    /// The current time.
    pub fn now(&self) -> Instant {
        let raw = read_raw();
        let elapsed = u64::from(0u16.wrapping_sub(raw.count));
        let mut ticks = u64::from(raw.ticks);
        // IRQ 0 pending while the counter is early in its period: the reload
        // happened before the latch, and the interrupt that counts it has
        // not run yet. (Pending with the counter late in its period means the
        // reload came after the latch, and the tick count is right.)
        if raw.irr & 1 != 0 && elapsed < CLOCKS_PER_TICK / 2 {
            ticks += 1;
        }
        Instant(ticks * CLOCKS_PER_TICK + elapsed)
    }
}

impl Drop for PitClock {
    /// Puts channel 0 back in mode 3 (square wave), divisor 65536: what the
    /// BIOS programs at boot.
    fn drop(&mut self) {
        set_channel0_mode(0x36);
    }
}

/// Programs PIT channel 0 with `control` (34h: mode 2, 36h: mode 3; both
/// channel 0, low then high byte, binary) and divisor 65536.
fn set_channel0_mode(control: u8) {
    // SAFETY: writes the control word to port 43h and the divisor 0 (65536)
    // as low then high byte to port 40h, with interrupts off so IRQ 0
    // cannot run between the three writes; the flags (IF) are restored by
    // popf. AL is the only register used.
    unsafe {
        asm!(
            "pushf",
            "cli",
            "out 0x43, al",
            "xor al, al",
            "out 0x40, al",
            "out 0x40, al",
            "popf",
            inout("al") control => _,
        );
    }
}

/// Latches channel 0 and reads it, the BIOS tick count and the PIC's IRR,
/// all with interrupts off so that no IRQ 0 falls between them.
fn read_raw() -> Raw {
    let (count, ticks, irr): (u16, u32, u8);
    // SAFETY: pushf/cli ... popf keep IF as the caller had it. Port 43h
    // command 00h latches channel 0, whose latch is then read low byte then
    // high byte from port 40h (the access mode `start` programmed). OCW3 0Ah
    // to port 20h selects the IRR for the next read of port 20h (also the
    // power-on default). The BIOS data area dword at 0040:006Ch is read
    // through ES, which is saved and restored inside this block. Registers:
    // AL scratch, CX the count, EDX the ticks (DX also the segment 0040h).
    // No `nomem`: the block must stay a compiler barrier, so that no work
    // being timed moves across it.
    unsafe {
        asm!(
            "pushf",
            "cli",
            "xor al, al",
            "out 0x43, al",
            "in al, 0x40",
            "mov cl, al",
            "in al, 0x40",
            "mov ch, al",
            "push es",
            "mov dx, 0x40",
            "mov es, dx",
            "mov edx, dword ptr es:[0x6C]",
            "pop es",
            "mov al, 0x0A",
            "out 0x20, al",
            "in al, 0x20",
            "popf",
            out("al") irr,
            out("cx") count,
            out("edx") ticks,
        );
    }
    Raw { count, ticks, irr }
}

/// A span of BIOS ticks (IRQ 0 periods of 65536 PIT clocks, about 18.2 a
/// second): the coarse clock of a run bounded by time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ticks(pub u32);

impl Ticks {
    /// The ticks in `seconds` (rounded down).
    pub fn from_seconds(seconds: u32) -> Self {
        Self((u64::from(seconds) * u64::from(PIT_HZ) / CLOCKS_PER_TICK) as u32)
    }

    /// This span in tenths of a second (rounded down).
    pub fn tenths(self) -> u32 {
        (u64::from(self.0) * CLOCKS_PER_TICK * 10 / u64::from(PIT_HZ)) as u32
    }
}

/// Time since a start, read from the BIOS tick count alone: the PIT is left
/// as the BIOS set it (unlike [`PitClock`]), which suits a long run that
/// only needs to know when to stop.
#[derive(Clone, Copy, Debug)]
pub struct Stopwatch {
    start: u32,
}

impl Stopwatch {
    /// Starts counting now.
    pub fn start() -> Self {
        Self {
            start: bios_ticks(),
        }
    }

    /// The ticks since [`Stopwatch::start`]; one midnight wrap of the tick
    /// count (to 0 after 1800B0h ticks) in between is allowed for.
    pub fn elapsed(&self) -> Ticks {
        let now = bios_ticks();
        Ticks(if now >= self.start {
            now - self.start
        } else {
            now + TICKS_PER_DAY as u32 - self.start
        })
    }
}

/// The BIOS tick count, the dword at 0040:006Ch.
fn bios_ticks() -> u32 {
    let p = vmemory::dos::far::FarPtr::new(vmemory::dos::far::Segment::new(0x40), 0x6C);
    // SAFETY: the BIOS data area is always readable; `read_u32` is one
    // 32-bit load, so IRQ 0 cannot update the count halfway through it.
    unsafe { p.read_u32() }
}
