//! The protobrain engine: pure Rust, no Python.
//!
//! Binary neuron groups whose activity lives in shared [`Activity`] buffers, connections
//! whose weights form a pre x post `f64` matrix ([`Weights`]), sources that read a whole
//! buffer or gather from several ([`Source`]), the built-in computations
//! ([`Computation`]: threshold and k-winners), Hebbian learning ([`Hebbian`]) and the
//! numerical encoders ([`NumericalEncoder`]). Every kernel does work proportional to the
//! activity, not to the matrix size, and follows the summation order of SPEC section 3 so
//! results are bit-identical to the numpy reference.

pub mod activity;
pub mod compute;
pub mod connection;
pub mod encode;
pub mod error;
pub mod group;
mod hebbian_rule;
mod kernels;
pub mod learn;
pub mod network;
pub mod parallel;
mod pending;
mod pipeline;
pub mod source;
#[cfg(test)]
mod test_support;
pub mod weights;

pub use activity::{Activity, SharedActivity};
pub use compute::Computation;
pub use connection::{Connection, SharedConnection};
pub use encode::{EncoderKind, NumericalEncoder};
pub use error::{EngineError, Result};
pub use group::{feed_backward, feed_forward, loop_back, Group};
pub use learn::Hebbian;
pub use network::{Network, Sensor};
pub use source::Source;
pub use weights::Weights;

/// Number of elements of a shape, or an error when the product overflows `usize`.
pub fn shape_size(shape: &[usize]) -> Result<usize> {
    shape.iter().try_fold(1usize, |acc, &d| {
        acc.checked_mul(d).ok_or_else(|| EngineError::Allocation {
            what: format!("an array of shape {shape:?}"),
            bytes: None,
        })
    })
}

/// Allocates a `Vec` of `len` copies of `value`, reporting an impossible size as an
/// [`EngineError::Allocation`] instead of aborting the process.
pub fn filled<T: Clone>(len: usize, value: T, what: &str) -> Result<Vec<T>> {
    let mut v: Vec<T> = Vec::new();
    v.try_reserve_exact(len).map_err(|_| EngineError::Allocation {
        what: what.to_string(),
        bytes: len.checked_mul(std::mem::size_of::<T>()),
    })?;
    v.resize(len, value);
    Ok(v)
}

/// [`filled`] with zeros.
pub(crate) fn zeroed(len: usize, what: &str) -> Result<Vec<f64>> {
    filled(len, 0.0, what)
}
