use numpy::PyArrayDyn;
use pyo3::prelude::*;

use super::activity::PyActivity;
use super::connection::PyConnection;
use super::to_numpy;
use crate::engine::{Computation, Connection};

/// A built-in computation (threshold or k-winners).
#[pyclass(name = "Computation", module = "protobrain._core", frozen)]
pub struct PyComputation {
    pub(crate) inner: Computation,
}

#[pymethods]
impl PyComputation {
    #[staticmethod]
    fn threshold(threshold: f64) -> PyResult<Self> {
        Ok(PyComputation {
            inner: Computation::threshold(threshold)?,
        })
    }

    #[staticmethod]
    fn k_winners(n: i64) -> PyResult<Self> {
        Ok(PyComputation {
            inner: Computation::k_winners(n)?,
        })
    }

    #[staticmethod]
    fn k_fraction(n: f64) -> PyResult<Self> {
        Ok(PyComputation {
            inner: Computation::k_fraction(n)?,
        })
    }

    /// The new 0/1 activity of a group of `post_shape` fed by `connections`.
    fn compute<'py>(
        &self,
        py: Python<'py>,
        connections: Vec<PyRef<'py, PyConnection>>,
        post_shape: Vec<usize>,
    ) -> PyResult<Bound<'py, PyArrayDyn<f64>>> {
        let conns: Vec<&Connection> = connections.iter().map(|c| &*c.inner).collect();
        let mut out = crate::engine::zeroed(crate::engine::shape_size(&post_shape)?, "an activity")?;
        self.inner.compute(&conns, &mut Vec::new(), &mut out)?;
        to_numpy(py, &post_shape, out)
    }

    /// Computes and stores the new activity straight into `output`.
    fn compute_into(&self, connections: Vec<PyRef<'_, PyConnection>>, output: PyRef<'_, PyActivity>) -> PyResult<()> {
        let conns: Vec<&Connection> = connections.iter().map(|c| &*c.inner).collect();
        Ok(self.inner.compute_into(&conns, &output.inner)?)
    }
}
