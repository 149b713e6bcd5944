use std::sync::{Mutex, MutexGuard, TryLockError};
use std::time::{Duration, Instant};

use numpy::ndarray::Array2;
use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2, PyReadwriteArray2};
use protobrain_engine::parallel::with_team;
use protobrain_engine::{Group, Network, Sensor};
use pyo3::exceptions::{PyIndexError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;

use crate::activity::PyActivity;
use crate::computation::PyComputation;
use crate::connection::PyConnection;
use crate::encoders::PyNumericalEncoder;
use crate::homeostasis::PyDutyCycles;
use crate::learning::PyHebbian;
use crate::py_err;
use crate::sequence::PySequenceMemory;
use crate::source::PySource;
use protobrain_engine::sequence;
use protobrain_engine::SharedSequence;
use std::sync::Arc;

/// How often a run checks for Ctrl-C and other signals.
const SIGNAL_CHECK: Duration = Duration::from_millis(20);

/// One group as the Python layer describes it: its output, its connected inputs in order,
/// its built-in computation and learning (when built in), or the Python callables that do
/// its computing and learning (for user parts), and its duty cycles (for a boosting
/// computation).
type GroupSpec<'py> = (
    PyRef<'py, PyActivity>,
    Vec<PyRef<'py, PyConnection>>,
    Option<PyRef<'py, PyComputation>>,
    Option<PyRef<'py, PyHebbian>>,
    Option<Py<PyAny>>,
    Option<Py<PyAny>>,
    Option<PyRef<'py, PyDutyCycles>>,
    Option<(PyRef<'py, PySequenceMemory>, PyRef<'py, PySource>)>,
);

struct GroupCalls {
    compute: Option<Py<PyAny>>,
    learn: Option<Py<PyAny>>,
    connections: Vec<Py<PyConnection>>,
}

/// A brain compiled for the engine. Built-in parts run in Rust; user parts are Python
/// callables called at their place in the step.
#[pyclass(name = "Network", module = "protobrain._core", frozen)]
pub struct PyNetwork {
    net: Mutex<Network>,
    feed: Option<Py<PyAny>>,
    calls: Vec<GroupCalls>,
    /// The sequence memories the network steps, marked running for the length of a run.
    memories: Vec<SharedSequence>,
}

impl PyNetwork {
    /// The engine network. A run in another thread holds it with the GIL released; waiting
    /// here with the GIL held would deadlock (that run takes the GIL between steps), so a
    /// network in use is an error instead.
    fn net(&self) -> PyResult<MutexGuard<'_, Network>> {
        match self.net.try_lock() {
            Ok(net) => Ok(net),
            Err(TryLockError::Poisoned(e)) => Ok(e.into_inner()),
            Err(TryLockError::WouldBlock) => Err(PyRuntimeError::new_err(
                "this brain is running in another thread (Brain.run); wait for it to finish",
            )),
        }
    }

    /// Whether the user holds a numpy view of any connection's weights.
    fn views_held(&self, py: Python<'_>) -> bool {
        self.calls
            .iter()
            .flat_map(|calls| &calls.connections)
            .any(|c| c.get().views_alive(py))
    }

    /// After learning: connections whose weights the user holds a view of are brought up
    /// to date and marked as possibly edited.
    fn after_learning(&self, py: Python<'_>) {
        for calls in &self.calls {
            for c in &calls.connections {
                c.get().after_learning(py);
            }
        }
    }
}

