use numpy::npyffi::flags::NPY_ARRAY_WRITEABLE;
use numpy::{PyArrayDyn, PyArrayMethods, PyReadonlyArrayDyn, PyUntypedArrayMethods};
use protobrain_engine::activity::{read, write};
use protobrain_engine::{Activity, EngineError, SharedActivity};
use pyo3::prelude::*;

use crate::contiguous;
use crate::py_err;

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
            inner: Activity::zeros(&shape).map_err(py_err)?.shared(),
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

    /// A read-only copy of the current values, shaped.
    fn snapshot<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArrayDyn<f64>>> {
        let a = read(&self.inner);
        super::check_dimensions(a.shape())?;
        // SAFETY: the array is new, C-contiguous and of `a.size()` elements; every element is
        // written before anyone sees it, and only then is it made read-only.
        unsafe {
            let array = PyArrayDyn::<f64>::new(py, a.shape(), false);
            std::ptr::copy_nonoverlapping(a.values().as_ptr(), array.data(), a.size());
            (*array.as_array_ptr()).fields.flags &= !NPY_ARRAY_WRITEABLE; // what PyArray_CLEARFLAGS does
            Ok(array)
        }
    }

    /// Replaces the values; the array must have exactly this shape and finite values.
    fn assign(&self, values: PyReadonlyArrayDyn<'_, f64>) -> PyResult<()> {
        let mut a = write(&self.inner);
        if values.shape() != a.shape() {
            return Err(py_err(EngineError::ShapeMismatch {
                what: "output values".into(),
                expected: a.shape().to_vec(),
                found: values.shape().to_vec(),
            }));
        }
        a.assign(contiguous(&values)?).map_err(py_err)
    }
}
