use std::sync::{Arc, Mutex, MutexGuard, TryLockError};

use numpy::{PyArray1, PyReadonlyArray1};
use protobrain_engine::{SequenceMemory, SequenceParams, SequenceState, SharedSequence};
use pyo3::exceptions::{PyKeyError, PyRuntimeError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::activity::PyActivity;
use crate::py_err;
use protobrain_engine::activity::{read, write};

/// A segment as Python sees it: (cell, [(presynaptic cell, permanence), ...]).
type Segment = (u32, Vec<(u32, f64)>);

/// A sequence memory (HTM temporal memory) of the engine, shared with the networks that
/// step it as a group.
#[pyclass(name = "SequenceMemory", module = "protobrain._core", frozen)]
pub struct PySequenceMemory {
    pub(crate) inner: SharedSequence,
}

impl PySequenceMemory {
    /// The memory. A run in another thread holds it with the GIL released; waiting here
    /// with the GIL held could deadlock, so a memory in use (locked, or marked running by
    /// a network for a whole run) is an error instead. The methods keep the GIL while they
    /// hold the memory and make no Python object meanwhile (which could run Python code
    /// and let another thread take the GIL), so a thread that waits for the memory with
    /// the GIL never waits for them.
    fn lock(&self) -> PyResult<MutexGuard<'_, SequenceMemory>> {
        let guard = match self.inner.try_lock() {
            Ok(m) => m,
            Err(TryLockError::Poisoned(e)) => e.into_inner(),
            Err(TryLockError::WouldBlock) => return Err(in_use()),
        };
        if guard.running {
            return Err(in_use());
        }
        Ok(guard)
    }

    fn wrap(memory: SequenceMemory) -> Self {
        PySequenceMemory {
            inner: Arc::new(Mutex::new(memory)),
        }
    }
}

fn in_use() -> PyErr {
    PyRuntimeError::new_err("this sequence memory is running in another thread (Brain.run); wait for it to finish")
}

