use std::sync::Arc;

use std::sync::Mutex;

use numpy::ndarray::{ArrayView1, ArrayViewMut1, ArrayViewMut2};
use numpy::{IntoPyArray, PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadonlyArrayDyn};
use protobrain_engine::{Connection, SharedConnection, SparseWeights, Synapses, Weights};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
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
        let mut synapses = self.inner.weights_mut();
        let weights = synapses.dense_mut().ok_or_else(|| {
            PyValueError::new_err("the weights are stored sparsely: read them with sparse_parts() or to_dense()")
        })?;
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
        let mut synapses = self.inner.weights_mut();
        let new = contiguous(&values)?;
        let Some(weights) = synapses.dense_mut() else {
            // A dense matrix is never a view of sparse weights: no overlap to fear.
            synapses.assign_dense(new).map_err(py_err)?;
            drop(synapses);
            self.after_learning(py);
            return Ok(());
        };
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
        drop(synapses);
        // Views handed out earlier may still be written through: the range is unknown again.
        self.after_learning(py);
        Ok(())
    }

    /// Sparse weights, kept sparse when that is smaller than a dense matrix: input `i`
    /// reaches units `indices[indptr[i]:indptr[i + 1]]` (strictly ascending) with weights
    /// `data` at the same places, all finite.
    #[staticmethod]
    fn sparse(
        py: Python<'_>,
        source: PyRef<'_, PySource>,
        post_shape: Vec<usize>,
        indptr: PyReadonlyArray1<'_, i64>,
        indices: PyReadonlyArray1<'_, i64>,
        data: PyReadonlyArray1<'_, f64>,
    ) -> PyResult<Self> {
        let pre = source.inner.size();
        let post = protobrain_engine::shape_size(&post_shape).map_err(py_err)?;
        let indptr = offsets(indptr.as_array())?;
        let indices = units(indices.as_array(), post)?;
        let data = data.as_array().to_vec();
        let weights = SparseWeights::from_csr(pre, post, indptr, indices, data).map_err(py_err)?;
        Self::build(py, source, post_shape, Synapses::compact(weights).map_err(py_err)?)
    }

    /// All-zero sparse weights on the synapses a [`PoolDraft`] lists by unit (its list is
    /// taken: the draft is empty afterwards). Fill them through `sparse_parts`, then call
    /// `compact`.
    #[staticmethod]
    fn from_pools(
        py: Python<'_>,
        source: PyRef<'_, PySource>,
        post_shape: Vec<usize>,
        draft: PyRef<'_, PoolDraft>,
    ) -> PyResult<Self> {
        let (col_start, rows) = draft.take(py)?;
        let pre = source.inner.size();
        let post = protobrain_engine::shape_size(&post_shape).map_err(py_err)?;
        let weights = py
            .detach(|| SparseWeights::from_columns(pre, post, col_start, rows))
            .map_err(py_err)?;
        // Kept sparse until its weights are filled in; `compact` decides the storage then.
        Self::build(py, source, post_shape, Synapses::Sparse(weights))
    }

    /// The number of units of the group fed.
    #[getter]
    fn post_size(&self) -> usize {
        self.inner.post_size()
    }

    /// Stores sparse weights densely when that is smaller (after they were filled in
    /// through `sparse_parts`); refused while a view of them is held.
    fn compact(&self, py: Python<'_>) -> PyResult<()> {
        if self.views_alive(py) {
            return Err(PyRuntimeError::new_err(
                "a view of the weights is still held; let it go first",
            ));
        }
        self.inner.weights_mut().compact_in_place().map_err(py_err)
    }

    /// Whether the weights are stored sparsely.
    #[getter]
    fn is_sparse(&self) -> bool {
        self.inner.weights().is_sparse()
    }

    /// The number of synapses stored (every pair of units for dense weights).
    #[getter]
    fn nnz(&self) -> usize {
        match &*self.inner.weights() {
            Synapses::Dense(w) => w.pre() * w.post(),
            Synapses::Sparse(w) => w.nnz(),
        }
    }

    /// `(indptr, indices, data)` of sparse weights, for a scipy.sparse array: int32 offsets
    /// and units when they fit (the units a read-only view), int64 copies otherwise; `data`
    /// is a writable view of the weights themselves.
    fn sparse_parts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, pyo3::types::PyTuple>> {
        let mut synapses = self.inner.weights_mut();
        let weights = synapses
            .sparse_mut()
            .ok_or_else(|| PyValueError::new_err("the weights are stored densely: read them with synapses()"))?;
        weights.mark_edited();
        let base = self.buffer.bind(py).clone().into_any();
        let small = weights.nnz() < i32::MAX as usize && weights.post() < i32::MAX as usize;
        let (indptr, indices) = if small {
            let indptr: Vec<i32> = weights.indptr().iter().map(|&p| p as i32).collect();
            let units = weights.indices();
            // SAFETY: u32 values below i32::MAX read the same as i32; the buffer lives as
            // long as `base` (the connection) and is never reallocated.
            let view = unsafe { ArrayView1::from_shape_ptr(units.len(), units.as_ptr() as *const i32) };
            let indices = unsafe { PyArray1::borrow_from_array(&view, base.clone()) };
            indices.readwrite().make_nonwriteable();
            (indptr.into_pyarray(py).into_any(), indices.into_any())
        } else {
            let indptr: Vec<i64> = weights.indptr().iter().map(|&p| p as i64).collect();
            let indices: Vec<i64> = weights.indices().iter().map(|&j| j as i64).collect();
            (indptr.into_pyarray(py).into_any(), indices.into_pyarray(py).into_any())
        };
        let nnz = weights.nnz();
        // SAFETY: as for `synapses`: never reallocated, kept alive by `base`, written with
        // the GIL held.
        let view = unsafe { ArrayViewMut1::from_shape_ptr(nnz, weights.data_ptr()) };
        let data = unsafe { PyArray1::borrow_from_array(&view, base) };
        pyo3::types::PyTuple::new(py, [indptr, indices, data.into_any()])
    }

    /// Replaces the weights of sparse weights whose pattern `indptr`/`indices` must be the
    /// connection's own.
    fn assign_sparse(
        &self,
        py: Python<'_>,
        indptr: PyReadonlyArray1<'_, i64>,
        indices: PyReadonlyArray1<'_, i64>,
        data: PyReadonlyArray1<'_, f64>,
    ) -> PyResult<()> {
        let mut synapses = self.inner.weights_mut();
        let post = synapses.post();
        let (indptr, indices) = (offsets(indptr.as_array())?, units(indices.as_array(), post)?);
        match &mut *synapses {
            Synapses::Sparse(w) => {
                if !w.same_pattern(&indptr, &indices) {
                    return Err(PyValueError::new_err(
                        "sparse synapses must keep the connection's pattern (the same synapses); \
                         connect the input again for another pattern",
                    ));
                }
                let data = data.as_array().to_vec(); // may be a view of these very weights
                w.assign(&data).map_err(py_err)?;
            }
            Synapses::Dense(w) => {
                let mut sparse = SparseWeights::from_csr(w.pre(), w.post(), indptr, indices, data.as_array().to_vec())
                    .map_err(py_err)?;
                let mut values = protobrain_engine::zeroed(w.pre() * w.post(), "dense weights").map_err(py_err)?;
                sparse.write_dense(&mut values);
                w.assign(&values).map_err(py_err)?;
            }
        }
        drop(synapses);
        self.after_learning(py);
        Ok(())
    }

    /// Every weight as a new dense (pre, post) array.
    fn to_dense<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let mut synapses = self.inner.weights_mut();
        let shape = [synapses.pre(), synapses.post()];
        let values = synapses.to_dense().map_err(py_err)?;
        let array =
            numpy::ndarray::Array2::from_shape_vec(shape, values).map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok(array.into_pyarray(py))
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
    fn build(py: Python<'_>, source: PyRef<'_, PySource>, post_shape: Vec<usize>, weights: Synapses) -> PyResult<Self> {
        let inner = Arc::new(Connection::new(source.inner.clone(), post_shape, weights).map_err(py_err)?);
        let buffer = Py::new(py, WeightsBuffer { conn: inner.clone() })?;
        Ok(PyConnection { inner, buffer })
    }

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

