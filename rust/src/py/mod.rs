//! Thin bindings: convert types, map errors, nothing else.
pub mod activity;
pub mod computation;
pub mod connection;
pub mod encoder;
pub mod learning;
pub mod network;
pub mod source;

use numpy::ndarray::{ArrayD, IxDyn};
use numpy::{IntoPyArray, PyArrayDyn};
use pyo3::exceptions::{PyIndexError, PyMemoryError, PyValueError};
use pyo3::prelude::*;

use crate::engine::EngineError;

impl From<EngineError> for PyErr {
    fn from(err: EngineError) -> PyErr {
        let message = err.to_string();
        match err {
            EngineError::InvalidParameter { .. } | EngineError::ShapeMismatch { .. } | EngineError::InvalidValue(_) => {
                PyValueError::new_err(message)
            }
            EngineError::Index(_) => PyIndexError::new_err(message),
            EngineError::Allocation { .. } => PyMemoryError::new_err(message),
        }
    }
}

/// A fresh numpy array of `shape` holding `values` (C order).
pub(crate) fn to_numpy<'py>(
    py: Python<'py>,
    shape: &[usize],
    values: Vec<f64>,
) -> PyResult<Bound<'py, PyArrayDyn<f64>>> {
    let array = ArrayD::from_shape_vec(IxDyn(shape), values).map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok(array.into_pyarray(py))
}

/// The contiguous data of an input array (the Python layer normalises contiguity first).
pub(crate) fn contiguous<'a>(array: &'a numpy::PyReadonlyArrayDyn<'_, f64>) -> PyResult<&'a [f64]> {
    array
        .as_slice()
        .map_err(|_| PyValueError::new_err("expected a C-contiguous float64 array"))
}
