use numpy::{PyArrayDyn, PyReadonlyArrayDyn, PyUntypedArrayMethods};
use pyo3::prelude::*;

use super::{contiguous, to_numpy};
use crate::engine::activity::{read, write};
use crate::engine::{Activity, EngineError, SharedActivity};

/// The values of an output, owned by the engine and shared with every reader.
#[pyclass(name = "Activity", module = "protobrain._core", frozen)]
pub struct PyActivity {
    pub(crate) inner: SharedActivity,
}

#[pymethods]
impl PyActivity {
    #[new]
    fn new(shape: Vec<usize>) -> PyResult<Self> {
        Ok(PyActivity {
            inner: Activity::zeros(&shape)?.shared(),
        })
    }

    #[getter]
    fn shape(&self) -> Vec<usize> {
        read(&self.inner).shape().to_vec()
    }

    #[getter]
    fn size(&self) -> usize {
        read(&self.inner).size()
    }

    /// A copy of the current values, shaped.
    fn snapshot<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArrayDyn<f64>>> {
        let (shape, values) = {
            let a = read(&self.inner);
            (a.shape().to_vec(), a.values().to_vec())
        };
        to_numpy(py, &shape, values)
    }

    /// Replaces the values; the array must have exactly this shape and finite values.
    fn assign(&self, values: PyReadonlyArrayDyn<'_, f64>) -> PyResult<()> {
        let mut a = write(&self.inner);
        if values.shape() != a.shape() {
            return Err(EngineError::ShapeMismatch {
                what: "output values".into(),
                expected: a.shape().to_vec(),
                found: values.shape().to_vec(),
            }
            .into());
        }
        Ok(a.assign(contiguous(&values)?)?)
    }
}