#[pymethods]
impl PyNetwork {
    /// A group is (output, connections, computation, learning, compute, learn, duty
    /// cycles, sequence); `sequence`, when given, is (memory, source of its columns) and
    /// makes the group a sequence memory (the other parts are then unused).
    /// `sensor` is (encoder, output) for a built-in sensor, and (None, output) for a sensor
    /// whose output buffer the engine may write patterns into (`run_patterns`) while `feed`,
    /// the Python callable, feeds values; `sensor` is None when neither is so. Exactly one
    /// of a built-in encoder and `feed` is given. `groups` are in compute order.
    #[new]
    #[pyo3(signature = (sensor, feed, groups))]
    #[allow(clippy::type_complexity)]
    fn new(
        sensor: Option<(Option<PyRef<'_, PyNumericalEncoder>>, PyRef<'_, PyActivity>)>,
        feed: Option<Py<PyAny>>,
        groups: Vec<GroupSpec<'_>>,
    ) -> PyResult<Self> {
        let encoder = sensor.as_ref().and_then(|(e, _)| e.as_ref());
        if encoder.is_none() == feed.is_none() {
            return Err(PyValueError::new_err(
                "give either a built-in sensor or a feed callable",
            ));
        }
        let sensor = sensor.map(|(e, a)| Sensor {
            encoder: e.map(|e| e.inner),
            output: a.inner.clone(),
        });
        let mut engine_groups = Vec::with_capacity(groups.len());
        let mut calls = Vec::with_capacity(groups.len());
        let mut memories: Vec<SharedSequence> = Vec::new();
        for (k, (output, connections, computation, learning, compute, learn, duty, sequence)) in
            groups.into_iter().enumerate()
        {
            if let Some((memory, source)) = sequence {
                if memories.iter().any(|m| Arc::ptr_eq(m, &memory.inner)) {
                    return Err(PyValueError::new_err(format!(
                        "group {k} is a sequence memory the network already steps: a memory can be one group only"
                    )));
                }
                memories.push(memory.inner.clone());
                let group = Group::from_sequence(output.inner.clone(), source.inner.clone(), memory.inner.clone())
                    .map_err(py_err)?;
                engine_groups.push(group);
                calls.push(GroupCalls {
                    compute: None,
                    learn: None,
                    connections: Vec::new(),
                });
                continue;
            }
            if compute.is_none() && computation.is_none() {
                return Err(PyValueError::new_err(format!(
                    "group {k} has neither a built-in computation nor a compute callable"
                )));
            }
            let inputs = connections
                .iter()
                .enumerate()
                .map(|(i, c)| (format!("input {i}"), c.inner.clone()))
                .collect();
            let mut group = Group::from_parts(
                output.inner.clone(),
                inputs,
                computation.map(|c| c.inner),
                if learn.is_some() {
                    None
                } else {
                    learning.map(|l| l.inner)
                },
            )
            .map_err(py_err)?;
            group.duty = duty.map(|d| d.inner.clone());
            engine_groups.push(group);
            calls.push(GroupCalls {
                compute,
                learn,
                connections: connections.into_iter().map(|c| c.into()).collect(),
            });
        }
        Ok(PyNetwork {
            net: Mutex::new(Network::new(sensor, engine_groups).map_err(py_err)?),
            feed,
            calls,
            memories,
        })
    }

    /// Whether every part is built in, so a whole run can stay in Rust.
    #[getter]
    fn builtin(&self) -> bool {
        self.feed.is_none() && self.builtin_groups()
    }

    /// Whether every group is built in and the engine holds the sensor's output, so a run
    /// of patterns (`run_patterns`) can stay in Rust whatever the encoder.
    #[getter]
    fn takes_patterns(&self) -> PyResult<bool> {
        Ok(self.builtin_groups() && self.net()?.has_sensor())
    }

    /// Units per group, in order.
    #[getter]
    fn sizes(&self) -> PyResult<Vec<usize>> {
        Ok(self.net()?.groups().iter().map(|g| g.size()).collect())
    }

    /// Computes every group in order (built-in computations are checked first, so an
    /// impossible one fails before any group changes).
    fn compute(&self, py: Python<'_>) -> PyResult<()> {
        self.net()?.check_groups().map_err(py_err)?;
        self.check_memories_idle()?;
        // One set of helper threads for every group's split kernels (started only if one
        // splits), rather than new threads per kernel.
        with_team(|| {
            for (i, calls) in self.calls.iter().enumerate() {
                match &calls.compute {
                    Some(compute) => {
                        compute.call0(py)?;
                    }
                    None => self.net()?.compute_group(i).map_err(py_err)?,
                }
            }
            Ok(())
        })
    }

    /// Lets every group learn in order.
    fn learn(&self, py: Python<'_>) -> PyResult<()> {
        self.check_memories_idle()?;
        let result = with_team(|| {
            for (i, calls) in self.calls.iter().enumerate() {
                match &calls.learn {
                    Some(learn) => {
                        learn.call0(py)?;
                    }
                    None => self.net()?.learn_group(i).map_err(py_err)?,
                }
            }
            Ok(())
        });
        self.after_learning(py);
        result
    }

