use numpy::{PyArray1, PyReadonlyArray1};
use protobrain_engine::homeostasis::{read, write};
use protobrain_engine::{DutyCycles, SharedDutyCycles};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::activity::PyActivity;
use crate::py_err;

/// A group's duty cycles, shared with the engine group that reads and updates them.
#[pyclass(name = "DutyCycles", module = "protobrain._core", frozen)]
pub struct PyDutyCycles {
    pub(crate) inner: SharedDutyCycles,
}

#[pymethods]
impl PyDutyCycles {
    /// All zero, no update yet, for `units` units.
    #[new]
    fn new(units: usize) -> PyResult<Self> {
        Ok(PyDutyCycles {
            inner: DutyCycles::zeros(units).map_err(py_err)?.shared(),
        })
    }

    /// A copy of the duty cycles.
    fn values<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        PyArray1::from_slice(py, read(&self.inner).values())
    }

    /// How many updates they have had.
    #[getter]
    fn steps(&self) -> u64 {
        read(&self.inner).steps()
    }

    /// Replaces the values and the count (a saved state; values in [0, 1], as many as before).
    fn assign(&self, values: PyReadonlyArray1<'_, f64>, steps: u64) -> PyResult<()> {
        let values = values
            .as_slice()
            .map_err(|_| PyValueError::new_err("values must be contiguous"))?;
        let mut duty = write(&self.inner);
        if values.len() != duty.values().len() {
            return Err(PyValueError::new_err(format!(
                "{} duty cycles for {} units",
                values.len(),
                duty.values().len()
            )));
        }
        *duty = DutyCycles::from_parts(values.to_vec(), steps).map_err(py_err)?;
        Ok(())
    }

    /// One update from the group's output, over `period` steps at most.
    fn update(&self, output: PyRef<'_, PyActivity>, period: u64) -> PyResult<()> {
        let output = protobrain_engine::activity::read(&output.inner);
        write(&self.inner).update(output.values(), period).map_err(py_err)
    }
}
