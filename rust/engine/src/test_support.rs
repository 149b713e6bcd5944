//! Builders shared by the engine's unit tests.
use crate::activity::Activity;
use crate::connection::Connection;
use crate::error::Result;
use crate::source::Source;
use crate::test_random::uniform;
use crate::weights::Weights;

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
