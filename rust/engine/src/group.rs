//! Neuron groups with named inputs, and the three ways of wiring layers
//! (docs/specification.md §2).
use std::sync::Arc;

use crate::activity::{Activity, SharedActivity};
use crate::allocation::shape_size;
use crate::computation::{Buffers, Computation};
use crate::connection::{Connection, SharedConnection};
use crate::error::{EngineError, Result};
use crate::homeostasis::{self, SharedDutyCycles};
use crate::learning::Hebbian;
use crate::sequence::{self, SharedSequence};
use crate::source::Source;
use crate::weights::Weights;

/// The name of the input that `Neurons.input` reads and writes.
pub const MAIN_INPUT: &str = "main";

/// A group of binary neurons of any shape, with named inputs (in creation order) and an
/// output buffer that other groups' connections read.
#[derive(Debug)]
pub struct Group {
    shape: Vec<usize>,
    output: SharedActivity,
    inputs: Vec<(String, Option<SharedConnection>)>,
    pub computation: Option<Computation>,
    pub learning: Option<Hebbian>,
    /// The duty cycles a boosting computation reads and every learning step updates.
    pub duty: Option<SharedDutyCycles>,
    /// For a sequence-memory group: the memory, stepped instead of a computation.
    sequence: Option<SequencePart>,
    /// Per-step buffers (activation, winners, active inputs), kept so a step allocates nothing.
    buffers: Buffers,
}

impl Group {
    /// A group with one unconnected input named `"main"`. Every dimension must be positive.
    pub fn new(shape: &[usize]) -> Result<Self> {
        if let Some(d) = shape.iter().position(|&d| d == 0) {
            return Err(EngineError::InvalidParameter {
                name: "shape",
                message: format!("every dimension must be positive, got {shape:?} (dimension {d} is 0)"),
            });
        }
        Ok(Group {
            shape: shape.to_vec(),
            output: Activity::zeros(shape)?.shared(),
            inputs: vec![(MAIN_INPUT.to_string(), None)],
            computation: None,
            learning: None,
            duty: None,
            sequence: None,
            buffers: Buffers::default(),
        })
    }

    /// A group over an existing output buffer and existing connections (in input order),
    /// e.g. one built by the Python layer. Every connection must feed a group of the
    /// output's shape.
    pub fn from_parts(
        output: SharedActivity,
        inputs: Vec<(String, SharedConnection)>,
        computation: Option<Computation>,
        learning: Option<Hebbian>,
    ) -> Result<Self> {
        let shape = crate::activity::read(&output).shape().to_vec();
        for (name, conn) in &inputs {
            if conn.post_shape() != shape.as_slice() {
                return Err(EngineError::ShapeMismatch {
                    what: format!("input {name:?} of the group"),
                    expected: shape,
                    found: conn.post_shape().to_vec(),
                });
            }
        }
        let inputs = inputs.into_iter().map(|(n, c)| (n, Some(c))).collect();
        Ok(Group {
            shape,
            output,
            inputs,
            computation,
            learning,
            duty: None,
            sequence: None,
            buffers: Buffers::default(),
        })
    }

    /// A sequence-memory group: its columns are the units of `source` (one column per
    /// unit, active where the unit is non-zero), its output the memory's cells, column by
    /// column. Computing activates the cells, learning learns what that activation decided.
    pub fn from_sequence(output: SharedActivity, source: Source, memory: SharedSequence) -> Result<Self> {
        // Never waits for the memory: a caller holding Python's GIL could wait forever for
        // a thread that holds the memory and waits for the GIL.
        let (columns, cells) = match memory.try_lock() {
            Ok(m) => (m.params().columns, m.params().cells()),
            Err(std::sync::TryLockError::Poisoned(e)) => {
                let m = e.into_inner();
                (m.params().columns, m.params().cells())
            }
            Err(std::sync::TryLockError::WouldBlock) => {
                return Err(EngineError::InvalidValue(
                    "the sequence memory is in use in another thread; wait for it to finish".into(),
                ))
            }
        };
        let shape = crate::activity::read(&output).shape().to_vec();
        if shape.iter().product::<usize>() != cells {
            return Err(EngineError::ShapeMismatch {
                what: "the output of the sequence memory".into(),
                expected: vec![columns, cells / columns],
                found: shape,
            });
        }
        if source.size() != columns {
            return Err(EngineError::ShapeMismatch {
                what: "the main input of the sequence memory (one unit per column)".into(),
                expected: vec![columns],
                found: source.shape(),
            });
        }
        Ok(Group {
            shape,
            output,
            inputs: Vec::new(),
            computation: None,
            learning: None,
            duty: None,
            sequence: Some(SequencePart {
                source,
                memory,
                columns: Vec::new(),
            }),
            buffers: Buffers::default(),
        })
    }

    /// Whether the group steps a sequence memory.
    pub fn is_sequence(&self) -> bool {
        self.sequence.is_some()
    }

