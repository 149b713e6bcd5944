use std::sync::{Mutex, MutexGuard};

use numpy::ndarray::Array2;
use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1};
use protobrain_engine::{Predictor, PredictorState};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::py_err;

/// The state of a predictor as Python sees it: steps, alpha, input size, categories per
/// step, weights per step, the history's record numbers, row pointers and active inputs.
type State<'py> = (
    Vec<usize>,
    f64,
    usize,
    Vec<usize>,
    Vec<Bound<'py, PyArray1<f64>>>,
    Bound<'py, PyArray1<u64>>,
    Bound<'py, PyArray1<u64>>,
    Bound<'py, PyArray1<u32>>,
);

/// `values` as `usize`s (row pointers, buckets), or a ValueError naming `what`.
fn to_usize(values: &PyReadonlyArray1<'_, u64>, what: &str) -> PyResult<Vec<usize>> {
    values
        .as_array()
        .iter()
        .map(|&v| usize::try_from(v).map_err(|_| PyValueError::new_err(format!("{what}: {v} is too large"))))
        .collect()
}

/// An n-step-ahead predictor (htm.core's `Predictor`) of the engine.
#[pyclass(name = "Predictor", module = "protobrain._core", frozen)]
pub struct PyPredictor {
    inner: Mutex<Predictor>,
}

impl PyPredictor {
    /// The engine predictor. Calls that release the GIL take the lock inside, so waiting
    /// here with the GIL held never blocks a holder that needs it.
    fn lock(&self) -> MutexGuard<'_, Predictor> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[pymethods]
impl PyPredictor {
    /// A predictor for the distances `steps` (distinct, each in 1..=2**20) learning at
    /// rate `alpha` in (0, 1].
    #[new]
    fn new(steps: Vec<usize>, alpha: f64) -> PyResult<Self> {
        Ok(PyPredictor {
            inner: Mutex::new(Predictor::new(&steps, alpha).map_err(py_err)?),
        })
    }

    /// The prediction distances, ascending.
    #[getter]
    fn steps(&self) -> Vec<usize> {
        self.lock().steps().to_vec()
    }

    #[getter]
    fn alpha(&self) -> f64 {
        self.lock().alpha()
    }

    /// The size of the patterns, fixed by the first one learned (0 before).
    #[getter]
    fn input_size(&self) -> usize {
        self.lock().input_size()
    }

    /// Per step: how many categories its classifier distinguishes (0 before it learned).
    #[getter]
    fn categories(&self) -> Vec<usize> {
        self.lock().classifiers().iter().map(|c| c.categories()).collect()
    }

    /// The record number of the last pattern learned since the last reset, if any.
    #[getter]
    fn last_record(&self) -> Option<u64> {
        self.lock().last_record()
    }

    /// Forgets the history, not the weights.
    fn reset(&self) {
        self.lock().reset();
    }

    /// Every step's distribution for the pattern whose inputs `active` (ascending,
    /// distinct) of `size` are on, in the order of the steps.
    fn infer<'py>(
        &self,
        py: Python<'py>,
        active: PyReadonlyArray1<'_, u32>,
        size: usize,
    ) -> PyResult<Vec<Bound<'py, PyArray1<f64>>>> {
        let active = active.as_array().to_vec();
        let pdfs = py.detach(|| self.lock().infer(&active, size)).map_err(py_err)?;
        Ok(pdfs.into_iter().map(|pdf| PyArray1::from_vec(py, pdf)).collect())
    }

    /// Learns record `record` with the pattern `active` of `size` inputs and `buckets`.
    fn learn(
        &self,
        py: Python<'_>,
        record: u64,
        active: PyReadonlyArray1<'_, u32>,
        size: usize,
        buckets: Vec<usize>,
    ) -> PyResult<()> {
        let active = active.as_array().to_vec();
        py.detach(|| self.lock().learn(record, &active, size, &buckets))
            .map_err(py_err)
    }

    /// A whole recording (its patterns as compressed rows), records numbered from
    /// `first_record`: inferred and, when `learn`, learned record by record with the GIL
    /// released. One (records, categories) array per step.
    #[allow(clippy::too_many_arguments)] // the rows, the buckets and how to run them
    fn run<'py>(
        &self,
        py: Python<'py>,
        indptr: PyReadonlyArray1<'_, u64>,
        indices: PyReadonlyArray1<'_, u32>,
        size: usize,
        buckets: PyReadonlyArray1<'_, u64>,
        learn: bool,
        first_record: u64,
    ) -> PyResult<Vec<Bound<'py, PyArray2<f64>>>> {
        let indptr = to_usize(&indptr, "row pointers")?;
        let buckets = to_usize(&buckets, "buckets")?;
        let indices = indices.as_array().to_vec();
        let records = indptr.len().saturating_sub(1);
        let outputs = py
            .detach(|| self.lock().run(&indptr, &indices, size, &buckets, learn, first_record))
            .map_err(py_err)?;
        outputs
            .into_iter()
            .map(|out| {
                let array = Array2::from_shape_vec((records, out.categories), out.values)
                    .map_err(|e| PyValueError::new_err(e.to_string()))?;
                Ok(array.into_pyarray(py))
            })
            .collect()
    }

    /// Everything the predictor holds: steps, alpha, input size, categories and weights per
    /// step, and the history (record numbers, row pointers, active inputs).
    fn state<'py>(&self, py: Python<'py>) -> State<'py> {
        let state = self.lock().state();
        let indptr: Vec<u64> = state.indptr.iter().map(|&i| i as u64).collect();
        (
            state.steps,
            state.alpha,
            state.input_size,
            state.categories,
            state.weights.into_iter().map(|w| PyArray1::from_vec(py, w)).collect(),
            PyArray1::from_vec(py, state.records),
            PyArray1::from_vec(py, indptr),
            PyArray1::from_vec(py, state.indices),
        )
    }

    /// The predictor a [`state`](Self::state) describes (checked: ValueError otherwise).
    #[staticmethod]
    #[allow(clippy::too_many_arguments)] // the parts of a state, as `state` gives them
    fn from_state(
        steps: Vec<usize>,
        alpha: f64,
        input_size: usize,
        categories: Vec<usize>,
        weights: Vec<PyReadonlyArray1<'_, f64>>,
        records: PyReadonlyArray1<'_, u64>,
        indptr: PyReadonlyArray1<'_, u64>,
        indices: PyReadonlyArray1<'_, u32>,
    ) -> PyResult<Self> {
        let state = PredictorState {
            steps,
            alpha,
            input_size,
            categories,
            weights: weights.iter().map(|w| w.as_array().to_vec()).collect(),
            records: records.as_array().to_vec(),
            indptr: to_usize(&indptr, "row pointers")?,
            indices: indices.as_array().to_vec(),
        };
        Ok(PyPredictor {
            inner: Mutex::new(Predictor::from_state(state).map_err(py_err)?),
        })
    }
}