macro_rules! state_arrays {
    ($m:ident) => {
        $m!(active_cells, u32);
        $m!(winner_cells, u32);
        $m!(segment_cells, u32);
        $m!(segment_ordinals, u64);
        $m!(segment_last_used, u64);
        $m!(segment_ends, u64);
        $m!(synapse_cells, u32);
        $m!(synapse_permanences, f64);
        $m!(plan_columns, u32);
        $m!(plan_prev_active, u32);
        $m!(plan_prev_winners, u32);
        $m!(plan_active, u32);
        $m!(plan_matching, u32);
        $m!(plan_potential, u32);
        $m!(plan_burst_best, u32);
        $m!(plan_burst_winner, u32);
    };
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
        Ok(Self::wrap(SequenceMemory::new(params).map_err(py_err)?))
    }

    /// One whole step with the active `columns` (ascending, distinct).
    fn compute(&self, columns: PyReadonlyArray1<'_, u32>, learn: bool) -> PyResult<()> {
        let columns = columns.as_array().to_vec();
        // The GIL stays held: a thread waiting for the memory may hold it (see `lock`).
        let result = self.lock()?.compute(&columns, learn);
        result.map_err(py_err)
    }

    /// The first half of a step: activate the cells of `columns` (ascending, distinct).
    fn activate(&self, columns: PyReadonlyArray1<'_, u32>) -> PyResult<()> {
        let columns = columns.as_array().to_vec();
        let result = self.lock()?.activate(&columns);
        result.map_err(py_err)
    }

    /// [`activate`](Self::activate), then the active cells become `output`'s ones (what a
    /// network's group does; `output` must have one unit per cell).
    fn activate_into(&self, columns: PyReadonlyArray1<'_, u32>, output: PyRef<'_, PyActivity>) -> PyResult<()> {
        let columns = columns.as_array().to_vec();
        let mut guard = self.lock()?;
        let memory: &mut SequenceMemory = &mut guard;
        if read(&output.inner).size() != memory.cells() {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "an output of {} units for {} cells",
                read(&output.inner).size(),
                memory.cells()
            )));
        }
        memory.activate(&columns).map_err(py_err)?;
        write(&output.inner)
            .set_ones(memory.active_cells().iter().map(|&c| c as usize))
            .map_err(py_err)
    }

    /// The second half: learn what the last activation decided (once).
    fn learn(&self) -> PyResult<()> {
        self.lock()?.learn();
        Ok(())
    }

    /// Forgets the activity (not what was learned); `output`, when given, is cleared while
    /// the memory is held, so a run starting in another thread sees both or neither.
    #[pyo3(signature = (output=None))]
    fn reset(&self, output: Option<PyRef<'_, PyActivity>>) -> PyResult<()> {
        let mut memory = self.lock()?;
        memory.reset();
        if let Some(output) = output {
            write(&output.inner).set_ones(std::iter::empty()).map_err(py_err)?;
        }
        Ok(())
    }

    fn active_cells<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray1<u32>>> {
        let cells = self.lock()?.active_cells().to_vec();
        Ok(PyArray1::from_vec(py, cells))
    }

    fn winner_cells<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray1<u32>>> {
        let cells = self.lock()?.winner_cells().to_vec();
        Ok(PyArray1::from_vec(py, cells))
    }

    fn predicted_cells<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray1<u32>>> {
        let cells = self.lock()?.predicted_cells();
        Ok(PyArray1::from_vec(py, cells))
    }

    #[getter]
    fn anomaly(&self) -> PyResult<f64> {
        Ok(self.lock()?.anomaly())
    }

    #[getter]
    fn learning_pending(&self) -> PyResult<bool> {
        Ok(self.lock()?.learning_pending())
    }

    /// (live segments, live synapses).
    fn size(&self) -> PyResult<(usize, usize)> {
        Ok(self.lock()?.size())
    }

    /// Every segment as (cell, [(presynaptic cell, permanence), ...]), by cell then creation.
    fn segments(&self) -> PyResult<Vec<Segment>> {
        let segments = self.lock()?.segments();
        Ok(segments)
    }

    /// An independent copy (the same parameters and state).
    fn copy(&self) -> PyResult<Self> {
        Ok(Self::wrap(self.lock()?.clone()))
    }

    /// Takes `other`'s state (both must have the same parameters).
    fn assign(&self, other: &PySequenceMemory) -> PyResult<()> {
        if Arc::ptr_eq(&self.inner, &other.inner) {
            return Ok(());
        }
        let copy = other.lock()?.clone();
        let mut memory = self.lock()?;
        if copy.params() != memory.params() {
            return Err(pyo3::exceptions::PyValueError::new_err(
                "a sequence memory of other parameters",
            ));
        }
        *memory = copy;
        Ok(())
    }

    /// The whole state as a dict of scalars and numpy arrays (see `with_state`).
    fn state<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let st = self.lock()?.state();
        let d = PyDict::new(py);
        d.set_item("iteration", st.iteration)?;
        d.set_item("next_ordinal", st.next_ordinal)?;
        d.set_item("draws", st.draws)?;
        d.set_item("anomaly", st.anomaly)?;
        d.set_item("plan", st.plan)?;
        macro_rules! put {
            ($name:ident, $t:ty) => {
                d.set_item(stringify!($name), PyArray1::<$t>::from_slice(py, &st.$name))?;
            };
        }
        state_arrays!(put);
        Ok(d)
    }

    /// A new memory with these parameters in the state `state` (a dict as `state` gives);
    /// ValueError naming what does not fit.
    fn with_state(&self, state: &Bound<'_, PyDict>) -> PyResult<Self> {
        let item = |name: &str| -> PyResult<Bound<'_, PyAny>> {
            state
                .get_item(name)?
                .ok_or_else(|| PyKeyError::new_err(format!("the sequence memory state has no {name:?}")))
        };
        let mut st = SequenceState {
            iteration: item("iteration")?.extract()?,
            next_ordinal: item("next_ordinal")?.extract()?,
            draws: item("draws")?.extract()?,
            anomaly: item("anomaly")?.extract()?,
            plan: item("plan")?.extract()?,
            ..SequenceState::default()
        };
        macro_rules! take {
            ($name:ident, $t:ty) => {
                st.$name = item(stringify!($name))?
                    .extract::<PyReadonlyArray1<'_, $t>>()?
                    .as_array()
                    .to_vec();
            };
        }
        state_arrays!(take);
        let params = self.lock()?.params().clone();
        Ok(Self::wrap(SequenceMemory::from_state(params, &st).map_err(py_err)?))
    }
}