    /// Writes every group's current activity into row `step` of its buffer (None skips).
    fn record(&self, buffers: Vec<Option<PyReadwriteArray2<'_, bool>>>, step: usize) -> PyResult<()> {
        let net = self.net()?;
        for (i, buffer) in buffers.into_iter().enumerate() {
            if let Some(mut buffer) = buffer {
                let mut rows = buffer.as_array_mut();
                if step >= rows.nrows() {
                    return Err(PyIndexError::new_err(format!(
                        "step {step} is outside a recording of {} steps",
                        rows.nrows()
                    )));
                }
                let mut row = rows.row_mut(step);
                let out = row
                    .as_slice_mut()
                    .ok_or_else(|| PyValueError::new_err("recording buffers must be C-contiguous"))?;
                net.record_group(i, out).map_err(py_err)?;
            }
        }
        Ok(())
    }

    /// A whole run in Rust with the GIL released (every part must be built in), or held
    /// while the user holds a numpy view of some weights. Returns
    /// (steps done, recordings, interruption, logs): per group, a (steps, units) bool array
    /// of its activity, or None where `record[i]` is false; a signal (Ctrl-C) stops the run
    /// after a whole step and its exception is returned for the caller to raise once it has
    /// noted how far the run got; per sequence memory (in group order), the raw anomaly
    /// score of every step and, where `predicted[k]`, the cells predicted for each step
    /// (cells, ends). The memories are marked running for the whole run, so their Python
    /// objects refuse other threads meanwhile.
    #[pyo3(signature = (values, learn, record, predicted=Vec::new()))]
    fn run<'py>(
        &self,
        py: Python<'py>,
        values: PyReadonlyArray1<'py, f64>,
        learn: bool,
        record: Vec<bool>,
        predicted: Vec<bool>,
    ) -> PyResult<RunResult<'py>> {
        if !self.builtin() {
            return Err(PyValueError::new_err(
                "run() needs every part built in; step the network instead",
            ));
        }
        let values = values
            .as_slice()
            .map_err(|_| PyValueError::new_err("values must be contiguous"))?
            .to_vec();
        self.run_steps(py, values.len(), record, predicted, |net, slots, keep_going| {
            net.run(&values, learn, slots, keep_going)
        })
    }

    /// [`run`](Self::run) with the sensor's output given for every step: `patterns` is a
    /// (steps, sensor units) bool array. Every group must be built in; the sensor's encoder
    /// may be anything.
    #[pyo3(signature = (patterns, learn, record, predicted=Vec::new()))]
    fn run_patterns<'py>(
        &self,
        py: Python<'py>,
        patterns: PyReadonlyArray2<'py, bool>,
        learn: bool,
        record: Vec<bool>,
        predicted: Vec<bool>,
    ) -> PyResult<RunResult<'py>> {
        if !self.takes_patterns()? {
            return Err(PyValueError::new_err(
                "run_patterns() needs every group built in and a sensor buffer; step the network instead",
            ));
        }
        let (steps, width) = patterns.as_array().dim();
        let bits = patterns
            .as_slice()
            .map_err(|_| PyValueError::new_err("patterns must be C-contiguous"))?
            .to_vec();
        self.run_steps(py, steps, record, predicted, |net, slots, keep_going| {
            net.run_patterns(&bits, width, learn, slots, keep_going)
        })
    }
}

impl PyNetwork {
    /// RuntimeError when one of the network's sequence memories is being run by another
    /// network (in another thread).
    fn check_memories_idle(&self) -> PyResult<()> {
        if self.memories.iter().any(|m| sequence::lock(m).running) {
            return Err(PyRuntimeError::new_err(
                "a sequence memory of this brain is running in another thread (Brain.run); wait for it to finish",
            ));
        }
        Ok(())
    }

