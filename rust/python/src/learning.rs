use protobrain_engine::{Connection, Hebbian};
use pyo3::prelude::*;

use crate::activity::PyActivity;
use crate::connection::PyConnection;
use crate::py_err;

/// Hebbian learning with fixed rates.
#[pyclass(name = "Hebbian", module = "protobrain._core", frozen)]
pub struct PyHebbian {
    pub(crate) inner: Hebbian,
}

#[pymethods]
impl PyHebbian {
    #[new]
    fn new(increase: f64, decrease: f64) -> PyResult<Self> {
        Ok(PyHebbian {
            inner: Hebbian::new(increase, decrease).map_err(py_err)?,
        })
    }

    /// One learning step of a group: its connected inputs and its output.
    fn learn(
        &self,
        py: Python<'_>,
        connections: Vec<PyRef<'_, PyConnection>>,
        output: PyRef<'_, PyActivity>,
    ) -> PyResult<()> {
        let conns: Vec<&Connection> = connections.iter().map(|c| &*c.inner).collect();
        let result = self.inner.learn_group(&conns, &output.inner);
        for c in &connections {
            c.after_learning(py);
        }
        result.map_err(py_err)
    }
}
