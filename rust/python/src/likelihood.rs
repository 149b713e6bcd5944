use std::sync::{Mutex, MutexGuard};

use numpy::{PyArray1, PyReadonlyArray1};
use protobrain_engine::likelihood::numpy_mean_var;
use protobrain_engine::{AnomalyLikelihood, LikelihoodState};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::py_err;

/// A likelihood's state as Python sees it: (learning_period, estimation_samples,
/// historic_window, reestimation_period, steps, history values, history raw scores,
/// distribution (mean, variance) or None, window, running total, recent tails).
type State<'py> = (
    u64,
    u64,
    u64,
    u64,
    u64,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
    Option<(f64, f64)>,
    Bound<'py, PyArray1<f64>>,
    f64,
    Bound<'py, PyArray1<f64>>,
);

/// The elements of a 1-D array, contiguous or not.
fn elements(array: &PyReadonlyArray1<'_, f64>) -> Vec<f64> {
    match array.as_slice() {
        Ok(slice) => slice.to_vec(),
        Err(_) => array.as_array().to_vec(),
    }
}

/// Numenta's anomaly likelihood of the engine (`protobrain.anomaly.AnomalyLikelihood`
/// builds on it). Copies, deep copies and pickles hold the whole state.
#[pyclass(name = "AnomalyLikelihood", module = "protobrain._core", frozen)]
pub struct PyAnomalyLikelihood {
    inner: Mutex<AnomalyLikelihood>,
}

impl PyAnomalyLikelihood {
    /// The engine likelihood. No call releases the GIL while holding it.
    fn lock(&self) -> MutexGuard<'_, AnomalyLikelihood> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn wrap(likelihood: AnomalyLikelihood) -> Self {
        PyAnomalyLikelihood {
            inner: Mutex::new(likelihood),
        }
    }
}

#[allow(clippy::too_many_arguments)] // the parts of a state, as `state` gives them
fn make_state(
    learning_period: u64,
    estimation_samples: u64,
    historic_window: u64,
    reestimation_period: u64,
    steps: u64,
    history_values: PyReadonlyArray1<'_, f64>,
    history_raws: PyReadonlyArray1<'_, f64>,
    distribution: Option<(f64, f64)>,
    window: PyReadonlyArray1<'_, f64>,
    total: f64,
    recent: PyReadonlyArray1<'_, f64>,
) -> LikelihoodState {
    LikelihoodState {
        learning_period,
        estimation_samples,
        historic_window,
        reestimation_period,
        steps,
        history_values: elements(&history_values),
        history_raws: elements(&history_raws),
        distribution,
        window: elements(&window),
        total,
        recent: elements(&recent),
    }
}

#[pymethods]
impl PyAnomalyLikelihood {
    /// A likelihood with NuPIC's parameters (`historic_window`, `reestimation_period` >= 1).
    #[new]
    fn new(
        learning_period: u64,
        estimation_samples: u64,
        historic_window: u64,
        reestimation_period: u64,
    ) -> PyResult<Self> {
        let likelihood = AnomalyLikelihood::new(
            learning_period,
            estimation_samples,
            historic_window,
            reestimation_period,
        )
        .map_err(py_err)?;
        Ok(Self::wrap(likelihood))
    }

    #[getter]
    fn learning_period(&self) -> u64 {
        self.lock().learning_period()
    }

    #[getter]
    fn estimation_samples(&self) -> u64 {
        self.lock().estimation_samples()
    }

    #[getter]
    fn historic_window(&self) -> u64 {
        self.lock().historic_window()
    }

    #[getter]
    fn reestimation_period(&self) -> u64 {
        self.lock().reestimation_period()
    }

    /// Steps seen so far.
    #[getter]
    fn steps(&self) -> u64 {
        self.lock().steps()
    }

    /// The likelihood of a step's raw score (in [0, 1]) with the stream's value (NaN: unknown).
    fn update(&self, raw: f64, value: f64) -> PyResult<f64> {
        self.lock().update(raw, value).map_err(py_err)
    }