    /// Marks every sequence memory running (so their Python objects refuse other callers)
    /// until the guard is dropped; RuntimeError when another run holds one.
    fn mark_running(&self) -> PyResult<RunningMark<'_>> {
        let mut marked = RunningMark { memories: Vec::new() };
        for memory in &self.memories {
            let mut m = sequence::lock(memory);
            if m.running {
                return Err(PyRuntimeError::new_err(
                    "a sequence memory of this brain is running in another thread (Brain.run); wait for it to finish",
                ));
            }
            m.running = true;
            marked.memories.push(memory);
        }
        Ok(marked)
    }

    fn builtin_groups(&self) -> bool {
        self.calls.iter().all(|c| c.compute.is_none() && c.learn.is_none())
    }

    /// The body of a whole run of `steps` steps: recording buffers, the GIL released
    /// (unless views are held), signals checked, recordings handed back.
    fn run_steps<'py>(
        &self,
        py: Python<'py>,
        steps_wanted: usize,
        record: Vec<bool>,
        predicted: Vec<bool>,
        go: impl Send
            + FnOnce(
                &mut Network,
                &mut [Option<&mut [bool]>],
                &mut dyn FnMut(usize) -> bool,
            ) -> protobrain_engine::Result<usize>,
    ) -> PyResult<RunResult<'py>> {
        let sizes = self.sizes()?;
        if predicted.len() > self.memories.len() {
            return Err(PyValueError::new_err(format!(
                "predicted has {} entries for {} sequence memories",
                predicted.len(),
                self.memories.len()
            )));
        }
        if record.len() > sizes.len() {
            return Err(PyValueError::new_err(format!(
                "record has {} entries for {} groups",
                record.len(),
                sizes.len()
            )));
        }
        let mut buffers: Vec<Option<Vec<bool>>> = Vec::with_capacity(record.len());
        for (i, &wanted) in record.iter().enumerate() {
            buffers.push(if wanted {
                Some(protobrain_engine::filled(steps_wanted * sizes[i], false, "a recording").map_err(py_err)?)
            } else {
                None
            });
        }
        let _running = self.mark_running()?;
        for (k, memory) in self.memories.iter().enumerate() {
            sequence::lock(memory).start_log(predicted.get(k).copied().unwrap_or(false));
        }
        let mut interrupt: Option<PyErr> = None;
        // While the user holds a numpy view of some weights, another Python thread could
        // write through it during the run; keeping the GIL stops such writes (the run
        // reads and writes those weights without any lock).
        let views_held = self.views_held(py);
        let body = || {
            let mut slots: Vec<Option<&mut [bool]>> = buffers.iter_mut().map(|b| b.as_deref_mut()).collect();
            let mut last_check = Instant::now();
            let mut net = self.net()?;
            let mut keep_going = |_| {
                if last_check.elapsed() < SIGNAL_CHECK {
                    return true;
                }
                last_check = Instant::now();
                match Python::attach(|py| py.check_signals()) {
                    Ok(()) => true,
                    Err(err) => {
                        interrupt = Some(err);
                        false
                    }
                }
            };
            let done = go(&mut net, &mut slots, &mut keep_going).map_err(py_err)?;
            Ok::<usize, PyErr>(done)
        };
        let result = if views_held { body() } else { py.detach(body) };
        self.after_learning(py);
        // Taken while the memories are still marked running: only the run's steps are in.
        let logs: Vec<Log<'py>> = self
            .memories
            .iter()
            .map(|memory| {
                let (anomalies, predicted) = sequence::lock(memory).take_log();
                let predicted = predicted.map(|(cells, ends)| {
                    let ends: Vec<u64> = ends.into_iter().map(|e| e as u64).collect();
                    (PyArray1::from_vec(py, cells), PyArray1::from_vec(py, ends))
                });
                (PyArray1::from_vec(py, anomalies), predicted)
            })
            .collect();
        let steps = result?;
        let recordings = buffers
            .into_iter()
            .enumerate()
            .map(|(i, b)| match b {
                None => Ok(None),
                Some(mut b) => {
                    b.truncate(steps * sizes[i]);
                    let array = Array2::from_shape_vec((steps, sizes[i]), b)
                        .map_err(|e| PyValueError::new_err(e.to_string()))?;
                    Ok(Some(array.into_pyarray(py)))
                }
            })
            .collect::<PyResult<Vec<_>>>()?;
        Ok((steps, recordings, interrupt, logs))
    }
}

/// One sequence memory's log of a run: the raw anomaly scores and, when asked for, the
/// cells predicted for each step (cells, ends).
type Log<'py> = (
    Bound<'py, PyArray1<f64>>,
    Option<(Bound<'py, PyArray1<u32>>, Bound<'py, PyArray1<u64>>)>,
);

/// What a run returns: steps done, recordings, interruption, logs.
type RunResult<'py> = (
    usize,
    Vec<Option<Bound<'py, PyArray2<bool>>>>,
    Option<PyErr>,
    Vec<Log<'py>>,
);

/// Sequence memories marked running; dropping it clears the marks (also on errors).
struct RunningMark<'a> {
    memories: Vec<&'a SharedSequence>,
}

impl Drop for RunningMark<'_> {
    fn drop(&mut self) {
        for memory in &self.memories {
            sequence::lock(memory).running = false;
        }
    }
}
