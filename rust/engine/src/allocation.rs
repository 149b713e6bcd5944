//! Sizes and allocations that report an impossible size as an error instead of aborting.
use crate::error::{EngineError, Result};

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
pub fn zeroed(len: usize, what: &str) -> Result<Vec<f64>> {
    filled(len, 0.0, what)
}
