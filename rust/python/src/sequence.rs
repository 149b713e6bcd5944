use numpy::{PyArray1, PyReadonlyArray1};
use protobrain_engine::{SequenceMemory, SequenceParams};
use pyo3::prelude::*;
use std::sync::Mutex;

use crate::py_err;

/// A sequence memory (HTM temporal memory) of the engine.
#[pyclass(name = "SequenceMemory", module = "protobrain._core", frozen)]
pub struct PySequenceMemory {
    inner: Mutex<SequenceMemory>,
}

impl PySequenceMemory {
    fn lock(&self) -> std::sync::MutexGuard<'_, SequenceMemory> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[pymethods]
impl PySequenceMemory {
    #[new]
    #[allow(clippy::too_many_arguments)] // the parameters of htm.core's TemporalMemory, by name
    #[pyo3(signature = (columns, cells_per_column, activation_threshold, min_threshold, initial_permanence,
        connected_permanence, permanence_increment, permanence_decrement, predicted_segment_decrement,
        max_new_synapses, max_segments_per_cell, max_synapses_per_segment, seed))]
    fn new(
        columns: usize,
        cells_per_column: usize,
        activation_threshold: u32,
        min_threshold: u32,
        initial_permanence: f64,
        connected_permanence: f64,
        permanence_increment: f64,
        permanence_decrement: f64,
        predicted_segment_decrement: f64,
        max_new_synapses: u32,
        max_segments_per_cell: u32,
        max_synapses_per_segment: u32,
        seed: u64,
    ) -> PyResult<Self> {
        let params = SequenceParams {
            columns,
            cells_per_column,
            activation_threshold,
            min_threshold,
            initial_permanence,
            connected_permanence,
            permanence_increment,
            permanence_decrement,
            predicted_segment_decrement,
            max_new_synapses,
            max_segments_per_cell,
            max_synapses_per_segment,
            seed,
        };
        Ok(PySequenceMemory {
            inner: Mutex::new(SequenceMemory::new(params).map_err(py_err)?),
        })
    }

    /// One step with the active `columns` (ascending, distinct).
    fn compute(&self, py: Python<'_>, columns: PyReadonlyArray1<'_, u32>, learn: bool) -> PyResult<()> {
        let columns = columns.as_array().to_vec();
        py.detach(|| self.lock().compute(&columns, learn)).map_err(py_err)
    }

    fn reset(&self) {
        self.lock().reset();
    }

    fn active_cells<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<u32>> {
        PyArray1::from_slice(py, self.lock().active_cells())
    }

    fn winner_cells<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<u32>> {
        PyArray1::from_slice(py, self.lock().winner_cells())
    }

    fn predicted_cells<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<u32>> {
        PyArray1::from_vec(py, self.lock().predicted_cells())
    }

    #[getter]
    fn anomaly(&self) -> f64 {
        self.lock().anomaly()
    }

    /// (live segments, live synapses).
    fn size(&self) -> (usize, usize) {
        self.lock().size()
    }

    /// Every segment as (cell, [(presynaptic cell, permanence), ...]), by cell then creation.
    fn segments(&self) -> Vec<(u32, Vec<(u32, f64)>)> {
        self.lock().segments()
    }
}