    /// The sequence memory of a sequence-memory group.
    pub fn sequence_memory(&self) -> Option<&SharedSequence> {
        self.sequence.as_ref().map(|s| &s.memory)
    }

    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    pub fn size(&self) -> usize {
        self.shape.iter().product()
    }

    /// The buffer holding the group's current activity.
    pub fn output(&self) -> &SharedActivity {
        &self.output
    }

    /// This group read as a source by another group.
    pub fn as_source(&self) -> Source {
        Source::Whole(self.output.clone())
    }

    /// (Re)creates input `name` connected to `source` through `weights`. An existing input
    /// keeps its place in the order; a new one goes last.
    pub fn set(&mut self, name: &str, source: Source, weights: Weights) -> Result<SharedConnection> {
        let conn = Arc::new(Connection::new(source, self.shape.clone(), weights)?);
        match self.inputs.iter_mut().find(|(n, _)| n == name) {
            Some((_, slot)) => *slot = Some(conn.clone()),
            None => self.inputs.push((name.to_string(), Some(conn.clone()))),
        }
        Ok(conn)
    }

    /// The connection of input `name` (`None` while it is unconnected).
    pub fn get(&self, name: &str) -> Result<Option<&SharedConnection>> {
        self.inputs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, c)| c.as_ref())
            .ok_or_else(|| EngineError::Index(format!("no input named {name:?}")))
    }

    /// The names of the inputs, in order.
    pub fn input_names(&self) -> impl Iterator<Item = &str> {
        self.inputs.iter().map(|(n, _)| n.as_str())
    }

    /// Every connected input, in order.
    pub fn connections(&self) -> Vec<&Connection> {
        connected(&self.inputs).collect()
    }

    /// Computes the group's new activity from every connected input.
    pub fn compute(&mut self) -> Result<()> {
        self.fire()?;
        self.publish()
    }

    /// The first half of [`compute`](Self::compute): works out which units fire, without
    /// changing the group's output yet (rows its inputs read are brought up to date, which
    /// changes no weight anyone can see).
    pub(crate) fn fire(&mut self) -> Result<()> {
        if let Some(part) = &mut self.sequence {
            part.columns.clear();
            let columns = &mut part.columns;
            part.source.for_each_nonzero(|i, _| columns.push(i as u32));
            let mut memory = sequence::lock(&part.memory);
            memory.activate(&part.columns)?;
            self.buffers.ones.clear();
            self.buffers
                .ones
                .extend(memory.active_cells().iter().map(|&c| c as usize));
            return Ok(());
        }
        let computation = self.computation.ok_or_else(|| EngineError::InvalidParameter {
            name: "computation",
            message: "the group has no computation set".into(),
        })?;
        let size = self.size();
        let duty = self.duty.as_ref().map(homeostasis::read);
        let values = duty.as_deref().map(|d| d.values());
        computation.fire(connected(&self.inputs), size, values, &mut self.buffers)
    }

    /// The second half of [`compute`](Self::compute): the output becomes what
    /// [`fire`](Self::fire) worked out.
    pub(crate) fn publish(&mut self) -> Result<()> {
        crate::activity::write(&self.output).set_ones(self.buffers.ones.iter().copied())
    }

    /// Whether any connected input reads `activity`.
    pub fn reads(&self, activity: &SharedActivity) -> bool {
        connected(&self.inputs).any(|c| c.source().reads(activity))
            || self.sequence.as_ref().is_some_and(|s| s.source.reads(activity))
    }

    /// Whether `other` is one of this group's connections.
    pub(crate) fn has_connection(&self, other: &SharedConnection) -> bool {
        self.shared_connections().any(|c| Arc::ptr_eq(c, other))
    }

    /// The connected inputs, as shared handles.
    pub(crate) fn shared_connections(&self) -> impl Iterator<Item = &SharedConnection> {
        self.inputs.iter().filter_map(|(_, c)| c.as_ref())
    }

    /// Lets every input learn, when a learning rule is set, and updates the duty cycles
    /// when the computation boosts.
    pub fn learn(&mut self) -> Result<()> {
        if let Some(part) = &self.sequence {
            sequence::lock(&part.memory).learn();
            return Ok(());
        }
        if let Some(learning) = &self.learning {
            learning.learn_inputs(connected(&self.inputs), &self.output, &mut self.buffers)?;
        }
        if let (Some(boost), Some(duty)) = (self.computation.and_then(|c| c.boost()), &self.duty) {
            let output = crate::activity::read(&self.output);
            homeostasis::write(duty).update(output.values(), boost.period())?;
        }
        Ok(())
    }
}

/// What a sequence-memory group steps: the memory, the source of its columns, and a
/// buffer for the active columns.
#[derive(Debug)]
struct SequencePart {
    source: Source,
    memory: SharedSequence,
    columns: Vec<u32>,
}

