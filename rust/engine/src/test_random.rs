//! Numbers for the engine's unit tests: a small deterministic generator (no dependency
//! needed), importing nothing so that any module's tests may use it.

/// `n` numbers in [0, 1) from a linear congruential generator.
pub(crate) fn uniform(seed: &mut u64, n: usize) -> Vec<f64> {
    (0..n)
        .map(|_| {
            *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (*seed >> 11) as f64 / (1u64 << 53) as f64
        })
        .collect()
}