/// Offsets from Python: non-negative.
fn offsets(values: ArrayView1<'_, i64>) -> PyResult<Vec<usize>> {
    values
        .iter()
        .map(|&p| {
            usize::try_from(p)
                .map_err(|_| PyValueError::new_err(format!("sparse offsets must be non-negative, got {p}")))
        })
        .collect()
}

/// Unit indices from Python: in `0..post`.
fn units(values: ArrayView1<'_, i64>, post: usize) -> PyResult<Vec<u32>> {
    values
        .iter()
        .map(|&j| {
            u32::try_from(j)
                .ok()
                .filter(|&u| (u as usize) < post)
                .ok_or_else(|| PyValueError::new_err(format!("sparse unit indices must be in [0, {post}), got {j}")))
        })
        .collect()
}

/// The synapses of a sparse connection listed by unit, filled from Python before the
/// connection is built (`Connection.from_pools`): unit `j` reads inputs
/// `rows[offsets[j]:offsets[j + 1]]`, strictly ascending.
#[pyclass(name = "PoolDraft", module = "protobrain._core", frozen)]
pub struct PoolDraft {
    buffer: Py<DraftBuffer>,
}

/// A draft's lists, and the `base` of its `rows()` views: its reference count tells
/// whether a view is still held.
#[pyclass(name = "_DraftBuffer", module = "protobrain._core", frozen)]
pub struct DraftBuffer {
    lists: Mutex<Option<(Vec<usize>, Vec<u32>)>>,
}