/// The connected inputs among `inputs`, in order.
fn connected(inputs: &[(String, Option<SharedConnection>)]) -> impl Iterator<Item = &Connection> {
    inputs.iter().filter_map(|(_, c)| c.as_deref())
}

/// Connects input `name` of `layers[i + 1]` to `layers[i]`, for i = 0, 1, ... in order.
/// `weights(pre, post)` makes each connection's weights, in that order.
pub fn feed_forward(
    layers: &mut [Group],
    name: &str,
    mut weights: impl FnMut(usize, usize) -> Result<Weights>,
) -> Result<()> {
    for i in 0..layers.len().saturating_sub(1) {
        let source = layers[i].as_source();
        let w = weights(shape_size(&source.shape())?, layers[i + 1].size())?;
        layers[i + 1].set(name, source, w)?;
    }
    Ok(())
}

/// Connects input `name` of `layers[i]` to `layers[i + 1]`, for i = 0, 1, ... in order.
pub fn feed_backward(
    layers: &mut [Group],
    name: &str,
    mut weights: impl FnMut(usize, usize) -> Result<Weights>,
) -> Result<()> {
    for i in 0..layers.len().saturating_sub(1) {
        let source = layers[i + 1].as_source();
        let w = weights(source.size(), layers[i].size())?;
        layers[i].set(name, source, w)?;
    }
    Ok(())
}

/// Connects input `name` of every layer to its own output (its previous step's activity).
pub fn loop_back(
    layers: &mut [Group],
    name: &str,
    mut weights: impl FnMut(usize, usize) -> Result<Weights>,
) -> Result<()> {
    for layer in layers.iter_mut() {
        let source = layer.as_source();
        let w = weights(source.size(), layer.size())?;
        layer.set(name, source, w)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activity::{read, write};
    use crate::encoders::{EncoderKind, NumericalEncoder};
    use crate::test_support::lcg_weights;

    #[test]
    fn wiring_creates_inputs_in_order() {
        let mut seed = 7;
        let mut layers: Vec<Group> = [4, 3, 2].iter().map(|&n| Group::new(&[n]).unwrap()).collect();
        feed_forward(&mut layers, MAIN_INPUT, lcg_weights(&mut seed)).unwrap();
        feed_backward(&mut layers, "feedback", lcg_weights(&mut seed)).unwrap();
        loop_back(&mut layers, "neighbors", lcg_weights(&mut seed)).unwrap();
        assert!(layers[0].get(MAIN_INPUT).unwrap().is_none());
        assert_eq!(layers[1].get(MAIN_INPUT).unwrap().unwrap().pre_size(), 4);
        assert_eq!(layers[0].get("feedback").unwrap().unwrap().pre_size(), 3);
        assert_eq!(layers[2].get("neighbors").unwrap().unwrap().pre_size(), 2);
        assert_eq!(
            layers[1].input_names().collect::<Vec<_>>(),
            ["main", "feedback", "neighbors"]
        );
        assert!(matches!(layers[0].get("nope"), Err(EngineError::Index(_))));
    }

    #[test]
    fn a_sensor_driven_stack_runs_and_learns() {
        let mut seed = 3;
        let mut layers: Vec<Group> = [vec![6], vec![2, 3]].iter().map(|s| Group::new(s).unwrap()).collect();
        feed_forward(&mut layers, MAIN_INPUT, lcg_weights(&mut seed)).unwrap();
        let encoder = NumericalEncoder::new(EncoderKind::Cyclic, 0.0, 10.0, 16, 0.25).unwrap();
        let sensor = Activity::zeros(&[16]).unwrap().shared();
        let w = lcg_weights(&mut seed)(16, 6).unwrap();
        layers[0].set(MAIN_INPUT, Source::Whole(sensor.clone()), w).unwrap();
        for layer in &mut layers {
            layer.computation = Some(Computation::k_winners(2).unwrap());
            layer.learning = Some(Hebbian::new(0.05, 0.01).unwrap());
        }
        let before = layers[1]
            .get(MAIN_INPUT)
            .unwrap()
            .unwrap()
            .weights_mut()
            .to_dense()
            .unwrap()
            .to_vec();
        for step in 0..5 {
            encoder.encode_into(step as f64, &mut write(&sensor)).unwrap();
            for layer in &mut layers {
                layer.compute().unwrap();
                layer.learn().unwrap();
            }
            for layer in &layers {
                assert_eq!(read(layer.output()).values().iter().filter(|&&v| v == 1.0).count(), 2);
            }
        }
        assert_ne!(
            layers[1]
                .get(MAIN_INPUT)
                .unwrap()
                .unwrap()
                .weights_mut()
                .to_dense()
                .unwrap(),
            &before[..]
        );
    }

    #[test]
    fn compute_without_computation_is_an_error() {
        let mut g = Group::new(&[3]).unwrap();
        assert!(g.compute().unwrap_err().to_string().contains("computation"));
        assert!(Group::new(&[3, 0]).is_err());
    }
}
