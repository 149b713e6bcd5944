//! Builders shared by the engine's unit tests.
use super::{Activity, Connection, Result, Source, Weights};

/// `n` numbers in [0, 1) from a small deterministic generator (no dependency needed).
pub(crate) fn uniform(seed: &mut u64, n: usize) -> Vec<f64> {
    (0..n)
        .map(|_| {
            *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (*seed >> 11) as f64 / (1u64 << 53) as f64
        })
        .collect()
}

/// A weight maker for the wiring functions, drawing from [`uniform`].
pub(crate) fn lcg_weights(seed: &mut u64) -> impl FnMut(usize, usize) -> Result<Weights> + '_ {
    move |pre, post| Weights::from_vec(pre, post, uniform(seed, pre * post))
}

/// A connection from a source holding `pre` to `post` units through `w` (row-major).
pub(crate) fn connection(pre: &[f64], w: Vec<f64>, post: usize) -> Connection {
    let a = Activity::zeros(&[pre.len()]).unwrap().shared();
    a.write().unwrap().assign(pre).unwrap();
    Connection::new(
        Source::Whole(a),
        vec![post],
        Weights::from_vec(pre.len(), post, w).unwrap(),
    )
    .unwrap()
}
