use numpy::ndarray::Array2;
use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1};
use protobrain_engine::activity::write;
use protobrain_engine::{EncoderKind, NumericalEncoder};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::activity::PyActivity;
use crate::py_err;

/// A simple or cyclic numerical encoder.
#[pyclass(name = "NumericalEncoder", module = "protobrain._core", frozen)]
pub struct PyNumericalEncoder {
    pub(crate) inner: NumericalEncoder,
}

#[pymethods]
impl PyNumericalEncoder {
    /// `kind` is "simple" or "cyclic".
    #[new]
    fn new(kind: &str, min_value: f64, max_value: f64, length: usize, sparsity: f64) -> PyResult<Self> {
        let kind = match kind {
            "simple" => EncoderKind::Simple,
            "cyclic" => EncoderKind::Cyclic,
            other => return Err(PyValueError::new_err(format!("unknown encoder kind {other:?}"))),
        };
        Ok(PyNumericalEncoder {
            inner: NumericalEncoder::new(kind, min_value, max_value, length, sparsity).map_err(py_err)?,
        })
    }

    /// The number of active bits.
    #[getter]
    fn width(&self) -> usize {
        self.inner.width()
    }

    /// The encoding of `value` as a new 0/1 float64 array.
    fn encode<'py>(&self, py: Python<'py>, value: f64) -> PyResult<Bound<'py, PyArray1<f64>>> {
        Ok(PyArray1::from_vec(py, self.inner.encode(value).map_err(py_err)?))
    }

    /// The encodings of `values` as a (len(values), length) bool array; ValueError naming
    /// the position of the first value outside the range.
    fn encode_rows<'py>(
        &self,
        py: Python<'py>,
        values: PyReadonlyArray1<'py, f64>,
    ) -> PyResult<Bound<'py, PyArray2<bool>>> {
        let values = values
            .as_slice()
            .map_err(|_| PyValueError::new_err("values must be contiguous"))?;
        let length = self.inner.length();
        let mut out = protobrain_engine::filled(values.len() * length, false, "encoded rows").map_err(py_err)?;
        self.inner.encode_rows(values, &mut out).map_err(py_err)?;
        let array =
            Array2::from_shape_vec((values.len(), length), out).map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok(array.into_pyarray(py))
    }

    /// Encodes `value` straight into a sensor's activity.
    fn encode_into(&self, value: f64, output: PyRef<'_, PyActivity>) -> PyResult<()> {
        // A bad value leaves the buffer unchanged.
        self.inner.encode_into(value, &mut write(&output.inner)).map_err(py_err)
    }
}