const BUILT: &str = "the draft was already used (built into a connection, or refused as invalid)";

#[pymethods]
impl PoolDraft {
    /// Room for `sizes[j]` inputs of every unit `j`.
    #[new]
    fn new(py: Python<'_>, sizes: PyReadonlyArray1<'_, i64>) -> PyResult<Self> {
        let mut offsets = Vec::with_capacity(sizes.len()? + 1);
        offsets.push(0usize);
        for &k in sizes.as_array() {
            let k = usize::try_from(k)
                .map_err(|_| PyValueError::new_err(format!("pool sizes must be non-negative, got {k}")))?;
            let last = *offsets.last().expect("starts with 0");
            offsets.push(
                last.checked_add(k)
                    .ok_or_else(|| PyValueError::new_err("pool sizes overflow"))?,
            );
        }
        let total = *offsets.last().expect("starts with 0");
        let rows = protobrain_engine::filled(total, 0u32, "the pools of a sparse connection").map_err(py_err)?;
        let lists = Mutex::new(Some((offsets, rows)));
        Ok(PoolDraft {
            buffer: Py::new(py, DraftBuffer { lists })?,
        })
    }

    /// A writable uint32 view of every unit's inputs, unit after unit. It must be let go
    /// before the draft is built into a connection.
    fn rows<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray1<u32>>> {
        let buffer = self.buffer.bind(py);
        let mut lists = buffer.get().lists.lock().unwrap_or_else(|e| e.into_inner());
        let (_, rows) = lists.as_mut().ok_or_else(|| PyRuntimeError::new_err(BUILT))?;
        // SAFETY: the Vec is not reallocated or moved out while a view is alive (`take`
        // refuses then), and `base` (the buffer owning it) lives as long as the view.
        let view = unsafe { ArrayViewMut1::from_shape_ptr(rows.len(), rows.as_mut_ptr()) };
        Ok(unsafe { PyArray1::borrow_from_array(&view, buffer.clone().into_any()) })
    }
}

impl PoolDraft {
    fn take(&self, py: Python<'_>) -> PyResult<(Vec<usize>, Vec<u32>)> {
        let buffer = self.buffer.bind(py);
        // SAFETY: the object is alive (we hold a reference) and the GIL is held.
        if unsafe { pyo3::ffi::Py_REFCNT(buffer.as_ptr()) } > 1 {
            return Err(PyRuntimeError::new_err(
                "a view of the draft's rows is still held; let it go first",
            ));
        }
        let taken = buffer.get().lists.lock().unwrap_or_else(|e| e.into_inner()).take();
        taken.ok_or_else(|| PyRuntimeError::new_err(BUILT))
    }
}
