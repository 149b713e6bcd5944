use numpy::PyArrayDyn;
use protobrain_engine::{Computation, Connection};
use pyo3::prelude::*;

use crate::activity::PyActivity;
use crate::connection::PyConnection;
use crate::homeostasis::PyDutyCycles;
use crate::py_err;
use crate::to_numpy;

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
            inner: Computation::threshold(threshold).map_err(py_err)?,
        })
    }

    #[staticmethod]
    fn k_winners(n: i64) -> PyResult<Self> {
        Ok(PyComputation {
            inner: Computation::k_winners(n).map_err(py_err)?,
        })
    }

    #[staticmethod]
    fn k_fraction(n: f64) -> PyResult<Self> {
        Ok(PyComputation {
            inner: Computation::k_fraction(n).map_err(py_err)?,
        })
    }

    /// The same computation counting only connected synapses (weight >= `connected`).
    fn with_connected(&self, connected: f64) -> PyResult<Self> {
        Ok(PyComputation {
            inner: self.inner.with_connected(connected).map_err(py_err)?,
        })
    }

    /// The same k-winners computation boosting by duty cycles (`strength` > 0, `period` >= 1).
    fn with_boost(&self, strength: f64, period: u64) -> PyResult<Self> {
        let boost = protobrain_engine::Boost::new(strength, period).map_err(py_err)?;
        Ok(PyComputation {
            inner: self.inner.with_boost(boost).map_err(py_err)?,
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
        let mut out = protobrain_engine::zeroed(
            protobrain_engine::shape_size(&post_shape).map_err(py_err)?,
            "an activity",
        )
        .map_err(py_err)?;
        self.inner.compute(&conns, &mut Vec::new(), &mut out).map_err(py_err)?;
        to_numpy(py, &post_shape, out)
    }

    /// Computes and stores the new activity straight into `output`; `duty`, the group's
    /// duty cycles, is read when the computation boosts.
    #[pyo3(signature = (connections, output, duty=None))]
    fn compute_into(
        &self,
        connections: Vec<PyRef<'_, PyConnection>>,
        output: PyRef<'_, PyActivity>,
        duty: Option<PyRef<'_, PyDutyCycles>>,
    ) -> PyResult<()> {
        let conns: Vec<&Connection> = connections.iter().map(|c| &*c.inner).collect();
        self.inner
            .compute_into(&conns, &output.inner, duty.as_ref().map(|d| &d.inner))
            .map_err(py_err)
    }
}
