use numpy::PyReadonlyArray1;
use protobrain_engine::Source;
use pyo3::exceptions::PyIndexError;
use pyo3::prelude::*;

use crate::activity::PyActivity;
use crate::py_err;

/// What a connection reads: a whole output, or values gathered from several.
#[pyclass(name = "Source", module = "protobrain._core", frozen)]
pub struct PySource {
    pub(crate) inner: Source,
}

#[pymethods]
impl PySource {
    /// Reads `activity` as it is.
    #[staticmethod]
    fn whole(activity: PyRef<'_, PyActivity>) -> Self {
        PySource {
            inner: Source::Whole(activity.inner.clone()),
        }
    }

    /// Element p reads `parts[part[p]]` at flat index `index[p]`.
    #[staticmethod]
    fn gather(
        shape: Vec<usize>,
        parts: Vec<PyRef<'_, PyActivity>>,
        part: PyReadonlyArray1<'_, i64>,
        index: PyReadonlyArray1<'_, i64>,
    ) -> PyResult<Self> {
        let to_usize = |v: &i64, what: &str| {
            usize::try_from(*v).map_err(|_| PyIndexError::new_err(format!("negative {what} {v} in a source pick")))
        };
        let part = part
            .as_array()
            .iter()
            .map(|v| {
                to_usize(v, "part").and_then(|p| {
                    u32::try_from(p).map_err(|_| PyIndexError::new_err(format!("source pick names part {p}, too many")))
                })
            })
            .collect::<PyResult<Vec<_>>>()?;
        let index = index
            .as_array()
            .iter()
            .map(|v| to_usize(v, "index"))
            .collect::<PyResult<Vec<_>>>()?;
        let parts = parts.iter().map(|p| p.inner.clone()).collect();
        Ok(PySource {
            inner: Source::gather(shape, parts, part, index).map_err(py_err)?,
        })
    }
}
