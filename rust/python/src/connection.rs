use std::sync::Arc;

use numpy::ndarray::ArrayViewMut2;
use numpy::{PyArray2, PyReadonlyArrayDyn};
use protobrain_engine::{Connection, SharedConnection, Weights};
use pyo3::prelude::*;

use crate::contiguous;
use crate::py_err;
use crate::source::PySource;

/// Keeps a connection's weights alive while numpy views of them exist; it is the `base`
/// of every array `Connection.synapses()` returns, so its reference count tells whether
/// any view is still held.
#[pyclass(name = "_WeightsBuffer", module = "protobrain._core", frozen)]
pub struct WeightsBuffer {
    #[allow(dead_code)]
    conn: SharedConnection,
}

/// A connected input: its source, the group shape it feeds and the weights between them.
#[pyclass(name = "Connection", module = "protobrain._core", frozen)]
pub struct PyConnection {
    pub(crate) inner: SharedConnection,
    buffer: Py<WeightsBuffer>,
}

#[pymethods]
impl PyConnection {
    /// Weights default to zeros; otherwise a C-contiguous float64 array of
    /// (source size) x (group size) elements, all finite.
    #[new]
    #[pyo3(signature = (source, post_shape, weights=None))]
    fn new(
        py: Python<'_>,
        source: PyRef<'_, PySource>,
        post_shape: Vec<usize>,
        weights: Option<PyReadonlyArrayDyn<'_, f64>>,
    ) -> PyResult<Self> {
        let pre = source.inner.size();
        let post = protobrain_engine::shape_size(&post_shape).map_err(py_err)?;
        let w = match weights {
            None => Weights::zeros(pre, post).map_err(py_err)?,
            Some(array) => {
                let mut w = Weights::zeros(pre, post).map_err(py_err)?;
                w.assign(contiguous(&array)?).map_err(py_err)?;
                w
            }
        };
        let inner = Arc::new(Connection::new(source.inner.clone(), post_shape, w).map_err(py_err)?);
        let buffer = Py::new(py, WeightsBuffer { conn: inner.clone() })?;
        Ok(PyConnection { inner, buffer })
    }

    /// A writable (pre, post) numpy view of the weights themselves: edits through it are
    /// what the next step uses. Learning checks every weight while such a view is alive.
    fn synapses<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let mut weights = self.inner.weights_mut();
        weights.mark_edited();
        let shape = (weights.pre(), weights.post());
        // SAFETY: the buffer is allocated once and never reallocated; `base` (the
        // WeightsBuffer) keeps the connection, hence the buffer, alive as long as the view.
        // Writes through the view happen with the GIL held, as do all engine calls here.
        let view = unsafe { ArrayViewMut2::from_shape_ptr(shape, weights.as_mut_ptr()) };
        let base = self.buffer.bind(py).clone().into_any();
        Ok(unsafe { PyArray2::borrow_from_array(&view, base) })
    }

    /// Replaces every weight (same number of elements, all finite).
    fn assign(&self, py: Python<'_>, values: PyReadonlyArrayDyn<'_, f64>) -> PyResult<()> {
        let mut weights = self.inner.weights_mut();
        let new = contiguous(&values)?;
        // `values` may be a view of these very weights (`inp.synapses = inp.synapses`):
        // copy it first rather than read and write the same memory at once.
        // (No catching up here: every weight is about to be replaced.)
        let ours = weights.address_range();
        let theirs = new.as_ptr() as usize;
        let overlaps = theirs < ours.end && ours.start < theirs + std::mem::size_of_val(new);
        if overlaps {
            #[allow(clippy::unnecessary_to_owned)] // the copy is the point: the memory overlaps
            weights.assign(&new.to_vec()).map_err(py_err)?;
        } else {
            weights.assign(new).map_err(py_err)?;
        }
        drop(weights);
        // Views handed out earlier may still be written through: the range is unknown again.
        self.after_learning(py);
        Ok(())
    }

    /// After writing the weights through a view that is no longer held: check them all,
    /// so learning can again skip the clip of weights it does not change.
    fn refresh_range(&self, py: Python<'_>) {
        if !self.views_alive(py) {
            self.inner.weights_mut().recheck_range();
        }
    }
}

impl PyConnection {
    /// Whether a numpy view of the weights is still referenced somewhere.
    pub(crate) fn views_alive(&self, py: Python<'_>) -> bool {
        // SAFETY: the object is alive (we hold a reference) and the GIL is held.
        unsafe { pyo3::ffi::Py_REFCNT(self.buffer.bind(py).as_ptr()) > 1 }
    }

    /// After the weights changed: if the user still holds a view, it must show every
    /// change (no pending decrements), and the weights may be edited through it before the
    /// next step, so their range is unknown again.
    pub(crate) fn after_learning(&self, py: Python<'_>) {
        if self.views_alive(py) {
            let mut weights = self.inner.weights_mut();
            weights.flush();
            weights.mark_edited();
        }
    }
}
