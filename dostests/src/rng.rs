//! Xorshift32 (Marsaglia 2003): the deterministic random numbers of the
//! benchmark's churn and of the test programs' random steps.

/// The generator's state (never 0).
pub struct XorShift32(pub u32);

impl XorShift32 {
    /// The next number.
    pub fn next_u32(&mut self) -> u32 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        x
    }
}