    /// `update` for each pair in turn (the scores all checked first).
    fn update_batch<'py>(
        &self,
        py: Python<'py>,
        raws: PyReadonlyArray1<'py, f64>,
        values: PyReadonlyArray1<'py, f64>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let (raws, values) = (elements(&raws), elements(&values));
        let out = self.lock().update_batch(&raws, &values).map_err(py_err)?;
        Ok(PyArray1::from_vec(py, out))
    }

    /// Everything the likelihood goes on from (see `from_state`).
    fn state<'py>(&self, py: Python<'py>) -> State<'py> {
        let s = self.lock().state();
        (
            s.learning_period,
            s.estimation_samples,
            s.historic_window,
            s.reestimation_period,
            s.steps,
            PyArray1::from_vec(py, s.history_values),
            PyArray1::from_vec(py, s.history_raws),
            s.distribution,
            PyArray1::from_vec(py, s.window),
            s.total,
            PyArray1::from_vec(py, s.recent),
        )
    }

    /// The likelihood `state` described; ValueError naming what does not fit.
    #[staticmethod]
    #[allow(clippy::too_many_arguments)] // the parts of a state, as `state` gives them
    fn from_state(
        learning_period: u64,
        estimation_samples: u64,
        historic_window: u64,
        reestimation_period: u64,
        steps: u64,
        history_values: PyReadonlyArray1<'_, f64>,
        history_raws: PyReadonlyArray1<'_, f64>,
        distribution: Option<(f64, f64)>,
        window: PyReadonlyArray1<'_, f64>,
        total: f64,
        recent: PyReadonlyArray1<'_, f64>,
    ) -> PyResult<Self> {
        let state = make_state(
            learning_period,
            estimation_samples,
            historic_window,
            reestimation_period,
            steps,
            history_values,
            history_raws,
            distribution,
            window,
            total,
            recent,
        );
        Ok(Self::wrap(AnomalyLikelihood::from_state(state).map_err(py_err)?))
    }

    fn __copy__(&self) -> Self {
        Self::wrap(self.lock().clone())
    }

    fn __deepcopy__(&self, _memo: &Bound<'_, PyDict>) -> Self {
        Self::wrap(self.lock().clone())
    }

    /// Pickling: the class with its parameters, then the state for `__setstate__`.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let py = slf.py();
        let this = slf.get();
        let (lp, es, hw, rp) = {
            let l = this.lock();
            (
                l.learning_period(),
                l.estimation_samples(),
                l.historic_window(),
                l.reestimation_period(),
            )
        };
        let state = this.state(py);
        (slf.get_type(), (lp, es, hw, rp), state).into_pyobject(py)
    }

    fn __setstate__(&self, state: &Bound<'_, PyTuple>) -> PyResult<()> {
        #[allow(clippy::type_complexity)] // a state, as `state` gives it
        let (lp, es, hw, rp, steps, values, raws, distribution, window, total, recent): (
            u64,
            u64,
            u64,
            u64,
            u64,
            PyReadonlyArray1<'_, f64>,
            PyReadonlyArray1<'_, f64>,
            Option<(f64, f64)>,
            PyReadonlyArray1<'_, f64>,
            f64,
            PyReadonlyArray1<'_, f64>,
        ) = state.extract()?;
        let state = make_state(lp, es, hw, rp, steps, values, raws, distribution, window, total, recent);
        *self.lock() = AnomalyLikelihood::from_state(state).map_err(py_err)?;
        Ok(())
    }
}

/// numpy's `a.sum()`, `a.mean()` and `a.var()` of a float64 array as the likelihood
/// computes them (for the tests that hold them to numpy's).
#[pyfunction]
#[pyo3(name = "_numpy_sum_mean_var")]
pub fn numpy_sum_mean_var(a: PyReadonlyArray1<'_, f64>) -> (f64, f64, f64) {
    let a = elements(&a);
    let (mean, var) = numpy_mean_var(&a);
    (protobrain_engine::likelihood::numpy_sum(&a), mean, var)
}
