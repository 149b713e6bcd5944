//! The Python bindings of protobrain: the native module `protobrain._core`, whose classes
//! are thin handles on the objects of the engine (the `protobrain-engine` crate). They
//! convert types, map errors and release the GIL, nothing else; `protobrain/` builds the
//! documented API on top of them.

mod activity;
mod computation;
mod connection;
mod encoders;
mod homeostasis;
mod learning;
mod likelihood;
mod network;
mod predictor;
mod sequence;
mod source;

use numpy::ndarray::{ArrayD, IxDyn};
use numpy::{IntoPyArray, PyArrayDyn};
use protobrain_engine::EngineError;
use pyo3::exceptions::{PyIndexError, PyMemoryError, PyValueError};
use pyo3::prelude::*;

/// The Python exception for an engine error: ValueError for bad parameters, shapes and
/// values, IndexError for a missing index, MemoryError for an impossible allocation.
/// (A function rather than `From`: neither type is this crate's, so the orphan rule
/// forbids `impl From<EngineError> for PyErr` here.)
pub(crate) fn py_err(err: EngineError) -> PyErr {
    let message = err.to_string();
    match err {
        EngineError::InvalidParameter { .. } | EngineError::ShapeMismatch { .. } | EngineError::InvalidValue(_) => {
            PyValueError::new_err(message)
        }
        EngineError::Index(_) => PyIndexError::new_err(message),
        EngineError::Allocation { .. } => PyMemoryError::new_err(message),
    }
}

/// The most dimensions an array the bindings build may have: numpy 1's limit, which
/// rust-numpy keeps (it panics above it) and the Python layer enforces for shapes.
pub(crate) const MAX_DIMENSIONS: usize = 32;

/// ValueError for a shape with more than [`MAX_DIMENSIONS`] dimensions (no array of it
/// can be built), rather than a panic in numpy's constructor.
pub(crate) fn check_dimensions(shape: &[usize]) -> PyResult<()> {
    if shape.len() > MAX_DIMENSIONS {
        return Err(PyValueError::new_err(format!(
            "a shape has at most {MAX_DIMENSIONS} dimensions, got {} ({shape:?})",
            shape.len()
        )));
    }
    Ok(())
}

/// A fresh numpy array of `shape` holding `values` (C order).
pub(crate) fn to_numpy<'py>(
    py: Python<'py>,
    shape: &[usize],
    values: Vec<f64>,
) -> PyResult<Bound<'py, PyArrayDyn<f64>>> {
    check_dimensions(shape)?;
    let array = ArrayD::from_shape_vec(IxDyn(shape), values).map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok(array.into_pyarray(py))
}

/// The contiguous data of an input array (the Python layer normalises contiguity first).
pub(crate) fn contiguous<'a>(array: &'a numpy::PyReadonlyArrayDyn<'_, f64>) -> PyResult<&'a [f64]> {
    array
        .as_slice()
        .map_err(|_| PyValueError::new_err("expected a C-contiguous float64 array"))
}

/// The native module. Its classes are handles on engine objects; `protobrain/` builds the
/// documented API on top of them.
#[pyo3::pymodule]
mod _core {
    #[pymodule_export]
    use crate::activity::PyActivity;
    #[pymodule_export]
    use crate::computation::PyComputation;
    #[pymodule_export]
    use crate::connection::{DraftBuffer, PoolDraft, PyConnection, WeightsBuffer};
    #[pymodule_export]
    use crate::encoders::PyNumericalEncoder;
    #[pymodule_export]
    use crate::homeostasis::PyDutyCycles;
    #[pymodule_export]
    use crate::learning::PyHebbian;
    #[pymodule_export]
    use crate::likelihood::{numpy_sum_mean_var, PyAnomalyLikelihood};
    #[pymodule_export]
    use crate::network::PyNetwork;
    #[pymodule_export]
    use crate::predictor::PyPredictor;
    #[pymodule_export]
    use crate::sequence::PySequenceMemory;
    #[pymodule_export]
    use crate::source::PySource;

    /// The package version, from the workspace's `Cargo.toml`: the one place it is written.
    #[pymodule_export]
    #[allow(non_upper_case_globals)] // Python's name for a module's version
    const __version__: &str = env!("CARGO_PKG_VERSION");
}
